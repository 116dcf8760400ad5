/** Facts about the machine and the software under test, recorded with every benchmark run. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './build';

/** What a result depends on besides the code. */
export interface MachineFacts {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly totalMemGiB: number;
  readonly node: string;
  readonly kernel: string;
  /** 1, 5 and 15 minute load averages when the run started (other work on the machine adds noise). */
  readonly loadAvg: readonly number[];
  readonly radosgw: string;
  readonly packages: Readonly<Record<string, string>>;
}

const PACKAGES = ['@aws-sdk/client-s3', '@aws-sdk/lib-storage', 'undici', 'esbuild'];

/** Reads the facts now. */
export function machineFacts(): MachineFacts {
  const cpu = cpus();
  return {
    cpus: cpu.length,
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    totalMemGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    kernel: release(),
    loadAvg: loadavg().map((l) => Math.round(l * 100) / 100),
    radosgw: spawnSync('radosgw', ['--version'], { encoding: 'utf8' }).stdout?.split('\n')[0]?.trim() || 'not installed',
    packages: Object.fromEntries(PACKAGES.map((p) => [p, packageVersion(p)])),
  };
}

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'missing';
  }
}
