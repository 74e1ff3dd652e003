import { Readable } from 'node:stream';
import { HttpResponse, type HttpRequest } from '@smithy/protocol-http';
import type { RetryErrorInfo, RetryStrategyV2, RetryToken } from '@smithy/types';
import { CLASSIC_ELB_NAMESPACE, CLASSIC_ELB_VERSION, FakeClassicElb } from './fake-classic-elb.js';
import { ELBV2_NAMESPACE, ELBV2_VERSION, FakeElbv2, type FakeElbv2Options } from './fake-elbv2.js';
import { ACM_TARGET_PREFIX, AwsJsonError, FakeAcm } from './fake-acm.js';
import { AUTOSCALING_NAMESPACE, AUTOSCALING_VERSION, FakeAutoScaling } from './fake-autoscaling.js';
import {
  CLOUDFORMATION_NAMESPACE,
  CLOUDFORMATION_VERSION,
  FakeCloudFormation,
  type FakeCloudFormationOptions,
  type FakeStackResourceHooks,
} from './fake-cloudformation.js';
import { EC2_NAMESPACE, EC2_VERSION, FakeEc2, ec2ErrorResponse, ec2Response } from './fake-ec2.js';
import { FakeIam, IAM_NAMESPACE, IAM_VERSION } from './fake-iam.js';
import { createFakeImds, type FakeImds, type FakeImdsOptions } from './fake-imds.js';
import { AwsQueryError, QueryParams, queryErrorResponse, queryResponse } from './query-protocol.js';
import { requestBodyText } from './request-body.js';

/** Which fake API a request went to. */
export type FakeAwsApi = 'elb' | 'elbv2' | 'cloudformation' | 'acm' | 'iam' | 'ec2' | 'autoscaling';

/** Every {@link FakeAwsApi}, in a stable order. */
export const FAKE_AWS_APIS: readonly FakeAwsApi[] = [
  'elb',
  'elbv2',
  'cloudformation',
  'acm',
  'iam',
  'ec2',
  'autoscaling',
];

/** The IAM service prefix of each API's actions (`elasticloadbalancing:RegisterTargets`). */
export const FAKE_AWS_IAM_PREFIX: Readonly<Record<FakeAwsApi, string>> = {
  elb: 'elasticloadbalancing',
  elbv2: 'elasticloadbalancing',
  cloudformation: 'cloudformation',
  acm: 'acm',
  iam: 'iam',
  ec2: 'ec2',
  autoscaling: 'autoscaling',
};

/** One request a fake received (throttled and failed ones included). */
export interface FakeAwsCall {
  api: FakeAwsApi;
  /** The operation, e.g. `UpdateStack`. */
  action: string;
  /** The IAM action that authorises it, e.g. `cloudformation:UpdateStack`. */
  iamAction: string;
  /** False for the read-only operations (`Describe*`, `List*`, `Get*`), true for all others. */
  mutating: boolean;
}

/** True when an operation changes state: everything but `Describe*`, `List*` and `Get*`. */
export function isMutatingAction(action: string): boolean {
  return !/^(Describe|List|Get)[A-Z]/.test(action);
}

/** Options of {@link createFakeAws}. */
export interface FakeAwsOptions {
  /** Default `eu-west-1`; also the IMDS region unless `imds.identity.region` says otherwise. */
  region?: string;
  /** Options of the fake metadata endpoint. */
  imds?: FakeImdsOptions;
  /** SDK attempts per call (first try included) in {@link FakeAws.clientConfig}. Default 3. */
  maxAttempts?: number;
  /** Clock for timestamps the fakes report (stack times, certificate dates). Default `Date.now`. */
  now?: () => number;
  /** Options of the CloudFormation fake (page size, `completeImmediately`). */
  cloudformation?: Omit<FakeCloudFormationOptions, 'now' | 'resourceHooks'>;
  /**
   * Options of the ELBv2 fake: `provisioningMs`, how long a new load balancer (a stack's too)
   * stays `provisioning` by `now` before it is `active`. Default 0.
   */
  elbv2?: Omit<FakeElbv2Options, 'now'>;
}

