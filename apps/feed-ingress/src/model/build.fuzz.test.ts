import { describe, expect, it } from '@jest/globals';
import { renderNginxConfig, validateConfig } from '@kube-edge/nginx-render';
import { ANNOTATIONS } from './annotations.js';
import { buildFeedModel } from './build.js';
import { defaultFeedModelConfig } from './config.js';
import { ingress, ingressPath, ingressRule, service } from '../../test/fixtures.js';
import { mulberry32 } from '@kube-edge/testkit';

const NASTY = [
  '',
  '/',
  'a',
  '-',
  '.',
  '*',
  ';',
  '{',
  '}',
  '"',
  "'",
  '$',
  '\\',
  ' ',
  '\n',
  '\t',
  '#',
  '%',
  '%2',
  '%41',
  ':',
  '@',
  ',',
  '0',
  '9',
  '/..',
  'é',
  '\u0000',
  'x'.repeat(70),
];
const SEED = Number(process.env.FUZZ_SEED ?? 20261121);
const CASES = Number(process.env.FUZZ_CASES ?? 300);

describe('model fuzz: no user string reaches nginx unvalidated', () => {
  it(`every random ingress set gives a model nginx-render accepts (seed ${SEED}, ${CASES} cases)`, () => {
    const rand = mulberry32(SEED);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const str = (): string => Array.from({ length: Math.floor(rand() * 4) }, () => pick(NASTY)).join('');
    const annotationNames = Object.values(ANNOTATIONS).filter((n) => n !== ANNOTATIONS.ingressClass);
    const config = defaultFeedModelConfig({
      ingressClass: 'test',
      ingressPort: 8080,
      ingressHttpsPort: 8443,
    });
    for (let c = 0; c < CASES; c++) {
      const ingresses = Array.from({ length: 1 + Math.floor(rand() * 4) }, (_, i) => {
        const annotations: Record<string, string> = { 'kubernetes.io/ingress.class': 'test' };
        for (const name of annotationNames)
          if (rand() < 0.3) annotations[name] = rand() < 0.5 ? str() : String(Math.floor(rand() * 100));
        const host = rand() < 0.5 ? `h${i}.example.com` : `${str()}.example.com`;
        const path = rand() < 0.3 ? `/p${i}` : str();
        const pathType = pick(['Exact', 'Prefix', 'ImplementationSpecific']);
        return ingress({
          name: `i${i}`,
          annotations,
          rules: [ingressRule(host, [ingressPath(path, 'web', pick([80, 0, 65536, -1, 8080]), pathType)])],
        });
      });
      const model = buildFeedModel(
        {
          ingresses,
          services: [
            service('default', 'web', pick(['10.0.0.1', 'None', '', 'fd00::1', '1.2.3.4; x']), [80, 8080]),
          ],
          namespaces: [],
          ingressClasses: [],
          secrets: [],
        },
        config,
      );
      const issues = validateConfig(model.nginx);
      if (issues.length > 0)
        throw new Error(`seed ${SEED} case ${c}: ${JSON.stringify(issues)} for ${JSON.stringify(ingresses)}`);
      expect(() => renderNginxConfig(model.nginx)).not.toThrow();
      // Every adopted ingress is either served or has a reason.
      const explained = new Set([
        ...model.servedIngresses.map((s) => s.name),
        ...model.skipped.map((s) => s.name),
      ]);
      for (const ing of ingresses) expect(explained.has(ing.metadata?.name ?? '')).toBe(true);
    }
  });
});
