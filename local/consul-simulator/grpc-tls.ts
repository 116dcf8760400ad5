/**
 * A real gRPC-TLS listener (Consul's `ports.grpc_tls`): a TLS server with the given certificate that offers ALPN `h2`
 * and closes each connection after the handshake. It exists so a certificate checker can read the certificate
 * behind `xDS.Ports.TLS` (its real `notAfter`); it speaks no gRPC.
 */
import { AddressInfo } from 'node:net';
import { createServer, Server, TLSSocket } from 'node:tls';
import { SimulatorGrpcTlsOptions } from './types';

/** A running gRPC-TLS listener. */
export interface GrpcTlsListener {
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the listener on `host`. */
export async function startGrpcTlsListener(host: string, options: SimulatorGrpcTlsOptions): Promise<GrpcTlsListener> {
  const sockets = new Set<TLSSocket>();
  const server: Server = createServer({ cert: options.certPem, key: options.keyPem, ALPNProtocols: ['h2'] }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.end();
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
