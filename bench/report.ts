/**
 * Turns the raw runs into the summary rows, the targets and the tables printed on stdout and written to
 * `bench/results/latest.{json,md}`.
 */
import { availableParallelism } from 'node:os';
import type { ArchiveKind } from './archives';
import type { StartupResult } from './cli-startup';
import type { BundleResult } from './cold-init';
import type { JobResult } from './jobs';
import { fixed, markdownTable, mb, median, spread, formatTable, type Spread } from './stats';

/** One measured run (a Node worker or a peer tool) with the CPU the other processes spent during it. */
/**
 * One measured run as the report keeps it: what the worker (or a peer tool, for which `sampledPeakRssBytes` is NaN and
 * the CPU is its whole command tree, curl included) measured, where it ran, and what the rest of the machine spent.
 */
export interface RunRecord extends Omit<JobResult, 'mode' | 'phases'> {
  readonly operation: 'backup' | 'restore';
  /** Which archive was served: realistic (gzip level 6, compressible) or incompressible. */
  readonly source: ArchiveKind;
  /** baseline, consul-ops, consul-ops-inline, consul-ops-no-decode, aws-cli, restic, or a `-1cpu` variant pinned to one core with taskset. */
  readonly config: string;
  readonly stateMiB: number;
  readonly run: number;
  /** CPU seconds used during the run by the replay source and by the Ceph daemons (mon + osd + rgw). */
  readonly sourceCpuS: number;
  readonly radosgwCpuS: number;
  /** 1-minute load average when the run started: other work on the machine competes for the same cores. */
  readonly loadAvg1: number;
}

/** The runs of one (operation, archive, size, config), summarised. */
export interface ConfigSummary {
  readonly operation: 'backup' | 'restore';
  readonly source: ArchiveKind;
  readonly config: string;
  readonly stateMiB: number;
  readonly runs: number;
  readonly archiveMB: number;
  readonly mbPerS: Spread;
  /** This config's MB/s over its baseline's in the same round, per round (pairwise, same run). */
  readonly pairRatio?: Spread;
  /** Kernel maxRSS per run (MB). */
  readonly maxRssMB: Spread;
  readonly sampledPeakRssMB: Spread;
  readonly workerCpuS: number;
  readonly sourceCpuS: number;
  readonly radosgwCpuS: number;
  /** CPU seconds of the measured process per GB (10^9 bytes) of archive: the path's cost, stable under load. */
  readonly workerCpuSPerGB: Spread;
  /** The same plus the source's and Ceph's CPU: what the whole machine spent per GB. */
  readonly totalCpuSPerGB: number;
  readonly loadAvg1: number;
}

/** A smaller benchmark contributed by another module (`bench/cert-check.ts`, `bench/intention-audit.ts`). */
export interface ComponentResult {
  readonly name: string;
  /** One-line summary, or the error when the benchmark failed. */
  readonly measured: string;
  readonly detail?: Readonly<Record<string, unknown>>;
  /** The module's own target, when it states one. */
  readonly target?: { readonly text: string; readonly pass: boolean };
  readonly error?: string;
}

/** One target and whether the latest run met it. */
export interface TargetResult {
  readonly target: string;
  readonly measured: string;
  readonly pass: boolean;
}

/** Thresholds from the brief (issue 16). */
export const TARGETS = {
  backupRatio: { realistic: 0.6, incompressible: 0.85 } as Record<ArchiveKind, number>,
  restoreRatio: 0.8,
  backupPeakRssMB: 200,
  decodeExtraCpu: 0.1,
  cliStartupMs: 300,
  bundleBytes: 1_000_000,
  loadMs: 300,
} as const;

/** The config a ratio is taken against: the baseline pinned the same way. */
export function baselineOf(config: string): string {
  return config.endsWith('-1cpu') ? 'baseline-1cpu' : 'baseline';
}

