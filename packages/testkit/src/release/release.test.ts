import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { checkChart, checkTemplate } from './chart.js';
import { lintDockerfile } from './dockerfile.js';
import { validateManifests } from './manifests.js';

const goodDockerfile = `# syntax=docker/dockerfile:1
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY . .
RUN corepack disable && npm install -g pnpm@10.34.9 \\
    && pnpm install --frozen-lockfile
FROM node:24-bookworm-slim AS runtime
COPY --from=build /src/dist /app
USER 10001:10001
ENTRYPOINT ["node", "/app/main.js"]
`;

describe('lintDockerfile', () => {
  it('passes a multi-stage Node 24 image that runs as a non-root user', () => {
    expect(lintDockerfile(goodDockerfile)).toEqual([]);
  });

  it.each([
    ['a single stage', 'FROM node:24\nUSER 1000\n', 'multi-stage'],
    ['an unpinned base image', 'FROM node AS b\nFROM debian:12\nUSER 1000\n', 'node is not pinned'],
    ['a latest tag', 'FROM node:24 AS b\nFROM debian:latest\nUSER 1000\n', 'debian:latest is not pinned'],
    ['another Node major', 'FROM node:20 AS b\nFROM node:24\nUSER 1000\n', 'is not Node 24'],
    [
      'another Node major from a qualified name',
      'FROM docker.io/library/node:22 AS b\nFROM node:24\nUSER 1000\n',
      'is not Node 24',
    ],
    [
      'an untagged image from a registry with a port',
      'FROM localhost:5000/node AS b\nFROM node:24\nUSER 1000\n',
      'localhost:5000/node is not pinned',
    ],
    ['a root final stage', 'FROM node:24 AS b\nUSER 1000\nFROM node:24\nUSER root\n', 'non-root USER'],
    ['no USER in the final stage', 'FROM node:24 AS b\nUSER 1000\nFROM node:24\n', 'non-root USER'],
    [
      'ADD of a URL',
      'FROM node:24 AS b\nADD https://example.com/x /x\nFROM node:24\nUSER 1\n',
      'ADD of a URL',
    ],
    ['an unknown instruction', 'FROM node:24 AS b\nFROBNICATE x\nFROM node:24\nUSER 1\n', 'FROBNICATE'],
  ])('reports %s', (_name, text, expected) => {
    const messages = lintDockerfile(text)
      .map((p) => p.message)
      .join('\n');
    expect(messages).toContain(expected);
  });
});

describe('checkChart', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chart-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function writeChart(name: string, files: Record<string, string>): Promise<string> {
    const root = join(dir, name);
    await mkdir(join(root, 'templates'), { recursive: true });
    for (const [f, text] of Object.entries(files)) await writeFile(join(root, f), text);
    return root;
  }

  const schema = JSON.stringify({
    type: 'object',
    required: ['replicas', 'image'],
    properties: {
      replicas: { type: 'integer', minimum: 1 },
      image: { type: 'object', properties: { tag: { type: 'string' } } },
    },
  });
  const base = {
    'Chart.yaml': 'apiVersion: v2\nname: demo\nversion: 0.1.0\nappVersion: "0.1.0"\n',
    'values.yaml': 'replicas: 2\nimage:\n  tag: "0.1.0"\n',
    'values.schema.json': schema,
    'templates/_helpers.tpl': '{{- define "demo.name" -}}demo{{- end }}\n',
    'templates/deployment.yaml':
      'kind: Deployment\nmetadata:\n  name: {{ include "demo.name" . }}\nspec:\n  replicas: {{ .Values.replicas }}\n' +
      '{{- if .Values.image.tag }}\n  image: x:{{ .Values.image.tag }}\n{{- end }}\n',
  };

  it('passes a consistent chart', async () => {
    expect(await checkChart(await writeChart('good', base))).toEqual([]);
  });

  it('reports values that break the schema, unknown value references, undefined includes and open blocks', async () => {
    const root = await writeChart('bad', {
      ...base,
      'values.yaml': 'replicas: 0\nimage:\n  tag: 3\n',
      'templates/deployment.yaml':
        'name: {{ include "demo.fullname" . }}\nreplicas: {{ .Values.replicaCount }}\n{{- if .Values.image.tag }}\nx: 1\n',
    });
    const messages = (await checkChart(root)).map((p) => `${p.file}: ${p.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        'values.yaml: /replicas must be >= 1',
        'values.yaml: /image/tag must be string',
        'templates/deployment.yaml: .Values.replicaCount is not in values.yaml',
        'templates/deployment.yaml: includes undefined template "demo.fullname"',
        'templates/deployment.yaml: unclosed blocks: if',
      ]),
    );
  });

  it('reports unbalanced actions in a template', () => {
    expect(checkTemplate('t.yaml', 'a: {{ .Values.a }\n', { a: 1 })[0]?.message).toContain(
      'unbalanced actions',
    );
  });
});

describe('validateManifests', () => {
  it('accepts valid objects and reports schema violations and unknown kinds', async () => {
    const problems = await validateManifests(
      [
        {
          where: 'ok',
          object: {
            apiVersion: 'networking.k8s.io/v1',
            kind: 'Ingress',
            metadata: { name: 'a' },
            spec: { rules: [{ host: 'a.example.com' }] },
          },
        },
        {
          where: 'bad-type',
          object: { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: 'eighty' } },
        },
        {
          where: 'unknown',
          object: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } },
        },
        {
          where: 'allowed',
          object: { apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g' } },
        },
      ],
      { allowKinds: ['example.com/v1/Gadget'] },
    );
    expect(problems.map((p) => p.where)).toEqual(['bad-type', 'unknown']);
    expect(problems[1]?.message).toBe('unknown kind example.com/v1/Widget');
  });
});
