import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { removeStaleTlsFiles, writeTlsFiles, type TlsFile } from './tls-files.js';

describe('TLS file writing', () => {
  let root: string;
  let dir: string;
  const file = (name: string, content: string): TlsFile => ({ path: join(dir, name), content, mode: 0o600 });

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'nginx-tls-'));
    dir = join(root, 'tls');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('creates the directory 0700 and the files 0600', async () => {
    const r = await writeTlsFiles(dir, [file('a.crt', 'CERT'), file('a.key', 'KEY')]);
    expect(r.written).toHaveLength(2);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    for (const f of await readdir(dir)) expect((await stat(join(dir, f))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(dir, 'a.key'), 'utf8')).toBe('KEY');
  });

  it('writes only what changed', async () => {
    await writeTlsFiles(dir, [file('a.crt', 'CERT'), file('a.key', 'KEY')]);
    const before = (await stat(join(dir, 'a.crt'))).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    const r = await writeTlsFiles(dir, [file('a.crt', 'CERT'), file('a.key', 'KEY2')]);
    expect(r.written).toEqual([join(dir, 'a.key')]);
    expect(r.unchanged).toEqual([join(dir, 'a.crt')]);
    expect((await stat(join(dir, 'a.crt'))).mtimeMs).toBe(before);
    expect(await readFile(join(dir, 'a.key'), 'utf8')).toBe('KEY2');
  });

  it('refuses a path outside the directory and writes nothing there', async () => {
    await expect(
      writeTlsFiles(dir, [{ path: join(root, 'escape.key'), content: 'x', mode: 0o600 }]),
    ).rejects.toThrow(/not directly under/);
    await expect(
      writeTlsFiles(dir, [{ path: join(dir, 'sub', 'x.key'), content: 'x', mode: 0o600 }]),
    ).rejects.toThrow(/not directly under/);
    expect(await readdir(root)).toEqual([]);
  });

  it('with subdirectories: writes one level down (dirs 0700, bytes and modes as given) and refuses deeper or escaping paths', async () => {
    const r = await writeTlsFiles(
      dir,
      [
        { path: join(dir, 'a.test', 'certificate.crt'), content: 'CERT', mode: 0o644 },
        { path: join(dir, 'a.test', 'certificate.key'), content: Buffer.from([0, 1, 2]) },
      ],
      { subdirectories: true },
    );
    expect(r.written).toHaveLength(2);
    expect((await stat(join(dir, 'a.test'))).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, 'a.test', 'certificate.crt'))).mode & 0o777).toBe(0o644);
    expect((await stat(join(dir, 'a.test', 'certificate.key'))).mode & 0o777).toBe(0o600);
    expect([...(await readFile(join(dir, 'a.test', 'certificate.key')))]).toEqual([0, 1, 2]);
    for (const path of [
      join(dir, 'a', 'b', 'x.key'),
      join(dir, '..', 'x.key'),
      join(dir, 'a', '..', '..', 'x'),
    ])
      await expect(writeTlsFiles(dir, [{ path, content: 'x' }], { subdirectories: true })).rejects.toThrow(
        /not in \(or one level under\)/,
      );
    expect((await readdir(root)).sort()).toEqual(['tls']);
    expect(await readdir(dir)).toEqual(['a.test']);
  });

  it('removes stale files (and leftover temp files) but keeps the wanted ones', async () => {
    await writeTlsFiles(dir, [file('a.crt', 'A'), file('b.crt', 'B')]);
    await writeFile(join(dir, '.c.crt.tmp'), 'half');
    const removed = await removeStaleTlsFiles(dir, [file('a.crt', 'A')]);
    expect(removed.sort()).toEqual([join(dir, '.c.crt.tmp'), join(dir, 'b.crt')]);
    expect(await readdir(dir)).toEqual(['a.crt']);
    expect(await removeStaleTlsFiles(join(root, 'missing'), [])).toEqual([]);
  });

  it('removes a stale subdirectory with its files, keeping the wanted ones', async () => {
    const keep = { path: join(dir, 'a.test', 'certificate.key'), content: 'A' };
    await writeTlsFiles(dir, [keep, { path: join(dir, 'b.test', 'certificate.key'), content: 'B' }], {
      subdirectories: true,
    });
    expect(await removeStaleTlsFiles(dir, [keep])).toEqual([join(dir, 'b.test', 'certificate.key')]);
    expect(await readdir(dir)).toEqual(['a.test']);
  });
});
