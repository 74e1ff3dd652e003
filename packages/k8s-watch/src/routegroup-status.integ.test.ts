import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ROUTEGROUP_CRD_FILE, startApiServer, type ApiServer, type KubeObject } from '@kube-edge/testkit';
import { createIngressStatusWriter } from './ingress-status-writer.js';
import { createKubeClient, type KubeClient } from './kube-client.js';

interface RouteGroupObj extends KubeObject {
  status?: { loadBalancer?: { routegroup?: { hostname?: string }[]; ingress?: unknown } };
}

describe('the status writer on another resource and field (RouteGroups)', () => {
  let server: ApiServer;
  let client: KubeClient;
  beforeAll(async () => {
    server = await startApiServer();
    server.store.loadYaml(ROUTEGROUP_CRD_FILE);
    client = createKubeClient({ kubeConfig: server.makeKubeConfig() });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('writes status.loadBalancer.routegroup of a RouteGroup, then finds it unchanged', async () => {
    server.store.create({
      apiVersion: 'zalando.org/v1',
      kind: 'RouteGroup',
      metadata: { name: 'shop', namespace: 'default' },
      spec: { hosts: ['shop.example.org'] },
    });
    const w = createIngressStatusWriter({
      client,
      resource: { apiVersion: 'zalando.org/v1', plural: 'routegroups', kind: 'RouteGroup' },
      statusField: 'routegroup',
    });
    await expect(w.write('default', 'shop', [{ hostname: 'lb.example.org' }])).resolves.toBe('updated');
    const stored = server.store.get<RouteGroupObj>('zalando.org/v1', 'RouteGroup', 'default', 'shop');
    expect(stored?.status?.loadBalancer).toEqual({ routegroup: [{ hostname: 'lb.example.org' }] });
    await expect(w.write('default', 'shop', [{ hostname: 'lb.example.org' }])).resolves.toBe('unchanged');
  });
});
