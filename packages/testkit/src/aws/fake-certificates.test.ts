import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ACMClient,
  DescribeCertificateCommand,
  GetCertificateCommand,
  InvalidArnException,
  ListCertificatesCommand,
  ListTagsForCertificateCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-acm';
import {
  GetServerCertificateCommand,
  IAMClient,
  ListServerCertificatesCommand,
  ListServerCertificateTagsCommand,
  NoSuchEntityException,
} from '@aws-sdk/client-iam';
import { makeTestCertificate } from '../net/certificates.js';
import { createFakeAws, type FakeAws } from './fake-aws.js';

const NOW = Date.UTC(2026, 5, 1);
const DAY = 86_400_000;

let fake: FakeAws;
let acm: ACMClient;
let iam: IAMClient;

beforeAll(async () => {
  fake = await createFakeAws({ now: () => NOW });
  acm = new ACMClient(fake.clientConfig());
  iam = new IAMClient(fake.clientConfig());
});

afterAll(async () => {
  acm.destroy();
  iam.destroy();
  await fake.close();
});

function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
}

describe('fake ACM behind the real SDK client', () => {
  it('keeps a seeded ARN (one an example pins)', async () => {
    const arn = 'arn:aws:acm:eu-west-1:123456789012:certificate/22222222-2222-2222-2222-222222222222';
    expect(fake.acm.addCertificate({ domainName: 'pinned.example.org', arn }).arn).toBe(arn);
    const out = await acm.send(new DescribeCertificateCommand({ CertificateArn: arn }));
    expect(out.Certificate?.DomainName).toBe('pinned.example.org');
    fake.acm.deleteCertificate(arn);
  });

  it('lists by status (RSA_2048 only unless key types are asked for) and describes SANs and validity', async () => {
    const issued = fake.acm.addCertificate({
      domainName: '*.example.org',
      subjectAlternativeNames: ['*.example.org', 'example.org'],
      notBefore: new Date(NOW - DAY),
      notAfter: new Date(NOW + 90 * DAY),
      tags: { team: 'edge' },
    });
    fake.acm.addCertificate({ domainName: 'pending.example.org', status: 'PENDING_VALIDATION' });
    const ec = fake.acm.addCertificate({ domainName: 'ec.example.org', keyAlgorithm: 'EC_prime256v1' });

    const plain = await acm.send(new ListCertificatesCommand({ CertificateStatuses: ['ISSUED'] }));
    expect(plain.CertificateSummaryList?.map((c) => c.CertificateArn)).toEqual([issued.arn]);
    const summary = plain.CertificateSummaryList?.[0];
    expect(summary?.SubjectAlternativeNameSummaries).toEqual(['*.example.org', 'example.org']);
    expect(summary?.NotAfter).toEqual(new Date(NOW + 90 * DAY));

    const all = await acm.send(
      new ListCertificatesCommand({
        CertificateStatuses: ['ISSUED'],
        Includes: { keyTypes: ['RSA_2048', 'EC_prime256v1'] },
      }),
    );
    expect(all.CertificateSummaryList?.map((c) => c.DomainName)).toEqual(['*.example.org', ec.domainName]);

    const described = await acm.send(new DescribeCertificateCommand({ CertificateArn: issued.arn }));
    expect(described.Certificate).toMatchObject({
      DomainName: '*.example.org',
      SubjectAlternativeNames: ['*.example.org', 'example.org'],
      Status: 'ISSUED',
      NotBefore: new Date(NOW - DAY),
      NotAfter: new Date(NOW + 90 * DAY),
    });
    const tags = await acm.send(new ListTagsForCertificateCommand({ CertificateArn: issued.arn }));
    expect(tags.Tags).toEqual([{ Key: 'team', Value: 'edge' }]);
    const pem = await acm.send(new GetCertificateCommand({ CertificateArn: issued.arn }));
    expect(pem.Certificate).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });

  it('pages ListCertificates with NextToken', async () => {
    const paged = await createFakeAws();
    const client = new ACMClient(paged.clientConfig());
    try {
      for (let i = 0; i < 5; i++) paged.acm.addCertificate({ domainName: `p${i}.example.org` });
      const seen: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const out = await client.send(
          new ListCertificatesCommand({ MaxItems: 2, ...(token === undefined ? {} : { NextToken: token }) }),
        );
        pages += 1;
        seen.push(...(out.CertificateSummaryList ?? []).map((c) => c.DomainName ?? ''));
        token = out.NextToken;
      } while (token !== undefined && pages < 10);
      expect(pages).toBe(3);
      expect(seen).toEqual([
        'p0.example.org',
        'p1.example.org',
        'p2.example.org',
        'p3.example.org',
        'p4.example.org',
      ]);
    } finally {
      client.destroy();
      await paged.close();
    }
  });

  it('answers unknown and malformed ARNs with the typed exceptions, and throttling is retried', async () => {
    const missing = await errorOf(
      acm.send(
        new DescribeCertificateCommand({
          CertificateArn:
            'arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000',
        }),
      ),
    );
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
    const bad = await errorOf(acm.send(new DescribeCertificateCommand({ CertificateArn: 'nope' })));
    expect(bad).toBeInstanceOf(InvalidArnException);

    fake.resetCalls();
    fake.throttleNext('acm', 1, 'ListCertificates');
    await acm.send(new ListCertificatesCommand({}));
    expect(fake.calls('acm')).toEqual(['ListCertificates', 'ListCertificates']);
    expect(fake.mutatingCalls('acm')).toEqual([]);
  });
});

