import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import { buildConsulOpsApp } from '../../lib/consul-ops-app';
import { deadMansWindow } from '../../lib/constructs/monitoring';
import { longestScheduleGap } from '../../lib/constructs/schedule-interval';
import { secretNameOf } from '../../functions/handlers/rotate-token';
import { buildTestStack, CDK_JSON_CONTEXT, defaultConfig, extraCluster } from './test-app';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const SLACK_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:consul-ops/slack-webhook-AbCdEf';
const ALARM_TOPIC = { Ref: Match.stringLikeRegexp('^MonitoringAlarmTopic') };
/** The same, for plain jest matchers. */
const ALARM_TOPIC_REF = { Ref: expect.stringMatching(/^MonitoringAlarmTopic/) };
const HOUR_MS = 3_600_000;

/** The config with e-mails, Slack and a second cluster on a daily cron. */
function fullConfig() {
  const config = defaultConfig();
  config.clusters.push({ ...extraCluster('west', 'a1'), backup: { schedule: 'cron(0 2 * * ? *)', timeZone: 'Europe/Berlin' } });
  config.notifications = { emails: ['ops@example.com'], slackWebhookSecretArn: SLACK_SECRET };
  return config;
}

const WEB_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:consul/demo/web-AbCdEf';
const MGMT_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:consul/demo/management-token-AbCdEf';

/** The default config (certificate checks and intention audits on) with rotation of one token and the management token. */
function rotationConfig() {
  const config = defaultConfig();
  config.clusters[0].rotation = { tokens: [{ secretArn: WEB_SECRET }], rotateManagementToken: true };
  return config;
}

/** One graphed metric of the dashboard: its name and dimensions (`[namespace, name, dim, value, …, options?]`). */
interface GraphedMetric {
  readonly widget: string;
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Record<string, string>;
  readonly expression?: string;
}

/** The dashboard body parsed (tokens such as the region become `TOKEN`), as widget titles and graphed metrics. */
function dashboardOf(template: Template): { titles: string[]; metrics: GraphedMetric[] } {
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard')) as Json[];
  const body = dashboard.Properties.DashboardBody;
  const text = typeof body === 'string' ? body : body['Fn::Join'][1].map((p: Json) => (typeof p === 'string' ? p : 'TOKEN')).join('');
  const widgets = JSON.parse(text).widgets as Json[];
  const metrics = widgets.flatMap((w) =>
    ((w.properties.metrics ?? []) as Json[][]).flatMap((row) => {
      const options = typeof row[row.length - 1] === 'object' ? row[row.length - 1] : {};
      const fields = row.filter((f) => typeof f === 'string');
      if (fields.length < 2) return options.expression ? [{ widget: w.properties.title, namespace: '', name: '', dimensions: {}, expression: options.expression }] : [];
      const dimensions: Record<string, string> = {};
      for (let i = 2; i + 1 < fields.length; i += 2) dimensions[fields[i]] = fields[i + 1];
      return [{ widget: w.properties.title, namespace: fields[0], name: fields[1], dimensions }];
    }),
  );
  return { titles: widgets.map((w) => w.properties.title).filter(Boolean), metrics };
}

function alarms(template: Template): Json[] {
  return Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a: Json) => a.Properties);
}

