import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { parseNginxConfig } from '@kube-edge/nginx-render';
import { defaultFeedModelConfig } from './model/config.js';
import { runRenderCommand } from './render-command.js';

const examples = fileURLToPath(new URL('../../../examples/feed-ingress', import.meta.url));
const config = defaultFeedModelConfig({
  ingressClass: 'internal',
  ingressPort: 8080,
  ingressHttpsPort: 8443,
});

async function render(files: string[]): Promise<{ code: number; text: string }> {
  let text = '';
  const code = await runRenderCommand({ files, config, out: (t) => (text += t) });
  return { code, text };
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
