import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ManifestError } from '@kube-edge/k8s-watch';
import { planCli } from './cli.js';
import { parseAliasFrontends, parseZoneSnapshot, resolvePlanZones, runPlanCommand } from './plan-command.js';

const examples = fileURLToPath(new URL('../../../examples/feed-dns/', import.meta.url));
const FRONTENDS = [
  '--frontend',
  'internal=internal-edge-int-1001.eu-west-1.elb.amazonaws.com@Z32O12XQLNTSW2',
  '--frontend',
  'internet-facing=edge-ext-1002.eu-west-1.elb.amazonaws.com@Z32O12XQLNTSW2',
];

function values(args: string[]) {
  const r = planCli.parse(args, {});
  if (r.kind !== 'run') throw new Error('expected a run');
  return r.values;
}

describe('feed-dns plan on the examples', () => {
  it('prints the changes against the zone snapshot: creates, re-points, deletes; skips and leaves foreign records', async () => {
    const out = await runPlanCommand(
      values([
        '-f',
        `${examples}ingresses.yaml`,
        '--zone-file',
        `${examples}zone-example.com.json`,
        ...FRONTENDS,
      ]),
    );
    const changes = out.split('\n').filter((l) => /^ {2}(CREATE|UPDATE|DELETE) /.test(l));
    expect(changes).toEqual([
      '  DELETE A old.example.com. -> internal-edge-int-1001.eu-west-1.elb.amazonaws.com. (alias Z32O12XQLNTSW2)',
      '  UPDATE A status.example.com. -> internal-edge-int-1001.eu-west-1.elb.amazonaws.com. (alias Z32O12XQLNTSW2) => A status.example.com. -> edge-ext-1002.eu-west-1.elb.amazonaws.com (alias Z32O12XQLNTSW2)',
      '  CREATE A shop.example.com. -> edge-ext-1002.eu-west-1.elb.amazonaws.com (alias Z32O12XQLNTSW2)',
      '  CREATE A *.shop.example.com. -> edge-ext-1002.eu-west-1.elb.amazonaws.com (alias Z32O12XQLNTSW2)',
    ]);
    expect(out).toContain('default/no-dns private.example.com: missing-scheme');
    expect(out).toContain('Zones: example.com. (Z0EXAMPLE12345) from ');
    expect(out).toContain('3 managed records, 1 unchanged');
    expect(out).not.toContain('mail.example.com');
    expect(out).not.toContain('REFUSED');
  });

  it('plans against an empty zone named by -r53-hosted-zone, in JSON', async () => {
    const out = JSON.parse(
      await runPlanCommand(
        values([
          '-f',
          examples,
          '--r53-hosted-zone',
          'example.com',
          '--internal-hostname',
          'int.lb.example.net',
          '--output',
          'json',
        ]),
      ),
    ) as {
      changes: { action: string; name: string; type: string; ttl: number }[];
      skipped: { reason: string }[];
    };
    expect(out.changes).toEqual([
      expect.objectContaining({ action: 'create', name: 'admin.example.com.', type: 'CNAME', ttl: 300 }),
    ]);
    expect(out.skipped.map((s) => s.reason).sort()).toEqual([
      'missing-scheme',
      'no-frontend',
      'no-frontend',
      'no-frontend',
    ]);
  });

  it('keeps a record whose scheme has no frontend, and shows when the guard would refuse the plan', async () => {
    const out = await runPlanCommand(
      values([
        '-f',
        `${examples}ingresses.yaml`,
        '--zone-file',
        `${examples}zone-example.com.json`,
        '--frontend',
        'internal=internal-edge-int-1001.eu-west-1.elb.amazonaws.com@Z32O12XQLNTSW2',
        '--max-delete-share',
        '0.2',
      ]),
    );
    expect(out).toMatch(/REFUSED by the mass-deletion guard.*delete 1 of 3/);
    expect(out).toContain('  DELETE A old.example.com.');
    expect(out).not.toContain('DELETE A status.example.com.'); // its ingress still names it
  });
});

