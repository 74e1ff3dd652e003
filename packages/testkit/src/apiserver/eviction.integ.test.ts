import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { call } from '../../test/apiserver/helpers.js';
import { startApiServer } from './server.js';
import type { ApiServer } from './types.js';

let server: ApiServer;
const POD = { apiVersion: 'v1', kind: 'Pod', spec: { containers: [{ name: 'c', image: 'x' }] } };
const eviction = (name: string, apiVersion = 'policy/v1'): string =>
  JSON.stringify({ apiVersion, kind: 'Eviction', metadata: { name, namespace: 'default' } });

beforeAll(async () => {
  server = await startApiServer();
});
afterAll(async () => {
  await server.close();
});

describe('pods/eviction', () => {
  it('deletes the pod and answers 201 Success (policy/v1 and v1beta1)', async () => {
    for (const [name, version] of [
      ['a', 'policy/v1'],
      ['b', 'policy/v1beta1'],
    ] as const) {
      server.store.create({ ...POD, metadata: { name, namespace: 'default' } });
      const r = await call(server.url, 'POST', `/api/v1/namespaces/default/pods/${name}/eviction`, {
        body: eviction(name, version),
      });
      expect(r.status).toBe(201);
      expect(r.body.status).toBe('Success');
      expect(server.store.get('v1', 'Pod', 'default', name)).toBeUndefined();
    }
  });

  it('answers 404 for a missing pod and 400 for a body that is not a matching Eviction', async () => {
    server.store.create({ ...POD, metadata: { name: 'c', namespace: 'default' } });
    const missing = await call(server.url, 'POST', '/api/v1/namespaces/default/pods/nope/eviction', {
      body: eviction('nope'),
    });
    expect(missing.status).toBe(404);
    const wrong = await call(server.url, 'POST', '/api/v1/namespaces/default/pods/c/eviction', {
      body: eviction('other'),
    });
    expect(wrong.status).toBe(400);
    const get = await call(server.url, 'GET', '/api/v1/namespaces/default/pods/c/eviction');
    expect(get.status).toBe(405);
    expect(server.store.get('v1', 'Pod', 'default', 'c')).toBeDefined();
  });

  it('marks a pod with finalizers as terminating instead of removing it', async () => {
    server.store.create({
      ...POD,
      metadata: { name: 'd', namespace: 'default', finalizers: ['example.com/x'] },
    });
    const r = await call(server.url, 'POST', '/api/v1/namespaces/default/pods/d/eviction', {
      body: eviction('d'),
    });
    expect(r.status).toBe(201);
    expect(server.store.get('v1', 'Pod', 'default', 'd')?.metadata.deletionTimestamp).toBeDefined();
  });
});
