import type { CertFacts } from './facts';
import { certEntry, formatDuration, worstOf, sameSerial, type AgentLeafFact, type CertEntry, type ProxyObservation } from './observations';
import { LEVEL_SEVERITY, severityForLifetimeUsed } from './thresholds';
import type { Finding } from '../report/report';
import type { Severity, Thresholds } from '../shared/severity';

/**
 * The sidecar part of the certificate check (ops-contracts §5.3 S1–S4): what each proxy's public listener serves,
 * against the clock, the agent's current leaf, `LeafCertTTL` and the mesh identity, and the fleet summary.
 *
 * S1 (served ≠ issued) is stateless: a proxy is stale when its served leaf differs from the agent's current leaf, is
 * older than it, and the agent has held that newer leaf for longer than the grace period (its `ValidAfter` is more
 * than `staleGraceMs` ago). The agent had a fresh leaf that long and the sidecar still has not loaded it, which is the
 * signature of consul#16779. The comparison is only made for proxies registered on the agent consul-ops queries:
 * every agent signs and caches its own leaves, so another agent's serial says nothing about this sidecar (S2, the
 * lifetime check, covers those proxies whatever agent they use).
 */

/** Facts the proxy evaluation needs besides the proxies. */
export interface ProxyContext {
  readonly now: Date;
  readonly leafThresholds: Thresholds<number>;
  readonly staleGraceMs: number;
  /** `LeafCertTTL` in ms; `undefined` skips S3. */
  readonly leafCertTtlMs?: number;
  readonly trustDomain?: string;
  readonly datacenter?: string;
  /** The node of the agent consul-ops queries: S1 only applies to proxies on it. */
  readonly agentNode?: string;
  readonly agentLeaves: ReadonlyMap<string, AgentLeafFact>;
}

/** What {@link evaluateProxies} produces. */
export interface ProxyEvaluation {
  readonly certs: CertEntry[];
  readonly findings: Finding[];
  readonly checked: number;
  readonly unreachable: number;
  readonly stale: number;
}

/** Lifetimes may differ from `LeafCertTTL` by this much (providers backdate `NotBefore` by up to a minute or so). */
const TTL_TOLERANCE_MS = 5 * 60_000;
const FIX_RESTART = 'Restart the sidecar (or the Consul agent it gets its leaf from) so it loads a fresh leaf now';

/** Evaluates every proxy and adds the fleet summary (S4). */
export function evaluateProxies(proxies: readonly ProxyObservation[], ctx: ProxyContext): ProxyEvaluation {
  const out: { -readonly [K in keyof ProxyEvaluation]: ProxyEvaluation[K] } = { certs: [], findings: [], checked: 0, unreachable: 0, stale: 0 };
  const affected: { label: string; severity: Severity }[] = [];
  for (const proxy of proxies) {
    const label = `${proxy.node}/${proxy.serviceId}`;
    if (!proxy.served.ok) {
      if (proxy.served.reason === 'skipped') continue;
      out.unreachable++;
      out.findings.push(unreachable(proxy, label, proxy.served.message));
      continue;
    }
    out.checked++;
    const leaf = proxy.served.chain[0];
    const { findings, stale } = judgeServedLeaf(proxy, label, leaf, proxy.served.trusted ? undefined : proxy.served.trustProblem ?? 'untrusted', ctx);
    const severity = worstOf(findings.map((f) => f.severity));
    out.findings.push(...findings);
    out.certs.push(certEntry('proxy', `proxy ${label} (${proxy.destination})`, leaf, ctx.now, severity));
    if (stale) {
      out.stale++;
      affected.push({ label, severity });
    }
  }
  const skipped = proxies.filter((p) => !p.served.ok && p.served.reason === 'skipped').length;
  if (proxies.length > 0) out.findings.push(fleetSummary(proxies.length, out, affected, skipped));
  return out;
}

