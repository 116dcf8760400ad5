import type { ProbeFailureReason } from './observations';

/**
 * The ports of the certificate check: what `runCertificateCheck` needs from Consul (`ConsulCertificateSource`) and
 * from the network (`createTlsProbe`), as plain data.
 */

/** The Connect CA roots as the check needs them. */
export interface CaRootsData {
  readonly activeRootId: string;
  readonly trustDomain: string;
  readonly roots: readonly { readonly id: string; readonly name: string; readonly active: boolean; readonly rootCertPem: string; readonly intermediatePems: readonly string[] }[];
}

/** The agent consul-ops talks to (`/v1/agent/self`). */
export interface AgentInfo {
  readonly node: string;
  readonly datacenter: string;
  readonly version: string;
  /** The agent's gRPC TLS port (`xDS.Ports.TLS` of `/v1/agent/self`), when it has one. */
  readonly grpcTlsPort?: number;
}

/** A `connect-proxy` instance from the catalog. */
export interface ProxyInstance {
  readonly node: string;
  readonly serviceId: string;
  readonly destination: string;
  readonly host: string;
  readonly port: number;
  /** The node's `consul-version` meta. */
  readonly nodeVersion?: string;
}

/** An agent leaf with its key (the auditor's is presented to sidecars; never logged). */
export interface IssuedLeafData {
  readonly serial: string;
  readonly certPem: string;
  readonly keyPem: string;
  readonly validAfter: string;
  readonly validBefore: string;
}

/** The Consul side of the check (implemented by `ConsulCertificateSource`). Errors are `ConsulOpsError`s. */
export interface CertificateSource {
  caRoots(): Promise<CaRootsData>;
  /** `LeafCertTTL` of the CA configuration (needs `operator:write`). */
  leafCertTtl(): Promise<string | undefined>;
  agentInfo(): Promise<AgentInfo>;
  connectProxies(): Promise<ProxyInstance[]>;
  /** Needs `service:write` on `service`. */
  agentLeaf(service: string): Promise<IssuedLeafData>;
}

/** One TLS handshake to make. */
export interface TlsProbeTarget {
  readonly host: string;
  readonly port: number;
  /** SNI. @default - none */
  readonly servername?: string;
  /** Presented when the server asks (Envoy's public listener requires one). @default - none */
  readonly clientCert?: { readonly certPem: string; readonly keyPem: string };
}

/** The chain a server presented (DER, leaf first), or why there is none. */
export type TlsProbeResult =
  | { readonly ok: true; readonly chainDer: readonly Buffer[] }
  | { readonly ok: false; readonly reason: Exclude<ProbeFailureReason, 'skipped'>; readonly message: string };

/** Makes one TLS handshake (implemented by `createTlsProbe` in `adapters/tls-probe.ts`). Never throws. */
export type TlsProbe = (target: TlsProbeTarget) => Promise<TlsProbeResult>;
