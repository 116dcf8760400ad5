/**
 * The Slack forwarder end to end: the real handler, the Secrets Manager fake (wire level) holding the webhook URL, and
 * a loopback `node:http` server standing in for Slack's incoming webhook.
 */
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SNSEvent } from 'aws-lambda';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSecretsManagerFake, type SecretsManagerFake } from '../../../local/secrets-manager-fake';
import { postSlackMessage, webhookUrlSource } from '../../../functions/adapters/slack-webhook';
import { createReport, formatNotification } from '../../../functions/core/report/report';
import { SLACK_COLORS, type SlackPayload } from '../../../functions/core/report/slack-message';
import { handler } from '../../../functions/handlers/slack-forwarder';

interface Received {
  readonly path: string;
  readonly contentType?: string;
  readonly payload: SlackPayload;
}

/** The stand-in webhook: answers each POST with the next queued status (200 when the queue is empty). */
class FakeWebhook {
  readonly received: Received[] = [];
  readonly answers: { status: number; headers?: Record<string, string>; hang?: boolean }[] = [];
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        this.received.push({ path: req.url ?? '', contentType: req.headers['content-type'], payload: JSON.parse(body) as SlackPayload });
        const answer = this.answers.shift() ?? { status: 200 };
        if (answer.hang) return;
        res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
        res.end(answer.status === 200 ? 'ok' : 'internal_error');
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/services/T0000/B0000/SECRETxyz123`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const webhook = new FakeWebhook();
let secrets: SecretsManagerFake;
let secretArn: string;
const savedEnv = { ...process.env };
let output: string[] = [];
let restoreOutput: () => void;

/** Captures everything written to stdout and stderr (where the Powertools logger writes). */
function captureOutput(): () => void {
  const spies = [process.stdout, process.stderr].map((stream) =>
    jest.spyOn(stream, 'write').mockImplementation(((chunk: string | Uint8Array) => {
      output.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    }) as typeof stream.write),
  );
  return () => spies.forEach((s) => s.mockRestore());
}

beforeAll(async () => {
  await webhook.start();
  secrets = await startSecretsManagerFake();
  const client = new SecretsManagerClient({ endpoint: secrets.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  ({ ARN: secretArn = '' } = await client.send(new CreateSecretCommand({ Name: 'consul-ops/slack-webhook', SecretString: webhook.url })));
  client.destroy();
  Object.assign(process.env, {
    SLACK_WEBHOOK_SECRET_ARN: secretArn,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
});
afterAll(async () => {
  process.env = savedEnv;
  await webhook.stop();
  await secrets.stop();
});
beforeEach(() => {
  output = [];
  webhook.received.length = 0;
  webhook.answers.length = 0;
  restoreOutput = captureOutput();
});
afterEach(() => {
  restoreOutput();
  // Invariant of every test: the webhook URL (a credential) never reaches the logs.
  expect(output.join('')).not.toContain('SECRETxyz123');
  expect(output.join('')).not.toContain('/services/T0000');
});

function snsEvent(subject: string | null, message: string, attributes: Record<string, string> = {}): SNSEvent {
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: 'arn:aws:sns:us-east-1:123456789012:reports:sub',
        Sns: {
          Type: 'Notification',
          MessageId: 'm-1',
          TopicArn: 'arn:aws:sns:us-east-1:123456789012:reports',
          Subject: subject as string,
          Message: message,
          Timestamp: '2026-03-05T10:00:00.000Z',
          SignatureVersion: '1',
          Signature: '',
          SigningCertUrl: '',
          UnsubscribeUrl: '',
          MessageAttributes: Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, { Type: 'String', Value: v }])),
        },
      },
    ],
  };
}

function reportEvent(): SNSEvent {
  const report = createReport({
    feature: 'intentions',
    cluster: 'prod-east',
    title: '2 intention drifts',
    summary: ['Compared 40 intentions with the baseline.'],
    findings: [
      { id: 'web->db', check: 'intention-drift', severity: 'critical', subject: 'web -> db', message: 'allow <all> instead of deny', remedy: 'Re-apply the baseline.' },
      { id: 'api->cache', check: 'intention-drift', severity: 'medium', subject: 'api -> cache', message: 'missing', remedy: 'Re-apply the baseline.' },
    ],
    reportUrl: 's3://bucket/reports/prod-east/intentions/20260305T100000.000Z.json',
    occurredAt: '2026-03-05T10:00:00.000Z',
  });
  const n = formatNotification(report, { reason: 'new' });
  return snsEvent(n.subject, n.body, { ...n.attributes });
}

describe('slack-forwarder handler', () => {
  it('posts a Block Kit message with the severity colour, cluster, feature, title and top findings', async () => {
    // Act
    const result = await handler(reportEvent());

    // Assess
    expect(result).toEqual({ forwarded: 1 });
    expect(webhook.received).toHaveLength(1);
    const { path, contentType, payload } = webhook.received[0];
    expect(path).toBe('/services/T0000/B0000/SECRETxyz123');
    expect(contentType).toMatch(/^application\/json/);
    expect(payload.text).toBe('[CRITICAL] prod-east: 2 intention drifts');
    const [attachment] = payload.attachments;
    expect(attachment.color).toBe(SLACK_COLORS.critical);
    expect(attachment.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: '[CRITICAL] prod-east: 2 intention drifts' } });
    expect(attachment.blocks[1]).toEqual({
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: '*Cluster*\nprod-east' },
        { type: 'mrkdwn', text: '*Feature*\nintentions' },
        { type: 'mrkdwn', text: '*Severity*\ncritical' },
        { type: 'mrkdwn', text: '*Why now*\nnew' },
      ],
    });
    const texts = attachment.blocks.map((b) => JSON.stringify(b)).join('\n');
    expect(texts).toContain('*Findings: 2 (1 critical, 1 medium)*');
    expect(texts).toContain('1. [CRITICAL] intention-drift: web -&gt; db');
    expect(texts).toContain('allow &lt;all&gt; instead of deny'); // Slack control characters are escaped
    expect(texts).toContain('Full report: s3://bucket/reports/prod-east/intentions/20260305T100000.000Z.json');
    expect(output.join('')).toContain('forwarded to Slack');
  });

  it('throws on a 500 (so Lambda retries) and delivers on the retry', async () => {
    // Prepare
    webhook.answers.push({ status: 500 });

    // Act + Assess
    await expect(handler(reportEvent())).rejects.toMatchObject({ code: 'SLACK_WEBHOOK_FAILED', message: 'posting to the Slack webhook failed: HTTP 500 internal_error' });
    await expect(handler(reportEvent())).resolves.toEqual({ forwarded: 1 });
    expect(webhook.received).toHaveLength(2);
    expect(output.join('')).toContain('Slack forward failed');
  });

  it('throws on a 429 with the Retry-After it got', async () => {
    webhook.answers.push({ status: 429, headers: { 'retry-after': '30' } });
    await expect(handler(reportEvent())).rejects.toThrow('rate limited (429, retry after 30 s)');
  });

  it('forwards a CloudWatch alarm state change from the alarm topic', async () => {
    // Prepare
    const alarm = { AlarmName: 'ConsulOps-prod-east-no-recent-backup', AlarmDescription: 'No successful backup in 2 h.', NewStateValue: 'OK', OldStateValue: 'ALARM', NewStateReason: 'Threshold crossed', StateChangeTime: '2026-03-05T10:00:00.000+0000' };

    // Act
    await handler(snsEvent('OK: "ConsulOps-prod-east-no-recent-backup" in EU (Ireland)', JSON.stringify(alarm)));

    // Assess
    const [attachment] = webhook.received[0].payload.attachments;
    expect(attachment.color).toBe(SLACK_COLORS.resolved);
    expect(attachment.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'OK: ConsulOps-prod-east-no-recent-backup' } });
    expect(JSON.stringify(attachment.blocks)).toContain('ALARM -&gt; OK');
  });
});

describe('postSlackMessage', () => {
  const payload: SlackPayload = { text: 't', attachments: [{ color: '#000000', fallback: 't', blocks: [] }] };

  it('times out a webhook that does not answer, without the URL in the error', async () => {
    webhook.answers.push({ status: 200, hang: true });
    const error = await postSlackMessage(webhook.url, payload, { timeoutMs: 200 }).catch((e: unknown) => e as Error);
    expect(error).toMatchObject({ code: 'SLACK_WEBHOOK_FAILED', message: 'posting to the Slack webhook failed: no answer within 200 ms' });
    expect(JSON.stringify({ ...error, message: (error as Error).message, stack: (error as Error).stack })).not.toContain('SECRETxyz123');
  });

  it('reports a refused connection by its code only', async () => {
    const closed = webhook.url.replace(/:\d+\//, ':1/');
    const error = (await postSlackMessage(closed, payload).catch((e: unknown) => e)) as Error & { context: object };
    expect(error.message).toBe('posting to the Slack webhook failed: network error ECONNREFUSED');
    expect(JSON.stringify(error.context)).not.toContain('SECRETxyz123');
  });
});

describe('webhookUrlSource', () => {
  it('reads the secret once per container within the TTL, again after it or after invalidate()', async () => {
    // Prepare
    let now = 0;
    const send = jest.fn().mockResolvedValue({ SecretString: JSON.stringify({ webhookUrl: 'https://hooks.slack.com/services/T1/B1/abc' }) });
    const source = webhookUrlSource({ send } as unknown as SecretsManagerClient, secretArn, { ttlMs: 1000, now: () => now });

    // Act
    const urls = [await source.get(), await source.get()];
    now = 1500;
    await source.get();
    source.invalidate();
    await source.get();

    // Assess
    expect(urls).toEqual(['https://hooks.slack.com/services/T1/B1/abc', 'https://hooks.slack.com/services/T1/B1/abc']);
    expect(send).toHaveBeenCalledTimes(3);
  });

  it('refuses a secret that holds no https URL without echoing its value', async () => {
    const send = jest.fn().mockResolvedValue({ SecretString: 'http://hooks.example.com/not-loopback-SECRET' });
    const source = webhookUrlSource({ send } as unknown as SecretsManagerClient, secretArn);
    const error = (await source.get().catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'SLACK_WEBHOOK_SECRET_INVALID' });
    expect(error.message).not.toContain('SECRET');
  });
});
