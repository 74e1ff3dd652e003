import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { checkChart, lintDockerfile, readManifestFiles, validateManifests } from '@kube-edge/testkit';
import { cli, healthCheckerCli, nodeDetacherCli } from './cli.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('release pieces', () => {
  it('the Dockerfile passes the image lint', () => {
    expect(lintDockerfile(readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8'))).toEqual([]);
  });

  it('the chart passes the chart check', async () => {
    expect(await checkChart(`${root}charts/ingress-daemonset-controller`)).toEqual([]);
  });

  it("the chart's Attachment CRD is @kube-edge/node-detacher's crds/attachment.yaml, byte for byte", () => {
    // One source: the package's file. After changing it:
    //   cp packages/node-detacher/crds/attachment.yaml charts/ingress-daemonset-controller/crds/attachments.yaml
    const source = readFileSync(`${root}packages/node-detacher/crds/attachment.yaml`, 'utf8');
    const copy = readFileSync(`${root}charts/ingress-daemonset-controller/crds/attachments.yaml`, 'utf8');
    expect(copy).toBe(source);
  });

  it('the example manifests are valid IngressDaemonSets', async () => {
    const objects = await readManifestFiles([`${root}examples/ingress-daemonset-controller`]);
    expect(objects.map((o) => (o.object as { kind?: string }).kind)).toEqual([
      'IngressDaemonSet',
      'IngressDaemonSet',
    ]);
    expect(
      await validateManifests(objects, {
        allowKinds: ['ingressdaemonsets.mumoshu.github.io/v1alpha1/IngressDaemonSet'],
      }),
    ).toEqual([]);
  });

  it('the README names every flag of the three modes and every IngressDaemonSet field', () => {
    for (const spec of [cli.spec, healthCheckerCli.spec, nodeDetacherCli.spec])
      for (const flag of Object.keys(spec.flags)) expect(readme).toContain(`--${flag}`);
    for (const field of [
      'podsPerNode',
      'nodeSelector',
      'healthCheckNodePorts',
      'maxUnavailableNodes',
      'maxDegradedNodes',
      'maxUnavailablePodsPerNodes',
      'maxUnavailablePodsPerNode',
      'maxSurgedPodsPerNode',
      'annotateDeploymentToDetach',
      'annotateNodeToDetach',
      'waitForDetachmentByAnnotatedTimestamp',
      'healthChecker.image',
      'imagePullPolicy',
      'serviceAccountName',
      'resources',
      'template',
    ])
      expect(readme).toContain(field);
  });
});
