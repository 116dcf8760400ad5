import { ArnFormat, Aws, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { createNotifyingAlarm } from './notifying-alarm';
import { buildOverviewDashboard } from './overview-dashboard';
import { SlackForwarder } from './slack-forwarder';

/** What CloudWatch alarms need on the key to publish to an encrypted topic (per the CloudWatch docs). */
export const CLOUDWATCH_KEY_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey*'] as const;

/** Properties of {@link Monitoring}. */
export interface MonitoringProps {
  /** The deployment's stack name prefix: every alarm name of the deployment starts with `<prefix>-`. */
  readonly stackNamePrefix: string;
  /** The report topic (Slack gets it too). */
  readonly reportTopic: sns.ITopic;
  /** The key of the report topic, which also encrypts the alarm topic (created in this app). */
  readonly encryptionKey: kms.Key;
  /** Every cluster, for the overview dashboard. */
  readonly clusterNames: readonly string[];
  /**
   * Addresses that get every alarm (the alarm topic has no severity filter).
   * @default - no e-mail subscriptions
   */
  readonly alarmEmails?: readonly string[];
  /**
   * Secret holding the Slack webhook URL; with it, a forwarder posts every report and alarm to Slack.
   * @default - no Slack forwarder
   */
  readonly slackWebhookSecretArn?: string;
  /**
   * Customer-managed key of the webhook secret (the forwarder gets `kms:Decrypt` through Secrets Manager).
   * @default - the secret uses the AWS managed key
   */
  readonly slackWebhookKmsKeyArn?: string;
}

/**
 * The deployment-wide part of monitoring, in the shared stack:
 * - the alarm topic (same key as the report topic): CloudWatch alarm notifications carry no `severity` attribute, so
 *   the severity-filtered e-mail subscriptions of the report topic would drop them; the alarm topic is subscribed
 *   without a filter instead. Only alarms of this deployment (`<prefix>-*`, this account and Region) may publish;
 * - the Slack forwarder (optional) on both topics, with its own alarms;
 * - the overview dashboard `<prefix>-consul-ops`.
 * The alarms and dashboard of each cluster are in its own stack (ClusterMonitoring).
 */
export class Monitoring extends Construct {
  /** Where alarms go (alarm and OK actions). */
  readonly alarmTopic: sns.Topic;
  /** The alarms of this stack (the Slack forwarder's). */
  readonly alarms: cloudwatch.Alarm[] = [];
  /** The Slack forwarder, when configured. */
  readonly slackForwarder?: SlackForwarder;
  /** The overview dashboard. */
  readonly dashboard: cloudwatch.Dashboard;
  private readonly prefix: string;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.prefix = props.stackNamePrefix;
    this.alarmTopic = this.createAlarmTopic(props.encryptionKey);
    for (const email of props.alarmEmails ?? []) this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(email));
    if (props.slackWebhookSecretArn !== undefined) {
      const forwarder = new SlackForwarder(this, 'SlackForwarder', {
        webhookSecretArn: props.slackWebhookSecretArn,
        webhookKmsKeyArn: props.slackWebhookKmsKeyArn,
        topics: [props.reportTopic, this.alarmTopic],
      });
      this.slackForwarder = forwarder;
      const period = Duration.minutes(5);
      this.addAlarm('slack-forwarder-errors', forwarder.function.metricErrors({ period, statistic: 'Sum' }), 'The Slack forwarder failed to post (see its log group); Lambda retries, then the message waits in its dead-letter queue.');
      this.addAlarm('slack-forwarder-throttles', forwarder.function.metricThrottles({ period, statistic: 'Sum' }), 'The Slack forwarder was throttled: the account concurrency is exhausted.');
      this.addAlarm('slack-forwarder-dead-letters', forwarder.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }), 'Slack messages gave up after their retries and wait in the forwarder dead-letter queue: fix the webhook, then redrive them.');
    }
    this.dashboard = buildOverviewDashboard(this, 'Dashboard', {
      dashboardName: `${props.stackNamePrefix}-consul-ops`,
      stackNamePrefix: props.stackNamePrefix,
      clusterNames: props.clusterNames,
      sharedAlarms: this.alarms,
    });
  }

  /** ARN pattern of every alarm of this deployment: `<prefix>-*` in this account and Region. */
  alarmArnPattern(): string {
    return Stack.of(this).formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: `${this.prefix}-*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  }

  private createAlarmTopic(key: kms.Key): sns.Topic {
    const topic = new sns.Topic(this, 'AlarmTopic', { displayName: 'consul-ops alarms', masterKey: key, enforceSSL: true });
    // Confused-deputy guard on both statements: CloudWatch acting for alarms of this deployment only.
    const fromOurAlarms = { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID }, ArnLike: { 'aws:SourceArn': this.alarmArnPattern() } };
    // The topic policy replaces SNS's default one: let CloudWatch alarms of this deployment publish explicitly.
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarms',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: fromOurAlarms,
      }),
    );
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublishToEncryptedTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: [...CLOUDWATCH_KEY_ACTIONS],
        // In a key policy "*" means this key.
        resources: ['*'],
        conditions: fromOurAlarms,
      }),
    );
    return topic;
  }

  private addAlarm(name: string, metric: cloudwatch.IMetric, description: string): void {
    this.alarms.push(createNotifyingAlarm(this, name, { alarmName: `${this.prefix}-${name}`, description, metric, topic: this.alarmTopic }));
  }

}
