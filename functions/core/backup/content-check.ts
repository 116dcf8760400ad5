import type { Finding } from '../report/report';
import type { ContentDropThresholds, ContentMetric, ContentSummary } from '../snapshot-contents';
import { parseBackupKey } from './backup-key';
import { decideContentHold, type ContentHoldDecision, type HeldBackupRef, type SummarisedBackup } from './content-hold';
import type { BackupStore, ContentHoldStore } from './ports';
import { backupFolder, type BackupResult } from './workflow';

/** What {@link checkBackupContents} needs from outside. */
export interface ContentCheckDeps {
  readonly store: BackupStore;
  readonly holds: ContentHoldStore;
  readonly now: () => Date;
}

/** The cluster and its thresholds. */
export interface ContentCheckInput {
  readonly cluster: string;
  readonly prefix: string;
  /** @default - the defaults of `evaluateContentDrop` */
  readonly thresholds?: ContentDropThresholds;
}

/** What the content check of one backup found and did. */
export interface ContentCheckResult {
  /** The earlier backup the counts were compared with (none for a cluster's first summarised backup). */
  readonly comparedWith?: HeldBackupRef;
  readonly findings: readonly Finding[];
  readonly metrics: readonly ContentMetric[];
  /** What happened to the content-drop hold, and the backup it keeps while open. */
  readonly hold: { readonly change: ContentHoldDecision['change']; readonly held?: HeldBackupRef; readonly openedAt?: string };
}

/** Earlier backups whose stored contents are tried, newest first, before giving up on a comparison. */
const MAX_PREVIOUS_TRIED = 5;

/**
 * The content-drop check of a new backup: compares its summary with the newest earlier verified backup's stored
 * summary, opens, keeps or releases the cluster's content-drop hold ({@link decideContentHold}), and returns the
 * findings and the metrics for the report. Runs after the backup is stored and before retention, so a hold opened
 * here protects its backup from this very run's prune.
 *
 * @example
 * const check = await checkBackupContents({ store, holds, now }, { cluster: 'prod', prefix: 'snapshots' }, backup, summary);
 */
export async function checkBackupContents(deps: ContentCheckDeps, input: ContentCheckInput, backup: BackupResult, summary: ContentSummary): Promise<ContentCheckResult> {
  const current: SummarisedBackup = { ref: { key: backup.key, versionId: backup.versionId, takenAt: backup.takenAt }, summary };
  const [previous, hold] = await Promise.all([previousSummary(deps.store, input, backup), deps.holds.load(input.cluster)]);
  const decision = decideContentHold({ cluster: input.cluster, hold, previous, current, thresholds: input.thresholds, now: deps.now() });
  if ((decision.change === 'opened' || decision.change === 'released') && decision.hold) await deps.holds.save(decision.hold);
  const open = decision.change === 'opened' || decision.change === 'kept' ? decision.hold : undefined;
  return {
    ...(previous ? { comparedWith: previous.ref } : {}),
    findings: decision.findings,
    metrics: decision.metrics,
    hold: { change: decision.change, ...(open ? { held: open.held, openedAt: open.openedAt } : {}) },
  };
}

/** The newest verified backup taken before `backup` that has a stored summary. */
async function previousSummary(store: BackupStore, input: ContentCheckInput, backup: BackupResult): Promise<SummarisedBackup | undefined> {
  const takenAt = Date.parse(backup.takenAt);
  const earlier = (await store.list(backupFolder(input.prefix, input.cluster)))
    .map((o) => ({ o, at: parseBackupKey(o.key) }))
    .filter(({ o, at }) => o.verified && o.key !== backup.key && at?.cluster === input.cluster && at.takenAt.getTime() < takenAt)
    .sort((a, b) => (b.at?.takenAt.getTime() ?? 0) - (a.at?.takenAt.getTime() ?? 0))
    .slice(0, MAX_PREVIOUS_TRIED);
  for (const { o, at } of earlier) {
    const contents = await store.loadContents(o.key, o.versionId);
    if (contents?.summary) return { ref: { key: o.key, versionId: o.versionId, takenAt: (at?.takenAt ?? o.lastModified).toISOString() }, summary: contents.summary };
  }
  return undefined;
}
