import type { X509Certificate } from 'node:crypto';
import { mapBounded } from '../shared/bounded-map';
import { describeCertificate, parseCertificate, parseGoDurationMs, splitPemBundle, verifyChain } from './facts';
import { evaluateCertificates } from './evaluation';
import type { AgentInfo, CaRootsData, CertificateSource, IssuedLeafData, ProxyInstance, TlsProbe, TlsProbeResult } from './ports';
import type { AgentLeafFact, CertEvaluation, EndpointObservation, EndpointRole, ProxyObservation, RootObservation, ServedChain, VersionFact } from './observations';
import { resolveCertThresholds, type CertificateThresholdsInput } from './thresholds';
import { CONSUL_ERROR_CODES } from '../shared/consul-errors';
import { InvalidInputError, isErrorCode, summarizeError } from '../shared/errors';
import type { Finding } from '../report/report';
import { DEFAULT_AUDITOR_SERVICE } from '../shared/defaults';

/** What {@link runCertificateCheck} needs from outside. */
export interface CertCheckDeps {
  readonly consul: CertificateSource;
  readonly probe: TlsProbe;
  readonly now: () => Date;
  /** Aborting stops starting probes; those not started are reported as not probed. @default - no budget */
  readonly signal?: AbortSignal;
}

/** A Consul TLS listener (HTTPS API) to check. */
export interface ConsulTlsEndpoint {
  readonly host: string;
  readonly port: number;
  /** @default - the host */
  readonly serverName?: string;
}

/** What to check. */
export interface CertCheckInput {
  /** Service identity whose leaf is presented to sidecars. @default DEFAULT_AUDITOR_SERVICE */
  readonly auditorService?: string;
  /** Consul's HTTPS API listeners; their hosts are also probed on the agent's gRPC TLS port. @default [] */
  readonly consulEndpoints?: readonly ConsulTlsEndpoint[];
  /** More `host:port` endpoints. @default [] */
  readonly endpoints?: readonly string[];
  /** Trust anchors (PEM) for endpoints: the Consul CA bundle, or the system roots. */
  readonly endpointCaPems: readonly string[];
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
 * evaluates it all with {@link evaluateCertificates}. Missing permissions and unreachable targets become findings; only
 * an unreadable CA root list or catalog fails the run.
 *
 * @example
 * const result = await runCertificateCheck(
 *   { consul: new ConsulCertificateSource(api), probe: createTlsProbe(), now: () => new Date() },
 *   { consulEndpoints: [{ host: 'consul.internal', port: 8501 }], endpointCaPems: [caPem] },
 * );
 */
export async function runCertificateCheck(deps: CertCheckDeps, input: CertCheckInput): Promise<CertCheckResult> {
  const thresholds = resolveCertThresholds(input.thresholds);
  const auditor = input.auditorService ?? DEFAULT_AUDITOR_SERVICE;
  const gathered: Finding[] = [];
  const [rootsData, agent, ttl, proxies] = await Promise.all([
    deps.consul.caRoots(),
    optional(() => deps.consul.agentInfo(), (err) => gathered.push(problem('agent-self-unreadable', 'low', 'agent', 'Consul version and stale-leaf (S1) checks skipped: cannot read /v1/agent/self', 'agent_prefix "" { policy = "read" }', err))),
    optional(() => deps.consul.leafCertTtl(), (err) => gathered.push(problem('ca-config-unreadable', 'info', 'Connect CA configuration', 'LeafCertTTL check (S3) skipped: cannot read /v1/connect/ca/configuration', 'operator = "write" (optional: it is only needed for this check)', err))),
    deps.consul.connectProxies(),
  ]);
  const roots = rootsData.roots.map(observeRoot);
  const meshAnchors = rootsData.roots.map((r) => parseCertificate(r.rootCertPem));
  const meshIntermediates = rootsData.roots.flatMap((r) => r.intermediatePems.flatMap(splitPemBundle).map(parseCertificate));
  const auditorLeaf = await optional(() => deps.consul.agentLeaf(auditor), (err) =>
    gathered.push(problem('auditor-leaf-unreadable', 'high', `auditor service ${auditor}`, `sidecar certificates not checked: cannot get a leaf for the auditor identity ${auditor}, which the mTLS handshake with Envoy needs`, `service "${auditor}" { policy = "write" }`, err)));
  const limit = input.concurrency ?? DEFAULT_PROBE_CONCURRENCY;
  const endpointAnchors = input.endpointCaPems.flatMap(splitPemBundle).map(parseCertificate);
  // Independent reads and probes overlap; the agent leaves are read before the probes finish, so S1 compares a
  // served leaf with an agent leaf read at most one run's duration apart (the grace period covers that).
  const [agentLeaves, proxyObservations, endpointObservations] = await Promise.all([
    readAgentLeaves(deps, proxies, agent, gathered),
    auditorLeaf === undefined ? [] : probeProxies(deps, proxies, { auditorLeaf, trustDomain: rootsData.trustDomain, datacenter: agent?.datacenter, anchors: meshAnchors, intermediates: meshIntermediates, limit }),
    probeEndpoints(deps, endpointTargets(input, agent), endpointAnchors, limit),
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
    agentLeaves: [...(auditorLeaf ? [leafFact(auditor, auditorLeaf)] : []), ...agentLeaves],
    versions: versionsOf(agent, proxies),
    proxies: proxyObservations,
    endpoints: endpointObservations,
  });
  return { ...evaluation, findings: [...gathered, ...evaluation.findings], checkedAt: deps.now().toISOString(), trustDomain: rootsData.trustDomain, datacenter: agent?.datacenter };
}

/**
 * Parses `host:port` or `[v6]:port`.
 *
 * @throws InvalidInputError naming `field`
 */
export function parseHostPort(text: string, field: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65_535) throw new InvalidInputError(field, `"${text}" is not host:port`, '"consul.example.com:8501" or "[fd00::5]:8503"');
  return { host: m[1] ?? m[2], port };
}