describe('Monitoring', () => {
  const { stack, template } = buildTestStack(fullConfig());

  it('sends alarms to their own encrypted, TLS-only topic that CloudWatch may publish to', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { DisplayName: 'consul-ops alarms', KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] } });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [ALARM_TOPIC],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Sid: 'AllowCloudWatchAlarms', Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish', Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } }),
        ]),
      },
    });
  });

  it('subscribes e-mail to reports with the severity filter and to alarms without one (alarms carry no severity attribute)', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: Match.stringLikeRegexp('^ReportsTopic') }, FilterPolicy: { severity: ['critical', 'high'] } });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: ALARM_TOPIC, FilterPolicy: Match.absent() });
  });

  it('arms a dead-man switch per cluster at twice the schedule interval, breaching on missing data', () => {
    const deadMan = (cluster: string) => ({
      AlarmName: `Test-${cluster}-no-recent-backup`,
      Namespace: 'ConsulOps',
      MetricName: 'BackupSuccess',
      Dimensions: Match.arrayWith([{ Name: 'Cluster', Value: cluster }, { Name: 'service', Value: 'consul-ops-take-snapshot' }]),
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      AlarmActions: [ALARM_TOPIC],
      OKActions: [ALARM_TOPIC],
    });
    // rate(1 hour) → one 2-hour period; cron(0 2 * * ? *) → two daily periods, both without a success.
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { ...deadMan('demo'), Period: 7200, EvaluationPeriods: 1 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { ...deadMan('west'), Period: 86400, EvaluationPeriods: 2 });
  });

  it('alarms on errors and throttles of every function in the stack, into the alarm topic', () => {
    const functions = Object.keys(template.findResources('AWS::Lambda::Function'));
    expect(functions.length).toBeGreaterThanOrEqual(3); // 2 take-snapshot + Slack forwarder (+ whatever else the stack has)
    for (const fn of functions) {
      for (const metric of ['Errors', 'Throttles']) {
        const alarm = alarms(template).find((a) => a.Namespace === 'AWS/Lambda' && a.MetricName === metric && a.Dimensions?.[0]?.Value?.Ref === fn);
        expect(alarm).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', Statistic: 'Sum', Period: 300, AlarmActions: [ALARM_TOPIC_REF] });
      }
    }
  });

  it('alarms on the depth of every dead-letter queue', () => {
    const queues = Object.keys(template.findResources('AWS::SQS::Queue'));
    expect(queues.length).toBeGreaterThanOrEqual(3);
    for (const queue of queues) {
      const alarm = alarms(template).find((a) => a.MetricName === 'ApproximateNumberOfMessagesVisible' && a.Dimensions?.[0]?.Value?.['Fn::GetAtt']?.[0] === queue);
      expect(alarm).toMatchObject({ Threshold: 1, Statistic: 'Maximum', AlarmActions: [ALARM_TOPIC_REF] });
    }
  });

  it('alarms when a backup function cannot publish its report', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'Test-demo-report-failed', MetricName: 'ReportFailure', Namespace: 'ConsulOps', ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
  });

  it('lets each backup function read and write only its own state/ and reports/ prefixes', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Json[];
    const demo = policies.find((p) => p.Properties.PolicyName.startsWith('MonitoringReportAccessdemo'));
    expect(demo.Properties.Roles).toEqual([{ Ref: expect.stringMatching(/^ClusterdemoFunctionRole/) }]);
    const bucket = { 'Fn::GetAtt': [expect.stringMatching(/^BackupsBucket/), 'Arn'] };
    expect(demo.Properties.PolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject'],
        Resource: [{ 'Fn::Join': ['', [bucket, '/reports/demo/*']] }, { 'Fn::Join': ['', [bucket, '/state/demo/*']] }],
      },
      { Effect: 'Allow', Action: 's3:ListBucket', Resource: bucket, Condition: { StringLike: { 's3:prefix': ['state/demo/*'] } } },
      {
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] },
        Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } } },
      },
    ]);
    expect(JSON.stringify(demo)).not.toContain('/west/');
  });

  it('forwards both topics to Slack, unfiltered, with Lambda retries, an on-failure queue and SNS redrive', () => {
    const forwarder = { 'Fn::GetAtt': [Match.stringLikeRegexp('^MonitoringSlackForwarderFunction'), 'Arn'] };
    const dlq = { 'Fn::GetAtt': [Match.stringLikeRegexp('^MonitoringSlackForwarderDeadLetterQueue'), 'Arn'] };
    for (const topic of [{ Ref: Match.stringLikeRegexp('^ReportsTopic') }, ALARM_TOPIC]) {
      template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'lambda', Endpoint: forwarder, TopicArn: topic, FilterPolicy: Match.absent(), RedrivePolicy: { deadLetterTargetArn: dlq } });
    }
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: { SLACK_WEBHOOK_SECRET_ARN: SLACK_SECRET, POWERTOOLS_SERVICE_NAME: 'consul-ops-slack-forwarder' } }, VpcConfig: Match.absent() });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: Match.stringLikeRegexp('^MonitoringSlackForwarderFunction') },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 21600,
      DestinationConfig: { OnFailure: { Destination: dlq } },
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'sqs:SendMessage', Principal: { Service: 'sns.amazonaws.com' } })]) },
    });
  });

  it('lets the forwarder read only the webhook secret (the URL is never in the template)', () => {
    const roles = Object.values(template.findResources('AWS::IAM::Role')) as Json[];
    const role = roles.find((r) => r.Properties.Description === 'consul-ops Slack forwarder');
    const statements = role.Properties.Policies.flatMap((p: Json) => p.PolicyDocument.Statement);
    expect(statements).toContainEqual({ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: SLACK_SECRET });
    expect(JSON.stringify(template.toJSON())).not.toContain('hooks.slack.com');
  });

  it('builds one dashboard: backup age by metric math, size, duration, retention and alarm status', () => {
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard')) as Json[];
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    expect(dashboard.Properties.DashboardName).toBe('Test-consul-ops');
    expect(body).toContain('(EPOCH(FILL(last0, REPEAT)) + PERIOD(last0) - FILL(last0, REPEAT)) / 3600');
    for (const metric of ['LastSuccessTimestamp', 'SnapshotBytes', 'SnapshotDuration', 'BackupsKept', 'BackupsDeleted', 'BackupFailure']) expect(body).toContain(metric);
    expect(body).toContain('\\"type\\":\\"alarm\\"');
    expect(body).toContain('no-recent-backup');
  });

  it.each([
    ['cron(0 L/2 * * ? *)', 'assumes daily runs'],
    ['cron(0 2 L * ? *)', 'capped at CloudWatch'],
  ])('warns about the dead-man switch of %s (%s)', (schedule, warning) => {
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('no-backup alarm'));
    const config = defaultConfig();
    config.clusters[0].backup = { schedule };
    Annotations.fromStack(buildTestStack(config).stack).hasWarning('/Test/Cluster-demo', Match.stringLikeRegexp(warning));
  });

  it('creates no Slack forwarder and no alarm e-mails by default', () => {
    const { template: plain } = buildTestStack();
    plain.resourceCountIs('AWS::SNS::Subscription', 0);
    expect(Object.values(plain.findResources('AWS::IAM::Role')).some((r: Json) => r.Properties.Description === 'consul-ops Slack forwarder')).toBe(false);
    plain.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});

