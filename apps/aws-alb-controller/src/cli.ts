import { readFileSync } from 'node:fs';
import { leaderElectionFlags } from '@kube-edge/k8s-watch/leader-election-flags';
import { defineCli, logFlags, type FlagsSpec } from '@kube-edge/runtime';

/**
 * The app's version, printed by `--version` and sent in the user agent: the `version` of the
 * app's package.json (its one version source; the image label and the chart derive from it).
 */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** The env prefix of flags the original did not read from the environment. */
export const ENV_PREFIX = 'AWS_ALB_CONTROLLER';

/** The SSL policies an HTTPS/TLS listener may name (the ELBv2 predefined policies). */
export const SSL_POLICIES = [
  'ELBSecurityPolicy-2016-08',
  'ELBSecurityPolicy-FS-2018-06',
  'ELBSecurityPolicy-FS-1-2-2019-08',
  'ELBSecurityPolicy-FS-1-2-Res-2019-08',
  'ELBSecurityPolicy-FS-1-2-Res-2020-10',
  'ELBSecurityPolicy-TLS-1-2-2017-01',
  'ELBSecurityPolicy-TLS-1-2-Ext-2018-06',
  'ELBSecurityPolicy-TLS-1-1-2017-01',
  'ELBSecurityPolicy-2015-05',
  'ELBSecurityPolicy-TLS-1-0-2015-04',
  'ELBSecurityPolicy-TLS13-1-2-2021-06',
  'ELBSecurityPolicy-TLS13-1-2-Res-2021-06',
  'ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06',
  'ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06',
  'ELBSecurityPolicy-TLS13-1-3-2021-06',
] as const;

