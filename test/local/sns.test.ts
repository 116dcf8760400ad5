import { GetTopicAttributesCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { startLocalSns, type LocalSns } from '../../local/sns';

let sns: LocalSns;
let client: SNSClient;

beforeAll(async () => {
  sns = await startLocalSns();
  client = new SNSClient({
    endpoint: sns.endpoint,
    region: sns.region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
});
afterAll(async () => {
  client.destroy();
  await sns.stop();
});

describe('startLocalSns', () => {
  it('delivers a publish with Subject and MessageAttributes to a subscribed queue as a Notification envelope', async () => {
    // Prepare
    const topicArn = sns.createTopic('ops-alerts');
    const inbox = sns.subscribeQueue(topicArn);

    // Act
    const { MessageId } = await client.send(new PublishCommand({
      TopicArn: topicArn,
      Subject: '[CRITICAL] consul-prod: 3 intention drifts',
      Message: 'body line 1\nbody line 2',
      MessageAttributes: {
        severity: { DataType: 'String', StringValue: 'critical' },
        cluster: { DataType: 'String', StringValue: 'consul-prod' },
      },
    }));
    const received = await inbox.receive();

    // Assess
    expect(received).toEqual([
      expect.objectContaining({
        Type: 'Notification',
        MessageId,
        TopicArn: topicArn,
        Subject: '[CRITICAL] consul-prod: 3 intention drifts',
        Message: 'body line 1\nbody line 2',
        MessageAttributes: {
          severity: { Type: 'String', Value: 'critical' },
          cluster: { Type: 'String', Value: 'consul-prod' },
        },
      }),
    ]);
    expect(await inbox.receive(0)).toEqual([]);
  });

  it('fans a publish out to every subscribed queue and creates topics idempotently', async () => {
    const topicArn = sns.createTopic('fan-out');
    expect(sns.createTopic('fan-out')).toBe(topicArn);
    const [a, b] = [sns.subscribeQueue(topicArn), sns.subscribeQueue(topicArn)];

    await client.send(new PublishCommand({ TopicArn: topicArn, Message: 'one' }));

    expect((await a.receive()).map((n) => n.Message)).toEqual(['one']);
    expect((await b.receive()).map((n) => n.Message)).toEqual(['one']);
  });

  it('answers the SNS API for topics it created and rejects unknown topics', async () => {
    const topicArn = sns.createTopic('described');

    const { Attributes } = await client.send(new GetTopicAttributesCommand({ TopicArn: topicArn }));
    const missing = client.send(new PublishCommand({ TopicArn: `${topicArn}-missing`, Message: 'x' }));

    expect(Attributes?.TopicArn).toBe(topicArn);
    await expect(missing).rejects.toMatchObject({ name: 'NotFoundException' });
  });

  it('stop is idempotent', async () => {
    const other = await startLocalSns();
    await other.stop();
    await expect(other.stop()).resolves.toBeUndefined();
  });
});