/** A fault to inject into the next matching requests of one API. */
export interface FakeAwsFault {
  /** Only requests with this `Action`; default any. */
  action?: string;
  /** The Query error code, e.g. `InternalFailure`, `LoadBalancerNotFound`. */
  code: string;
  /** Default `injected fault`. */
  message?: string;
  /** Default 400 (500 makes the SDK treat it as a server error). */
  status?: number;
  /** How many requests fail. Default 1. */
  count?: number;
  /**
   * The request takes effect and only then is answered with the error: a response lost on the
   * way back (the SDK retries a 5xx, and the retry meets the state the first attempt made, e.g.
   * `AlreadyExistsException`). Default false: the request is refused before it changes anything.
   */
  afterApply?: boolean;
}

/**
 * Settings for an SDK v3 client (classic ELB or ELBv2) that routes every request to the fakes:
 * spread into the client constructor, e.g. `new ElasticLoadBalancingV2Client(fake.clientConfig())`.
 */
export interface FakeAwsClientConfig {
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  requestHandler: FakeAwsRequestHandler;
  maxAttempts: number;
  retryStrategy: RetryStrategyV2;
}

/** The `requestHandler` shape the SDK accepts (HttpHandler from @smithy/protocol-http). */
export interface FakeAwsRequestHandler {
  handle(request: HttpRequest): Promise<{ response: HttpResponse }>;
  updateHttpClientConfig(key: never, value: never): void;
  httpHandlerConfigs(): Record<string, never>;
  destroy(): void;
}

/**
 * Stateful AWS fakes behind the real SDK v3 clients: classic ELB, ELBv2, CloudFormation, ACM,
 * IAM (server certificates), EC2 (describe side) and Auto Scaling answer in-process through the
 * client's `requestHandler` (so serialisation, signing, XML/JSON parsing, typed errors and the
 * SDK's retry of throttling all run for real); IMDS is a real HTTP server on 127.0.0.1. One
 * `clientConfig()` serves every client. The fakes are linked as AWS is: a completed stack's
 * ELBv2 load balancers and target groups exist in `elbv2`, and attaching a target group to an
 * Auto Scaling group registers the group's instances in it.
 */
export interface FakeAws {
  readonly region: string;
  readonly elb: FakeClassicElb;
  readonly elbv2: FakeElbv2;
  readonly cloudformation: FakeCloudFormation;
  readonly acm: FakeAcm;
  readonly iam: FakeIam;
  readonly ec2: FakeEc2;
  readonly autoscaling: FakeAutoScaling;
  readonly imds: FakeImds;
  /** Client settings routing to these fakes, with a retry strategy that backs off ~1 ms. */
  clientConfig(): FakeAwsClientConfig;
  /**
   * The next `count` requests to `api` (optionally only `action`) answer HTTP 400 with the
   * API's throttling code (`Throttling`; EC2 `RequestLimitExceeded`; ACM `ThrottlingException`),
   * as AWS does. Adds to any pending throttles.
   */
  throttleNext(api: FakeAwsApi, count: number, action?: string): void;
  /** Injects an arbitrary error response into the next matching requests. */
  failNext(api: FakeAwsApi, fault: FakeAwsFault): void;
  /** Every request `api` received (including throttled and failed ones), as `Action` names in order. */
  calls(api: FakeAwsApi): string[];
  /** Every request received by any API (or only `api`), in order, with its IAM action. */
  callLog(api?: FakeAwsApi): FakeAwsCall[];
  /** The mutating requests (see {@link isMutatingAction}) as IAM actions, in order; optionally of one API. */
  mutatingCalls(api?: FakeAwsApi): string[];
  /** How many requests each IAM action received. */
  callCounts(api?: FakeAwsApi): Record<string, number>;
  /** The distinct IAM actions requested so far, sorted: compare with a policy document. */
  iamActions(): string[];
  /** Forgets recorded calls (state and pending faults stay). */
  resetCalls(): void;
  /** Drops pending throttles and faults that have not fired yet. */
  clearFaults(): void;
  /** Stops the IMDS server. Idempotent. */
  close(): Promise<void>;
}

interface PendingFault {
  api: FakeAwsApi;
  action: string | undefined;
  error: AwsQueryError;
  remaining: number;
  afterApply: boolean;
}

class TinyBackoffToken implements RetryToken {
  constructor(readonly count: number) {}
  getRetryCount(): number {
    return this.count;
  }
  getRetryDelay(): number {
    return 1;
  }
}

