import type { X509Certificate } from 'node:crypto';
import { mapBounded } from '../shared/bounded-map';
import { describeCertificate, parseCertificate, parseGoDurationMs, splitPemBundle } from './facts';
import { compareServedWithAgentLeaf, evaluateCertificates } from './evaluation';
import { endpointTargets, hostPort, probeEndpoints, servedChain, skippedProbe, type ConsulTlsEndpoint, type EndpointCheck } from './endpoints';
import type { AgentInfo, CaRootsData, CertificateSource, IssuedLeafData, ProxyInstance, TlsProbe } from './ports';
import type { AgentLeafFact, CertEvaluation, ProxyObservation, RootObservation, VersionFact } from './observations';
import { resolveCertThresholds, type CertificateThresholdsInput } from './thresholds';
import { CONSUL_ERROR_CODES } from '../shared/consul-errors';
import { isErrorCode, summarizeError } from '../shared/errors';
import type { Finding } from '../report/report';
import { DEFAULT_AUDITOR_SERVICE } from '../shared/defaults';

export { parseHostPort, type ConsulTlsEndpoint, type EndpointCheck } from './endpoints';

/** What {@link runCertificateCheck} needs from outside. */
export interface CertCheckDeps {
  readonly consul: CertificateSource;
  readonly probe: TlsProbe;
  readonly now: () => Date;
  /** Aborting stops starting probes; those not started are reported as not probed. @default - no budget */
  readonly signal?: AbortSignal;
}

/** What to check. */
export interface CertCheckInput {
  /** Service identity whose leaf is presented to sidecars. @default DEFAULT_AUDITOR_SERVICE */
  readonly auditorService?: string;
  /** Consul's HTTPS API listeners; their hosts are also probed on the agent's gRPC TLS port. @default [] */
  readonly consulEndpoints?: readonly ConsulTlsEndpoint[];
  /** More endpoints, each with its own CA bundle when one was given. @default [] */
  readonly endpoints?: readonly EndpointCheck[];
  /** The system trust store (PEM): what an endpoint's chain must lead to when no CA was given for it. */
  readonly systemCaPems: readonly string[];
  /** Consul's CA bundle (`CONSUL_CACERT`, the cluster's CA bundle): what Consul's HTTPS and gRPC TLS ports must lead to. @default - the system trust store */
  readonly consulCaPem?: string;
  /** @default DEFAULT_CERT_THRESHOLDS */
  readonly thresholds?: CertificateThresholdsInput;
  /** @default DEFAULT_STALE_GRACE_MS */
  readonly staleGraceMs?: number;
  /** Handshakes in flight. @default DEFAULT_PROBE_CONCURRENCY */
  readonly concurrency?: number;
  /** Also probe the agent's gRPC TLS port on the Consul hosts. @default true */
  readonly grpcTls?: boolean;
}

/** What a run found. */
export interface CertCheckResult extends CertEvaluation {
  readonly checkedAt: string;
  readonly trustDomain: string;
  readonly datacenter?: string;
}

/** The dedicated identity the check presents to sidecars (declared in shared/defaults.ts). */
export { DEFAULT_AUDITOR_SERVICE };
/** 500 sidecars at 16 handshakes in flight and a 5 s probe timeout finish in under 3 minutes even if all hang. */
export const DEFAULT_PROBE_CONCURRENCY = 16;
const CONSUL_CONCURRENCY = 8;

/**
 * The certificate check (issue 7): reads the Connect CA roots and configuration, the agent's leaves and version,
 * the `connect-proxy` instances of the catalog, makes one mTLS handshake to each sidecar's public listener (as a
 * dedicated auditor identity, since Envoy requires a client certificate) and one TLS handshake to each endpoint, and
 * evaluates it all with {@link evaluateCertificates}.
 *
 * A permission of the required policy (`acl-policies.ts`: catalog, nodes, agent, auditor leaf) that the token lacks
 * fails the run, as does an unreadable root list or catalog: a check that cannot see the fleet must not report it
 * healthy. Optional permissions (`operator:write`, `service:write` on the services) and every other read or probe
 * problem become findings. On Consul 1.15 the served leaf is not compared with the agent's (leaves are cached per
 * token there, consul-api.md correction 5), and the agent leaves of the services are not read.
 *
 * @example
 * const result = await runCertificateCheck(
 *   { consul: new ConsulCertificateSource(api), probe: createTlsProbe(), now: () => new Date() },
 *   { consulEndpoints: [{ host: 'consul.internal', port: 8501 }], consulCaPem: caPem, systemCaPems: systemRootPems() },
 * );
 */
