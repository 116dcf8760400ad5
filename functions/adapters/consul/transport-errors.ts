/**
 * Errors below HTTP: connection refused or reset, timeouts, TLS failures, broken streams and unreadable bodies.
 * {@link consulErrorFromTransport} maps Node/undici errors (by their `code`) to typed {@link ConsulRequestError}s.
 *
 * Invariant: nothing here copies request headers or bodies; the original error is kept as `cause` only when its
 * text cannot contain response data (JSON parse errors quote their input, so they are dropped).
 */
import { CONSUL_ERROR_CODES, ConsulRequestError, type ConsulRequestInfo } from '../../core/shared/consul-errors';

/** Codes meaning no TCP connection was made, so the request never left this process: safe to send elsewhere. */
const NOT_CONNECTED = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const TLS_UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'INVALID_CA', 'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Why a TLS connection failed. */
export type ConsulTlsProblem = 'untrusted' | 'server-name' | 'client-certificate' | 'closed-after-handshake' | 'protocol';

/** The TCP connection failed or broke before a response; `context.connected` says whether it was ever established. */
export class ConsulUnreachableError extends ConsulRequestError {
  constructor(req: ConsulRequestInfo, errorCode: string, connected: boolean, cause?: unknown) {
    super(
      CONSUL_ERROR_CODES.unreachable,
      req,
      connected ? `connection lost before a response (${errorCode})` : `cannot connect to Consul (${errorCode})`,
      'Check the Consul address (CONSUL_HTTP_ADDR or the deploy config), that an agent listens there, and the ' +
        'security groups / network ACLs between this host or Lambda and Consul.',
      { context: { errorCode, connected }, cause },
    );
  }
}

/** No response headers (phase `headers`) or a stalled body (phase `body`) within the configured timeout. */
export class ConsulTimeoutError extends ConsulRequestError {
  constructor(req: ConsulRequestInfo, phase: 'headers' | 'body', timeoutMs: number | undefined, cause?: unknown) {
    const within = timeoutMs === undefined ? 'in time' : `within ${timeoutMs} ms`;
    super(
      CONSUL_ERROR_CODES.timeout,
      req,
      phase === 'headers' ? `no response headers ${within}` : `response body stalled: no data ${within}`,
      'Check Consul server load and leader health; for large snapshots raise the ConsulHttpClient timeouts ' +
        '(streamHeadersMs / streamBodyMs).',
      { context: { phase, timeoutMs }, cause },
    );
  }
}

const TLS_REMEDY: Record<ConsulTlsProblem, string> = {
  untrusted: 'Point CONSUL_CACERT (or the deploy config caBundlePem) at the CA that signed the Consul server ' +
    'certificate; CONSUL_HTTP_SSL_VERIFY=false skips verification (never in production).',
  'server-name': 'Set CONSUL_TLS_SERVER_NAME (or tlsServerName) to a name in the server certificate, e.g. ' +
    'server.dc1.consul, when connecting by IP or through a load balancer.',
  'client-certificate': 'The server requires a client certificate it trusts: set CONSUL_CLIENT_CERT and ' +
    'CONSUL_CLIENT_KEY (or clientCertPem / clientKeyPem) to a certificate signed by the Consul CA.',
  'closed-after-handshake': 'The server closed the TLS connection without answering, which is how it rejects a ' +
    'client certificate it does not trust: check that CONSUL_CLIENT_CERT / clientCertPem is signed by the Consul CA ' +
    'and not expired.',
  protocol: 'The address and the scheme disagree: use https:// (or CONSUL_HTTP_SSL=true) only for the HTTPS port ' +
    '(8501 by default) and http:// for the HTTP port (8500).',
};

/** TLS handshake or certificate verification failed. `context.problem` tells which remedy applies. */
export class ConsulTlsError extends ConsulRequestError {
  constructor(req: ConsulRequestInfo, problem: ConsulTlsProblem, errorCode: string, cause?: unknown) {
    super(CONSUL_ERROR_CODES.tls, req, `TLS failed (${problem}, ${errorCode})`, TLS_REMEDY[problem], {
      context: { problem, errorCode },
      cause,
    });
  }
}

