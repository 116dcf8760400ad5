/**
 * A real gRPC-TLS listener (Consul's `ports.grpc_tls`): a TLS server with the given certificate that offers ALPN `h2`
 * and closes each connection after the handshake. It exists so a certificate checker can read the certificate
 * behind `xDS.Ports.TLS` (its real `notAfter`); it speaks no gRPC.
 */
import { startTlsListener, type TlsListener } from './tls-listener';
import type { SimulatorGrpcTlsOptions } from './types';

/** A running gRPC-TLS listener. */
export type GrpcTlsListener = Pick<TlsListener, 'port' | 'close'>;

/** Starts the listener on `host`. */
export function startGrpcTlsListener(host: string, options: SimulatorGrpcTlsOptions): Promise<GrpcTlsListener> {
  return startTlsListener(options, { host, port: options.port, alpnProtocols: ['h2'] });
}
