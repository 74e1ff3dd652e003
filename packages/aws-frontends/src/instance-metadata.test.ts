import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { ConfigError, TransientError } from '@kube-edge/runtime';
import { createFakeImds, type FakeImds } from '@kube-edge/testkit';
import { createInstanceMetadataClient, resolveRegion } from './instance-metadata.js';
import { rejectionOf } from '../test/support.js';

let imds: FakeImds;

beforeAll(async () => {
  imds = await createFakeImds({
    identity: {
      instanceId: 'i-0aaaaaaaaaaaaaaa1',
      privateIp: '10.1.2.3',
      region: 'us-east-2',
      availabilityZone: 'us-east-2b',
    },
  });
});

afterAll(async () => {
  await imds.close();
});

beforeEach(() => {
  imds.delay(0);
  imds.failNext(0);
});

describe('createInstanceMetadataClient', () => {
  it('reads instance id, private IP, region and zone with an IMDSv2 token, and caches the document', async () => {
    const client = createInstanceMetadataClient({ baseUrl: imds.url });
    const before = imds.calls().length;
    const [a, b] = await Promise.all([client.identity(), client.identity()]);
    const c = await client.identity();
    expect(a).toEqual({
      instanceId: 'i-0aaaaaaaaaaaaaaa1',
      privateIp: '10.1.2.3',
      region: 'us-east-2',
      availabilityZone: 'us-east-2b',
    });
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(imds.calls().slice(before)).toEqual([
      'PUT /latest/api/token',
      'GET /latest/dynamic/instance-identity/document',
    ]);
  });

  it('rejects with TransientError on an HTTP error and does not cache the failure', async () => {
    const client = createInstanceMetadataClient({ baseUrl: `${imds.url}/` });
    imds.failNext(1, 503);
    const err = await rejectionOf(client.identity());
    expect(err).toBeInstanceOf(TransientError);
    expect((err as TransientError).code).toBe('IMDS_HTTP_ERROR');
    expect((await client.identity()).instanceId).toBe('i-0aaaaaaaaaaaaaaa1');
  });

  it('gives up after the timeout when the endpoint does not answer', async () => {
    const client = createInstanceMetadataClient({ baseUrl: imds.url, timeoutMs: 150 });
    imds.delay(60_000);
    const started = Date.now();
    const err = await rejectionOf(client.identity());
    expect(err).toBeInstanceOf(TransientError);
    expect((err as TransientError).code).toBe('IMDS_UNREACHABLE');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('rejects with TransientError when nothing listens', async () => {
    const client = createInstanceMetadataClient({ baseUrl: 'http://127.0.0.1:1', timeoutMs: 500 });
    expect(await rejectionOf(client.identity())).toBeInstanceOf(TransientError);
  });

  it('refuses a token TTL outside 1..21600 at construction', () => {
    expect(() => createInstanceMetadataClient({ tokenTtlSeconds: 0 })).toThrow(ConfigError);
    expect(() => createInstanceMetadataClient({ tokenTtlSeconds: 21601 })).toThrow(ConfigError);
  });
});

describe('resolveRegion', () => {
  it('prefers a configured region and otherwise asks the instance', async () => {
    const client = createInstanceMetadataClient({ baseUrl: imds.url });
    expect(await resolveRegion(' eu-central-1 ', client)).toBe('eu-central-1');
    expect(await resolveRegion('', client)).toBe('us-east-2');
    expect(await resolveRegion(undefined, client)).toBe('us-east-2');
  });
});