/** The response body broke after the headers (reset, truncated): the data received is incomplete. */
export class ConsulStreamInterruptedError extends ConsulRequestError {
  constructor(req: ConsulRequestInfo, bytesReceived: number, errorCode: string, cause?: unknown) {
    super(
      CONSUL_ERROR_CODES.streamInterrupted,
      req,
      `response body interrupted after ${bytesReceived} bytes (${errorCode})`,
      'Retry the operation; the partial data must not be stored or restored.',
      { context: { bytesReceived, errorCode }, cause },
    );
  }
}

/** A 2xx body that is not what the endpoint promises (invalid JSON, bad gzip). The body is never quoted. */
export class ConsulResponseInvalidError extends ConsulRequestError {
  constructor(req: ConsulRequestInfo, problem: string, contentType?: string) {
    super(CONSUL_ERROR_CODES.responseInvalid, req, `unexpected response: ${problem}`,
      'Check that the address points at a Consul agent, not at a proxy or load balancer page.',
      { context: { problem, contentType } });
  }
}

/** The `code` of a Node/undici error, looking into `AggregateError.errors` (happy-eyeballs connects). */
export function transportErrorCode(err: unknown): string {
  const e = err as { code?: unknown; errors?: unknown[]; cause?: unknown } | undefined;
  if (typeof e?.code === 'string') return e.code;
  if (Array.isArray(e?.errors) && e.errors.length > 0) return transportErrorCode(e.errors[0]);
  if (e?.cause !== undefined && e.cause !== err) return transportErrorCode(e.cause);
  return 'UNKNOWN';
}

function tlsProblem(code: string): ConsulTlsProblem | undefined {
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return 'server-name';
  if (TLS_UNTRUSTED.has(code)) return 'untrusted';
  if (/^ERR_SSL_(WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|HTTP_REQUEST)/.test(code)) return 'protocol';
  if (/^ERR_SSL_.*(CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN)/.test(code)) {
    return 'client-certificate';
  }
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_OSSL_')) return 'untrusted';
  return undefined;
}

/** What the client knows about a request beyond the error: timeouts to name, whether a client cert was sent. */
export interface TransportContext {
  readonly headersMs?: number;
  readonly bodyMs?: number;
  /** A client certificate was configured (so a silent close after the handshake means it was rejected). */
  readonly clientCertificate?: boolean;
}

/** https, a client certificate sent, and the fresh connection closed before a single response byte. */
function closedAfterHandshake(err: unknown, code: string, req: ConsulRequestInfo, ctx: TransportContext): boolean {
  const socket = (err as { socket?: { bytesRead?: number } } | undefined)?.socket;
  return ctx.clientCertificate === true && code === 'UND_ERR_SOCKET' && req.address.startsWith('https:') && socket?.bytesRead === 0;
}

/**
 * Maps an error thrown by the HTTP stack before a response (or while reading it, `inBody`) to a typed error.
 * Abort errors are not mapped: the caller asked for them.
 */
export function consulErrorFromTransport(
  err: unknown,
  req: ConsulRequestInfo,
  ctx: TransportContext = {},
  body?: { readonly bytesReceived: number },
): ConsulRequestError {
  if (err instanceof ConsulRequestError) return err;
  const code = transportErrorCode(err);
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return new ConsulTimeoutError(req, 'headers', ctx.headersMs, err);
  if (code === 'UND_ERR_BODY_TIMEOUT') return new ConsulTimeoutError(req, 'body', ctx.bodyMs, err);
  const tls = tlsProblem(code);
  if (tls) return new ConsulTlsError(req, tls, code, err);
  if (body) return new ConsulStreamInterruptedError(req, body.bytesReceived, code, err);
  if (closedAfterHandshake(err, code, req, ctx)) return new ConsulTlsError(req, 'closed-after-handshake', code, err);
  return new ConsulUnreachableError(req, code, !NOT_CONNECTED.has(code), err);
}

/** True for an error that proves the request was never sent (no connection): any request may go elsewhere. */
export function isNeverConnected(err: unknown): boolean {
  return err instanceof ConsulUnreachableError && err.context.connected === false;
}

/** True for errors that come from the caller aborting (AbortSignal); these pass through unchanged. */
export function isAbortError(err: unknown): boolean {
  const e = err as { name?: unknown; code?: unknown } | undefined;
  return e?.name === 'AbortError' || e?.code === 'UND_ERR_ABORTED' || e?.code === 'ABORT_ERR';
}
