import type { CommandSpec, CommonOptions } from '../command';
import { assertClusterName } from '../../core/backup/backup-key';
import { runPruneJob } from '../../core/retention/job';
import { settleJob } from '../report-option';
import { DEFAULT_RETENTION_POLICY, type RetentionPolicy } from '../../core/retention/retention-plan';
import { holdsFromFlags, integerFlag, storeFromFlags } from '../wiring';

interface PruneOptions extends CommonOptions {
  readonly bucket: string;
  readonly prefix: string;
  readonly cluster: string;
  readonly dryRun?: boolean;
  readonly keepLast?: number;
  readonly keepHourly?: number;
  readonly keepDaily?: number;
  readonly keepWeekly?: number;
  readonly keepMonthly?: number;
  readonly keepYearly?: number;
  readonly keepMin?: number;
  readonly intervalMinutes: number;
}

/** `consul-ops prune`: apply GFS retention (restic semantics) to one cluster's backups. */
export const pruneCommand: CommandSpec<PruneOptions> = {
  name: 'prune',
  summary: 'apply GFS retention to a cluster\'s backups (--dry-run shows the plan)',
  configure: (c) =>
    c
      .requiredOption('--bucket <name>', 'the backup bucket')
      .option('--prefix <prefix>', 'key prefix of the backups', 'snapshots')
      .requiredOption('--cluster <name>', 'the cluster whose backups to prune')
      .option('--dry-run', 'print the plan and delete nothing')
      .option('--keep-last <n>', 'keep the newest n backups', integerFlag('--keep-last', true))
      .option('--keep-hourly <n>', `newest backup of each of the last n hours with one (default ${DEFAULT_RETENTION_POLICY.hourly})`, integerFlag('--keep-hourly', true))
      .option('--keep-daily <n>', `… of each of the last n days (default ${DEFAULT_RETENTION_POLICY.daily})`, integerFlag('--keep-daily', true))
      .option('--keep-weekly <n>', `… of each of the last n ISO weeks (default ${DEFAULT_RETENTION_POLICY.weekly})`, integerFlag('--keep-weekly', true))
      .option('--keep-monthly <n>', `… of each of the last n months (default ${DEFAULT_RETENTION_POLICY.monthly})`, integerFlag('--keep-monthly', true))
      .option('--keep-yearly <n>', `… of each of the last n years (default ${DEFAULT_RETENTION_POLICY.yearly})`, integerFlag('--keep-yearly', true))
      .option('--keep-min <n>', `never delete the newest n verified backups (default ${DEFAULT_RETENTION_POLICY.keepMin})`, integerFlag('--keep-min', true))
      .option('--interval-minutes <n>', 'backup schedule interval; deletes stop when the newest backup is older than twice this', integerFlag('--interval-minutes'), 60),
  async run(options, context) {
    assertClusterName(options.cluster, '--cluster');
    const policy: RetentionPolicy = {
      ...DEFAULT_RETENTION_POLICY,
      ...defined({
        keepLast: options.keepLast,
        hourly: options.keepHourly,
        daily: options.keepDaily,
        weekly: options.keepWeekly,
        monthly: options.keepMonthly,
        yearly: options.keepYearly,
        keepMin: options.keepMin,
      }),
      scheduleIntervalMs: options.intervalMinutes * 60_000,
    };
    const outcome = await runPruneJob(
      { store: storeFromFlags(options.bucket, context), holds: holdsFromFlags(options.bucket, context), now: () => new Date() },
      { cluster: options.cluster, prefix: options.prefix, policy, dryRun: options.dryRun },
    );
    const result = await settleJob(outcome, context, { bucket: options.bucket });
    const verb = result.dryRun ? 'would delete' : 'deleted';
    const text = [
      `Retention for ${options.cluster}: ${result.policy}${result.dryRun ? ' (dry run: nothing deleted)' : ''}`,
      ...(result.guard ? [`Deletes paused: ${result.guard.message}`] : []),
      `kept ${result.kept.length}:`,
      ...result.kept.map((k) => `  keep    ${k.takenAt}  ${k.key}  (${k.reasons.join(', ')})`),
      `${verb} ${result.deleted.length}:`,
      ...result.deleted.map((d) => `  delete  ${d.takenAt}  ${d.key}`),
      ...(result.leftovers.length ? [`${verb} ${result.leftovers.length} unverified leftover(s):`, ...result.leftovers.map((l) => `  ${l.key}`)] : []),
    ].join('\n');
    const data = {
      dryRun: result.dryRun,
      policy: result.policy,
      kept: result.kept.map((k) => ({ key: k.key, versionId: k.versionId, takenAt: k.takenAt, reasons: k.reasons })),
      deleted: result.deleted.map((d) => ({ key: d.key, versionId: d.versionId })),
      leftovers: result.leftovers,
      ...(result.guard ? { guard: result.guard } : {}),
    };
    return { data, text };
  },
};

function defined<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>;
}