/** Groups runs by (operation, archive, size, config) and summarises each group. */
export function summarise(runs: readonly RunRecord[]): ConfigSummary[] {
  const groups = new Map<string, RunRecord[]>();
  for (const r of runs) {
    const id = `${r.operation}|${r.source}|${r.stateMiB}|${r.config}`;
    groups.set(id, [...(groups.get(id) ?? []), r]);
  }
  return [...groups.values()].map((g) => {
    const { operation, source, stateMiB, config } = g[0];
    const rate = (r: RunRecord) => mb(r.archiveBytes) / (r.wallMs / 1000);
    const baseline = config === baselineOf(config) ? [] : runs.filter((r) => r.operation === operation && r.source === source && r.stateMiB === stateMiB && r.config === baselineOf(config));
    const pairs = g.flatMap((r) => {
      const base = baseline.find((b) => b.run === r.run);
      return base ? [rate(r) / rate(base)] : [];
    });
    const cpuS = (r: RunRecord) => (r.cpuUserMs + r.cpuSystemMs) / 1000;
    return {
      operation,
      source,
      config,
      stateMiB,
      runs: g.length,
      archiveMB: mb(median(g.map((r) => r.archiveBytes))),
      mbPerS: spread(g.map(rate)),
      ...(pairs.length ? { pairRatio: spread(pairs) } : {}),
      maxRssMB: spread(g.map((r) => mb(r.maxRssBytes))),
      sampledPeakRssMB: spread(g.map((r) => mb(r.sampledPeakRssBytes))),
      workerCpuS: median(g.map(cpuS)),
      sourceCpuS: median(g.map((r) => r.sourceCpuS)),
      radosgwCpuS: median(g.map((r) => r.radosgwCpuS)),
      workerCpuSPerGB: spread(g.map((r) => cpuS(r) / (r.archiveBytes / 1e9))),
      totalCpuSPerGB: median(g.map((r) => (cpuS(r) + r.sourceCpuS + r.radosgwCpuS) / (r.archiveBytes / 1e9))),
      loadAvg1: median(g.map((r) => r.loadAvg1)),
    };
  });
}

/**
 * The best ratio the machine's CPU allows a config: its run's CPU (the measured process, the source and Ceph,
 * medians) spread over every core with none idle gives the shortest possible wall time, compared with the baseline's
 * measured MB/s. A ratio near its ceiling is CPU-bound: only less CPU per byte moves it, not more overlap.
 */
export function cpuCeilingRatio(s: ConfigSummary, baseline: ConfigSummary | undefined, cores: number): number | undefined {
  if (!baseline || cores < 1) return undefined;
  const bestWallS = (s.workerCpuS + s.sourceCpuS + s.radosgwCpuS) / cores;
  return bestWallS > 0 ? s.archiveMB / bestWallS / baseline.mbPerS.median : undefined;
}

