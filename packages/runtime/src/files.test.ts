import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TerminalError } from './errors.js';
import { removeStaleFiles, resolveInside, writeFileIfChanged } from './files.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'runtime-files-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const modeOf = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

describe('writeFileIfChanged', () => {
  it('creates the directory and the file, then reports unchanged content as not written', async () => {
    const path = join(dir, 'a', 'b', 'x.conf');
    expect(await writeFileIfChanged(path, 'one')).toBe(true);
    expect(await readFile(path, 'utf8')).toBe('one');
    const before = (await stat(path)).mtimeMs;
    expect(await writeFileIfChanged(path, 'one')).toBe(false);
    expect((await stat(path)).mtimeMs).toBe(before);
    expect(await writeFileIfChanged(path, Buffer.from('two'))).toBe(true);
    expect(await readFile(path, 'utf8')).toBe('two');
  });

  it('sets the exact file and directory modes, also on an existing directory and unchanged file', async () => {
    const sub = join(dir, 'tls');
    await mkdir(sub, { mode: 0o755 });
    const path = join(sub, 'key.pem');
    await writeFile(path, 'secret', { mode: 0o644 });
    expect(await writeFileIfChanged(path, 'secret', { mode: 0o600, dirMode: 0o700 })).toBe(false);
    expect(await modeOf(path)).toBe(0o600);
    expect(await modeOf(sub)).toBe(0o700);
    expect(await writeFileIfChanged(join(sub, 'new.pem'), 'k', { mode: 0o600 })).toBe(true);
    expect(await modeOf(join(sub, 'new.pem'))).toBe(0o600);
  });

  it('leaves no temp file behind', async () => {
    await writeFileIfChanged(join(dir, 'x'), 'a');
    await writeFileIfChanged(join(dir, 'x'), 'b');
    expect(await readdir(dir)).toEqual(['x']);
  });

  it('refuses a path outside root with a TerminalError and touches nothing', async () => {
    const root = join(dir, 'root');
    await expect(writeFileIfChanged(join(root, '..', 'escape'), 'x', { root })).rejects.toBeInstanceOf(
      TerminalError,
    );
    await expect(writeFileIfChanged('/etc/passwd-kube-edge-test', 'x', { root })).rejects.toThrow(/outside/);
    await expect(writeFileIfChanged(root, 'x', { root })).rejects.toThrow(/outside/);
    expect(await readdir(dir)).toEqual([]);
    expect(await writeFileIfChanged(join(root, 'host', 'ok'), 'x', { root })).toBe(true);
  });

  it('keeps the old content and removes the temp file when beforeRename throws', async () => {
    const path = join(dir, 'nginx.conf');
    await writeFileIfChanged(path, 'good');
    const seen: string[] = [];
    await expect(
      writeFileIfChanged(path, 'bad', {
        beforeRename: async (tmp) => {
          seen.push(await readFile(tmp, 'utf8'));
          throw new Error('refused');
        },
      }),
    ).rejects.toThrow('refused');
    expect(seen).toEqual(['bad']);
    expect(await readFile(path, 'utf8')).toBe('good');
    expect(await readdir(dir)).toEqual(['nginx.conf']);
  });
});

describe('resolveInside', () => {
  it.each([
    ['a/b', true],
    ['./a', true],
    ['../x', false],
    ['a/../../x', false],
    ['', false],
    ['/abs', false],
  ])('%j inside /r is %s', (path, ok) => {
    if (ok) expect(resolveInside('/r', path)).toMatch(/^\/r\//);
    else expect(() => resolveInside('/r', path)).toThrow(TerminalError);
  });

  it('does not accept a sibling with the root as prefix', () => {
    expect(() => resolveInside('/r', '/rx/file')).toThrow(TerminalError);
  });
});

describe('removeStaleFiles', () => {
  it('removes files not kept, and subdirectories left empty, and returns what it removed', async () => {
    await writeFileIfChanged(join(dir, 'keep.pem'), 'k');
    await writeFileIfChanged(join(dir, 'old.pem'), 'o');
    await writeFileIfChanged(join(dir, '.old.pem.1.1.tmp'), 't');
    await writeFileIfChanged(join(dir, 'host-a', 'key'), 'a');
    await writeFileIfChanged(join(dir, 'host-b', 'key'), 'b');
    const removed = await removeStaleFiles(dir, new Set([join(dir, 'keep.pem'), join(dir, 'host-a', 'key')]));
    expect(removed.sort()).toEqual(
      [join(dir, '.old.pem.1.1.tmp'), join(dir, 'host-b', 'key'), join(dir, 'old.pem')].sort(),
    );
    expect((await readdir(dir)).sort()).toEqual(['host-a', 'keep.pem']);
    expect(await readdir(join(dir, 'host-a'))).toEqual(['key']);
    expect(await removeStaleFiles(dir, new Set([join(dir, 'keep.pem'), join(dir, 'host-a', 'key')]))).toEqual(
      [],
    );
  });

  it('treats a missing directory as empty', async () => {
    expect(await removeStaleFiles(join(dir, 'missing'), new Set())).toEqual([]);
  });
});
