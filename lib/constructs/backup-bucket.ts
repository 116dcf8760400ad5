import { Annotations, Aws, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { InvalidInputError } from '../../functions/core/shared/errors';

/** Writing snapshots: single and multipart uploads, plus the tags the retention planner reads. */
export const BACKUP_WRITE_ACTIONS = [
  's3:PutObject',
  's3:AbortMultipartUpload',
  's3:ListMultipartUploadParts',
  's3:PutObjectTagging',
  // Surprising but required: the verified tag is written on one version (PutObjectTagging with a VersionId).
  's3:PutObjectVersionTagging',
] as const;
/** Reading snapshots by key or version, with their tags (restore, verification, retention planning). */
export const BACKUP_READ_ACTIONS = ['s3:GetObject', 's3:GetObjectVersion', 's3:GetObjectTagging', 's3:GetObjectVersionTagging'] as const;
/** Listing keys and versions; always granted with an `s3:prefix` condition. */
export const BACKUP_LIST_ACTIONS = ['s3:ListBucket', 's3:ListBucketVersions'] as const;
/**
 * Deleting snapshots the retention plan dropped. Only delete markers (no version id), so a pruned backup stays
 * recoverable until lifecycle expiry; `s3:DeleteObjectVersion` is deliberately not granted.
 */
export const BACKUP_DELETE_ACTIONS = ['s3:DeleteObject'] as const;
/**
 * Finding abandoned multipart uploads to abort them. Surprising: S3 offers no `s3:prefix` condition for this action, so
 * it is granted on the bucket as a whole; it only reveals key names and upload ids, never content.
 */
export const BACKUP_LIST_UPLOADS_ACTIONS = ['s3:ListBucketMultipartUploads'] as const;
/** SSE-KMS with a bucket key: uploads need a data key, and multipart completion and reads need Decrypt. */
export const BACKUP_KEY_WRITE_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt'] as const;
/** Reading SSE-KMS objects. */
export const BACKUP_KEY_READ_ACTIONS = ['kms:Decrypt'] as const;

/** Object Lock default retention for new snapshot versions. */
export interface BackupObjectLockProps {
  /** GOVERNANCE can be bypassed with `s3:BypassGovernanceRetention`; COMPLIANCE cannot be shortened by anyone. */
  readonly mode: 'GOVERNANCE' | 'COMPLIANCE';
  /** How long each new version is locked. */
  readonly days: number;
}

/** Properties of {@link BackupBucket}. */
export interface BackupBucketProps {
  /**
   * The customer-managed key that encrypts snapshots (SSE-KMS with a bucket key).
   * @default - a new key with yearly rotation, retained on stack deletion
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Days after which a version that is no longer current (pruned or overwritten) is deleted for good.
   * @default 30
   */
  readonly noncurrentVersionExpirationDays?: number;
  /**
   * Object Lock default retention. Can only be turned on, never off again.
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
}

/**
 * The versioned, KMS-encrypted, TLS-only bucket that holds Consul snapshots (which contain unredacted ACL secrets).
 * Access is granted per key prefix, e.g. `snapshots/<cluster>/`, through the `grant…` methods.
 *
 * @example
 * const backups = new BackupBucket(this, 'Backups', { noncurrentVersionExpirationDays: 30 });
 * backups.grantWriteBackups(fn, BackupBucket.snapshotPrefix('prod-east'));
 */
export class BackupBucket extends Construct {
  /** Key prefix of one cluster's snapshots, e.g. `snapshots/prod-east/`. */
  static snapshotPrefix(clusterName: string): string {
    return `${BackupBucket.SNAPSHOT_ROOT}/${clusterName}/`;
  }

  /**
   * The key prefix under which every cluster has its folder (the handlers' `SNAPSHOT_PREFIX`; the workflows add
   * `<cluster>/` themselves, see `functions/core/backup/backup-key.ts`).
   */
  static readonly SNAPSHOT_ROOT = 'snapshots';

  /** The bucket. */
  readonly bucket: s3.Bucket;
  /** The key that encrypts the snapshots. */
  readonly encryptionKey: kms.IKey;
  /** The server access log bucket, when `accessLogging` is on. */
  readonly accessLogsBucket?: s3.Bucket;

  constructor(scope: Construct, id: string, props: BackupBucketProps = {}) {
    super(scope, id);
    const noncurrentDays = props.noncurrentVersionExpirationDays ?? 30;
    validateDays('BackupBucketProps.noncurrentVersionExpirationDays', noncurrentDays, 1);
    if (props.objectLock) validateDays('BackupBucketProps.objectLock.days', props.objectLock.days, 1);
    if (props.transitionToGlacierAfterDays !== undefined) {
      validateDays('BackupBucketProps.transitionToGlacierAfterDays', props.transitionToGlacierAfterDays, 0);
    }

    this.encryptionKey =
      props.encryptionKey ??
      new kms.Key(this, 'Key', {
        description: 'consul-ops: encrypts Consul snapshots',
        enableKeyRotation: true,
        removalPolicy: RemovalPolicy.RETAIN,
      });
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
      objectLockEnabled: props.objectLock ? true : undefined,
      objectLockDefaultRetention: props.objectLock ? objectLockRetention(props.objectLock) : undefined,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: this.accessLogsBucket ? 'backups/' : undefined,
      lifecycleRules: lifecycleRules(noncurrentDays, props.transitionToGlacierAfterDays),
    });
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

  /**
   * Lets `grantee` upload snapshots under `prefix` (single and multipart, with tags).
   *
   * @param prefix a key prefix ending in `/`, e.g. `snapshots/prod-east/`
   */
  grantWriteBackups(grantee: iam.IGrantable, prefix: string): iam.Grant {
    return this.grantObjects(grantee, prefix, BACKUP_WRITE_ACTIONS).combine(this.grantKey(grantee, BACKUP_KEY_WRITE_ACTIONS));
  }

  /**
   * Lets `grantee` list and read snapshots (any version) under `prefix`.
   *
   * @param prefix a key prefix ending in `/`, e.g. `snapshots/prod-east/`
   */
  grantReadBackups(grantee: iam.IGrantable, prefix: string): iam.Grant {
    return this.grantObjects(grantee, prefix, BACKUP_READ_ACTIONS)
      .combine(this.grantList(grantee, prefix))
      .combine(this.grantKey(grantee, BACKUP_KEY_READ_ACTIONS));
  }

  /**
   * Lets `grantee` list snapshots under `prefix`, delete them (by key or version) and abort abandoned uploads.
   *
   * @param prefix a key prefix ending in `/`, e.g. `snapshots/prod-east/`
   */
  grantPrune(grantee: iam.IGrantable, prefix: string): iam.Grant {
    return this.grantObjects(grantee, prefix, [...BACKUP_DELETE_ACTIONS, 's3:AbortMultipartUpload'])
      .combine(this.grantList(grantee, prefix))
      .combine(
        iam.Grant.addToPrincipalOrResource({
          grantee,
          actions: [...BACKUP_LIST_UPLOADS_ACTIONS],
          resourceArns: [this.bucket.bucketArn],
          resource: this.bucket,
        }),
      );
  }

  private grantObjects(grantee: iam.IGrantable, prefix: string, actions: readonly string[]): iam.Grant {
    validatePrefix(prefix);
    return iam.Grant.addToPrincipalOrResource({
      grantee,
      actions: [...actions],
      resourceArns: [this.bucket.arnForObjects(`${prefix}*`)],
      resource: this.bucket,
    });
  }

  private grantList(grantee: iam.IGrantable, prefix: string): iam.Grant {
    validatePrefix(prefix);
    // Callers must pass Prefix on ListObjects(V2)/ListObjectVersions; a listing of the whole bucket is refused.
    return iam.Grant.addToPrincipalOrResource({
      grantee,
      actions: [...BACKUP_LIST_ACTIONS],
      resourceArns: [this.bucket.bucketArn],
      resource: this.bucket,
      conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } },
    });
  }

  private grantKey(grantee: iam.IGrantable, actions: readonly string[]): iam.Grant {
    // Only usable through S3: the same key also encrypts the report topic, which has its own grant.
    return iam.Grant.addToPrincipalOrResource({
      grantee,
      actions: [...actions],
      resourceArns: [this.encryptionKey.keyArn],
      resource: this.encryptionKey,
      resourceSelfArns: ['*'],
      conditions: { StringEquals: { 'kms:ViaService': `s3.${Aws.REGION}.amazonaws.com` } },
    });
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

/** How long the full JSON reports under `reports/` are kept. */
export const REPORT_RETENTION_DAYS = 90;

function lifecycleRules(noncurrentDays: number, transitionDays: number | undefined): s3.LifecycleRule[] {
  const rules: s3.LifecycleRule[] = [
    { id: 'abort-incomplete-multipart-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
    // Pruned snapshots become noncurrent versions; they are gone for good N days later (or once Object Lock allows).
    { id: 'expire-noncurrent-versions', noncurrentVersionExpiration: Duration.days(noncurrentDays), expiredObjectDeleteMarker: true },
    // Full JSON reports (one per run and cluster) are for investigating recent runs, not an archive.
    { id: 'expire-reports', prefix: 'reports/', expiration: Duration.days(REPORT_RETENTION_DAYS) },
  ];
  if (transitionDays !== undefined) {
    rules.push({
      id: 'transition-to-glacier-ir',
      prefix: 'snapshots/',
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

function validatePrefix(prefix: string): void {
  if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*\/$/.test(prefix)) {
    throw new InvalidInputError('prefix', `expected a key prefix ending in "/" without wildcards, got "${prefix}"`, '"snapshots/prod-east/"');
  }
}
