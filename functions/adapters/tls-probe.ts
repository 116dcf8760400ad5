import * as tls from 'node:tls';
import type { TlsProbe, TlsProbeResult, TlsProbeTarget } from '../core/certs/ports';

/**
 * TLS handshakes that read what a server presents, for the certificate check: one `node:tls` connection per probe,
 * closed right after the handshake, with a hard deadline covering DNS, TCP and TLS.
 *
 * Why `rejectUnauthorized: false`: the point is to read the certificate that is actually served, above all when it
 * is expired (the 1.15.1 case). With verification on, Node aborts the handshake on an expired or untrusted
 * certificate and we would learn nothing but "CERT_HAS_EXPIRED"; Connect leaves also carry only a SPIFFE URI SAN, so
 * Node's hostname check would refuse every sidecar. The chain is verified by the core instead (`verifyChain` against
 * the Connect CA roots or the Consul CA bundle, signatures only), and validity and names are judged separately. No
 * application data is ever sent on these connections, so skipping Node's verification exposes nothing; the client
 * certificate's key never leaves the process (TLS only sends a signature made with it).
 */

/** Options of {@link createTlsProbe}. */
export interface TlsProbeOptions {
  /** Deadline of one probe (DNS + TCP + TLS handshake). @default DEFAULT_TLS_PROBE_TIMEOUT_MS */
  readonly timeoutMs?: number;
  /** ALPN offered: Consul's gRPC TLS port and Envoy accept `h2`, HTTPS servers `http/1.1`. @default ['h2', 'http/1.1'] */
  readonly alpnProtocols?: readonly string[];
}

/** 5 s: a sidecar or endpoint that needs longer for a handshake on a LAN is itself worth a finding. */
export const DEFAULT_TLS_PROBE_TIMEOUT_MS = 5_000;

/**
 * A {@link TlsProbe} for `runCertificateCheck`.
 *
 * @example
 * const probe = createTlsProbe({ timeoutMs: 3000 });
 * const result = await probe({ host: '10.0.3.7', port: 21000, clientCert: { certPem, keyPem } });
 */
export function createTlsProbe(options: TlsProbeOptions = {}): TlsProbe {
  // One TLS context per client certificate, not per connection: parsing the key and loading the trust store for each
  // of 500 handshakes costs more CPU than the handshakes' own signatures.
  const contexts = new Map<string, tls.SecureContext>();
  const contextFor = (cert: TlsProbeTarget['clientCert']): tls.SecureContext => {
    const id = cert ? cert.certPem : '';
    let context = contexts.get(id);
    if (!context) {
      if (contexts.size >= 8) contexts.clear();
      context = tls.createSecureContext({ minVersion: 'TLSv1.2', ...(cert ? { cert: cert.certPem, key: cert.keyPem } : {}) });
      contexts.set(id, context);
    }
    return context;
  };
  return (target) => probeTls(target, options, contextFor(target.clientCert));
}

/**
 * One handshake to `target`; resolves (never rejects) with the presented chain, leaf first, or the failure.
 * `secureContext` replaces `target.clientCert` when given (see {@link createTlsProbe}).
 */
export function probeTls(target: TlsProbeTarget, options: TlsProbeOptions = {}, secureContext?: tls.SecureContext): Promise<TlsProbeResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TLS_PROBE_TIMEOUT_MS;
  const where = target.host.includes(':') ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
  return new Promise((resolve) => {
    let settled = false;
    const socket = tls.connect({
      host: target.host,
      port: target.port,
      // SNI must be a host name (RFC 6066); an IP is never sent.
      servername: target.servername,
      rejectUnauthorized: false,
      ALPNProtocols: [...(options.alpnProtocols ?? ['h2', 'http/1.1'])],
      ...(secureContext
        ? { secureContext }
        : { minVersion: 'TLSv1.2' as const, ...(target.clientCert ? { cert: target.clientCert.certPem, key: target.clientCert.keyPem } : {}) }),
    });
    const finish = (result: TlsProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // After a handshake, close politely so the server finishes its side (Envoy counts resets as errors); a server
      // that does not close back is cut off a second later.
      if (result.ok) {
        socket.end();
        setTimeout(() => socket.destroy(), 1_000).unref();
      } else {
        socket.destroy();
      }
      resolve(result);
    };
    const timer = setTimeout(() => finish({ ok: false, reason: 'timeout', message: `${where}: no TLS handshake within ${timeoutMs} ms` }), timeoutMs);
    // With TLS 1.3 the server may still refuse our client certificate after this event; the chain is read by then.
    socket.once('secureConnect', () => {
      const chainDer = peerChain(socket);
      finish(chainDer.length > 0 ? { ok: true, chainDer } : { ok: false, reason: 'handshake', message: `${where}: the server presented no certificate` });
    });
    socket.on('error', (err: NodeJS.ErrnoException) => finish(failure(where, err, target.clientCert !== undefined)));
  });
}

/** The presented chain in order, leaf first, stopping at a self-signed certificate or a repeat. */
function peerChain(socket: tls.TLSSocket): Buffer[] {
  const chain: Buffer[] = [];
  const seen = new Set<string>();
  let cert: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  while (cert && cert.raw && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    chain.push(Buffer.from(cert.raw));
    cert = cert.issuerCertificate === cert ? undefined : cert.issuerCertificate;
  }
  return chain;
}

const ALERT_HINTS: readonly [RegExp, string][] = [
  [/CERTIFICATE_REQUIRED|HANDSHAKE_FAILURE/i, 'the server requires a client certificate it accepts'],
  [/UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN/i, 'the server refused the client certificate (is it signed by a CA the server trusts?)'],
  [/WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|HTTP_REQUEST/i, 'the port does not speak TLS'],
];

function failure(where: string, err: NodeJS.ErrnoException, presentedClientCert: boolean): TlsProbeResult {
  const code = err.code ?? '';
  const text = `${code} ${err.message}`;
  if (code === 'ECONNREFUSED') return { ok: false, reason: 'refused', message: `${where}: connection refused (nothing listens there)` };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { ok: false, reason: 'unresolved', message: `${where}: the host name does not resolve (${code})` };
  if (['EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EADDRNOTAVAIL'].includes(code)) return { ok: false, reason: 'unreachable', message: `${where}: not reachable (${code})` };
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    const hint = presentedClientCert ? '; the server may have refused the client certificate' : '; the server may require a client certificate';
    return { ok: false, reason: 'reset', message: `${where}: the connection was reset during the handshake${hint}` };
  }
  const hint = ALERT_HINTS.find(([re]) => re.test(text))?.[1];
  return { ok: false, reason: 'handshake', message: `${where}: TLS handshake failed (${code || err.message})${hint ? `: ${hint}` : ''}` };
}

/** The Node.js trust store, as PEM: endpoint trust anchors when no Consul CA bundle is configured. */
export function systemRootPems(): readonly string[] {
  return tls.rootCertificates;
}
