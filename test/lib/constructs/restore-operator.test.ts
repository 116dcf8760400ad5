import { App, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { InvalidInputError } from '../../../functions/core/shared/errors';
import { BackupGrants } from '../../../lib/constructs/backup-grants';
import { RestoreOperatorRole } from '../../../lib/constructs/restore-operator';
import { bucketObjects, buildTestApp, defaultConfig, policyStatements, viaService, type Json } from '../test-app';

const OPS = 'arn:aws:iam::123456789012:role/consul-restore';
const TYPO = 'arn:aws:iam::123456789012:role/consul-restor';
const OTHER_ACCOUNT = 'arn:aws:iam::111122223333:user/alice';
const ACCOUNT = (id: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${id}:root`]] });

describe('RestoreOperatorRole (restore.allowedPrincipalArns)', () => {
  const config = defaultConfig();
  config.restore = { allowedPrincipalArns: [OPS, TYPO, OTHER_ACCOUNT] };
  const app = buildTestApp(config);
  const template = app.clusterTemplate();

  it('trusts the principals only through an aws:PrincipalArn condition on their accounts (an unknown principal breaks nothing)', () => {
    const [role] = Object.values(template.findResources('AWS::IAM::Role', { Properties: { Description: 'consul-ops: restores Consul cluster demo (assumed by restore.allowedPrincipalArns)' } })) as Json[];
    const condition = { ArnEquals: { 'aws:PrincipalArn': [OTHER_ACCOUNT, OPS, TYPO].sort() } };
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { AWS: [ACCOUNT('111122223333'), ACCOUNT('123456789012')] }, Condition: condition },
    ]);
  });

  it('may invoke the cluster\'s restore function, read its backups and write the safety snapshot, nothing else', () => {
    expect(policyStatements(template, 'ClusterRestoreOperatorRole')).toEqual([
      { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^ClusterRestoreFunction/), 'Arn'] } },
      {
        Effect: 'Allow',
        Action: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:GetObjectTagging', 's3:GetObjectVersion', 's3:GetObjectVersionTagging', 's3:ListMultipartUploadParts', 's3:PutObject', 's3:PutObjectTagging', 's3:PutObjectVersionTagging'],
        Resource: bucketObjects('snapshots/demo/*'),
      },
      { Effect: 'Allow', Action: ['s3:ListBucket', 's3:ListBucketVersions'], Condition: { StringLike: { 's3:prefix': ['snapshots/demo/*'] } }, Resource: { Ref: 'BackupBucketArn' } },
      { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Condition: viaService('s3'), Resource: { Ref: 'EncryptionKeyArn' } },
    ]);
  });

  it('puts no principal into the shared key or bucket policy, and no resource-based permission on the function', () => {
    const shared = JSON.stringify(app.sharedTemplate.toJSON());
    for (const arn of [OPS, TYPO, OTHER_ACCOUNT]) expect(shared).not.toContain(arn);
    template.resourceCountIs('AWS::Lambda::Permission', 0);
  });

  it('outputs the role ARN', () => {
    template.hasOutput('RestoreOperatorRoleArn', { Description: 'restore operator role of cluster demo', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ClusterRestoreOperatorRole'), 'Arn'] } });
  });

  it('is not created without principals', () => {
    expect(Object.keys(buildTestApp().clusterTemplate().findResources('AWS::IAM::Role')).filter((id) => id.includes('RestoreOperator'))).toEqual([]);
  });

  it('refuses a principal that is not a role or user ARN', () => {
    const stack = new Stack(new App(), 'Props');
    const bucket = s3.Bucket.fromBucketName(stack, 'B', 'backups');
    const fn = lambda.Function.fromFunctionName(stack, 'F', 'restore');
    const backups = new BackupGrants(bucket, kms.Key.fromKeyArn(stack, 'K', 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'), '<B>');
    expect(() => new RestoreOperatorRole(stack, 'R', { clusterName: 'demo', principalArns: ['arn:aws:iam::123456789012:group/ops'], restoreFunction: fn, backups })).toThrow(InvalidInputError);
  });
});
