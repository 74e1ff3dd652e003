import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseGorbInterval } from './interval.js';
import { startGorbServer, type GorbServer } from './gorb-server.js';

interface Reply {
  status: number;
  text: string;
  json: unknown;
  contentType: string | null;
}

async function call(server: GorbServer, method: string, path: string, body?: unknown): Promise<Reply> {
  const init: RequestInit = { method };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(`${server.url}${path}`, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, contentType: res.headers.get('content-type') };
}

const backend = (port: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  host: '127.0.0.1',
  port,
  ...extra,
});

describe('parseGorbInterval', () => {
  it.each([
    ['5s', 5000],
    ['1m', 60_000],
    ['2MIN', 120_000],
    ['1hours', 3_600_000],
    ['10sec', 10_000],
    ['+3seconds', 3000],
    ['-5s', -5000],
    ['0s', 0],
  ])('accepts %s as %d ms', (value, ms) => {
    expect(parseGorbInterval(value)).toBe(ms);
  });

  it.each(['1m30s', '500ms', '1', 's', '1d', ' 1s', '1.5s', ''])(
    'rejects the Go-style or malformed %j',
    (value) => {
      expect(parseGorbInterval(value)).toBeUndefined();
    },
  );
});

describe('gorb test server', () => {
  let server: GorbServer;
  beforeEach(async () => {
    server = await startGorbServer();
  });
  afterEach(async () => {
    await server.stop();
  });

  it('creates a service with gorb defaults and echoes it with tab-indented JSON', async () => {
    expect((await call(server, 'PUT', '/service/web', { port: 80, host: '10.0.0.1' })).status).toBe(200);
    const got = await call(server, 'GET', '/service/web');
    expect(got.status).toBe(200);
    expect(got.contentType).toBe('application/json');
    expect(got.text).toContain('\n\t"options"');
    expect(got.json).toEqual({
      options: { host: '10.0.0.1', port: 80, protocol: 'tcp', method: 'wrr', persistent: false, flags: '' },
      health: 1,
      backends: [],
    });
    expect((await call(server, 'GET', '/service')).json).toEqual(['web']);
  });

  it('answers a successful PUT with 200 and an empty body', async () => {
    const r = await call(server, 'PUT', '/service/web', { port: 80 });
    expect(r).toMatchObject({ status: 200, text: '' });
    expect(server.state().services['web']?.options.host).toBe('127.0.0.1');
  });

  it('stores persistent without using it', async () => {
    await call(server, 'PUT', '/service/web', {
      port: 80,
      persistent: true,
      protocol: 'UDP',
      flags: 'sh-fallback|sh-port',
    });
    expect(server.state().services['web']?.options).toMatchObject({
      persistent: true,
      protocol: 'udp',
      flags: 'sh-fallback|sh-port',
    });
  });

  it.each([
    [{ port: 0 }, 400, 'endpoint information is missing'],
    [{ port: 80, protocol: 'sctp' }, 400, 'specified protocol is unknown'],
    [{ port: 80, flags: 'sh-fallback|nope' }, 400, 'specified flag is unknown'],
    [{ port: 80, method: 'fancy' }, 500, 'error while calling into IPVS'],
    [
      { port: '80' },
      400,
      'json: cannot unmarshal string into Go struct field ServiceOptions.port of type uint16',
    ],
    [
      { port: 70000 },
      400,
      'json: cannot unmarshal number 70000 into Go struct field ServiceOptions.port of type uint16',
    ],
    ['[1]', 400, 'json: cannot unmarshal array into Go value of type core.ServiceOptions'],
    ['', 400, 'EOF'],
  ])('refuses service %j with %d and gorb error %j', async (body, status, message) => {
    const r = await call(server, 'PUT', '/service/web', body);
    expect(r.status).toBe(status);
    expect(r.json).toEqual({ error: message });
    expect(server.state().services).toEqual({});
  });

  it('answers 409 for a service that exists and 404 for one that does not', async () => {
    await call(server, 'PUT', '/service/web', { port: 80 });
    expect(await call(server, 'PUT', '/service/web', { port: 81 })).toMatchObject({
      status: 409,
      json: { error: 'specified object already exists' },
    });
    expect(await call(server, 'GET', '/service/nope')).toMatchObject({
      status: 404,
      json: { error: 'unable to locate specified object' },
    });
    expect((await call(server, 'DELETE', '/service/nope')).status).toBe(404);
  });

  it('answers unknown paths like gorilla/mux and unrouted methods with 405', async () => {
    expect(await call(server, 'GET', '/nope')).toMatchObject({ status: 404, text: '404 page not found\n' });
    expect((await call(server, 'GET', '/service/a/b/c')).status).toBe(404);
    expect((await call(server, 'POST', '/service/a')).status).toBe(405);
    await call(server, 'PUT', '/service/web', { port: 80 });
    // PATCH /service/{vsID} is in the kobolog README but not routed.
    expect((await call(server, 'PATCH', '/service/web', { port: 81 })).status).toBe(405);
    expect(server.state().services['web']?.options.port).toBe(80);
  });

  it('creates a backend with defaults: weight 100, method nat, pulse tcp every 1m', async () => {
    await call(server, 'PUT', '/service/web', { port: 80 });
    expect((await call(server, 'PUT', '/service/web/b1', backend(8080, { weight: -3 }))).status).toBe(200);
    const got = await call(server, 'GET', '/service/web/b1');
    expect(got.json).toMatchObject({
      options: {
        host: '127.0.0.1',
        port: 8080,
        weight: 100,
        method: 'nat',
        pulse: { type: 'tcp', interval: '1m', args: null },
        vsid: 'web',
      },
      metrics: { status: 0, health: 1 },
    });
    expect((await call(server, 'GET', '/service/web')).json).toMatchObject({ backends: ['b1'] });
  });

  it('keeps pulse args exactly as sent, strings and numbers alike', async () => {
    await call(server, 'PUT', '/service/web', { port: 80 });
    const pulse = {
      type: 'http',
      interval: '1s',
      args: { method: 'GET', path: '/', expect: '404', port: 81 },
    };
    await call(server, 'PUT', '/service/web/b1', backend(8080, { method: 'dr', weight: 1000, pulse }));
    expect(server.state().services['web']?.backends['b1']?.options).toMatchObject({
      method: 'dr',
      weight: 1000,
      pulse,
    });
  });

  it.each([
    [backend(0), 'endpoint information is missing'],
    [{ port: 8080 }, 'endpoint information is missing'],
    [backend(8080, { method: 'teleport' }), 'specified forwarding method is unknown'],
    [backend(8080, { pulse: { type: 'icmp' } }), 'specified pulse type is unknown'],
    [backend(8080, { pulse: { interval: '1m30s' } }), 'invalid interval format'],
    [backend(8080, { pulse: { interval: '500ms' } }), 'invalid interval format'],
    [backend(8080, { pulse: { interval: '0s' } }), 'pulse interval must be positive'],
    [{ host: '::1', port: 8080 }, 'incompatible address families'],
  ])('refuses backend %j with 400 %j', async (body, message) => {
    await call(server, 'PUT', '/service/web', { port: 80 });
    expect(await call(server, 'PUT', '/service/web/b1', body)).toMatchObject({
      status: 400,
      json: { error: message },
    });
    expect(server.state().services['web']?.backends).toEqual({});
  });

  it('treats backend IDs as global and does not check the vsID on GET, PATCH and DELETE', async () => {
    await call(server, 'PUT', '/service/a', { port: 80 });
    await call(server, 'PUT', '/service/b', { port: 81 });
    await call(server, 'PUT', '/service/a/shared', backend(8080));
    expect((await call(server, 'PUT', '/service/b/shared', backend(8081))).status).toBe(409);
    expect((await call(server, 'GET', '/service/b/shared')).status).toBe(200);
    expect((await call(server, 'GET', '/service/whatever/shared')).status).toBe(200);
    expect((await call(server, 'PATCH', '/service/b/shared', { weight: 7 })).status).toBe(200);
    expect(server.state().services['a']?.backends['shared']?.weight).toBe(7);
    expect((await call(server, 'DELETE', '/service/b/shared')).status).toBe(200);
    expect(server.state().services['a']?.backends).toEqual({});
  });

  it('answers 404 for a backend of a missing service and for unknown backends', async () => {
    expect((await call(server, 'PUT', '/service/nope/b1', backend(8080))).status).toBe(404);
    expect((await call(server, 'GET', '/service/nope/b1')).status).toBe(404);
    expect((await call(server, 'PATCH', '/service/nope/b1', { weight: 0 })).status).toBe(404);
    expect((await call(server, 'DELETE', '/service/nope/b1')).status).toBe(404);
  });

  it('PATCH uses only the weight; a missing weight means 0', async () => {
    await call(server, 'PUT', '/service/web', { port: 80 });
    await call(server, 'PUT', '/service/web/b1', backend(8080, { weight: 50 }));
    await call(server, 'PATCH', '/service/web/b1', { weight: 20, port: 9999, method: 'dr' });
    expect(server.state().services['web']?.backends['b1']?.options).toMatchObject({
      weight: 20,
      port: 8080,
      method: 'nat',
    });
    await call(server, 'PATCH', '/service/web/b1', {});
    expect(server.state().services['web']?.backends['b1']?.weight).toBe(0);
  });

  it('deleting a service removes its backends', async () => {
    await call(server, 'PUT', '/service/web', { port: 80 });
    await call(server, 'PUT', '/service/web/b1', backend(8080));
    expect((await call(server, 'DELETE', '/service/web')).status).toBe(200);
    expect(server.state().services).toEqual({});
    expect((await call(server, 'GET', '/service/web/b1')).status).toBe(404);
    // The ID is free again.
    await call(server, 'PUT', '/service/web', { port: 80 });
    expect((await call(server, 'PUT', '/service/web/b1', backend(8080))).status).toBe(200);
  });

  it('stashes the weight on Down and restores int(stash x health) on Up', async () => {
    await call(server, 'PUT', '/service/web', { port: 80 });
    await call(server, 'PUT', '/service/web/b1', backend(8080, { weight: 1000 }));
    const b = (): ReturnType<GorbServer['state']>['services'][string]['backends'][string] =>
      server.state().services['web']!.backends['b1']!;
    server.reportPulse('b1', 'up');
    server.reportPulse('b1', 'down');
    expect(b()).toMatchObject({ weight: 0, stashedWeight: 1000, status: 'down', health: 0.5 });
    server.reportPulse('b1', 'down');
    expect(b().stashedWeight).toBe(1000);
    server.reportPulse('b1', 'up');
    expect(b()).toMatchObject({ weight: 500, stashedWeight: 1000, status: 'up' }); // 2 of 4 up
    const got = await call(server, 'GET', '/service/web/b1');
    expect(got.json).toMatchObject({ options: { weight: 500 }, metrics: { status: 0, health: 0.5 } });
  });

  it('truncates small recovered weights to 0 (gorb#47)', async () => {
    await call(server, 'PUT', '/service/web', { port: 80 });
    await call(server, 'PUT', '/service/web/b1', backend(8080, { weight: 1 }));
    server.reportPulse('b1', 'down');
    for (let i = 0; i < 10; i += 1) server.reportPulse('b1', 'up');
    expect(server.state().services['web']?.backends['b1']).toMatchObject({ weight: 0, stashedWeight: 1 });
  });

  it('lets pulse recovery overwrite a PATCH made while the weight is stashed', async () => {
    await call(server, 'PUT', '/service/web', { port: 80 });
    await call(server, 'PUT', '/service/web/b1', backend(8080, { weight: 100 }));
    server.reportPulse('b1', 'down');
    await call(server, 'PATCH', '/service/web/b1', { weight: 0 });
    for (let i = 0; i < 99; i += 1) server.reportPulse('b1', 'up');
    server.reportPulse('b1', 'up'); // the Down has left the 100-check window: health 1
    expect(server.state().services['web']?.backends['b1']).toMatchObject({
      weight: 100,
      stashedWeight: undefined,
    });
  });

  it('injects failures for the next requests, then answers normally', async () => {
    server.failNext(2, 500);
    expect(await call(server, 'GET', '/service')).toMatchObject({
      status: 500,
      json: { error: 'error while calling into IPVS' },
    });
    expect((await call(server, 'GET', '/service')).status).toBe(500);
    expect((await call(server, 'GET', '/service')).status).toBe(200);
    server.failNext(1, 'reset');
    await expect(call(server, 'GET', '/service')).rejects.toThrow();
    expect((await call(server, 'GET', '/service')).status).toBe(200);
  });

  it('records requests with parsed bodies and answered statuses', async () => {
    await call(server, 'PUT', '/service/web', { port: 80 });
    await call(server, 'GET', '/service/nope');
    expect(server.requests()).toEqual([
      { method: 'PUT', path: '/service/web', body: { port: 80 }, status: 200 },
      { method: 'GET', path: '/service/nope', body: undefined, status: 404 },
    ]);
    server.clearRequests();
    expect(server.requests()).toEqual([]);
  });

  it('restarts empty on the same port, or keeps its table when asked', async () => {
    await call(server, 'PUT', '/service/web', { port: 80 });
    const { port, url } = server;
    await server.restart({ keepState: true });
    expect(server.port).toBe(port);
    expect((await call(server, 'GET', '/service')).json).toEqual(['web']);
    await server.restart();
    expect(server.url).toBe(url);
    expect((await call(server, 'GET', '/service')).json).toEqual([]);
  });

  it('serves gorb metrics in the Prometheus text format', async () => {
    await call(server, 'PUT', '/service/web', { port: 80 });
    await call(server, 'PUT', '/service/web/b1', backend(8080, { weight: 10 }));
    const m = await call(server, 'GET', '/metrics');
    expect(m.text).toContain('gorb_service_backends{name="web",host="127.0.0.1",port="80",protocol="tcp"} 1');
    expect(m.text).toContain(
      'gorb_service_backend_weight{service_name="web",name="b1",host="127.0.0.1",port="8080"} 10',
    );
  });
});

