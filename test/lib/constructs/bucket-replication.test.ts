import { Match } from 'aws-cdk-lib/assertions';
import type { DeployConfigInput } from '../../../lib/config/deploy-config';
import { buildTestApp, defaultConfig, policyStatements, type Json } from '../test-app';

const REPLICA_KEY = 'arn:aws:kms:eu-central-1:210987654321:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const REPLICA_BUCKET = 'arn:aws:s3:::consul-ops-replica';
const BUCKET_ARN = { 'Fn::GetAtt': [expect.stringMatching(/^BackupsBucket/), 'Arn'] };
const SOURCE_KEY = { 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] };
const via = (service: string, region: Json) => ({ StringEquals: { 'kms:ViaService': typeof region === 'string' ? `${service}.${region}.amazonaws.com` : { 'Fn::Join': ['', [`${service}.`, region, '.amazonaws.com']] } } });

function withReplica(replica: Record<string, unknown>, bucket: Record<string, unknown> = {}): DeployConfigInput {
  return { ...defaultConfig(), bucket: { ...bucket, replica } as DeployConfigInput['bucket'] };
}

describe('BucketReplication (bucket.replica)', () => {
  describe('to another account and Region', () => {
    const { sharedTemplate: template } = buildTestApp(withReplica({ bucketArn: REPLICA_BUCKET, kmsKeyArn: REPLICA_KEY }));
    const rule = () => (Object.values(template.findResources('AWS::S3::Bucket')) as Json[])[0].Properties.ReplicationConfiguration;

    it('copies every backup (snapshots/ only) to the versioned replica, re-encrypted with its key, owned by its account', () => {
      expect(rule()).toEqual({
        Role: { 'Fn::GetAtt': [expect.stringMatching(/^BackupsReplicationRole/), 'Arn'] },
        Rules: [
          {
            Id: 'replicate-backups',
            Status: 'Enabled',
            Priority: 1,
            Filter: { Prefix: 'snapshots/' },
            DeleteMarkerReplication: { Status: 'Disabled' },
            SourceSelectionCriteria: { SseKmsEncryptedObjects: { Status: 'Enabled' } },
            Destination: { Bucket: REPLICA_BUCKET, Account: '210987654321', AccessControlTranslation: { Owner: 'Destination' }, EncryptionConfiguration: { ReplicaKmsKeyID: REPLICA_KEY } },
          },
        ],
      });
    });

    it('outputs the replication role ARN, for the replica bucket and key policies', () => {
      template.hasOutput('ReplicationRoleArn', { Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^BackupsReplicationRole'), 'Arn'] } });
    });

    it('replicates no delete markers: a prune or a deletion here never hides what the replica holds', () => {
      expect(rule().Rules[0].DeleteMarkerReplication).toEqual({ Status: 'Disabled' });
      expect(JSON.stringify(policyStatements(template, 'BackupsReplicationRole'))).not.toContain('s3:ReplicateDelete');
    });

    it('gives S3 a role for this account only, with exactly the replication actions', () => {
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 's3.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } })] },
      });
      expect(policyStatements(template, 'BackupsReplicationRole')).toEqual([
        { Effect: 'Allow', Action: ['s3:GetReplicationConfiguration', 's3:ListBucket'], Resource: BUCKET_ARN },
        { Effect: 'Allow', Action: ['s3:GetObjectVersionAcl', 's3:GetObjectVersionForReplication', 's3:GetObjectVersionTagging'], Resource: { 'Fn::Join': ['', [BUCKET_ARN, '/snapshots/*']] } },
        { Effect: 'Allow', Action: ['s3:ObjectOwnerOverrideToBucketOwner', 's3:ReplicateObject', 's3:ReplicateTags'], Resource: `${REPLICA_BUCKET}/snapshots/*` },
        { Effect: 'Allow', Action: 'kms:Decrypt', Condition: via('s3', { Ref: 'AWS::Region' }), Resource: SOURCE_KEY },
        { Effect: 'Allow', Action: ['kms:Encrypt', 'kms:GenerateDataKey'], Condition: via('s3', 'eu-central-1'), Resource: REPLICA_KEY },
      ]);
    });
  });

  it('in the same account: no owner override; with Replication Time Control: 15 minutes and metrics', () => {
    const sameAccountKey = REPLICA_KEY.replace('210987654321', '123456789012');
    const { sharedTemplate: template } = buildTestApp(withReplica({ bucketArn: REPLICA_BUCKET, kmsKeyArn: sameAccountKey, replicationTimeControl: true }));
    const [bucket] = Object.values(template.findResources('AWS::S3::Bucket')) as Json[];
    expect(bucket.Properties.ReplicationConfiguration.Rules[0].Destination).toEqual({
      Bucket: REPLICA_BUCKET,
      EncryptionConfiguration: { ReplicaKmsKeyID: sameAccountKey },
      ReplicationTime: { Status: 'Enabled', Time: { Minutes: 15 } },
      Metrics: { Status: 'Enabled', EventThreshold: { Minutes: 15 } },
    });
    expect(JSON.stringify(policyStatements(template, 'BackupsReplicationRole'))).not.toContain('ObjectOwnerOverrideToBucketOwner');
  });

  it('with Object Lock, also reads each version\'s retention and legal hold', () => {
    const { sharedTemplate: template } = buildTestApp(withReplica({ bucketArn: REPLICA_BUCKET, kmsKeyArn: REPLICA_KEY }, { objectLock: { mode: 'GOVERNANCE', days: 7 } }));
    expect(policyStatements(template, 'BackupsReplicationRole')).toContainEqual(
      expect.objectContaining({ Action: ['s3:GetObjectLegalHold', 's3:GetObjectRetention', 's3:GetObjectVersionAcl', 's3:GetObjectVersionForReplication', 's3:GetObjectVersionTagging'] }),
    );
  });
});
