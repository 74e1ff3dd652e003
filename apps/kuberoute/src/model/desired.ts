import { normalizeName, type Endpoint } from '@kube-edge/dns-providers';
import { renderTemplate } from '../template.js';
import { isValidHostName, RECORD_TTL, type Decision } from './records.js';

/** The heartbeat templates (`[heartbeat]`). */
export interface HeartbeatTemplates {
  nameTemplate: string;
  timestampTemplate: string;
}

/** What to write in one domain: the desired records and the names kuberoute owns there. */
export interface DomainDesired {
  domain: string;
  /** Records to exist (decisions with values, plus the heartbeat). */
  desired: Endpoint[];
  /**
   * Every name computed this pass in the domain, normalised, including names whose decision is
   * "delete": an existing A/AAAA/CNAME at one of these names is kuberoute's to change or delete.
   */
  owned: Set<string>;
  /** Why the heartbeat of this domain was not written, if it was configured and failed. */
  heartbeatError: string | undefined;
}

/**
 * The original's timestamp: `Y-M-D-h-m` in local time, not zero-padded. Pure
 * for a given date and time zone.
 */
export function heartbeatTimestamp(now: Date): string {
  return `${now.getFullYear()}-${now.getMonth() + 1}-${now.getDate()}-${now.getHours()}-${now.getMinutes()}`;
}

/**
 * Groups decisions per domain (one DNS client per domain) and adds the
 * heartbeat CNAME `<name_template>.<domain>` → `<timestamp_template>` to every domain with at
 * least one record. Pure.
 */
export function desiredByDomain(
  decisions: readonly Decision[],
  options: {
    heartbeat?: HeartbeatTemplates | undefined;
    replacements: Readonly<Record<string, string>>;
    now: Date;
  },
): DomainDesired[] {
  const byDomain = new Map<string, DomainDesired>();
  for (const d of decisions) {
    const domain = d.record.domain;
    let entry = byDomain.get(domain);
    if (entry === undefined) {
      entry = { domain, desired: [], owned: new Set(), heartbeatError: undefined };
      byDomain.set(domain, entry);
    }
    entry.owned.add(normalizeName(d.record.fqdn));
    if (d.values.length > 0)
      entry.desired.push({ name: d.record.fqdn, type: d.type, targets: d.values, ttl: d.ttl });
  }
  if (options.heartbeat !== undefined) {
    for (const entry of byDomain.values()) {
      const name = renderTemplate(options.heartbeat.nameTemplate, options.replacements);
      const value = renderTemplate(options.heartbeat.timestampTemplate, {
        ...options.replacements,
        timestamp: heartbeatTimestamp(options.now),
      });
      if (!name.ok || !value.ok) {
        entry.heartbeatError = !name.ok
          ? `name_template: ${name.reason}`
          : value.ok
            ? ''
            : `timestamp_template: ${value.reason}`;
        continue;
      }
      const fqdn = `${name.value}.${entry.domain}`;
      if (!isValidHostName(fqdn) || !isValidHostName(value.value)) {
        entry.heartbeatError = `heartbeat ${JSON.stringify(fqdn)} -> ${JSON.stringify(value.value)} is not a valid DNS name`;
        continue;
      }
      entry.owned.add(normalizeName(fqdn));
      entry.desired.push({
        name: fqdn,
        type: 'CNAME',
        targets: [value.value.toLowerCase()],
        ttl: RECORD_TTL,
      });
    }
  }
  return [...byDomain.values()];
}
