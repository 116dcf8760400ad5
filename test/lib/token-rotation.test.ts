import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { DeployConfigError, parseDeployConfig, type DeployConfigInput } from '../../lib/config/deploy-config';
import { buildConsulOpsApp } from '../../lib/consul-ops-app';
import { ROTATION_SECRET_ACTIONS } from '../../lib/constructs/token-rotation';
import { buildTestStack, CDK_JSON_CONTEXT, defaultConfig } from './test-app';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const ARN = (name: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:consul/demo/${name}-AbCdEf`;
const MGMT = ARN('management-token');
const CA = ARN('ca-bundle');
const WEB = ARN('web');
const API = ARN('api');

function withRotation(rotation: Record<string, unknown>): DeployConfigInput {
  const config = defaultConfig();
  (config.clusters[0] as Record<string, unknown>).rotation = rotation;
  return config;
}

function problemsOf(rotation: Record<string, unknown>): readonly string[] {
  try {
    parseDeployConfig(withRotation(rotation));
    return [];
  } catch (err) {
    if (err instanceof DeployConfigError) return err.problems;
    throw err;
  }
}

const byDescription = (template: Template, type: string, pattern: string) =>
  Object.values(template.findResources(type, { Properties: { Description: Match.stringLikeRegexp(pattern) } })) as Json[];

describe('deploy config: clusters[].rotation', () => {
  it('is off by default', () => {
    const { template } = buildTestStack();
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
    expect(byDescription(template, 'AWS::Lambda::Function', 'rotates Consul ACL tokens')).toEqual([]);
  });

  it('applies the defaults', () => {
    expect(parseDeployConfig(withRotation({ tokens: [{ secretArn: WEB }] })).clusters[0].rotation).toEqual({
      tokens: [{ secretArn: WEB, intervalDays: 30 }],
      rotateManagementToken: false,
      managementTokenIntervalDays: 30,
      gracePeriodHours: 24,
    });
  });

  it.each([
    { name: 'nothing to rotate', rotation: {}, problem: 'clusters[0].rotation: expected at least one entry in tokens, or rotateManagementToken: true (leave rotation out to turn it off)' },
    { name: 'the management secret as a token', rotation: { tokens: [{ secretArn: MGMT }] }, problem: 'clusters[0].rotation.tokens[0].secretArn: is the management token secret; expected rotateManagementToken: true instead' },
    { name: 'a secret twice', rotation: { tokens: [{ secretArn: WEB }, { secretArn: WEB }] }, problem: `clusters[0].rotation.tokens[1]: rotates ${WEB} again (already rotated by clusters[0].rotation.tokens[0]); a secret has one rotation schedule` },
    { name: 'a grace period longer than the interval', rotation: { tokens: [{ secretArn: WEB, intervalDays: 1 }], gracePeriodHours: 48 }, problem: 'clusters[0].rotation.tokens[0].intervalDays: expected at least 2 days: rotations must be further apart than gracePeriodHours (48)' },
    { name: 'a partial ARN', rotation: { tokens: [{ secretArn: 'consul/demo/web' }] }, problem: 'clusters[0].rotation.tokens[0].secretArn: expected a full Secrets Manager ARN of a Consul token secret to rotate (with its 6-character suffix), e.g. arn:aws:secretsmanager:eu-west-1:123456789012:secret:consul/prod/management-token-AbCdEf' },
    { name: 'a typo', rotation: { tokens: [{ secretArn: WEB }], gracePeriodHour: 24 }, problem: 'clusters[0].rotation.gracePeriodHour: unknown field; expected one of: tokens, rotateManagementToken, managementTokenIntervalDays, gracePeriodHours' },
  ])('refuses $name with one clear message', ({ rotation, problem }) => {
    expect(problemsOf(rotation)).toEqual([problem]);
  });
});

describe('TokenRotation', () => {
  const { template } = buildTestStack(withRotation({ tokens: [{ secretArn: WEB }, { secretArn: API, intervalDays: 7 }], rotateManagementToken: true, gracePeriodHours: 48 }));
  const fn = () => byDescription(template, 'AWS::Lambda::Function', 'rotates Consul ACL tokens of cluster demo')[0];
  const fnArn = { 'Fn::GetAtt': [Match.stringLikeRegexp('^RotationdemoFunction'), 'Arn'] };

  it('runs in the cluster VPC and security group with the rotation settings in its environment', () => {
    expect(fn().Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Timeout: 300,
      VpcConfig: { SubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'], SecurityGroupIds: ['sg-0123456789abcdef0'] },
    });
    expect(fn().Properties.ReservedConcurrentExecutions).toBeUndefined();
    expect(fn().Properties.Environment.Variables).toEqual({
      POWERTOOLS_SERVICE_NAME: 'consul-ops-rotate-token',
      CLUSTER_NAME: 'demo',
      CONSUL_ADDRESSES: 'https://consul-0.demo.internal:8501,https://consul-1.demo.internal:8501',
      CONSUL_TOKEN_SECRET_ARN: MGMT,
      CONSUL_CA_SECRET_ARN: CA,
      CONSUL_TLS_SERVER_NAME: 'server.dc1.consul',
      ROTATION_GRACE_PERIOD_HOURS: '48',
      ROTATION_SECRET_ARNS: [WEB, API, MGMT].join(','),
    });
  });

  it('schedules each secret without rotating on deploy, after Secrets Manager may invoke the function', () => {
    const schedules = Object.values(template.findResources('AWS::SecretsManager::RotationSchedule')) as Json[];
    expect(schedules.map((s) => s.Properties)).toEqual([
      { SecretId: WEB, RotationLambdaARN: expect.objectContaining({ 'Fn::GetAtt': [expect.stringMatching(/^RotationdemoFunction/), 'Arn'] }), RotationRules: { AutomaticallyAfterDays: 30 }, RotateImmediatelyOnUpdate: false },
      { SecretId: API, RotationLambdaARN: expect.anything(), RotationRules: { AutomaticallyAfterDays: 7 }, RotateImmediatelyOnUpdate: false },
      { SecretId: MGMT, RotationLambdaARN: expect.anything(), RotationRules: { AutomaticallyAfterDays: 30 }, RotateImmediatelyOnUpdate: false },
    ]);
    schedules.forEach((s) => expect(s.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/SecretsManagerInvoke/), expect.stringMatching(/FunctionRoleDefaultPolicy/)])));
  });

  it('lets Secrets Manager invoke the function only for the configured secrets of this account', () => {
    const permissions = (Object.values(template.findResources('AWS::Lambda::Permission', { Properties: { Principal: 'secretsmanager.amazonaws.com' } })) as Json[]).map((p) => p.Properties);
    expect(permissions).toEqual([WEB, API, MGMT].map((arn) => ({ Action: 'lambda:InvokeFunction', FunctionName: expect.objectContaining({ 'Fn::GetAtt': expect.any(Array) }), Principal: 'secretsmanager.amazonaws.com', SourceAccount: { Ref: 'AWS::AccountId' }, SourceArn: arn })));
  });

  it('grants the rotation actions on exactly the rotated secrets, reading the CA bundle only, and nothing else', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Json[];
    const statements = policies.find((p) => p.Properties.Roles.some((r: Json) => String(r.Ref).startsWith('RotationdemoFunctionRole'))).Properties.PolicyDocument.Statement;
    expect(statements).toEqual([
      { Action: [...ROTATION_SECRET_ACTIONS], Effect: 'Allow', Resource: [WEB, API, MGMT].sort() },
      { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: CA },
    ]);
    expect(JSON.stringify(template.toJSON())).not.toContain('GetRandomPassword');
  });

  it('sweeps rotated-out tokens every hour', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 hour)',
      Targets: [Match.objectLike({ Arn: fnArn, Input: '{"action":"sweep"}' })],
    });
  });

  it('reports failed or abandoned rotations to the alarm topic, which the key lets EventBridge use', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.secretsmanager'], 'detail-type': ['AWS Service Event via CloudTrail'], detail: { eventSource: ['secretsmanager.amazonaws.com'], eventName: ['RotationFailed', 'RotationAbandoned'] } },
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^MonitoringAlarmTopic') }, InputTransformer: Match.anyValue() })],
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'AllowEventBridgeToPublishToEncryptedTopic', Principal: { Service: 'events.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] })]) },
    });
  });

  it('alarms on errors of the function', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: Match.stringLikeRegexp('^RotationdemoFunction') } }],
    });
  });

  it('passes cdk-nag AwsSolutions and the CloudFormation validator', () => {
    // Prepare
    const outdir = mkdtempSync(path.join(tmpdir(), 'consul-ops-rotation-'));
    const config = withRotation({ tokens: [{ secretArn: WEB }], rotateManagementToken: true });
    const { app } = buildConsulOpsApp({ env: {}, config, appProps: { outdir, context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } } });

    // Act
    app.synth();

    // Assess
    const report = path.join(outdir, 'validation-report.json');
    const violations = existsSync(report)
      ? (JSON.parse(readFileSync(report, 'utf8')).pluginReports as Json[]).flatMap((p) => (p.violations ?? []).filter((v: Json) => v.severity === 'error').map((v: Json) => v.ruleName))
      : [];
    expect(violations).toEqual([]);
  });
});