function judgeServedLeaf(proxy: ProxyObservation, label: string, leaf: CertFacts, untrusted: string | undefined, ctx: ProxyContext): { findings: Finding[]; stale: boolean } {
  const findings: Finding[] = [];
  const now = ctx.now.getTime();
  const notBefore = Date.parse(leaf.notBefore);
  const notAfter = Date.parse(leaf.notAfter);
  const lifetime = Math.max(notAfter - notBefore, 1);
  const used = ((now - notBefore) / lifetime) * 100;
  const agentLeaf = ctx.agentLeaves.get(proxy.destination);
  const agentNote = agentLeaf && !sameSerial(agentLeaf.serial, leaf.serial) ? ` The agent's current leaf for ${proxy.destination} is ${agentLeaf.serial}, valid until ${agentLeaf.validBefore}.` : '';
  const subject = `proxy ${label} (${proxy.destination}) at ${proxy.address}`;
  const base = { subject };
  let stale = false;
  if (notAfter <= now) {
    stale = true;
    findings.push({
      ...base,
      id: `proxy-leaf-expired:${label}`,
      check: 'proxy-leaf-expired',
      severity: 'critical',
      message: `serves leaf ${leaf.serial}, which expired ${formatDuration(now - notAfter)} ago (${leaf.notAfter}): mesh peers refuse it.${agentNote} This is what the Consul 1.15.0–1.15.1 leaf rotation bug (consul#16779) looks like.`,
      remedy: `${FIX_RESTART}; if the agent runs Consul 1.15.0 or 1.15.1, upgrade it to 1.15.2 or later.`,
    });
  } else {
    const severity = severityForLifetimeUsed(used, ctx.leafThresholds);
    if (severity !== 'info') {
      stale ||= severity === LEVEL_SEVERITY.critical;
      findings.push({
        ...base,
        id: `proxy-leaf-renewal-stuck:${label}`,
        check: 'proxy-leaf-renewal',
        severity,
        message: `serves leaf ${leaf.serial}, which has used ${Math.floor(used)} % of its ${formatDuration(lifetime)} lifetime and expires in ${formatDuration(notAfter - now)}: healthy renewal happens at 60–90 %, so renewal is stuck.${agentNote}`,
        remedy: `${FIX_RESTART}, then look at the agent's logs for leaf certificate errors.`,
      });
    }
  }
  if (isStale(proxy, leaf, agentLeaf, ctx)) {
    stale = true;
    const heldFor = formatDuration(now - Date.parse(agentLeaf!.validAfter));
    findings.push({
      ...base,
      id: `proxy-leaf-stale:${label}`,
      check: 'proxy-leaf-stale',
      severity: 'high',
      message: `serves leaf ${leaf.serial} (issued ${leaf.notBefore}) although its agent has held a newer leaf ${agentLeaf!.serial} for ${heldFor}: the sidecar is not picking up renewed certificates.`,
      remedy: `${FIX_RESTART}; on Consul 1.15.0–1.15.1 upgrade to 1.15.2 or later (consul#16779).`,
    });
  }
  if (ctx.leafCertTtlMs !== undefined && Math.abs(lifetime - ctx.leafCertTtlMs) > TTL_TOLERANCE_MS) {
    findings.push({
      ...base,
      id: `proxy-leaf-ttl:${label}`,
      check: 'proxy-leaf-ttl',
      severity: 'medium',
      message: `serves a leaf with a lifetime of ${formatDuration(lifetime)}, but the CA's LeafCertTTL is ${formatDuration(ctx.leafCertTtlMs)}.`,
      remedy: 'Expected for one renewal cycle after a LeafCertTTL change; otherwise check the CA provider configuration (consul connect ca get-config).',
    });
  }
  const identity = identityProblem(leaf, proxy.destination, ctx);
  if (identity) findings.push({ ...base, id: `proxy-identity:${label}`, check: 'proxy-identity', severity: 'high', message: identity, remedy: 'Check the sidecar registration (proxy.destination_service_name) and that it is bootstrapped from this cluster.' });
  if (untrusted) {
    findings.push({
      ...base,
      id: `proxy-chain-untrusted:${label}`,
      check: 'proxy-chain-untrusted',
      severity: 'critical',
      message: `serves leaf ${leaf.serial} (issuer ${leaf.issuer}) that does not chain to any current Connect CA root: ${untrusted}. Mesh peers refuse it.`,
      remedy: `${FIX_RESTART}; after a CA rotation, check that the old root is still listed until every leaf is reissued.`,
    });
  }
  return { findings, stale };
}