/** Flags shared by the controller and the offline `plan`: what decides stacks and templates. */
export const MODEL_FLAGS = {
  'controller-id': {
    type: 'string',
    default: 'kube-ingress-aws-controller',
    description:
      'Value of the kubernetes:application tag on the stacks (and the security group lookup): isolates several controllers in one account.',
  },
  'cluster-id': {
    type: 'string',
    description:
      'Cluster id of the kubernetes.io/cluster/<id> tags. Default: from the tags of the instance the controller runs on.',
  },
  'ingress-class-filter': {
    type: 'csv',
    keepEmpty: true,
    description:
      'Comma-separated ingress classes to take (spec.ingressClassName, else the kubernetes.io/ingress.class annotation). An empty entry ("foo,") also takes ingresses without a class. Unset: every ingress.',
  },
  'cluster-local-domain': {
    type: 'string',
    description:
      'Hosts ending in this domain (e.g. cluster.local) get no load balancer; an ingress with only such hosts gets its status cleared.',
  },
  'max-certs-alb': {
    type: 'number',
    integer: true,
    default: 24,
    description:
      'Most certificates on one ALB (1-24: the AWS limit of 25 minus one slot kept free for certificate changes).',
  },
  'disable-sni-support': {
    type: 'boolean',
    description: 'One certificate per load balancer (no SNI).',
  },
  'cert-ttl-timeout': {
    type: 'duration',
    default: 30 * 60_000,
    description:
      'How long a certificate no ingress uses stays on its load balancer; a stack whose certificates have all expired is deleted.',
  },
  'load-balancer-type': {
    type: 'enum',
    choices: ['application', 'network'],
    default: 'application',
    description:
      'Default load balancer type; the zalando.org/aws-load-balancer-type annotation (alb|nlb) overrides it per ingress.',
  },
  'ip-addr-type': {
    type: 'enum',
    choices: ['ipv4', 'dualstack'],
    default: 'ipv4',
    description:
      'Default IP address type; the alb.ingress.kubernetes.io/ip-address-type annotation overrides it.',
  },
  'ssl-policy': {
    type: 'enum',
    choices: SSL_POLICIES,
    default: 'ELBSecurityPolicy-2016-08',
    description:
      'SSL policy of the HTTPS/TLS listener; the zalando.org/aws-load-balancer-ssl-policy annotation overrides it.',
  },
  'aws-waf-web-acl-id': {
    type: 'string',
    description:
      'WAF web ACL associated with every ALB: a WAF classic regional id or an arn:aws:wafv2: ARN. The zalando.org/aws-waf-web-acl-id annotation overrides it.',
  },
  'redirect-http-to-https': {
    type: 'boolean',
    description: "The ALBs' port 80 listener answers 301 to https://#{host}:443/#{path}?#{query}.",
  },
  'health-check-path': {
    type: 'string',
    default: '/kube-system/healthz',
    description: 'Health check path of the target groups.',
  },
  'health-check-port': {
    type: 'number',
    integer: true,
    default: 9999,
    description: 'Health check port of the target groups (1-65535).',
  },
  'target-port': {
    type: 'number',
    integer: true,
    default: 9999,
    description: 'Port the target groups send traffic to (1-65535).',
  },
  'health-check-interval': {
    type: 'duration',
    default: 10_000,
    description: 'Health check interval of the target groups (5s-300s).',
  },
  'health-check-timeout': {
    type: 'duration',
    default: 5_000,
    description: 'Health check timeout of the ALB target groups (2s-120s).',
  },
  'alb-healthy-threshold-count': {
    type: 'number',
    integer: true,
    default: 5,
    description: 'Consecutive successful health checks before an ALB target is healthy (2-10).',
  },
  'alb-unhealthy-threshold-count': {
    type: 'number',
    integer: true,
    default: 2,
    description: 'Consecutive failed health checks before an ALB target is unhealthy (2-10).',
  },
  'nlb-healthy-threshold-count': {
    type: 'number',
    integer: true,
    default: 3,
    description: 'Consecutive health checks before an NLB target is healthy or unhealthy (2-10).',
  },
  'idle-connection-timeout': {
    type: 'duration',
    default: 60_000,
    description: 'Idle connection timeout of the ALBs (1s-4000s; outside that range is an error at start).',
  },
  'deregistration-delay-timeout': {
    type: 'duration',
    default: 5 * 60_000,
    description: 'Deregistration delay of the target groups (0s-3600s).',
  },
  'nlb-cross-zone': {
    type: 'boolean',
    description: 'Cross-zone load balancing on the NLBs.',
  },
  'nlb-http-enabled': {
    type: 'boolean',
    description: 'A TCP port 80 listener on the NLBs (off: an NLB cannot redirect HTTP to HTTPS).',
  },
  'nlb-zone-affinity': {
    type: 'enum',
    choices: ['any_availability_zone', 'availability_zone_affinity', 'partial_availability_zone_affinity'],
    default: 'any_availability_zone',
    description: "The NLBs' dns_record.client_routing_policy.",
  },
  'target-access-mode': {
    type: 'enum',
    choices: ['Legacy', 'HostPort', 'AWSCNI'],
    default: 'Legacy',
    description:
      'Target type of the target groups: Legacy sets none (as v0.7.2 stacks, so adopting them replaces no target group), HostPort sets instance (the nodes, through their Auto Scaling groups), AWSCNI sets ip (the IPs of the pods of --target-cni-namespace and --target-cni-pod-labelselector are registered).',
  },
  'target-https': {
    type: 'boolean',
    description:
      'ALB target groups send traffic and health checks to the targets over HTTPS (NLBs stay TCP).',
  },
  'alb-http-target-port': {
    type: 'number',
    integer: true,
    description:
      "Port (1-65535) of a second target group (TGHTTP) the ALBs' port 80 listener forwards to. Unset or equal to --target-port: port 80 forwards to the main target group.",
  },
  'nlb-http-target-port': {
    type: 'number',
    integer: true,
    description:
      "Port (1-65535) of a second target group (TGHTTP) the NLBs' port 80 listener forwards to; needs --nlb-http-enabled.",
  },
  'deny-internal-domains': {
    type: 'boolean',
    description:
      'A priority-1 rule on the ALB listeners answers requests for --internal-domains with a fixed response (not on a port 80 listener that redirects to HTTPS).',
  },
  'internal-domains': {
    type: 'csv',
    default: ['*.cluster.local'],
    description:
      'Host patterns --deny-internal-domains answers (* and ? wildcards, at most 128 characters each, at most 5). Repeatable.',
  },
  'deny-internal-domains-response': {
    type: 'string',
    default: 'Unauthorized',
    description: 'Body of the --deny-internal-domains response (at most 1024 characters).',
  },
  'deny-internal-domains-response-content-type': {
    type: 'enum',
    choices: ['text/plain', 'text/css', 'text/html', 'application/javascript', 'application/json'],
    default: 'text/plain',
    description: 'Content type of the --deny-internal-domains response.',
  },
  'deny-internal-domains-response-status-code': {
    type: 'number',
    integer: true,
    default: 401,
    description:
      'Status code of the --deny-internal-domains response: a 2XX, 4XX or 5XX code (what an ALB fixed response takes).',
  },
  'stack-termination-protection': {
    type: 'boolean',
    description: 'Termination protection on the stacks (turned off right before a stack is deleted).',
  },
  'additional-stack-tags': {
    type: 'map',
    description: 'k=v tags added to every stack (and so to its load balancer and target group).',
  },
  'logs-s3-bucket': {
    type: 'string',
    description: "S3 bucket for the load balancers' access logs. Unset: no access logs.",
  },
  'logs-s3-prefix': {
    type: 'string',
    description: 'Prefix within --logs-s3-bucket.',
  },
} as const satisfies FlagsSpec;

