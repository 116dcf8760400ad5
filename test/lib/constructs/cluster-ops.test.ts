import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import { baselineDigest, parseIntentionBaseline } from '../../../functions/core/intentions/baseline';
import { CONSUL_JOBS } from '../../../lib/constructs/consul-function';
import {
  allIdentityStatements,
  bucketObjects,
  buildTestApp,
  CA_ARN,
  defaultConfig,
  functionBy,
  policyStatements,
  secretArnOf,
  TOKEN_ARN,
  viaService,
  type Json,
} from '../test-app';

/** The only actions AWS requires Resource "*" for: Lambda's VPC network interfaces. */
const ENI_ACTIONS = ['ec2:AssignPrivateIpAddresses', 'ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets', 'ec2:UnassignPrivateIpAddresses'];
const VPC_CONFIG = { SubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'], SecurityGroupIds: ['sg-0123456789abcdef0'] };
const KEY = { Ref: 'EncryptionKeyArn' };
const BUCKET = { Ref: 'BackupBucketArn' };
const KMS_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/** What every job's role gets for reporting: publish, and its own report and state keys. */
function reportStatements(feature: string): Json[] {
  return [
    { Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: 'ReportTopicArn' } },
    { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Condition: viaService('sns'), Resource: KEY },
    { Effect: 'Allow', Action: 's3:PutObject', Resource: bucketObjects(`reports/demo/${feature}/*`) },
    ...(feature === 'rotation'
      ? [
          // Rotation reports are scoped: one dedupe state per secret, under state/<cluster>/rotation/.
          { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: bucketObjects(`state/demo/${feature}/*`) },
          { Effect: 'Allow', Action: 's3:ListBucket', Condition: { StringLike: { 's3:prefix': `state/demo/${feature}/*` } }, Resource: BUCKET },
        ]
      : [
          { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: bucketObjects(`state/demo/${feature}.json`) },
          { Effect: 'Allow', Action: 's3:ListBucket', Condition: { StringEquals: { 's3:prefix': `state/demo/${feature}.json` } }, Resource: BUCKET },
        ]),
    { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Condition: viaService('s3'), Resource: KEY },
  ];
}

const dlq = (job: string) => ({ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [expect.stringMatching(new RegExp(`^Cluster${job}DeadLetterQueue`)), 'Arn'] } });
const consulSecrets = { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: [CA_ARN, TOKEN_ARN] };

