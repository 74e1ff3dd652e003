import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from '@jest/globals';
import { createS3Reporter, guessContentType } from './s3-report.js';
import { createFakeS3 } from '@kube-edge/testkit';

describe('createS3Reporter', () => {
  it('puts the report JSON through the real S3 client with the ACL and content type', async () => {
    const s3 = createFakeS3();
    s3.createBucket('statusreport-bucket');
    const reporter = createS3Reporter({
      client: new S3Client(s3.clientConfig()),
      bucket: 'statusreport-bucket',
      key: 'c1/kuberoute.json',
      acl: 'public-read',
      contentType: undefined,
    });
    await reporter.put({ apiserver_available: false, nodes: {}, services: {} });
    expect(s3.object('statusreport-bucket', 'c1/kuberoute.json')).toEqual({
      body: '{\n    "apiserver_available": false,\n    "nodes": {},\n    "services": {}\n}',
      contentType: 'application/json',
      acl: 'public-read',
    });
  });

  it('rejects when the bucket does not exist', async () => {
    const s3 = createFakeS3();
    const reporter = createS3Reporter({
      client: new S3Client(s3.clientConfig()),
      bucket: 'nope',
      key: 'k',
      acl: 'private',
      contentType: 'text/plain',
    });
    await expect(reporter.put({ apiserver_available: true, nodes: {}, services: {} })).rejects.toThrow();
  });

  it.each([
    ['a/kuberoute.json', 'application/json'],
    ['report.TXT', 'text/plain'],
    ['status', 'application/octet-stream'],
  ])('guesses the content type of %s as %s', (key, type) => {
    expect(guessContentType(key)).toBe(type);
  });
});
