/**
 * The smaller benchmarks other modules contribute, run by `bench/run.ts` in the driver process: the certificate
 * check at mesh scale (`bench/cert-check.ts`), the intention audit (`bench/intention-audit.ts`), the state.bin decoder
 * and its share of a backup's verifying pass (`bench/state-decoder.ts`) and `restore-kv` of 10,000 keys
 * (`bench/restore-kv.ts`). A failure of one is reported as a failed row, never stops the rest of the benchmark.
 */
import { benchCertificateCheck } from './cert-check';
import { benchIntentionAudit } from './intention-audit';
import type { ComponentResult } from './report';
import { benchRestoreKv } from './restore-kv';
import { benchDecodeShare, benchMixes, benchStateDecoder, MAX_DECODE_SHARE_PERCENT } from './state-decoder';

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
  results.push(
    await guard('state-decoder', async () => {
      const { rows, target } = benchStateDecoder(128);
      const hourly = rows.filter((r) => r.options === 'summary (hourly backup)');
      const measured = hourly.map((r) => `${r.mix.split(' ')[0]} ${r.mbPerSecond.toFixed(0)} MB/s ${r.cpuMsPerMb.toFixed(2)} CPU ms/MB`).join('; ');
      return { name: 'state-decoder', measured: `with summary (the backup's options): ${measured}`, detail: { rows }, target };
    }),
  );
  // The realistic data is what the backup rows store (the simulator pads with the same generator): the target. The
  // two mixes show the range; small values cost the decoder most per archive byte.
  for (const mix of [undefined, benchMixes()[0], benchMixes()[1]]) {
    results.push(
      await guard('decode-share', async () => {
        const r = await benchDecodeShare(128, 3, mix);
        return {
          name: 'decode-share',
          measured: `${r.data}: verify ${r.verifyCpuMsPerMb.toFixed(2)} → verify+decode ${r.verifyAndDecodeCpuMsPerMb.toFixed(2)} CPU ms/archive MB (${r.addedPercent >= 0 ? '+' : ''}${r.addedPercent.toFixed(1)} %)`,
          detail: { ...r },
          ...(mix ? {} : { target: { text: `decoding adds ≤ ${MAX_DECODE_SHARE_PERCENT} % CPU to the verifying pass of the backup rows' data`, pass: r.addedPercent <= MAX_DECODE_SHARE_PERCENT } }),
        };
      }),
    );
  }
  results.push(
    await guard('restore-kv', async () => {
      const r = await benchRestoreKv(10_000);
      return {
        name: 'restore-kv',
        measured: `${r.keys} keys in ${(r.wallMs / 1000).toFixed(2)} s (${r.keysPerSecond.toFixed(0)} keys/s), ${r.transactions} transactions, CPU ${r.cpuMs.toFixed(0)} ms consul-ops + ${r.simulatorCpuMs.toFixed(0)} ms simulator`,
        detail: { ...r },
        target: { text: `all ${r.keys} keys restored`, pass: r.restored === r.keys },
      };
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
