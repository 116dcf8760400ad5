import { Annotations, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { REPORT_KEY_PREFIXES } from '../../functions/adapters/s3-report-state';
import { InvalidInputError } from '../../functions/core/shared/errors';
import { DEFAULT_BUCKET } from '../../functions/core/shared/defaults';
import { BackupGrants, SNAPSHOT_ROOT } from './backup-grants';
import { BucketReplication, type ReplicaDestination } from './bucket-replication';
import { ObjectLockGuard } from './object-lock-guard';

/** Object Lock default retention for new snapshot versions. */
export interface BackupObjectLockProps {
  /** GOVERNANCE can be bypassed with `s3:BypassGovernanceRetention`; COMPLIANCE cannot be shortened by anyone. */
  readonly mode: 'GOVERNANCE' | 'COMPLIANCE';
  /** How long each new version is locked. */
  readonly days: number;
}

/** Properties of {@link BackupBucket}. */
export interface BackupBucketProps {
  /** The customer-managed key that encrypts snapshots (SSE-KMS with a bucket key). */
  readonly encryptionKey: kms.IKey;
  /**
   * Days after which a version that is no longer current (pruned or overwritten) is deleted for good.
   * @default 30
   */
  readonly noncurrentVersionExpirationDays?: number;
  /**
   * Object Lock default retention. Decided when the bucket is created: a later change is refused (see ObjectLockGuard).
   * @default - no Object Lock
   */
  readonly objectLock?: BackupObjectLockProps;
  /**
   * Days after which current snapshots move to S3 Glacier Instant Retrieval (instant, so restores need no thaw step).
   * @default - snapshots stay in S3 Standard
   */
  readonly transitionToGlacierAfterDays?: number;
  /**
   * Whether to write S3 server access logs to a second, SSE-S3 encrypted bucket.
   * @default false
   */
  readonly accessLogging?: boolean;
  /**
   * A copy of every backup in another Region or account (S3 replication).
   * @default - no replica
   */
  readonly replica?: ReplicaDestination;
}

/**
 * The versioned, KMS-encrypted, TLS-only bucket that holds Consul snapshots (which contain unredacted ACL secrets).
 * No config change replaces it: its only create-only property that the config touches, `ObjectLockEnabled`, is held
 * by {@link ObjectLockGuard}. Access is granted per key prefix through {@link grants}, into the grantee's own policy.
 *
 * @example
 * const backups = new BackupBucket(this, 'Backups', { encryptionKey: key });
 * backups.grants.grantWriteBackups(fn, snapshotPrefix('prod-east'));
 */
export class BackupBucket extends Construct {
  /** The bucket. */
  readonly bucket: s3.Bucket;
  /** The key that encrypts the snapshots. */
  readonly encryptionKey: kms.IKey;
  /** Prefix-scoped grants. */
  readonly grants: BackupGrants;
  /** The server access log bucket, when `accessLogging` is on. */
  readonly accessLogsBucket?: s3.Bucket;
  /** The replication to the replica, when configured. */
  readonly replication?: BucketReplication;

  constructor(scope: Construct, id: string, props: BackupBucketProps) {
    super(scope, id);
    const noncurrentDays = props.noncurrentVersionExpirationDays ?? DEFAULT_BUCKET.noncurrentVersionExpirationDays;
    validateDays('BackupBucketProps.noncurrentVersionExpirationDays', noncurrentDays, 1);
    if (props.objectLock) validateDays('BackupBucketProps.objectLock.days', props.objectLock.days, 1);
    if (props.transitionToGlacierAfterDays !== undefined) validateDays('BackupBucketProps.transitionToGlacierAfterDays', props.transitionToGlacierAfterDays, 0);

    this.encryptionKey = props.encryptionKey;
    this.accessLogsBucket = props.accessLogging ? this.createAccessLogsBucket() : undefined;
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.encryptionKey,
      bucketKeyEnabled: true,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      objectLockDefaultRetention: props.objectLock ? objectLockRetention(props.objectLock) : undefined,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: this.accessLogsBucket ? 'backups/' : undefined,
      lifecycleRules: lifecycleRules(noncurrentDays, props.transitionToGlacierAfterDays),
    });
    new ObjectLockGuard(this, 'ObjectLock', { bucket: this.bucket, wanted: props.objectLock !== undefined, docs: 'README "Object Lock"' });
    this.grants = new BackupGrants(this.bucket, this.encryptionKey, `<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>`);
    // An upload asking for another encryption (e.g. SSE-S3) is refused; one without the header gets the SSE-KMS default.
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyNonKmsUploads',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects('*')],
        conditions: { StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption': 'aws:kms' } },
      }),
    );
    if (props.replica) {
      this.replication = new BucketReplication(this, 'Replication', { bucket: this.bucket, encryptionKey: this.encryptionKey, destination: props.replica, objectLock: props.objectLock !== undefined });
    }
    this.acknowledgeAndWarn(props);
  }

  private acknowledgeAndWarn(props: BackupBucketProps): void {
    if (!props.accessLogging) {
      Validations.of(this.bucket).acknowledge({
        id: 'AwsSolutions-S1',
        reason:
          'Server access logging is off by choice (deploy config bucket.accessLogging: false, the default): audit snapshot reads with CloudTrail S3 data events, or set bucket.accessLogging: true to get an access log bucket.',
      });
    }
    if (props.objectLock?.mode === 'COMPLIANCE') {
      Annotations.of(this).addWarningV2(
        'consul-ops:objectLockCompliance',
        `Object Lock COMPLIANCE mode: every snapshot version is undeletable by anyone (root included) for ${props.objectLock.days} days, and the bucket cannot be deleted before. Use GOVERNANCE unless a regulation demands COMPLIANCE.`,
      );
    }
  }

  private createAccessLogsBucket(): s3.Bucket {
    const logs = new s3.Bucket(this, 'AccessLogs', {
      // S3 server access logging can only deliver to SSE-S3 buckets.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(365), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
    });
    Validations.of(logs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the server access log bucket of the snapshot bucket; logging it into itself would loop, and it holds only logs.',
    });
    return logs;
  }
}

function lifecycleRules(noncurrentDays: number, transitionDays: number | undefined): s3.LifecycleRule[] {
  const rules: s3.LifecycleRule[] = [
    { id: 'abort-incomplete-multipart-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
    // Pruned snapshots become noncurrent versions; they are gone for good N days later (or once Object Lock allows).
    { id: 'expire-noncurrent-versions', noncurrentVersionExpiration: Duration.days(noncurrentDays), expiredObjectDeleteMarker: true },
    // Full JSON reports (one per run and cluster) are for investigating recent runs, not an archive.
    { id: 'expire-reports', prefix: REPORT_KEY_PREFIXES.reports, expiration: Duration.days(DEFAULT_BUCKET.reportRetentionDays) },
  ];
  if (transitionDays !== undefined) {
    rules.push({
      id: 'transition-to-glacier-ir',
      prefix: `${SNAPSHOT_ROOT}/`,
      // Instant Retrieval: restores and verification read with a plain GetObject, no thaw step.
      transitions: [{ storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(transitionDays) }],
    });
  }
  return rules;
}

function objectLockRetention(lock: BackupObjectLockProps): s3.ObjectLockRetention {
  return lock.mode === 'COMPLIANCE'
    ? s3.ObjectLockRetention.compliance(Duration.days(lock.days))
    : s3.ObjectLockRetention.governance(Duration.days(lock.days));
}

function validateDays(field: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new InvalidInputError(field, `expected a whole number of days >= ${min}, got ${value}`, '30');
  }
}