describe('gorb test server pulses', () => {
  let target: Server;
  let targetPort: number;
  let answer = 404;
  const servers: GorbServer[] = [];
  beforeEach(async () => {
    target = createServer((req, res) => {
      if (req.url === '/redirect') {
        res.writeHead(302, { location: '/' });
        res.end();
        return;
      }
      res.writeHead(answer);
      res.end();
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    targetPort = (target.address() as AddressInfo).port;
  });
  afterEach(async () => {
    target.closeAllConnections();
    await new Promise<void>((resolve) => target.close(() => resolve()));
  });
  afterAll(async () => {
    for (const s of servers) await s.stop();
  });

  const start = async (
    pulse: unknown,
    opts: Parameters<typeof startGorbServer>[0] = {},
  ): Promise<GorbServer> => {
    const s = await startGorbServer({ services: { web: { port: 80 } }, ...opts });
    servers.push(s);
    await call(s, 'PUT', '/service/web/b1', backend(targetPort, { weight: 100, pulse }));
    return s;
  };

  it('http pulse is Up when the status equals expect given as a string', async () => {
    const s = await start({
      type: 'http',
      interval: '1s',
      args: { method: 'GET', path: '/', expect: '404' },
    });
    await s.pulse();
    expect(s.state().services['web']?.backends['b1']).toMatchObject({ status: 'up', checks: 1, weight: 100 });
    answer = 200;
    await s.pulse('b1');
    answer = 404;
    expect(s.state().services['web']?.backends['b1']).toMatchObject({
      status: 'down',
      weight: 0,
      stashedWeight: 100,
    });
  });

  it('http pulse counts a redirect as a failure', async () => {
    const s = await start({ type: 'http', interval: '1s', args: { path: '/redirect', expect: 302 } });
    await s.pulse();
    expect(s.state().services['web']?.backends['b1']?.status).toBe('down');
  });

  it('an empty expect string counts as 0, so an http pulse never passes', async () => {
    const s = await start({ type: 'http', interval: '1s', args: { method: '', path: '', expect: '' } });
    await s.pulse();
    expect(s.state().services['web']?.backends['b1']?.status).toBe('down');
  });

  it('tcp pulse follows whether the port accepts connections; none is always Up', async () => {
    const s = await start({ type: 'tcp', interval: '1s', args: { method: '', path: '', expect: '' } });
    await s.pulse();
    expect(s.state().services['web']?.backends['b1']?.status).toBe('up');
    target.closeAllConnections();
    await new Promise<void>((resolve) => target.close(() => resolve()));
    await s.pulse();
    expect(s.state().services['web']?.backends['b1']?.status).toBe('down');
    await call(s, 'PUT', '/service/web/b2', backend(1, { pulse: { type: 'none' } }));
    await s.pulse('b2');
    expect(s.state().services['web']?.backends['b2']?.status).toBe('up');
    await new Promise<void>((resolve) => target.listen(targetPort, '127.0.0.1', resolve));
  });

  it('auto pulses check backends on their interval', async () => {
    const s = await start({ type: 'none', interval: '1s' }, { pulses: 'auto' });
    const deadline = Date.now() + 5000;
    while ((s.state().services['web']?.backends['b1']?.checks ?? 0) < 1 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(s.state().services['web']?.backends['b1']?.checks).toBeGreaterThanOrEqual(1);
  });
});