export async function runCertificateCheck(deps: CertCheckDeps, input: CertCheckInput): Promise<CertCheckResult> {
  const thresholds = resolveCertThresholds(input.thresholds);
  const auditor = input.auditorService ?? DEFAULT_AUDITOR_SERVICE;
  const gathered: Finding[] = [];
  const [rootsData, agent, ttl, proxies] = await Promise.all([
    deps.consul.caRoots(),
    unlessDenied(() => deps.consul.agentInfo(), (err) => gathered.push(problem('agent-self-unreadable', 'low', 'agent', 'Consul version, gRPC TLS and stale-leaf (S1) checks skipped: cannot read /v1/agent/self', 'agent_prefix "" { policy = "read" }', err))),
    optional(() => deps.consul.leafCertTtl(), (err) => gathered.push(problem('ca-config-unreadable', 'info', 'Connect CA configuration', 'LeafCertTTL check (S3) skipped: cannot read /v1/connect/ca/configuration', 'operator = "write" (optional: it is only needed for this check)', err))),
    deps.consul.connectProxies(),
  ]);
  const roots = rootsData.roots.map(observeRoot);
  const meshAnchors = rootsData.roots.map((r) => parseCertificate(r.rootCertPem));
  const meshIntermediates = rootsData.roots.flatMap((r) => r.intermediatePems.flatMap(splitPemBundle).map(parseCertificate));
  const auditorLeaf = await unlessDenied(() => deps.consul.agentLeaf(auditor), (err) =>
    gathered.push(problem('auditor-leaf-unreadable', 'high', `auditor service ${auditor}`, `sidecar certificates not checked: cannot get a leaf for the auditor identity ${auditor}, which the mTLS handshake with Envoy needs`, `service "${auditor}" { policy = "write" }`, err)));
  const limit = input.concurrency ?? DEFAULT_PROBE_CONCURRENCY;
  // S1 needs the agent's leaf to be the sidecar's: only from 1.16 on (per-token leaf cache before).
  const compareLeaves = agent !== undefined && compareServedWithAgentLeaf(agent.version);
  const targets = endpointTargets(input, agent?.grpcTlsPort, { systemCaPems: input.systemCaPems, consulCaPem: input.consulCaPem });
  // Independent reads and probes overlap; the agent leaves are read before the probes finish, so S1 compares a
  // served leaf with an agent leaf read at most one run's duration apart (the grace period covers that).
  const [agentLeaves, proxyObservations, endpointObservations] = await Promise.all([
    compareLeaves ? readAgentLeaves(deps, proxies, agent, gathered) : [],
    auditorLeaf === undefined ? [] : probeProxies(deps, proxies, { auditorLeaf, trustDomain: rootsData.trustDomain, datacenter: agent?.datacenter, anchors: meshAnchors, intermediates: meshIntermediates, limit }),
    probeEndpoints(deps.probe, targets, limit, deps.signal),
  ]);
  const evaluation = evaluateCertificates({
    now: deps.now(),
    thresholds,
    staleGraceMs: input.staleGraceMs,
    trustDomain: rootsData.trustDomain,
    datacenter: agent?.datacenter,
    activeRootId: rootsData.activeRootId,
    roots,
    leafCertTtlMs: ttl === undefined ? undefined : parseGoDurationMs(ttl),
    agentNode: agent?.node,
    agentVersion: agent?.version,
    agentLeaves: [...(auditorLeaf ? [leafFact(auditor, auditorLeaf)] : []), ...agentLeaves],
    versions: versionsOf(agent, proxies),
    proxies: proxyObservations,
    endpoints: endpointObservations,
  });
  return { ...evaluation, findings: [...gathered, ...evaluation.findings], checkedAt: deps.now().toISOString(), trustDomain: rootsData.trustDomain, datacenter: agent?.datacenter };
}

async function optional<T>(read: () => Promise<T>, onError: (err: unknown) => void): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    onError(err);
    return undefined;
  }
}

/** A read the required policy grants: a refusal fails the run (the token is misconfigured); other errors are findings. */
async function unlessDenied<T>(read: () => Promise<T>, onError: (err: unknown) => void): Promise<T | undefined> {
  return optional(read, (err) => {
    if (isErrorCode(err, CONSUL_ERROR_CODES.permissionDenied)) throw err;
    onError(err);
  });
}

