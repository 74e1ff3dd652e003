import { describe, expect, it } from '@jest/globals';
import { createUpdaterChain, type Updater } from './updater.js';

function recorder(
  log: string[],
  name: string,
  opts: { failUpdate?: boolean; failStop?: boolean; ready?: boolean } = {},
): Updater<number> {
  return {
    name,
    start: () => {
      log.push(`start ${name}`);
      return Promise.resolve();
    },
    update: (m) => {
      log.push(`update ${name} ${m}`);
      return opts.failUpdate ? Promise.reject(new Error(`${name} refused`)) : Promise.resolve();
    },
    stop: () => {
      log.push(`stop ${name}`);
      return opts.failStop ? Promise.reject(new Error(`${name} stuck`)) : Promise.resolve();
    },
    health: () => ({ ok: true }),
    readiness: () => (opts.ready === false ? { ok: false, message: 'not yet' } : { ok: true }),
  };
}

describe('createUpdaterChain', () => {
  it('starts and updates in order and stops started updaters in reverse order', async () => {
    const log: string[] = [];
    const chain = createUpdaterChain('chain', [
      recorder(log, 'nginx'),
      recorder(log, 'elb'),
      recorder(log, 'status'),
    ]);
    await chain.start();
    await chain.update(1);
    await chain.stop();
    expect(log).toEqual([
      'start nginx',
      'start elb',
      'start status',
      'update nginx 1',
      'update elb 1',
      'update status 1',
      'stop status',
      'stop elb',
      'stop nginx',
    ]);
  });

  it('does not update later members when an earlier one refuses the model', async () => {
    const log: string[] = [];
    const chain = createUpdaterChain('chain', [
      recorder(log, 'nginx', { failUpdate: true }),
      recorder(log, 'elb'),
    ]);
    await chain.start();
    await expect(chain.update(2)).rejects.toThrow('nginx refused');
    expect(log).not.toContain('update elb 2');
  });

  it('stops every member even when one fails, then reports the failure', async () => {
    const log: string[] = [];
    const chain = createUpdaterChain('chain', [
      recorder(log, 'nginx'),
      recorder(log, 'elb', { failStop: true }),
    ]);
    await chain.start();
    await expect(chain.stop()).rejects.toThrow('1 updater(s) failed to stop');
    expect(log.slice(-2)).toEqual(['stop elb', 'stop nginx']);
  });

  it('reports readiness as failing with the names of the members that are not ready', async () => {
    const chain = createUpdaterChain('chain', [recorder([], 'nginx'), recorder([], 'nlb', { ready: false })]);
    expect(await chain.readiness()).toEqual({ ok: false, message: 'nlb: not yet' });
    expect(await chain.health()).toEqual({ ok: true });
  });
});
