import { SNSClient } from '@aws-sdk/client-sns';
import { createS3Client } from '../adapters/aws-clients';
import { S3ReportState } from '../adapters/s3-report-state';
import { SnsReportPublisher } from '../adapters/sns-report-publisher';
import type { JobOutcome } from '../core/report/job';
import type { Report } from '../core/report/report';
import { publishReport, type PublishOutcome } from '../core/report/publish';
import type { ReportStore } from '../core/report/ports';
import type { CliContext } from './command';

/** The environment variable that makes a CLI command publish its report (with `AWS_ENDPOINT_URL_SNS` for fauxqs). */
export const CLI_REPORT_TOPIC_ENV = 'CONSUL_OPS_SNS_TOPIC_ARN';

/** Options of {@link publishCommandReport}. */
export interface CommandReportOptions {
  /**
   * The backup bucket: the full report and the dedupe state go there, shared with the scheduled Lambda, so a
   * command run on a laptop and the schedule do not announce the same findings twice.
   * @default - nothing is stored and nothing deduplicated: the report is announced as on a first run
   */
  readonly bucket?: string;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

/**
 * Publishes a command's report the way the Lambdas do (same subject, body, attributes and dedupe), when
 * `CONSUL_OPS_SNS_TOPIC_ARN` is set in the command's environment; otherwise does nothing and resolves `undefined`.
 * Writes one line about the outcome to stderr (never to stdout, which may carry `--json`). A failed publish throws
 * `ReportPublishError`, which the CLI prints with its remedy.
 *
 * @example
 * // in a command's run(), after the work:
 * await publishCommandReport(buildBackupReport({ cluster, backup: result, finishedAt: new Date() }), context, { bucket: options.bucket });
 */
export async function publishCommandReport(report: Report, context: CliContext, options: CommandReportOptions = {}): Promise<PublishOutcome | undefined> {
  const topicArn = context.env[CLI_REPORT_TOPIC_ENV]?.trim();
  if (!topicArn) return undefined;
  const sns = snsClientFor(context.env);
  try {
    const store = options.bucket ? new S3ReportState({ client: createS3Client(context.env), bucket: options.bucket }) : STATELESS_STORE;
    const outcome = await publishReport({ store, publisher: new SnsReportPublisher({ client: sns, topicArn }), now: options.now ?? (() => new Date()) }, report);
    context.stderr.write(`${describePublishOutcome(outcome, topicArn)}\n`);
    return outcome;
  } finally {
    sns.destroy();
  }
}

/**
 * The end of every job command: publishes the job's report (when `CONSUL_OPS_SNS_TOPIC_ARN` is set, exactly as the
 * scheduled job would), then returns the result or throws the job's error. When the job failed, a report that
 * cannot be published does not hide the job's own error.
 *
 * @example
 * const result = await settleJob(await runPruneJob(deps, input), context, { bucket: options.bucket });
 */
export async function settleJob<T>(outcome: JobOutcome<T>, context: CliContext, options: CommandReportOptions = {}): Promise<T> {
  if (!outcome.ok) {
    if (outcome.report) await publishCommandReport(outcome.report, context, options).catch(() => undefined);
    throw outcome.error;
  }
  if (outcome.report) await publishCommandReport(outcome.report, context, options);
  return outcome.result;
}

/** One line for people, e.g. `report published to arn:…:ops-alerts (new, critical)`. */
export function describePublishOutcome(outcome: PublishOutcome, topicArn: string): string {
  const head = outcome.notified
    ? `report published to ${topicArn} (${outcome.reason}, ${outcome.severity})`
    : `report not published: nothing new since the last notification (${outcome.dedupeKey})`;
  const warnings = outcome.warnings.map((w) => `; warning: ${w.step} failed: ${w.error.message}`).join('');
  return head + warnings;
}

/** An SNS client for the command's environment: `AWS_ENDPOINT_URL_SNS` / `AWS_ENDPOINT_URL` and `AWS_REGION`. */
function snsClientFor(env: NodeJS.ProcessEnv): SNSClient {
  const endpoint = env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === 'true' ? undefined : env.AWS_ENDPOINT_URL_SNS || env.AWS_ENDPOINT_URL || undefined;
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined;
  return new SNSClient({ ...(endpoint ? { endpoint } : {}), ...(region ? { region } : {}) });
}

/** No bucket: nothing to store, no previous state (every report is announced as on a first run). */
const STATELESS_STORE: ReportStore = {
  saveReport: () => Promise.resolve(undefined),
  loadState: () => Promise.resolve(undefined),
  saveState: () => Promise.resolve(),
};
