import { coversServerName } from './facts';
import {
  certEntry, daysUntil, formatDuration, worstOf,
  type AgentLeafFact, type CertEntry, type CertEvaluation, type CertMetrics, type EndpointObservation, type ProxyObservation, type RootObservation, type VersionFact,
} from './observations';
import { evaluateProxies } from './proxy-evaluation';
import { CERT_KINDS, severityForDaysLeft, severityForLifetimeUsed, type CertificateThresholds } from './thresholds';
import type { Finding } from '../report/report';
import type { Severity } from '../shared/severity';

/**
 * The pure core of the certificate check (issue 7, ops-contracts §5.3): from what was observed (CA roots, agent
 * leaves, what every sidecar and TLS endpoint served, Consul versions) and `now`, the list of certificates with their
 * days left and severity, and the findings. No I/O, no clock.
 */

/** Consul versions with the leaf rotation race of consul#16779 (fixed in 1.15.2). */
export const KNOWN_BAD_CONSUL_VERSIONS = ['1.15.0', '1.15.1'] as const;
/** How long a sidecar may keep serving an older leaf after its agent got a new one (S1). */
export const DEFAULT_STALE_GRACE_MS = 15 * 60_000;
/** Id of the `info` finding that says the stale-leaf comparison was not made because of the Consul version. */
export const STALE_LEAF_NOT_COMPARED_ID = 'proxy-leaf-stale-not-compared';

/**
 * Whether the leaf an agent hands consul-ops is the one it hands the sidecar, so the two can be compared (S1). Not
 * before 1.16: until then the agent's leaf cache is keyed by `datacenter/token/service` (`agent/cache`
 * `makeEntryKey`), so consul-ops' own token gets a leaf of its own, newer than the sidecar's; from 1.16
 * (`leafcert.Manager`, PR #17075) every caller gets the same leaf (consul-api.md correction 5). An unreadable
 * version is treated as "not comparable": a missed comparison is better than an alarm on every sidecar.
 *
 * @example
 * compareServedWithAgentLeaf('1.15.11') // false
 * compareServedWithAgentLeaf('1.16.0+ent') // true
 */
export function compareServedWithAgentLeaf(version: string): boolean {
  const m = /^v?(\d+)\.(\d+)\./.exec(version.trim());
  if (!m) return false;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 1 || (major === 1 && minor >= 16);
}

/** Everything {@link evaluateCertificates} looks at. */
export interface CertEvaluationInput {
  readonly now: Date;
  readonly thresholds: CertificateThresholds;
  /** @default DEFAULT_STALE_GRACE_MS */
  readonly staleGraceMs?: number;
  /** `<cluster-id>.consul`, for the SPIFFE identity check. @default - identities are not checked */
  readonly trustDomain?: string;
  /** @default - the datacenter part of identities is not checked */
  readonly datacenter?: string;
  readonly activeRootId?: string;
  readonly roots: readonly RootObservation[];
  /** `LeafCertTTL` in ms. @default - unknown (the token could not read the CA configuration): S3 is skipped */
  readonly leafCertTtlMs?: number;
  /** Node of the agent consul-ops queried. @default - unknown: S1 is skipped */
  readonly agentNode?: string;
  /** Consul version of that agent; S1 is only made when {@link compareServedWithAgentLeaf} allows it. @default - unknown: S1 is skipped */
  readonly agentVersion?: string;
  readonly agentLeaves: readonly AgentLeafFact[];
  readonly versions: readonly VersionFact[];
  readonly proxies: readonly ProxyObservation[];
  readonly endpoints: readonly EndpointObservation[];
}

/**
 * Evaluates every certificate and returns `{ certs, findings, metrics }`. Findings carry stable ids (no serials), so
 * report dedupe sees a renewal as the same finding. A healthy mesh yields only `info` findings.
 *
 * @example
 * const { certs, findings } = evaluateCertificates({ now, thresholds: DEFAULT_CERT_THRESHOLDS, roots, agentLeaves: [], versions, proxies, endpoints });
 */