const LOG_FLAGS = {
  debug: { type: 'boolean', description: 'Debug logging (same as --log-level=debug).' },
  quiet: { type: 'boolean', description: 'Only warnings and errors (same as --log-level=warn).' },
  ...logFlags({
    levelDescription: 'Log level (kube-edge). -debug and -quiet win over it.',
    formatDescription: 'Log line format (kube-edge).',
  }),
} as const satisfies FlagsSpec;

/** The controller's command line: every kube-ingress-aws-controller flag it implements, plus kube-edge's. */
export const controllerCli = defineCli({
  name: 'aws-alb-controller',
  version: VERSION,
  description:
    "Manages AWS Application and Network Load Balancers for Ingresses through CloudFormation stacks (zalando-incubator/kube-ingress-aws-controller). Flags may be written with one dash (-polling-interval=30s) or two. Env vars: CUSTOM_FILTERS (EC2 instance filters), AWS_REGION. Offline: 'aws-alb-controller plan -f <files>' (see 'aws-alb-controller plan --help').",
  envPrefix: ENV_PREFIX,
  flags: {
    'api-server-base-url': {
      type: 'string',
      env: 'API_SERVER_BASE_URL',
      description:
        'Kubernetes API URL without authentication (e.g. kubectl proxy). Unset: --kubeconfig, $KUBECONFIG, then in-cluster.',
    },
    kubeconfig: {
      type: 'string',
      description:
        'Path to a kubeconfig (kube-edge). Unset: $KUBECONFIG, then the in-cluster service account.',
    },
    'polling-interval': {
      type: 'duration',
      env: 'POLLING_INTERVAL',
      default: 30_000,
      description:
        'A full reconcile every interval (the first one at start); Ingress changes also start one.',
    },
    'creation-timeout': {
      type: 'duration',
      env: 'CREATION_TIMEOUT',
      default: 5 * 60_000,
      description: 'Stack creation timeout (at least 1m; whole minutes are sent).',
    },
    'cert-polling-interval': {
      type: 'duration',
      env: 'CERT_POLLING_INTERVAL',
      default: 30 * 60_000,
      description: 'Refresh interval of the ACM and IAM certificate cache.',
    },
    'cf-custom-template': {
      type: 'string',
      env: false,
      deprecated:
        'it never had an effect (kube-ingress-aws-controller v0.7.2 read the file and did not use it); ignored',
      description: 'Ignored; accepted so v0.7.2 command lines keep working.',
    },
    'metrics-address': {
      type: 'string',
      default: ':7979',
      description: 'host:port of /metrics, /healthz and /readyz.',
    },
    'vpc-id': {
      type: 'string',
      description: 'VPC of the cluster. Default: the VPC of the instance the controller runs on.',
    },
    'blacklist-certificate-arns': {
      type: 'csv',
      description: 'Certificate ARNs never used. Repeatable.',
    },
    'min-load-balancer-age': {
      type: 'duration',
      default: 6 * 60_000,
      description:
        'Ingress status points at a new load balancer only once it is this old (its targets have registered) and active.',
    },
    region: {
      type: 'string',
      env: 'AWS_REGION',
      description: 'AWS region. Default: $AWS_REGION, then the instance metadata.',
    },
    'cert-filter-tag': {
      type: 'string',
      description:
        'key=value: only ACM and IAM certificates carrying this tag are used (one tag-listing call per certificate at each certificate refresh). Unset: every certificate.',
    },
    'target-cni-namespace': {
      type: 'string',
      description:
        'With --target-access-mode=AWSCNI (required then): namespace of the ingress router pods whose IPs are registered in the target groups.',
    },
    'target-cni-pod-labelselector': {
      type: 'string',
      description:
        'With --target-access-mode=AWSCNI (required then): label selector of those pods, e.g. application=skipper-ingress (a=x,b=y, a in (x,y), !a forms).',
    },
    'cloudwatch-alarms-config-map': {
      type: 'string',
      description:
        'namespace/name of a ConfigMap whose data keys each hold a YAML list of CloudWatch alarms (AWS::CloudWatch::Alarm properties), created on every load balancer (AlarmName prefixed with the stack name; LoadBalancer/TargetGroup dimensions point at its own). A bad key is skipped with a Warning Event on the ConfigMap. Unset: no alarms.',
    },
    'disable-instrumented-http-client': {
      type: 'boolean',
      env: false,
      deprecated:
        "it has no effect here (AWS and Kubernetes calls are counted by this app's own metrics); ignored",
      description: 'Ignored; accepted so later command lines of the original keep working.',
    },
    'aws-api-retries': {
      type: 'number',
      integer: true,
      default: 5,
      description: 'Retries per AWS API call (kube-edge; the SDK retries throttling and transient errors).',
    },
    ...leaderElectionFlags({
      defaultName: 'aws-alb-controller',
      description:
        'Only the replica holding the Lease writes to AWS and Ingress status (kube-edge). --no-leader-elect for one replica.',
    }),
    ...MODEL_FLAGS,
    ...LOG_FLAGS,
  },
});

