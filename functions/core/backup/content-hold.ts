import type { Finding } from '../report/report';
import type { RetentionHold } from '../retention/ports';
import { evaluateContentDrop, type ContentDropThresholds, type ContentMetric, type ContentSummary } from '../snapshot-contents';

/**
 * The content-drop hold: when a scheduled backup's counts drop beyond a threshold (see `evaluateContentDrop`), the
 * last backup taken before the drop is kept whatever the GFS plan says, so that hourly backups faithfully storing the
 * damage can never push the last good state out. The hold is a small JSON object per cluster
 * (`state/<cluster>/content-drop-hold.json`); it stays open, and the drop finding stays in every backup report, until
 * an operator acknowledges it (`consul-ops ack-drop --cluster C`) or the counts recover (compared with the held
 * backup's counts, with the same thresholds). A closed hold is kept as a record, with who closed it and why.
 */

/** A backup as a hold names it. */
export interface HeldBackupRef {
  readonly key: string;
  readonly versionId: string;
  readonly takenAt: string;
}

/** Why a hold is no longer open. */
export const CONTENT_HOLD_STATUSES = ['open', 'released', 'acknowledged'] as const;
/** One of {@link CONTENT_HOLD_STATUSES}. */
export type ContentHoldStatus = (typeof CONTENT_HOLD_STATUSES)[number];

/** The stored hold of one cluster. */
export interface ContentHold {
  readonly version: 1;
  readonly cluster: string;
  readonly status: ContentHoldStatus;
  readonly openedAt: string;
  /** The last backup before the drop: kept while the hold is open. */
  readonly held: HeldBackupRef;
  /** Its content summary: the counts a recovery is measured against. */
  readonly baseline: ContentSummary;
  /** The first backup that showed the drop. */
  readonly firstDrop: HeldBackupRef;
  /** The drop findings when the hold opened (id, severity, message). */
  readonly findings: readonly Pick<Finding, 'id' | 'severity' | 'message'>[];
  /** When and by whom (or by what) it was closed. */
  readonly closedAt?: string;
  readonly closedBy?: string;
}

/** A backup and its summary. */
export interface SummarisedBackup {
  readonly ref: HeldBackupRef;
  readonly summary: ContentSummary;
}

/** What one backup run decides about the hold. */
export interface ContentHoldDecision {
  /** Findings for the report: the drop (against the held baseline while a hold is open). */
  readonly findings: readonly Finding[];
  /** One metric per counted type (current value, previous backup's value). */
  readonly metrics: readonly ContentMetric[];
  /** `opened` (save `hold`), `kept` (unchanged), `released` (the counts recovered: save `hold`), `none`. */
  readonly change: 'opened' | 'kept' | 'released' | 'none';
  /** The hold to save for `opened` and `released`; the open hold for `kept`. */
  readonly hold?: ContentHold;
}

/** Inputs of {@link decideContentHold}. */
export interface ContentHoldInput {
  readonly cluster: string;
  /** The stored hold (open or closed), if any. */
  readonly hold: ContentHold | undefined;
  /** The newest earlier backup with a summary; undefined for a cluster's first backup. */
  readonly previous: SummarisedBackup | undefined;
  readonly current: SummarisedBackup;
  readonly thresholds?: ContentDropThresholds;
  readonly now: Date;
}

/**
 * Decides the hold for one new backup. Pure.
 *
 * - open hold: the current counts are compared with the held baseline; findings left → kept (and reported again, so
 *   dedupe keeps it open); none → released (recovered);
 * - no open hold: compared with the previous backup; any finding → a hold opens on the previous backup.
 *
 * @example
 * const decision = decideContentHold({ cluster: 'prod', hold, previous, current, thresholds, now });
 * if (decision.change === 'opened' || decision.change === 'released') await holds.save(decision.hold!);
 */
export function decideContentHold(input: ContentHoldInput): ContentHoldDecision {
  const { cluster, current, previous, thresholds } = input;
  const metrics = evaluateContentDrop(previous?.summary, current.summary, thresholds).metrics;
  const open = input.hold?.status === 'open' ? input.hold : undefined;
  if (open) {
    const { findings } = evaluateContentDrop(open.baseline, current.summary, thresholds, { previousBackup: open.held.key, cluster });
    if (findings.length > 0) return { findings, metrics, change: 'kept', hold: open };
    return { findings: [], metrics, change: 'released', hold: { ...open, status: 'released', closedAt: input.now.toISOString(), closedBy: `counts recovered in ${current.ref.key}` } };
  }
  if (previous === undefined) return { findings: [], metrics, change: 'none' };
  const { findings } = evaluateContentDrop(previous.summary, current.summary, thresholds, { previousBackup: previous.ref.key, cluster });
  if (findings.length === 0) return { findings: [], metrics, change: 'none' };
  const hold: ContentHold = {
    version: 1,
    cluster,
    status: 'open',
    openedAt: input.now.toISOString(),
    held: previous.ref,
    baseline: previous.summary,
    firstDrop: current.ref,
    findings: findings.map((f) => ({ id: f.id, severity: f.severity, message: f.message })),
  };
  return { findings, metrics, change: 'opened', hold };
}

/** The retention hold of an open content hold (none for a closed one). */
export function retentionHoldOf(hold: ContentHold | undefined): RetentionHold[] {
  if (hold?.status !== 'open') return [];
  const what = hold.findings[0]?.message ?? 'a content drop';
  return [
    {
      key: hold.held.key,
      versionId: hold.held.versionId,
      reason: `content-drop hold: the last backup before ${what} (seen ${hold.firstDrop.takenAt}); kept until \`consul-ops ack-drop --cluster ${hold.cluster}\` or the counts recover`,
    },
  ];
}

/** Closes an open hold on an operator's word (`ack-drop`). */
export function acknowledgeContentHold(hold: ContentHold, by: string, now: Date): ContentHold {
  return { ...hold, status: 'acknowledged', closedAt: now.toISOString(), closedBy: by };
}