/**
 * A retry strategy with the SDK's standard decision (retry what the SDK classified as
 * THROTTLING or TRANSIENT, up to `maxAttempts`) and a 1 ms delay, so tests exercise the SDK's
 * own error classification without waiting for its real backoff.
 */
export function createTinyBackoffRetryStrategy(maxAttempts: number): RetryStrategyV2 {
  return {
    acquireInitialRetryToken: () => Promise.resolve(new TinyBackoffToken(0)),
    refreshRetryTokenForRetry: async (token: RetryToken, info: RetryErrorInfo) => {
      const retryable = info.errorType === 'THROTTLING' || info.errorType === 'TRANSIENT';
      if (!retryable || token.getRetryCount() + 1 >= maxAttempts) throw new Error('No retry token available');
      await new Promise((resolve) => setTimeout(resolve, 1));
      return new TinyBackoffToken(token.getRetryCount() + 1);
    },
    recordSuccess: () => undefined,
  };
}

/** The Query-protocol APIs, told apart by the `Version` every request carries. */
const QUERY_APIS: readonly { api: Exclude<FakeAwsApi, 'acm'>; version: string; namespace: string }[] = [
  { api: 'elb', version: CLASSIC_ELB_VERSION, namespace: CLASSIC_ELB_NAMESPACE },
  { api: 'elbv2', version: ELBV2_VERSION, namespace: ELBV2_NAMESPACE },
  { api: 'cloudformation', version: CLOUDFORMATION_VERSION, namespace: CLOUDFORMATION_NAMESPACE },
  { api: 'iam', version: IAM_VERSION, namespace: IAM_NAMESPACE },
  { api: 'ec2', version: EC2_VERSION, namespace: EC2_NAMESPACE },
  { api: 'autoscaling', version: AUTOSCALING_VERSION, namespace: AUTOSCALING_NAMESPACE },
];

function literal(value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

function literalTags(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(value)) return out;
  for (const t of value as unknown[]) {
    const tag = t as { Key?: unknown; Value?: unknown };
    const k = literal(tag.Key);
    const v = literal(tag.Value);
    if (k !== undefined && v !== undefined) out[k] = v;
  }
  return out;
}

/**
 * A stack's ELBv2 load balancers and target groups live in the ELBv2 fake while the stack is
 * complete. Only literal property values are read (a `Ref` falls back to the default).
 */
function elbv2StackResources(elbv2: FakeElbv2): FakeStackResourceHooks {
  const nameOf = (stack: string, logicalId: string, props: Record<string, unknown>): string =>
    literal(props.Name) ?? `${stack}-${logicalId}`.slice(0, 32).replace(/-+$/, '');
  return {
    create(stack, logicalId, type, props) {
      if (type === 'AWS::ElasticLoadBalancingV2::LoadBalancer') {
        const lbType = literal(props.Type);
        const scheme = literal(props.Scheme);
        const lb = elbv2.createLoadBalancer({
          name: nameOf(stack, logicalId, props),
          type: lbType === 'network' || lbType === 'gateway' ? lbType : 'application',
          scheme: scheme === 'internal' ? 'internal' : 'internet-facing',
          tags: literalTags(props.Tags),
        });
        return {
          ref: lb.arn,
          attributes: {
            DNSName: lb.dnsName,
            CanonicalHostedZoneID: lb.canonicalHostedZoneId,
            LoadBalancerName: lb.name,
            LoadBalancerFullName: lb.arn.split(':loadbalancer/')[1] ?? lb.name,
          },
        };
      }
      if (type === 'AWS::ElasticLoadBalancingV2::TargetGroup') {
        const targetType = literal(props.TargetType);
        const tg = elbv2.createTargetGroup({
          name: nameOf(stack, logicalId, props),
          port: Number(literal(props.Port) ?? 80),
          protocol: literal(props.Protocol) ?? 'HTTP',
          targetType:
            targetType === 'ip' || targetType === 'lambda' || targetType === 'alb' ? targetType : 'instance',
          tags: literalTags(props.Tags),
        });
        return {
          ref: tg.arn,
          attributes: { TargetGroupName: tg.name, TargetGroupFullName: tg.arn.split(':')[5] ?? tg.name },
        };
      }
      return undefined;
    },
    delete(type, ref) {
      if (type === 'AWS::ElasticLoadBalancingV2::LoadBalancer') elbv2.deleteLoadBalancer(ref);
      else if (type === 'AWS::ElasticLoadBalancingV2::TargetGroup') elbv2.deleteTargetGroup(ref);
    },
  };
}