describe('Monitoring dashboard', () => {
  const { metrics, titles } = dashboardOf(buildTestStack(rotationConfig()).template);
  const named = (name: string) => metrics.filter((m) => m.name === name);

  it('graphs the minimum certificate days left per kind and the stale leaves, with the check-certs service dimension', () => {
    for (const name of ['CertMinDaysLeftCaRoot', 'CertMinDaysLeftLeaf', 'CertMinDaysLeftProxy', 'CertMinDaysLeftEndpoint', 'ProxiesServingStaleLeaves']) {
      expect(named(name)).toEqual([expect.objectContaining({ namespace: 'ConsulOps', dimensions: { Cluster: 'demo', service: 'consul-ops-check-certs' } })]);
    }
  });

  it('graphs intention findings per severity with the dimension set the audit emits (service, Cluster, Severity) and the default allow', () => {
    const findings = named('IntentionFindings');
    expect(findings.map((m) => m.dimensions.Severity)).toEqual(['info', 'low', 'medium', 'high', 'critical']);
    for (const m of findings) expect(m.dimensions).toEqual({ Cluster: 'demo', Severity: m.dimensions.Severity, service: 'consul-ops-audit-intentions' });
    expect(named('IntentionDefaultAllow')).toEqual([expect.objectContaining({ dimensions: { Cluster: 'demo', service: 'consul-ops-audit-intentions' } })]);
  });

  it('graphs the days since the last rotation of every rotated secret, by the names rotate-token emits', () => {
    const rotations = named('LastRotationTimestamp');
    expect(rotations.map((m) => m.dimensions)).toEqual([WEB_SECRET, MGMT_SECRET].map((arn) => ({ Cluster: 'demo', Secret: secretNameOf(arn), service: 'consul-ops-rotate-token' })));
    expect(rotations.map((m) => m.dimensions.Secret)).toEqual(['consul/demo/web', 'consul/demo/management-token']);
    const expressions = metrics.filter((m) => m.widget === rotations[0].widget && m.expression).map((m) => m.expression);
    expect(expressions).toEqual(['(EPOCH(FILL(rot0, REPEAT)) + PERIOD(rot0) - FILL(rot0, REPEAT)) / 86400', '(EPOCH(FILL(rot1, REPEAT)) + PERIOD(rot1) - FILL(rot1, REPEAT)) / 86400']);
    expect(titles).toContain('Token rotation: days since the last successful rotation');
  });

  it('leaves out the rotation widget without rotation, and the certificate and intention widgets when they are turned off', () => {
    // Prepare
    const config = defaultConfig();
    config.clusters[0].certificates = { enabled: false };
    config.clusters[0].intentions = { enabled: false };

    // Act
    const plain = dashboardOf(buildTestStack().template);
    const off = dashboardOf(buildTestStack(config).template);

    // Assess
    expect(plain.metrics.some((m) => m.name === 'LastRotationTimestamp')).toBe(false);
    expect(plain.titles.some((t) => t.startsWith('Token rotation'))).toBe(false);
    expect(plain.metrics.some((m) => m.name === 'CertMinDaysLeftLeaf')).toBe(true);
    expect(off.metrics.map((m) => m.name).filter((n) => /^(Cert|Proxies|Intention|LastRotation)/.test(n))).toEqual([]);
    expect(off.metrics.some((m) => m.name === 'SnapshotBytes')).toBe(true);
  });
});

