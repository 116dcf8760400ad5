/**
 * The undici dispatcher behind {@link ConsulHttpClient}: one keep-alive `Agent` with TLS (CA, client certificate,
 * server name, verify flag) applied in its connector.
 *
 * Why a custom connector: with TLS 1.3 a server that rejects our client certificate sends its alert after the
 * handshake, when the request is already written. undici then reports a generic `other side closed` and drops the
 * alert. The connector remembers TLS errors per origin so the client can report "client certificate required".
 */
import { Agent, buildConnector } from './undici-lite';
import type { ConsulTlsSettings } from './settings';

/** Options of {@link createConsulDispatcher}. */
export interface ConsulDispatcherOptions {
  readonly tls: ConsulTlsSettings;
  readonly connectMs: number;
  readonly headersMs: number;
  readonly bodyMs: number;
}

/** The agent plus access to TLS errors that undici swallowed. */
export interface ConsulDispatcher {
  readonly agent: Agent;
  /** A position in the TLS error log; pass it to {@link tlsErrorSince}. */
  mark(): number;
  /** The latest TLS error on a socket to `origin` recorded after `mark`, if any. */
  tlsErrorSince(origin: string, mark: number): Error | undefined;
}

const TLS_ERROR = /^(ERR_SSL_|ERR_TLS_|ERR_OSSL_)/;

/** Builds the dispatcher; `close()` the agent when done. */
export function createConsulDispatcher(opts: ConsulDispatcherOptions): ConsulDispatcher {
  const { tls } = opts;
  const base = buildConnector({
    timeout: opts.connectMs,
    ca: tls.caPem,
    cert: tls.clientCertPem,
    key: tls.clientKeyPem,
    servername: tls.serverName,
    rejectUnauthorized: tls.verify,
  });
  let seq = 0;
  const tlsErrors = new Map<string, { readonly seq: number; readonly error: Error }>();
  const connect: buildConnector.connector = (options, callback) => {
    const origin = `${options.protocol}//${options.host ?? `${options.hostname}:${options.port}`}`;
    base(options, (...args) => {
      const socket = args[1];
      socket?.on('error', (error: Error & { code?: string }) => {
        if (TLS_ERROR.test(error.code ?? '')) tlsErrors.set(origin, { seq: ++seq, error });
      });
      callback(...args);
    });
  };
  const agent = new Agent({ connect, headersTimeout: opts.headersMs, bodyTimeout: opts.bodyMs, keepAliveTimeout: 4_000 });
  return {
    agent,
    mark: () => seq,
    tlsErrorSince: (origin, mark) => {
      const entry = tlsErrors.get(origin);
      return entry && entry.seq > mark ? entry.error : undefined;
    },
  };
}