/** Creates the fakes and starts the IMDS server. Call `close()` when done (e.g. in afterAll). */
export async function createFakeAws(options: FakeAwsOptions = {}): Promise<FakeAws> {
  const region = options.region ?? 'eu-west-1';
  const maxAttempts = options.maxAttempts ?? 3;
  const elb = new FakeClassicElb(region);
  const now = options.now ?? Date.now;
  const elbv2 = new FakeElbv2(region, { ...options.elbv2, now });
  const cloudformation = new FakeCloudFormation(region, {
    ...options.cloudformation,
    now,
    resourceHooks: elbv2StackResources(elbv2),
  });
  const acm = new FakeAcm(region, { now });
  const iam = new FakeIam({ now });
  const ec2 = new FakeEc2(region);
  const autoscaling = new FakeAutoScaling(region, {
    exists: (arn) => elbv2.targetGroup(arn) !== undefined,
    register: (arn, ids) => {
      elbv2.registerTargets(
        arn,
        ids.map((id) => ({ id })),
      );
    },
    deregister: (arn, ids) => {
      elbv2.deregisterTargets(arn, ids);
    },
  });
  const imds = await createFakeImds({ ...options.imds, identity: { region, ...options.imds?.identity } });
  const log: FakeAwsCall[] = [];
  const record = (api: FakeAwsApi, action: string): void => {
    log.push({
      api,
      action,
      iamAction: `${FAKE_AWS_IAM_PREFIX[api]}:${action}`,
      mutating: isMutatingAction(action),
    });
  };
  const faults: PendingFault[] = [];
  let requestCounter = 0;

  const respond = (
    status: number,
    body: string,
    contentType = 'text/xml',
    extraHeaders: Record<string, string> = {},
  ): { response: HttpResponse } => ({
    response: new HttpResponse({
      statusCode: status,
      headers: { 'content-type': contentType, 'x-amzn-requestid': `req-${requestCounter}`, ...extraHeaders },
      body: Readable.from([Buffer.from(body, 'utf8')]),
    }),
  });

  const takeFault = (api: FakeAwsApi, action: string, afterApply = false): AwsQueryError | undefined => {
    const fault = faults.find(
      (f) => f.api === api && (f.action === undefined || f.action === action) && f.afterApply === afterApply,
    );
    if (fault === undefined) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) faults.splice(faults.indexOf(fault), 1);
    return fault.error;
  };

  const signed = (request: HttpRequest): boolean =>
    request.headers.authorization?.startsWith('AWS4-HMAC-SHA256 ') === true;

  // ACM speaks JSON 1.1: the operation is in X-Amz-Target, errors carry `__type`.
  const handleJson = async (request: HttpRequest, target: string): Promise<{ response: HttpResponse }> => {
    const json = (status: number, payload: unknown, errorType?: string): { response: HttpResponse } =>
      respond(
        status,
        JSON.stringify(payload),
        'application/x-amz-json-1.1',
        errorType === undefined ? {} : { 'x-amzn-errortype': errorType },
      );
    const jsonError = (err: { code: string; message: string; status: number }): { response: HttpResponse } =>
      json(err.status, { __type: err.code, message: err.message }, err.code);
    const operation = target.slice(ACM_TARGET_PREFIX.length);
    record('acm', operation);
    if (!signed(request)) {
      return jsonError({
        code: 'MissingAuthenticationTokenException',
        message: 'Missing Authentication Token',
        status: 403,
      });
    }
    const fault = takeFault('acm', operation);
    if (fault !== undefined) return jsonError(fault);
    const text = await requestBodyText(request.body, 'FakeAws');
    try {
      const input = (text === '' ? {} : JSON.parse(text)) as Record<string, unknown>;
      const result = acm.handle(operation, input);
      const late = takeFault('acm', operation, true);
      return late === undefined ? json(200, result) : jsonError(late);
    } catch (err) {
      if (err instanceof AwsJsonError) return jsonError(err);
      throw err;
    }
  };

  const requestHandler: FakeAwsRequestHandler = {
    async handle(request: HttpRequest) {
      requestCounter += 1;
      const requestId = `00000000-0000-4000-8000-${requestCounter.toString(16).padStart(12, '0')}`;
      const target = request.headers['x-amz-target'] ?? request.headers['X-Amz-Target'];
      if (target?.startsWith(ACM_TARGET_PREFIX) === true) return handleJson(request, target);
      const params = new QueryParams(await requestBodyText(request.body, 'FakeAws'));
      const route = QUERY_APIS.find((r) => r.version === params.version);
      if (route === undefined) {
        return respond(
          400,
          queryErrorResponse(
            new AwsQueryError('InvalidAction', `unsupported API version ${params.version}`),
            ELBV2_NAMESPACE,
            requestId,
          ),
        );
      }
      const { api, namespace } = route;
      const errorXml = (err: AwsQueryError): string =>
        api === 'ec2' ? ec2ErrorResponse(err, requestId) : queryErrorResponse(err, namespace, requestId);
      record(api, params.action);
      if (!signed(request)) {
        const err = new AwsQueryError(
          'MissingAuthenticationToken',
          'Request is missing Authentication Token',
          403,
        );
        return respond(403, errorXml(err));
      }
      const fault = takeFault(api, params.action);
      if (fault !== undefined) return respond(fault.status, errorXml(fault));
      try {
        const fake = { elb, elbv2, cloudformation, iam, ec2, autoscaling }[api];
        const result = fake.handle(params);
        const late = takeFault(api, params.action, true);
        if (late !== undefined) return respond(late.status, errorXml(late));
        return respond(
          200,
          api === 'ec2'
            ? ec2Response(params.action, result, requestId)
            : queryResponse(params.action, namespace, result, requestId),
        );
      } catch (err) {
        if (err instanceof AwsQueryError) return respond(err.status, errorXml(err));
        throw err;
      }
    },
    updateHttpClientConfig: () => undefined,
    httpHandlerConfigs: () => ({}),
    destroy: () => undefined,
  };

  const addFault = (
    api: FakeAwsApi,
    action: string | undefined,
    error: AwsQueryError,
    count: number,
    afterApply = false,
  ): void => {
    if (count > 0) faults.push({ api, action, error, remaining: count, afterApply });
  };

  return {
    region,
    elb,
    elbv2,
    cloudformation,
    acm,
    iam,
    ec2,
    autoscaling,
    imds,
    clientConfig: () => ({
      region,
      credentials: { accessKeyId: 'AKIDFAKEFAKEFAKE', secretAccessKey: 'fake-secret' },
      requestHandler,
      maxAttempts,
      retryStrategy: createTinyBackoffRetryStrategy(maxAttempts),
    }),
    throttleNext: (api, count, action) =>
      addFault(
        api,
        action,
        new AwsQueryError(
          api === 'ec2' ? 'RequestLimitExceeded' : api === 'acm' ? 'ThrottlingException' : 'Throttling',
          'Rate exceeded',
        ),
        count,
      ),
    failNext: (api, fault) =>
      addFault(
        api,
        fault.action,
        new AwsQueryError(
          fault.code,
          fault.message ?? 'injected fault',
          fault.status ?? 400,
          (fault.status ?? 400) >= 500 ? 'Receiver' : 'Sender',
        ),
        fault.count ?? 1,
        fault.afterApply ?? false,
      ),
    calls: (api) => log.filter((c) => c.api === api).map((c) => c.action),
    callLog: (api) => log.filter((c) => api === undefined || c.api === api).map((c) => ({ ...c })),
    mutatingCalls: (api) =>
      log.filter((c) => c.mutating && (api === undefined || c.api === api)).map((c) => c.iamAction),
    callCounts: (api) => {
      const counts: Record<string, number> = {};
      for (const c of log)
        if (api === undefined || c.api === api) counts[c.iamAction] = (counts[c.iamAction] ?? 0) + 1;
      return counts;
    },
    iamActions: () => [...new Set(log.map((c) => c.iamAction))].sort(),
    resetCalls: () => {
      log.length = 0;
    },
    clearFaults: () => {
      faults.length = 0;
    },
    close: () => imds.close(),
  };
}
