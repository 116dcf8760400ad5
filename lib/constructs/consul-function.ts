import { Aws, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct, IConstruct } from 'constructs';
import { REPORT_KEY_PREFIXES, reportStateKey } from '../../functions/adapters/s3-report-state';
import { CONSUL_FUNCTION_ENV as E } from '../../functions/handlers/lambda-env';
import type { ConsulConnectionConfig } from '../config/deploy-config';
import type { BackupBucket } from './backup-bucket';

/**
 * Pieces every Consul-facing function construct (take-snapshot, restore, rotate-token, audit-intentions,
 * check-certs) shares, so the five cannot drift apart.
 */

/** How a handler reaches Consul: addresses, the management-token secret, and the CA bundle and TLS name if set. */
export function consulConnectionEnvironment(consul: ConsulConnectionConfig): Record<string, string> {
  const env: Record<string, string> = {
    [E.consulAddresses]: consul.addresses.join(','),
    [E.consulTokenSecretArn]: consul.managementTokenSecretArn,
  };
  if (consul.caBundleSecretArn) env[E.consulCaSecretArn] = consul.caBundleSecretArn;
  if (consul.caBundlePem) env[E.consulCaPem] = consul.caBundlePem;
  if (consul.tlsServerName) env[E.consulTlsServerName] = consul.tlsServerName;
  return env;
}

/** The secrets a Consul-facing function reads: the management token and, when configured, the CA bundle. */
export function consulSecretArns(consul: ConsulConnectionConfig): string[] {
  return [consul.managementTokenSecretArn, ...(consul.caBundleSecretArn ? [consul.caBundleSecretArn] : [])];
}

/** The cdk-nag acknowledgement of the deliberate nodejs22.x runtime. */
export function acknowledgeNodeRuntime(fn: IConstruct): void {
  Validations.of(fn).acknowledge({
    id: 'AwsSolutions-L1',
    reason:
      'nodejs22.x is deliberate: it is the runtime the handlers are built (esbuild target node22) and tested for; nodejs24.x comes with the move of local tooling to Node 24.',
  });
}

/** The role EventBridge Scheduler assumes to invoke one function (`SchedulerRole` under `scope`). */
export function createSchedulerRole(scope: Construct, functionName: string): iam.Role {
  return new iam.Role(scope, 'SchedulerRole', {
    assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
      // Confused-deputy guard: only schedules of this account may assume the role.
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
    }),
    description: `consul-ops: lets EventBridge Scheduler invoke ${functionName}`,
  });
}

/** Writing a feature's full JSON reports (write-only: nothing reads them back). */
export const FEATURE_REPORT_ACTIONS = ['s3:PutObject'] as const;
/** Reading and writing the feature's report dedupe state (one object). */
export const FEATURE_STATE_ACTIONS = ['s3:GetObject', 's3:PutObject'] as const;
/** Telling a missing state (first run) from a refused read: S3 answers 404 instead of 403 only with `s3:ListBucket`. */
export const FEATURE_STATE_LIST_ACTIONS = ['s3:ListBucket'] as const;
/** SSE-KMS of the bucket, through S3 only: a data key to write, decrypt to read the state. */
export const FEATURE_KEY_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt'] as const;

/**
 * Lets `role` store a feature's reports under `reports/<cluster>/<feature>/` and keep its dedupe state at
 * `state/<cluster>/<feature>.json`, nothing else in the bucket.
 */
export function grantFeatureReportAccess(role: iam.Role, bucket: BackupBucket, clusterName: string, feature: 'certificates' | 'intentions'): void {
  const reports = `${REPORT_KEY_PREFIXES.reports}${clusterName}/${feature}/`;
  const state = reportStateKey(clusterName, feature);
  const add = (actions: readonly string[], resources: string[], conditions?: Record<string, unknown>) =>
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...actions], resources, ...(conditions ? { conditions } : {}) }));
  add(FEATURE_REPORT_ACTIONS, [bucket.bucket.arnForObjects(`${reports}*`)]);
  add(FEATURE_STATE_ACTIONS, [bucket.bucket.arnForObjects(state)]);
  add(FEATURE_STATE_LIST_ACTIONS, [bucket.bucket.bucketArn], { StringEquals: { 's3:prefix': state } });
  add(FEATURE_KEY_ACTIONS, [bucket.encryptionKey.keyArn], { StringEquals: { 'kms:ViaService': `s3.${Aws.REGION}.amazonaws.com` } });
  const bucketId = Stack.of(bucket.bucket).getLogicalId(bucket.bucket.node.defaultChild as CfnElement);
  Validations.of(role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${reports}*]`,
    reason: `Scoped to cluster ${clusterName}'s ${reports} prefix, write-only: report keys are timestamped, so the prefix is the narrowest possible resource.`,
  });
}
