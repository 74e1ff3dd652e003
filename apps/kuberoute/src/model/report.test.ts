import { describe, expect, it } from '@jest/globals';
import { node } from '../../test/fixtures.js';
import { decide, type ServiceRecord } from './records.js';
import { reportNodes, reportServices, serializeReport } from './report.js';

const rec: ServiceRecord = {
  service: { kind: 'Service', namespace: 'default', name: 's', uid: undefined },
  name: 'quatsch',
  domain: 'schneevonmorgen.com',
  fqdn: 'quatsch.schneevonmorgen.com',
  addresses: ['10.0.0.1', '10.0.0.2'],
  failover: 'failover.schneevonmorgen.com',
  quota: 80,
};

describe('the state report', () => {
  it('is the original format: sorted keys, 4-space indent, truncated current_quota', () => {
    const nodes = [
      node('b', '10.0.0.2', { unschedulable: true }),
      node('a', '10.0.0.1'),
      node('c', '10.0.0.3', { ready: false }),
    ];
    const text = serializeReport({
      apiserver_available: true,
      nodes: reportNodes(nodes),
      services: reportServices([decide(rec, 3)]),
    });
    expect(text).toBe(`{
    "apiserver_available": true,
    "nodes": {
        "a": {
            "ready": true,
            "schedulable": true
        },
        "b": {
            "ready": true,
            "schedulable": false
        },
        "c": {
            "ready": false,
            "schedulable": true
        }
    },
    "services": {
        "quatsch.schneevonmorgen.com": {
            "current_quota": 66,
            "endpoints": [
                "10.0.0.1",
                "10.0.0.2"
            ],
            "healthy": false,
            "quota": 80
        }
    }
}`);
  });

  it('writes empty maps and lists as Python does, and escapes non-ASCII', () => {
    expect(serializeReport({ apiserver_available: false, nodes: {}, services: {} })).toBe(
      '{\n    "apiserver_available": false,\n    "nodes": {},\n    "services": {}\n}',
    );
    expect(
      serializeReport({
        apiserver_available: true,
        nodes: { knöten: { ready: true, schedulable: true } },
        services: {},
      }),
    ).toContain('"kn\\u00f6ten"');
  });
});
