/**
 * The one HTTP client for Consul: undici `Agent` (keep-alive pools per address, TLS in the dispatcher), the token as
 * `X-Consul-Token`, jittered retries, failover across addresses, streaming bodies both ways, and typed errors.
 *
 * Invariant: the token (or an override secret) is only ever written into the `X-Consul-Token` header. Every error,
 * retry event and meta object is built from the sanitised path and masks both secrets in echoed text.
 */
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { consulErrorFromResponse, sanitizeConsulPath, type ConsulRequestError, type ConsulRequestInfo } from '../../core/shared/consul-errors';
import { createConsulDispatcher, type ConsulDispatcher } from './dispatcher';
import { buildConsulPath, type ConsulQuery } from './path';
import type { ConsulConnectionSettings, TokenSource } from './settings';
import { guardBodyStream, isGzipEncoded, parseConsulMeta, readBodyBytes, readErrorText, retryAfterMs, decodeBody, type ConsulResponseMeta } from './response';
import { DEFAULT_CONSUL_RETRY, planConsulRetry, type ConsulRetryEvent, type ConsulRetryPolicy } from './retry';
import { ConsulOpsError } from '../../core/shared/errors';
import { ConsulResponseInvalidError, consulErrorFromTransport, isAbortError, transportErrorCode } from './transport-errors';


/** Timeouts in milliseconds. Body timeouts are idle gaps between chunks while the consumer is reading. */
export interface ConsulTimeouts {
  /** TCP + TLS connect; short so a dead address fails over quickly. @default 5000 */
  readonly connectMs: number;
  /** Until response headers, for JSON requests. @default 30000 */
  readonly headersMs: number;
  /** Idle gap in a JSON body. @default 30000 */
  readonly bodyMs: number;
  /**
   * Until response headers for streams. A snapshot save sends headers only after the server has written the whole
   * snapshot to disk, and a restore answers only after the raft replay, a barrier and the re-run of leader actions,
   * so minutes are normal for large clusters. @default 600000
   */
  readonly streamHeadersMs: number;
  /**
   * Idle gap in a streamed body. undici does not count time our consumer is paused (S3 part uploads), so this only
   * covers stalls upstream: archives are relayed server → client agent (→ WAN for `?dc=`), and a stall of tens of
   * seconds (busy disk, WAN hiccup) must not abort a multi-GB backup that would otherwise finish. @default 120000
   */
  readonly streamBodyMs: number;
}

/** Defaults for {@link ConsulTimeouts}. */
export const DEFAULT_CONSUL_TIMEOUTS: ConsulTimeouts = {
  connectMs: 5_000, headersMs: 30_000, bodyMs: 30_000, streamHeadersMs: 600_000, streamBodyMs: 120_000,
};

/** Props of {@link ConsulHttpClient}. */
export interface ConsulHttpClientProps {
  readonly settings: ConsulConnectionSettings;
  /** @default - no token (anonymous) */
  readonly token?: TokenSource;
  /** @default DEFAULT_CONSUL_TIMEOUTS */
  readonly timeouts?: Partial<ConsulTimeouts>;
  /** @default DEFAULT_CONSUL_RETRY */
  readonly retry?: Partial<ConsulRetryPolicy>;
  /** @default - setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default Math.random */
  readonly random?: () => number;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default - nothing is reported */
  readonly onRetry?: (event: ConsulRetryEvent) => void;
  /** @default 'consul-ops' */
  readonly userAgent?: string;
}

/** Per-request options. */
export interface ConsulRequestOptions {
  readonly query?: ConsulQuery;
  /** A secret to send instead of the client's token, e.g. to test a pending rotated token. */
  readonly token?: string;
  /** May the request be repeated? @default - true for GET and DELETE, false for PUT */
  readonly idempotent?: boolean;
  readonly headersTimeoutMs?: number;
  readonly bodyTimeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** Options of {@link ConsulHttpClient.putStream}. */
export interface ConsulPutStreamOptions extends Omit<ConsulRequestOptions, 'idempotent'> {
  /** @default 'application/octet-stream' */
  readonly contentType?: string;
}

/** Options of {@link ConsulHttpClient.getStream}. */
export interface ConsulGetStreamOptions extends ConsulRequestOptions {
  /** Ask for `Content-Encoding: gzip` (decoded transparently). Off for snapshots, which are gzip already. @default false */
  readonly acceptGzip?: boolean;
}

/** A decoded JSON response. */
export interface ConsulResponse<T> {
  readonly body: T;
  readonly meta: ConsulResponseMeta;
}

/** A streamed response: `body` is live (never buffered); its errors are typed {@link ConsulRequestError}s. */
export interface ConsulStream {
  readonly body: Readable;
  readonly meta: ConsulResponseMeta;
  readonly address: string;
}

type Method = 'GET' | 'PUT' | 'DELETE';

interface Call {
  readonly method: Method;
  readonly path: string;
  readonly body?: string | Readable;
  readonly headers: Record<string, string>;
  readonly secrets: string[];
  /** Repeatable on errors that do not prove the request was unapplied. */
  readonly idempotent: boolean;
  /** The body can be sent again (false for streams). */
  readonly replayable: boolean;
  readonly headersTimeout: number;
  readonly bodyTimeout: number;
  readonly signal?: AbortSignal;
}

/**
 * HTTP client for the Consul API. One instance per cluster; reuse it across Lambda invocations (keep-alive) and
 * `close()` it at the end of a CLI run.
 *
 * @example
 * const consul = new ConsulHttpClient({ settings, token: tokenSourceFactory() });
 * const { body, meta } = await consul.get<string[]>('/v1/status/peers');
 */
export class ConsulHttpClient {
  private readonly dispatcher: ConsulDispatcher;
  private readonly targets: ReadonlyArray<{ readonly address: string; readonly origin: string; readonly prefix: string }>;
  private readonly timeouts: ConsulTimeouts;
  private readonly retry: ConsulRetryPolicy;
  private preferred = 0;

