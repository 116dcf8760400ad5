/**
 * A stand-in for an Envoy sidecar: a TLS listener that presents the leaf the agent gave the sidecar (mTLS: it
 * requires a client certificate signed by the Connect CA, as Envoy's public listener does), registered in the catalog
 * as `<service>-sidecar-proxy`. With `validity`, the sidecar holds a leaf of that validity (an expired one, say), the
 * way a sidecar whose agent stopped rotating its leaf would serve it.
 */
import type { ConnectCa, Validity } from './ca';
import { registerService } from './catalog';
import { startTlsListener, type TlsListener } from './tls-listener';
import type { SimulatorCore } from './types';

/** Options of {@link startSidecar}. */
export interface SidecarOptions {
  /** The service the sidecar fronts, e.g. `payments`. */
  readonly service: string;
  /** The leaf's validity window. @default - the agent's current leaf for the service */
  readonly validity?: Validity;
}

/** A running sidecar. */
export interface Sidecar extends TlsListener {
  /** The catalog ID of the registered `connect-proxy` instance. */
  readonly serviceId: string;
  /** The serial of the leaf it serves (colon-hex, as Consul prints it). */
  readonly serialNumber: string;
}

/** Starts a sidecar and registers it; stopped with the simulator (or by `close()`). */
export async function startSidecar(core: SimulatorCore, ca: ConnectCa, opts: SidecarOptions): Promise<Sidecar> {
  const leaf = opts.validity ? await ca.pinLeaf(opts.service, opts.validity) : (await ca.leaf(opts.service, true)).leaf;
  const listener = await startTlsListener({ certPem: leaf.CertPEM, keyPem: leaf.PrivateKeyPEM }, { requireClientCertFrom: [ca.activeRoot().RootCert] });
  const serviceId = `${opts.service}-sidecar-proxy`;
  registerService(core, { name: serviceId, id: serviceId, address: listener.host, port: listener.port, proxyFor: { service: opts.service } });
  return { ...listener, serviceId, serialNumber: leaf.SerialNumber };
}
