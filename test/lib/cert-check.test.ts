import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import { DeployConfigError, parseDeployConfig } from '../../lib/config/deploy-config';
import { buildConsulOpsApp } from '../../lib/consul-ops-app';
import { BackupBucket } from '../../lib/constructs/backup-bucket';
import { CertCheck, type CertCheckProps } from '../../lib/constructs/cert-check';
import { ReportTopic } from '../../lib/constructs/report-topic';
import { buildTestStack, CDK_JSON_CONTEXT, defaultConfig, extraCluster } from './test-app';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const TOKEN_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:consul/demo/management-token-AbCdEf';
const CA_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:consul/demo/ca-bundle-AbCdEf';
const bucketArn = () => ({ 'Fn::GetAtt': [expect.stringMatching(/^BackupsBucket/), 'Arn'] });

function certFunction(template: Template, cluster = 'demo'): Json {
  const functions = template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp(`certificate check of Consul cluster ${cluster}$`) } });
  expect(Object.keys(functions)).toHaveLength(1);
  return Object.values(functions)[0];
}

function certStatements(template: Template, cluster = 'demo'): Json[] {
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Json[];
  const own = policies.filter((p) => p.Properties.Roles.some((r: Json) => String(r.Ref).startsWith(`Certs${cluster}FunctionRole`)));
  return own.flatMap((p) => p.Properties.PolicyDocument.Statement);
}

describe('CertCheck (in ConsulOpsStack)', () => {
  const config = defaultConfig();
  config.clusters[0].certificates = { endpoints: ['consul-ui.demo.internal:443'], thresholds: { endpoint: { warning: 30, critical: 10 } } };
  const { template } = buildTestStack(config);

  it('runs one check per cluster on nodejs22.x arm64 in the cluster VPC, 512 MB, 5 minutes', () => {
    expect(certFunction(template).Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      MemorySize: 512,
      Timeout: 300,
      VpcConfig: { SubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'], SecurityGroupIds: ['sg-0123456789abcdef0'] },
      LoggingConfig: { LogGroup: { Ref: expect.stringMatching(/^CertsdemoLogGroup/) } },
    });
  });

  it('passes the cluster, endpoints, auditor and threshold overrides in the environment', () => {
    expect(certFunction(template).Properties.Environment.Variables).toEqual({
      POWERTOOLS_SERVICE_NAME: 'consul-ops-check-certs',
      POWERTOOLS_METRICS_NAMESPACE: 'ConsulOps',
      CLUSTER_NAME: 'demo',
      BUCKET_NAME: { Ref: expect.stringMatching(/^BackupsBucket/) },
      CONSUL_ADDRESSES: 'https://consul-0.demo.internal:8501,https://consul-1.demo.internal:8501',
      CONSUL_TOKEN_SECRET_ARN: TOKEN_ARN,
      CONSUL_CA_SECRET_ARN: CA_ARN,
      CONSUL_TLS_SERVER_NAME: 'server.dc1.consul',
      REPORT_TOPIC_ARN: { Ref: expect.stringMatching(/^ReportsTopic/) },
      CERT_AUDITOR_SERVICE: 'consul-ops-auditor',
      CERT_ENDPOINTS: 'consul-ui.demo.internal:443',
      CERT_THRESHOLDS: '{"endpoint":{"warning":30,"critical":10}}',
    });
  });

  it('is scheduled hourly by default through the least-privilege invoke target', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Description: 'consul-ops: certificate check of Consul cluster demo',
      ScheduleExpression: 'rate(1 hour)',
      ScheduleExpressionTimezone: 'UTC',
      Target: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CertsdemoFunction'), 'Arn'] }, Input: '{"trigger":"schedule","cluster":"demo"}' },
    });
  });

  it('grants exactly: its secrets, its report state and reports, the key through S3, publish, its DLQ', () => {
    const statements = certStatements(template);
    const byAction = (action: string) => statements.filter((s) => [s.Action].flat().includes(action));
    expect(byAction('secretsmanager:GetSecretValue').map((s) => [...s.Resource].sort())).toEqual([[CA_ARN, TOKEN_ARN]]);
    expect(byAction('s3:GetObject')).toEqual([expect.objectContaining({ Resource: { 'Fn::Join': ['', [bucketArn(), '/state/demo/certificates.json']] } })]);
    expect(byAction('s3:PutObject').map((s) => s.Resource['Fn::Join'][1][1])).toEqual(['/reports/demo/certificates/*', '/state/demo/certificates.json']);
    expect(byAction('s3:ListBucket')).toEqual([expect.objectContaining({ Resource: bucketArn(), Condition: { StringEquals: { 's3:prefix': 'state/demo/certificates.json' } } })]);
    expect(byAction('kms:Decrypt')).toEqual([expect.objectContaining({ Condition: { StringEquals: { 'kms:ViaService': expect.anything() } } }), expect.anything()]);
    expect(byAction('sns:Publish')).toHaveLength(1);
    expect(byAction('sqs:SendMessage')).toHaveLength(1);
    const everything = statements.flatMap((s) => [s.Action].flat());
    expect(everything.filter((a: string) => /^s3:(Delete|GetObjectVersion)|^secretsmanager:(Put|Update)/.test(a))).toEqual([]);
  });

  it('is covered by the stack monitoring (errors alarm and dead-letter alarm)', () => {
    const names = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a: Json) => a.Properties.AlarmName['Fn::Join']?.[1]?.[1] ?? a.Properties.AlarmName);
    expect(names).toEqual(expect.arrayContaining([expect.stringMatching(/certs-demo-errors$/), expect.stringMatching(/certs-demo-dead-letters$/)]));
  });
});