describe('ClusterOps: take-snapshot', () => {
  const { clusterTemplate } = buildTestApp();
  const template = clusterTemplate();
  const fn = () => functionBy(template, /scheduled, verified snapshot of Consul cluster demo$/);

  it('runs on nodejs22.x arm64 in the cluster subnets, one at a time, logging to its own group', () => {
    expect(fn().Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      MemorySize: 1769,
      Timeout: 900,
      ReservedConcurrentExecutions: 1,
      VpcConfig: VPC_CONFIG,
      LoggingConfig: { LogGroup: { Ref: expect.stringMatching(/^ClusterTakeSnapshotLogGroup/) } },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it('passes the cluster settings, with the shared bucket and topic read from SSM at deploy time', () => {
    expect(fn().Properties.Environment.Variables).toEqual({
      POWERTOOLS_SERVICE_NAME: 'consul-ops-take-snapshot',
      POWERTOOLS_METRICS_NAMESPACE: 'ConsulOps',
      CLUSTER_NAME: 'demo',
      BUCKET_NAME: { Ref: 'BackupBucketName' },
      SNAPSHOT_PREFIX: 'snapshots',
      CONSUL_ADDRESSES: 'https://consul-0.demo.internal:8501,https://consul-1.demo.internal:8501',
      CONSUL_TOKEN_SECRET_ARN: TOKEN_ARN,
      CONSUL_CA_SECRET_ARN: CA_ARN,
      CONSUL_TLS_SERVER_NAME: 'server.dc1.consul',
      CONSUL_STALE: 'false',
      RETENTION_POLICY: JSON.stringify({ hourly: 24, daily: 7, weekly: 4, monthly: 6, yearly: 0, keepMin: 3, scheduleIntervalMs: 3_600_000 }),
      SCHEDULE_EXPRESSION: 'rate(1 hour)',
      SCHEDULE_TIME_ZONE: 'UTC',
      REPORT_TOPIC_ARN: { Ref: 'ReportTopicArn' },
      CONTENT_DROP_THRESHOLDS: JSON.stringify({ kvEntriesDropPercent: 20, aclTokensDropPercent: 20, servicesDropPercent: 20, intentionRemovedSeverity: 'medium' }),
    });
    expect(template.toJSON().Parameters.BackupBucketArn).toEqual({ Type: 'AWS::SSM::Parameter::Value<String>', Default: '/consul-ops/ConsulOps/backup-bucket-arn', Description: expect.any(String) });
  });

  it('sends failed async invocations to an SSE-SQS, TLS-only dead-letter queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: Match.stringLikeRegexp('^ClusterTakeSnapshotFunction') },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 1,
      MaximumEventAgeInSeconds: 3600,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ClusterTakeSnapshotDeadLetterQueue'), 'Arn'] } } },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 });
  });

  it('is scheduled hourly in UTC, and the schedule waits for both roles\' policies (a rate schedule fires at once)', () => {
    const [id, schedule] = Object.entries(template.findResources('AWS::Scheduler::Schedule')).find(([k]) => k.startsWith('ClusterTakeSnapshot')) as [string, Json];
    expect(id).toMatch(/^ClusterTakeSnapshotSchedule/);
    expect(schedule.Properties).toMatchObject({
      ScheduleExpression: 'rate(1 hour)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: { 'Fn::GetAtt': [expect.stringMatching(/^ClusterTakeSnapshotFunction/), 'Arn'] },
        Input: JSON.stringify({ trigger: 'schedule', cluster: 'demo' }),
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
      },
    });
    expect(schedule.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^ClusterTakeSnapshotSchedulerRoleDefaultPolicy/), expect.stringMatching(/^ClusterTakeSnapshotFunctionRoleDefaultPolicy/)]));
  });

  it('lets the scheduler role (this account only) invoke exactly the function and write only to the dead-letter queue', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'scheduler.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } })] },
    });
    expect(policyStatements(template, 'ClusterTakeSnapshotSchedulerRole')).toEqual([
      { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^ClusterTakeSnapshotFunction/), 'Arn'] } },
      dlq('TakeSnapshot'),
    ]);
  });

  it('grants exactly: its queue, its secrets, its snapshot prefix, its own report and state keys, and publish', () => {
    const reports = reportStatements('backup');
    // Its report state and the content-drop hold (which backup retention keeps while a drop is open) share a statement.
    reports[3] = { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: [bucketObjects('state/demo/backup.json'), bucketObjects('state/demo/content-drop-hold.json')] };
    expect(policyStatements(template, 'ClusterTakeSnapshotFunctionRole')).toEqual([
      dlq('TakeSnapshot'),
      consulSecrets,
      ...reports,
      { Effect: 'Allow', Action: 's3:ListBucket', Condition: { StringEquals: { 's3:prefix': 'state/demo/content-drop-hold.json' } }, Resource: BUCKET },
      {
        Effect: 'Allow',
        Action: ['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:GetObjectTagging', 's3:GetObjectVersion', 's3:GetObjectVersionTagging', 's3:ListMultipartUploadParts', 's3:PutObject', 's3:PutObjectTagging', 's3:PutObjectVersionTagging'],
        Resource: bucketObjects('snapshots/demo/*'),
      },
      { Effect: 'Allow', Action: ['s3:ListBucket', 's3:ListBucketVersions'], Condition: { StringLike: { 's3:prefix': ['snapshots/demo/*'] } }, Resource: BUCKET },
      // S3 has no s3:prefix condition for ListBucketMultipartUploads: the bucket ARN is the narrowest resource.
      { Effect: 'Allow', Action: 's3:ListBucketMultipartUploads', Resource: BUCKET },
    ]);
  });

  it('warns when a rate schedule is faster than the function timeout', () => {
    const config = defaultConfig();
    config.clusters[0].backup = { schedule: 'rate(5 minutes)' };
    Annotations.fromStack(buildTestApp(config).clusters.get('demo')!).hasWarning('/ConsulOps-cluster-demo/Cluster/TakeSnapshot', Match.stringLikeRegexp('faster than the 15-minute function timeout'));
  });
});

