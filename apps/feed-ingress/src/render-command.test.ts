import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ManifestError } from '@kube-edge/k8s-watch';
import { parseNginxConfig } from '@kube-edge/nginx-render';
import { defaultFeedModelConfig } from './model/config.js';
import { runRenderCommand } from './render-command.js';

const examples = fileURLToPath(new URL('../../../examples/feed-ingress', import.meta.url));
const config = defaultFeedModelConfig({
  ingressClass: 'internal',
  ingressPort: 8080,
  ingressHttpsPort: 8443,
});

async function render(files: string[]): Promise<{ code: number; text: string; warnings: string[] }> {
  let text = '';
  const warnings: string[] = [];
  const code = await runRenderCommand({
    files,
    config,
    out: (t) => (text += t),
    warn: (l) => warnings.push(l),
  });
  return { code, text, warnings };
}

describe('runRenderCommand', () => {
  it('prints the nginx.conf for the examples and lists the bad ingress as skipped with its reason', async () => {
    const { code, text } = await render([examples]);
    expect(code).toBe(0);
    expect(text).toContain('server_name shop.example.test;');
    expect(text).toContain('server_name secure.example.test;');
    expect(text).not.toContain('server_name broken.example.test;');
    expect(text).not.toContain('www.example.test');
    expect(text).toMatch(
      /# {3}Ingress shop\/broken-allow: sky\.uk\/allow: entry "not-an-ip": not an IP or CIDR; none of its paths are served/,
    );
    expect(text).toContain('# skipped: 1\n');
  });

  it('prints output that is still a syntactically valid nginx.conf (the report is comments)', async () => {
    const { text } = await render([examples]);
    expect(() => parseNginxConfig(text)).not.toThrow();
  });

  it('lists TLS file paths but never their content', async () => {
    const { text } = await render([examples]);
    expect(text).toMatch(/# {3}\/nginx\/tls\/payments_secure-example-tls_[0-9a-f]{16}\.key/);
    expect(text).not.toContain('PRIVATE KEY');
  });

  it('reads single files as well as directories', async () => {
    const { text } = await render([`${examples}/bad-ingress.yaml`]);
    // Only the bad ingress, without its service: still reported, nothing served.
    expect(text).toContain('Ingress shop/broken-allow: sky.uk/allow');
    expect(text).not.toContain('server_name');
  });

  it('rejects naming the file when a manifest does not parse', async () => {
    await expect(render(['/nonexistent/feed-ingress/manifests.yaml'])).rejects.toThrow(/nonexistent/);
  });
});

describe('runRenderCommand: manifests it cannot use', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'feed-render-'));
    await writeFile(
      join(dir, 'odd.yaml'),
      [
        'replicaCount: 3',
        'apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: old, namespace: shop}',
        'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}',
      ].join('\n---\n'),
    );
    await writeFile(join(dir, 'bad.yaml'), 'apiVersion: v1\nkind: Service\nmetadata: {name: [x\n');
    await writeFile(
      join(dir, 'noname.yaml'),
      'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {namespace: shop}\n',
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reports non-Kubernetes documents, unknown apiVersions and kinds by file and document, and still renders', async () => {
    const { code, text, warnings } = await render([join(dir, 'odd.yaml')]);
    expect(code).toBe(0);
    expect(text).toContain('# feed-ingress render');
    expect(warnings).toEqual([
      `warning: ${join(dir, 'odd.yaml')}: document 1: not a Kubernetes object (no apiVersion or kind): ignored`,
      `warning: ${join(dir, 'odd.yaml')}: document 2: Ingress shop/old: apiVersion extensions/v1beta1 is not read (only networking.k8s.io/v1): ignored`,
      `warning: ${join(dir, 'odd.yaml')}: document 3: Deployment web (apps/v1): kind not read by this command: ignored`,
    ]);
  });

  it('rejects with one line naming the file and document for unparseable YAML and an Ingress without a name', async () => {
    for (const [file, doc] of [
      ['bad.yaml', /bad\.yaml: document 1: not valid YAML or JSON: /],
      ['noname.yaml', /noname\.yaml: document 1: Ingress \(networking\.k8s\.io\/v1\) has no metadata\.name$/],
    ] as const) {
      const err = await render([join(dir, file)]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ManifestError);
      expect((err as Error).message).toMatch(doc);
      expect((err as Error).message).not.toContain('\n');
    }
  });
});
