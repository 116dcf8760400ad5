import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { InvalidInputError } from '../../functions/core/shared/errors';
import { baselineDigest, parseIntentionBaseline, serializeBaseline } from '../../functions/core/intentions/baseline';
import { IntentionBaselineError } from '../../functions/core/intentions/errors';
import { parseDeployConfig } from '../../lib/config/deploy-config';
import { buildConsulOpsApp } from '../../lib/consul-ops-app';
import { BackupBucket } from '../../lib/constructs/backup-bucket';
import { IntentionAudit } from '../../lib/constructs/intention-audit';
import { ReportTopic } from '../../lib/constructs/report-topic';
import { buildTestStack, CDK_JSON_CONTEXT, defaultConfig, extraCluster } from './test-app';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const TOKEN_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:consul/demo/management-token-AbCdEf';
const CA_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:consul/demo/ca-bundle-AbCdEf';
const bucketArn = () => ({ 'Fn::GetAtt': [expect.stringMatching(/^BackupsBucket/), 'Arn'] });
const keyArn = () => ({ 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] });
const via = (service: string) => ({ StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', [`${service}.`, { Ref: 'AWS::Region' }, '.amazonaws.com']] } } });
const dir = mkdtempSync(path.join(tmpdir(), 'consul-ops-intentions-'));

function baselineFile(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

function auditFunction(template: Template): Json {
  const functions = template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('intention audit of Consul cluster demo') } });
  expect(Object.keys(functions)).toHaveLength(1);
  return Object.values(functions)[0];
}

function auditPolicy(template: Template): Json[] {
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Json[];
  return policies.find((p) => p.Properties.Roles.some((r: Json) => String(r.Ref).startsWith('IntentionsdemoFunctionRole'))).Properties.PolicyDocument.Statement;
}