  constructor(private readonly props: ConsulHttpClientProps) {
    if (props.settings.addresses.length === 0) throw new TypeError('ConsulHttpClient needs at least one address');
    this.timeouts = { ...DEFAULT_CONSUL_TIMEOUTS, ...props.timeouts };
    this.retry = { ...DEFAULT_CONSUL_RETRY, ...props.retry };
    this.targets = props.settings.addresses.map((address) => {
      const url = new URL(address);
      return { address, origin: url.origin, prefix: url.pathname.replace(/\/+$/, '') };
    });
    this.dispatcher = createConsulDispatcher({ tls: props.settings.tls, ...this.timeouts });
  }

  /** The configured addresses, in failover order. */
  get addresses(): readonly string[] {
    return this.targets.map((t) => t.address);
  }

  /** GET and decode JSON. Retried per policy. */
  async get<T>(path: string, opts: ConsulRequestOptions = {}): Promise<ConsulResponse<T>> {
    return this.json<T>('GET', path, undefined, opts);
  }

  /** PUT a JSON body (if any) and decode JSON. Not retried after the request may have been applied, unless `idempotent`. */
  async put<T>(path: string, body?: unknown, opts: ConsulRequestOptions = {}): Promise<ConsulResponse<T>> {
    return this.json<T>('PUT', path, body, opts);
  }

  /** DELETE and decode JSON. Idempotent by default: a retry after a lost answer may then see a 404. */
  async delete<T>(path: string, opts: ConsulRequestOptions = {}): Promise<ConsulResponse<T>> {
    return this.json<T>('DELETE', path, undefined, opts);
  }

  /** Resolves once status and headers arrived (retries happen only before that); the body streams afterwards. */
  async getStream(path: string, opts: ConsulGetStreamOptions = {}): Promise<ConsulStream> {
    const call = await this.call('GET', path, undefined, opts, {
      stream: true, accept: '*/*', gzip: opts.acceptGzip ?? false, idempotent: opts.idempotent ?? true,
    });
    const { res, address, info } = await this.dispatch(call);
    const meta = parseConsulMeta(res.statusCode, res.headers, address);
    const body = guardBodyStream(res.body, isGzipEncoded(res.headers), (err, bytesReceived) =>
      consulErrorFromTransport(err, info, { bodyMs: call.bodyTimeout }, { bytesReceived }));
    return { body, meta, address };
  }

  /** Streams `body` as the request body (chunked). Never retried or failed over: a stream cannot be replayed. */
  async putStream(path: string, body: Readable, opts: ConsulPutStreamOptions = {}): Promise<ConsulResponse<string>> {
    const call = await this.call('PUT', path, body, opts, { stream: true, accept: '*/*', gzip: true, idempotent: false });
    const { res, address, info } = await this.dispatch(call);
    const text = await this.readAll(res, info, call);
    return { body: text.toString('utf8'), meta: parseConsulMeta(res.statusCode, res.headers, address) };
  }

  /** Closes all pooled connections; in-flight requests finish first. */
  async close(): Promise<void> {
    await this.dispatcher.agent.close();
  }

  private async json<T>(method: Method, path: string, body: unknown, opts: ConsulRequestOptions): Promise<ConsulResponse<T>> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const call = await this.call(method, path, payload, opts, {
      stream: false, accept: 'application/json', gzip: true, idempotent: opts.idempotent ?? method !== 'PUT',
    });
    const { res, address, info } = await this.dispatch(call);
    const meta = parseConsulMeta(res.statusCode, res.headers, address);
    const bytes = await this.readAll(res, info, call);
    if (bytes.length === 0) return { body: undefined as T, meta };
    try {
      return { body: JSON.parse(bytes.toString('utf8')) as T, meta };
    } catch {
      // The parser's message quotes the body, which may hold a SecretID: never keep it.
      throw new ConsulResponseInvalidError(info, 'body is not valid JSON', meta.contentType);
    }
  }

