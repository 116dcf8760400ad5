/**
 * Bundle size and module-load time of each Lambda handler: bundled with the CDK's esbuild options, then `require`d
 * in a fresh `node` process per run, timed with `process.hrtime` around the `require` only.
 */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { bundleHandler, discoverHandlers, repoPath } from './build';
import { median } from './stats';

/** One handler's figures. */
export interface BundleResult {
  readonly handler: string;
  readonly entry: string;
  readonly deployed: boolean;
  readonly bytes: number;
  /** Wall time of the `require`, per fresh process. */
  readonly loadMs: readonly number[];
  readonly loadMsMedian: number;
  /** CPU time of the same `require` (user + system): less disturbed by other work on the machine than wall time. */
  readonly loadCpuMsMedian: number;
}

/**
 * Harmless Lambda-like environment: enough for module scope not to throw (handlers read their variables lazily,
 * Powertools reads its own at construction). Nothing here is reachable; no request is made during `require`.
 */
const LAMBDA_ENV: Readonly<Record<string, string>> = {
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_LAMBDA_FUNCTION_NAME: 'consul-ops-bench',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
  AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
  LAMBDA_TASK_ROOT: '/var/task',
  TZ: ':UTC',
  CLUSTER_NAME: 'bench',
  BUCKET_NAME: 'consul-ops-bench',
  CONSUL_ADDRESSES: 'https://127.0.0.1:8501',
  CONSUL_TOKEN_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:bench',
  REPORT_TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:bench',
  SLACK_WEBHOOK_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:slack',
};

/** Runs in the fresh process: time the require, check that a handler function came out. */
const LOAD_SCRIPT = `
const c0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
const mod = require(process.argv[1]);
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
const c = process.cpuUsage(c0);
if (typeof mod.handler !== 'function') { console.error('no handler export'); process.exit(3); }
process.stdout.write(JSON.stringify({ ms, cpuMs: (c.user + c.system) / 1000 }));
`;

/** Bundles every handler into `outDir` and measures it `runs` times. */
export async function measureBundles(outDir: string, runs: number, log: (line: string) => void): Promise<BundleResult[]> {
  const results: BundleResult[] = [];
  for (const entry of discoverHandlers()) {
    const file = await bundleHandler(entry, outDir);
    const loads = Array.from({ length: runs }, () => loadOnce(file));
    const loadMs = loads.map((l) => l.ms);
    const result: BundleResult = {
      handler: entry.name,
      entry: repoPath(entry.file),
      deployed: entry.deployed,
      bytes: statSync(file).size,
      loadMs,
      loadMsMedian: median(loadMs),
      loadCpuMsMedian: median(loads.map((l) => l.cpuMs)),
    };
    log(`bundle ${entry.name}: ${result.bytes} bytes, load ${loadMs.map((m) => m.toFixed(0)).join('/')} ms`);
    results.push(result);
  }
  return results;
}

function loadOnce(file: string): { ms: number; cpuMs: number } {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...LAMBDA_ENV };
  const out = spawnSync(process.execPath, ['-e', LOAD_SCRIPT, file], { env, encoding: 'utf8', timeout: 60_000 });
  if (out.status !== 0) throw new Error(`loading ${file} failed (exit ${out.status}): ${out.stderr.trim()}`);
  return JSON.parse(out.stdout) as { ms: number; cpuMs: number };
}
