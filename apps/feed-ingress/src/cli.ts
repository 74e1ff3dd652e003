import { readFileSync } from 'node:fs';
import { defineCli, logFlags, type FlagsSpec } from '@kube-edge/runtime';

/**
 * The app's version, printed by `--version` and sent in the user agent: the `version` of the
 * app's package.json, its one version source (the image label and the Helm chart derive from it
 * too). Read once when the module loads; package.json sits beside `src/` and `dist/` in the
 * repository and in the image (`pnpm deploy` copies it).
 */
export const FEED_INGRESS_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

const MERLIN_NOTE =
  'The merlin subcommand is gone: sky-uk/feed removed Merlin in v6.0.0, and kube-edge follows v6.';

const drainDelay = (defaultMs: number, extra = '') =>
  ({
    type: 'duration',
    default: defaultMs,
    description: `Time to wait after detaching from the frontend before nginx quits gracefully.${extra}`,
  }) as const;

const region = {
  type: 'string',
  default: 'eu-west-1',
  description: 'AWS region of the load balancers (not auto-detected, as in feed).',
} as const;

/**
 * Root flags shared by every subcommand: feed's names, defaults and meanings (v6 semantics; the
 * README's flag tables say where they differ) plus kube-edge's additions (log format, leader
 * election, WebSocket opt-in).
 */
