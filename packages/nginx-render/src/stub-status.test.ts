import { describe, expect, it } from '@jest/globals';
import { parseStubStatus } from './stub-status.js';
import { activeWorkerPids } from './proc.js';
import { nginxArgs, nginxPaths } from './nginx-cli.js';

describe('parseStubStatus', () => {
  it('reads every figure of a stub_status page', () => {
    const page =
      'Active connections: 3 \nserver accepts handled requests\n 17 16 42 \nReading: 1 Writing: 2 Waiting: 0 \n';
    expect(parseStubStatus(page)).toEqual({
      active: 3,
      accepts: 17,
      handled: 16,
      requests: 42,
      reading: 1,
      writing: 2,
      waiting: 0,
    });
  });

  it('throws on anything else', () => {
    expect(() => parseStubStatus('<html>404</html>')).toThrow('not a stub_status page');
  });
});

describe('activeWorkerPids', () => {
  it('keeps serving workers and drops draining ones and other children', () => {
    expect(
      activeWorkerPids([
        { pid: 1, title: 'nginx: worker process' },
        { pid: 2, title: 'nginx: worker process is shutting down' },
        { pid: 3, title: 'nginx: cache manager process' },
        { pid: 4, title: 'nginx: worker process' },
      ]),
    ).toEqual([1, 4]);
  });
});

describe('nginxArgs', () => {
  it('keeps prefix, error log, pid and daemon off under the work directory', () => {
    const paths = nginxPaths('/w');
    expect(nginxArgs(paths)).toEqual([
      '-p',
      '/w/',
      '-e',
      '/w/logs/error.log',
      '-c',
      '/w/nginx.conf',
      '-g',
      'daemon off; pid /w/nginx.pid;',
    ]);
    expect(paths.tempDir).toBe('/w/tmp');
  });
});
