import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { InvalidInputError } from '../../functions/core/shared/errors';
import { BackupBucket } from '../../lib/constructs/backup-bucket';
import { ClusterBackup } from '../../lib/constructs/cluster-backup';
import { ReportTopic } from '../../lib/constructs/report-topic';
import { parseDeployConfig } from '../../lib/config/deploy-config';
import { buildTestStack, defaultConfig, extraCluster } from './test-app';

/** The only actions AWS requires Resource "*" for: Lambda's VPC network interfaces. */
const ENI_ACTIONS = ['ec2:AssignPrivateIpAddresses', 'ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets', 'ec2:UnassignPrivateIpAddresses'];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const BUCKET = { 'Fn::GetAtt': [Match.stringLikeRegexp('^BackupsBucket'), 'Arn'] };
const KEY = { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] };
const objectsUnder = (prefix: string) => ({ 'Fn::Join': ['', [BUCKET, `/${prefix}*`]] });
const TOKEN_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:consul/demo/management-token-AbCdEf';
const CA_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:consul/demo/ca-bundle-AbCdEf';
const viaService = (service: string) => ({ StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', [`${service}.`, { Ref: 'AWS::Region' }, '.amazonaws.com']] } } });

/** The statements of the IAM::Policy attached to the role whose logical id starts with `rolePrefix`. */
function policyStatements(template: Template, rolePrefix: string): Json[] {
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Json[];
  const policy = policies.find((p) => p.Properties.Roles.some((r: Json) => String(r.Ref).startsWith(rolePrefix)));
  if (!policy) throw new Error(`no policy for ${rolePrefix}`);
  return policy.Properties.PolicyDocument.Statement;
}

/** Every IAM statement of the template (role inline policies and IAM::Policy resources). */
function allIdentityStatements(template: Template): Json[] {
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Json[];
  const roles = Object.values(template.findResources('AWS::IAM::Role')) as Json[];
  return [
    ...policies.flatMap((p) => p.Properties.PolicyDocument.Statement),
    ...roles.flatMap((r) => (r.Properties.Policies ?? []).flatMap((p: Json) => p.PolicyDocument.Statement)),
  ];
}

describe('ConsulOpsStack', () => {
  describe('with the default config', () => {
    const { template } = buildTestStack();

    it('creates a versioned, SSE-KMS, private, owner-enforced, retained bucket', () => {
      template.resourceCountIs('AWS::S3::Bucket', 1);
      template.hasResource('AWS::S3::Bucket', {
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: {
          VersioningConfiguration: { Status: 'Enabled' },
          BucketEncryption: {
            ServerSideEncryptionConfiguration: [{ BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: KEY } }],
          },
          PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
          OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
          ObjectLockEnabled: Match.absent(),
          LoggingConfiguration: Match.absent(),
          LifecycleConfiguration: {
            Rules: [
              { Id: 'abort-incomplete-multipart-uploads', Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } },
              { Id: 'expire-noncurrent-versions', Status: 'Enabled', NoncurrentVersionExpiration: { NoncurrentDays: 30 }, ExpiredObjectDeleteMarker: true },
              { Id: 'expire-reports', Status: 'Enabled', Prefix: 'reports/', ExpirationInDays: 90 },
            ],
          },
        },
      });
    });

    it('denies non-TLS access and uploads that are not SSE-KMS', () => {
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            Match.objectLike({
              Sid: 'DenyNonKmsUploads',
              Effect: 'Deny',
              Action: 's3:PutObject',
              Condition: { StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption': 'aws:kms' } },
            }),
          ]),
        },
      });
    });

    it('creates one rotating, retained key that CloudWatch may use for the topic', () => {
      template.resourceCountIs('AWS::KMS::Key', 1);
      template.hasResource('AWS::KMS::Key', {
        DeletionPolicy: 'Retain',
        Properties: {
          EnableKeyRotation: true,
          KeyPolicy: {
            Statement: Match.arrayWith([
              { Sid: 'AllowCloudWatchAlarmsToPublishToEncryptedTopic', Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: '*' },
            ]),
          },
        },
      });
    });

    it('encrypts the report topic with the key and enforces TLS on it', () => {
      template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: KEY });
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
      });
      template.resourceCountIs('AWS::SNS::Subscription', 0);
    });

    it('runs take-snapshot on nodejs22.x arm64 in the cluster VPC, one at a time', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        MemorySize: 1024,
        Timeout: 900,
        ReservedConcurrentExecutions: 1,
        VpcConfig: { SubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'], SecurityGroupIds: ['sg-0123456789abcdef0'] },
        LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^ClusterdemoLogGroup') } },
      });
      template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    });

    it('passes the cluster settings to the function environment', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: {
            POWERTOOLS_SERVICE_NAME: 'consul-ops-take-snapshot',
            POWERTOOLS_METRICS_NAMESPACE: 'ConsulOps',
            CLUSTER_NAME: 'demo',
            BUCKET_NAME: { Ref: Match.stringLikeRegexp('^BackupsBucket') },
            SNAPSHOT_PREFIX: 'snapshots',
            CONSUL_ADDRESSES: 'https://consul-0.demo.internal:8501,https://consul-1.demo.internal:8501',
            CONSUL_TOKEN_SECRET_ARN: TOKEN_ARN,
            CONSUL_CA_SECRET_ARN: CA_ARN,
            CONSUL_TLS_SERVER_NAME: 'server.dc1.consul',
            CONSUL_STALE: 'false',
            RETENTION_POLICY: JSON.stringify({ hourly: 24, daily: 7, weekly: 4, monthly: 6, yearly: 0, keepMin: 3, scheduleIntervalMs: 3_600_000 }),
            SCHEDULE_EXPRESSION: 'rate(1 hour)',
            SCHEDULE_TIME_ZONE: 'UTC',
            REPORT_TOPIC_ARN: { Ref: Match.stringLikeRegexp('^ReportsTopic') },
          },
        },
      });
    });

    it('sends failed async invocations to an SSE-SQS, TLS-only dead-letter queue', () => {
      const queue = { 'Fn::GetAtt': [Match.stringLikeRegexp('^ClusterdemoDeadLetterQueue'), 'Arn'] };
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 1,
        MaximumEventAgeInSeconds: 3600,
        DestinationConfig: { OnFailure: { Destination: queue } },
      });
      template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 });
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        PolicyDocument: { Statement: [Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })] },
      });
    });

    it('schedules the function hourly in UTC without a flexible window', () => {
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'rate(1 hour)',
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        State: 'ENABLED',
        Target: {
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ClusterdemoFunction'), 'Arn'] },
          Input: JSON.stringify({ trigger: 'schedule', cluster: 'demo' }),
          RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ClusterdemoDeadLetterQueue'), 'Arn'] } },
        },
      });
    });

    it('gives the function role only inline log and ENI permissions, and no managed policies', () => {
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })] },
        ManagedPolicyArns: Match.absent(),
        Policies: [
          {
            PolicyName: 'Runtime',
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ClusterdemoLogGroup'), 'Arn'] } },
                {
                  Effect: 'Allow',
                  Action: [
                    'ec2:AssignPrivateIpAddresses',
                    'ec2:CreateNetworkInterface',
                    'ec2:DeleteNetworkInterface',
                    'ec2:DescribeNetworkInterfaces',
                    'ec2:DescribeSubnets',
                    'ec2:UnassignPrivateIpAddresses',
                  ],
                  Resource: '*',
                },
              ],
            },
          },
        ],
      });
    });

    it('grants the function exactly its prefix, its secrets, the key via S3/SNS, the topic and the queue', () => {
      const statements = policyStatements(template, 'ClusterdemoFunctionRole');
      expect(statements).toEqual([
        { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: expect.objectContaining({ 'Fn::GetAtt': [expect.stringMatching(/^ClusterdemoDeadLetterQueue/), 'Arn'] }) },
        { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: [CA_ARN, TOKEN_ARN] },
        {
          Effect: 'Allow',
          Action: [
            's3:AbortMultipartUpload',
            's3:DeleteObject',
            's3:GetObject',
            's3:GetObjectTagging',
            's3:GetObjectVersion',
            's3:GetObjectVersionTagging',
            's3:ListMultipartUploadParts',
            's3:PutObject',
            's3:PutObjectTagging',
            's3:PutObjectVersionTagging',
          ],
          Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^BackupsBucket/), 'Arn'] }, '/snapshots/demo/*']] },
        },
        { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Condition: s3Via(), Resource: keyArn() },
        {
          Effect: 'Allow',
          Action: ['s3:ListBucket', 's3:ListBucketVersions'],
          Condition: { StringLike: { 's3:prefix': ['snapshots/demo/*'] } },
          Resource: bucketArn(),
        },
        // S3 has no s3:prefix condition for ListBucketMultipartUploads: the bucket ARN is the narrowest resource.
        { Effect: 'Allow', Action: 's3:ListBucketMultipartUploads', Resource: bucketArn() },
        { Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: expect.stringMatching(/^ReportsTopic/) } },
        { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Condition: snsVia(), Resource: keyArn() },
      ]);
    });

    it('lets the scheduler role invoke only the function ARN and write only to the dead-letter queue', () => {
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [Match.objectLike({ Principal: { Service: 'scheduler.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } })],
        },
      });
      expect(policyStatements(template, 'ClusterdemoSchedulerRole')).toEqual([
        { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^ClusterdemoFunction/), 'Arn'] } },
        { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^ClusterdemoDeadLetterQueue/), 'Arn'] } },
      ]);
    });

    it('uses Resource "*" only for the ENI actions AWS requires it for', () => {
      const wildcard = allIdentityStatements(template).filter((s) => [s.Resource].flat().includes('*'));
      // Lambda's VPC ENI management: Describe* cannot be scoped and ENI ids do not exist before Lambda creates them.
      expect(wildcard.length).toBeGreaterThan(0);
      for (const statement of wildcard) {
        expect([statement.Action].flat().every((a: string) => ENI_ACTIONS.includes(a))).toBe(true);
      }
      expect(allIdentityStatements(template).flatMap((s) => [s.Action].flat()).filter((a: string) => a.includes('*'))).toEqual([]);
    });

    it('creates no VPC endpoints unless asked', () => {
      template.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
      template.resourceCountIs('AWS::EC2::SecurityGroup', 0);
    });

    it('outputs the bucket name, topic ARN and function names', () => {
      template.hasOutput('BackupBucketName', { Value: { Ref: Match.stringLikeRegexp('^BackupsBucket') } });
      template.hasOutput('ReportTopicArn', { Value: { Ref: Match.stringLikeRegexp('^ReportsTopic') } });
      template.hasOutput('*', { Value: { Ref: Match.stringLikeRegexp('^ClusterdemoFunction') } });
    });
  });

  describe('with every option on', () => {
    const config = defaultConfig();
    config.clusters[0].network.routeTableIds = ['rtb-0123456789abcdef0'];
    config.clusters[0].backup = { schedule: 'cron(15 * * * ? *)', timeZone: 'Europe/Berlin', stale: true, maxStaleMs: 5000 };
    config.clusters.push(extraCluster('west', 'a1'), extraCluster('staging', 'b2', 'vpc-0fedcba9876543210'));
    config.notifications = { emails: ['ops@example.com'], emailSeverities: ['critical'] };
    config.bucket = { noncurrentVersionExpirationDays: 14, objectLock: { mode: 'COMPLIANCE', days: 7 }, transitionToGlacierAfterDays: 30, accessLogging: true };
    config.network = { createVpcEndpoints: true };
    config.restore = { allowedPrincipalArns: ['arn:aws:iam::123456789012:role/consul-restore'] };
    const { stack, template } = buildTestStack(config);

    it('turns on Object Lock with the configured default retention, and warns about COMPLIANCE', () => {
      template.hasResourceProperties('AWS::S3::Bucket', {
        ObjectLockEnabled: true,
        ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 7 } } },
      });
      Annotations.fromStack(stack).hasWarning('/Test/Backups', Match.stringLikeRegexp('Object Lock COMPLIANCE mode'));
    });

    it('expires noncurrent versions after the configured days and moves snapshots to Glacier Instant Retrieval', () => {
      template.hasResourceProperties('AWS::S3::Bucket', {
        LifecycleConfiguration: {
          Rules: Match.arrayWith([
            Match.objectLike({ Id: 'expire-noncurrent-versions', NoncurrentVersionExpiration: { NoncurrentDays: 14 } }),
            { Id: 'transition-to-glacier-ir', Status: 'Enabled', Prefix: 'snapshots/', Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 30 }] },
          ]),
        },
      });
    });

    it('logs bucket access to an SSE-S3, TLS-only log bucket', () => {
      template.resourceCountIs('AWS::S3::Bucket', 2);
      template.hasResourceProperties('AWS::S3::Bucket', {
        LoggingConfiguration: { DestinationBucketName: { Ref: Match.stringLikeRegexp('^BackupsAccessLogs') }, LogFilePrefix: 'backups/' },
      });
      template.hasResourceProperties('AWS::S3::Bucket', {
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 365 })] },
      });
    });

    it('subscribes the emails with a severity filter', () => {
      template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com', FilterPolicy: { severity: ['critical'] } });
    });

    it('uses the configured cron expression and time zone', () => {
      template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(15 * * * ? *)', ScheduleExpressionTimezone: 'Europe/Berlin' });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ CLUSTER_NAME: 'demo', CONSUL_STALE: 'true', CONSUL_MAX_STALE_MS: '5000', RETENTION_POLICY: Match.not(Match.stringLikeRegexp('scheduleIntervalMs')) }) },
      });
    });

    it('scopes each cluster to its own prefix and token', () => {
      const snapshotFunctions = template.findResources('AWS::Lambda::Function', {
        Properties: { Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'consul-ops-take-snapshot' }) } },
      });
      expect(Object.keys(snapshotFunctions)).toHaveLength(3);
      const west = policyStatements(template, 'ClusterwestFunctionRole');
      expect(west).toContainEqual(expect.objectContaining({ Action: 'secretsmanager:GetSecretValue', Resource: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:consul/west/token-Ab12a1' }));
      expect(west).toContainEqual(expect.objectContaining({ Resource: { 'Fn::Join': ['', [bucketArn(), '/snapshots/west/*']] } }));
      expect(JSON.stringify(west)).not.toContain('snapshots/demo/');
    });

    it('lets the restore principals read all snapshots through the bucket and key policies', () => {
      const principal = { AWS: 'arn:aws:iam::123456789012:role/consul-restore' };
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            { Effect: 'Allow', Principal: principal, Action: ['s3:GetObject', 's3:GetObjectTagging', 's3:GetObjectVersion', 's3:GetObjectVersionTagging'], Resource: objectsUnder('snapshots/') },
            { Effect: 'Allow', Principal: principal, Action: ['s3:ListBucket', 's3:ListBucketVersions'], Condition: { StringLike: { 's3:prefix': ['snapshots/*'] } }, Resource: BUCKET },
          ]),
        },
      });
      template.hasResourceProperties('AWS::KMS::Key', {
        KeyPolicy: { Statement: Match.arrayWith([{ Effect: 'Allow', Principal: principal, Action: 'kms:Decrypt', Condition: viaService('s3'), Resource: '*' }]) },
      });
    });

    it('creates one set of endpoints per VPC with one subnet per zone', () => {
      template.resourceCountIs('AWS::EC2::VPCEndpoint', 12);
      template.resourceCountIs('AWS::EC2::SecurityGroup', 2);
      template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        VpcId: 'vpc-0123456789abcdef0',
        VpcEndpointType: 'Gateway',
        RouteTableIds: ['rtb-0123456789abcdef0', 'rtb-0123456789abcdea1'],
      });
      for (const service of ['secretsmanager', 'sns', 'kms', 'monitoring', 'logs']) {
        template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
          VpcId: 'vpc-0123456789abcdef0',
          VpcEndpointType: 'Interface',
          PrivateDnsEnabled: true,
          ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, `.${service}`]] },
          SubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1', 'subnet-0123456789abcdea1'],
        });
      }
      template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, SourceSecurityGroupId: 'sg-0123456789abcdea1' });
    });
  });

  it('warns when a rate schedule is faster than the function timeout', () => {
    const config = defaultConfig();
    config.clusters[0].backup = { schedule: 'rate(5 minutes)' };
    const { stack } = buildTestStack(config);
    Annotations.fromStack(stack).hasWarning('/Test/Cluster-demo', Match.stringLikeRegexp('faster than the 15-minute function timeout'));
  });
});

