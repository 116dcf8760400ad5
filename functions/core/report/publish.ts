import { summarizeError, type ErrorSummary } from '../shared/errors';
import { formatNotification, dedupeKeyOf, redactReport, type NotificationReason, type Report } from './report';
import { decideNotification, type NotificationPolicy } from './dedupe';
import type { ReportPublisher, ReportStore } from './ports';
import type { Severity } from '../shared/severity';

/** What {@link publishReport} needs from outside. */
export interface ReportDeps {
  readonly store: ReportStore;
  readonly publisher: ReportPublisher;
  readonly now: () => Date;
  /** @default DEFAULT_NOTIFICATION_POLICY */
  readonly policy?: NotificationPolicy;
}

/** What {@link publishReport} did. */
export interface PublishOutcome {
  readonly notified: boolean;
  readonly reason: NotificationReason;
  readonly severity: Severity;
  readonly dedupeKey: string;
  readonly reportUrl?: string;
  readonly messageId?: string;
  /** Steps that failed without stopping the publish (storing the full report, reading or saving the state). */
  readonly warnings: readonly { readonly step: 'save-report' | 'load-state' | 'save-state'; readonly error: ErrorSummary }[];
}

/**
 * The one way a job reports: store the full JSON report, decide with the saved state whether it is worth a
 * notification, publish it when it is, then save the new state.
 *
 * Invariants: the state is saved only after the publish succeeded, so a failed publish is retried by the next run
 * (never silently marked as sent). Storage trouble does not stop the alert: without the full report the body says
 * so; without the state the run counts as the first one (so it notifies rather than stays quiet). Only a failed
 * publish throws.
 *
 * @example
 * const outcome = await publishReport({ store: new S3ReportState({ client, bucket }), publisher: new SnsReportPublisher({ client: sns, topicArn }), now: () => new Date() }, report);
 */
export async function publishReport(deps: ReportDeps, input: Report): Promise<PublishOutcome> {
  const warnings: PublishOutcome['warnings'][number][] = [];
  const attempt = async <T>(step: PublishOutcome['warnings'][number]['step'], action: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await action();
    } catch (err) {
      warnings.push({ step, error: summarizeError(err) });
      return undefined;
    }
  };
  const redacted = redactReport(input);
  // A job that stored its own full document (the intention audit) links it instead of a second object.
  const reportUrl = redacted.reportUrl ?? (await attempt('save-report', () => deps.store.saveReport(redacted)));
  const report: Report = reportUrl === undefined ? redacted : { ...redacted, reportUrl };
  const previous = await attempt('load-state', () => deps.store.loadState(report));
  const decision = decideNotification(previous, report, deps.now(), deps.policy);
  let messageId: string | undefined;
  if (decision.notify) {
    const notification = formatNotification(report, { reason: decision.reason, routingSeverity: decision.routingSeverity, resolved: decision.changes.resolved });
    ({ messageId } = await deps.publisher.publish(notification));
  }
  await attempt('save-state', () => deps.store.saveState(decision.nextState));
  return {
    notified: decision.notify,
    reason: decision.reason,
    severity: decision.routingSeverity,
    dedupeKey: dedupeKeyOf(report),
    ...(reportUrl === undefined ? {} : { reportUrl }),
    ...(messageId === undefined ? {} : { messageId }),
    warnings,
  };
}
