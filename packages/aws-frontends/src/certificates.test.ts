import { describe, expect, it } from '@jest/globals';
import { ACMClient } from '@aws-sdk/client-acm';
import { TransientError, createFakeClock } from '@kube-edge/runtime';
import { createFakeAws } from '@kube-edge/testkit';
import {
  LOAD_BALANCER_KEY_TYPES,
  createCertificateCache,
  findBestCertificate,
  findBestCertificates,
  hostMatchesPattern,
  listCertificates,
  type CertificateSummary,
} from './certificates.js';

const DAY = 24 * 60 * 60 * 1000;
const NOW = new Date('2025-06-01T00:00:00Z');

function cert(arn: string, names: string[], fromDays: number, toDays: number): CertificateSummary {
  return {
    arn,
    domainNames: names,
    notBefore: new Date(NOW.getTime() + fromDays * DAY),
    notAfter: new Date(NOW.getTime() + toDays * DAY),
    source: 'acm',
  };
}

describe('hostMatchesPattern', () => {
  it.each([
    ['example.org', 'example.org', true],
    ['example.org', 'EXAMPLE.org', true],
    ['Example.ORG', 'example.org', true],
    ['example.org', 'www.example.org', false],
    ['*.example.org', 'foo.example.org', true],
    ['*.example.org', 'FOO.Example.org', true],
    ['*.example.org', 'a.b.example.org', false],
    ['*.example.org', 'example.org', false],
    ['*.example.org', '.example.org', false],
    ['*.example.org', 'fooexample.org', false],
    // the original matched a dotless host against every wildcard
    ['*.example.org', 'localhost', false],
    ['*.example.org', 'other.com', false],
    ['*', 'anything.example.org', true],
    ['*', '', false],
    ['', '', false],
    ['', 'example.org', false],
    ['*foo.example.org', 'afoo.example.org', false],
    ['www.*.example.org', 'www.a.example.org', false],
    ['example.org.', 'example.org', true],
  ])('%j covers %j: %s', (pattern, host, expected) => {
    expect(hostMatchesPattern(pattern, host)).toBe(expected);
  });
});

describe('findBestCertificate', () => {
  const cases: { name: string; certs: CertificateSummary[]; host: string; want: string | undefined }[] = [
    {
      name: 'no certificates: no match',
      certs: [],
      host: 'a.example.org',
      want: undefined,
    },
    {
      name: 'the longest matching name wins',
      certs: [cert('wild', ['*.example.org'], -10, 100), cert('exact', ['www.example.org'], -10, 100)],
      host: 'www.example.org',
      want: 'exact',
    },
    {
      name: 'order does not matter (longest still wins when listed first)',
      certs: [cert('exact', ['www.example.org'], -10, 100), cert('wild', ['*.example.org'], -10, 100)],
      host: 'www.example.org',
      want: 'exact',
    },
    {
      name: 'a certificate that expires within 7 days loses to one that does not, even with a longer name',
      certs: [cert('exact-soon', ['www.example.org'], -10, 6), cert('wild', ['*.example.org'], -10, 100)],
      host: 'www.example.org',
      want: 'wild',
    },
    {
      name: 'the 7-day rule when the expiring one is listed last',
      certs: [cert('wild', ['*.example.org'], -10, 100), cert('exact-soon', ['www.example.org'], -10, 6)],
      host: 'www.example.org',
      want: 'wild',
    },
    {
      name: 'an expiring certificate is still used when it is the only match',
      certs: [cert('soon', ['www.example.org'], -10, 2)],
      host: 'www.example.org',
      want: 'soon',
    },
    {
      name: 'expired and not-yet-valid certificates are never used',
      certs: [cert('expired', ['www.example.org'], -100, -1), cert('future', ['www.example.org'], 1, 100)],
      host: 'www.example.org',
      want: undefined,
    },
    {
      name: 'equal names: the newer healthy certificate wins',
      certs: [cert('old', ['www.example.org'], -100, 100), cert('new', ['www.example.org'], -1, 50)],
      host: 'www.example.org',
      want: 'new',
    },
    {
      name: 'equal names, same issue date: the one valid longer wins',
      certs: [cert('short', ['www.example.org'], -10, 30), cert('long', ['www.example.org'], -10, 60)],
      host: 'www.example.org',
      want: 'long',
    },
    {
      name: 'equal names, both expiring soon: the one valid longer wins',
      certs: [cert('a', ['www.example.org'], -1, 2), cert('b', ['www.example.org'], -100, 5)],
      host: 'www.example.org',
      want: 'b',
    },
    {
      name: 'a newer certificate expiring soon loses to an older healthy one',
      certs: [cert('old', ['www.example.org'], -100, 100), cert('new-soon', ['www.example.org'], -1, 3)],
      host: 'www.example.org',
      want: 'old',
    },
    {
      name: 'identical validity: the lowest ARN (deterministic)',
      certs: [cert('b', ['www.example.org'], -10, 100), cert('a', ['www.example.org'], -10, 100)],
      host: 'www.example.org',
      want: 'a',
    },
    {
      name: 'a subject alternative name matches',
      certs: [cert('san', ['example.com', '*.example.org'], -10, 100)],
      host: 'api.example.org',
      want: 'san',
    },
    {
      name: 'a wildcard covers one label only',
      certs: [cert('wild', ['*.example.org'], -10, 100)],
      host: 'a.b.example.org',
      want: undefined,
    },
    {
      name: 'a dotless host matches no wildcard',
      certs: [cert('wild', ['*.example.org'], -10, 100)],
      host: 'localhost',
      want: undefined,
    },
  ];
  it.each(cases)('$name', ({ certs, host, want }) => {
    expect(findBestCertificate(certs, host, NOW)?.arn).toBe(want);
  });
});

