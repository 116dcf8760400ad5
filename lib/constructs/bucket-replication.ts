import { Aws, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { SNAPSHOT_ROOT } from './backup-grants';

/** Reading the replication configuration and listing the source bucket (S3's replication role contract). */
export const REPLICATION_SOURCE_BUCKET_ACTIONS = ['s3:GetReplicationConfiguration', 's3:ListBucket'] as const;
/** Reading each object version to replicate, with its ACL and tags (the `consul-ops:verified` tag travels with it). */
export const REPLICATION_SOURCE_OBJECT_ACTIONS = ['s3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl', 's3:GetObjectVersionTagging'] as const;
/** With Object Lock on the source, S3 also reads each version's retention and legal hold to copy them. */
export const REPLICATION_OBJECT_LOCK_ACTIONS = ['s3:GetObjectRetention', 's3:GetObjectLegalHold'] as const;
/** Writing replicas and their tags. No `s3:ReplicateDelete`: delete markers are not replicated (see README). */
export const REPLICATION_DESTINATION_ACTIONS = ['s3:ReplicateObject', 's3:ReplicateTags'] as const;
/** Cross-account: the replica belongs to the destination account. */
export const REPLICATION_OWNER_OVERRIDE_ACTIONS = ['s3:ObjectOwnerOverrideToBucketOwner'] as const;

/** Where the copy goes. */
export interface ReplicaDestination {
  /** The versioned destination bucket, e.g. `arn:aws:s3:::consul-ops-replica`. */
  readonly bucketArn: string;
  /** The destination's KMS key: replicas are re-encrypted with it. */
  readonly kmsKeyArn: string;
  /** The destination Region (the key's). */
  readonly region: string;
  /** The destination account (the key's). */
  readonly account: string;
  /** Whether `account` is another account than the deployment's (replicas then belong to the destination account). */
  readonly crossAccount: boolean;
  /**
   * S3 Replication Time Control: 99.99 % of objects replicated within 15 minutes, with replication metrics.
   * @default false
   */
  readonly replicationTimeControl?: boolean;
}

/** Properties of {@link BucketReplication}. */
export interface BucketReplicationProps {
  /** The source bucket (versioned, SSE-KMS). */
  readonly bucket: s3.Bucket;
  /** The source bucket's key. */
  readonly encryptionKey: kms.IKey;
  /** Where to copy. */
  readonly destination: ReplicaDestination;
  /** Whether the source bucket has Object Lock (the role then reads retention and legal holds). */
  readonly objectLock: boolean;
}

/**
 * Copies every backup (`snapshots/`) to a versioned bucket in another Region or account: one S3 replication rule
 * with KMS re-encryption under the replica's key, and the least-privilege role S3 assumes for it. Delete markers are
 * not replicated, so neither a prune nor someone deleting in this account removes what the replica holds; the replica
 * bucket's own lifecycle decides how long copies stay. Reports and report state (`reports/`, `state/`) stay here.
 */
export class BucketReplication extends Construct {
  /** The role S3 assumes to replicate. */
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: BucketReplicationProps) {
    super(scope, id);
    const { bucket, destination } = props;
    const crossAccount = destination.crossAccount;
    this.role = new iam.Role(this, 'Role', {
      description: `consul-ops: S3 replication of backups to ${destination.bucketArn}`,
      assumedBy: new iam.ServicePrincipal('s3.amazonaws.com', {
        // Confused-deputy guard: only S3 acting for this account. (Not aws:SourceArn = the bucket: the bucket names this
        // role in its replication configuration, so the role cannot reference the bucket back without a cycle.)
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    });
    const allow = (actions: readonly string[], resources: string[], conditions?: Record<string, unknown>) =>
      this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...actions], resources, ...(conditions ? { conditions } : {}) }));
    allow(REPLICATION_SOURCE_BUCKET_ACTIONS, [bucket.bucketArn]);
    allow([...REPLICATION_SOURCE_OBJECT_ACTIONS, ...(props.objectLock ? REPLICATION_OBJECT_LOCK_ACTIONS : [])], [bucket.arnForObjects(`${SNAPSHOT_ROOT}/*`)]);
    allow([...REPLICATION_DESTINATION_ACTIONS, ...(crossAccount ? REPLICATION_OWNER_OVERRIDE_ACTIONS : [])], [`${destination.bucketArn}/${SNAPSHOT_ROOT}/*`]);
    allow(['kms:Decrypt'], [props.encryptionKey.keyArn], { StringEquals: { 'kms:ViaService': `s3.${Aws.REGION}.amazonaws.com` } });
    // S3 asks the replica's key for a data key (and encrypts with it) in the destination Region.
    allow(['kms:Encrypt', 'kms:GenerateDataKey'], [destination.kmsKeyArn], { StringEquals: { 'kms:ViaService': `s3.${destination.region}.amazonaws.com` } });

    const cfnBucket = bucket.node.defaultChild as s3.CfnBucket;
    const reason = 'S3 replicates every object version under snapshots/ (keys are timestamped): the prefix is the narrowest resource.';
    Validations.of(this.role).acknowledge(
      { id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(cfnBucket)}.Arn>/${SNAPSHOT_ROOT}/*]`, reason },
      { id: `AwsSolutions-IAM5[Resource::${destination.bucketArn}/${SNAPSHOT_ROOT}/*]`, reason },
    );
    cfnBucket.replicationConfiguration = {
      role: this.role.roleArn,
      rules: [
        {
          id: 'replicate-backups',
          status: 'Enabled',
          priority: 1,
          filter: { prefix: `${SNAPSHOT_ROOT}/` },
          deleteMarkerReplication: { status: 'Disabled' },
          sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: 'Enabled' } },
          destination: {
            bucket: destination.bucketArn,
            encryptionConfiguration: { replicaKmsKeyId: destination.kmsKeyArn },
            ...(crossAccount ? { account: destination.account, accessControlTranslation: { owner: 'Destination' } } : {}),
            ...(destination.replicationTimeControl
              ? { replicationTime: { status: 'Enabled', time: { minutes: 15 } }, metrics: { status: 'Enabled', eventThreshold: { minutes: 15 } } }
              : {}),
          },
        },
      ],
    };
  }
}
