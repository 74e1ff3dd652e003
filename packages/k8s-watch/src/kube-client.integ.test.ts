import { describe, expect, it } from '@jest/globals';
import { isTerminal } from '@kube-edge/runtime';
import { startApiServer } from '@kube-edge/testkit';
import { KubeApiError, createKubeClient } from './kube-client.js';

describe('KubeApiError from the testkit API server', () => {
  it.each([
    [403, 'Forbidden', true],
    [422, 'Invalid', true],
    [409, 'Conflict', false],
    [429, 'TooManyRequests', false],
    [503, 'ServiceUnavailable', false],
  ])(
    'is what a real %i answer of the API server rejects with (reason %s, terminal %p)',
    async (status, reason, terminal) => {
      const api = await startApiServer();
      try {
        const client = createKubeClient({ kubeConfig: api.makeKubeConfig() });
        api.faults.failNext(1, status, { pathIncludes: '/configmaps' });
        const err = await client.request({ path: '/api/v1/namespaces/default/configmaps' }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(KubeApiError);
        expect(err).toMatchObject({ statusCode: status, reason });
        expect(isTerminal(err)).toBe(terminal);
      } finally {
        await api.close();
      }
    },
  );
});
