import { readFileSync } from 'node:fs';
import { defineCli, logFlags } from '@kube-edge/runtime';

/**
 * The app's version, printed by `--version` and sent in the user agent: the `version` of the
 * app's package.json, its one version source (the image label and the Helm chart derive from it
 * too). Read once when the module loads; package.json sits beside `src/` and `dist/` in the
 * repository and in the image (`pnpm deploy` copies it).
 */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

const shared = {
  config: {
    type: 'string',
    default: '/etc/kuberoute/config',
    description: 'Path to the INI config file (the original help text named this default).',
  },
  ...logFlags({
    levelDescription: 'Log level (kube-edge). --debug also turns on debug.',
    formatDescription: 'Log format (kube-edge): JSON lines, or readable lines; auto = pretty on a terminal.',
    defaultFormat: 'auto',
  }),
} as const;

/** `kuberoute [flags]`: the server, as the original. */
export const cli = defineCli({
  name: 'kuberoute',
  version: VERSION,
  description:
    'Publishes the node IPs of labelled NodePort services in Route53 or SkyDNS (etcd). GET / reconciles once; GET /health. Offline: kuberoute plan --help.',
  envPrefix: 'KUBEROUTE',
  flags: {
    ...shared,
    port: {
      type: 'number',
      integer: true,
      description:
        'Port for GET / and GET /health (and /healthz, /readyz, /metrics); overrides [kuberoute] port.',
    },
    debug: { type: 'boolean', description: 'Log the decision for every service.' },
    interval: {
      type: 'duration',
      default: 0,
      description: 'Also reconcile on this period (kube-edge; e.g. 1m). 0 = only on GET /, as the original.',
    },
    watch: {
      type: 'boolean',
      default: false,
      description:
        'Also reconcile when a Service, Pod or Node changes (kube-edge; coalesced, at most every 2s).',
    },
    events: {
      type: 'boolean',
      default: true,
      description: 'Record Kubernetes Events on skipped services and pods (kube-edge).',
    },
  },
});

/** `kuberoute plan`: offline, from manifest files. */
export const planCli = defineCli({
  name: 'kuberoute plan',
  version: VERSION,
  description:
    'Prints the records kuberoute would publish for Services, Pods and Nodes read from manifest files, without a cluster or DNS access.',
  envPrefix: 'KUBEROUTE',
  flags: {
    config: shared.config,
    manifests: {
      type: 'csv',
      required: true,
      description: 'Manifest files or directories (YAML/JSON, multi-document) with Services, Pods and Nodes.',
    },
  },
});
