import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { parseDeployConfig } from '../../../lib/config/deploy-config';
import { SharedStack } from '../../../lib/stacks/shared-stack';
import { CLUSTERS_PER_GRAPH, DASHBOARD_LIMITS } from '../../../lib/constructs/overview-dashboard';
import { buildTestApp, CDK_JSON_CONTEXT, dashboardOf, defaultConfig, extraCluster, viaService, type Json } from '../test-app';

const SLACK_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:consul-ops/slack-webhook-AbCdEf';
const SLACK_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const ALARM_TOPIC = { Ref: Match.stringLikeRegexp('^MonitoringAlarmTopic') };
const FROM_OUR_ALARMS = {
  StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
  ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':alarm:ConsulOps-*']] } },
};

function fullConfig() {
  const config = defaultConfig();
  config.notifications = { emails: ['ops@example.com'], slackWebhookSecretArn: SLACK_SECRET, slackWebhookKmsKeyArn: SLACK_KEY };
  return config;
}

describe('Monitoring (shared stack)', () => {
  const { sharedTemplate: template } = buildTestApp(fullConfig());

  it('sends alarms to their own encrypted, TLS-only topic that only this deployment\'s alarms may publish to', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { DisplayName: 'consul-ops alarms', KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] } });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [ALARM_TOPIC],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          { Sid: 'AllowCloudWatchAlarms', Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish', Resource: ALARM_TOPIC, Condition: FROM_OUR_ALARMS },
        ]),
      },
    });
  });

  it('lets CloudWatch use the key for this deployment\'s alarms only (aws:SourceAccount and aws:SourceArn), once', () => {
    const [key] = Object.values(template.findResources('AWS::KMS::Key')) as Json[];
    const forCloudWatch = key.Properties.KeyPolicy.Statement.filter((s: Json) => s.Principal?.Service === 'cloudwatch.amazonaws.com');
    expect(forCloudWatch).toEqual([{ Sid: 'AllowCloudWatchAlarmsToPublishToEncryptedTopic', Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: '*', Condition: FROM_OUR_ALARMS }]);
  });

  it('subscribes e-mail to reports with the severity filter and to alarms without one (alarms carry no severity attribute)', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com', FilterPolicy: { severity: ['critical', 'high'] }, TopicArn: { Ref: Match.stringLikeRegexp('^ReportsTopic') } });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com', FilterPolicy: Match.absent(), TopicArn: ALARM_TOPIC });
  });

  it('forwards both topics to Slack, unfiltered, with an on-failure queue and SNS redrive', () => {
    for (const topic of [{ Ref: Match.stringLikeRegexp('^ReportsTopic') }, ALARM_TOPIC]) {
      template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'lambda', TopicArn: topic, FilterPolicy: Match.absent(), RedrivePolicy: Match.objectLike({ deadLetterTargetArn: Match.anyValue() }) });
    }
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 2, DestinationConfig: { OnFailure: { Destination: Match.anyValue() } } });
  });

  it('lets the forwarder read only the webhook secret, decrypting it through Secrets Manager with its key', () => {
    const [role] = Object.values(template.findResources('AWS::IAM::Role', { Properties: { Description: 'consul-ops Slack forwarder' } })) as Json[];
    const statements = role.Properties.Policies[0].PolicyDocument.Statement as Json[];
    expect(statements).toContainEqual({ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: SLACK_SECRET });
    expect(statements).toContainEqual({ Effect: 'Allow', Action: 'kms:Decrypt', Resource: SLACK_KEY, Condition: viaService('secretsmanager') });
  });

  it('alarms on the forwarder\'s errors, throttles and dead letters', () => {
    const names = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a: Json) => a.Properties.AlarmName).sort();
    expect(names).toEqual(['ConsulOps-slack-forwarder-dead-letters', 'ConsulOps-slack-forwarder-errors', 'ConsulOps-slack-forwarder-throttles']);
  });

  it('writes the bucket, key and topics to SSM for the cluster stacks, and outputs them', () => {
    for (const name of ['backup-bucket-name', 'backup-bucket-arn', 'encryption-key-arn', 'report-topic-arn', 'alarm-topic-arn']) {
      template.hasResourceProperties('AWS::SSM::Parameter', { Name: `/consul-ops/ConsulOps/${name}`, Type: 'String' });
    }
    template.hasOutput('BackupBucketName', { Value: { Ref: Match.stringLikeRegexp('^BackupsBucket') } });
    template.hasOutput('ReportTopicArn', { Value: { Ref: Match.stringLikeRegexp('^ReportsTopic') } });
  });

  it('creates no Slack forwarder and no e-mail subscriptions by default', () => {
    const plain = buildTestApp().sharedTemplate;
    plain.resourceCountIs('AWS::SNS::Subscription', 0);
    plain.resourceCountIs('AWS::Lambda::Function', 0);
  });
});

describe('Overview dashboard', () => {
  it('shows every cluster\'s health alarm and backup graphs within CloudWatch\'s limits, at 100 clusters', () => {
    // Prepare
    const config = defaultConfig();
    for (let i = 1; i < 100; i++) config.clusters.push(extraCluster(`c${i}`, i.toString(16).padStart(2, '0')));

    // Act: the shared stack alone (synthesizing the 100 cluster stacks too would only add time).
    const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
    const sharedTemplate = Template.fromStack(new SharedStack(app, 'ConsulOps', { config: parseDeployConfig(config) }));

    // Assess
    const [dashboard] = Object.values(sharedTemplate.findResources('AWS::CloudWatch::Dashboard')) as Json[];
    expect(dashboard.Properties.DashboardName).toBe('ConsulOps-consul-ops');
    const { widgets, metrics } = dashboardOf(dashboard);
    const statusWidgets = widgets.filter((w) => w.type === 'alarm');
    expect(statusWidgets.flatMap((w) => w.properties.alarms)).toHaveLength(100);
    for (const w of statusWidgets) expect(w.properties.alarms.length).toBeLessThanOrEqual(DASHBOARD_LIMITS.alarmsPerStatusWidget);
    expect(statusWidgets.flatMap((w) => w.properties.alarms).every((a: string) => /:alarm:ConsulOps-(demo|c\d+)-health$/.test(a))).toBe(true);
    const graphs = widgets.filter((w) => w.type === 'metric');
    for (const g of graphs) expect(g.properties.metrics.length).toBeLessThanOrEqual(Math.min(DASHBOARD_LIMITS.metricsPerGraph, 2 * CLUSTERS_PER_GRAPH));
    expect(metrics.filter((m) => m.name).length).toBeLessThanOrEqual(DASHBOARD_LIMITS.metricsPerDashboard);
    expect(widgets.length).toBeLessThanOrEqual(DASHBOARD_LIMITS.widgetsPerDashboard);
    expect(new Set(metrics.filter((m) => m.name === 'BackupFailure').map((m) => m.dimensions.Cluster)).size).toBe(100);
  });
});
