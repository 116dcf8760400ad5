/**
 * The smaller benchmarks other modules contribute, run by `bench/run.ts` in the driver process: the certificate
 * check at mesh scale (`bench/cert-check.ts`) and the intention audit (`bench/intention-audit.ts`). A failure of one
 * is reported as a failed row, never stops the rest of the benchmark.
 */
import { benchCertificateCheck } from './cert-check';
import { benchIntentionAudit } from './intention-audit';
import type { ComponentResult } from './report';

/** CPU budget of one intention audit of 10,000 intentions (stated in `bench/intention-audit.ts`). */
const INTENTION_AUDIT_CPU_MS = 1000;

/** Runs each contributed benchmark once. */
export async function runComponentBenchmarks(log: (line: string) => void): Promise<ComponentResult[]> {
  const results: ComponentResult[] = [];
  results.push(
    await guard('intention-audit', async () => {
      const r = await benchIntentionAudit();
      return {
        name: 'intention-audit',
        measured: `${r.intentions} intentions, ${r.cpuMs} ms CPU, ${r.findings} findings`,
        detail: { ...r },
        target: { text: `audit of ${r.intentions} intentions < ${INTENTION_AUDIT_CPU_MS} ms CPU`, pass: r.cpuMs < INTENTION_AUDIT_CPU_MS },
      };
    }),
  );
  results.push(
    await guard('cert-check', async () => {
      const r = await benchCertificateCheck();
      return { name: 'cert-check', measured: `${r.proxies} proxies in ${r.wallMs} ms, ${r.problems} problems`, detail: { ...r } };
    }),
  );
  for (const r of results) log(`${r.name}: ${r.measured}`);
  return results;
}

async function guard(name: string, run: () => Promise<ComponentResult>): Promise<ComponentResult> {
  try {
    return await run();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { name, measured: `error: ${message.split('\n')[0]}`, error: message };
  }
}