describe('CertCheck config', () => {
  it('can be turned off per cluster', () => {
    const config = defaultConfig();
    config.clusters.push(extraCluster('west', 'a1'));
    config.clusters[1].certificates = { enabled: false, schedule: 'rate(6 hours)' };
    const { stack, template } = buildTestStack(config);
    expect([...stack.certChecks.keys()]).toEqual(['demo']);
    expect(template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('certificate check of Consul cluster west') } })).toEqual({});
  });

  it.each([
    [{ endpoints: ['no-port'] }, /clusters\[0\]\.certificates\.endpoints\[0\]: expected a host:port/],
    [{ thresholds: { endpoint: { warning: 7, critical: 14 } } }, /clusters\[0\]\.certificates\.thresholds\.endpoint: expected days left with warning >= critical >= 0/],
    [{ thresholds: { leaf: { warning: 95 } } }, /clusters\[0\]\.certificates\.thresholds\.leaf: expected percent of lifetime used/],
    [{ schedule: 'hourly' }, /clusters\[0\]\.certificates\.schedule: expected a schedule expression/],
    [{ auditorService: 'bad name' }, /clusters\[0\]\.certificates\.auditorService: expected a Consul service name/],
  ])('refuses %j with a message naming the field', (certificates, message) => {
    const config = defaultConfig();
    config.clusters[0].certificates = certificates as never;
    expect(() => parseDeployConfig(config)).toThrow(DeployConfigError);
    expect(() => parseDeployConfig(config)).toThrow(message);
  });

  it('defaults to an hourly check with the consul-ops-auditor identity', () => {
    expect(parseDeployConfig(defaultConfig()).clusters[0].certificates).toEqual({ enabled: true, schedule: 'rate(1 hour)', endpoints: [], auditorService: 'consul-ops-auditor', thresholds: {} });
  });
});

describe('CertCheck construct props', () => {
  function props(overrides: Partial<CertCheckProps> = {}): { stack: Stack; props: CertCheckProps } {
    const stack = new Stack(new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } }), 'S');
    const cluster = parseDeployConfig(defaultConfig()).clusters[0];
    return { stack, props: { clusterName: 'demo', consul: cluster.consul, network: cluster.network, bucket: new BackupBucket(stack, 'B'), reportTopic: new ReportTopic(stack, 'T'), ...overrides } };
  }

  it.each([
    [{ clusterName: 'Demo' }, /CertCheckProps\.clusterName: expected a lower-case DNS label/],
    [{ schedule: 'every hour' }, /CertCheckProps\.schedule: expected rate\(…\) or cron\(…\)/],
    [{ endpoints: ['x'] }, /CertCheckProps\.endpoints\[0\]: "x" is not host:port/],
    [{ thresholds: { caRoot: { warning: 1, critical: 2 } } }, /CertCheckProps\.thresholds\.caRoot/],
  ])('refuses %j', (overrides, message) => {
    const { stack, props: p } = props(overrides);
    expect(() => new CertCheck(stack, 'C', p)).toThrow(message);
  });

  it('warns when the schedule is faster than the timeout', () => {
    const { stack, props: p } = props({ schedule: 'rate(2 minutes)' });
    new CertCheck(stack, 'C', p);
    Annotations.fromStack(stack).hasWarning('/S/C', Match.stringLikeRegexp('faster than its 5-minute timeout'));
  });
});

describe('cdk-nag', () => {
  it('reports no AwsSolutions error on the certificate check resources', () => {
    // Prepare
    const outdir = mkdtempSync(path.join(tmpdir(), 'consul-ops-certs-'));
    const config = defaultConfig();
    config.clusters[0].certificates = { endpoints: ['consul-ui.demo.internal:443'] };
    const { app } = buildConsulOpsApp({ env: {}, config, appProps: { outdir, context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } } });

    // Act
    let error: unknown;
    try {
      app.synth();
    } catch (err) {
      error = err;
    }

    // Assess
    const file = path.join(outdir, 'validation-report.json');
    const report = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { pluginReports: { violations?: { ruleName: string; severity: string; violatingResources?: { resourceLogicalId?: string; locations?: string[] }[] }[] }[] }) : { pluginReports: [] };
    const ours = report.pluginReports.flatMap((p) => p.violations ?? []).filter((v) => v.severity === 'error' && JSON.stringify(v.violatingResources ?? []).includes('Certs'));
    expect(ours).toEqual([]);
    if (error) expect(String(error)).not.toMatch(/Certs/);
    expect(existsSync(file)).toBe(true); // cdk-nag and the validator ran
  });
});
