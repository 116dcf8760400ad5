import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { request, type Dispatcher } from 'undici';
import { ConsulOpsError, redactSecrets } from '../core/shared/errors';
import type { SlackPayload } from '../core/report/slack-message';

/**
 * The Slack incoming webhook: where its URL comes from (Secrets Manager) and how a payload is posted.
 *
 * Invariant: the webhook URL is a credential. It never appears in an error message, an error context, a log line or
 * a cause chain: errors are rebuilt from the status code or the socket error code only.
 */

/** The webhook refused or did not answer; Lambda retries the SNS event, then parks it in the dead-letter queue. */
export class SlackWebhookError extends ConsulOpsError {
  constructor(problem: string, remedy: string, context: Record<string, unknown>) {
    super('SLACK_WEBHOOK_FAILED', `posting to the Slack webhook failed: ${redactSecrets(problem)}`, remedy, { context });
  }
}

/** The webhook secret cannot be read or does not hold a webhook URL. */
export class SlackWebhookSecretError extends ConsulOpsError {
  constructor(secretArn: string, problem: string, errorName?: string) {
    super(
      'SLACK_WEBHOOK_SECRET_INVALID',
      `the Slack webhook secret ${secretArn} ${problem}`,
      'Store the webhook URL as the secret string (https://hooks.slack.com/services/…, or JSON {"webhookUrl": "…"}) and let the forwarder read the secret and its KMS key.',
      { context: { secretArn, ...(errorName ? { errorName } : {}) } },
    );
  }
}

/** Options of {@link webhookUrlSource}. */
export interface WebhookUrlSourceOptions {
  /** How long a read URL is reused in this container. @default 5 minutes */
  readonly ttlMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * Reads the webhook URL from Secrets Manager and caches it per container for `ttlMs`, so a rotated webhook is
 * picked up within minutes; `invalidate()` drops the cache at once (call it when Slack rejects the URL).
 *
 * @example
 * const url = webhookUrlSource(secrets, process.env.SLACK_WEBHOOK_SECRET_ARN!);
 * await postSlackMessage(await url.get(), payload);
 */
export function webhookUrlSource(secrets: SecretsManagerClient, secretArn: string, options: WebhookUrlSourceOptions = {}): { get(): Promise<string>; invalidate(): void } {
  const ttlMs = options.ttlMs ?? 5 * 60_000;
  const now = options.now ?? Date.now;
  let cached: { url: Promise<string>; at: number } | undefined;
  return {
    get() {
      if (cached === undefined || now() - cached.at >= ttlMs) {
        const url = readWebhookUrl(secrets, secretArn);
        cached = { url, at: now() };
        url.catch(() => (cached = undefined));
      }
      return cached.url;
    },
    invalidate() {
      cached = undefined;
    },
  };
}

async function readWebhookUrl(secrets: SecretsManagerClient, secretArn: string): Promise<string> {
  let value: string | undefined;
  try {
    value = (await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString;
  } catch (err) {
    const name = (err as { name?: string }).name ?? 'Error';
    throw new SlackWebhookSecretError(secretArn, `cannot be read: ${name}`, name);
  }
  const url = extractUrl(value?.trim() ?? '');
  // Never echo the value: it is the credential.
  if (url === undefined) throw new SlackWebhookSecretError(secretArn, 'does not hold an https webhook URL');
  return url;
}

function extractUrl(value: string): string | undefined {
  let candidate = value;
  if (value.startsWith('{')) {
    try {
      const parsed = JSON.parse(value) as { webhookUrl?: unknown; url?: unknown };
      candidate = String(parsed.webhookUrl ?? parsed.url ?? '');
    } catch {
      return undefined;
    }
  }
  try {
    const url = new URL(candidate);
    // Plain http only to a loopback stand-in (tests, local demo).
    const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
    return url.protocol === 'https:' || (url.protocol === 'http:' && loopback) ? url.toString() : undefined;
  } catch {
    return undefined;
  }
}

/** Options of {@link postSlackMessage}. */
export interface PostSlackMessageOptions {
  /** Whole-request timeout. @default 10 000 ms */
  readonly timeoutMs?: number;
  /** @default - undici's global dispatcher */
  readonly dispatcher?: Dispatcher;
}

/**
 * POSTs a payload to the webhook. Resolves on 2xx; throws {@link SlackWebhookError} on anything else (429 with its
 * `Retry-After`), on a timeout and on a socket error, so that the Lambda invocation fails and is retried.
 */
export async function postSlackMessage(webhookUrl: string, payload: SlackPayload, options: PostSlackMessageOptions = {}): Promise<{ status: number }> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  let response: Dispatcher.ResponseData;
  try {
    response = await request(webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(timeoutMs),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    });
  } catch (err) {
    // Socket errors can carry the host and path in their message: keep the code only.
    // (An AbortSignal timeout is a DOMException named TimeoutError whose numeric `code` means nothing here.)
    const errCode = (err as { code?: unknown }).code;
    const code = typeof errCode === 'string' ? errCode : ((err as { name?: string }).name ?? 'Error');
    const timedOut = code === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
    throw new SlackWebhookError(
      timedOut ? `no answer within ${timeoutMs} ms` : `network error ${code}`,
      'Check that the forwarder can reach hooks.slack.com (it runs outside the VPC); Lambda retries the message.',
      { errorCode: code },
    );
  }
  // Slack answers with a short plain-text reason (`invalid_token`, `no_service`, `channel_is_archived`).
  const text = (await response.body.text().catch(() => '')).slice(0, 200);
  if (response.statusCode >= 200 && response.statusCode < 300) return { status: response.statusCode };
  const retryAfter = response.headers['retry-after'];
  if (response.statusCode === 429) {
    throw new SlackWebhookError(`rate limited (429, retry after ${String(retryAfter ?? '?')} s)`, 'Slack throttles this webhook; Lambda retries the message later.', {
      status: 429,
      retryAfter,
    });
  }
  const remedy =
    response.statusCode === 403 || response.statusCode === 404 || response.statusCode === 410
      ? 'The webhook was revoked or its channel archived: create a new incoming webhook and store its URL in the webhook secret.'
      : 'Slack refused the message; Lambda retries it, then it waits in the forwarder dead-letter queue.';
  throw new SlackWebhookError(`HTTP ${response.statusCode} ${text}`.trim(), remedy, { status: response.statusCode, slackError: text });
}
