// The Ingress workload every feed-ingress bench shares: N Ingresses in 50 namespaces, each with
// its own host, two prefix paths to its own ClusterIP Service and a mix of `sky.uk/*` annotations.
import type * as ModelTypes from '../src/model/index.js';
import type * as FixtureTypes from '../test/fixtures.js';

// The built dist is loaded at run time (node cannot run the sources' `.js` imports), while the
// types come from the sources, so typecheck works before a build. The fixtures are test code, not
// in dist: node strips their types (they have no relative imports).
type ModelModule = typeof ModelTypes;
type FixturesModule = typeof FixtureTypes;
const dist = (path: string): string => new URL(`../dist/model/${path}`, import.meta.url).href;
/** The model module from the built dist. */
export const model = (await import(dist('index.js'))) as ModelModule;
const { ingress, ingressPath, ingressRule, namespace, service } = (await import(
  new URL('../test/fixtures.ts', import.meta.url).href
)) as FixturesModule;

/** The model input of `count` Ingresses (with their Services and 50 namespaces). */
export function feedInput(count: number): ModelTypes.FeedModelInput {
  const ingresses = [];
  const services = [];
  const namespaces = [];
  for (let n = 0; n < 50; n++) namespaces.push(namespace(`ns${n}`, { team: `t${n % 5}` }));
  for (let i = 0; i < count; i++) {
    const ns = `ns${i % 50}`;
    const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    services.push(service(ns, `svc${i}`, ip, [80]));
    ingresses.push(
      ingress({
        namespace: ns,
        name: `ing${i}`,
        annotations: {
          'kubernetes.io/ingress.class': 'bench',
          'sky.uk/frontend-scheme': i % 2 === 0 ? 'internal' : 'internet-facing',
          ...(i % 3 === 0 ? { 'sky.uk/allow': '10.0.0.0/8, 192.168.0.0/16' } : {}),
          ...(i % 4 === 0 ? { 'sky.uk/backend-timeout-seconds': '30', 'sky.uk/strip-path': 'false' } : {}),
        },
        rules: [
          ingressRule(`host-${i}.example.com`, [
            ingressPath('/', `svc${i}`, 80, 'Prefix'),
            ingressPath('/api', `svc${i}`, 80, 'Prefix'),
          ]),
        ],
      }),
    );
  }
  return { ingresses, services, namespaces, ingressClasses: [], secrets: [] };
}

/** One Ingress replaced by a new object (an annotation changed), as an informer update does. */
export function changeOne(input: ModelTypes.FeedModelInput, n: number): ModelTypes.FeedModelInput {
  const ingresses = [...input.ingresses];
  const i = n % ingresses.length;
  const old = ingresses[i]!;
  ingresses[i] = {
    ...old,
    metadata: {
      ...old.metadata,
      annotations: { ...old.metadata?.annotations, 'sky.uk/backend-timeout-seconds': String(10 + (n % 50)) },
    },
  };
  return { ...input, ingresses };
}

/** The bench's model config: an http and an https listener, large server-name hashes. */
export function benchConfig(
  overrides: Parameters<ModelModule['defaultFeedModelConfig']>[0] = {},
): ModelTypes.FeedModelConfig {
  return model.defaultFeedModelConfig({
    ingressClass: 'bench',
    ingressPort: 8080,
    ingressHttpsPort: 8443,
    ...overrides,
    nginx: { serverNamesHashMaxSize: 32768, serverNamesHashBucketSize: 128, ...overrides.nginx },
  });
}

/** Median (the upper one of an even count). */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}