describe('ClusterOps: restore', () => {
  const template = buildTestApp().clusterTemplate();
  const fn = () => functionBy(template, /manual, verified restore/);

  it('runs one at a time for up to 15 minutes, is never scheduled and never retried', () => {
    expect(fn().Properties).toMatchObject({ MemorySize: 512, Timeout: 900, ReservedConcurrentExecutions: 1, VpcConfig: VPC_CONFIG });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { FunctionName: { Ref: Match.stringLikeRegexp('^ClusterRestoreFunction') }, MaximumRetryAttempts: 0 });
    expect(Object.keys(template.findResources('AWS::Scheduler::Schedule')).filter((k) => k.startsWith('ClusterRestore'))).toEqual([]);
    expect(fn().Properties.Environment.Variables).toMatchObject({ POWERTOOLS_SERVICE_NAME: 'consul-ops-restore', BUCKET_NAME: { Ref: 'BackupBucketName' }, SNAPSHOT_PREFIX: 'snapshots' });
  });

  it('reads any version under its prefix and writes only new objects (the safety snapshot): no delete', () => {
    expect(policyStatements(template, 'ClusterRestoreFunctionRole')).toEqual([
      { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: CA_ARN },
      // The management token secret: described too, so a restore can act as AWSPREVIOUS when AWSCURRENT is gone.
      { Effect: 'Allow', Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'], Resource: TOKEN_ARN },
      ...reportStatements('restore'),
      {
        Effect: 'Allow',
        Action: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:GetObjectTagging', 's3:GetObjectVersion', 's3:GetObjectVersionTagging', 's3:ListMultipartUploadParts', 's3:PutObject', 's3:PutObjectTagging', 's3:PutObjectVersionTagging'],
        Resource: bucketObjects('snapshots/demo/*'),
      },
      { Effect: 'Allow', Action: ['s3:ListBucket', 's3:ListBucketVersions'], Condition: { StringLike: { 's3:prefix': ['snapshots/demo/*'] } }, Resource: BUCKET },
    ]);
  });
});

describe('ClusterOps: restore with rotated tokens', () => {
  const config = defaultConfig();
  const WEB = secretArnOf('web');
  config.clusters[0].rotation = { tokens: [{ secretArn: WEB }], gracePeriodHours: 36 };
  const template = buildTestApp(config).clusterTemplate();

  it('passes the token secrets it reconciles and the grace period, and may describe and read them (never write)', () => {
    expect(functionBy(template, /manual, verified restore/).Properties.Environment.Variables).toMatchObject({ RESTORE_TOKEN_SECRET_ARNS: WEB, ROTATION_GRACE_PERIOD_HOURS: '36' });
    const statements = policyStatements(template, 'ClusterRestoreFunctionRole');
    expect(statements).toContainEqual({ Effect: 'Allow', Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'], Resource: [TOKEN_ARN, WEB].sort() });
    expect(JSON.stringify(statements)).not.toMatch(/PutSecretValue|UpdateSecretVersionStage/);
  });
});

describe('ClusterOps: check-certs', () => {
  const config = defaultConfig();
  const VAULT_CA = secretArnOf('vault-ca');
  config.clusters[0].certificates = { endpoints: ['consul-ui.demo.internal:443', { address: 'vault.demo.internal:8200', caBundleSecretArn: VAULT_CA }], thresholds: { endpoint: { warning: 30, critical: 10 } } };
  const template = buildTestApp(config).clusterTemplate();
  const fn = () => functionBy(template, /scheduled certificate check of Consul cluster demo$/);

  it('passes the endpoints as JSON (a CA bundle secret only where given), the auditor and the threshold overrides', () => {
    expect(fn().Properties).toMatchObject({ MemorySize: 512, Timeout: 300, VpcConfig: VPC_CONFIG });
    expect(fn().Properties.Environment.Variables).toMatchObject({
      POWERTOOLS_SERVICE_NAME: 'consul-ops-check-certs',
      CERT_AUDITOR_SERVICE: 'consul-ops-auditor',
      CERT_ENDPOINTS: JSON.stringify([{ address: 'consul-ui.demo.internal:443' }, { address: 'vault.demo.internal:8200', caBundleSecretArn: VAULT_CA }]),
      CERT_THRESHOLDS: JSON.stringify({ endpoint: { warning: 30, critical: 10 } }),
    });
  });

  it('may read the endpoint CA bundle besides its Consul secrets, and its own report keys only', () => {
    expect(policyStatements(template, 'ClusterCheckCertsFunctionRole')).toEqual([
      dlq('CheckCerts'),
      { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: [CA_ARN, TOKEN_ARN, VAULT_CA] },
      ...reportStatements('certificates'),
    ]);
  });

  it('is scheduled hourly by default and can be turned off', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(1 hour)', Target: Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ClusterCheckCertsFunction'), 'Arn'] } }) });
    const off = defaultConfig();
    off.clusters[0].certificates = { enabled: false };
    expect(() => functionBy(buildTestApp(off).clusterTemplate(), /certificate check/)).toThrow('found 0');
  });
});

