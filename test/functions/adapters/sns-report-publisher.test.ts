import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { ReportPublishError, SnsReportPublisher } from '../../../functions/adapters/sns-report-publisher';
import type { Notification } from '../../../functions/core/report/report';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:consul-ops-reports';
const notification: Notification = {
  subject: '[HIGH] prod-east: backup failed',
  body: 'body',
  attributes: { severity: 'high', feature: 'backup', cluster: 'prod-east', dedupeKey: 'backup/prod-east/abc', reason: 'failure' },
};

describe('SnsReportPublisher', () => {
  const sns = mockClient(SNSClient);
  beforeEach(() => sns.reset());

  it('publishes Subject, Message and the string attributes', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const publisher = new SnsReportPublisher({ client: new SNSClient({ region: 'eu-west-1' }), topicArn: TOPIC });

    // Act
    const result = await publisher.publish(notification);

    // Assess
    expect(result).toEqual({ messageId: 'm-1' });
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC,
      Subject: notification.subject,
      Message: 'body',
      MessageAttributes: {
        severity: { DataType: 'String', StringValue: 'high' },
        feature: { DataType: 'String', StringValue: 'backup' },
        cluster: { DataType: 'String', StringValue: 'prod-east' },
        dedupeKey: { DataType: 'String', StringValue: 'backup/prod-east/abc' },
        reason: { DataType: 'String', StringValue: 'failure' },
      },
    });
  });

  it.each([
    ['AuthorizationErrorException', /Allow sns:Publish/],
    ['KMSAccessDeniedException', /kms:GenerateDataKey/],
    ['NotFoundException', /topic does not exist/],
    ['ECONNREFUSED', /endpoint is reachable/],
  ])('turns %s into REPORT_PUBLISH_FAILED with a remedy', async (name, remedy) => {
    sns.on(PublishCommand).rejects(Object.assign(new Error('nope'), { name }));
    const publisher = new SnsReportPublisher({ client: new SNSClient({ region: 'eu-west-1' }), topicArn: TOPIC });
    const error = (await publisher.publish(notification).catch((e: unknown) => e)) as ReportPublishError;
    expect(error).toBeInstanceOf(ReportPublishError);
    expect(error.code).toBe('REPORT_PUBLISH_FAILED');
    expect(error.remedy).toMatch(remedy);
    expect(error.context).toEqual({ topicArn: TOPIC, errorName: name });
  });
});
