import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { InvalidInputError } from '../../../functions/core/shared/errors';
import type { DeployConfigInput } from '../../../lib/config/deploy-config';
import { BackupBucket } from '../../../lib/constructs/backup-bucket';
import { OBJECT_LOCK_PARAMETER } from '../../../lib/constructs/object-lock-guard';
import { buildTestApp, defaultConfig, type Json } from '../test-app';

const KEY = { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] };
const REPLICA = { bucketArn: 'arn:aws:s3:::consul-ops-replica', kmsKeyArn: 'arn:aws:kms:eu-central-1:210987654321:key/1234abcd-12ab-34cd-56ef-1234567890ab' };

describe('BackupBucket (in the shared stack)', () => {
  const { sharedTemplate: template } = buildTestApp();

  it('is versioned, SSE-KMS with a bucket key, private, owner-enforced and retained', () => {
    template.resourceCountIs('AWS::S3::Bucket', 1);
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        VersioningConfiguration: { Status: 'Enabled' },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: KEY } }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        ObjectLockConfiguration: Match.absent(),
        LoggingConfiguration: Match.absent(),
        ReplicationConfiguration: Match.absent(),
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

  it('denies non-TLS access and uploads that are not SSE-KMS, and names no principal of any cluster', () => {
    const [policy] = Object.values(template.findResources('AWS::S3::BucketPolicy')) as Json[];
    const statements = policy.Properties.PolicyDocument.Statement as Json[];
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
        expect.objectContaining({ Sid: 'DenyNonKmsUploads', Effect: 'Deny', Action: 's3:PutObject', Condition: { StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption': 'aws:kms' } } }),
      ]),
    );
    // Grants go to the principals' own policies: nothing here that an unknown principal could break.
    expect(statements.filter((s) => s.Effect === 'Allow')).toEqual([]);
  });
});

/** The bucket, key and topics of the shared stack: logical id, type and create-only properties. */
function identity(template: Template): Json {
  const pick = (type: string, createOnly: string[]) =>
    Object.fromEntries(
      Object.entries(template.findResources(type)).map(([id, r]: [string, Json]) => [id, Object.fromEntries(createOnly.map((p) => [p, r.Properties?.[p]]))]),
    );
  return {
    buckets: pick('AWS::S3::Bucket', ['BucketName', 'ObjectLockEnabled']),
    keys: pick('AWS::KMS::Key', ['KeySpec', 'KeyUsage', 'MultiRegion']),
    topics: pick('AWS::SNS::Topic', ['TopicName', 'FifoTopic']),
  };
}