describe('IntentionAudit', () => {
  describe('with the default config (enabled, no baseline)', () => {
    const { template, stack } = buildTestStack(defaultConfig());

    it('runs read-only on nodejs22.x arm64 in the cluster VPC, with the Consul settings and no baseline', () => {
      const fn = auditFunction(template);
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        MemorySize: 256,
        Timeout: 120,
        VpcConfig: { SubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'], SecurityGroupIds: ['sg-0123456789abcdef0'] },
      });
      expect(fn.Properties.Environment.Variables).toEqual({
        POWERTOOLS_SERVICE_NAME: 'consul-ops-audit-intentions',
        POWERTOOLS_METRICS_NAMESPACE: 'ConsulOps',
        CLUSTER_NAME: 'demo',
        BUCKET_NAME: { Ref: expect.stringMatching(/^BackupsBucket/) },
        CONSUL_ADDRESSES: 'https://consul-0.demo.internal:8501,https://consul-1.demo.internal:8501',
        CONSUL_TOKEN_SECRET_ARN: TOKEN_ARN,
        CONSUL_CA_SECRET_ARN: CA_ARN,
        CONSUL_TLS_SERVER_NAME: 'server.dc1.consul',
        REPORT_TOPIC_ARN: { Ref: expect.stringMatching(/^ReportsTopic/) },
      });
      expect([...stack.intentionAudits.keys()]).toEqual(['demo']);
    });

    it('is scheduled hourly through EventBridge Scheduler, with a dead-letter queue', () => {
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'rate(1 hour)',
        ScheduleExpressionTimezone: 'UTC',
        Target: {
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IntentionsdemoFunction'), 'Arn'] },
          Input: JSON.stringify({ trigger: 'schedule', cluster: 'demo' }),
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IntentionsdemoDeadLetterQueue'), 'Arn'] } },
        },
      });
    });

    it('may write only its own documents and report state, read its secrets and publish reports', () => {
      expect(auditPolicy(template)).toEqual([
        { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^IntentionsdemoDeadLetterQueue/), 'Arn'] } },
        { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: [CA_ARN, TOKEN_ARN] },
        { Effect: 'Allow', Action: 's3:PutObject', Resource: { 'Fn::Join': ['', [bucketArn(), '/reports/demo/intentions/*']] } },
        { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: { 'Fn::Join': ['', [bucketArn(), '/state/demo/intentions.json']] } },
        { Effect: 'Allow', Action: 's3:ListBucket', Condition: { StringEquals: { 's3:prefix': 'state/demo/intentions.json' } }, Resource: bucketArn() },
        { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Condition: via('s3'), Resource: keyArn() },
        { Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: expect.stringMatching(/^ReportsTopic/) } },
        { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Condition: via('sns'), Resource: keyArn() },
      ]);
    });

    it('is watched by the monitoring alarms (errors, throttles, dead letters)', () => {
      const names = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a: Json) => a.Properties.AlarmName);
      expect(names.filter((n: string) => n.includes('intentions-demo'))).toEqual(
        expect.arrayContaining([expect.stringMatching(/errors$/), expect.stringMatching(/throttles$/), expect.stringMatching(/dead-letters$/)]),
      );
    });
  });

  it('records the sha256 of a configured baseline file, honours the schedule, and can be switched off per cluster', () => {
    // Prepare
    const file = baselineFile('demo.yaml', 'defaultPolicy: deny\nintentions:\n  - { source: web, destination: api }\n');
    const config = defaultConfig();
    config.clusters[0].intentions = { schedule: 'cron(0/15 * * * ? *)', timeZone: 'Europe/Berlin', baselineFile: file };
    config.clusters.push({ ...extraCluster('west', 'a1'), intentions: { enabled: false } });

    // Act
    const { template, stack } = buildTestStack(config);

    // Assess
    expect(auditFunction(template).Properties.Environment.Variables.INTENTION_BASELINE_SHA256).toBe(
      baselineDigest(parseIntentionBaseline({ defaultPolicy: 'deny', intentions: [{ source: 'web', destination: 'api' }] })),
    );
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(0/15 * * * ? *)', ScheduleExpressionTimezone: 'Europe/Berlin' });
    expect([...stack.intentionAudits.keys()]).toEqual(['demo']);
  });

  it('fails synth with every problem of an invalid baseline file', () => {
    const config = defaultConfig();
    config.clusters[0].intentions = { baselineFile: baselineFile('bad.yaml', 'intentions:\n  - { source: web-*, destination: api, action: permit }\n') };
    expect(() => buildTestStack(config)).toThrow(IntentionBaselineError);
    expect(() => buildTestStack(config)).toThrow(/intentions\[0\]\.source: "web-\*".*\n.*intentions\[0\]\.action: expected "allow" or "deny"/);
  });

  it.each([
    { name: 'a bad schedule', intentions: { schedule: 'every hour' }, problem: 'clusters[0].intentions.schedule: expected a schedule expression' },
    { name: 'a misspelt field', intentions: { baseline: 'x.yaml' }, problem: 'clusters[0].intentions.baseline: unknown field; expected one of: enabled, schedule, timeZone, baselineFile' },
  ])('refuses a config with $name', ({ intentions, problem }) => {
    const config = defaultConfig() as Json;
    config.clusters[0].intentions = intentions;
    expect(() => parseDeployConfig(config)).toThrow(problem);
  });

  it('refuses both baseline and baselineFile', () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S');
    const cluster = parseDeployConfig(defaultConfig()).clusters[0];
    const [bucket, reportTopic] = [new BackupBucket(stack, 'B'), new ReportTopic(stack, 'T')];
    let attempt = 0;
    const build = () => new IntentionAudit(stack, `A${attempt++}`, { clusterName: 'demo', consul: cluster.consul, network: cluster.network, bucket, reportTopic, baseline: { intentions: [] }, baselineFile: 'x.yaml' });
    expect(build).toThrow(InvalidInputError);
    expect(build).toThrow('IntentionAuditProps.baseline');
  });

  it('bakes the baseline into the bundle (esbuild define), which loads without AWS and carries no yaml or zod', () => {
    // Prepare
    const outdir = mkdtempSync(path.join(tmpdir(), 'consul-ops-intentions-bundle-'));
    const app = new App({ outdir, context: CDK_JSON_CONTEXT });
    const stack = new Stack(app, 'Bundle');
    const cluster = parseDeployConfig(defaultConfig()).clusters[0];
    const baseline = parseIntentionBaseline({ intentions: [{ source: 'web', destination: 'api', permissions: [{ action: 'allow', http: { pathRegex: '^/v1/[a-z]+$' } }] }] });
    new IntentionAudit(stack, 'A', { clusterName: 'demo', consul: cluster.consul, network: cluster.network, bucket: new BackupBucket(stack, 'B'), reportTopic: new ReportTopic(stack, 'T'), baseline });

    // Act
    app.synth();

    // Assess
    const assets = readdirSync(outdir).filter((d) => d.startsWith('asset.') && existsSync(path.join(outdir, d, 'index.js')));
    expect(assets).toHaveLength(1);
    const bundle = readFileSync(path.join(outdir, assets[0], 'index.js'), 'utf8');
    expect(bundle).toContain(Buffer.from(serializeBaseline(baseline)).toString('base64'));
    expect(bundle).not.toMatch(/ZodError|YAMLParseError/);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    expect(typeof require(path.join(outdir, assets[0], 'index.js')).handler).toBe('function');
  });

  it('passes cdk-nag AwsSolutions and the CloudFormation validator with a baseline on two clusters', () => {
    // Prepare
    const outdir = mkdtempSync(path.join(tmpdir(), 'consul-ops-intentions-nag-'));
    const config = defaultConfig();
    const file = baselineFile('nag.json', JSON.stringify({ intentions: [{ source: 'web', destination: 'api' }] }));
    config.clusters[0].intentions = { baselineFile: file };
    config.clusters.push({ ...extraCluster('west', 'a1'), intentions: { baselineFile: file } });
    const { app } = buildConsulOpsApp({ env: {}, config, appProps: { outdir, context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } } });

    // Act
    app.synth();

    // Assess
    const report = path.join(outdir, 'validation-report.json');
    const violations = existsSync(report)
      ? (JSON.parse(readFileSync(report, 'utf8')).pluginReports as Json[]).flatMap((p) => (p.violations ?? []).map((v: Json) => `${v.severity} ${p.pluginName}: ${v.ruleName} ${(v.violatingResources ?? []).map((r: Json) => r.resourceLogicalId).join(',')}`))
      : [];
    expect(violations.filter((v: string) => v.startsWith('error'))).toEqual([]);
  });
});
