import type { CliContext, CommandResult, CommandSpec, CommonOptions } from '../command';
import { ConsulKvTarget } from '../../adapters/consul/kv-target';
import { assertClusterName, parseBackupKey } from '../../core/backup/backup-key';
import type { BackupStore } from '../../core/backup/ports';
import { runRestoreKvJob } from '../../core/restore/kv-job';
import { KV_NOT_RESTORED, type RestoreKvPhase, type RestoreKvResult } from '../../core/restore/kv-workflow';
import type { KvTarget } from '../../core/restore/ports';
import type { Severity } from '../../core/shared/severity';
import { createProgress, formatBytes, type Progress } from '../progress';
import { settleJob } from '../report-option';
import { consulFromEnv, storeFromFlags } from '../wiring';
import { parseSelector } from './restore';

interface RestoreKvOptions extends CommonOptions {
  readonly bucket: string;
  readonly backupPrefix: string;
  readonly cluster?: string;
  readonly latest?: boolean;
  readonly key?: string;
  readonly versionId?: string;
  readonly before?: string;
  readonly prefix: string;
  readonly dryRun?: boolean;
  readonly yes?: boolean;
  readonly deleteExtra?: boolean;
  readonly allowCrossCluster?: boolean;
}

/** What `consul-ops restore-kv` talks to; tests pass their own. */
export interface RestoreKvCommandDeps {
  connect(context: CliContext, bucket: string): { readonly consul: KvTarget; readonly store: BackupStore; close(): Promise<void> };
  readonly now: () => Date;
}

const DEFAULT_DEPS: RestoreKvCommandDeps = {
  connect(context, bucket) {
    const consul = consulFromEnv(context);
    return { consul: new ConsulKvTarget(consul.api), store: storeFromFlags(bucket, context), close: () => consul.close() };
  },
  now: () => new Date(),
};

/** Keys listed per action in the text output before "… and N more" (`--json` has them all). */
const LISTED = 50;

/**
 * `consul-ops restore-kv`: brings back the KV keys under one prefix from a verified backup, without rolling the
 * cluster back. Prints the plan (counts first) unless `--yes`; with `--yes` writes through check-and-set
 * transactions, so keys changed meanwhile are reported, not overwritten. Values are never printed.
 */
export function createRestoreKvCommand(deps: RestoreKvCommandDeps = DEFAULT_DEPS): CommandSpec<RestoreKvOptions> {
  return {
    name: 'restore-kv',
    summary: 'restore the KV keys under one prefix from a backup (plan first; nothing is written without --yes)',
    configure: (c) =>
      c
        .requiredOption('--bucket <name>', 'the backup bucket')
        .option('--backup-prefix <prefix>', 'key prefix of the backups in the bucket', 'snapshots')
        .option('--cluster <name>', 'whose backups to read (default: the cluster in --key, else the target\'s datacenter name)')
        .option('--latest', 'the newest verified backup (pre-restore safety snapshots excluded)')
        .option('--key <key>', 'an explicit backup key')
        .option('--version-id <id>', 'with --key: the object version (default: the current one)')
        .option('--before <iso-time>', 'the newest verified backup taken at or before this time, e.g. 2026-11-21T23:00:00Z')
        .requiredOption('--prefix <kv-prefix>', 'the KV prefix to restore, e.g. config/payments/ (a plain prefix: config/pay also covers config/payments/)')
        .option('--dry-run', 'print the plan and write nothing (the default without --yes)')
        .option('--yes', 'write: create missing keys, overwrite changed ones (check-and-set on their current index)')
        .option('--delete-extra', 'also delete keys under the prefix that the backup does not have')
        .option('--allow-cross-cluster', 'write into a cluster whose datacenter differs from the backup\'s'),
    async run(options, context) {
      const selector = parseSelector(options);
      const apply = options.yes === true && options.dryRun !== true;
      const { consul, store, close } = deps.connect(context, options.bucket);
      const bars = phaseProgress(context);
      try {
        const cluster = options.cluster ?? ('key' in selector ? parseBackupKey(selector.key)?.cluster : undefined) ?? (await consul.describeCluster()).datacenter;
        assertClusterName(cluster, '--cluster');
        const outcome = await runRestoreKvJob(
          { consul, store, now: deps.now, onProgress: bars.update },
          {
            cluster,
            prefix: options.backupPrefix,
            selector,
            kvPrefix: options.prefix,
            deleteExtra: options.deleteExtra === true,
            dryRun: !apply,
            confirm: apply ? cluster : undefined,
            allowCrossCluster: options.allowCrossCluster === true,
            invokedBy: `consul-ops CLI (${context.env.USER ?? context.env.USERNAME ?? 'unknown user'})`,
          },
        );
        return renderRestoreKv(await settleJob(outcome, context, { bucket: options.bucket }));
      } finally {
        bars.done();
        await close();
      }
    },
  };
}