describe('findBestCertificates', () => {
  it('returns the union of the best certificates, sorted by ARN, and the hosts without one', () => {
    const certs = [cert('arn:b', ['*.example.org'], -10, 100), cert('arn:a', ['www.example.com'], -10, 100)];
    const got = findBestCertificates(
      certs,
      ['x.example.org', 'www.example.com', 'y.example.org', 'nope.net'],
      NOW,
    );
    expect(got.certificates.map((c) => c.arn)).toEqual(['arn:a', 'arn:b']);
    expect(got.unmatched).toEqual(['nope.net']);
  });

  it('is empty when no host matches', () => {
    expect(findBestCertificates([cert('a', ['a.org'], -1, 10)], ['b.org'], NOW)).toEqual({
      certificates: [],
      unmatched: ['b.org'],
    });
  });
});

describe('createCertificateCache', () => {
  it('requires the first load: certificates() throws before it and start() rejects when it fails', async () => {
    const cache = createCertificateCache({
      load: () => Promise.reject(new Error('AccessDenied')),
      clock: createFakeClock(),
    });
    expect(() => cache.certificates()).toThrow(TransientError);
    await expect(cache.start()).rejects.toThrow(/AccessDenied/);
    expect(() => cache.certificates()).toThrow(TransientError);
  });

  it('refreshes periodically, keeps the last good list on error, and drops blacklisted ARNs', async () => {
    const clock = createFakeClock(NOW.getTime());
    let answer: () => Promise<CertificateSummary[]> = () =>
      Promise.resolve([cert('a', ['a.org'], -1, 10), cert('banned', ['b.org'], -1, 10)]);
    let loads = 0;
    const cache = createCertificateCache({
      load: () => {
        loads += 1;
        return answer();
      },
      blacklist: ['banned'],
      refreshIntervalMs: 60_000,
      clock,
    });
    await cache.start();
    expect(cache.certificates().map((c) => c.arn)).toEqual(['a']);
    expect(cache.get('a')?.arn).toBe('a');
    expect(cache.get('banned')).toBeUndefined();

    answer = () => Promise.reject(new Error('Throttling'));
    await cache.refresh();
    expect(cache.certificates().map((c) => c.arn)).toEqual(['a']);
    expect(String(cache.lastError())).toMatch(/Throttling/);

    answer = () => Promise.resolve([cert('c', ['c.org'], -1, 10)]);
    const before = loads;
    await clock.advance(60_000);
    await cache.refresh(); // joins or follows the timer's refresh; either way the new list is in
    expect(loads).toBeGreaterThan(before);
    expect(cache.certificates().map((c) => c.arn)).toEqual(['c']);
    expect(cache.lastError()).toBeUndefined();
    cache.stop();
  });
});

describe('listCertificates on the ACM fake', () => {
  it('lists the RSA and ECDSA certificates a load balancer accepts (ACM lists only RSA_2048 unless asked), ISSUED only', async () => {
    const aws = await createFakeAws({ now: () => NOW.getTime() });
    const acm = new ACMClient(aws.clientConfig());
    try {
      const arnOf = (domainName: string, keyAlgorithm: string, status?: 'ISSUED' | 'EXPIRED'): string =>
        aws.acm.addCertificate({ domainName, keyAlgorithm, ...(status === undefined ? {} : { status }) }).arn;
      const rsa = arnOf('rsa.example.org', 'RSA_2048');
      const rsa4k = arnOf('rsa4k.example.org', 'RSA_4096');
      const p256 = arnOf('ec.example.org', 'EC_prime256v1');
      const p384 = arnOf('ec384.example.org', 'EC_secp384r1');
      const p521 = arnOf('ec521.example.org', 'EC_secp521r1');
      arnOf('old.example.org', 'EC_prime256v1', 'EXPIRED');
      const listed = await listCertificates({ acm });
      expect(listed.map((c) => c.arn)).toEqual([rsa, rsa4k, p256, p384, p521].sort());
      // The ECDSA certificate is the best match for its host.
      expect(findBestCertificate(listed, 'ec.example.org', NOW)?.arn).toBe(p256);
      // What ACM answers without the key types: the RSA_2048 one only.
      expect((await listCertificates({ acm, keyTypes: ['RSA_2048'] })).map((c) => c.arn)).toEqual([rsa]);
      expect(LOAD_BALANCER_KEY_TYPES).toEqual(
        expect.arrayContaining(['RSA_2048', 'EC_prime256v1', 'EC_secp384r1', 'EC_secp521r1']),
      );
    } finally {
      acm.destroy();
      await aws.close();
    }
  });
});
