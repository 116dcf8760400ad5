/**
 * Start-up time of the `consul-ops` CLI as users run it: `node bin/consul-ops.js --help`, each command's `--help`
 * (which loads everything the command imports), and `npx --no-install consul-ops --help` (npm's own start-up
 * included). Wall time per fresh process, median of `runs`, plus the CPU time of the same runs from GNU time.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './build';
import { median } from './stats';

/** One start-up measurement. */
export interface StartupResult {
  readonly command: string;
  readonly wallMs: readonly number[];
  readonly wallMsMedian: number;
  /** user + system CPU (GNU time), median; NaN without /usr/bin/time. */
  readonly cpuMsMedian: number;
}

const COMMANDS = ['backup', 'list', 'prune', 'restore', 'audit-intentions', 'rotate-token', 'check-certs'];

/** Measures every start-up; throws when the bundle is missing (run `npm ci` or `npm run build:cli`). */
export function measureCliStartup(runs: number, log: (line: string) => void): StartupResult[] {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/cli/main.js is missing: run npm run build:cli (npm ci builds it)');
  const bin = join(ROOT, 'bin', 'consul-ops.js');
  const cases: { command: string; argv: string[] }[] = [
    // The floor: Node's own start-up on this machine at this moment (a busy machine slows it down as much).
    { command: 'reference: node -e 0', argv: [process.execPath, '-e', '0'] },
    { command: 'node bin/consul-ops.js --help', argv: [process.execPath, bin, '--help'] },
    ...COMMANDS.map((c) => ({ command: `node bin/consul-ops.js ${c} --help`, argv: [process.execPath, bin, c, '--help'] })),
    // npm's own floor: `npx` running a no-op shell command (what `npx consul-ops` costs before consul-ops starts).
    { command: 'reference: npx --no-install -c true', argv: ['npx', '--no-install', '-c', 'true'] },
    { command: 'npx --no-install consul-ops --help', argv: ['npx', '--no-install', 'consul-ops', '--help'] },
  ];
  const dir = mkdtempSync(join(tmpdir(), 'consul-ops-startup-'));
  try {
    return cases.map(({ command, argv }) => {
      const wallMs: number[] = [];
      const cpuMs: number[] = [];
      for (let i = 0; i < runs; i++) {
        const timeFile = join(dir, 'time.txt');
        const useTime = existsSync('/usr/bin/time');
        const started = process.hrtime.bigint();
        const run = useTime
          ? spawnSync('/usr/bin/time', ['-f', '%U %S', '-o', timeFile, ...argv], { cwd: ROOT, encoding: 'utf8' })
          : spawnSync(argv[0], argv.slice(1), { cwd: ROOT, encoding: 'utf8' });
        wallMs.push(Number(process.hrtime.bigint() - started) / 1e6);
        if (run.status !== 0) throw new Error(`${command} failed (exit ${run.status}): ${run.stderr.trim()}`);
        if (useTime) {
          const [user, sys] = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number);
          cpuMs.push((user + sys) * 1000);
        }
      }
      const result = { command, wallMs, wallMsMedian: median(wallMs), cpuMsMedian: median(cpuMs) };
      log(`start-up ${command}: ${wallMs.map((m) => m.toFixed(0)).join('/')} ms`);
      return result;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