export const ROOT_FLAGS = {
  debug: { type: 'boolean', description: 'Debug logging (same as --log-level=debug).' },
  ...logFlags({
    levelDescription: 'Log level (kube-edge addition; --debug wins).',
    formatDescription:
      'Log format: JSON lines, readable lines, or pretty on a terminal (kube-edge addition).',
    defaultFormat: 'auto',
  }),
  kubeconfig: {
    type: 'string',
    env: 'KUBECONFIG',
    description: 'Path to a kubeconfig file; empty means in-cluster config.',
  },
  'resync-period': {
    type: 'duration',
    default: 15 * 60_000,
    description: 'Informer resync period: a full recompute at least this often.',
  },
  'ingress-port': {
    type: 'number',
    integer: true,
    description:
      'HTTP listen port for proxied traffic; unset means no HTTP listener (v3+). One of --ingress-port/--ingress-https-port is required.',
  },
  'ingress-https-port': {
    type: 'number',
    integer: true,
    description:
      'HTTPS listen port (default certificate from --ssl-path, per-host certificates from spec.tls); unset means no HTTPS listener.',
  },
  'ingress-health-port': {
    type: 'number',
    integer: true,
    default: 8081,
    description:
      'nginx status server port: /health (always 200, for load balancers and liveness) and /basic_status.',
  },
  'ingress-allow': {
    type: 'csv',
    default: ['0.0.0.0/0'],
    description:
      'Default allow list of IPs/CIDRs, overridden by sky.uk/allow. Empty means deny all but 127.0.0.1.',
  },
  'ingress-strip-path': { type: 'boolean', default: true, description: 'Default for sky.uk/strip-path.' },
  'ingress-exact-path': { type: 'boolean', default: false, description: 'Default for sky.uk/exact-path.' },
  'health-port': {
    type: 'number',
    integer: true,
    default: 12082,
    description: 'Controller HTTP port: /health, /readiness, /alive (feed) and /healthz, /readyz, /metrics.',
  },
  'ingress-class': {
    type: 'string',
    default: '',
    description:
      'Adopt Ingresses whose kubernetes.io/ingress.class equals this; also the required sky.uk/KubernetesClusterIngressClass tag on ELBs/NLBs. Required by every subcommand except render.',
  },
  'ingress-class-controller': {
    type: 'string',
    default: 'kube-edge.io/feed-ingress',
    description:
      'spec.controller an IngressClass named --ingress-class must have for spec.ingressClassName to select this controller (kube-edge addition; feed ignored spec.ingressClassName).',
  },
  'include-classless-ingresses': {
    type: 'boolean',
    description: 'Also adopt Ingresses with no class annotation.',
    deprecated: 'deprecated in feed from the start; set the class annotation instead',
  },
  'ingress-controller-namespace-selector': {
    type: 'string',
    default: '',
    description:
      'A single name=value namespace label selector (feed v2.0-v4.2); added to --ingress-controller-namespace-selectors.',
    deprecated: 'use --ingress-controller-namespace-selectors',
  },
  'ingress-controller-namespace-selectors': {
    type: 'csv',
    description:
      'name=value namespace label selectors; only Ingresses in matching namespaces are adopted (any match).',
  },
  'match-all-namespace-selectors': {
    type: 'boolean',
    description: 'Require every namespace selector to match (name and value).',
  },
  'nginx-binary': { type: 'string', default: '/usr/sbin/nginx', description: 'nginx executable.' },
  'nginx-workdir': {
    type: 'string',
    default: '/nginx',
    description: 'nginx work directory: nginx.conf, pid, logs, temp files and TLS files.',
  },
  'nginx-workers': { type: 'number', integer: true, default: 1, description: 'worker_processes.' },
  'nginx-worker-connections': {
    type: 'number',
    integer: true,
    default: 1024,
    description: 'worker_connections.',
  },
  'nginx-worker-shutdown-timeout-seconds': {
    type: 'number',
    integer: true,
    default: 0,
    description: 'worker_shutdown_timeout, rendered only when > 0.',
  },
  'nginx-keepalive-seconds': {
    type: 'number',
    integer: true,
    default: 60,
    description: 'Client keepalive_timeout.',
  },
  'nginx-backend-keepalive-count': {
    type: 'number',
    integer: true,
    default: 512,
    description: 'keepalive connections per upstream.',
  },
  'nginx-default-backend-timeout-seconds': {
    type: 'number',
    integer: true,
    default: 60,
    description: 'proxy_read_timeout/proxy_send_timeout; default for sky.uk/backend-timeout-seconds.',
  },
  'nginx-backend-connect-timeout-seconds': {
    type: 'number',
    integer: true,
    default: 1,
    description: 'proxy_connect_timeout.',
  },
  'nginx-default-backend-max-connections': {
    type: 'number',
    integer: true,
    default: 0,
    description: 'max_conns on upstream servers (0 = unlimited); default for sky.uk/backend-max-connections.',
  },
  'nginx-default-proxy-buffer-size': {
    type: 'number',
    integer: true,
    default: 16,
    description: 'proxy_buffer_size in KB; default for sky.uk/proxy-buffer-size-in-kb.',
  },
  'nginx-default-proxy-buffer-blocks': {
    type: 'number',
    integer: true,
    default: 4,
    description: 'proxy_buffers count; default for sky.uk/proxy-buffer-blocks.',
  },
  'nginx-loglevel': {
    type: 'enum',
    choices: ['debug', 'info', 'notice', 'warn', 'error', 'crit', 'alert', 'emerg'],
    default: 'warn',
    description: 'nginx error_log level.',
  },
  'nginx-server-names-hash-bucket-size': {
    type: 'number',
    integer: true,
    default: -1,
    description: 'server_names_hash_bucket_size; omitted when <= 0 (raised automatically for long names).',
  },
  'nginx-server-names-hash-max-size': {
    type: 'number',
    integer: true,
    default: -1,
    description: 'server_names_hash_max_size; omitted when <= 0.',
  },
  'nginx-proxy-protocol': {
    type: 'boolean',
    description: 'Expect the PROXY protocol on ingress listeners; real_ip_header proxy_protocol.',
  },
  'nginx-update-period': {
    type: 'duration',
    default: 30_000,
    description: 'Reload rate limit: at most one nginx reload per period; changes inside it are coalesced.',
  },
  'nginx-allow-websocket-upgrade': {
    type: 'boolean',
    description:
      'Pass WebSocket Upgrade/Connection headers to backends (feed PR #246, never merged upstream; kube-edge addition).',
  },
  'nginx-allow-localhost': {
    type: 'boolean',
    description:
      "Let 127.0.0.1 pass every sky.uk/allow and --ingress-allow list, as feed did (kube-edge: off, so a process on the node's network or a localhost sidecar cannot bypass allow lists).",
  },
  'access-log': { type: 'boolean', description: 'Enable the nginx access log.' },
  'access-log-dir': { type: 'string', default: '/var/log/nginx', description: 'Directory of access.log.' },
  'nginx-log-headers': {
    type: 'csv',
    description: 'Request headers appended to the access log format as Name=$http_name.',
  },
  'nginx-trusted-frontends': {
    type: 'csv',
    description: 'CIDRs trusted for the real client IP (set_real_ip_from).',
  },
  'set-real-ip-from-header': {
    type: 'string',
    default: 'X-Forwarded-For',
    description: 'real_ip_header (ignored with --nginx-proxy-protocol).',
  },
  'ssl-path': {
    type: 'string',
    default: '/etc/ssl/default-ssl/default-ssl',
    description: 'Default certificate path prefix: <path>.crt and <path>.key.',
  },
  'nginx-vhost-stats-shared-memory': {
    type: 'number',
    integer: true,
    default: 1,
    description: 'Accepted for compatibility; no effect (the VTS module is not in Debian nginx; see README).',
  },
  'nginx-vhost-stats-request-buckets': {
    type: 'csv',
    description: 'Accepted for compatibility; no effect (the VTS module is not in Debian nginx; see README).',
  },
  'nginx-opentracing-plugin-path': {
    type: 'string',
    default: '',
    description: 'Not supported: a non-empty value is refused at start (no OpenTracing module; see README).',
  },
  'nginx-opentracing-config-path': {
    type: 'string',
    default: '',
    description: 'Not supported: a non-empty value is refused at start (no OpenTracing module; see README).',
  },
  'nginx-client-header-buffer-size-in-kb': {
    type: 'number',
    integer: true,
    default: 16,
    description: 'client_header_buffer_size in KB.',
  },
  'nginx-client-body-buffer-size-in-kb': {
    type: 'number',
    integer: true,
    default: 16,
    description: 'client_body_buffer_size in KB.',
  },
  'nginx-large-client-header-buffer-blocks': {
    type: 'number',
    integer: true,
    default: 4,
    description: 'large_client_header_buffers count (size = client header buffer size).',
  },
  pushgateway: {
    type: 'string',
    default: '',
    description: 'Prometheus pushgateway URL; empty means no push.',
  },
  'pushgateway-interval': {
    type: 'duration',
    default: 60_000,
    description: 'Push interval; a bare number is seconds.',
  },
  'pushgateway-label': {
    type: 'map',
    description: 'k=v labels added to every metric (not only pushed ones).',
  },
  'leader-election': {
    type: 'boolean',
    default: true,
    description:
      'Elect one replica (Lease) to write Ingress status; every replica serves traffic either way (kube-edge addition).',
  },
  'leader-election-namespace': {
    type: 'string',
    env: 'POD_NAMESPACE',
    default: 'default',
    description: 'Namespace of the leader-election Lease (kube-edge addition).',
  },
  'leader-election-name': {
    type: 'string',
    default: '',
    description: 'Name of the Lease; empty means feed-ingress-<ingress-class> (kube-edge addition).',
  },
  'pod-name': {
    type: 'string',
    env: 'POD_NAME',
    default: '',
    description:
      "This replica's identity for leader election and Events; empty means the hostname (kube-edge addition).",
  },
} as const satisfies FlagsSpec;