describe('construct prop validation', () => {
  const config = parseDeployConfig(defaultConfig());
  const stack = new Stack(new App(), 'Props');
  const bucket = new BackupBucket(stack, 'Bucket');
  const topic = new ReportTopic(stack, 'Topic');

  it('ClusterBackup rejects a cluster name that is not a DNS label', () => {
    const { name: _name, ...cluster } = config.clusters[0];
    expect(() => new ClusterBackup(stack, 'Bad', { clusterName: 'Bad_Name', ...cluster, bucket, reportTopic: topic })).toThrow(InvalidInputError);
  });

  it('BackupBucket grants reject prefixes with wildcards or without a trailing slash', () => {
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() });
    expect(() => bucket.grantWriteBackups(role, 'snapshots/*')).toThrow('prefix: expected a key prefix ending in "/" without wildcards, got "snapshots/*"');
    expect(() => bucket.grantReadBackups(role, 'snapshots')).toThrow(InvalidInputError);
  });

  it('BackupBucket rejects a non-positive noncurrent expiration', () => {
    expect(() => new BackupBucket(stack, 'Zero', { noncurrentVersionExpirationDays: 0 })).toThrow('BackupBucketProps.noncurrentVersionExpirationDays');
  });

  it('ReportTopic rejects an empty severity filter', () => {
    expect(() => new ReportTopic(stack, 'NoSeverities', { emailSeverities: [] })).toThrow('ReportTopicProps.emailSeverities');
  });
});

function bucketArn(): Json {
  return { 'Fn::GetAtt': [expect.stringMatching(/^BackupsBucket/), 'Arn'] };
}

function keyArn(): Json {
  return { 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] };
}

function s3Via(): Json {
  return viaService('s3');
}

function snsVia(): Json {
  return viaService('sns');
}
