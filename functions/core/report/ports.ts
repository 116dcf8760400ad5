import type { ReportState } from './dedupe';
import type { Notification, Report } from './report';

/**
 * The ports of the report path: where full reports and the dedupe state live, and how a notification is sent.
 * Adapters: `functions/adapters/s3-report-state.ts`, `functions/adapters/sns-report-publisher.ts`.
 */

/** Which dedupe state a report reads and writes: one per cluster, feature and (optional) scope. */
export type ReportStateOf = Pick<Report, 'cluster' | 'feature' | 'scope'>;

/** Where reports and the dedupe state live (the S3 adapter: `reports/…` and `state/…` in the backup bucket). */
export interface ReportStore {
  /** Stores the full JSON report and returns its location (`s3://…`), or `undefined` for a store that keeps none. */
  saveReport(report: Report): Promise<string | undefined>;
  /** The state the previous run of this cluster, feature (and scope) left, or `undefined` when there is none. */
  loadState(of: ReportStateOf): Promise<ReportState | undefined>;
  saveState(state: ReportState): Promise<void>;
}

/** Sends a notification (the SNS adapter). */
export interface ReportPublisher {
  publish(notification: Notification): Promise<{ readonly messageId: string }>;
}
