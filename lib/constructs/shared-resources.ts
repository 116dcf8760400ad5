import { CfnParameter, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { BackupGrants } from './backup-grants';

/** What a cluster stack uses of the shared stack. */
export interface SharedResources {
  /** Prefix-scoped access to the snapshot bucket. */
  readonly backups: BackupGrants;
  /** The report topic. */
  readonly reportTopic: sns.ITopic;
  /** The key of the bucket and both topics. */
  readonly encryptionKey: kms.IKey;
  /** Where alarms go. */
  readonly alarmTopic: sns.ITopic;
}

/** The values a cluster stack reads, and the SSM parameter (under `/consul-ops/<prefix>/`) that carries each. */
export const SHARED_VALUES = {
  BackupBucketName: 'backup-bucket-name',
  BackupBucketArn: 'backup-bucket-arn',
  EncryptionKeyArn: 'encryption-key-arn',
  ReportTopicArn: 'report-topic-arn',
  AlarmTopicArn: 'alarm-topic-arn',
} as const;

type SharedValue = keyof typeof SHARED_VALUES;

/** The SSM parameter name of one shared value of a deployment, e.g. `/consul-ops/ConsulOps/backup-bucket-arn`. */
export function sharedParameterName(stackNamePrefix: string, value: SharedValue): string {
  return `/consul-ops/${stackNamePrefix}/${SHARED_VALUES[value]}`;
}

/**
 * Publishes the shared stack's bucket, key and topics as SSM parameters for the cluster stacks.
 *
 * Why SSM parameters instead of `Fn::GetStackOutput`/exports: a cluster stack resolves them at deploy time through
 * `AWS::SSM::Parameter::Value<String>` stack parameters, so its template names them by fixed logical ids
 * (`<BackupBucketArn>`), the shared stack stays free to change (no export lock), and removing a cluster touches
 * nothing here. This is what CDK's own "strong" cross-stack references do, without the custom resources.
 */
export class SharedResourceExports extends Construct {
  constructor(scope: Construct, id: string, props: { readonly stackNamePrefix: string; readonly values: Readonly<Record<SharedValue, string>> }) {
    super(scope, id);
    for (const [value, stringValue] of Object.entries(props.values) as [SharedValue, string][]) {
      new ssm.StringParameter(this, value, {
        parameterName: sharedParameterName(props.stackNamePrefix, value),
        stringValue,
        description: `consul-ops ${props.stackNamePrefix}: read by the cluster stacks at deploy time`,
      });
    }
  }
}

/**
 * The shared stack's resources as seen from a cluster stack: one `AWS::SSM::Parameter::Value<String>` parameter per
 * value, named after it (e.g. `BackupBucketArn`). Deploy the shared stack first (the app adds that dependency).
 */
export function importSharedResources(stack: Stack, stackNamePrefix: string): SharedResources {
  const value = (name: SharedValue) =>
    new CfnParameter(stack, name, {
      type: 'AWS::SSM::Parameter::Value<String>',
      default: sharedParameterName(stackNamePrefix, name),
      description: `Written by the ${stackNamePrefix} shared stack; leave the default.`,
    }).valueAsString;
  const encryptionKey = kms.Key.fromKeyArn(stack, 'SharedKey', value('EncryptionKeyArn'));
  const bucket = s3.Bucket.fromBucketAttributes(stack, 'SharedBucket', { bucketArn: value('BackupBucketArn'), bucketName: value('BackupBucketName'), encryptionKey });
  return {
    backups: new BackupGrants(bucket, encryptionKey, '<BackupBucketArn>'),
    reportTopic: sns.Topic.fromTopicArn(stack, 'SharedReportTopic', value('ReportTopicArn')),
    encryptionKey,
    alarmTopic: sns.Topic.fromTopicArn(stack, 'SharedAlarmTopic', value('AlarmTopicArn')),
  };
}