describe('Monitoring synth', () => {
  it('passes cdk-nag AwsSolutions and the CloudFormation validator with e-mails, Slack and a cron schedule', () => {
    // Prepare
    const outdir = mkdtempSync(path.join(tmpdir(), 'consul-ops-monitoring-'));
    const { app } = buildConsulOpsApp({ env: {}, config: fullConfig(), appProps: { outdir, context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } } });

    // Act
    app.synth();

    // Assess
    const report = path.join(outdir, 'validation-report.json');
    const errors = existsSync(report)
      ? (JSON.parse(readFileSync(report, 'utf8')) as Json).pluginReports.flatMap((p: Json) => (p.violations ?? []).filter((v: Json) => v.severity === 'error').map((v: Json) => `${p.pluginName}: ${v.ruleName}`))
      : [];
    expect(errors).toEqual([]);
  });
});

describe('longestScheduleGap', () => {
  it.each([
    ['rate(1 hour)', 1 * HOUR_MS],
    ['rate(15 minutes)', 0.25 * HOUR_MS],
    ['cron(15 * * * ? *)', 1 * HOUR_MS],
    ['cron(0/5 * * * ? *)', HOUR_MS / 12],
    ['cron(0 0/6 * * ? *)', 6 * HOUR_MS],
    ['cron(0 2 * * ? *)', 24 * HOUR_MS],
    ['cron(0 8-18 * * ? *)', 14 * HOUR_MS],
    ['cron(0 1,4,13 * * ? *)', 12 * HOUR_MS],
    ['cron(0 2 ? * MON-FRI *)', 7 * 24 * HOUR_MS],
  ])('%s → the longest gap between runs', (expression, intervalMs) => {
    expect(longestScheduleGap(expression)).toEqual({ intervalMs, assumed: false });
  });

  it('assumes a day for what it cannot read', () => {
    expect(longestScheduleGap('cron(0 L/2 * * ? *)')).toEqual({ intervalMs: 24 * HOUR_MS, assumed: true });
  });
});

describe('deadMansWindow', () => {
  it.each([
    [2 * HOUR_MS, 7200, 1, false],
    [30_000, 60, 1, false],
    [48 * HOUR_MS, 86400, 2, false],
    [14 * 24 * HOUR_MS, 86400, 7, true],
  ])('%d ms → period %d s × %d', (windowMs, periodSeconds, evaluationPeriods, capped) => {
    const w = deadMansWindow(windowMs);
    expect({ period: w.period.toSeconds(), evaluationPeriods: w.evaluationPeriods, capped: w.capped }).toEqual({ period: periodSeconds, evaluationPeriods, capped });
  });
});