export function evaluateCertificates(input: CertEvaluationInput): CertEvaluation {
  const certs: CertEntry[] = [];
  const findings: Finding[] = [];
  const add = (part: { certs: readonly CertEntry[]; findings: readonly Finding[] }) => {
    certs.push(...part.certs);
    findings.push(...part.findings);
  };
  add(evaluateRoots(input));
  add(evaluateAgentLeaves(input));
  const compare = input.agentVersion !== undefined && compareServedWithAgentLeaf(input.agentVersion);
  if (!compare && input.agentVersion !== undefined && input.proxies.length > 0) findings.push(staleLeafNotCompared(input.agentVersion));
  const proxies = evaluateProxies(input.proxies, {
    now: input.now,
    leafThresholds: input.thresholds.leaf,
    staleGraceMs: input.staleGraceMs ?? DEFAULT_STALE_GRACE_MS,
    leafCertTtlMs: input.leafCertTtlMs,
    trustDomain: input.trustDomain,
    datacenter: input.datacenter,
    agentNode: compare ? input.agentNode : undefined,
    agentLeaves: new Map(input.agentLeaves.map((l) => [l.service, l])),
  });
  add(proxies);
  add(evaluateEndpoints(input));
  findings.push(...evaluateVersions(input.versions));
  const skipped = input.endpoints.filter((e) => !e.served.ok && e.served.reason === 'skipped').length;
  if (skipped > 0) {
    findings.push({ id: 'endpoints-not-probed', check: 'time-budget', severity: 'medium', subject: 'TLS endpoints', message: `${skipped} endpoints were not probed: the run hit its time budget.`, remedy: 'Raise the function timeout or the probe concurrency, or shorten the probe timeout.' });
  }
  const metrics: CertMetrics = {
    minDaysLeft: minDaysLeft(certs),
    proxiesTotal: input.proxies.length,
    proxiesChecked: proxies.checked,
    proxiesUnreachable: proxies.unreachable,
    proxiesServingStaleLeaves: proxies.stale,
  };
  return { certs, findings, metrics };
}

function staleLeafNotCompared(version: string): Finding {
  return {
    id: STALE_LEAF_NOT_COMPARED_ID,
    check: 'proxy-leaf-stale',
    severity: 'info',
    subject: 'connect proxies',
    message:
      `not compared with the agent's leaf: Consul ${version} caches agent leaf certificates per ACL token (before 1.16), so the leaf consul-ops can read is its own, ` +
      'not the one the sidecar holds. Sidecars are judged on expiry, the share of their lifetime used (renewal stuck past 90 %) and LeafCertTTL drift.',
  };
}

function evaluateRoots(input: CertEvaluationInput): { certs: CertEntry[]; findings: Finding[] } {
  const certs: CertEntry[] = [];
  const findings: Finding[] = [];
  const active = input.roots.find((r) => r.active && (input.activeRootId === undefined || r.id === input.activeRootId));
  if (!active) {
    findings.push({
      id: 'ca-active-root',
      check: 'ca-active-root',
      severity: 'critical',
      subject: 'Connect CA',
      message: input.roots.length === 0 ? 'the CA lists no roots: no leaf can be issued or verified.' : `the active root ${input.activeRootId ?? '(none)'} is not among the ${input.roots.length} listed roots, or none is marked active.`,
      remedy: 'Check the CA provider (consul connect ca get-config) and the servers\' logs; a CA without an active root cannot sign leaves.',
    });
  }
  for (const root of input.roots) {
    // Inactive roots are being rotated out: listed for reference, their expiry breaks nothing.
    const parts = [{ label: `CA root ${root.name} ${root.id.slice(0, 11)}${root.active ? '' : ' (inactive)'}`, cert: root.cert, id: `ca-root:${root.id}` }].concat(
      root.intermediates.map((cert, i) => ({ label: `CA intermediate #${i + 1} of root ${root.id.slice(0, 11)}`, cert, id: `ca-intermediate:${root.id}:${i + 1}` })),
    );
    for (const part of parts) {
      const days = daysUntil(part.cert.notAfter, input.now);
      const severity: Severity = root.active ? severityForDaysLeft(days, input.thresholds.caRoot) : 'info';
      certs.push(certEntry('ca-root', part.label, part.cert, input.now, severity));
      if (severity === 'info') continue;
      findings.push({
        id: part.id,
        check: 'ca-root-expiry',
        severity,
        subject: part.label,
        message: days <= 0 ? `expired on ${part.cert.notAfter}: no leaf signed under it verifies.` : `expires on ${part.cert.notAfter}, in ${days} days (warning below ${input.thresholds.caRoot.warning}, critical below ${input.thresholds.caRoot.critical}).`,
        remedy: 'Rotate the CA before it expires: set a new root with `consul connect ca set-config` (Consul cross-signs, so the mesh stays up), or renew the intermediate at the external provider.',
      });
    }
  }
  return { certs, findings };
}

