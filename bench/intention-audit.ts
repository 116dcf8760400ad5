/**
 * CPU cost of the pure intention audit on a large mesh: 10,000 live intentions (exact pairs, `* -> d` denies,
 * `s -> *` allows that they shadow, 10% L7 rules spelt differently from the baseline) against a 10,000-entry
 * baseline with some drift. Target: under 1 s of CPU. The benchmark runner (`bench/run.ts`) calls
 * {@link benchIntentionAudit}; `npx tsx bench/intention-audit.ts` runs it alone.
 */
import { auditIntentions, type IntentionAuditInput } from '../functions/core/intentions/audit';
import { parseIntentionBaseline } from '../functions/core/intentions/baseline';
import type { LiveIntention } from '../functions/core/intentions/model';

/** What one benchmark run measured. */
export interface IntentionAuditBenchResult {
  /** Live intentions audited. */
  readonly intentions: number;
  /** User + system CPU time of the audit alone (input generation excluded), in milliseconds. */
  readonly cpuMs: number;
  readonly findings: number;
}

/** Builds the synthetic mesh: `count` live intentions and a baseline of the same size with ~2% drift. */
export function buildIntentionAuditInput(count = 10_000): IntentionAuditInput {
  const intentions: LiveIntention[] = [];
  const baseline: Record<string, unknown>[] = [];
  const wildcardDestinations = 100;
  const wildcardSources = 20;
  for (let d = 0; d < wildcardDestinations; d++) {
    intentions.push({ source: '*', destination: `svc-${d}`, action: 'deny', origin: 'config-entry' });
    baseline.push({ source: '*', destination: `svc-${d}`, action: 'deny' });
  }
  for (let s = 0; s < wildcardSources; s++) {
    intentions.push({ source: `client-${s}`, destination: '*', action: 'allow', origin: 'config-entry' });
    baseline.push({ source: `client-${s}`, destination: '*' });
  }
  for (let i = 0; intentions.length < count; i++) {
    const source = `svc-${i % 997}`;
    const destination = `svc-${(i * 7919) % 4999}-${Math.floor(i / 4999)}`;
    if (i % 10 === 0) {
      intentions.push({ source, destination, origin: 'config-entry', permissions: [{ Action: 'allow', HTTP: { PathPrefix: '/v1/', Methods: ['POST', 'GET'], Header: [{ Name: 'X-B', Present: true }, { Name: 'x-a', Exact: '1' }] } }] });
      baseline.push({ source, destination, permissions: [{ action: 'allow', http: { pathPrefix: '/v1/', methods: ['get', 'post'], header: [{ name: 'x-a', exact: '1' }, { name: 'x-b', present: true }] } }] });
    } else {
      intentions.push({ source, destination, action: 'allow', origin: 'config-entry' });
      // ~2% drift: changed, missing and unexpected rules.
      if (i % 50 === 1) baseline.push({ source, destination, action: 'deny' });
      else if (i % 50 !== 2) baseline.push({ source, destination });
      if (i % 50 === 3) baseline.push({ source: `${source}-gone`, destination });
    }
  }
  return {
    agent: { aclsEnabled: true, aclDefaultPolicy: 'deny', defaultIntentionPolicy: 'deny' },
    intentions,
    mutualTls: [{ kind: 'proxy-defaults', name: 'global', mode: 'strict' }],
    baseline: parseIntentionBaseline({ defaultPolicy: 'deny', intentions: baseline }),
  };
}

/**
 * Audits 10,000 intentions once (after one warm-up run) and reports the CPU time of the measured run.
 *
 * @example
 * const { intentions, cpuMs } = await benchIntentionAudit(); // e.g. { intentions: 10000, cpuMs: 180 }
 */
export async function benchIntentionAudit(count = 10_000): Promise<IntentionAuditBenchResult & { readonly intentions: number; readonly cpuMs: number }> {
  const input = buildIntentionAuditInput(count);
  auditIntentions(input); // warm-up: JIT, not what an hourly cold run sees, but what repeats measure
  const before = process.cpuUsage();
  const result = auditIntentions(input);
  const used = process.cpuUsage(before);
  return { intentions: input.intentions.length, cpuMs: Math.round((used.user + used.system) / 100) / 10, findings: result.findings.length };
}

if (require.main === module) {
  void benchIntentionAudit().then((r) => console.log(JSON.stringify(r)));
}
