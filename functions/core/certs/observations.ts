import type { CertFacts } from './facts';
import type { CertKind } from './thresholds';
import type { Finding } from '../report/report';
import { severityRank, type Severity } from '../shared/severity';

/**
 * The plain data the certificate evaluation works on (what the workflow observed) and what it produces, plus the
 * small formatting helpers its parts share.
 */

/** Why a TLS probe produced no certificate. `skipped`: never attempted (time budget). */
export type ProbeFailureReason = 'timeout' | 'refused' | 'unresolved' | 'unreachable' | 'reset' | 'handshake' | 'skipped';

/** What a TLS listener presented, with the chain verdict against the relevant trust anchors. */
export type ServedChain =
  | { readonly ok: true; readonly chain: readonly CertFacts[]; readonly trusted: boolean; readonly trustProblem?: string }
  | { readonly ok: false; readonly reason: ProbeFailureReason; readonly message: string };

/** One Connect CA root from `/v1/connect/ca/roots`, with its intermediates. */
export interface RootObservation {
  readonly id: string;
  readonly name: string;
  readonly active: boolean;
  readonly cert: CertFacts;
  readonly intermediates: readonly CertFacts[];
}

/** One `connect-proxy` instance from the catalog and what its public listener served. */
export interface ProxyObservation {
  readonly node: string;
  readonly serviceId: string;
  /** The destination service the sidecar fronts. */
  readonly destination: string;
  /** `host:port` probed. */
  readonly address: string;
  readonly served: ServedChain;
}

/** Where an endpoint to check came from. */
export type EndpointRole = 'consul-https' | 'consul-grpc-tls' | 'configured';

/** One TLS endpoint (Consul HTTPS, gRPC-TLS, or configured) and what it served. */
export interface EndpointObservation {
  /** `host:port`. */
  readonly target: string;
  readonly role: EndpointRole;
  /** The name the certificate must cover (SNI). */
  readonly expectedName: string;
  /**
   * Where the CA the chain must lead to was given (`the Consul CA bundle (CONSUL_CACERT)`, a file or secret);
   * absent when none was given and the system trust store was used.
   */
  readonly caSource?: string;
  readonly served: ServedChain;
}

/** The agent's current leaf for a service (`/v1/agent/connect/ca/leaf/:service`); no key material. */
export interface AgentLeafFact {
  readonly service: string;
  readonly serial: string;
  readonly validAfter: string;
  readonly validBefore: string;
  /** Issuer DN of the leaf, when its PEM was readable. */
  readonly issuer?: string;
}

/** A Consul version seen on a node. */
export interface VersionFact {
  readonly node: string;
  readonly version: string;
  /** `agent-self`: the agent consul-ops talks to; `catalog`: the `consul-version` node meta of a proxy's node. */
  readonly source: 'agent-self' | 'catalog';
}

/** One certificate in the result. */
export interface CertEntry {
  /** What it is, e.g. `proxy node-1/web-sidecar-proxy (web)`, `endpoint consul.example.com:8501`. */
  readonly subject: string;
  readonly kind: CertKind;
  /** Colon-hex. */
  readonly serial: string;
  readonly notBefore: string;
  /** For endpoints: the earliest `notAfter` of the whole chain. */
  readonly notAfter: string;
  /** Negative once expired; two decimals. */
  readonly daysLeft: number;
  /** The worst finding about this certificate, or `info`. */
  readonly severity: Severity;
  readonly issuer: string;
}

/** The numbers the Lambda publishes as metrics. */
export interface CertMetrics {
  /** The smallest `daysLeft` per kind (kinds without certificates are absent). */
  readonly minDaysLeft: Partial<Record<CertKind, number>>;
  readonly proxiesTotal: number;
  readonly proxiesChecked: number;
  readonly proxiesUnreachable: number;
  /** Proxies serving an expired, stuck (past the leaf critical threshold) or stale leaf (S4's numerator). */
  readonly proxiesServingStaleLeaves: number;
}

/** What the evaluation produces. */
export interface CertEvaluation {
  readonly certs: readonly CertEntry[];
  readonly findings: readonly Finding[];
  readonly metrics: CertMetrics;
}

const DAY_MS = 86_400_000;

/** Days from `now` to `iso`, floored to two decimals (negative once past). */
export function daysUntil(iso: string, now: Date): number {
  return Math.floor(((Date.parse(iso) - now.getTime()) / DAY_MS) * 100) / 100;
}

/** `3d 4h`, `5h 12m`, `14m`, `40s` (absolute value). */
export function formatDuration(ms: number): string {
  const s = Math.floor(Math.abs(ms) / 1000);
  const [d, h, m] = [Math.floor(s / 86_400), Math.floor((s % 86_400) / 3600), Math.floor((s % 3600) / 60)];
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  return m > 0 ? `${m}m` : `${s}s`;
}

/** The worst of `severities`, `info` for none. */
export function worstOf(severities: readonly Severity[]): Severity {
  return severities.reduce<Severity>((w, s) => (severityRank(s) > severityRank(w) ? s : w), 'info');
}

/** A {@link CertEntry} for `cert` as seen at `now`. */
export function certEntry(kind: CertKind, subject: string, cert: Pick<CertFacts, 'serial' | 'notBefore' | 'notAfter' | 'issuer'>, now: Date, severity: Severity, notAfter = cert.notAfter): CertEntry {
  return { subject, kind, serial: cert.serial, notBefore: cert.notBefore, notAfter, daysLeft: daysUntil(notAfter, now), severity, issuer: cert.issuer };
}

/** The same serial, whatever the spelling (`0A:3F`, `0a3f`, `00:0a:3f`). */
export function sameSerial(a: string, b: string): boolean {
  const norm = (s: string) => s.replace(/[^0-9a-f]/gi, '').toLowerCase().replace(/^0+/, '');
  return norm(a) === norm(b);
}