describe('no config change replaces the bucket, its key or the topics', () => {
  const withBucket = (bucket: DeployConfigInput['bucket']): DeployConfigInput => ({ ...defaultConfig(), bucket });
  const baseline = identity(buildTestApp().sharedTemplate);

  it.each([
    ['Object Lock on', { objectLock: { mode: 'GOVERNANCE', days: 7 } }],
    ['Object Lock in COMPLIANCE mode', { objectLock: { mode: 'COMPLIANCE', days: 30 } }],
    ['another noncurrent expiration', { noncurrentVersionExpirationDays: 7 }],
    ['Glacier transition', { transitionToGlacierAfterDays: 30 }],
    ['a replica', { replica: REPLICA }],
  ] as const)('%s keeps every logical id and create-only property', (_name, bucket) => {
    // Act
    const changed = identity(buildTestApp(withBucket(bucket as DeployConfigInput['bucket'])).sharedTemplate);

    // Assess
    expect(changed).toEqual(baseline);
  });

  it('access logging adds a log bucket and keeps the backup bucket', () => {
    const changed = identity(buildTestApp(withBucket({ accessLogging: true })).sharedTemplate);
    expect(changed.buckets).toEqual(expect.objectContaining(baseline.buckets));
    expect(Object.keys(changed.buckets)).toHaveLength(2);
    expect(changed.keys).toEqual(baseline.keys);
    expect(changed.topics).toEqual(baseline.topics);
  });

  it('e-mail, Slack and rotation settings keep the key and topics', () => {
    const config = defaultConfig();
    config.notifications = { emails: ['ops@example.com'], emailSeverities: ['critical'], slackWebhookSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack-AbCdEf' };
    config.clusters[0].rotation = { rotateManagementToken: true };
    expect(identity(buildTestApp(config).sharedTemplate)).toEqual(baseline);
  });
});

describe('Object Lock', () => {
  const locked = buildTestApp({ ...defaultConfig(), bucket: { objectLock: { mode: 'COMPLIANCE', days: 7 } } });
  const unlocked = buildTestApp();

  it('sets the default retention, and ObjectLockEnabled only from the create-time parameter', () => {
    const objectLockEnabled = { 'Fn::If': ['BackupBucketObjectLockAtCreation', true, { Ref: 'AWS::NoValue' }] };
    locked.sharedTemplate.hasResourceProperties('AWS::S3::Bucket', { ObjectLockEnabled: objectLockEnabled, ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 7 } } } });
    unlocked.sharedTemplate.hasResourceProperties('AWS::S3::Bucket', { ObjectLockEnabled: objectLockEnabled, ObjectLockConfiguration: Match.absent() });
    expect(locked.sharedTemplate.toJSON().Conditions).toEqual({ BackupBucketObjectLockAtCreation: { 'Fn::Equals': [{ Ref: OBJECT_LOCK_PARAMETER }, 'enabled-at-creation'] } });
  });

  it('defaults the parameter to the config of the first deploy', () => {
    expect(locked.sharedTemplate.toJSON().Parameters[OBJECT_LOCK_PARAMETER]).toMatchObject({ Type: 'String', Default: 'enabled-at-creation', AllowedValues: ['enabled-at-creation', 'enabled-later', 'disabled'] });
    expect(unlocked.sharedTemplate.toJSON().Parameters[OBJECT_LOCK_PARAMETER]).toMatchObject({ Default: 'disabled' });
  });

  it('refuses turning it on later, at change-set creation, with the way to migrate', () => {
    const [assertion] = locked.sharedTemplate.toJSON().Rules.BackupBucketObjectLockUnchanged.Assertions;
    expect(assertion.Assert).toEqual({ 'Fn::Or': [{ 'Fn::Equals': [{ Ref: OBJECT_LOCK_PARAMETER }, 'enabled-at-creation'] }, { 'Fn::Equals': [{ Ref: OBJECT_LOCK_PARAMETER }, 'enabled-later'] }] });
    expect(assertion.AssertDescription).toContain('aws s3api put-object-lock-configuration');
    expect(assertion.AssertDescription).toContain(`--parameters ConsulOps:${OBJECT_LOCK_PARAMETER}=enabled-later`);
    expect(assertion.AssertDescription).toContain('new deployment and copy the backups');
  });

  it('refuses turning it off (S3 never does)', () => {
    const [assertion] = unlocked.sharedTemplate.toJSON().Rules.BackupBucketObjectLockUnchanged.Assertions;
    expect(assertion.Assert).toEqual({ 'Fn::Equals': [{ Ref: OBJECT_LOCK_PARAMETER }, 'disabled'] });
    expect(assertion.AssertDescription).toContain('S3 never turns off');
  });

  it('warns about COMPLIANCE mode', () => {
    Annotations.fromStack(locked.shared).hasWarning('/ConsulOps/Backups', Match.stringLikeRegexp('Object Lock COMPLIANCE mode'));
  });
});

describe('BackupBucket options', () => {
  it('expires noncurrent versions after the configured days and moves snapshots to Glacier Instant Retrieval', () => {
    const { sharedTemplate } = buildTestApp({ ...defaultConfig(), bucket: { noncurrentVersionExpirationDays: 14, transitionToGlacierAfterDays: 30 } });
    sharedTemplate.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Id: 'expire-noncurrent-versions', NoncurrentVersionExpiration: { NoncurrentDays: 14 } }),
          { Id: 'transition-to-glacier-ir', Status: 'Enabled', Prefix: 'snapshots/', Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 30 }] },
        ]),
      },
    });
  });

  it('logs bucket access to an SSE-S3, TLS-only log bucket', () => {
    const { sharedTemplate } = buildTestApp({ ...defaultConfig(), bucket: { accessLogging: true } });
    sharedTemplate.hasResourceProperties('AWS::S3::Bucket', { LoggingConfiguration: { DestinationBucketName: { Ref: Match.stringLikeRegexp('^BackupsAccessLogs') }, LogFilePrefix: 'backups/' } });
    sharedTemplate.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 365 })] },
    });
  });
});

describe('BackupBucket props and grants', () => {
  const newStack = () => new Stack(new App(), 'Props');

  it('rejects a non-positive noncurrent expiration', () => {
    const stack = newStack();
    expect(() => new BackupBucket(stack, 'Zero', { encryptionKey: new kms.Key(stack, 'K'), noncurrentVersionExpirationDays: 0 })).toThrow('BackupBucketProps.noncurrentVersionExpirationDays');
  });

  it('rejects grant prefixes with wildcards or without a trailing slash', () => {
    const stack = newStack();
    const bucket = new BackupBucket(stack, 'Bucket', { encryptionKey: new kms.Key(stack, 'K') });
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() });
    expect(() => bucket.grants.grantWriteBackups(role, 'snapshots/*')).toThrow('prefix: expected a key prefix ending in "/" without wildcards, got "snapshots/*"');
    expect(() => bucket.grants.grantReadBackups(role, 'snapshots')).toThrow(InvalidInputError);
  });
});
