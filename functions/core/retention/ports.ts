/**
 * What retention asks of the outside besides the backup store: holds that keep a backup whatever the GFS plan says
 * (the content-drop alarm keeps the last backup before a drop this way).
 */

/** One backup version kept by a hold, and why (the reason is shown with the kept backup). */
export interface RetentionHold {
  readonly key: string;
  readonly versionId: string;
  readonly reason: string;
}

/** Where the open holds of a cluster come from. */
export interface RetentionHoldSource {
  /** The holds open for `cluster` (none: []). */
  listHolds(cluster: string): Promise<readonly RetentionHold[]>;
}
