import { readFile } from 'node:fs/promises';
import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import {
  bareZoneId,
  changeList,
  describeChange,
  endpointFromRoute53,
  normalizeName,
  type Endpoint,
} from '@kube-edge/dns-providers';
import { INGRESSES, loadManifestsOrThrow } from '@kube-edge/k8s-watch';
import { ConfigError } from '@kube-edge/runtime';
import type { planCli } from './cli.js';
import { checkDeleteShareFlag, checkZones, classFilterFrom, frontendSourceFrom } from './config.js';
import { planPass, type Frontend, type PassPlan } from './model/desired.js';
import { SCHEMES, type IngressLike } from './model/entries.js';

type PlanValues = Extract<ReturnType<typeof planCli.parse>, { kind: 'run' }>['values'];

/** One zone as the offline plan sees it. */
export interface SnapshotZone {
  /** Bare id, when the snapshot names one. */
  id: string | undefined;
  /** Normalised domain. */
  name: string;
  records: Endpoint[];
  /** The file it came from, or undefined for an empty zone named by `-r53-hosted-zone`. */
  source: string | undefined;
}

/**
 * Reads a zone snapshot: the JSON `aws route53 list-resource-record-sets` prints
 * (`{"ResourceRecordSets": [...]}`), optionally with `"HostedZone": {"Id", "Name"}`. The zone's
 * domain is `HostedZone.Name`, else the SOA record's name. Throws ConfigError naming the file.
 */
export function parseZoneSnapshot(text: string, source: string): SnapshotZone {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${source} is not JSON`, { key: '--zone-file', cause: err });
  }
  const obj = (typeof doc === 'object' && doc !== null ? doc : {}) as {
    ResourceRecordSets?: unknown;
    HostedZone?: { Id?: unknown; Name?: unknown };
  };
  if (!Array.isArray(obj.ResourceRecordSets))
    throw new ConfigError(`${source} has no ResourceRecordSets list`, { key: '--zone-file' });
  const sets = obj.ResourceRecordSets as ResourceRecordSet[];
  const soa = sets.find((r) => r.Type === 'SOA');
  const name =
    typeof obj.HostedZone?.Name === 'string'
      ? obj.HostedZone.Name
      : typeof soa?.Name === 'string'
        ? soa.Name
        : undefined;
  if (name === undefined)
    throw new ConfigError(`${source}: cannot tell the zone's domain (no HostedZone.Name and no SOA record)`, {
      key: '--zone-file',
    });
  return {
    id: typeof obj.HostedZone?.Id === 'string' ? bareZoneId(obj.HostedZone.Id) : undefined,
    name: normalizeName(name),
    records: sets
      .filter((r) => typeof r.Name === 'string' && typeof r.Type === 'string')
      .map(endpointFromRoute53),
    source,
  };
}

/**
 * The zones of an offline plan: every snapshot, plus an empty zone for each `-r53-hosted-zone`
 * domain no snapshot covers. A zone id must match a snapshot's `HostedZone.Id`. Pure.
 */
export function resolvePlanZones(
  refs: readonly string[],
  snapshots: readonly SnapshotZone[],
): SnapshotZone[] {
  const zones = [...snapshots];
  for (const ref of refs) {
    if (/^(\/?hostedzone\/)?Z[A-Z0-9]{1,32}$/.test(ref)) {
      if (!zones.some((z) => z.id === bareZoneId(ref)))
        throw new ConfigError(
          `zone ${ref}: offline, a zone id needs a --zone-file whose HostedZone.Id is ${ref}; or give the domain`,
          {
            key: '--r53-hosted-zone',
          },
        );
      continue;
    }
    const name = normalizeName(ref);
    if (!zones.some((z) => z.name === name))
      zones.push({ id: undefined, name, records: [], source: undefined });
  }
  if (zones.length === 0)
    throw new ConfigError('give at least one --zone-file or --r53-hosted-zone domain', {
      key: '--r53-hosted-zone',
    });
  return zones;
}

/** Parses `--frontend scheme=dnsName@zoneId` pairs. Throws ConfigError. Pure. */
export function parseAliasFrontends(pairs: Readonly<Record<string, string>>): Map<string, Frontend> {
  const out = new Map<string, Frontend>();
  for (const [scheme, value] of Object.entries(pairs)) {
    if (!(SCHEMES as readonly string[]).includes(scheme))
      throw new ConfigError(`--frontend: scheme must be internal or internet-facing, got ${scheme}`, {
        key: '--frontend',
      });
    const at = value.lastIndexOf('@');
    const dnsName = at < 0 ? '' : value.slice(0, at).trim();
    const hostedZoneId = at < 0 ? '' : value.slice(at + 1).trim();
    if (dnsName === '' || hostedZoneId === '')
      throw new ConfigError(
        `--frontend ${scheme}: expected <dns name>@<canonical hosted zone id>, got ${JSON.stringify(value)}`,
        {
          key: '--frontend',
        },
      );
    out.set(scheme, { kind: 'alias', name: dnsName, dnsName: dnsName.replace(/\.$/, ''), hostedZoneId });
  }
  return out;
}

/** What an offline plan found, before formatting. */
export interface OfflinePlan {
  zones: SnapshotZone[];
  frontends: Map<string, Frontend>;
  ingresses: number;
  result: PassPlan;
}

/** Options of the offline plan functions. */
export interface PlanCommandOptions {
  /**
   * Receives one line per manifest document not read (not a Kubernetes object, a kind or
   * apiVersion other than networking.k8s.io/v1 Ingress); main.ts writes it to stderr. Default: dropped.
   */
  readonly warn?: (line: string) => void;
}