/** `consul-ops restore-kv`, wired to the real Consul and S3 clients. */
export const restoreKvCommand = createRestoreKvCommand();

/** The plan (counts first) and, when applied, what was written and what was left alone. Keys only, never values. */
export function renderRestoreKv(r: RestoreKvResult): CommandResult {
  const c = r.counts;
  const list = (sign: string, keys: readonly string[]) => [...keys.slice(0, LISTED).map((k) => `  ${sign} ${k}`), ...(keys.length > LISTED ? [`  … and ${keys.length - LISTED} more (--json lists all)`] : [])];
  const lines = [
    `restore-kv of ${r.kvPrefix} from ${r.backup.key} (version ${r.backup.versionId}, taken ${r.backup.takenAt}) into datacenter ${r.target.datacenter}`,
    `Plan: ${c.create} to create, ${c.update} to update, ${c.delete} to delete, ${c.skip} unchanged (skipped), ${c.extra} not in the backup (left alone${c.extra ? '; --delete-extra deletes them' : ''})`,
    ...list('+', r.keys.create),
    ...list('~', r.keys.update.map((u) => `${u.key} (${u.changed.join(', ')})`)),
    ...list('-', r.keys.delete),
    ...(c.unaddressable ? [`${c.unaddressable} key(s) in the backup are not UTF-8 and cannot be written through Consul's HTTP API:`, ...list('!', r.keys.unaddressable)] : []),
    ...(r.lockedInBackup ? [`${r.lockedInBackup} key(s) were held by a session when the backup was taken; they are restored without it.`] : []),
    ...(r.lockedLive.length ? [`${r.lockedLive.length} key(s) to change are held by a session now; their lock stays: ${r.lockedLive.slice(0, 5).join(', ')}${r.lockedLive.length > 5 ? ', …' : ''}`] : []),
    KV_NOT_RESTORED,
  ];
  const findings: { severity: Severity }[] = [];
  if (r.applied && r.outcome) {
    const o = r.outcome;
    lines.push(`Applied: ${o.created} created, ${o.updated} updated, ${o.deleted} deleted (${o.transactions} transaction(s)${o.singleWrites ? `, ${o.singleWrites} single write(s)` : ''}) in ${(r.durations.applyMs / 1000).toFixed(1)} s.`);
    if (o.conflicts.length) {
      lines.push(`${o.conflicts.length} key(s) changed after the plan was made and were left alone (check them, then run again if the backup should win):`, ...list('!', o.conflicts.map((k) => k.key)));
      findings.push({ severity: 'medium' });
    }
  } else {
    lines.push(`Nothing was written (${r.notApplied ?? 'dry run'}): re-run with --yes to apply this plan.`);
  }
  return { data: r, text: lines.join('\n'), findings };
}

function phaseProgress(context: CliContext): { update: (phase: RestoreKvPhase, done: number, total?: number) => void; done: () => void } {
  let current: { phase: RestoreKvPhase; bar: Progress; done: number } | undefined;
  const finish = () => {
    current?.bar.done(current.phase === 'verify' ? formatBytes(current.done) : `${current.done} operations`);
    current = undefined;
  };
  return {
    update(phase, done, total) {
      if (current?.phase !== phase) {
        finish();
        current = { phase, done: 0, bar: createProgress({ label: phase === 'verify' ? 'verified' : 'applied', stream: context.stderr, enabled: context.interactive, totalBytes: phase === 'verify' ? total : undefined }) };
      }
      current.done = done;
      current.bar.update(done);
    },
    done: finish,
  };
}
