import { describe, expect, it } from '@jest/globals';
import { nginxConfig, nginxPrelude, prepareNginxConfig } from './nginx-config.js';

const TEMP_PATHS = [
  'client_body_temp_path /p/client_body_temp;',
  'proxy_temp_path /p/proxy_temp;',
  'fastcgi_temp_path /p/fastcgi_temp;',
  'uwsgi_temp_path /p/uwsgi_temp;',
  'scgi_temp_path /p/scgi_temp;',
];

describe('nginxPrelude', () => {
  it('puts pid, error log, temp paths and access log under the prefix', () => {
    expect(nginxPrelude('/p')).toEqual({
      main: 'pid /p/nginx.pid;\nerror_log /p/logs/error.log notice;',
      http: [...TEMP_PATHS, 'access_log /p/logs/access.log;'].join('\n'),
    });
  });

  it('uses the {{PREFIX}} placeholder by default', () => {
    expect(nginxPrelude().main).toContain('pid {{PREFIX}}/nginx.pid;');
  });
});

describe('prepareNginxConfig', () => {
  const cases: { name: string; config: string; globals: string; contains: string[]; lacks: string[] }[] = [
    {
      name: 'adds daemon off, pid, error log and every http prelude line to a bare config',
      config: 'events {}\nhttp {\n  server { listen 127.0.0.1:1; }\n}\n',
      globals: 'daemon off; pid /p/nginx.pid; error_log /p/logs/error.log notice;',
      contains: [
        'http {\n  client_body_temp_path /p/client_body_temp;',
        ...TEMP_PATHS,
        'access_log /p/logs/access.log;',
      ],
      lacks: [],
    },
    {
      name: 'adds nothing a config already says, and accepts daemon off',
      config: `daemon off;\npid {{PREFIX}}/x.pid;\nerror_log stderr;\nevents {}\nhttp {\n${nginxPrelude().http}\n}\n`,
      globals: '',
      contains: ['pid /p/x.pid;', 'proxy_temp_path /p/proxy_temp;'],
      lacks: ['{{PREFIX}}', 'daemon off; pid'],
    },
    {
      name: 'adds only the missing temp paths',
      config: 'events {}\nhttp { proxy_temp_path /elsewhere; access_log off; }',
      globals: 'daemon off; pid /p/nginx.pid; error_log /p/logs/error.log notice;',
      contains: ['proxy_temp_path /elsewhere;', 'client_body_temp_path /p/client_body_temp;'],
      lacks: ['proxy_temp_path /p/proxy_temp;', 'access_log /p/logs/access.log;'],
    },
    {
      name: 'ignores directives that appear only in comments',
      config: '# pid /nowhere;\nevents {}\nhttp { # proxy_temp_path /x;\n}',
      globals: 'daemon off; pid /p/nginx.pid; error_log /p/logs/error.log notice;',
      contains: ['proxy_temp_path /p/proxy_temp;'],
      lacks: [],
    },
    {
      name: 'does not mistake a directive name inside another word',
      config: 'events {}\nhttp { proxy_pass_header X-Pid; map $x $my_http { default 1; } }',
      globals: 'daemon off; pid /p/nginx.pid; error_log /p/logs/error.log notice;',
      contains: ['http {\n  client_body_temp_path'],
      lacks: [],
    },
  ];
  for (const testCase of cases) {
    it(testCase.name, () => {
      const prepared = prepareNginxConfig(testCase.config, '/p');
      expect(prepared.globalDirectives).toBe(testCase.globals);
      for (const text of testCase.contains) expect(prepared.text).toContain(text);
      for (const text of testCase.lacks) expect(prepared.text).not.toContain(text);
    });
  }

  it('replaces every {{PREFIX}} occurrence', () => {
    const prepared = prepareNginxConfig(
      'events {}\nhttp { root {{PREFIX}}/a; alias {{PREFIX}}/b; }',
      '/tmp/x',
    );
    expect(prepared.text).toContain('root /tmp/x/a; alias /tmp/x/b;');
  });

  it('refuses daemon on, because the launcher needs nginx as a foreground child', () => {
    expect(() => prepareNginxConfig('daemon on;\nevents {}', '/p')).toThrow(/daemon off/);
  });
});

describe('nginxConfig', () => {
  it('wraps http contents with one worker, the prelude and an events block', () => {
    const config = nginxConfig({
      http: 'server { listen 127.0.0.1:8080; }',
      main: 'worker_rlimit_nofile 1024;',
    });
    expect(config).toBe(
      [
        'worker_processes 1;',
        'pid {{PREFIX}}/nginx.pid;',
        'error_log {{PREFIX}}/logs/error.log notice;',
        'worker_rlimit_nofile 1024;',
        'events {',
        '  worker_connections 256;',
        '}',
        'http {',
        ...nginxPrelude()
          .http.split('\n')
          .map((line) => `  ${line}`),
        '  server { listen 127.0.0.1:8080; }',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('needs nothing added by prepareNginxConfig except daemon off', () => {
    const prepared = prepareNginxConfig(nginxConfig({ http: '' }), '/p');
    expect(prepared.globalDirectives).toBe('daemon off;');
    expect(prepared.text.match(/proxy_temp_path/g)).toHaveLength(1);
  });
});