describe('ClusterOps: audit-intentions', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'consul-ops-baseline-'));
  const file = path.join(dir, 'demo.yaml');
  writeFileSync(file, 'defaultPolicy: deny\nintentions:\n  - { source: web, destination: api }\n');

  it('without a baseline: no layer, no baseline variables', () => {
    const template = buildTestApp().clusterTemplate();
    template.resourceCountIs('AWS::Lambda::LayerVersion', 0);
    expect(Object.keys(functionBy(template, /intention audit/).Properties.Environment.Variables).filter((k) => k.startsWith('INTENTION_'))).toEqual([]);
    expect(policyStatements(template, 'ClusterAuditIntentionsFunctionRole')).toEqual([dlq('AuditIntentions'), consulSecrets, ...reportStatements('intentions')]);
  });

  it('ships the baseline in the cluster\'s own layer, with its sha256 in the environment, on the configured schedule', () => {
    // Prepare
    const config = defaultConfig();
    config.clusters[0].intentions = { schedule: 'cron(0/15 * * * ? *)', timeZone: 'Europe/Berlin', baselineFile: file };

    // Act
    const template = buildTestApp(config).clusterTemplate();

    // Assess
    const fn = functionBy(template, /intention audit/);
    expect(fn.Properties.Layers).toEqual([{ Ref: expect.stringMatching(/^ClusterIntentionBaselineLayer/) }]);
    expect(fn.Properties.Environment.Variables).toMatchObject({
      INTENTION_BASELINE_FILE: '/opt/consul-ops/intention-baseline.json',
      INTENTION_BASELINE_SHA256: baselineDigest(parseIntentionBaseline({ defaultPolicy: 'deny', intentions: [{ source: 'web', destination: 'api' }] })),
    });
    template.hasResourceProperties('AWS::Lambda::LayerVersion', { CompatibleRuntimes: ['nodejs22.x'], CompatibleArchitectures: ['arm64'] });
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(0/15 * * * ? *)', ScheduleExpressionTimezone: 'Europe/Berlin' });
  });
});