  private async readAll(res: Dispatcher.ResponseData, info: ConsulRequestInfo, call: Call): Promise<Buffer> {
    let raw: Buffer;
    try {
      raw = await readBodyBytes(res.body);
    } catch (err) {
      throw consulErrorFromTransport(err, info, { bodyMs: call.bodyTimeout }, { bytesReceived: 0 });
    }
    try {
      return await decodeBody(raw, res.headers);
    } catch {
      throw new ConsulResponseInvalidError(info, 'Content-Encoding gzip body cannot be decoded');
    }
  }

  private async call(
    method: Method,
    path: string,
    body: string | Readable | undefined,
    opts: ConsulRequestOptions,
    kind: { stream: boolean; accept: string; gzip: boolean; idempotent: boolean },
  ): Promise<Call> {
    const token = opts.token ?? (await this.props.token?.());
    const headers: Record<string, string> = { accept: kind.accept, 'user-agent': this.props.userAgent ?? 'consul-ops' };
    if (kind.gzip) headers['accept-encoding'] = 'gzip';
    if (token) headers['x-consul-token'] = token;
    if (body !== undefined) {
      headers['content-type'] = typeof body === 'string' ? 'application/json' : ((opts as ConsulPutStreamOptions).contentType ?? 'application/octet-stream');
    }
    return {
      method,
      path: buildConsulPath(path, opts.query),
      body,
      headers,
      secrets: [token, opts.token].filter((s): s is string => typeof s === 'string' && s.length > 0),
      idempotent: kind.idempotent,
      replayable: typeof body !== 'object',
      headersTimeout: opts.headersTimeoutMs ?? (kind.stream ? this.timeouts.streamHeadersMs : this.timeouts.headersMs),
      bodyTimeout: opts.bodyTimeoutMs ?? (kind.stream ? this.timeouts.streamBodyMs : this.timeouts.bodyMs),
      signal: opts.signal,
    };
  }

  /** Sends `call` with retries and failover; resolves with a 2xx response whose body is still unread. */
  private async dispatch(call: Call): Promise<{ res: Dispatcher.ResponseData; address: string; info: ConsulRequestInfo }> {
    const n = this.targets.length;
    const started = (this.props.now ?? Date.now)();
    for (let attempt = 1, index = this.preferred; ; attempt++, index++) {
      const target = this.targets[index % n];
      const info: ConsulRequestInfo = { method: call.method, path: call.path, address: target.address, secrets: call.secrets };
      let error: ConsulRequestError;
      const mark = this.dispatcher.mark();
      try {
        const res = await this.dispatcher.agent.request({
          origin: target.origin,
          path: target.prefix + call.path,
          method: call.method,
          headers: call.headers,
          body: call.body,
          headersTimeout: call.headersTimeout,
          bodyTimeout: call.bodyTimeout,
          signal: call.signal,
        });
        if (res.statusCode >= 200 && res.statusCode < 300) {
          this.preferred = index % n;
          return { res, address: target.address, info };
        }
        error = consulErrorFromResponse(res.statusCode, await readErrorText(res.body, res.headers), info, retryAfterMs(res.headers));
      } catch (err) {
        if (isAbortError(err) || isBodySourceError(err, call.body)) throw err;
        const tlsError = this.dispatcher.tlsErrorSince(target.origin, mark);
        error = consulErrorFromTransport(tlsError ?? err, info, {
          headersMs: call.headersTimeout, bodyMs: call.bodyTimeout, clientCertificate: this.props.settings.tls.clientCertPem !== undefined,
        });
      }
      const delayMs = planConsulRetry({
        error, attempt, idempotent: call.idempotent, replayable: call.replayable, addressCount: n,
        elapsedMs: (this.props.now ?? Date.now)() - started, policy: this.retry, random: this.props.random ?? Math.random,
      });
      if (delayMs === undefined) throw error;
      this.props.onRetry?.({ attempt, delayMs, method: call.method, path: sanitizeConsulPath(call.path), address: target.address, code: error.code });
      if (delayMs > 0) await (this.props.sleep ?? defaultSleep)(delayMs);
    }
  }
}

/** An error raised by the caller's request-body stream (e.g. the S3 download feeding a restore): passed through. */
function isBodySourceError(err: unknown, body: Call['body']): boolean {
  if (typeof body !== 'object' || body.errored !== err) return false;
  return err instanceof ConsulOpsError || transportErrorCode(err) === 'UNKNOWN';
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
