import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The instance a {@link FakeImds} describes. Every field has a default. */
export interface FakeInstanceIdentity {
  /** Default `i-0123456789abcdef0`. */
  instanceId?: string;
  /** Default `10.0.1.23`. */
  privateIp?: string;
  /** Default `eu-west-1`. */
  region?: string;
  /** Default `<region>a`. */
  availabilityZone?: string;
  /** Default `123456789012`. */
  accountId?: string;
  /** Default `m5.large`. */
  instanceType?: string;
}

/** Options of {@link createFakeImds}. */
export interface FakeImdsOptions {
  identity?: FakeInstanceIdentity;
  /**
   * Also answer GETs that carry no token (IMDSv1). Default false: like an instance with
   * `HttpTokens=required`, a GET without a valid token gets 401.
   */
  allowV1?: boolean;
}

/** What a {@link FakeImds} has been asked, in order: `PUT /latest/api/token`, `GET /...`. */
export type FakeImdsCall = string;

/**
 * An IMDSv2 endpoint on 127.0.0.1 (random port): `PUT /latest/api/token` (needs the
 * `X-aws-ec2-metadata-token-ttl-seconds` header, 1–21600; refuses requests with
 * `X-Forwarded-For` like the real one), `GET /latest/dynamic/instance-identity/document`,
 * `GET /latest/meta-data/{instance-id,local-ipv4,placement/region,placement/availability-zone}`.
 * GETs need a token from a PUT (401 otherwise). Faults can be injected with {@link FakeImds.failNext}
 * and {@link FakeImds.delay}. Call {@link FakeImds.close} when done.
 */
export interface FakeImds {
  /** `http://127.0.0.1:<port>`, to pass as the metadata client's base URL. */
  readonly url: string;
  /** The identity document fields currently served. */
  readonly identity: Required<FakeInstanceIdentity>;
  /** Replaces some identity fields from now on. */
  setIdentity(identity: FakeInstanceIdentity): void;
  /** The next `count` requests (any path) answer HTTP `status` (default 500). */
  failNext(count: number, status?: number): void;
  /** Every later request waits `ms` before answering (0 turns it off); for timeout tests. */
  delay(ms: number): void;
  /** Requests seen so far, as `METHOD path`. */
  calls(): FakeImdsCall[];
  /** Invalidates every token issued so far (as if they expired). */
  expireTokens(): void;
  /** Closes the server and its connections. Idempotent. */
  close(): Promise<void>;
}

function defaults(identity: FakeInstanceIdentity | undefined): Required<FakeInstanceIdentity> {
  const region = identity?.region ?? 'eu-west-1';
  return {
    instanceId: identity?.instanceId ?? 'i-0123456789abcdef0',
    privateIp: identity?.privateIp ?? '10.0.1.23',
    region,
    availabilityZone: identity?.availabilityZone ?? `${region}a`,
    accountId: identity?.accountId ?? '123456789012',
    instanceType: identity?.instanceType ?? 'm5.large',
  };
}

/** Starts a fake instance metadata service on 127.0.0.1. Resolves once it listens. */
export async function createFakeImds(options: FakeImdsOptions = {}): Promise<FakeImds> {
  let identity = defaults(options.identity);
  const tokens = new Set<string>();
  const seen: string[] = [];
  let failures: { count: number; status: number } = { count: 0, status: 500 };
  let delayMs = 0;
  const timers = new Set<NodeJS.Timeout>();

  const answer = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const send = (status: number, body: string, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'text/plain', ...headers });
      res.end(body);
    };
    if (failures.count > 0) {
      failures = { count: failures.count - 1, status: failures.status };
      send(failures.status, 'injected failure');
      return;
    }
    if (req.method === 'PUT' && path === '/latest/api/token') {
      if (req.headers['x-forwarded-for'] !== undefined) return send(403, 'Forbidden');
      const ttl = Number(req.headers['x-aws-ec2-metadata-token-ttl-seconds']);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21600) return send(400, 'Bad Request');
      const token = randomBytes(24).toString('base64url');
      tokens.add(token);
      return send(200, token, { 'x-aws-ec2-metadata-token-ttl-seconds': String(ttl) });
    }
    if (req.method !== 'GET') return send(405, 'Method Not Allowed');
    const token = req.headers['x-aws-ec2-metadata-token'];
    if (!(typeof token === 'string' && tokens.has(token)) && options.allowV1 !== true)
      return send(401, 'Unauthorized');
    const doc = {
      accountId: identity.accountId,
      architecture: 'x86_64',
      availabilityZone: identity.availabilityZone,
      imageId: 'ami-0123456789abcdef0',
      instanceId: identity.instanceId,
      instanceType: identity.instanceType,
      pendingTime: '2026-01-01T00:00:00Z',
      privateIp: identity.privateIp,
      region: identity.region,
      version: '2017-09-30',
    };
    const paths: Record<string, string> = {
      '/latest/dynamic/instance-identity/document': JSON.stringify(doc, null, 2),
      '/latest/meta-data/instance-id': identity.instanceId,
      '/latest/meta-data/local-ipv4': identity.privateIp,
      '/latest/meta-data/placement/region': identity.region,
      '/latest/meta-data/placement/availability-zone': identity.availabilityZone,
    };
    const body = paths[path];
    if (body === undefined) return send(404, 'Not Found');
    send(200, body, path.endsWith('/document') ? { 'content-type': 'application/json' } : {});
  };

  const server: Server = createServer((req, res) => {
    seen.push(`${req.method ?? 'GET'} ${(req.url ?? '/').split('?')[0] ?? '/'}`);
    req.resume();
    req.on('end', () => {
      if (delayMs <= 0) return answer(req, res);
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!res.destroyed) answer(req, res);
      }, delayMs);
      timers.add(timer);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;

  return {
    url: `http://127.0.0.1:${port}`,
    get identity() {
      return { ...identity };
    },
    setIdentity(next) {
      identity = {
        ...identity,
        ...Object.fromEntries(Object.entries(next).filter(([, v]) => v !== undefined)),
      };
    },
    failNext(count, status = 500) {
      failures = { count, status };
    },
    delay(ms) {
      delayMs = ms;
    },
    calls: () => [...seen],
    expireTokens() {
      tokens.clear();
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