describe('ClusterOps: every job', () => {
  const config = defaultConfig();
  config.clusters[0].rotation = { tokens: [{ secretArn: secretArnOf('web') }], rotateManagementToken: true };
  const template = buildTestApp(config).clusterTemplate();
  const roles: [string, string][] = [
    ['ClusterTakeSnapshotFunctionRole', 'backup'],
    ['ClusterRestoreFunctionRole', 'restore'],
    ['ClusterRotateTokenFunctionRole', 'rotation'],
    ['ClusterAuditIntentionsFunctionRole', 'intentions'],
    ['ClusterCheckCertsFunctionRole', 'certificates'],
  ];

  it('has one function per job, each emitting as consul-ops-<job>', () => {
    const services = (Object.values(template.findResources('AWS::Lambda::Function')) as Json[]).map((f) => f.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME).sort();
    expect(services).toEqual(Object.keys(CONSUL_JOBS).map((job) => `consul-ops-${job}`).sort());
  });

  it.each(roles)('%s reaches only its own feature\'s report and state keys (%s)', (role, feature) => {
    const keys = JSON.stringify(policyStatements(template, role)).match(/\/(reports|state)\/[^"]*/g) ?? [];
    const extra = feature === 'backup' ? ['/state/demo/content-drop-hold.json'] : [];
    expect([...new Set(keys)].sort()).toEqual([`/reports/demo/${feature}/*`, feature === 'rotation' ? `/state/demo/${feature}/*` : `/state/demo/${feature}.json`, ...extra].sort());
  });

  it.each(roles)('%s has no action twice on the same resource and condition', (role) => {
    const seen = new Set<string>();
    for (const s of policyStatements(template, role)) {
      for (const action of [s.Action].flat()) {
        for (const resource of [s.Resource].flat()) {
          const key = JSON.stringify([action, resource, s.Condition ?? null]);
          expect(seen.has(key) ? key : undefined).toBeUndefined();
          seen.add(key);
        }
      }
    }
  });

  it('uses Resource "*" only for the ENI actions AWS requires it for, and no action wildcards', () => {
    const wildcard = allIdentityStatements(template).filter((s) => [s.Resource].flat().includes('*'));
    expect(wildcard.length).toBeGreaterThan(0);
    for (const statement of wildcard) expect([statement.Action].flat().every((a: string) => ENI_ACTIONS.includes(a))).toBe(true);
    expect(allIdentityStatements(template).flatMap((s) => [s.Action].flat()).filter((a: string) => a.includes('*'))).toEqual([]);
  });

  it('gives each function role only inline log and ENI permissions, and no managed policies', () => {
    const functionRoles = Object.entries(template.findResources('AWS::IAM::Role')).filter(([id]) => /FunctionRole/.test(id)) as [string, Json][];
    expect(functionRoles).toHaveLength(5);
    for (const [, role] of functionRoles) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      expect(role.Properties.Policies.map((p: Json) => p.PolicyName)).toEqual(['Runtime']);
    }
  });
});

describe('ClusterOps: secrets under a customer-managed key (consul.secretsKmsKeyArn)', () => {
  const config = defaultConfig();
  config.clusters[0].consul.secretsKmsKeyArn = KMS_KEY;
  config.clusters[0].rotation = { tokens: [{ secretArn: secretArnOf('web') }] };
  const template = buildTestApp(config).clusterTemplate();

  it.each(['ClusterTakeSnapshotFunctionRole', 'ClusterRestoreFunctionRole', 'ClusterAuditIntentionsFunctionRole', 'ClusterCheckCertsFunctionRole'])('%s may decrypt with it, through Secrets Manager only', (role) => {
    expect(policyStatements(template, role)).toContainEqual({ Effect: 'Allow', Action: 'kms:Decrypt', Condition: viaService('secretsmanager'), Resource: KMS_KEY });
  });

  it('the rotation role may also have data keys made, to store new versions', () => {
    expect(policyStatements(template, 'ClusterRotateTokenFunctionRole')).toContainEqual({ Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Condition: viaService('secretsmanager'), Resource: KMS_KEY });
  });
});

describe('ClusterOps: network', () => {
  it('needs no availability zones: subnets and security group are passed by id', () => {
    // Prepare
    const config = defaultConfig();
    delete config.clusters[0].network.availabilityZones;

    // Act
    const template: Template = buildTestApp(config).clusterTemplate();

    // Assess
    expect(functionBy(template, /verified snapshot/).Properties.VpcConfig).toEqual(VPC_CONFIG);
  });
});
