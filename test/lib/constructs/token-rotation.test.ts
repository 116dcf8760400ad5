import { Match, type Template } from 'aws-cdk-lib/assertions';
import { DeployConfigError, parseDeployConfig, type DeployConfigInput } from '../../../lib/config/deploy-config';
import { ROTATION_SECRET_ACTIONS } from '../../../lib/constructs/token-rotation';
import { buildTestApp, CA_ARN, defaultConfig, functionBy, policyStatements, secretArnOf, TOKEN_ARN, type Json } from '../test-app';

const WEB = secretArnOf('web');
const API = secretArnOf('api');

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

describe('deploy config: clusters[].rotation', () => {
  it('is off by default', () => {
    const { clusterTemplate, sharedTemplate } = buildTestApp();
    clusterTemplate().resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
    expect(() => functionBy(clusterTemplate(), /rotates Consul ACL tokens/)).toThrow('found 0');
    sharedTemplate.resourceCountIs('AWS::Events::Rule', 0);
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
    { name: 'the management secret as a token', rotation: { tokens: [{ secretArn: TOKEN_ARN }] }, problem: 'clusters[0].rotation.tokens[0].secretArn: is the management token secret; expected rotateManagementToken: true instead' },
    { name: 'a secret twice', rotation: { tokens: [{ secretArn: WEB }, { secretArn: WEB }] }, problem: `clusters[0].rotation.tokens[1]: rotates ${WEB} again (already rotated by clusters[0].rotation.tokens[0]); a secret has one rotation schedule` },
    { name: 'a typo', rotation: { tokens: [{ secretArn: WEB }], gracePeriodHour: 24 }, problem: 'clusters[0].rotation.gracePeriodHour: unknown field; expected one of: tokens, rotateManagementToken, managementTokenIntervalDays, gracePeriodHours' },
  ])('refuses $name with one clear message', ({ rotation, problem }) => {
    expect(problemsOf(rotation)).toEqual([problem]);
  });
});

describe('TokenRotation', () => {
  const { clusterTemplate, sharedTemplate } = buildTestApp(withRotation({ tokens: [{ secretArn: WEB }, { secretArn: API, intervalDays: 7 }], rotateManagementToken: true, gracePeriodHours: 48 }));
  const template: Template = clusterTemplate();
  const fn = () => functionBy(template, /rotates Consul ACL tokens/);

  it('runs in the cluster subnets, unreserved, with the rotation settings in its environment', () => {
    expect(fn().Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], Timeout: 300, VpcConfig: { SubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'], SecurityGroupIds: ['sg-0123456789abcdef0'] } });
    expect(fn().Properties.ReservedConcurrentExecutions).toBeUndefined();
    expect(fn().Properties.Environment.Variables).toMatchObject({
      POWERTOOLS_SERVICE_NAME: 'consul-ops-rotate-token',
      CLUSTER_NAME: 'demo',
      CONSUL_TOKEN_SECRET_ARN: TOKEN_ARN,
      ROTATION_GRACE_PERIOD_HOURS: '48',
      ROTATION_SECRET_ARNS: [WEB, API, TOKEN_ARN].join(','),
      BUCKET_NAME: { Ref: 'BackupBucketName' },
      REPORT_TOPIC_ARN: { Ref: 'ReportTopicArn' },
    });
  });

  it('schedules each secret without rotating on deploy', () => {
    const schedules = Object.values(template.findResources('AWS::SecretsManager::RotationSchedule')) as Json[];
    expect(schedules.map((s) => s.Properties)).toEqual([
      { SecretId: WEB, RotationLambdaARN: { 'Fn::GetAtt': [expect.stringMatching(/^ClusterRotateTokenFunction/), 'Arn'] }, RotationRules: { AutomaticallyAfterDays: 30 }, RotateImmediatelyOnUpdate: false },
      { SecretId: API, RotationLambdaARN: expect.anything(), RotationRules: { AutomaticallyAfterDays: 7 }, RotateImmediatelyOnUpdate: false },
      { SecretId: TOKEN_ARN, RotationLambdaARN: expect.anything(), RotationRules: { AutomaticallyAfterDays: 30 }, RotateImmediatelyOnUpdate: false },
    ]);
  });

  it('creates each rotation schedule only after everything the deploy-time testSecret needs', () => {
    for (const schedule of Object.values(template.findResources('AWS::SecretsManager::RotationSchedule')) as Json[]) {
      expect(schedule.DependsOn).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^ClusterRotateTokenFunction[0-9A-F]{8}$/),
          expect.stringMatching(/^ClusterRotateTokenFunctionRole[0-9A-F]{8}$/),
          expect.stringMatching(/^ClusterRotateTokenFunctionRoleDefaultPolicy/),
          expect.stringMatching(/^ClusterRotateTokenLogGroup/),
          expect.stringMatching(/^ClusterRotateTokenFunctionSecretsManagerInvoke0/),
          expect.stringMatching(/^ClusterRotateTokenFunctionSecretsManagerInvoke2/),
        ]),
      );
    }
  });

  it('lets Secrets Manager invoke the function only for the configured secrets of this account', () => {
    const permissions = (Object.values(template.findResources('AWS::Lambda::Permission', { Properties: { Principal: 'secretsmanager.amazonaws.com' } })) as Json[]).map((p) => p.Properties);
    expect(permissions).toEqual([WEB, API, TOKEN_ARN].map((arn) => ({ Action: 'lambda:InvokeFunction', FunctionName: expect.objectContaining({ 'Fn::GetAtt': expect.any(Array) }), Principal: 'secretsmanager.amazonaws.com', SourceAccount: { Ref: 'AWS::AccountId' }, SourceArn: arn })));
  });

  it('grants the rotation actions on exactly the rotated secrets, and only reads the CA bundle', () => {
    const statements = policyStatements(template, 'ClusterRotateTokenFunctionRole');
    expect(statements.slice(0, 3)).toEqual([
      expect.objectContaining({ Action: 'sqs:SendMessage' }),
      { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: CA_ARN },
      { Action: [...ROTATION_SECRET_ACTIONS].sort(), Effect: 'Allow', Resource: [API, TOKEN_ARN, WEB] },
    ]);
    expect(JSON.stringify(template.toJSON())).not.toContain('GetRandomPassword');
  });

  it('sweeps rotated-out tokens every hour through EventBridge Scheduler', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 hour)',
      Target: Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ClusterRotateTokenFunction'), 'Arn'] }, Input: '{"action":"sweep"}' }),
    });
  });

  it('reports failed or abandoned rotations to the alarm topic: the topic policy names the rule, the key admits EventBridge once', () => {
    sharedTemplate.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.secretsmanager'], 'detail-type': ['AWS Service Event via CloudTrail'], detail: { eventSource: ['secretsmanager.amazonaws.com'], eventName: ['RotationFailed', 'RotationAbandoned'] } },
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^MonitoringAlarmTopic') }, InputTransformer: Match.anyValue() })],
    });
    sharedTemplate.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: 'AllowRotationFailureRule',
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: { Ref: Match.stringLikeRegexp('^MonitoringAlarmTopic') },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } }, ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [Match.stringLikeRegexp('^RotationFailuresRule'), 'Arn'] } } },
          },
        ]),
      },
    });
    const [key] = Object.values(sharedTemplate.findResources('AWS::KMS::Key')) as Json[];
    const forEvents = key.Properties.KeyPolicy.Statement.filter((s: Json) => s.Principal?.Service === 'events.amazonaws.com');
    expect(forEvents).toEqual([{ Sid: 'AllowEventBridgeToPublishToEncryptedTopic', Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: '*' }]);
  });
});
