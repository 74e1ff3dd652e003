import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadManifests } from '@kube-edge/k8s-watch';
import { parseNginxConfig, renderNginxConfig } from '@kube-edge/nginx-render';
import { makeTestCertificate, nginxTest, writeTestCertificate } from '@kube-edge/testkit';
import { modelInputFromObjects } from '../render-command.js';
import { buildFeedModel } from './build.js';
import { defaultFeedModelConfig } from './config.js';
import type { FeedModel, FeedModelConfig } from './types.js';

// Placeholders for paths that only exist on a node; the nginx -t check swaps in temp paths.
const WORK = '/var/lib/feed-ingress';
const TLS_DIR = `${WORK}/tls`;
const TEMP_ROOT = `${WORK}/tmp`;
const DEFAULT_SSL = '/etc/ssl/default-ssl/default-ssl';
const LOG_DIR = '/var/log/feed-ingress';

const examples = fileURLToPath(new URL('../../../../examples/feed-ingress', import.meta.url));
const golden = (name: string): string => fileURLToPath(new URL(`./__golden__/${name}`, import.meta.url));
// UPDATE_GOLDEN=1 rewrites the files; review the diff before committing.
const update = process.env.UPDATE_GOLDEN === '1';

const base = {
  ingressClass: 'internal',
  ingressPort: 8080,
  ingressHttpsPort: 8443,
  ingressHealthPort: 8081,
  defaultSslPath: DEFAULT_SSL,
  nginx: { workDir: WORK, tlsDir: TLS_DIR, tempPathRoot: TEMP_ROOT },
};

const cases: { name: string; config: FeedModelConfig }[] = [
  { name: 'examples.conf', config: defaultFeedModelConfig(base) },
  {
    // Behind an NLB with proxy protocol, only the shop team's namespace, WebSockets, an access log
    // and feed's `allow 127.0.0.1;` in every allow list (--nginx-allow-localhost).
    name: 'examples-proxy-protocol.conf',
    config: defaultFeedModelConfig({
      ...base,
      proxyProtocol: true,
      trustedFrontends: ['10.0.0.0/8', '172.16.0.0/12'],
      namespaceSelectors: [{ name: 'team', value: 'shop' }],
      accessLog: { enabled: true, dir: LOG_DIR, headers: ['X-Request-ID'] },
      defaultAllow: ['10.0.0.0/8'],
      nginx: {
        ...base.nginx,
        allowWebsocketUpgrade: true,
        allowLocalhost: true,
        workerShutdownTimeoutSeconds: 240,
        workers: 2,
        serverNamesHashBucketSize: 128,
      },
    }),
  },
];

let models: Map<string, FeedModel>;
let tmp: string;

beforeAll(async () => {
  const input = modelInputFromObjects(await loadManifests([examples]));
  models = new Map(cases.map((c) => [c.name, buildFeedModel(input, c.config)]));
  tmp = mkdtempSync(join(tmpdir(), 'feed-golden-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Writes the model's TLS files and a default certificate under `dir` and returns the config text with real paths. */
async function materialise(text: string, model: FeedModel, dir: string): Promise<string> {
  const tlsDir = join(dir, 'tls');
  for (const f of model.tlsFiles) {
    const path = f.path.replace(TLS_DIR, tlsDir);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, f.content, { mode: f.mode });
  }
  const ssl = join(dir, 'default-ssl');
  await writeTestCertificate(dir, 'default-ssl', await makeTestCertificate({ commonName: 'default' }));
  // {{PREFIX}} is testkit's placeholder for its throw-away nginx prefix.
  return text
    .replaceAll(TLS_DIR, tlsDir)
    .replaceAll(DEFAULT_SSL, ssl)
    .replaceAll(TEMP_ROOT, '{{PREFIX}}')
    .replaceAll(LOG_DIR, '{{PREFIX}}/logs');
}

describe('golden nginx.conf from examples/feed-ingress', () => {
  for (const c of cases) {
    it(`renders ${c.name} byte-identical to its golden file`, () => {
      const text = renderNginxConfig(models.get(c.name)!.nginx);
      if (update) writeFileSync(golden(c.name), text);
      expect(text).toBe(readFileSync(golden(c.name), 'utf8'));
    });

    it(`${c.name} passes nginx -t with real nginx`, async () => {
      const dir = mkdtempSync(join(tmp, 'case-'));
      const result = await nginxTest(
        await materialise(readFileSync(golden(c.name), 'utf8'), models.get(c.name)!, dir),
      );
      expect(result.output).toContain('test is successful');
      expect(result.ok).toBe(true);
    });
  }

  it('examples.conf serves every good example ingress and none of the bad or foreign ones', () => {
    const text = readFileSync(golden('examples.conf'), 'utf8');
    const names = parseNginxConfig(text).flatMap(function walk(d): string[] {
      return [...(d.name === 'server_name' ? d.args : []), ...(d.block ?? []).flatMap(walk)];
    });
    expect([...new Set(names)].sort()).toEqual([
      'payments.example.test',
      'secure.example.test',
      'shop.example.test',
    ]);
    const model = models.get('examples.conf')!;
    expect(model.skipped.map((s) => `${s.namespace}/${s.name}`)).toEqual(['shop/broken-allow']);
    expect(model.warnings).toEqual([]);
    expect(model.servedIngresses.map((s) => `${s.namespace}/${s.name}:${s.lbScheme ?? ''}`)).toEqual([
      'payments/api:internal',
      'payments/secure:internet-facing',
      'shop/catalogue:internal',
      'shop/storefront:internet-facing',
    ]);
  });

  it('examples-proxy-protocol.conf keeps only the selected namespace', () => {
    const model = models.get('examples-proxy-protocol.conf')!;
    expect(model.servedIngresses.map((s) => s.namespace)).toEqual(['shop', 'shop']);
    expect(model.tlsFiles).toEqual([]);
  });
});
