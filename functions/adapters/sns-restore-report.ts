import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { ErrorSummary } from '../core/shared/errors';
import type { RestoreResult } from '../core/restore/workflow';
import type { Severity } from '../core/shared/severity';

/**
 * The restore Lambda's report on the report topic: one plain-text message per invocation, whatever happened.
 * Deliberately self-contained (formatting and publishing in this one file) so the general report path can replace
 * it without touching the restore workflow.
 */

/** What one restore invocation did: a result, or the error it stopped with. */
export interface RestoreOutcome {
  readonly cluster: string;
  /** What was asked, e.g. `latest` or `key snapshots/…/x.snap version v1`. */
  readonly request: string;
  readonly invokedBy: string;
  readonly result?: RestoreResult;
  readonly error?: ErrorSummary;
}

/** A report ready to publish. */
export interface RestoreReport {
  readonly severity: Severity;
  /** ASCII-safe, under 100 characters, no line breaks (SNS email subject rules). */
  readonly subject: string;
  readonly body: string;
}

const SUBJECT_MAX = 99;

/**
 * Severity: a completed restore is `high` (people must know the state was replaced), `critical` if it failed after
 * sending began or a post-restore check failed; a refusal before anything was sent is `medium`; a dry run `info`.
 */
export function formatRestoreReport(outcome: RestoreOutcome): RestoreReport {
  const { result, error } = outcome;
  if (error || !result) return formatFailure(outcome, error);
  const failedCheck = result.checks.some((c) => c.status === 'fail');
  const severity: Severity = result.restored ? (failedCheck ? 'critical' : 'high') : 'info';
  const what = result.restored ? `restored raft index ${result.backup.consulIndex}${failedCheck ? ', check failed' : ''}` : `dry run OK (${result.notApplied ?? 'dry run'})`;
  const safety = result.safetySnapshot ? `${result.safetySnapshot.key} (version ${result.safetySnapshot.versionId})` : result.restored ? 'skipped on request' : 'none (nothing was sent)';
  const body = [
    `consul-ops restore of cluster ${outcome.cluster}: ${result.restored ? 'RESTORED' : 'NOT APPLIED'}`,
    result.summary,
    `Backup: ${result.backup.key} (version ${result.backup.versionId}, taken ${result.backup.takenAt}, raft index ${result.backup.consulIndex}, sha256 ${result.backup.sha256})`,
    `Target: datacenter ${result.target.datacenter}, Consul ${result.target.consulVersion}`,
    `Safety snapshot: ${safety}`,
    `Durations: verify ${ms(result.durations.verifyMs)}, safety snapshot ${ms(result.durations.safetyMs)}, restore ${ms(result.durations.restoreMs)}`,
    `Requested: ${outcome.request}; invoked by ${outcome.invokedBy}`,
    'Checks:',
    ...result.checks.map((c) => `  ${c.status} ${c.id}: ${c.detail}`),
    ...(result.restored
      ? ['Next: update the stored management token if the snapshot\'s tokens replaced it; run the certificate check (Connect CA).']
      : []),
  ].join('\n');
  return { severity, subject: subject(severity, outcome.cluster, what), body };
}

function formatFailure(outcome: RestoreOutcome, error: ErrorSummary | undefined): RestoreReport {
  const code = error?.code ?? 'UNEXPECTED';
  // Once the PUT began, the cluster state may be in question; before it, nothing was touched.
  const severity: Severity = code === 'RESTORE_FAILED' || code === 'UNEXPECTED' ? 'critical' : code === 'RESTORE_SAFETY_SNAPSHOT_FAILED' ? 'high' : 'medium';
  const safetyKey = error?.context.safetySnapshotKey;
  const body = [
    `consul-ops restore of cluster ${outcome.cluster}: FAILED (${code})`,
    `What happened: ${error?.message ?? 'unknown error'}`,
    `What to do: ${error?.remedy ?? 'see the function log'}`,
    ...(typeof safetyKey === 'string' ? [`Safety snapshot: ${safetyKey}`] : []),
    `Requested: ${outcome.request}; invoked by ${outcome.invokedBy}`,
  ].join('\n');
  return { severity, subject: subject(severity, outcome.cluster, `failed ${code}`), body };
}

function subject(severity: Severity, cluster: string, what: string): string {
  // Printable ASCII only: no line breaks or control characters may reach the email subject.
  const text = `[${severity.toUpperCase()}] consul-ops restore ${cluster}: ${what}`.replace(/[^ -~]+/g, ' ');
  return text.length > SUBJECT_MAX ? `${text.slice(0, SUBJECT_MAX - 3)}...` : text;
}

function ms(value: number): string {
  return `${(value / 1000).toFixed(1)} s`;
}

/** Publishes {@link formatRestoreReport} to the report topic with the `severity`, `feature` and `cluster` attributes. */
export class SnsRestoreReporter {
  constructor(
    private readonly client: Pick<SNSClient, 'send'>,
    private readonly topicArn: string,
  ) {}

  /** Publishes one report; resolves with the message id. */
  async publish(outcome: RestoreOutcome): Promise<string | undefined> {
    const report = formatRestoreReport(outcome);
    const out = await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: report.subject,
        Message: report.body,
        MessageAttributes: {
          severity: { DataType: 'String', StringValue: report.severity },
          feature: { DataType: 'String', StringValue: 'restore' },
          cluster: { DataType: 'String', StringValue: outcome.cluster },
        },
      }),
    );
    return out.MessageId;
  }
}