describe('zone snapshots and frontends', () => {
  it('takes the zone from the SOA record when the snapshot has no HostedZone', () => {
    const z = parseZoneSnapshot(
      JSON.stringify({
        ResourceRecordSets: [
          { Name: 'Apps.Example.com.', Type: 'SOA', TTL: 900, ResourceRecords: [{ Value: 'x' }] },
        ],
      }),
      'f.json',
    );
    expect(z).toMatchObject({ id: undefined, name: 'apps.example.com.', source: 'f.json' });
  });

  it.each([
    ['{', /not JSON/],
    ['{"x":1}', /no ResourceRecordSets/],
    ['{"ResourceRecordSets":[]}', /cannot tell the zone/],
  ])('refuses the snapshot %s', (text, message) => {
    expect(() => parseZoneSnapshot(text, 'f.json')).toThrow(message);
  });

  it('needs a snapshot for a zone id and adds empty zones for domains', () => {
    expect(() => resolvePlanZones(['Z123'], [])).toThrow(/zone id needs a --zone-file/);
    expect(resolvePlanZones(['example.org'], []).map((z) => z.name)).toEqual(['example.org.']);
  });

  it('parses --frontend pairs and refuses bad ones', () => {
    expect(parseAliasFrontends({ internal: 'lb.example.net.@Z1' }).get('internal')).toEqual({
      kind: 'alias',
      name: 'lb.example.net.',
      dnsName: 'lb.example.net',
      hostedZoneId: 'Z1',
    });
    expect(() => parseAliasFrontends({ public: 'lb@Z1' })).toThrow(/scheme/);
    expect(() => parseAliasFrontends({ internal: 'lb' })).toThrow(/expected/);
  });
});

describe('feed-dns plan: manifests it cannot use', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'feed-dns-plan-'));
    await writeFile(
      join(dir, 'odd.yaml'),
      [
        'hosts: [a, b]',
        'apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: old, namespace: shop}',
        'apiVersion: v1\nkind: Service\nmetadata: {name: web}',
      ].join('\n---\n'),
    );
    await writeFile(join(dir, 'bad.yaml'), 'apiVersion: v1\nkind: Ingress\nmetadata: {name: [x\n');
    await writeFile(
      join(dir, 'noname.yaml'),
      'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {}\n',
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const plan = (file: string, warn?: (l: string) => void) =>
    runPlanCommand(
      values(['-f', file, '--r53-hosted-zone', 'example.com', '--internal-hostname', 'int.lb.example.net']),
      warn === undefined ? {} : { warn },
    );

  it('reports documents it does not read by file and document, and still plans', async () => {
    const warnings: string[] = [];
    const out = await plan(join(dir, 'odd.yaml'), (l) => warnings.push(l));
    expect(out).toContain('Summary: 0 to create');
    expect(warnings).toEqual([
      `warning: ${join(dir, 'odd.yaml')}: document 1: not a Kubernetes object (no apiVersion or kind): ignored`,
      `warning: ${join(dir, 'odd.yaml')}: document 2: Ingress shop/old: apiVersion extensions/v1beta1 is not read (only networking.k8s.io/v1): ignored`,
      `warning: ${join(dir, 'odd.yaml')}: document 3: Service web (v1): kind not read by this command: ignored`,
    ]);
  });

  it.each([
    ['missing.yaml', /missing\.yaml: no such file or directory$/],
    ['bad.yaml', /bad\.yaml: document 1: not valid YAML or JSON: /],
    ['noname.yaml', /noname\.yaml: document 1: Ingress \(networking\.k8s\.io\/v1\) has no metadata\.name$/],
  ])('%s: rejects with one line naming the file', async (file, message) => {
    const err = await plan(join(dir, file)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ManifestError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('\n');
  });
});
