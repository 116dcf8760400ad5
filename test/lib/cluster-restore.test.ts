import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { InvalidInputError } from '../../functions/core/shared/errors';
import { BackupBucket } from '../../lib/constructs/backup-bucket';
import { ClusterRestore } from '../../lib/constructs/cluster-restore';
import { ReportTopic } from '../../lib/constructs/report-topic';
import { parseDeployConfig } from '../../lib/config/deploy-config';
import { buildConsulOpsApp } from '../../lib/consul-ops-app';
import { buildTestStack, CDK_JSON_CONTEXT, defaultConfig, extraCluster } from './test-app';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const TOKEN_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:consul/demo/management-token-AbCdEf';
const CA_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:consul/demo/ca-bundle-AbCdEf';
const PRINCIPALS = ['arn:aws:iam::123456789012:role/consul-restore', 'arn:aws:iam::210987654321:user/alice'];
const RESTORE_FN = { 'Fn::GetAtt': [Match.stringLikeRegexp('^RestoredemoFunction'), 'Arn'] };
const bucketArn = () => ({ 'Fn::GetAtt': [expect.stringMatching(/^BackupsBucket/), 'Arn'] });
const keyArn = () => ({ 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] });
const via = (service: string) => ({ StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', [`${service}.`, { Ref: 'AWS::Region' }, '.amazonaws.com']] } } });

function restoreFunction(template: Template): Json {
  const functions = template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('restore of Consul cluster demo') } });
  expect(Object.keys(functions)).toHaveLength(1);
  return Object.values(functions)[0];
}

function restorePolicy(template: Template): Json[] {
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Json[];
  return policies.find((p) => p.Properties.Roles.some((r: Json) => String(r.Ref).startsWith('RestoredemoFunctionRole'))).Properties.PolicyDocument.Statement;
}

