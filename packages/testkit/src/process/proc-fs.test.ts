import { spawnSync } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';
import { processCpuSeconds, processFdCount, processRssMiB } from './proc-fs.js';

describe('process figures from /proc', () => {
  it("reads this process's RSS, open fds and CPU, and a waited-for child's CPU", () => {
    expect(processRssMiB(process.pid)).toBeGreaterThan(10);
    expect(processRssMiB(process.pid)).toBeCloseTo(process.memoryUsage.rss() / 2 ** 20, -1);
    expect(processFdCount(process.pid)).toBeGreaterThanOrEqual(3);
    const before = processCpuSeconds(process.pid);
    expect(before.self).toBeGreaterThan(0);
    // A child that uses 0.3 s of CPU of its own, then exits and is waited for.
    const r = spawnSync(process.execPath, [
      '-e',
      'const t = process.cpuUsage(); while ((process.cpuUsage(t).user + process.cpuUsage(t).system) < 300000) {}',
    ]);
    expect(r.status).toBe(0);
    const after = processCpuSeconds(process.pid);
    expect(after.children - before.children).toBeGreaterThanOrEqual(0.25);
  });

  it('throws for a process that is gone', () => {
    const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const pid = Number(gone.stdout.trim());
    expect(() => processCpuSeconds(pid)).toThrow();
    expect(() => processRssMiB(pid)).toThrow();
    expect(() => processFdCount(pid)).toThrow();
  });
});
