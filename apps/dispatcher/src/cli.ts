import { readFileSync } from 'node:fs';
import { defineCli, logFlags } from '@kube-edge/runtime';
import { DEFAULT_BACKENDS_PORT } from './lua-mode.js';

/**
 * The app's version, printed by `--version` and sent in the user agent: the `version` of the
 * app's package.json, its one version source (the image label and the Helm chart derive from it
 * too). Read once when the module loads; package.json sits beside `src/` and `dist/` in the
 * repository and in the image (`pnpm deploy` copies it).
 */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/**
 * The dispatcher command line. Every environment variable of 30x/dispatcher is a flag here with
 * its original env name and default; kube-edge's additions use the
 * `DISPATCHER_` prefix (or a conventional name such as `KUBECONFIG`, `POD_NAME`).
 */
export const cli = defineCli({
  name: 'dispatcher',
  version: VERSION,
  description:
    'Pod-level nginx router driven by namespace and pod annotations (30x/dispatcher re-implemented).',
  envPrefix: 'DISPATCHER',
  flags: {
    // --- the original's environment variables (names and defaults kept) ---
    'api-key-secret-name': {
      type: 'string',
      default: 'routing',
      env: 'API_KEY_SECRET_NAME',
      description: 'Name of the Secret in each namespace holding the API key and TLS material.',
    },
    'api-key-secret-field': {
      type: 'string',
      default: 'api-key',
      env: 'API_KEY_SECRET_FIELD',
      description: 'Data key of that Secret holding the API key.',
    },
    'routable-label-selector': {
      type: 'string',
      default: 'github.com/30x.dispatcher.routable=true',
      env: 'ROUTABLE_LABEL_SELECTOR',
      description: 'Label selector for routable Namespaces and Pods (one selector for both).',
    },
    'hosts-annotation': {
      type: 'string',
      default: 'github.com/30x.dispatcher.hosts',
      env: 'HOSTS_ANNOTATION',
      description: 'Namespace annotation holding the hosts JSON object.',
    },
    'org-label': {
      type: 'string',
      default: 'github.com/30x.dispatcher.org',
      env: 'ORG_LABEL',
      description: 'Namespace label naming the organisation (informational).',
    },
    'env-label': {
      type: 'string',
      default: 'github.com/30x.dispatcher.env',
      env: 'ENV_LABEL',
      description: 'Namespace label naming the environment (informational).',
    },
    'paths-annotation': {
      type: 'string',
      default: 'github.com/30x.dispatcher.paths',
      env: 'PATHS_ANNOTATION',
      description: 'Pod annotation holding the paths JSON array.',
    },
    'app-name-label': {
      type: 'string',
      default: 'github.com/30x.dispatcher.app.name',
      env: 'APP_NAME_LABEL',
      description: 'Pod label naming the application (informational).',
    },
    'app-rev-label': {
      type: 'string',
      default: 'github.com/30x.dispatcher.app.rev',
      env: 'APP_REV_LABEL',
      description: 'Pod label naming the application revision (informational).',
    },
    'api-key-header': {
      type: 'string',
      default: 'X-ROUTING-API-KEY',
      env: 'API_KEY_HEADER',
      description: 'Request header carrying the API key (base64 of the secret value).',
    },
    'nginx-enable-health-checks': {
      type: 'boolean',
      default: false,
      env: 'NGINX_ENABLE_HEALTH_CHECKS',
      description:
        'Emit nginx_upstream_check_module directives from pod probes (needs an nginx built with that module).',
    },
    'nginx-status-path': {
      type: 'string',
      default: '/dispatcher/status',
      env: 'NGINX_STATUS_PATH',
      description: 'Path answering 200 on the default server(s).',
    },
    'nginx-max-client-body-size': {
      type: 'string',
      default: '0',
      env: 'NGINX_MAX_CLIENT_BODY_SIZE',
      description: 'client_max_body_size (nginx size; 0 = unlimited).',
    },
    port: {
      type: 'number',
      integer: true,
      default: 80,
      env: 'PORT',
      description: 'Port nginx listens on for plain HTTP.',
    },
    'ssl-port': {
      type: 'number',
      integer: true,
      default: 443,
      env: 'SSL_PORT',
      description: 'Port nginx listens on for SSL hosts.',
    },
    'ssl-cert': {
      type: 'string',
      default: '',
      env: 'SSL_CERT',
      description: 'Default server certificate file; setting it enables SSL.',
    },
    'ssl-key': {
      type: 'string',
      default: '',
      env: 'SSL_KEY',
      description: 'Default server key file (required with SSL_CERT).',
    },
    'ssl-cert-dir': {
      type: 'string',
      default: '/etc/nginx/ssl',
      env: 'SSL_CERT_DIR',
      description: 'Directory per-host certificates are written to.',
    },
    'default-location-return': {
      type: 'string',
      default: '404',
      env: 'DEFAULT_LOCATION_RETURN',
      description:
        'Answer for unknown paths on known hosts: a status code 100-999 or an http(s) URL to proxy to.',
    },
    // --- kube-edge additions ---
    'event-window': {
      type: 'duration',
      default: 2000,
      description: 'Batching window: changes are applied this long after the first change of a batch.',
    },
    'require-ready': {
      type: 'boolean',
      default: true,
      description:
        'Route only Ready, non-terminating pods (--no-require-ready restores "Running is enough").',
    },
    'mock-mode': {
      type: 'enum',
      choices: ['auto', 'on', 'off'],
      default: 'off',
      description:
        'on: mock mode (render and log only, nginx not run). auto: mock when no service-account token exists (the original rule). kube-edge default off: outside a pod it serves.',
    },
    'nginx-binary': { type: 'string', default: '/usr/sbin/nginx', description: 'nginx executable.' },
    'nginx-work-dir': {
      type: 'string',
      default: '/var/lib/dispatcher/nginx',
      description: 'Directory holding nginx.conf, the pid file, logs and temp files.',
    },
    'nginx-worker-processes': {
      type: 'number',
      integer: true,
      default: 1,
      description: 'worker_processes (0 = auto).',
    },
    'nginx-access-log': { type: 'string', default: 'off', description: 'access_log file, or off.' },
    'nginx-upstream-mode': {
      type: 'enum',
      choices: ['auto', 'lua', 'reload'],
      default: 'auto',
      description:
        'lua: pod changes reach nginx through a shared dict (Lua balancer), no reload; reload: every pod change reloads nginx (the original); auto: lua when the Lua modules are installed, else reload (said at start).',
    },
    'nginx-backends-port': {
      type: 'number',
      integer: true,
      default: DEFAULT_BACKENDS_PORT,
      description: 'Port of the membership endpoint nginx serves on 127.0.0.1 only (lua mode).',
    },
    'health-port': {
      type: 'number',
      integer: true,
      default: 9180,
      description: 'Port of /healthz, /readyz and /metrics.',
    },
    ...logFlags({ levelDescription: 'Log level.', formatDescription: 'Log line format.' }),
    kubeconfig: {
      type: 'string',
      env: 'KUBECONFIG',
      description: 'kubeconfig file(s); in-cluster config when unset and running in a pod.',
    },
    'kube-context': { type: 'string', description: 'kubeconfig context to use.' },
    'pod-name': {
      type: 'string',
      default: '',
      env: 'POD_NAME',
      description: "This pod's name, recorded as the source host of Events.",
    },
  },
  commands: {
    run: { description: 'Watch the cluster and drive nginx (the default when no command is given).' },
    render: {
      description: 'Print the nginx.conf for manifests read from files (offline; no cluster, no nginx).',
      flags: {
        filename: {
          type: 'csv',
          alias: 'f',
          env: false,
          description: 'Manifest files or directories (YAML or JSON), comma separated or repeated.',
        },
      },
    },
  },
});

/** The parsed values of a `run` or `render` command line. */
export type CliValues = Extract<ReturnType<typeof cli.parse>, { kind: 'run' }>['values'];

/** The command words; the first argument is taken as `run` when it is none of them. */
export const COMMANDS = ['run', 'render'] as const;

/**
 * Puts `run` in front of an argument list that has no command word, so `dispatcher` alone runs
 * the controller as the original's image did. Pure.
 */
export function withDefaultCommand(argv: readonly string[]): string[] {
  const first = argv[0];
  if (
    first !== undefined &&
    ((COMMANDS as readonly string[]).includes(first) ||
      first === '--help' ||
      first === '-help' ||
      first === '-h' ||
      first === '--version' ||
      first === '-version')
  )
    return [...argv];
  return ['run', ...argv];
}
