/**
 * `restore-kv` of 10,000 keys: the simulator (bundled, in its own process) holds 10,000 keys under `bench/` (values
 * 20–400 bytes, some flags), a backup of it is taken into an in-memory store, the whole prefix is deleted, then
 * {@link runRestoreKv} brings it back: verify pass, live read, plan, 157 check-and-set transactions. Reports wall time,
 * the CPU of consul-ops (this process) and of the simulator, and the keys per second. `npx tsx bench/restore-kv.ts`
 * runs it alone; `npm run bench` runs it as a component.
 */
import { buildSync } from 'esbuild';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsulApi } from '../functions/adapters/consul/api';
import { ConsulHttpClient } from '../functions/adapters/consul/client';
import { ConsulKvTarget } from '../functions/adapters/consul/kv-target';
import { consulSettingsFromEnv } from '../functions/adapters/consul/settings';
import { ConsulSnapshotSource } from '../functions/adapters/consul/snapshot-source';
import { runBackup } from '../functions/core/backup/workflow';
import { runRestoreKv } from '../functions/core/restore/kv-workflow';
import { InMemoryBackupStore } from '../test/helpers/in-memory-backups';
import { CDK_ESBUILD_OPTIONS, ROOT } from './build';
import { SIMULATOR_TAG } from './jobs';
import { cpuSecondsOf, spawnNode, waitForExit, waitForTaggedLine } from './processes';

/** What one run measured. */
export interface RestoreKvBenchResult {
  readonly keys: number;
  readonly restored: number;
  readonly transactions: number;
  readonly wallMs: number;
  /** CPU of consul-ops (this process) during the restore. */
  readonly cpuMs: number;
  /** CPU of the simulator during the restore. */
  readonly simulatorCpuMs: number;
  readonly keysPerSecond: number;
}

/** Runs the restore of `keys` keys once and stops the simulator. */
export async function benchRestoreKv(keys = 10_000): Promise<RestoreKvBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'restore-kv-bench-'));
  const program = join(dir, 'simulator.js');
  buildSync({ ...CDK_ESBUILD_OPTIONS, minify: false, target: `node${process.versions.node.split('.')[0]}`, entryPoints: [join(ROOT, 'bench', 'simulator-process.ts')], outfile: program, absWorkingDir: ROOT });
  const child = spawnNode(program, ['{}']);
  const http: { close: () => Promise<void> } = { close: async () => undefined };
  try {
    const { url, token } = await waitForTaggedLine<{ url: string; token: string }>(child, SIMULATOR_TAG, 'simulator');
    const settings = consulSettingsFromEnv({ CONSUL_HTTP_ADDR: url, CONSUL_HTTP_TOKEN: token }, (path) => readFileSync(path, 'utf8'));
    const client = new ConsulHttpClient({ settings, token: settings.token });
    http.close = () => client.close();
    const api = new ConsulApi(client);
    const target = new ConsulKvTarget(api);
    await seed(target, keys);
    const store = new InMemoryBackupStore();
    await runBackup({ consul: new ConsulSnapshotSource(api), store, now: () => new Date() }, { cluster: 'bench', prefix: 'snapshots', kind: 'manual' });
    await client.delete('/v1/kv/bench/', { query: { recurse: true } });

    const simBefore = cpuSecondsOf(child.pid ?? 0);
    const cpu = process.cpuUsage();
    const started = process.hrtime.bigint();
    const result = await runRestoreKv(
      { consul: target, store, now: () => new Date() },
      { cluster: 'bench', prefix: 'snapshots', selector: { latest: true }, kvPrefix: 'bench/', dryRun: false, confirm: 'bench' },
    );
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    const used = process.cpuUsage(cpu);
    const restored = (await target.listKv('bench/')).length;
    return {
      keys,
      restored,
      transactions: result.outcome?.transactions ?? 0,
      wallMs,
      cpuMs: (used.user + used.system) / 1000,
      simulatorCpuMs: (cpuSecondsOf(child.pid ?? 0) - simBefore) * 1000,
      keysPerSecond: keys / (wallMs / 1000),
    };
  } finally {
    await http.close();
    child.kill('SIGTERM');
    await waitForExit(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `keys` keys under `bench/`, 64 per transaction (create-only). */
async function seed(target: ConsulKvTarget, keys: number): Promise<void> {
  let s = 7;
  const ops = Array.from({ length: keys }, (_, i) => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const value = Buffer.from(`{"service":"svc-${i % 97}","replicas":${i % 9},"note":"${'x'.repeat(20 + (s % 380))}"}`);
    return { verb: 'cas' as const, key: `bench/svc-${i % 97}/key-${String(i).padStart(5, '0')}`, value, flags: BigInt(i % 5), index: 0 };
  });
  for (let i = 0; i < ops.length; i += 64) {
    const outcome = await target.applyKvTxn(ops.slice(i, i + 64));
    if (!outcome.applied) throw new Error(`seeding failed: ${outcome.errors[0]?.what}`);
  }
}

if (require.main === module) {
  benchRestoreKv().then(
    (r) => console.log(`restore-kv of ${r.keys} keys: ${(r.wallMs / 1000).toFixed(2)} s wall, ${r.cpuMs.toFixed(0)} ms CPU (simulator ${r.simulatorCpuMs.toFixed(0)} ms), ${r.transactions} transactions, ${r.keysPerSecond.toFixed(0)} keys/s, ${r.restored} restored`),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
