import { readFileSync } from 'node:fs';
import { leaderElectionFlags } from '@kube-edge/k8s-watch/leader-election-flags';
import { defineCli, logFlags, type FlagsSpec } from '@kube-edge/runtime';

/**
 * The app's version, printed by `--version` and sent in the user agent: the `version` of the
 * app's package.json, its one version source (the image label and the Helm chart derive from it
 * too). Read once when the module loads; package.json sits beside `src/` and `dist/` in the
 * repository and in the image (`pnpm deploy` copies it).
 */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** Default of `--health-port`, as in feed-dns. */
export const DEFAULT_HEALTH_PORT = 12082;

const LOG_FLAGS = logFlags({
  levelDescription: 'Log level (kube-edge). -debug wins over it.',
  formatDescription: 'Log line format (kube-edge): one JSON object per line, or readable lines.',
});

/** Flags shared by the controller and the offline `plan`: what decides the desired records. */
const SELECTION_FLAGS = {
  'r53-hosted-zone': {
    type: 'csv',
    description:
      'Route53 hosted zone to manage: a zone id (Z123...) or a domain. Repeat it (or give a comma-separated list) for several zones; each host goes to the zone with the longest matching domain.',
  },
  'internal-hostname': {
    type: 'string',
    description:
      'Static mode: CNAME target for ingresses with sky.uk/frontend-scheme=internal. Either static hostname alone is enough.',
  },
  'external-hostname': {
    type: 'string',
    description: 'Static mode: CNAME target for ingresses with sky.uk/frontend-scheme=internet-facing.',
  },
  'cname-ttl': {
    type: 'duration',
    default: 300_000,
    description: 'TTL of static-mode CNAME records (Go duration; written as whole seconds).',
  },
  'ingress-class': {
    type: 'string',
    description:
      'Optional class filter (kube-edge): only ingresses whose kubernetes.io/ingress.class annotation (or, without it, spec.ingressClassName) equals this. Unset: every ingress (feed v1.x semantics).',
  },
  'include-classless-ingresses': {
    type: 'boolean',
    description: 'With --ingress-class: also take ingresses that name no class at all.',
  },
  'max-delete-share': {
    type: 'number',
    default: 0.5,
    description:
      'Mass-deletion guard (kube-edge): while ingresses exist, refuse (apply nothing) a plan that deletes more than this share (0-1) of the managed records. 1 turns the guard off.',
  },
} as const satisfies FlagsSpec;

/** The controller's command line: every feed-dns flag, plus kube-edge's additions. */
export const controllerCli = defineCli({
  name: 'feed-dns',
  version: VERSION,
  description:
    "Keeps Route53 records for ingress hosts pointing at the right load balancer (sky-uk/feed's feed-dns). Flags may also be written with one dash (-r53-hosted-zone=Z1). Offline: 'feed-dns plan -f <files>' prints the changes without a cluster or AWS account (see 'feed-dns plan --help').",
  envPrefix: 'FEED_DNS',
  flags: {
    debug: { type: 'boolean', description: 'Debug logging (same as --log-level=debug).' },
    kubeconfig: {
      type: 'string',
      description: 'Path to a kubeconfig. Unset: $KUBECONFIG, then the in-cluster service account.',
    },
    'resync-period': {
      type: 'duration',
      default: 15 * 60_000,
      description:
        'Full recompute period, and how long the Route53 zone listing is trusted before listing again.',
    },
    'health-port': {
      type: 'number',
      integer: true,
      default: DEFAULT_HEALTH_PORT,
      description: "Port for /healthz, /readyz, /metrics and feed's /health, /readiness, /alive.",
    },
    ...SELECTION_FLAGS,
    'elb-label-value': {
      type: 'string',
      description:
        'Alias mode: classic ELBs tagged sky.uk/KubernetesClusterFrontend=<value>, one per scheme, get ALIAS records.',
    },
    'nlb-label-value': {
      type: 'string',
      description:
        'Alias mode (kube-edge): NLBs/ALBs (ELBv2) tagged sky.uk/KubernetesClusterFrontend=<value>, one per scheme.',
    },
    'alb-names': {
      type: 'csv',
      description: 'Alias mode: ELBv2 load balancers by name (one per scheme).',
    },
    'elb-region': {
      type: 'string',
      default: 'eu-west-1',
      description: 'AWS region of the load balancers (and of the AWS clients).',
    },
    'aws-api-retries': {
      type: 'number',
      integer: true,
      default: 5,
      description: 'Retries per AWS API call (the SDK retries throttling and transient errors).',
    },
    'dry-run': {
      type: 'boolean',
      description: 'Plan and log every change (kube-edge); write nothing to Route53.',
    },
    pushgateway: {
      type: 'string',
      description: 'Prometheus pushgateway URL to push metrics to (job feed-dns).',
    },
    'pushgateway-interval': {
      type: 'duration',
      default: 60_000,
      description: 'Interval between pushes (a bare number is seconds).',
    },
    'pushgateway-label': {
      type: 'map',
      description: 'k=v labels added to every metric (and to pushes).',
    },
    ...leaderElectionFlags({
      defaultName: 'feed-dns',
      description:
        'Only the replica holding the Lease writes to Route53 (kube-edge). --no-leader-elect for one replica.',
    }),
    ...LOG_FLAGS,
  },
});

/** `feed-dns plan`: the offline plan. */
export const planCli = defineCli({
  name: 'feed-dns plan',
  description:
    'Prints the Route53 changes feed-dns would make for the Ingress manifests in the files, against zone snapshot files (aws route53 list-resource-record-sets output) or empty zones. Reads files only.',
  envPrefix: 'FEED_DNS',
  flags: {
    filename: {
      type: 'csv',
      alias: 'f',
      required: true,
      env: false,
      description: 'Manifest files or directories (YAML or JSON, Lists flattened). Repeatable.',
    },
    'zone-file': {
      type: 'csv',
      env: false,
      description:
        'A zone snapshot: JSON from `aws route53 list-resource-record-sets` (the zone is the SOA record\'s name), optionally with a "HostedZone": {"Id","Name"} member. Repeatable.',
    },
    frontend: {
      type: 'map',
      env: false,
      description:
        'Alias mode: scheme=<load balancer DNS name>@<canonical hosted zone id>, e.g. internal=internal-edge-1.eu-west-1.elb.amazonaws.com@Z32O12XQLNTSW2.',
    },
    output: {
      type: 'enum',
      choices: ['text', 'json'],
      default: 'text',
      env: false,
      description: 'Output format.',
    },
    ...SELECTION_FLAGS,
  },
});
