import { describe, expect, it } from '@jest/globals';
import { ACMClient } from '@aws-sdk/client-acm';
import { IAMClient } from '@aws-sdk/client-iam';
import { createFakeAws, makeTestCertificate } from '@kube-edge/testkit';
import { listCertificates } from './certificates.js';

describe('listCertificates with filterTag (--cert-filter-tag) on the ACM and IAM fakes', () => {
  it('keeps only the ACM and IAM certificates carrying the tag with that value', async () => {
    const aws = await createFakeAws();
    const acm = new ACMClient(aws.clientConfig());
    const iam = new IAMClient(aws.clientConfig());
    try {
      const tagged = aws.acm.addCertificate({ domainName: 'a.example.org', tags: { team: 'edge' } }).arn;
      aws.acm.addCertificate({ domainName: 'b.example.org', tags: { team: 'other' } });
      aws.acm.addCertificate({ domainName: 'c.example.org' });
      const body = async (cn: string): Promise<string> =>
        (await makeTestCertificate({ commonName: cn })).cert;
      const iamTagged = aws.iam.addServerCertificate({
        name: 'legacy',
        body: await body('legacy.example.org'),
        tags: { team: 'edge' },
      }).arn;
      aws.iam.addServerCertificate({ name: 'untagged', body: await body('untagged.example.org') });

      const all = await listCertificates({ acm, iam });
      expect(all).toHaveLength(5);
      const filtered = await listCertificates({ acm, iam, filterTag: { key: 'team', value: 'edge' } });
      expect(filtered.map((c) => c.arn)).toEqual([tagged, iamTagged].sort());
      expect(aws.iamActions()).toEqual(
        expect.arrayContaining(['acm:ListTagsForCertificate', 'iam:ListServerCertificateTags']),
      );
    } finally {
      acm.destroy();
      iam.destroy();
      await aws.close();
    }
  });
});