/** `aws-alb-controller plan`: the offline plan. */
export const planCli = defineCli({
  name: 'aws-alb-controller plan',
  description:
    'Prints the stacks, templates and parameters aws-alb-controller would create, change or delete for the Ingress manifests in the files, against a described AWS state (stacks, certificates, subnets). Reads files only; no cluster or AWS account.',
  envPrefix: ENV_PREFIX,
  flags: {
    filename: {
      type: 'csv',
      alias: 'f',
      required: true,
      env: false,
      description: 'Manifest files or directories (YAML or JSON, Lists flattened). Repeatable.',
    },
    'aws-state': {
      type: 'string',
      env: false,
      description:
        'A JSON file describing AWS: {"certificates":[{"arn","domainNames","notBefore","notAfter"}],"stacks":[{"name","status","tags","parameters","outputs"}],"clusterId","vpcId","securityGroup","subnets":[{"id","zone","public","tags"}]}. Unset: no stacks, no certificates.',
    },
    now: {
      type: 'string',
      env: false,
      description: 'The time the plan is computed at (RFC 3339). Default: now.',
    },
    output: {
      type: 'enum',
      choices: ['text', 'json'],
      default: 'text',
      env: false,
      description: 'Output format.',
    },
    ...MODEL_FLAGS,
  },
});
