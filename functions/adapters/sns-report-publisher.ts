import { PublishCommand, type MessageAttributeValue, type SNSClient } from '@aws-sdk/client-sns';
import { ConsulOpsError } from '../core/shared/errors';
import type { Notification } from '../core/report/report';
import type { ReportPublisher } from '../core/report/ports';

/** Settings of {@link SnsReportPublisher}. */
export interface SnsReportPublisherProps {
  readonly client: SNSClient;
  readonly topicArn: string;
}

/** Remedies by SNS/KMS error name; anything else gets the generic one. */
const REMEDIES: Readonly<Record<string, string>> = {
  NotFoundException: 'The topic does not exist: check REPORT_TOPIC_ARN (Lambda) or CONSUL_OPS_SNS_TOPIC_ARN (CLI) and the region.',
  NotFound: 'The topic does not exist: check REPORT_TOPIC_ARN (Lambda) or CONSUL_OPS_SNS_TOPIC_ARN (CLI) and the region.',
  AuthorizationErrorException: 'Allow sns:Publish on the topic for this role (the stack grants it to its functions; the CLI needs it in your own policy).',
  KMSAccessDeniedException: "Allow kms:GenerateDataKey and kms:Decrypt on the topic's key (via sns.<region>.amazonaws.com) for this role.",
  KMSDisabledException: "The topic's KMS key is disabled: enable it again.",
  KMSNotFoundException: "The topic's KMS key no longer exists: point the topic at a valid key (redeploy the stack).",
  KMSInvalidStateException: "The topic's KMS key is pending deletion or unusable: cancel the deletion or redeploy with a valid key.",
  InvalidParameterException: 'SNS refused the message (subject, size or attributes): this is a consul-ops bug, please report it with the job logs.',
  InvalidParameterValueException: 'SNS refused the message (subject, size or attributes): this is a consul-ops bug, please report it with the job logs.',
  ThrottledException: 'SNS is throttling publishes: the next run tries again; raise the account publish quota if this repeats.',
};
const DEFAULT_REMEDY = 'Check the SNS endpoint is reachable (VPC endpoint or NAT) and the topic ARN is right; the next run tries again.';

/** Publishing a report to SNS failed; the report's state was not saved, so the next run retries. */
export class ReportPublishError extends ConsulOpsError {
  constructor(topicArn: string, cause: unknown) {
    const name = (cause as { name?: string })?.name ?? 'Error';
    const detail = cause instanceof Error ? cause.message : String(cause);
    super('REPORT_PUBLISH_FAILED', `publishing the report to ${topicArn} failed: ${name}: ${detail}`, REMEDIES[name] ?? DEFAULT_REMEDY, {
      context: { topicArn, errorName: name },
      cause,
    });
  }
}

/**
 * Publishes report notifications to the report topic: `Subject` (e-mail subject), `Message` (plain text body) and
 * the string attributes subscriptions filter on (`severity`, `feature`, `cluster`, `dedupeKey`, `reason`).
 */
export class SnsReportPublisher implements ReportPublisher {
  private readonly client: SNSClient;
  private readonly topicArn: string;

  constructor(props: SnsReportPublisherProps) {
    this.client = props.client;
    this.topicArn = props.topicArn;
  }

  /** @inheritdoc */
  async publish(notification: Notification): Promise<{ messageId: string }> {
    const MessageAttributes: Record<string, MessageAttributeValue> = {};
    for (const [name, value] of Object.entries(notification.attributes)) {
      // SNS refuses empty attribute values.
      if (typeof value === 'string' && value !== '') MessageAttributes[name] = { DataType: 'String', StringValue: value };
    }
    try {
      const out = await this.client.send(
        new PublishCommand({ TopicArn: this.topicArn, Subject: notification.subject, Message: notification.body, MessageAttributes }),
      );
      return { messageId: out.MessageId ?? '' };
    } catch (err) {
      throw new ReportPublishError(this.topicArn, err);
    }
  }
}
