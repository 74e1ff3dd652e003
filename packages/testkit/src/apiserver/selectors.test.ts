import { describe, expect, it } from '@jest/globals';
import { ResourceRegistry } from './resources.js';
import { matchFields, matchLabelRequirements, parseFieldSelector, parseLabelSelector } from './selectors.js';
import type { KubeObject } from './types.js';

const labels = { app: 'web', tier: 'front', version: '3' };

describe('label selectors', () => {
  it.each([
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app=db', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['app', true],
    ['missing', false],
    ['!missing', true],
    ['!app', false],
    ['app in (web,db)', true],
    ['app in (db)', false],
    ['app notin (db)', true],
    ['app notin (web)', false],
    ['missing notin (web)', true],
    ['missing in (web)', false],
    ['app=web,tier=front', true],
    ['app=web,tier=back', false],
    ['app in (web, db), tier notin (back), !missing', true],
    ['version>2', true],
    ['version<2', false],
  ])('%j matches the labels: %s', (selector, expected) => {
    expect(matchLabelRequirements(parseLabelSelector(selector), labels)).toBe(expected);
  });

  it('treats an empty value as the empty string, as apimachinery does', () => {
    expect(matchLabelRequirements(parseLabelSelector('app='), { app: '' })).toBe(true);
    expect(matchLabelRequirements(parseLabelSelector('app='), { app: 'web' })).toBe(false);
  });

  it.each(['app in web', 'app in (web', '=web', 'app=web,', 'bad key!=x', 'app=in valid', 'app=a b'])(
    'rejects %j with 400 BadRequest',
    (selector) => {
      expect(() => parseLabelSelector(selector)).toThrow(
        expect.objectContaining({ code: 400, reason: 'BadRequest' }),
      );
    },
  );
});

describe('field selectors', () => {
  const registry = new ResourceRegistry();
  const pods = registry.byPlural('', 'v1', 'pods')!;
  const configmaps = registry.byPlural('', 'v1', 'configmaps')!;
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p1', namespace: 'ns1' },
    spec: { nodeName: 'node-a' },
    status: { phase: 'Running' },
  };

  it.each([
    ['metadata.name=p1', true],
    ['metadata.name==p1', true],
    ['metadata.name!=p1', false],
    ['metadata.namespace=ns1,spec.nodeName=node-a', true],
    ['spec.nodeName=node-b', false],
    ['status.phase!=Pending', true],
    ['spec.nodeName=', false],
  ])('%j on a pod matches: %s', (selector, expected) => {
    expect(matchFields(parseFieldSelector(selector, pods), pod)).toBe(expected);
  });

  it('rejects fields the resource does not support, as the real server does', () => {
    expect(() => parseFieldSelector('spec.nodeName=x', configmaps)).toThrow(
      expect.objectContaining({ code: 400, message: 'field label not supported: spec.nodeName' }),
    );
  });

  it('unescapes values', () => {
    const reqs = parseFieldSelector('metadata.name=a\\,b', pods);
    expect(reqs).toEqual([{ field: 'metadata.name', op: '=', value: 'a,b' }]);
  });
});