describe('ClusterRestore', () => {
  describe('with restore principals', () => {
    const config = defaultConfig();
    config.restore = { allowedPrincipalArns: PRINCIPALS };
    const { template } = buildTestStack(config);

    it('runs on nodejs22.x arm64 in the cluster VPC with 512 MB and 15 minutes, one at a time', () => {
      expect(restoreFunction(template).Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        MemorySize: 512,
        Timeout: 900,
        ReservedConcurrentExecutions: 1,
        VpcConfig: { SubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'], SecurityGroupIds: ['sg-0123456789abcdef0'] },
        LoggingConfig: { LogGroup: { Ref: expect.stringMatching(/^RestoredemoLogGroup/) } },
      });
    });

    it('passes the cluster settings and the root snapshot prefix to the function', () => {
      expect(restoreFunction(template).Properties.Environment.Variables).toEqual({
        POWERTOOLS_SERVICE_NAME: 'consul-ops-restore',
        CLUSTER_NAME: 'demo',
        BUCKET_NAME: { Ref: expect.stringMatching(/^BackupsBucket/) },
        SNAPSHOT_PREFIX: 'snapshots',
        CONSUL_ADDRESSES: 'https://consul-0.demo.internal:8501,https://consul-1.demo.internal:8501',
        CONSUL_TOKEN_SECRET_ARN: TOKEN_ARN,
        CONSUL_CA_SECRET_ARN: CA_ARN,
        CONSUL_TLS_SERVER_NAME: 'server.dc1.consul',
        REPORT_TOPIC_ARN: { Ref: expect.stringMatching(/^ReportsTopic/) },
      });
    });

    it('is never scheduled and never retried', () => {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { FunctionName: { Ref: Match.stringLikeRegexp('^RestoredemoFunction') }, MaximumRetryAttempts: 0 });
      const targets = Object.values(template.findResources('AWS::Scheduler::Schedule')).map((s: Json) => s.Properties.Target.Arn['Fn::GetAtt'][0]);
      expect(targets.filter((t: string) => t.startsWith('Restore'))).toEqual([]);
    });

    it('lets exactly the configured principals invoke it, through resource-based permissions', () => {
      const permissions = Object.values(template.findResources('AWS::Lambda::Permission')) as Json[];
      expect(permissions.map((p) => p.Properties)).toEqual(
        PRINCIPALS.map((principal) => ({ Action: 'lambda:InvokeFunction', FunctionName: expect.objectContaining({ 'Fn::GetAtt': [expect.stringMatching(/^RestoredemoFunction/), 'Arn'] }), Principal: principal })),
      );
      template.hasResourceProperties('AWS::Lambda::Permission', { FunctionName: RESTORE_FN });
    });

    it('gives its own role only its secrets, read and new-object write under its prefix, the key via S3/SNS and the topic', () => {
      expect(restorePolicy(template)).toEqual([
        { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: [CA_ARN, TOKEN_ARN] },
        {
          Effect: 'Allow',
          Action: [
            's3:AbortMultipartUpload',
            's3:GetObject',
            's3:GetObjectTagging',
            's3:GetObjectVersion',
            's3:GetObjectVersionTagging',
            's3:ListMultipartUploadParts',
            's3:PutObject',
            's3:PutObjectTagging',
            's3:PutObjectVersionTagging',
          ],
          Resource: { 'Fn::Join': ['', [bucketArn(), '/snapshots/demo/*']] },
        },
        { Effect: 'Allow', Action: ['s3:ListBucket', 's3:ListBucketVersions'], Condition: { StringLike: { 's3:prefix': ['snapshots/demo/*'] } }, Resource: bucketArn() },
        { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Condition: via('s3'), Resource: keyArn() },
        { Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: expect.stringMatching(/^ReportsTopic/) } },
        { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Condition: via('sns'), Resource: keyArn() },
      ]);
      const statements = restorePolicy(template).flatMap((s) => [s.Action].flat());
      expect(statements.filter((a: string) => /Delete|lambda:|Bypass/.test(a))).toEqual([]);
    });

    it('outputs the function name', () => {
      template.hasOutput('*', { Description: 'restore function of cluster demo', Value: { Ref: Match.stringLikeRegexp('^RestoredemoFunction') } });
    });
  });

  it('creates no invoke permission when no principal is configured (account admins only, through IAM)', () => {
    const { template } = buildTestStack(defaultConfig());
    template.resourceCountIs('AWS::Lambda::Permission', 0);
    expect(restoreFunction(template)).toBeDefined();
  });

  it('creates one restore function per cluster, each scoped to its own prefix', () => {
    const config = defaultConfig();
    config.clusters.push(extraCluster('west', 'a1'));
    const { stack } = buildTestStack(config);
    expect([...stack.restores.keys()]).toEqual(['demo', 'west']);
  });

  it.each([
    { name: 'a cluster name that is not a DNS label', props: { clusterName: 'Prod_East' }, field: 'ClusterRestoreProps.clusterName' },
    { name: 'a principal that is not an IAM role or user ARN', props: { allowedPrincipalArns: ['123456789012'] }, field: 'ClusterRestoreProps.allowedPrincipalArns[0]' },
  ])('rejects $name', ({ props, field }) => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S');
    const cluster = parseDeployConfig(defaultConfig()).clusters[0];
    const bucket = new BackupBucket(stack, 'B');
    const reportTopic = new ReportTopic(stack, 'T');
    let attempt = 0;
    const build = () => new ClusterRestore(stack, `R${attempt++}`, { clusterName: 'demo', consul: cluster.consul, network: cluster.network, bucket, reportTopic, ...props });
    expect(build).toThrow(InvalidInputError);
    expect(build).toThrow(field);
  });

  it('passes cdk-nag AwsSolutions and the CloudFormation validator with restore principals', () => {
    // Prepare
    const outdir = mkdtempSync(path.join(tmpdir(), 'consul-ops-restore-nag-'));
    const config = defaultConfig();
    config.restore = { allowedPrincipalArns: PRINCIPALS };
    const { app } = buildConsulOpsApp({ env: {}, config, appProps: { outdir, context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } } });

    // Act
    app.synth();

    // Assess
    const report = path.join(outdir, 'validation-report.json');
    const violations = existsSync(report)
      ? (JSON.parse(readFileSync(report, 'utf8')).pluginReports as Json[]).flatMap((p) => (p.violations ?? []).map((v: Json) => `${v.severity} ${p.pluginName}: ${v.ruleName}`))
      : [];
    expect(violations.filter((v: string) => v.startsWith('error'))).toEqual([]);
  });
});