async function optional<T>(read: () => Promise<T>, onError: (err: unknown) => void): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    onError(err);
    return undefined;
  }
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
    { signal: deps.signal, onSkip: skipped },
  );
  return proxies.map((p, i) => ({ node: p.node, serviceId: p.serviceId, destination: p.destination, address: hostPort(p.host, p.port), served: served[i] }));
}

interface EndpointTarget {
  readonly host: string;
  readonly port: number;
  readonly role: EndpointRole;
  readonly expectedName: string;
}

function endpointTargets(input: CertCheckInput, agent: AgentInfo | undefined): EndpointTarget[] {
  const consul = (input.consulEndpoints ?? []).map((e) => ({ host: e.host, port: e.port, role: 'consul-https' as const, expectedName: e.serverName ?? e.host }));
  const grpcPort = agent?.grpcTlsPort;
  const grpc = input.grpcTls !== false && grpcPort !== undefined && grpcPort > 0 ? consul.map((e) => ({ ...e, port: grpcPort, role: 'consul-grpc-tls' as const })) : [];
  const configured = (input.endpoints ?? []).map((text, i) => ({ ...parseHostPort(text, `endpoints[${i}]`), role: 'configured' as const })).map((e) => ({ ...e, expectedName: e.host }));
  // The first role seen for a host:port wins (a configured duplicate of a Consul address is probed once).
  const byTarget = new Map<string, EndpointTarget>();
  for (const t of [...consul, ...grpc, ...configured]) if (!byTarget.has(hostPort(t.host, t.port))) byTarget.set(hostPort(t.host, t.port), t);
  return [...byTarget.values()];
}

async function probeEndpoints(deps: CertCheckDeps, targets: readonly EndpointTarget[], anchors: readonly X509Certificate[], limit: number): Promise<EndpointObservation[]> {
  const served = await mapBounded(
    targets,
    limit,
    async (t) => servedChain(await deps.probe({ host: t.host, port: t.port, servername: isIp(t.expectedName) ? undefined : t.expectedName }), anchors, []),
    { signal: deps.signal, onSkip: skipped },
  );
  return targets.map((t, i) => ({ target: hostPort(t.host, t.port), role: t.role, expectedName: t.expectedName, served: served[i] }));
}

function servedChain(result: TlsProbeResult, anchors: readonly X509Certificate[], intermediates: readonly X509Certificate[]): ServedChain {
  if (!result.ok) return result;
  try {
    const certs = result.chainDer.map((der) => parseCertificate(der));
    const verdict = verifyChain(certs, anchors, intermediates);
    return { ok: true, chain: certs.map((c) => describeCertificate(c)), trusted: verdict.trusted, ...(verdict.problem ? { trustProblem: verdict.problem } : {}) };
  } catch (err) {
    return { ok: false, reason: 'handshake', message: `the presented certificate cannot be parsed (${(err as Error).message})` };
  }
}

function skipped(): ServedChain {
  return { ok: false, reason: 'skipped', message: 'not probed: the run hit its time budget' };
}

function versionsOf(agent: AgentInfo | undefined, proxies: readonly ProxyInstance[]): VersionFact[] {
  const fromCatalog = proxies.filter((p) => p.nodeVersion).map((p) => ({ node: p.node, version: p.nodeVersion!, source: 'catalog' as const }));
  return [...(agent ? [{ node: agent.node, version: agent.version, source: 'agent-self' as const }] : []), ...fromCatalog];
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function isIp(name: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.includes(':');
}
