import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, TransientError } from '@kube-edge/runtime';
import { tempDir, type TempDir } from '@kube-edge/testkit';
import {
  createExecFileRunner,
  createLoopbackVipManager,
  type CommandRunner,
} from './loopback-vip-manager.js';

/** A fake `ip` that keeps an address table per label and records every argv. */
function fakeIp(initial: Record<string, string[]> = {}): {
  run: CommandRunner;
  calls: string[][];
  table: Map<string, string[]>;
  failOn?: string;
} {
  const table = new Map<string, string[]>(Object.entries(initial));
  const calls: string[][] = [];
  const fake: { run: CommandRunner; calls: string[][]; table: Map<string, string[]>; failOn?: string } = {
    calls,
    table,
    run: (argv) => {
      calls.push([...argv]);
      const args = argv.slice(argv.indexOf('ip') + 1);
      if (fake.failOn !== undefined && args[1] === fake.failOn) {
        return Promise.resolve({
          exitCode: 2,
          stdout: '',
          stderr: 'RTNETLINK answers: Operation not permitted\n',
        });
      }
      if (args[0] === 'addr' && args[1] === 'show' && args[2] === 'label') {
        const cidrs = table.get(args[3]!) ?? [];
        const stdout = cidrs
          .map(
            (c) => `    inet ${c} scope global ${args[3]}\n       valid_lft forever preferred_lft forever\n`,
          )
          .join('');
        return Promise.resolve({ exitCode: 0, stdout, stderr: '' });
      }
      if (args[0] === 'addr' && (args[1] === 'add' || args[1] === 'del')) {
        const label = args[args.indexOf('label') + 1]!;
        const list = table.get(label) ?? [];
        table.set(label, args[1] === 'add' ? [...list, args[2]!] : list.filter((c) => c !== args[2]));
        return Promise.resolve({ exitCode: 0, stdout: '', stderr: '' });
      }
      return Promise.resolve({ exitCode: 1, stdout: '', stderr: 'unexpected command' });
    },
  };
  return fake;
}

describe('createLoopbackVipManager', () => {
  let proc: TempDir;
  beforeEach(async () => {
    proc = await tempDir('gorb-proc');
  });
  afterEach(async () => {
    await proc.remove();
  });
  const sysctls = async (): Promise<[string, string]> => [
    await readFile(join(proc.path, 'arp_ignore'), 'utf8'),
    await readFile(join(proc.path, 'arp_announce'), 'utf8'),
  ];

  it('adds each missing VIP as /32 on lo with label lo:<index> and sets arp_ignore=1, arp_announce=2', async () => {
    const ip = fakeIp();
    const m = createLoopbackVipManager({ vips: ['10.0.0.1', '10.0.0.2'], procPath: proc.path, run: ip.run });
    await m.ensure();
    expect(ip.calls).toEqual([
      ['ip', 'addr', 'show', 'label', 'lo:0'],
      ['ip', 'addr', 'add', '10.0.0.1/32', 'dev', 'lo', 'label', 'lo:0'],
      ['ip', 'addr', 'show', 'label', 'lo:1'],
      ['ip', 'addr', 'add', '10.0.0.2/32', 'dev', 'lo', 'label', 'lo:1'],
    ]);
    expect(await sysctls()).toEqual(['1\n', '2\n']);
  });

  it('changes nothing when the VIPs and sysctls are already in place', async () => {
    const ip = fakeIp({ 'lo:0': ['10.0.0.1/32'] });
    await writeFile(join(proc.path, 'arp_ignore'), '1\n');
    await writeFile(join(proc.path, 'arp_announce'), '2\n');
    const m = createLoopbackVipManager({ vips: ['10.0.0.1'], procPath: proc.path, run: ip.run });
    await m.ensure();
    expect(ip.calls).toEqual([['ip', 'addr', 'show', 'label', 'lo:0']]);
  });

  it('matches the VIP exactly, not as a substring of another address', async () => {
    const ip = fakeIp({ 'lo:0': ['110.0.0.1/32', '10.0.0.1/8'] });
    const m = createLoopbackVipManager({ vips: ['10.0.0.1'], procPath: proc.path, run: ip.run });
    await m.ensure();
    expect(ip.calls).toContainEqual(['ip', 'addr', 'add', '10.0.0.1/32', 'dev', 'lo', 'label', 'lo:0']);
  });

  it('removes present VIPs and sets both sysctls back to 0; a second remove runs no del', async () => {
    const ip = fakeIp({ 'lo:0': ['10.0.0.1/32'] });
    const m = createLoopbackVipManager({
      vips: ['10.0.0.1', '10.0.0.2'],
      procPath: proc.path,
      run: ip.run,
      commandPrefix: ['sudo'],
    });
    await m.remove();
    expect(ip.calls).toEqual([
      ['sudo', 'ip', 'addr', 'show', 'label', 'lo:0'],
      ['sudo', 'ip', 'addr', 'del', '10.0.0.1/32', 'dev', 'lo', 'label', 'lo:0'],
      ['sudo', 'ip', 'addr', 'show', 'label', 'lo:1'],
    ]);
    expect(await sysctls()).toEqual(['0\n', '0\n']);
    ip.calls.length = 0;
    await m.remove();
    expect(ip.calls.filter((c) => c.includes('del'))).toEqual([]);
  });

  it('rejects with a TransientError carrying stderr when ip fails, and still resets ARP on remove', async () => {
    const ip = fakeIp({ 'lo:0': ['10.0.0.1/32'] });
    ip.failOn = 'del';
    const m = createLoopbackVipManager({ vips: ['10.0.0.1'], procPath: proc.path, run: ip.run });
    await expect(m.remove()).rejects.toThrow(/Operation not permitted/);
    await expect(m.remove()).rejects.toBeInstanceOf(TransientError);
    expect(await sysctls()).toEqual(['0\n', '0\n']);
    ip.failOn = 'add';
    await expect(
      createLoopbackVipManager({ vips: ['10.0.0.2'], procPath: proc.path, run: ip.run }).ensure(),
    ).rejects.toBeInstanceOf(TransientError);
  });

  it('refuses a VIP that is not an IPv4 address before running anything', () => {
    const ip = fakeIp();
    expect(() =>
      createLoopbackVipManager({ vips: ['10.0.0.1 ; reboot'], procPath: proc.path, run: ip.run }),
    ).toThrow(ConfigError);
    expect(ip.calls).toEqual([]);
  });

  it('fails to write sysctls under a proc path that does not exist', async () => {
    const m = createLoopbackVipManager({
      vips: ['10.0.0.1'],
      procPath: join(proc.path, 'missing'),
      run: fakeIp().run,
    });
    await expect(m.ensure()).rejects.toMatchObject({ code: 'VIP_SYSCTL_FAILED' });
  });
});

describe('createExecFileRunner', () => {
  it('runs argv without a shell and reports the exit code and output', async () => {
    const run = createExecFileRunner();
    expect(await run(['sh', '-c', 'echo out; echo err >&2; exit 3'])).toEqual({
      exitCode: 3,
      stdout: 'out\n',
      stderr: 'err\n',
    });
    expect(await run(['echo', '$(id)', ';', 'x'])).toMatchObject({ exitCode: 0, stdout: '$(id) ; x\n' });
    await expect(run(['/nonexistent/ip'])).rejects.toThrow('cannot run /nonexistent/ip');
  });
});
