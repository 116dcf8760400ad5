/**
 * A TLS server on loopback that completes the handshake and closes the connection: what a certificate checker needs
 * from Consul's gRPC-TLS port or an Envoy sidecar's public listener (the served chain and whether the client
 * certificate was accepted), without speaking gRPC or HTTP. It serves its certificate as-is, even when expired.
 */
import type { AddressInfo, Socket } from 'node:net';
import { createServer } from 'node:tls';

/** A running listener. */
export interface TlsListener {
  readonly host: string;
  readonly port: number;
  /** `<host>:<port>`. */
  readonly address: string;
  /** Handshakes completed, and whether the client presented a certificate the server accepted. */
  readonly handshakes: { readonly authorized: boolean }[];
  close(): Promise<void>;
}

/** Options of {@link startTlsListener}. */
export interface TlsListenerOptions {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 (an ephemeral port) */
  readonly port?: number;
  /** ALPN protocols offered, e.g. `['h2']` for gRPC. @default - none */
  readonly alpnProtocols?: readonly string[];
  /** Require a client certificate signed by one of these roots (PEM), like Envoy's public listener. @default - none asked */
  readonly requireClientCertFrom?: readonly string[];
}

/**
 * Starts a listener presenting `served` (PEM chain, leaf first, and its key).
 *
 * @example
 * const sidecar = await startTlsListener(pinnedLeaf, { requireClientCertFrom: [root.RootCert] });
 */
export async function startTlsListener(served: { readonly certPem: string; readonly keyPem: string }, opts: TlsListenerOptions = {}): Promise<TlsListener> {
  const host = opts.host ?? '127.0.0.1';
  const handshakes: { authorized: boolean }[] = [];
  const sockets = new Set<Socket>();
  const server = createServer(
    {
      cert: served.certPem,
      key: served.keyPem,
      ...(opts.alpnProtocols ? { ALPNProtocols: [...opts.alpnProtocols] } : {}),
      ...(opts.requireClientCertFrom ? { requestCert: true, rejectUnauthorized: true, ca: [...opts.requireClientCertFrom] } : {}),
    },
    (socket) => {
      handshakes.push({ authorized: socket.authorized });
      socket.on('error', () => undefined);
      socket.end();
    },
  );
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    host,
    port,
    address: `${host.includes(':') ? `[${host}]` : host}:${port}`,
    handshakes,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
