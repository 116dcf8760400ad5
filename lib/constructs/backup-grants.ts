import { Aws, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { REPORT_KEY_PREFIXES, reportStateKey } from '../../functions/adapters/s3-report-state';
import { InvalidInputError } from '../../functions/core/shared/errors';
import { SCOPED_REPORT_FEATURES, type ReportFeature } from '../../functions/core/report/report';

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
export const BACKUP_DELETE_ACTIONS = ['s3:DeleteObject', 's3:AbortMultipartUpload'] as const;
/**
 * Finding abandoned multipart uploads to abort them. Surprising: S3 offers no `s3:prefix` condition for this action, so
 * it is granted on the bucket as a whole; it only reveals key names and upload ids, never content.
 */
export const BACKUP_LIST_UPLOADS_ACTIONS = ['s3:ListBucketMultipartUploads'] as const;
/** SSE-KMS with a bucket key: uploads need a data key, and multipart completion and reads need Decrypt. */
export const BACKUP_KEY_WRITE_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt'] as const;
/** Reading SSE-KMS objects. */
export const BACKUP_KEY_READ_ACTIONS = ['kms:Decrypt'] as const;
/** Writing a job's full JSON reports (write-only: nothing reads them back). */
export const FEATURE_REPORT_ACTIONS = ['s3:PutObject'] as const;
/** Reading and writing the job's report dedupe state (one object). */
export const FEATURE_STATE_ACTIONS = ['s3:GetObject', 's3:PutObject'] as const;
/** Telling a missing state (first run) from a refused read: S3 answers 404 instead of 403 only with `s3:ListBucket`. */
export const FEATURE_STATE_LIST_ACTIONS = ['s3:ListBucket'] as const;

/** Key prefix under which every cluster has its snapshot folder (the handlers' `SNAPSHOT_PREFIX`). */
export const SNAPSHOT_ROOT = 'snapshots';

/** Key prefix of one cluster's snapshots, e.g. `snapshots/prod-east/`. */
export function snapshotPrefix(clusterName: string): string {
  return `${SNAPSHOT_ROOT}/${clusterName}/`;
}

/**
 * Least-privilege access to the snapshot bucket, per key prefix: the same grants whether the bucket is the one this
 * stack created or the shared bucket imported into a cluster stack. Every grant goes to the grantee's own policy
 * (same account), never into the bucket or key policy, so no principal of a cluster can break the shared stack.
 *
 * @example
 * backups.grantWriteBackups(role, snapshotPrefix('prod-east'));
 * backups.grantReportAccess(role, 'prod-east', 'backup');
 */
export class BackupGrants {
  constructor(
    /** The bucket. */
    readonly bucket: s3.IBucket,
    /** The key that encrypts it (SSE-KMS with a bucket key). */
    readonly encryptionKey: kms.IKey,
    /** How cdk-nag names the bucket ARN in its findings, e.g. `<BackupBucketArn>` or `<BackupsBucket1234.Arn>`. */
    readonly arnFinding: string,
  ) {}

  /**
   * Acknowledges cdk-nag's IAM5 finding for a prefix grant of `scope` (e.g. `snapshots/prod-east/*`): keys under a
   * prefix are timestamped, so the prefix is the narrowest resource there is.
   */
  acknowledgePrefix(scope: IConstruct, prefix: string, reason: string): void {
    Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${this.arnFinding}/${prefix}*]`, reason });
  }

  /** Lets `grantee` upload snapshots under `prefix` (single and multipart, with tags). */
  grantWriteBackups(grantee: iam.IGrantable, prefix: string): void {
    this.addObjects(grantee, prefix, BACKUP_WRITE_ACTIONS);
    this.addKey(grantee, BACKUP_KEY_WRITE_ACTIONS);
  }

  /** Lets `grantee` list and read snapshots (any version) under `prefix`. */
  grantReadBackups(grantee: iam.IGrantable, prefix: string): void {
    this.addObjects(grantee, prefix, BACKUP_READ_ACTIONS);
    this.addList(grantee, BACKUP_LIST_ACTIONS, { StringLike: { 's3:prefix': [`${prefix}*`] } });
    this.addKey(grantee, BACKUP_KEY_READ_ACTIONS);
  }

  /** Lets `grantee` list snapshots under `prefix`, delete them (delete markers) and abort abandoned uploads. */
  grantPrune(grantee: iam.IGrantable, prefix: string): void {
    this.addObjects(grantee, prefix, BACKUP_DELETE_ACTIONS);
    this.addList(grantee, BACKUP_LIST_ACTIONS, { StringLike: { 's3:prefix': [`${prefix}*`] } });
    this.addList(grantee, BACKUP_LIST_UPLOADS_ACTIONS);
  }

  /**
   * Lets `grantee` store one job's reports under `reports/<cluster>/<feature>/` and keep its dedupe state at
   * `state/<cluster>/<feature>.json`, or for a scoped feature (rotation: one state per secret) under
   * `state/<cluster>/<feature>/` (the layout of functions/adapters/s3-report-state.ts), nothing else.
   */
  grantReportAccess(grantee: iam.IGrantable, clusterName: string, feature: ReportFeature): void {
    this.addObjects(grantee, reportPrefix(clusterName, feature), FEATURE_REPORT_ACTIONS);
    if (SCOPED_REPORT_FEATURES.includes(feature)) {
      const states = reportStatePrefix(clusterName, feature);
      this.addObjects(grantee, states, FEATURE_STATE_ACTIONS);
      this.addList(grantee, FEATURE_STATE_LIST_ACTIONS, { StringLike: { 's3:prefix': [`${states}*`] } });
    } else {
      const state = reportStateKey(clusterName, feature);
      add(grantee, FEATURE_STATE_ACTIONS, [this.bucket.arnForObjects(state)]);
      this.addList(grantee, FEATURE_STATE_LIST_ACTIONS, { StringEquals: { 's3:prefix': state } });
    }
    this.addKey(grantee, BACKUP_KEY_WRITE_ACTIONS);
  }

  /** Lets `grantee` read and write one small state object (e.g. `state/<cluster>/content-drop-hold.json`), nothing else. */
  grantStateObject(grantee: iam.IGrantable, key: string): void {
    add(grantee, FEATURE_STATE_ACTIONS, [this.bucket.arnForObjects(key)]);
    this.addList(grantee, FEATURE_STATE_LIST_ACTIONS, { StringEquals: { 's3:prefix': key } });
    this.addKey(grantee, BACKUP_KEY_WRITE_ACTIONS);
  }

  private addObjects(grantee: iam.IGrantable, prefix: string, actions: readonly string[]): void {
    validatePrefix(prefix);
    add(grantee, actions, [this.bucket.arnForObjects(`${prefix}*`)]);
  }

  private addList(grantee: iam.IGrantable, actions: readonly string[], conditions?: Record<string, unknown>): void {
    // With a condition, callers must pass Prefix on ListObjects(V2)/ListObjectVersions: a whole-bucket listing is refused.
    add(grantee, actions, [this.bucket.bucketArn], conditions);
  }

  private addKey(grantee: iam.IGrantable, actions: readonly string[]): void {
    // Only usable through S3: the same key also encrypts the topics, which have their own grant.
    add(grantee, actions, [this.encryptionKey.keyArn], { StringEquals: { 'kms:ViaService': `s3.${Aws.REGION}.amazonaws.com` } });
  }
}

/** Key prefix of a scoped job's dedupe states, e.g. `state/prod-east/rotation/`. */
export function reportStatePrefix(clusterName: string, feature: ReportFeature): string {
  return `${reportStateKey(clusterName, feature).replace(/\.json$/, '')}/`;
}

/** Key prefix of one job's full reports, e.g. `reports/prod-east/backup/`. */
export function reportPrefix(clusterName: string, feature: ReportFeature): string {
  return `${REPORT_KEY_PREFIXES.reports}${clusterName}/${feature}/`;
}

/**
 * Adds a statement to the grantee's identity policy. Statements with the same resources and conditions are merged
 * into one, with each action once (`@aws-cdk/aws-iam:minimizePolicies`), so overlapping grants add no duplicates.
 */
function add(grantee: iam.IGrantable, actions: readonly string[], resources: string[], conditions?: Record<string, unknown>): void {
  grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...actions], resources, ...(conditions ? { conditions } : {}) }));
}

function validatePrefix(prefix: string): void {
  if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*\/$/.test(prefix)) {
    throw new InvalidInputError('prefix', `expected a key prefix ending in "/" without wildcards, got "${prefix}"`, '"snapshots/prod-east/"');
  }
}
