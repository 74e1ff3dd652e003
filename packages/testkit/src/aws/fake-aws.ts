import { Readable } from 'node:stream';
import { HttpResponse, type HttpRequest } from '@smithy/protocol-http';
import type { RetryErrorInfo, RetryStrategyV2, RetryToken } from '@smithy/types';
import { CLASSIC_ELB_NAMESPACE, CLASSIC_ELB_VERSION, FakeClassicElb } from './fake-classic-elb.js';
import { ELBV2_NAMESPACE, ELBV2_VERSION, FakeElbv2 } from './fake-elbv2.js';
import { createFakeImds, type FakeImds, type FakeImdsOptions } from './fake-imds.js';
import { AwsQueryError, QueryParams, queryErrorResponse, queryResponse } from './query-protocol.js';
import { requestBodyText } from './request-body.js';

/** Which fake API a request went to. */
export type FakeAwsApi = 'elb' | 'elbv2';

/** Options of {@link createFakeAws}. */
export interface FakeAwsOptions {
  /** Default `eu-west-1`; also the IMDS region unless `imds.identity.region` says otherwise. */
  region?: string;
  /** Options of the fake metadata endpoint. */
  imds?: FakeImdsOptions;
  /** SDK attempts per call (first try included) in {@link FakeAws.clientConfig}. Default 3. */
  maxAttempts?: number;
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
 * Stateful AWS fakes behind the real SDK v3 clients: classic ELB and ELBv2 answer in-process
 * through the client's `requestHandler` (so serialisation, signing, XML parsing, typed errors and
 * the SDK's retry of `Throttling` all run for real); IMDS is a real HTTP server on 127.0.0.1.
 */
export interface FakeAws {
  readonly region: string;
  readonly elb: FakeClassicElb;
  readonly elbv2: FakeElbv2;
  readonly imds: FakeImds;
  /** Client settings routing to these fakes, with a retry strategy that backs off ~1 ms. */
  clientConfig(): FakeAwsClientConfig;
  /**
   * The next `count` requests to `api` (optionally only `action`) answer HTTP 400
   * `Throttling: Rate exceeded`, as AWS does. Adds to any pending throttles.
   */
  throttleNext(api: FakeAwsApi, count: number, action?: string): void;
  /** Injects an arbitrary error response into the next matching requests. */
  failNext(api: FakeAwsApi, fault: FakeAwsFault): void;
  /** Every request `api` received (including throttled and failed ones), as `Action` names in order. */
  calls(api: FakeAwsApi): string[];
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

/** Creates the fakes and starts the IMDS server. Call `close()` when done (e.g. in afterAll). */
export async function createFakeAws(options: FakeAwsOptions = {}): Promise<FakeAws> {
  const region = options.region ?? 'eu-west-1';
  const maxAttempts = options.maxAttempts ?? 3;
  const elb = new FakeClassicElb(region);
  const elbv2 = new FakeElbv2(region);
  const imds = await createFakeImds({ ...options.imds, identity: { region, ...options.imds?.identity } });
  const calls: Record<FakeAwsApi, string[]> = { elb: [], elbv2: [] };
  const faults: PendingFault[] = [];
  let requestCounter = 0;

  const respond = (status: number, xml: string): { response: HttpResponse } => ({
    response: new HttpResponse({
      statusCode: status,
      headers: { 'content-type': 'text/xml', 'x-amzn-requestid': `req-${requestCounter}` },
      body: Readable.from([Buffer.from(xml, 'utf8')]),
    }),
  });

  const requestHandler: FakeAwsRequestHandler = {
    async handle(request: HttpRequest) {
      requestCounter += 1;
      const requestId = `00000000-0000-4000-8000-${requestCounter.toString(16).padStart(12, '0')}`;
      const params = new QueryParams(await requestBodyText(request.body, 'FakeAws'));
      const api: FakeAwsApi | undefined =
        params.version === CLASSIC_ELB_VERSION
          ? 'elb'
          : params.version === ELBV2_VERSION
            ? 'elbv2'
            : undefined;
      if (api === undefined) {
        return respond(
          400,
          queryErrorResponse(
            new AwsQueryError('InvalidAction', `unsupported API version ${params.version}`),
            ELBV2_NAMESPACE,
            requestId,
          ),
        );
      }
      const namespace = api === 'elb' ? CLASSIC_ELB_NAMESPACE : ELBV2_NAMESPACE;
      calls[api].push(params.action);
      if (request.headers.authorization?.startsWith('AWS4-HMAC-SHA256 ') !== true) {
        return respond(
          403,
          queryErrorResponse(
            new AwsQueryError('MissingAuthenticationToken', 'Request is missing Authentication Token'),
            namespace,
            requestId,
          ),
        );
      }
      const fault = faults.find(
        (f) => f.api === api && (f.action === undefined || f.action === params.action),
      );
      if (fault !== undefined) {
        fault.remaining -= 1;
        if (fault.remaining <= 0) faults.splice(faults.indexOf(fault), 1);
        return respond(fault.error.status, queryErrorResponse(fault.error, namespace, requestId));
      }
      try {
        const result = api === 'elb' ? elb.handle(params) : elbv2.handle(params);
        return respond(200, queryResponse(params.action, namespace, result, requestId));
      } catch (err) {
        if (err instanceof AwsQueryError)
          return respond(err.status, queryErrorResponse(err, namespace, requestId));
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
  ): void => {
    if (count > 0) faults.push({ api, action, error, remaining: count });
  };

  return {
    region,
    elb,
    elbv2,
    imds,
    clientConfig: () => ({
      region,
      credentials: { accessKeyId: 'AKIDFAKEFAKEFAKE', secretAccessKey: 'fake-secret' },
      requestHandler,
      maxAttempts,
      retryStrategy: createTinyBackoffRetryStrategy(maxAttempts),
    }),
    throttleNext: (api, count, action) =>
      addFault(api, action, new AwsQueryError('Throttling', 'Rate exceeded'), count),
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
      ),
    calls: (api) => [...calls[api]],
    resetCalls: () => {
      calls.elb.length = 0;
      calls.elbv2.length = 0;
    },
    clearFaults: () => {
      faults.length = 0;
    },
    close: () => imds.close(),
  };
}
