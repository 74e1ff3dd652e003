import { readFileSync } from 'node:fs';
import { leaderElectionFlags } from '@kube-edge/k8s-watch/leader-election-flags';
import { defineCli, logFlags, type FlagsSpec } from '@kube-edge/runtime';
import { DEFAULT_TO_BE_UPDATED_ANNOTATION } from './names.js';

/**
 * The app's version, printed by `--version` and sent in the user agent: the `version` of the
 * app's package.json, its one version source (the image label and the Helm chart derive from it).
 */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** Default port of the controller's /healthz, /readyz and /metrics. */
export const DEFAULT_HEALTH_PORT = 8080;

// Where these modes' Lease namespace comes from when --leader-elect-namespace is not given.
const LEASE_NAMESPACE_DESCRIPTION = 'Namespace of the Lease. Default: $POD_NAMESPACE, else default.';

const COMMON = {
  kubeconfig: { type: 'string', description: 'kubeconfig file. Default: in-cluster, then $KUBECONFIG.' },
  ...logFlags({
    levelDescription: 'Log level.',
    formatDescription: 'Log line format: one JSON object per line, or readable lines.',
  }),
} as const satisfies FlagsSpec;

/** `ingress-daemonset-controller [controller] [flags]`: the IngressDaemonSet controller. */
export const cli = defineCli({
  name: 'ingress-daemonset-controller',
  version: VERSION,
  description:
    'Reconciles IngressDaemonSets: one Deployment per matching node, a health-checker DaemonSet per health-check port, node-by-node rollouts. Other modes: `health-checker --help`, `node-detacher --help`.',
  envPrefix: 'INGRESS_DAEMONSET_CONTROLLER',
  flags: {
    ...COMMON,
    namespace: {
      type: 'csv',
      description:
        'Namespaces whose IngressDaemonSets are reconciled (repeat or comma-separate). Default: all.',
    },
    'health-port': {
      type: 'number',
      integer: true,
      default: DEFAULT_HEALTH_PORT,
      description: "Port of /healthz, /readyz and /metrics (the original's --metrics-addr :8080).",
    },
    'health-checker-image': {
      type: 'string',
      required: true,
      description:
        'Image of the health-checker DaemonSets when spec.healthChecker.image is unset: this image (the chart sets it).',
    },
    'health-checker-image-pull-policy': {
      type: 'enum',
      choices: ['Always', 'IfNotPresent', 'Never'],
      default: 'IfNotPresent',
      description: 'Pull policy of the health-checker when spec.healthChecker.imagePullPolicy is unset.',
    },
    'health-checker-service-account': {
      type: 'string',
      default: 'default',
      description:
        'ServiceAccount of the health-checker pods when spec.healthChecker.serviceAccountName is unset.',
    },
    'rollout-stall-timeout': {
      type: 'duration',
      default: 600_000,
      description:
        'A node whose update has not finished after this long is reported as a stalled rollout (condition Progressing=False, Warning Event).',
    },
    ...leaderElectionFlags({
      defaultName: 'ingress-daemonset-controller',
      description:
        "Only the replica holding the Lease writes (the original's --enable-leader-election). --no-leader-elect for one replica.",
      namespaceDescription: LEASE_NAMESPACE_DESCRIPTION,
      timings: false,
    }),
  },
});

/** `ingress-daemonset-controller health-checker [flags]`: answers the load balancer's health checks for one node. */
export const healthCheckerCli = defineCli({
  name: 'ingress-daemonset-controller health-checker',
  version: VERSION,
  description:
    "Serves GET /ok on the host network: 200 only while this node's per-node Deployment is fully available with no update pending, else 503 with the reasons.",
  envPrefix: 'INGRESS_DAEMONSET_HEALTH_CHECKER',
  flags: {
    ...COMMON,
    'healthcheck-addr': {
      type: 'string',
      default: ':8081',
      description: 'Address of /ok (also /healthz, /readyz, /metrics): [host]:port.',
    },
    namespace: { type: 'string', required: true, description: 'Namespace of the per-node Deployments.' },
    deployment: {
      type: 'string',
      description:
        'Name of the Deployment to report on (as the original). Default: found by --ingress-daemonset and --node-name.',
    },
    'ingress-daemonset': { type: 'string', description: 'Name of the IngressDaemonSet.' },
    'node-name': { type: 'string', description: 'This node. Default: $NODE_NAME.' },
    'to-be-updated-annotation': {
      type: 'string',
      default: DEFAULT_TO_BE_UPDATED_ANNOTATION,
      description: 'Deployment annotation that marks a pending update (503 while present).',
    },
  },
});

/** `ingress-daemonset-controller node-detacher [flags]`: @kube-edge/node-detacher as a mode of this image. */
export const nodeDetacherCli = defineCli({
  name: 'ingress-daemonset-controller node-detacher',
  version: VERSION,
  description:
    'Takes nodes out of their AWS load balancers (classic ELBs, ELBv2 target groups) when cordoned, tainted or annotated node-detacher.variant.run/detached, records it on the node and in an Attachment, evicts pods by deletion-priority, re-attaches when schedulable.',
  envPrefix: 'NODE_DETACHER',
  flags: {
    ...COMMON,
    name: {
      type: 'string',
      default: 'node-detacher',
      description: 'Instance name: the taint value and the Event component.',
    },
    'attachment-namespace': {
      type: 'string',
      description: 'Namespace of the Attachment resources. Default: $POD_NAMESPACE, else default.',
    },
    'trigger-taints': {
      type: 'csv',
      description:
        "Taint patterns that detach a node (instead of the defaults: the cluster autoscaler's, node.kubernetes.io/*, karpenter.sh/disrupted).",
    },
    'classic-elbs': { type: 'boolean', default: true, description: 'Detach from classic ELBs.' },
    'target-groups': { type: 'boolean', default: true, description: 'Detach from ELBv2 target groups.' },
    'evict-pods': {
      type: 'boolean',
      default: true,
      description: 'Evict pods with a deletion-priority annotation from detached nodes.',
    },
    'pod-grace-period': {
      type: 'number',
      integer: true,
      default: 30,
      description: 'gracePeriodSeconds of each eviction.',
    },
    'eviction-api-version': {
      type: 'enum',
      choices: ['policy/v1', 'policy/v1beta1'],
      default: 'policy/v1',
      description: 'API version of the Eviction body.',
    },
    resync: {
      type: 'duration',
      default: 60_000,
      description: 'Every node is reconciled again this often; 0: never.',
    },
    region: {
      type: 'string',
      description: "AWS region. Default: the SDK's (AWS_REGION, the instance metadata).",
    },
    'health-port': {
      type: 'number',
      integer: true,
      default: 8081,
      description: 'Port of /healthz, /readyz and /metrics.',
    },
    ...leaderElectionFlags({
      defaultName: 'node-detacher',
      description: 'Only the Lease holder works.',
      namespaceDescription: LEASE_NAMESPACE_DESCRIPTION,
      identity: false,
      timings: false,
    }),
  },
});

/** Splits `[host]:port` (`:8081`, `0.0.0.0:8081`, `[::]:8081`). Throws on a bad port. Pure. */
export function parseAddr(addr: string): { host?: string; port: number } {
  const i = addr.lastIndexOf(':');
  const host = addr.slice(0, Math.max(i, 0)).replace(/^\[(.*)\]$/, '$1');
  const port = Number(addr.slice(i + 1));
  if (i < 0 || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new TypeError(`--healthcheck-addr ${JSON.stringify(addr)}: expected [host]:port`);
  return { ...(host === '' ? {} : { host }), port };
}