function problem(id: string, severity: Finding['severity'], subject: string, what: string, rule: string, err: unknown): Finding {
  const denied = isErrorCode(err, CONSUL_ERROR_CODES.permissionDenied) || isErrorCode(err, CONSUL_ERROR_CODES.aclNotFound);
  const e = summarizeError(err);
  return {
    id,
    check: 'permissions',
    severity,
    subject,
    message: `${what} (${e.code}: ${e.message}).`,
    remedy: denied ? `Grant the consul-ops token ${rule}.` : e.remedy,
  };
}

async function readAgentLeaves(deps: CertCheckDeps, proxies: readonly ProxyInstance[], agent: AgentInfo | undefined, gathered: Finding[]): Promise<AgentLeafFact[]> {
  // Only the agent's own proxies: another agent's leaf says nothing about them, and each read may make it sign one.
  const services = [...new Set(proxies.filter((p) => agent !== undefined && p.node === agent.node).map((p) => p.destination))].sort();
  const failures: { service: string; err: unknown }[] = [];
  const leaves = await mapBounded(services, CONSUL_CONCURRENCY, (service) =>
    deps.consul.agentLeaf(service).then((leaf) => leafFact(service, leaf), (err: unknown) => void failures.push({ service, err })));
  if (failures.length > 0) {
    const names = failures.slice(0, 10).map((f) => f.service).join(', ') + (failures.length > 10 ? `, … ${failures.length - 10} more` : '');
    gathered.push(problem('agent-leaf-unreadable', 'low', `agent leaves of ${failures.length} services`, `stale-leaf check (S1) skipped for ${names}`, 'service_prefix "" { policy = "write" } (or per service)', failures[0].err));
  }
  return leaves.filter((l): l is AgentLeafFact => l !== undefined);
}

function leafFact(service: string, leaf: IssuedLeafData): AgentLeafFact {
  let issuer: string | undefined;
  try {
    issuer = describeCertificate(splitPemBundle(leaf.certPem)[0] ?? leaf.certPem).issuer;
  } catch {
    issuer = undefined;
  }
  return { service, serial: leaf.serial, validAfter: leaf.validAfter, validBefore: leaf.validBefore, ...(issuer ? { issuer } : {}) };
}

function observeRoot(r: CaRootsData['roots'][number]): RootObservation {
  return { id: r.id, name: r.name, active: r.active, cert: describeCertificate(r.rootCertPem), intermediates: r.intermediatePems.flatMap(splitPemBundle).map((p) => describeCertificate(p)) };
}

interface MeshProbeContext {
  readonly auditorLeaf: IssuedLeafData;
  readonly trustDomain: string;
  readonly datacenter?: string;
  readonly anchors: readonly X509Certificate[];
  readonly intermediates: readonly X509Certificate[];
  readonly limit: number;
}

async function probeProxies(deps: CertCheckDeps, proxies: readonly ProxyInstance[], ctx: MeshProbeContext): Promise<ProxyObservation[]> {
  const clientCert = { certPem: ctx.auditorLeaf.certPem, keyPem: ctx.auditorLeaf.keyPem };
  const served = await mapBounded(
    proxies,
    ctx.limit,
    async (p) => {
      // The SNI an upstream sidecar sends for this service; Envoy's public listener accepts it (or none).
      const servername = ctx.datacenter === undefined ? undefined : `${p.destination}.default.${ctx.datacenter}.internal.${ctx.trustDomain}`;
      return servedChain(await deps.probe({ host: p.host, port: p.port, servername, clientCert }), ctx.anchors, ctx.intermediates);
    },
    { signal: deps.signal, onSkip: skippedProbe },
  );
  return proxies.map((p, i) => ({ node: p.node, serviceId: p.serviceId, destination: p.destination, address: hostPort(p.host, p.port), served: served[i] }));
}

function versionsOf(agent: AgentInfo | undefined, proxies: readonly ProxyInstance[]): VersionFact[] {
  const fromCatalog = proxies.filter((p) => p.nodeVersion).map((p) => ({ node: p.node, version: p.nodeVersion!, source: 'catalog' as const }));
  return [...(agent ? [{ node: agent.node, version: agent.version, source: 'agent-self' as const }] : []), ...fromCatalog];
}