/**
 * Reads the files and computes the plan (the same `planPass` the controller runs). Rejects with a
 * ConfigError for bad flags or zone files, and with k8s-watch's one-line `ManifestError` for a
 * missing manifest file, unparseable YAML or an Ingress without a name.
 */
export async function computeOfflinePlan(
  values: PlanValues,
  options: PlanCommandOptions = {},
): Promise<OfflinePlan> {
  let frontends: Map<string, Frontend>;
  const hasAlias = Object.keys(values.frontend).length > 0;
  const hasStatic = (values['internal-hostname'] ?? '') !== '' || (values['external-hostname'] ?? '') !== '';
  if (hasAlias && hasStatic)
    throw new ConfigError('give either --frontend or the static hostnames, not both', { key: '--frontend' });
  if (hasAlias) frontends = parseAliasFrontends(values.frontend);
  else {
    const source = frontendSourceFrom({
      elbLabelValue: undefined,
      nlbLabelValue: undefined,
      albNames: [],
      internalHostname: values['internal-hostname'],
      externalHostname: values['external-hostname'],
    });
    frontends = new Map();
    if (source.kind === 'static') {
      if (source.internal !== undefined)
        frontends.set('internal', { kind: 'cname', hostname: source.internal });
      if (source.external !== undefined)
        frontends.set('internet-facing', { kind: 'cname', hostname: source.external });
    }
  }
  const snapshots: SnapshotZone[] = [];
  for (const file of values['zone-file']) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read ${file}`, { key: '--zone-file', cause: err });
    }
    snapshots.push(parseZoneSnapshot(text, file));
  }
  const refs =
    values['r53-hosted-zone'].length > 0 || snapshots.length === 0
      ? checkZones(values['r53-hosted-zone'])
      : [];
  const zones = resolvePlanZones(refs, snapshots);
  const ingresses = (await loadManifestsOrThrow(values.filename, {
    kinds: [INGRESSES],
    warn: options.warn ?? (() => undefined),
  })) as IngressLike[];
  const ttl = Math.round(values['cname-ttl'] / 1000);
  const result = planPass({
    ingresses,
    frontends,
    zoneDomains: zones.map((z) => z.name),
    classFilter: classFilterFrom(values['ingress-class'], values['include-classless-ingresses']),
    cnameTtlSeconds: ttl,
    current: zones.flatMap((z) => z.records),
    maxDeleteShare: checkDeleteShareFlag(values['max-delete-share']),
  });
  return { zones, frontends, ingresses: ingresses.length, result };
}

/** The plan as text, one change per line (as `describeChange` writes them). Pure. */
export function formatPlanText(p: OfflinePlan): string {
  const lines: string[] = [];
  const { plan } = p.result;
  lines.push(
    `Zones: ${p.zones.map((z) => `${z.name}${z.id === undefined ? '' : ` (${z.id})`} ${z.source === undefined ? 'empty' : `from ${z.source}, ${z.records.length} records`}`).join('; ')}`,
  );
  lines.push(
    `Frontends: ${[...p.frontends].map(([s, f]) => `${s} -> ${f.kind === 'alias' ? `${f.dnsName} (alias ${f.hostedZoneId})` : `${f.hostname} (CNAME)`}`).join('; ') || 'none'}`,
  );
  const changes = changeList(plan.changes);
  lines.push('', `Changes (${changes.length}):`);
  for (const c of changes) lines.push(`  ${describeChange(c)}`);
  const skipped = [...p.result.desired.skipped, ...p.result.planSkipped];
  lines.push('', `Skipped (${skipped.length}):`);
  for (const s of skipped)
    lines.push(`  ${s.ingress.namespace}/${s.ingress.name} ${s.host}: ${s.reason}: ${s.message}`);
  lines.push(
    '',
    `Summary: ${plan.changes.create.length} to create, ${plan.changes.update.length} to update, ${plan.changes.delete.length} to delete; ${plan.owned} managed records, ${plan.unchanged} unchanged; ${p.ingresses} ingresses, ${skipped.length} hosts skipped.`,
  );
  if (p.result.refused !== undefined)
    lines.push(`REFUSED by the mass-deletion guard, the controller would apply nothing: ${p.result.refused}`);
  return `${lines.join('\n')}\n`;
}

/** The plan as JSON (stable field names, for scripts). Pure. */
export function formatPlanJson(p: OfflinePlan): string {
  const { plan } = p.result;
  return `${JSON.stringify(
    {
      zones: p.zones.map((z) => ({
        id: z.id ?? null,
        name: z.name,
        records: z.records.length,
        source: z.source ?? null,
      })),
      changes: changeList(plan.changes).map((c) => {
        const e = c.kind === 'update' ? c.to : c.endpoint;
        return {
          action: c.kind,
          name: normalizeName(e.name),
          type: e.type,
          targets: e.targets,
          ttl: e.ttl ?? null,
          line: describeChange(c),
        };
      }),
      skipped: [...p.result.desired.skipped, ...p.result.planSkipped].map((s) => ({
        namespace: s.ingress.namespace,
        ingress: s.ingress.name,
        host: s.host,
        reason: s.reason,
        message: s.message,
      })),
      owned: plan.owned,
      unchanged: plan.unchanged,
      refused: p.result.refused ?? null,
    },
    null,
    2,
  )}\n`;
}

/**
 * `feed-dns plan`: computes and formats. Rejects with ConfigError for bad flags or zone files,
 * with a one-line `ManifestError` for bad manifests (see {@link computeOfflinePlan}).
 */
export async function runPlanCommand(values: PlanValues, options: PlanCommandOptions = {}): Promise<string> {
  const p = await computeOfflinePlan(values, options);
  return values.output === 'json' ? formatPlanJson(p) : formatPlanText(p);
}
