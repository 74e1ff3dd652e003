import { describe, expect, it } from '@jest/globals';
import {
  MAX_CHILD_NAME,
  MAX_LABEL_VALUE,
  daemonSetName,
  deploymentName,
  fitName,
  labelValue,
} from './names.js';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

describe('child names', () => {
  it('are <ids>-<node> and <ids>-<port> when they fit', () => {
    expect(deploymentName('nginx-ingress', 'ip-10-0-1-2.eu-west-1.compute.internal')).toBe(
      'nginx-ingress-ip-10-0-1-2.eu-west-1.compute.internal',
    );
    expect(daemonSetName('nginx-ingress', 10080)).toBe('nginx-ingress-10080');
    expect(labelValue('short')).toBe('short');
  });

  it.each([
    ['a long node name', 'ids', `${'n'.repeat(200)}.${'m'.repeat(60)}`],
    ['a long IngressDaemonSet name', 'i'.repeat(253), 'node-1'],
    ['a cut that would end on a dot', 'a'.repeat(232), `.b${'c'.repeat(40)}`],
  ])('are cut with a hash for %s, and stay valid and distinct', (_name, ids, node) => {
    const d = deploymentName(ids, node);
    expect(d.length).toBeLessThanOrEqual(MAX_CHILD_NAME);
    expect(d).toMatch(DNS1123_SUBDOMAIN);
    const l = labelValue(d);
    expect(l.length).toBeLessThanOrEqual(MAX_LABEL_VALUE);
    expect(l).toMatch(LABEL_VALUE);
    expect(deploymentName(ids, `${node}x`)).not.toBe(d);
    expect(labelValue(deploymentName(ids, `${node}x`))).not.toBe(l);
    expect(deploymentName(ids, node)).toBe(d);
  });

  it('fitName keeps names that fit and cuts longer ones to exactly the limit', () => {
    expect(fitName('abc', 3)).toBe('abc');
    expect(fitName('a'.repeat(70), 63)).toHaveLength(63);
  });
});
