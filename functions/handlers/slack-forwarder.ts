import { Logger } from '@aws-lambda-powertools/logger';
import type { SNSEvent, SNSMessageAttributes } from 'aws-lambda';
import { createSecretsManagerClient } from '../adapters/aws-clients';
import { postSlackMessage, SlackWebhookError, webhookUrlSource } from '../adapters/slack-webhook';
import { InvalidInputError, summarizeError } from '../core/shared/errors';
import { buildSlackMessage, type SlackPayload } from '../core/report/slack-message';
import { SLACK_FORWARDER_ENV } from './slack-forwarder-env';

/** What {@link createSlackForwarder} needs. */
export interface SlackForwarderDeps {
  /** The webhook URL (cached per container, see `webhookUrlSource`). */
  readonly webhookUrl: { get(): Promise<string>; invalidate(): void };
  /** Posts one payload; throws on any non-2xx answer. */
  readonly post: (url: string, payload: SlackPayload) => Promise<unknown>;
  readonly logger: Pick<Logger, 'info' | 'error'>;
}

/**
 * The SNS-subscribed forwarder: one Slack message per SNS record (reports from the report topic, alarm state changes
 * from the alarm topic). Any failure throws, so Lambda's async retries apply and then the event goes to the
 * dead-letter queue: an SNS message is never dropped silently. The webhook URL is never logged.
 */
export function createSlackForwarder(deps: SlackForwarderDeps): (event: SNSEvent) => Promise<{ forwarded: number }> {
  return async (event) => {
    let forwarded = 0;
    for (const record of event.Records ?? []) {
      const sns = record.Sns;
      const facts = { messageId: sns.MessageId, topicArn: sns.TopicArn, subject: sns.Subject ?? undefined };
      try {
        const payload = buildSlackMessage({ subject: sns.Subject ?? undefined, message: sns.Message ?? '', attributes: stringAttributes(sns.MessageAttributes) });
        await deps.post(await deps.webhookUrl.get(), payload);
        forwarded++;
        deps.logger.info('forwarded to Slack', facts);
      } catch (err) {
        // A revoked webhook answers 403/404/410: read the secret again on the retry, it may have been replaced.
        if (err instanceof SlackWebhookError && [403, 404, 410].includes(Number(err.context.status))) deps.webhookUrl.invalidate();
        deps.logger.error('Slack forward failed', { ...facts, error: summarizeError(err) });
        throw err;
      }
    }
    return { forwarded };
  };
}

function stringAttributes(attributes: SNSMessageAttributes | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(attributes ?? {}).filter(([, a]) => a.Type === 'String').map(([k, a]) => [k, a.Value]));
}

const logger = new Logger({ serviceName: 'consul-ops-slack-forwarder' });
let forward: ReturnType<typeof createSlackForwarder> | undefined;

function init(): ReturnType<typeof createSlackForwarder> {
  const secretArn = process.env[SLACK_FORWARDER_ENV.webhookSecretArn]?.trim();
  if (!secretArn) {
    throw new InvalidInputError(`environment variable ${SLACK_FORWARDER_ENV.webhookSecretArn}`, 'is not set', 'the secret ARN the consul-ops stack sets (redeploy the stack)');
  }
  return createSlackForwarder({ webhookUrl: webhookUrlSource(createSecretsManagerClient(), secretArn), post: postSlackMessage, logger });
}

/** Lambda entry point (SNS → Lambda, asynchronous). */
export async function handler(event: SNSEvent): Promise<{ forwarded: number }> {
  forward ??= init();
  return forward(event);
}