/** Checks every target: ratios on the median of same-round pairs; peak RSS on the worst run; times on medians. */
export function evaluateTargets(
  summaries: readonly ConfigSummary[],
  bundles: readonly BundleResult[],
  components: readonly ComponentResult[] = [],
  startup: readonly StartupResult[] = [],
  cores = availableParallelism(),
): TargetResult[] {
  const out: TargetResult[] = [];
  const baselineFor = (s: ConfigSummary) => summaries.find((b) => b.operation === s.operation && b.source === s.source && b.stateMiB === s.stateMiB && b.config === baselineOf(s.config));
  const ceilingText = (s: ConfigSummary) => {
    const ceiling = cpuCeilingRatio(s, baselineFor(s), cores);
    return ceiling === undefined ? '' : `; CPU ceiling on ${cores} cores ${fixed(ceiling, 2)}x`;
  };
  for (const c of components) {
    if (c.target) out.push({ target: `${c.name}: ${c.target.text}`, measured: c.measured, pass: c.target.pass });
    else if (c.error) out.push({ target: `${c.name}: runs`, measured: c.error, pass: false });
  }
  const pairText = (s: ConfigSummary) => (s.pairRatio ? `${fixed(s.pairRatio.median, 2)}x (pairs ${fixed(s.pairRatio.min, 2)}-${fixed(s.pairRatio.max, 2)})` : '-');
  for (const s of summaries.filter((x) => x.operation === 'backup' && x.config === 'consul-ops')) {
    const min = TARGETS.backupRatio[s.source];
    out.push({ target: `backup ${s.source} ${s.stateMiB} MiB: consul-ops/plain pipe >= ${min}x`, measured: pairText(s) + ceilingText(s), pass: (s.pairRatio?.median ?? 0) >= min });
  }
  for (const s of summaries.filter((x) => x.operation === 'backup' && x.config.startsWith('consul-ops'))) {
    out.push({ target: `backup ${s.source} ${s.stateMiB} MiB ${s.config}: peak RSS < ${TARGETS.backupPeakRssMB} MB`, measured: `${fixed(s.maxRssMB.max, 0)} MB (worst run)`, pass: s.maxRssMB.max < TARGETS.backupPeakRssMB });
  }
  for (const s of summaries.filter((x) => x.operation === 'restore' && x.config === 'consul-ops')) {
    out.push({ target: `restore ${s.source} ${s.stateMiB} MiB: consul-ops/plain GET→PUT >= ${TARGETS.restoreRatio}x`, measured: pairText(s) + ceilingText(s), pass: (s.pairRatio?.median ?? 0) >= TARGETS.restoreRatio });
  }
  for (const bare of summaries.filter((x) => x.config === 'consul-ops-no-decode')) {
    const decoding = summaries.find((x) => x.operation === bare.operation && x.source === bare.source && x.stateMiB === bare.stateMiB && x.config === 'consul-ops');
    if (!decoding) continue;
    const extra = decoding.workerCpuSPerGB.median / bare.workerCpuSPerGB.median - 1;
    out.push({ target: `state.bin decode in the backup, ${bare.source}: extra worker CPU <= ${TARGETS.decodeExtraCpu * 100} %`, measured: `${fixed(extra * 100, 1)} %`, pass: extra <= TARGETS.decodeExtraCpu });
  }
  for (const st of startup.filter((x) => x.command.startsWith('node '))) {
    out.push({ target: `CLI start-up \`${st.command}\` <= ${TARGETS.cliStartupMs} ms`, measured: `${fixed(st.wallMsMedian, 0)} ms wall, ${fixed(st.cpuMsMedian, 0)} ms CPU (median)`, pass: st.wallMsMedian <= TARGETS.cliStartupMs });
  }
  for (const b of bundles) {
    out.push({ target: `${b.handler}: bundle < ${TARGETS.bundleBytes / 1e6} MB`, measured: `${b.bytes} bytes`, pass: b.bytes < TARGETS.bundleBytes });
    out.push({ target: `${b.handler}: module load < ${TARGETS.loadMs} ms`, measured: `${fixed(b.loadMsMedian, 0)} ms (median of ${b.loadMs.length})`, pass: b.loadMsMedian < TARGETS.loadMs });
  }
  return out;
}