function evaluateAgentLeaves(input: CertEvaluationInput): { certs: CertEntry[]; findings: Finding[] } {
  const certs: CertEntry[] = [];
  const findings: Finding[] = [];
  const now = input.now.getTime();
  for (const leaf of input.agentLeaves) {
    const start = Date.parse(leaf.validAfter);
    const end = Date.parse(leaf.validBefore);
    const used = ((now - start) / Math.max(end - start, 1)) * 100;
    const severity = severityForLifetimeUsed(used, input.thresholds.leaf);
    const subject = `agent leaf ${leaf.service}`;
    const facts = { serial: leaf.serial, notBefore: new Date(start).toISOString(), notAfter: new Date(end).toISOString(), issuer: leaf.issuer ?? '' };
    certs.push(certEntry('leaf', subject, facts, input.now, severity));
    if (severity === 'info') continue;
    findings.push({
      id: `agent-leaf:${leaf.service}`,
      check: 'agent-leaf-renewal',
      severity,
      subject,
      message: end <= now ? `the agent still hands out leaf ${leaf.serial}, expired ${formatDuration(now - end)} ago.` : `the agent's leaf ${leaf.serial} has used ${Math.floor(used)} % of its lifetime: the agent's leaf cache is not renewing it.`,
      remedy: "Check the agent's logs for leaf certificate errors and the servers' CA state; restarting the agent forces a new leaf.",
    });
  }
  return { certs, findings };
}

function evaluateEndpoints(input: CertEvaluationInput): { certs: CertEntry[]; findings: Finding[] } {
  const certs: CertEntry[] = [];
  const findings: Finding[] = [];
  for (const ep of input.endpoints) {
    const subject = `endpoint ${ep.target} (${ep.role})`;
    if (!ep.served.ok) {
      if (ep.served.reason === 'skipped') continue;
      findings.push({ id: `endpoint-unreachable:${ep.target}`, check: 'endpoint-unreachable', severity: 'high', subject, message: `no certificate could be read: ${ep.served.message}`, remedy: `Check that ${ep.target} listens with TLS and that the consul-ops function's security group may reach it.` });
      continue;
    }
    const leaf = ep.served.chain[0];
    const earliest = ep.served.chain.reduce((min, c) => (Date.parse(c.notAfter) < Date.parse(min.notAfter) ? c : min), leaf);
    const days = daysUntil(earliest.notAfter, input.now);
    const own: Finding[] = [];
    const expiry = severityForDaysLeft(days, input.thresholds.endpoint);
    if (expiry !== 'info') {
      const which = earliest === leaf ? 'its certificate' : `the chain certificate ${earliest.subject}`;
      own.push({
        id: `endpoint-expiry:${ep.target}`,
        check: 'endpoint-expiry',
        severity: expiry,
        subject,
        message: days <= 0 ? `${which} expired on ${earliest.notAfter}.` : `${which} expires on ${earliest.notAfter}, in ${days} days (warning below ${input.thresholds.endpoint.warning}, critical below ${input.thresholds.endpoint.critical}).`,
        remedy: 'Renew the certificate (for Consul agents: `consul tls cert create` or your PKI) and reload the agent (`consul reload`).',
      });
    }
    if (!coversServerName(leaf, ep.expectedName)) {
      const names = [...leaf.dnsNames.map((n) => `DNS:${n}`), ...leaf.ipAddresses.map((n) => `IP:${n}`)].join(', ') || 'no DNS or IP SAN';
      own.push({
        id: `endpoint-name:${ep.target}`,
        check: 'endpoint-name',
        severity: 'high',
        subject,
        message: `the certificate (${leaf.subject}) is for ${names}, not for ${ep.expectedName}: clients verifying the hostname refuse it.`,
        remedy: `Reissue the certificate with a SAN for ${ep.expectedName}, or check the expected name (consul.tlsServerName, or the host in the endpoint list).`,
      });
    }
    if (!ep.served.trusted) own.push(untrustedEndpoint(ep, subject, leaf.issuer, ep.served.trustProblem ?? 'untrusted'));
    findings.push(...own);
    certs.push(certEntry('endpoint', subject, leaf, input.now, worstOf(own.map((f) => f.severity)), earliest.notAfter));
  }
  return { certs, findings };
}