describe('fake IAM server certificates behind the real SDK client', () => {
  it('lists metadata with expiry, pages by Marker, and returns the PEM body the hosts are read from', async () => {
    const leaf = await makeTestCertificate({
      commonName: 'legacy.example.org',
      altNames: ['legacy.example.org', '*.legacy.example.org'],
    });
    fake.iam.addServerCertificate({
      name: 'legacy',
      body: leaf.cert,
      expiration: new Date(NOW + 10 * DAY),
      tags: { owner: 'edge' },
    });
    fake.iam.addServerCertificate({ name: 'other', path: '/cloudfront/' });
    fake.iam.addServerCertificate({ name: 'third' });

    const first = await iam.send(new ListServerCertificatesCommand({ PathPrefix: '/', MaxItems: 2 }));
    expect(first.IsTruncated).toBe(true);
    const second = await iam.send(
      new ListServerCertificatesCommand({ PathPrefix: '/', MaxItems: 2, Marker: first.Marker }),
    );
    expect(second.IsTruncated).toBe(false);
    const listed = [
      ...(first.ServerCertificateMetadataList ?? []),
      ...(second.ServerCertificateMetadataList ?? []),
    ];
    expect(listed.map((m) => m.ServerCertificateName)).toEqual(['legacy', 'other', 'third']);
    expect(listed[0]?.Expiration).toEqual(new Date(NOW + 10 * DAY));
    expect(listed[0]?.Arn).toBe('arn:aws:iam::123456789012:server-certificate/legacy');

    const onlyCloudfront = await iam.send(new ListServerCertificatesCommand({ PathPrefix: '/cloudfront/' }));
    expect(onlyCloudfront.ServerCertificateMetadataList?.map((m) => m.ServerCertificateName)).toEqual([
      'other',
    ]);

    const got = await iam.send(new GetServerCertificateCommand({ ServerCertificateName: 'legacy' }));
    expect(got.ServerCertificate?.ServerCertificateMetadata?.Expiration).toEqual(new Date(NOW + 10 * DAY));
    const x509 = new X509Certificate(got.ServerCertificate?.CertificateBody ?? '');
    expect(x509.subjectAltName).toBe('DNS:legacy.example.org, DNS:*.legacy.example.org');
    const tags = await iam.send(new ListServerCertificateTagsCommand({ ServerCertificateName: 'legacy' }));
    expect(tags.Tags).toEqual([{ Key: 'owner', Value: 'edge' }]);
  });

  it('answers an unknown name with the typed NoSuchEntityException', async () => {
    const err = await errorOf(
      iam.send(new GetServerCertificateCommand({ ServerCertificateName: 'missing' })),
    );
    expect(err).toBeInstanceOf(NoSuchEntityException);
    expect(fake.iamActions()).toContain('iam:GetServerCertificate');
  });
});