/** Subcommands: one per frontend (feed v2+), plus the offline `render`. */
export const COMMANDS = {
  elb: {
    description:
      'Attach this node to classic ELBs tagged sky.uk/KubernetesClusterFrontend=<value> and the ingress class.',
    flags: {
      region,
      'elb-frontend-tag-value': {
        type: 'string',
        default: '',
        description: 'Value of the sky.uk/KubernetesClusterFrontend tag (required).',
      },
      'elb-expected-number': {
        type: 'number',
        integer: true,
        default: 0,
        description: 'Expected number of ELBs; 0 means do not check.',
      },
      'drain-delay': drainDelay(60_000),
    },
  },
  nlb: {
    description:
      'Attach this node to every target group of the NLBs tagged like elb (by private IP or instance id).',
    flags: {
      region,
      'nlb-frontend-tag-value': {
        type: 'string',
        default: '',
        description: 'Value of the sky.uk/KubernetesClusterFrontend tag (required).',
      },
      'nlb-expected-number': {
        type: 'number',
        integer: true,
        default: 0,
        description: 'Expected number of NLBs; 0 means do not check.',
      },
      'nlb-readiness-delay': {
        type: 'duration',
        default: 300_000,
        description:
          'Time after attaching before /readyz says ready (NLB registration and health checks take minutes). kube-edge addition: feed hard-codes 5m.',
      },
      'drain-delay': drainDelay(60_000),
    },
  },
  alb: {
    description: 'Attach this node to named ALB target groups.',
    flags: {
      region,
      'alb-target-group-names': { type: 'csv', description: 'Target group names (required).' },
      'alb-target-group-deregistration-delay': {
        type: 'duration',
        default: 300_000,
        description: 'Time to wait after deregistering before nginx quits.',
      },
    },
  },
  gorb: {
    description: 'Register this node as a backend in gorb (IPVS) virtual services.',
    flags: {
      'gorb-endpoint': { type: 'string', default: 'http://127.0.0.1:80', description: 'gorb base URL.' },
      'gorb-ingress-instance-ip': {
        type: 'string',
        default: '127.0.0.1',
        description: 'Backend (real server) IP to register.',
      },
      'gorb-services-definition': {
        type: 'string',
        default: 'http-proxy:80,https-proxy:443',
        description: 'Comma-separated vsID:port pairs of existing gorb virtual services.',
      },
      'gorb-backend-method': {
        type: 'string',
        default: 'dr',
        description: 'IPVS forwarding method: dr, nat, tunnel or ipip.',
      },
      'gorb-backend-weight': { type: 'number', integer: true, default: 1000, description: 'Backend weight.' },
      'gorb-vip-loadbalancer': {
        type: 'string',
        default: '127.0.0.1',
        description: 'Comma-separated VIPs put on lo:<index>.',
      },
      'gorb-management-loopback': {
        type: 'boolean',
        default: true,
        description: 'Manage the loopback VIPs and ARP sysctls (needs NET_ADMIN).',
      },
      'gorb-interface-proc-fs-path': {
        type: 'string',
        default: '/host-ipv4-proc/',
        description:
          'Directory holding arp_ignore/arp_announce (hostPath of /proc/sys/net/ipv4/conf/<iface>/).',
      },
      'gorb-backend-healthcheck-interval': {
        type: 'string',
        default: '1s',
        description: 'gorb pulse interval.',
      },
      'gorb-backend-healthcheck-type': {
        type: 'string',
        default: 'http',
        description: 'gorb pulse type: tcp, http or none.',
      },
      'drain-delay': drainDelay(60_000, ' Registered on gorb too (feed v2+ forgot it).'),
    },
  },
  static: {
    description:
      'Attach nothing (externally managed load balancer); publish static hostnames in Ingress status.',
    flags: {
      'external-hostname': {
        type: 'string',
        default: '',
        description: 'Status hostname for sky.uk/frontend-scheme=internet-facing; empty means none.',
      },
      'internal-hostname': {
        type: 'string',
        default: '',
        description: 'Status hostname for sky.uk/frontend-scheme=internal; empty means none.',
      },
      'drain-delay': drainDelay(
        0,
        ' kube-edge addition for static (feed had none): time for an external load balancer to notice readiness failing.',
      ),
    },
  },
  render: {
    description:
      'Offline: read manifests from files and print the nginx.conf this controller would serve, and the skipped objects.',
    flags: {
      filename: {
        type: 'csv',
        alias: 'f',
        env: false,
        description: 'Manifest files or directories (YAML/JSON), comma-separated or repeated.',
      },
    },
  },
} as const;

