// Helpers shared by the controller loop tests (not part of the package: test/ is not compiled
// into dist).
import type { LogMeta, Logger, ProbeResult } from '@kube-edge/runtime';
import type { ApiServer, KubeObject } from '@kube-edge/testkit';
import type { ControllerStep } from '../src/controller.js';

/** One captured log line. */
export interface LogLine {
  level: 'error' | 'warn' | 'info' | 'debug';
  message: string;
  meta: LogMeta;
}

/** A logger that keeps every line (children included) in `lines`. */
export function captureLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const make = (base: LogMeta): Logger => ({
    error: (message, meta) => void lines.push({ level: 'error', message, meta: { ...base, ...meta } }),
    warn: (message, meta) => void lines.push({ level: 'warn', message, meta: { ...base, ...meta } }),
    info: (message, meta) => void lines.push({ level: 'info', message, meta: { ...base, ...meta } }),
    debug: (message, meta) => void lines.push({ level: 'debug', message, meta: { ...base, ...meta } }),
    child: (meta) => make({ ...base, ...meta }),
  });
  return Object.assign(make({}), { lines });
}

/**
 * Resolves once `cond` holds, checking it every 10 ms; rejects after `timeoutMs`. For state that
 * has no signal of its own (a Lease in the API server, an Event written in the background).
 */
export async function until(
  cond: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** GETs a path of a controller's health server. */
export async function get(baseUrl: string, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`${baseUrl}${path}`);
  return { status: res.status, body: await res.text() };
}

/** The value of one sample in Prometheus text, or undefined when absent. */
export function metricValue(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? (\S+)/.exec(line);
    if (m === null || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const pair of (m[3] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) got[pair[1]!] = pair[2]!;
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[4]);
  }
  return undefined;
}

/** Scrapes `/metrics` and returns one sample. */
export async function scrape(
  baseUrl: string,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  return metricValue((await get(baseUrl, '/metrics')).body, name, labels);
}

/** A promise the test resolves when it chooses. */
export interface Gate {
  readonly promise: Promise<void>;
  open(): void;
}

export function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** A step that records its calls in a shared journal (`<name>:<call>`) and its models in `updates`. */
export interface RecordingStep<M> extends ControllerStep<M> {
  readonly updates: M[];
}

export function recordingStep<M>(
  name: string,
  journal: string[],
  opts: {
    leaderOnly?: boolean;
    update?: (model: M) => Promise<void> | void;
    readiness?: () => ProbeResult;
    onStartedLeading?: () => void;
  } = {},
): RecordingStep<M> {
  const updates: M[] = [];
  return {
    name,
    updates,
    ...(opts.leaderOnly === undefined ? {} : { leaderOnly: opts.leaderOnly }),
    start: () => {
      journal.push(`${name}:start`);
      return Promise.resolve();
    },
    update: async (model) => {
      journal.push(`${name}:update`);
      await opts.update?.(model);
      updates.push(model);
    },
    stop: () => {
      journal.push(`${name}:stop`);
      return Promise.resolve();
    },
    health: () => ({ ok: true }),
    readiness: () => opts.readiness?.() ?? { ok: true },
    ...(opts.onStartedLeading === undefined
      ? {}
      : {
          onStartedLeading: () => {
            journal.push(`${name}:onStartedLeading`);
            opts.onStartedLeading?.();
          },
        }),
  };
}

/** Creates a namespace in the test server and returns its name. */
export function namespace(server: ApiServer, name: string): string {
  server.store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}

/** A ConfigMap, the object the loop tests watch. */
export interface ConfigMapObj extends KubeObject {
  data?: Record<string, string>;
}

export function configMap(namespace: string, name: string, data: Record<string, string> = {}): ConfigMapObj {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data };
}

/** The core/v1 Events the test server holds about an object. */
export interface EventObj extends KubeObject {
  involvedObject: { kind?: string; name: string; namespace?: string };
  reason: string;
  message: string;
  type: string;
  count: number;
}

export function eventsAbout(server: ApiServer, namespace: string, name: string): EventObj[] {
  return server.store.list<EventObj>('v1', 'Event', namespace).filter((e) => e.involvedObject.name === name);
}
