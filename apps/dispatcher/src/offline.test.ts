import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { config } from '../test/fixtures.js';
import { prepareForRender, runRenderCommand } from './offline.js';
import type { PodObject, SecretObject } from './model/types.js';

describe('prepareForRender', () => {
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop' },
    spec: {
      template: {
        metadata: { labels: { a: 'b' }, annotations: { x: 'y' } },
        spec: { containers: [{ name: 'c', ports: [{ containerPort: 3000 }] }] },
      },
    },
  };

  it('turns a workload template into one running, ready pod with a TEST-NET address', () => {
    const [pod] = prepareForRender([deployment]) as PodObject[];
    expect(pod).toMatchObject({
      kind: 'Pod',
      metadata: { name: 'web-template', namespace: 'shop', labels: { a: 'b' }, annotations: { x: 'y' } },
      spec: { containers: [{ name: 'c' }] },
      status: { phase: 'Running', podIP: '192.0.2.1', conditions: [{ type: 'Ready', status: 'True' }] },
    });
  });

  it("keeps a pod's own status and numbers status-less pods in namespace/name order", () => {
    const pods = prepareForRender([
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'b', namespace: 'x' } },
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', namespace: 'x' } },
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'live', namespace: 'x' },
        status: { phase: 'Pending', podIP: '10.0.0.9' },
      } as PodObject,
    ]) as PodObject[];
    expect(pods.map((p) => [p.metadata?.name, p.status?.podIP, p.status?.phase])).toEqual([
      ['a', '192.0.2.1', 'Running'],
      ['b', '192.0.2.2', 'Running'],
      ['live', '10.0.0.9', 'Pending'],
    ]);
  });

  it("merges a Secret's stringData into data as base64, leaving the input untouched", () => {
    const input = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'routing', namespace: 'x' },
      data: { a: 'QQ==' },
      stringData: { 'api-key': 'supersecret' },
    };
    const [s] = prepareForRender([input]) as SecretObject[];
    expect(s!.data).toEqual({ a: 'QQ==', 'api-key': 'c3VwZXJzZWNyZXQ=' });
    expect(input.stringData).toEqual({ 'api-key': 'supersecret' });
  });
});

describe('runRenderCommand (dispatcher render)', () => {
  const examples = fileURLToPath(new URL('../../../examples/dispatcher/', import.meta.url));
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dispatcher-render-'));
    await writeFile(
      join(dir, 'odd.yaml'),
      ['just text', 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web}'].join('\n---\n'),
    );
    await writeFile(join(dir, 'bad.yaml'), 'kind: Pod\nmetadata: {name: [x\n');
    await writeFile(join(dir, 'noname.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata: {namespace: shop}\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function render(files: string[]) {
    let out = '';
    let err = '';
    const code = await runRenderCommand({
      config: config(),
      files,
      out: (t) => (out += t),
      err: (t) => (err += t),
    });
    return { code, out, err };
  }

  it('renders the examples with exit 0', async () => {
    const r = await render([join(examples, 'app.yaml')]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('server {');
  });

  it('reports documents it does not read by file and document on stderr, and still renders (exit 0)', async () => {
    const r = await render([join(examples, 'app.yaml'), join(dir, 'odd.yaml')]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('server {');
    expect(r.err).toContain(
      `dispatcher render: warning: ${join(dir, 'odd.yaml')}: document 1: not a Kubernetes object (a string, not a mapping): ignored\n`,
    );
    expect(r.err).toContain(
      `dispatcher render: warning: ${join(dir, 'odd.yaml')}: document 2: Ingress web (networking.k8s.io/v1): kind not read by this command: ignored\n`,
    );
  });

  it.each([
    ['missing.yaml', /missing\.yaml: no such file or directory/],
    ['bad.yaml', /bad\.yaml: document 1: not valid YAML or JSON: /],
    ['noname.yaml', /noname\.yaml: document 1: Pod \(v1\) has no metadata\.name/],
  ])('%s: one line naming the file on stderr, nothing on stdout, exit 1', async (file, message) => {
    const r = await render([join(dir, file)]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(message);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).not.toMatch(/^\s+at /m);
  });
});
