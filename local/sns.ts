/**
 * A local SNS for tests and the demo: fauxqs 1.9.2 running in this process, with SQS queues as subscribers.
 *
 * fauxqs speaks the real SNS and SQS wire protocols; point an `SNSClient` at `endpoint`. What a subscriber
 * receives is the SNS `Notification` envelope (Subject, Message, MessageAttributes) that SNS delivers to an SQS
 * queue without raw message delivery. It has no authentication and no email, HTTP or Lambda subscriptions.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';
import type { FauxqsServer, startFauxqs } from 'fauxqs';

/** An SNS `Notification` envelope, as delivered to an SQS subscriber. */
export interface SnsNotification {
  readonly Type: 'Notification';
  readonly MessageId: string;
  readonly TopicArn: string;
  readonly Subject?: string;
  readonly Message: string;
  readonly Timestamp: string;
  readonly MessageAttributes?: Readonly<Record<string, { readonly Type: string; readonly Value: string }>>;
}

/** An SQS queue subscribed to a topic. */
export interface QueueSubscription {
  readonly queueUrl: string;
  /**
   * Receives and deletes the notifications waiting in the queue; waits up to `waitSeconds` for the first one.
   * @param waitSeconds SQS long-poll time. @default 2
   */
  receive(waitSeconds?: number): Promise<SnsNotification[]>;
}

/** A running local SNS. */
export interface LocalSns {
  /** Base URL for `new SNSClient({ endpoint })` (any credentials work). */
  readonly endpoint: string;
  /** Region the topics live in; sign requests with it so that ARNs match. */
  readonly region: string;
  /** Creates a topic (idempotent) and returns its ARN. */
  createTopic(name: string): string;
  /** Creates a fresh SQS queue and subscribes it to `topicArn`. */
  subscribeQueue(topicArn: string): QueueSubscription;
  /** Stops the server. Idempotent. */
  stop(): Promise<void>;
}

const REGION = 'us-east-1';

/**
 * Starts fauxqs on a free loopback port.
 *
 * @example
 * const sns = await startLocalSns();
 * const topicArn = sns.createTopic('ops-alerts');
 * const inbox = sns.subscribeQueue(topicArn);
 * await new SNSClient({ endpoint: sns.endpoint, region: sns.region }).send(new PublishCommand({ TopicArn: topicArn, Message: 'hi' }));
 * const [notification] = await inbox.receive();
 * await sns.stop();
 */
export async function startLocalSns(): Promise<LocalSns> {
  const fauxqs = await importFauxqs();
  const server: FauxqsServer = await fauxqs.startFauxqs({ port: 0, logger: false, defaultRegion: REGION });
  let queues = 0;
  let stopped: Promise<void> | undefined;
  return {
    endpoint: server.address,
    region: REGION,
    createTopic: (name) => server.createTopic(name, { region: REGION }).topicArn,
    subscribeQueue(topicArn) {
      const topic = topicArn.slice(topicArn.lastIndexOf(':') + 1);
      const { queueUrl, queueName } = server.createQueue(`${topic}-subscriber-${++queues}`, { region: REGION });
      server.subscribe({ topic, queue: queueName, region: REGION });
      return { queueUrl, receive: (waitSeconds = 2) => receiveNotifications(server.address, queueUrl, waitSeconds) };
    },
    stop() {
      stopped ??= server.stop();
      return stopped;
    },
  };
}

/** ReceiveMessage + DeleteMessageBatch over fauxqs's SQS JSON protocol (it needs no signature). */
async function receiveNotifications(endpoint: string, queueUrl: string, waitSeconds: number): Promise<SnsNotification[]> {
  const sqs = async (operation: string, input: object) => {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${operation}` },
      body: JSON.stringify(input),
    });
    const body = (await response.json()) as Record<string, unknown>;
    if (!response.ok) throw new Error(`SQS ${operation} failed with ${response.status}: ${JSON.stringify(body)}`);
    return body;
  };
  const { Messages = [] } = (await sqs('ReceiveMessage', { QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: waitSeconds })) as {
    Messages?: { MessageId: string; ReceiptHandle: string; Body: string }[];
  };
  if (Messages.length > 0) {
    const Entries = Messages.map((m) => ({ Id: m.MessageId, ReceiptHandle: m.ReceiptHandle }));
    await sqs('DeleteMessageBatch', { QueueUrl: queueUrl, Entries });
  }
  return Messages.map((m) => JSON.parse(m.Body) as SnsNotification);
}

/**
 * Loads fauxqs, an ES module whose `exports` map has no `require` condition, from this CommonJS project.
 *
 * Neither `require` nor a TypeScript-compiled `import()` (which becomes `require`) can load it, and jest replaces
 * both with its own module system. A dynamic `import()` compiled by Node's main context does work, in jest too.
 * Node 20 prints one ExperimentalWarning for `USE_MAIN_CONTEXT_DEFAULT_LOADER`.
 */
async function importFauxqs(): Promise<{ startFauxqs: typeof startFauxqs }> {
  let dir = __dirname;
  while (!existsSync(join(dir, 'node_modules', 'fauxqs', 'package.json'))) {
    if (dirname(dir) === dir) throw new Error('fauxqs is not installed: run npm ci');
    dir = dirname(dir);
  }
  const packageDir = join(dir, 'node_modules', 'fauxqs');
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
    exports: { '.': { import: { default: string } } };
  };
  const entry = pathToFileURL(join(packageDir, manifest.exports['.'].import.default)).href;
  const dynamicImport = vm.runInThisContext('(specifier) => import(specifier)', {
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  }) as (specifier: string) => Promise<{ startFauxqs: typeof startFauxqs }>;
  return dynamicImport(entry);
}