function isStale(proxy: ProxyObservation, leaf: CertFacts, agentLeaf: AgentLeafFact | undefined, ctx: ProxyContext): boolean {
  if (!agentLeaf || ctx.agentNode === undefined || proxy.node !== ctx.agentNode || sameSerial(agentLeaf.serial, leaf.serial)) return false;
  const agentSince = Date.parse(agentLeaf.validAfter);
  return Date.parse(leaf.notBefore) < agentSince && ctx.now.getTime() - agentSince > ctx.staleGraceMs;
}

function identityProblem(leaf: CertFacts, destination: string, ctx: ProxyContext): string | undefined {
  if (ctx.trustDomain === undefined) return undefined;
  const suffix = `/svc/${destination}`;
  const dc = ctx.datacenter === undefined ? '' : `/dc/${ctx.datacenter}`;
  const ok = leaf.uris.some((u) => u.toLowerCase().startsWith(`spiffe://${ctx.trustDomain!.toLowerCase()}/`) && u.endsWith(`${dc}${suffix}`));
  if (ok) return undefined;
  const shown = leaf.uris.length > 0 ? leaf.uris.join(', ') : 'no URI SAN';
  return `serves a leaf for ${shown}, expected the identity of ${destination} (spiffe://${ctx.trustDomain}/…${dc}${suffix}).`;
}

function unreachable(proxy: ProxyObservation, label: string, message: string): Finding {
  return {
    id: `proxy-unreachable:${label}`,
    check: 'proxy-unreachable',
    severity: 'medium',
    subject: `proxy ${label} (${proxy.destination}) at ${proxy.address}`,
    message: `its certificate could not be read: ${message}`,
    remedy: `Check that the sidecar runs (consul catalog and health checks), that the consul-ops function's security group may reach ${proxy.address}, and that the proxy accepts the auditor's leaf.`,
  };
}

function fleetSummary(total: number, ev: ProxyEvaluation, affected: readonly { label: string; severity: Severity }[], skipped: number): Finding {
  const share = total === 0 ? 0 : Math.round((affected.length / total) * 1000) / 10;
  const notes = [ev.unreachable > 0 ? `${ev.unreachable} unreachable` : '', skipped > 0 ? `${skipped} not probed (time budget)` : ''].filter(Boolean).join(', ');
  const tail = notes ? ` (${notes})` : '';
  if (affected.length === 0) {
    const message = `${ev.checked} of ${total} proxies checked; none serves an expired, stuck or stale leaf${tail}.`;
    // Sidecars left unchecked for lack of time are a blind spot, not a clean bill of health.
    if (skipped > 0) return { id: 'proxy-fleet', check: 'proxy-fleet', severity: 'medium', subject: 'connect proxies', message, remedy: 'Raise the function timeout or the probe concurrency, or shorten the probe timeout.' };
    return { id: 'proxy-fleet', check: 'proxy-fleet', severity: 'info', subject: 'connect proxies', message };
  }
  const names = affected.slice(0, 5).map((a) => a.label).join(', ') + (affected.length > 5 ? `, … ${affected.length - 5} more` : '');
  return {
    id: 'proxy-fleet',
    check: 'proxy-fleet',
    severity: worstOf(affected.map((a) => a.severity)),
    subject: 'connect proxies',
    message: `${affected.length} of ${total} proxies (${share} %) serve expired, stuck or stale leaves: ${names}${tail}. The 1.15.0–1.15.1 rotation bug hit some instances only, so any share above 0 matters.`,
    remedy: `${FIX_RESTART} for each listed proxy, and upgrade Consul agents on 1.15.0–1.15.1.`,
  };
}
