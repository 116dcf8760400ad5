/**
 * Turns the raw runs into the summary rows, the targets and the tables printed on stdout and written to
 * `bench/results/latest.{json,md}`.
 */
import type { BundleResult } from './cold-init';
import type { JobResult } from './jobs';
import { fixed, markdownTable, mb, median, spread, formatTable, type Spread } from './stats';

/** One measured run with the CPU the other processes spent during it. */
export interface RunRecord extends JobResult {
  readonly operation: 'backup' | 'restore';
  /** Who served `GET /v1/snapshot`: the simulator (archive built on the fly) or a recorded archive from a file. */
  readonly source: 'simulator' | 'replay';
  readonly config: 'baseline' | 'consul-ops';
  readonly stateMiB: number;
  readonly run: number;
  /** CPU seconds used during the run by the source process (simulator or replay) and by the Ceph daemons (mon + osd + rgw). */
  readonly sourceCpuS: number;
  readonly radosgwCpuS: number;
  /** 1-minute load average when the run started: other work on the machine competes for the same cores. */
  readonly loadAvg1: number;
}

/** The runs of one (operation, size, config), summarised. */
export interface ConfigSummary {
  readonly operation: 'backup' | 'restore';
  readonly source: 'simulator' | 'replay';
  readonly config: 'baseline' | 'consul-ops';
  readonly stateMiB: number;
  readonly runs: number;
  readonly archiveMB: number;
  readonly mbPerS: Spread;
  /** Kernel maxRSS per run (MB). */
  readonly maxRssMB: Spread;
  readonly sampledPeakRssMB: Spread;
  readonly workerCpuS: number;
  readonly sourceCpuS: number;
  readonly radosgwCpuS: number;
  /** Worker CPU milliseconds per archive MB: the cost of the path, much less sensitive to machine load than MB/s. */
  readonly workerCpuMsPerMB: number;
  readonly loadAvg1: number;
  /** Median phase durations (restore). */
  readonly phasesMs?: Readonly<Record<string, number>>;
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

/** Thresholds from the brief. */
export const TARGETS = {
  backupThroughputRatio: 0.8,
  backupPeakRssMB: 200,
  bundleBytes: 1_000_000,
  loadMs: 300,
} as const;

/** Groups runs by (operation, size, config) and summarises each group. */
export function summarise(runs: readonly RunRecord[]): ConfigSummary[] {
  const groups = new Map<string, RunRecord[]>();
  for (const r of runs) {
    const id = `${r.operation}|${r.source}|${r.stateMiB}|${r.config}`;
    groups.set(id, [...(groups.get(id) ?? []), r]);
  }
  return [...groups.values()].map((g) => {
    const phaseNames = [...new Set(g.flatMap((r) => Object.keys(r.phases ?? {})))];
    return {
      operation: g[0].operation,
      source: g[0].source,
      config: g[0].config,
      stateMiB: g[0].stateMiB,
      runs: g.length,
      archiveMB: mb(median(g.map((r) => r.archiveBytes))),
      mbPerS: spread(g.map((r) => mb(r.archiveBytes) / (r.wallMs / 1000))),
      maxRssMB: spread(g.map((r) => mb(r.maxRssBytes))),
      sampledPeakRssMB: spread(g.map((r) => mb(r.sampledPeakRssBytes))),
      workerCpuS: median(g.map((r) => (r.cpuUserMs + r.cpuSystemMs) / 1000)),
      sourceCpuS: median(g.map((r) => r.sourceCpuS)),
      radosgwCpuS: median(g.map((r) => r.radosgwCpuS)),
      workerCpuMsPerMB: median(g.map((r) => (r.cpuUserMs + r.cpuSystemMs) / mb(r.archiveBytes))),
      loadAvg1: median(g.map((r) => r.loadAvg1)),
      ...(phaseNames.length ? { phasesMs: Object.fromEntries(phaseNames.map((p) => [p, median(g.map((r) => r.phases?.[p] ?? Number.NaN))])) } : {}),
    };
  });
}

/** consul-ops median MB/s over baseline median MB/s for the group `of` belongs to. */
export function throughputRatio(summaries: readonly ConfigSummary[], of: Pick<ConfigSummary, 'operation' | 'source' | 'stateMiB'>): number {
  const find = (config: string) => summaries.find((s) => s.operation === of.operation && s.source === of.source && s.stateMiB === of.stateMiB && s.config === config);
  const base = find('baseline');
  const ops = find('consul-ops');
  return base && ops ? ops.mbPerS.median / base.mbPerS.median : Number.NaN;
}

/**
 * Checks every target: ratios on medians; peak RSS on the worst run (it is a cap); load time on the median. The
 * backup targets apply to the simulator runs (the brief's setup); replay runs are reported, not judged.
 */
export function evaluateTargets(summaries: readonly ConfigSummary[], bundles: readonly BundleResult[], components: readonly ComponentResult[] = []): TargetResult[] {
  const out: TargetResult[] = [];
  for (const c of components) {
    if (c.target) out.push({ target: `${c.name}: ${c.target.text}`, measured: c.measured, pass: c.target.pass });
    else if (c.error) out.push({ target: `${c.name}: runs`, measured: c.error, pass: false });
  }
  for (const s of summaries.filter((x) => x.operation === 'backup' && x.source === 'simulator' && x.config === 'consul-ops')) {
    const ratio = throughputRatio(summaries, s);
    out.push({ target: `backup ${s.stateMiB} MiB: throughput consul-ops/baseline >= ${TARGETS.backupThroughputRatio}x`, measured: `${fixed(ratio, 2)}x`, pass: ratio >= TARGETS.backupThroughputRatio });
    out.push({ target: `backup ${s.stateMiB} MiB: consul-ops peak RSS < ${TARGETS.backupPeakRssMB} MB`, measured: `${fixed(s.maxRssMB.max, 0)} MB (worst run)`, pass: s.maxRssMB.max < TARGETS.backupPeakRssMB });
  }
  for (const b of bundles) {
    out.push({ target: `${b.handler}: bundle < ${TARGETS.bundleBytes / 1e6} MB`, measured: `${b.bytes} bytes`, pass: b.bytes < TARGETS.bundleBytes });
    out.push({ target: `${b.handler}: module load < ${TARGETS.loadMs} ms`, measured: `${fixed(b.loadMsMedian, 0)} ms (median of ${b.loadMs.length})`, pass: b.loadMsMedian < TARGETS.loadMs });
  }
  return out;
}

/** Rows of the throughput/memory table (header first). */
export function transferRows(summaries: readonly ConfigSummary[]): string[][] {
  const rows = [['operation', 'source', 'state.bin', 'config', 'runs', 'archive MB', 'MB/s median (min-max)', 'ratio', 'peak RSS MB maxRSS (sampled)', 'CPU s worker/source/rgw', 'worker CPU ms/MB', 'load', 'phases s']];
  for (const s of summaries) {
    const ratio = s.config === 'consul-ops' ? `${fixed(throughputRatio(summaries, s), 2)}x` : '1.00x';
    const phases = s.phasesMs ? Object.entries(s.phasesMs).map(([k, v]) => `${k.replace(/Ms$/, '')} ${fixed(v / 1000, 1)}`).join(', ') : '';
    rows.push([
      s.operation,
      s.source,
      `${s.stateMiB} MiB`,
      s.config,
      String(s.runs),
      fixed(s.archiveMB, 0),
      `${fixed(s.mbPerS.median)} (${fixed(s.mbPerS.min)}-${fixed(s.mbPerS.max)})`,
      ratio,
      `${fixed(s.maxRssMB.median, 0)} (${fixed(s.sampledPeakRssMB.median, 0)}), max ${fixed(s.maxRssMB.max, 0)}`,
      `${fixed(s.workerCpuS)}/${fixed(s.sourceCpuS)}/${fixed(s.radosgwCpuS)}`,
      fixed(s.workerCpuMsPerMB, 0),
      fixed(s.loadAvg1, 1),
      phases,
    ]);
  }
  return rows;
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
export function textReport(summaries: readonly ConfigSummary[], bundles: readonly BundleResult[], components: readonly ComponentResult[], targets: readonly TargetResult[]): string {
  const parts: string[] = [];
  if (summaries.length) parts.push(formatTable(transferRows(summaries)));
  if (bundles.length) parts.push(formatTable(bundleRows(bundles)));
  if (components.length) parts.push(formatTable(componentRows(components)));
  if (targets.length) parts.push(formatTable(targetRows(targets)));
  return parts.join('\n\n');
}

/** The same report as Markdown tables. */
export function markdownReport(summaries: readonly ConfigSummary[], bundles: readonly BundleResult[], components: readonly ComponentResult[], targets: readonly TargetResult[]): string {
  const parts: string[] = [];
  if (summaries.length) parts.push(markdownTable(transferRows(summaries)));
  if (bundles.length) parts.push(markdownTable(bundleRows(bundles)));
  if (components.length) parts.push(markdownTable(componentRows(components)));
  if (targets.length) parts.push(markdownTable(targetRows(targets)));
  return parts.join('\n\n');
}
