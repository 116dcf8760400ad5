import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import { secretNameOf } from '../../../functions/core/shared/secret-name';
import { CONSUL_JOBS } from '../../../lib/constructs/consul-function';
import { deadMansWindow } from '../../../lib/constructs/cluster-monitoring';
import { buildTestApp, dashboardOf, defaultConfig, secretArnOf, TOKEN_ARN, type Json } from '../test-app';

const HOUR_MS = 3_600_000;
const WEB = secretArnOf('web');
const ALARM_TOPIC = { Ref: 'AlarmTopicArn' };

function alarmsOf(template: Template): Json[] {
  return Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a: Json) => a.Properties);
}

function rotationConfig() {
  const config = defaultConfig();
  config.clusters[0].rotation = { tokens: [{ secretArn: WEB }], rotateManagementToken: true };
  return config;
}

describe('ClusterMonitoring', () => {
  const template = buildTestApp(rotationConfig()).clusterTemplate();
  const alarms = alarmsOf(template);
  const named = (name: string) => alarms.find((a) => a.AlarmName === `ConsulOps-demo-${name}`);

  it.each(Object.keys(CONSUL_JOBS))('alarms on report-publish failures of %s (ReportFailure by service and Cluster, the handlers\' contract)', (job) => {
    expect(named(`${job}-report-failed`)).toMatchObject({
      Namespace: 'ConsulOps',
      MetricName: 'ReportFailure',
      Dimensions: expect.arrayContaining([{ Name: 'service', Value: `consul-ops-${job}` }, { Name: 'Cluster', Value: 'demo' }]),
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [ALARM_TOPIC],
      OKActions: [ALARM_TOPIC],
    });
    expect(named(`${job}-report-failed`)!.Dimensions).toHaveLength(2);
  });

  it.each(Object.keys(CONSUL_JOBS))('alarms on errors and throttles of %s', (job) => {
    for (const kind of ['errors', 'throttles']) {
      expect(named(`${job}-${kind}`)).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: kind === 'errors' ? 'Errors' : 'Throttles', Period: 300, AlarmActions: [ALARM_TOPIC] });
    }
  });

  it('alarms on the depth of every dead-letter queue (restore has none: it is never retried)', () => {
    const depth = alarms.filter((a) => a.MetricName === 'ApproximateNumberOfMessagesVisible').map((a) => a.AlarmName).sort();
    expect(depth).toEqual(['audit-intentions', 'check-certs', 'rotate-token', 'take-snapshot'].map((j) => `ConsulOps-demo-${j}-dead-letters`));
  });

  it('arms a dead-man switch at twice the schedule interval, breaching on missing data', () => {
    expect(named('no-recent-backup')).toMatchObject({
      MetricName: 'BackupSuccess',
      Dimensions: expect.arrayContaining([{ Name: 'Cluster', Value: 'demo' }, { Name: 'service', Value: 'consul-ops-take-snapshot' }]),
      Period: 7200,
      EvaluationPeriods: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
  });

  it('rolls every alarm of the cluster into one composite health alarm for the overview', () => {
    const [composite] = Object.values(template.findResources('AWS::CloudWatch::CompositeAlarm')) as Json[];
    expect(composite.Properties.AlarmName).toBe('ConsulOps-demo-health');
    const rule = JSON.stringify(composite.Properties.AlarmRule);
    expect(rule.match(/ALARM\(/g)).toHaveLength(alarms.length);
  });

  it('builds the cluster dashboard with every job\'s graphs, by the dimension sets the handlers emit', () => {
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard')) as Json[];
    expect(dashboard.Properties.DashboardName).toBe('ConsulOps-demo');
    const { metrics, titles } = dashboardOf(dashboard);
    const metric = (name: string) => metrics.filter((m) => m.name === name);
    expect(metric('SnapshotBytes')).toEqual([expect.objectContaining({ dimensions: { Cluster: 'demo', service: 'consul-ops-take-snapshot' } })]);
    for (const name of ['CertMinDaysLeftCaRoot', 'CertMinDaysLeftLeaf', 'CertMinDaysLeftProxy', 'CertMinDaysLeftEndpoint', 'ProxiesServingStaleLeaves']) {
      expect(metric(name)).toEqual([expect.objectContaining({ namespace: 'ConsulOps', dimensions: { Cluster: 'demo', service: 'consul-ops-check-certs' } })]);
    }
    expect(metric('IntentionFindings').map((m) => m.dimensions)).toEqual(['info', 'low', 'medium', 'high', 'critical'].map((Severity) => ({ Cluster: 'demo', Severity, service: 'consul-ops-audit-intentions' })));
    expect(metric('LastRotationTimestamp').map((m) => m.dimensions)).toEqual([WEB, TOKEN_ARN].map((arn) => ({ Cluster: 'demo', Secret: secretNameOf(arn), service: 'consul-ops-rotate-token' })));
    expect(titles).toContain('Token rotation: days since the last successful rotation');
  });

  it('leaves out the graphs of jobs that are off', () => {
    const config = defaultConfig();
    config.clusters[0].certificates = { enabled: false };
    config.clusters[0].intentions = { enabled: false };
    const [dashboard] = Object.values(buildTestApp(config).clusterTemplate().findResources('AWS::CloudWatch::Dashboard')) as Json[];
    const names = dashboardOf(dashboard).metrics.map((m) => m.name);
    expect(names.filter((n) => /^(Cert|Proxies|Intention|LastRotation)/.test(n))).toEqual([]);
    expect(names).toContain('SnapshotBytes');
  });

  it('warns when a cron schedule cannot be read', () => {
    const config = defaultConfig();
    config.clusters[0].backup = { schedule: 'cron(0 2 L * ? *)' };
    Annotations.fromStack(buildTestApp(config).clusters.get('demo')!).hasWarning('/ConsulOps-cluster-demo/Cluster/TakeSnapshot', Match.stringLikeRegexp('runs are more than 3.5 days apart'));
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