/**
 * An endpoint whose chain does not lead to its trust anchors: `high` when a CA was given for it (clients configured
 * with that CA refuse it), `medium` when none was (the system store was used; a private CA is a likely reason).
 */
function untrustedEndpoint(ep: EndpointObservation, subject: string, issuer: string, problem: string): Finding {
  const base = { id: `endpoint-trust:${ep.target}`, check: 'endpoint-trust', subject };
  if (ep.caSource !== undefined) {
    return {
      ...base,
      severity: 'high',
      message: `the chain (issuer ${issuer}) does not lead to ${ep.caSource}: ${problem}. Clients that trust that CA refuse it.`,
      remedy: `Serve the full chain (leaf and intermediates) from the CA in ${ep.caSource}, or update that bundle if the endpoint moved to another CA.`,
    };
  }
  const how = ep.role === 'configured' ? 'give its CA bundle (`--endpoint-ca FILE` after the `--endpoint`, or `caBundleSecretArn` of the endpoint)' : 'set CONSUL_CACERT (Lambda: the cluster\'s `consul.caBundleSecretArn` or `caBundlePem`)';
  return {
    ...base,
    severity: 'medium',
    message: `the chain (issuer ${issuer}) does not lead to a CA in the system trust store: ${problem}. No CA bundle was given for this endpoint.`,
    remedy: `If the endpoint uses a private CA, ${how} so its chain can be checked; otherwise serve the full chain from a public CA.`,
  };
}

function evaluateVersions(versions: readonly VersionFact[]): Finding[] {
  const seen = new Set<string>();
  const findings: Finding[] = [];
  for (const v of versions) {
    const bare = /^(\d+\.\d+\.\d+)/.exec(v.version)?.[1];
    if (!bare || !(KNOWN_BAD_CONSUL_VERSIONS as readonly string[]).includes(bare) || seen.has(v.node)) continue;
    seen.add(v.node);
    findings.push({
      id: `consul-version:${v.node}`,
      check: 'consul-version',
      severity: 'critical',
      subject: `node ${v.node}`,
      message: `runs Consul ${v.version}, which has the leaf certificate rotation race (consul#16779): some sidecars keep serving expired leaves after one LeafCertTTL (72h by default) and drop out of the mesh.`,
      remedy: 'Upgrade Consul on this node to 1.15.2 or later; until then, restart sidecars that serve stale leaves.',
    });
  }
  return findings;
}

function minDaysLeft(certs: readonly CertEntry[]): CertMetrics['minDaysLeft'] {
  const out: Partial<Record<(typeof CERT_KINDS)[number], number>> = {};
  for (const c of certs) {
    // Inactive roots do not count: they are on their way out.
    if (c.kind === 'ca-root' && c.subject.endsWith('(inactive)')) continue;
    out[c.kind] = Math.min(out[c.kind] ?? Infinity, c.daysLeft);
  }
  return out;
}