/** Rows of the throughput/memory table (header first). */
export function transferRows(summaries: readonly ConfigSummary[]): string[][] {
  const rows = [['operation', 'archive', 'state.bin', 'config', 'runs', 'archive MB', 'MB/s median (min-max)', 'ratio: pairs median (min-max)', 'peak RSS MB median, max', 'CPU s worker/source/rgw', 'worker CPU-s/GB median (min-max)', 'all CPU-s/GB', 'load']];
  for (const s of summaries) {
    const ratio = s.pairRatio ? `${fixed(s.pairRatio.median, 2)}x (${fixed(s.pairRatio.min, 2)}-${fixed(s.pairRatio.max, 2)})` : '1.00x';
    rows.push([
      s.operation,
      s.source,
      `${s.stateMiB} MiB`,
      s.config,
      String(s.runs),
      fixed(s.archiveMB, 0),
      `${fixed(s.mbPerS.median)} (${fixed(s.mbPerS.min)}-${fixed(s.mbPerS.max)})`,
      ratio,
      `${fixed(s.maxRssMB.median, 0)}, max ${fixed(s.maxRssMB.max, 0)}`,
      `${fixed(s.workerCpuS)}/${fixed(s.sourceCpuS)}/${fixed(s.radosgwCpuS)}`,
      `${fixed(s.workerCpuSPerGB.median)} (${fixed(s.workerCpuSPerGB.min)}-${fixed(s.workerCpuSPerGB.max)})`,
      fixed(s.totalCpuSPerGB),
      fixed(s.loadAvg1, 1),
    ]);
  }
  return rows;
}

/** Rows of the CLI start-up table (header first). */
export function startupRows(startup: readonly StartupResult[]): string[][] {
  return [['command', 'wall ms median', 'wall ms all runs', 'CPU ms median'], ...startup.map((s) => [s.command, fixed(s.wallMsMedian, 0), s.wallMs.map((m) => fixed(m, 0)).join(' '), fixed(s.cpuMsMedian, 0)])];
}

/** Rows of the bundle table (header first). */
export function bundleRows(bundles: readonly BundleResult[]): string[][] {
  return [
    ['handler', 'in CDK', 'bundle bytes', 'load ms median', 'load ms all runs', 'load CPU ms median'],
    ...bundles.map((b) => [b.handler, b.deployed ? 'yes' : 'no', String(b.bytes), fixed(b.loadMsMedian, 0), b.loadMs.map((m) => fixed(m, 0)).join(' '), fixed(b.loadCpuMsMedian, 0)]),
  ];
}

/** Rows of the component table (header first). */
export function componentRows(components: readonly ComponentResult[]): string[][] {
  return [['benchmark', 'measured'], ...components.map((c) => [c.name, c.measured])];
}

/** Rows of the target table (header first). */
export function targetRows(targets: readonly TargetResult[]): string[][] {
  return [['target', 'measured', 'result'], ...targets.map((t) => [t.target, t.measured, t.pass ? 'PASS' : 'FAIL'])];
}

/** The plain-text report for stdout. */
export function textReport(summaries: readonly ConfigSummary[], bundles: readonly BundleResult[], components: readonly ComponentResult[], targets: readonly TargetResult[], startup: readonly StartupResult[] = [], notes: readonly string[] = []): string {
  const parts: string[] = [];
  if (summaries.length) parts.push(formatTable(transferRows(summaries)));
  if (notes.length) parts.push(notes.map((n) => `NOTE: ${n}`).join('\n'));
  if (startup.length) parts.push(formatTable(startupRows(startup)));
  if (bundles.length) parts.push(formatTable(bundleRows(bundles)));
  if (components.length) parts.push(formatTable(componentRows(components)));
  if (targets.length) parts.push(formatTable(targetRows(targets)));
  return parts.join('\n\n');
}

/** The same report as Markdown tables. */
export function markdownReport(summaries: readonly ConfigSummary[], bundles: readonly BundleResult[], components: readonly ComponentResult[], targets: readonly TargetResult[], startup: readonly StartupResult[] = [], notes: readonly string[] = []): string {
  const parts: string[] = [];
  if (summaries.length) parts.push(markdownTable(transferRows(summaries)));
  if (notes.length) parts.push(notes.map((n) => `- **Note:** ${n}`).join('\n'));
  if (startup.length) parts.push(markdownTable(startupRows(startup)));
  if (bundles.length) parts.push(markdownTable(bundleRows(bundles)));
  if (components.length) parts.push(markdownTable(componentRows(components)));
  if (targets.length) parts.push(markdownTable(targetRows(targets)));
  return parts.join('\n\n');
}
