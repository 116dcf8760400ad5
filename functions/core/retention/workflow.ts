import { parseBackupKey } from '../backup/backup-key';
import type { BackupStore, StoredBackup } from '../backup/ports';
import { backupFolder } from '../backup/workflow';
import type { RetentionHoldSource } from './ports';
import {
  describeRetentionPolicy,
  planLeftoverCleanup,
  planRetention,
  type RetentionGuard,
  type RetentionPolicy,
} from './retention-plan';

/** What {@link runPrune} needs from outside. */
export interface PruneDeps {
  readonly store: BackupStore;
  /** Holds that keep backups whatever the policy says (the content-drop hold). Required: no prune may miss one. */
  readonly holds: RetentionHoldSource;
  readonly now: () => Date;
}

/** Which cluster to prune, with which policy. */
export interface PruneInput {
  readonly cluster: string;
  readonly prefix: string;
  readonly policy: RetentionPolicy;
  /** Plan only: report what would be deleted and delete nothing. */
  readonly dryRun?: boolean;
}

/** The outcome of a prune (or of a dry run: then `deleted` lists what would be deleted). */
export interface PruneResult {
  readonly cluster: string;
  readonly dryRun: boolean;
  readonly policy: string;
  readonly kept: { readonly key: string; readonly versionId: string; readonly takenAt: string; readonly reasons: readonly string[] }[];
  readonly deleted: { readonly key: string; readonly versionId: string; readonly takenAt: string; readonly reason: string }[];
  /** Unverified objects and unfinished uploads older than a day (never backups) removed as leftovers. */
  readonly leftovers: { readonly key: string; readonly versionId?: string; readonly uploadId?: string }[];
  readonly guard?: RetentionGuard;
}

/**
 * Applies the GFS retention policy to one cluster's verified backups and cleans up stale leftovers.
 *
 * Deletes are delete markers on a versioned bucket: the deleted version stays recoverable until the bucket's
 * noncurrent-version lifecycle expires it (and, with Object Lock, not before its retention ends). Nothing is
 * deleted while the newest verified backup is older than twice the schedule (the planner's stop guard), and a backup
 * under a hold (the content-drop hold) is kept with the hold's reason.
 *
 * @example
 * const result = await runPrune({ store, now: () => new Date() }, { cluster: 'prod', prefix: 'snapshots', policy, dryRun: true });
 */
export async function runPrune(deps: PruneDeps, input: PruneInput): Promise<PruneResult> {
  const folder = backupFolder(input.prefix, input.cluster);
  const now = deps.now();
  const [listed, holds] = await Promise.all([deps.store.list(folder), deps.holds.listHolds(input.cluster)]);
  const objects = listed.filter((o) => parseBackupKey(o.key)?.cluster === input.cluster);
  const byId = new Map(objects.map((o) => [idOf(o), o]));
  const holdOf = new Map(holds.map((h) => [`${h.key}#${h.versionId}`, h.reason]));
  const plan = planRetention(
    objects.map((o) => ({ id: idOf(o), takenAt: takenAtOf(o), verified: o.verified, ...(holdOf.has(idOf(o)) ? { hold: holdOf.get(idOf(o)) } : {}) })),
    input.policy,
    now,
  );
  const leftoverIds = planLeftoverCleanup(
    objects.map((o) => ({ id: idOf(o), lastModified: o.lastModified, verified: o.verified })),
    now,
  );
  const uploads = (await deps.store.listIncompleteUploads(folder)).filter((u) => now.getTime() - u.initiated.getTime() > DAY_MS);

  const kept = plan.keep.filter((k) => byId.get(k.id)?.verified).map((k) => ({ ...ref(byId.get(k.id)!), takenAt: k.takenAt.toISOString(), reasons: k.reasons }));
  const deleted = plan.delete.map((d) => ({ ...ref(byId.get(d.id)!), takenAt: d.takenAt.toISOString(), reason: d.reason }));
  const leftovers = [...leftoverIds.map((id) => ref(byId.get(id)!)), ...uploads.map((u) => ({ key: u.key, uploadId: u.uploadId }))];
  const dryRun = input.dryRun ?? false;
  if (!dryRun) {
    // Retention deletes only what the plan names; the plan never names the newest verified backups.
    await deps.store.remove([...deleted, ...leftoverIds.map((id) => ref(byId.get(id)!))]);
    for (const upload of uploads) await deps.store.abortIncompleteUpload(upload);
  }
  return {
    cluster: input.cluster,
    dryRun,
    policy: describeRetentionPolicy(input.policy),
    kept,
    deleted,
    leftovers,
    ...(plan.guard ? { guard: plan.guard } : {}),
  };
}

const DAY_MS = 24 * 60 * 60 * 1000;

function idOf(o: StoredBackup): string {
  return `${o.key}#${o.versionId}`;
}

function ref(o: StoredBackup): { key: string; versionId: string } {
  return { key: o.key, versionId: o.versionId };
}

/** The snapshot time comes from the key (written from the clock at snapshot time), not from S3's LastModified. */
function takenAtOf(o: StoredBackup): Date {
  return parseBackupKey(o.key)?.takenAt ?? o.lastModified;
}
