import { request as httpRequestRaw, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequestRaw, type RequestOptions as HttpsRequestOptions } from 'node:https';
import { isIP, type Socket } from 'node:net';
import { TLSSocket } from 'node:tls';

/** A complete HTTP response, body read as UTF-8. */
export interface HttpResult {
  status: number;
  /** Response headers, lower-cased names, as node:http gives them. */
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** For HTTPS: the certificate the server presented (so a test can tell which one SNI chose). */
  peerCertificate?: PeerCertificate;
  /** Parses `body` as JSON; throws a SyntaxError naming the status and a body excerpt if it is not JSON. */
  json<T = unknown>(): T;
}

/** The parts of a server certificate tests assert on. */
export interface PeerCertificate {
  /** Subject common name. */
  commonName: string;
  /** As Node formats it, e.g. `DNS:a.test, IP Address:127.0.0.1`. */
  subjectAltName: string;
  /** Issuer common name. */
  issuerCommonName: string;
  /** SHA-256 fingerprint, colon-separated hex. */
  fingerprint256: string;
}

/** Options of {@link httpRequest}. */
export interface HttpRequestOptions {
  /** `http://` or `https://` URL; the connection goes to its host and port. */
  url: string;
  /** Host header (may include `:port`). Default: the URL's host. Also the default TLS SNI name. */
  host?: string;
  /** TLS SNI server name. Default: `host` without its port, unless that is an IP address (then none). */
  servername?: string;
  /** Default `GET`. */
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** CA certificates to trust (PEM) instead of the system store. */
  ca?: string | Buffer;
  /** Client certificate (PEM), for mutual TLS. */
  cert?: string | Buffer;
  /** Client key (PEM), for mutual TLS. */
  key?: string | Buffer;
  /** Default true: verify the server certificate against `ca` and the SNI name. */
  rejectUnauthorized?: boolean;
  /** Deadline for the whole exchange, connect to last body byte. Default 5000 ms. */
  timeoutMs?: number;
}

function hostWithoutPort(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end > 0 ? host.slice(1, end) : host;
  }
  const colon = host.lastIndexOf(':');
  return colon >= 0 && host.indexOf(':') === colon ? host.slice(0, colon) : host;
}

function peerCertificateOf(socket: Socket): PeerCertificate | undefined {
  if (!(socket instanceof TLSSocket)) return undefined;
  const cert = socket.getPeerCertificate();
  if (Object.keys(cert).length === 0) return undefined;
  const cn = (name: Record<string, string | string[] | undefined> | undefined): string => {
    const value = name?.CN;
    return Array.isArray(value) ? value.join(',') : (value ?? '');
  };
  return {
    commonName: cn(cert.subject),
    subjectAltName: cert.subjectaltname ?? '',
    issuerCommonName: cn(cert.issuer),
    fingerprint256: cert.fingerprint256,
  };
}

function makeResult(
  status: number,
  headers: IncomingHttpHeaders,
  body: string,
  peerCertificate: PeerCertificate | undefined,
): HttpResult {
  return {
    status,
    headers: { ...headers },
    body,
    ...(peerCertificate === undefined ? {} : { peerCertificate }),
    json<T = unknown>(): T {
      try {
        return JSON.parse(body) as T;
      } catch (error) {
        throw new SyntaxError(
          `response (status ${status}) is not JSON: ${JSON.stringify(body.slice(0, 200))}`,
          {
            cause: error,
          },
        );
      }
    },
  };
}

/**
 * Sends one HTTP(S) request on a fresh connection (no keep-alive pool, so a test never reuses a
 * connection to an nginx worker that has since been reloaded) and reads the whole response.
 * Never follows redirects: a 3xx is returned as is. Non-blocking; safe to call concurrently.
 * Rejects on connection errors, TLS verification failures and when `timeoutMs` passes.
 */
export async function httpRequest(options: HttpRequestOptions): Promise<HttpResult> {
  const url = new URL(options.url);
  const isHttps = url.protocol === 'https:';
  if (!isHttps && url.protocol !== 'http:') {
    throw new Error(`httpRequest supports http and https URLs, got ${url.protocol}`);
  }
  const headers: OutgoingHttpHeaders = { ...options.headers };
  if (options.host !== undefined) {
    headers.host = options.host;
  }
  if (options.body !== undefined) {
    headers['content-length'] = Buffer.byteLength(options.body);
  }
  const requestOptions: HttpsRequestOptions = {
    hostname: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? (isHttps ? 443 : 80) : Number(url.port),
    path: `${url.pathname}${url.search}`,
    method: options.method ?? 'GET',
    headers,
    agent: false,
  };
  if (isHttps) {
    const sniHost = options.servername ?? hostWithoutPort(options.host ?? url.hostname);
    // Node rejects an IP address as SNI name (RFC 6066), so an IP means "send no SNI".
    requestOptions.servername = isIP(sniHost) === 0 ? sniHost : '';
    requestOptions.rejectUnauthorized = options.rejectUnauthorized ?? true;
    if (options.ca !== undefined) requestOptions.ca = options.ca;
    if (options.cert !== undefined) requestOptions.cert = options.cert;
    if (options.key !== undefined) requestOptions.key = options.key;
  }
  const timeoutMs = options.timeoutMs ?? 5000;

  return new Promise<HttpResult>((resolve, reject) => {
    const request = (isHttps ? httpsRequestRaw : httpRequestRaw)(requestOptions, (response) => {
      const peerCertificate = peerCertificateOf(response.socket);
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', fail);
      response.on('end', () => {
        clearTimeout(timer);
        resolve(
          makeResult(
            response.statusCode ?? 0,
            response.headers,
            Buffer.concat(chunks).toString('utf8'),
            peerCertificate,
          ),
        );
      });
    });
    const timer = setTimeout(() => {
      request.destroy(new Error(`${requestOptions.method} ${options.url} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    function fail(error: Error): void {
      clearTimeout(timer);
      reject(error);
    }
    request.on('error', fail);
    request.end(options.body);
  });
}