/** The feed-ingress command line. Pure: parsing touches no process state. */
export const feedIngressCli = defineCli({
  name: 'feed-ingress',
  version: FEED_INGRESS_VERSION,
  description: `nginx ingress controller configured from Ingresses, attached to ELB, NLB, ALB, gorb or nothing (static); a re-implementation of sky-uk/feed's feed-ingress. ${MERLIN_NOTE}`,
  envPrefix: 'FEED_INGRESS',
  flags: ROOT_FLAGS,
  commands: COMMANDS,
});

/** A parsed `feed-ingress` command line. */
export type FeedIngressArgs = ReturnType<typeof feedIngressCli.parseOrExit>;

/** Every flag name (without `--`) across the root and all subcommands, for docs tests. */
export function allFlagNames(): string[] {
  const names = new Set<string>(Object.keys(ROOT_FLAGS));
  for (const c of Object.values(COMMANDS)) for (const f of Object.keys(c.flags)) names.add(f);
  return [...names].sort();
}

/**
 * Turns a feed v1.x command line into the subcommand form: v1 had no subcommands and chose the
 * frontend with `-registration-frontend-type=<elb|alb|gorb|merlin>`, so that flag (single or
 * double dash, `=value` or a separate value) is removed and its value becomes the command word,
 * in front. A line without it is returned unchanged (a subcommand is then required; v1's default
 * `elb` is not guessed). Flags after `--` are left alone. Pure.
 */
export function fromFeedV1Args(argv: readonly string[]): string[] {
  const out: string[] = [];
  let frontend: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] ?? '';
    if (token === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const m = /^--?registration-frontend-type(?:=(.*))?$/s.exec(token);
    if (m === null) {
      out.push(token);
      continue;
    }
    if (m[1] !== undefined) frontend = m[1];
    else {
      frontend = argv[i + 1] ?? '';
      i += 1;
    }
  }
  return frontend === undefined ? out : [frontend, ...out];
}
