import { describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { tempDir } from './temp-dir.js';

describe('freePort', () => {
  it('returns a port that can be bound right away on the given loopback address', async () => {
    const port = await freePort('127.0.0.7');
    expect(port).toBeGreaterThan(0);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.7', resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });
});

describe('tempDir', () => {
  it('creates a private directory and removes it with its contents, idempotently', async () => {
    const dir = await tempDir('unit/test');
    expect(dir.path).toMatch(/kube-edge-unit_test-/);
    await writeFile(join(dir.path, 'file'), 'x');
    await Promise.all([dir.remove(), dir.remove()]);
    expect(existsSync(dir.path)).toBe(false);
  });
});
