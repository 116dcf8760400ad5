import * as path from 'node:path';
import { Duration, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { InvalidInputError } from '../../functions/core/shared/errors';
import { RESTORE_FUNCTION_ENV } from '../../functions/handlers/lambda-env';
import type { ClusterNetworkConfig, ConsulConnectionConfig } from '../config/deploy-config';
import { BackupBucket } from './backup-bucket';
import { SECRET_READ_ACTIONS } from './cluster-backup';
import { importClusterNetwork } from './cluster-network';
import { PROJECT_ROOT, snapshotBundling } from './function-bundling';
import type { ReportTopic } from './report-topic';
import { createVpcFunctionRole } from './vpc-function-role';
import { acknowledgeNodeRuntime, consulConnectionEnvironment, consulSecretArns } from './consul-function';

/** What the configured principals may do with the restore function (and nothing else). */
export const RESTORE_INVOKE_ACTIONS = ['lambda:InvokeFunction'] as const;
/**
 * Tagging the safety snapshot verified. Surprising: `PutObjectTagging` with a `versionId` (how the store tags the
 * exact version it uploaded) is authorised as `s3:PutObjectVersionTagging`, which `grantWriteBackups` does not grant.
 */
export const SAFETY_SNAPSHOT_TAG_ACTIONS = ['s3:PutObjectVersionTagging'] as const;
/** The root key prefix the workflows get; the cluster folder `snapshots/<cluster>/` is below it. */
export const RESTORE_SNAPSHOT_ROOT = BackupBucket.SNAPSHOT_ROOT;

export { RESTORE_FUNCTION_ENV };

/** Properties of {@link ClusterRestore}. */
export interface ClusterRestoreProps {
  /** The cluster's name: a lower-case DNS label; its backups are under `snapshots/<name>/`. */
  readonly clusterName: string;
  /** How the function reaches the Consul servers. */
  readonly consul: ConsulConnectionConfig;
  /** The VPC, subnets and security group the function runs in (imported, no lookups). */
  readonly network: ClusterNetworkConfig;
  /** Where the backups are (read) and the safety snapshot goes (written). */
  readonly bucket: BackupBucket;
  /** Where every restore is reported. */
  readonly reportTopic: ReportTopic;
  /**
   * IAM role or user ARNs that may invoke the function, each through a resource-based `lambda:InvokeFunction`
   * permission (which also works across accounts).
   * @default - no resource-based permission: only principals of this account whose own IAM policies allow
   *   `lambda:InvokeFunction` on it (in practice the account administrators) can invoke it
   */
  readonly allowedPrincipalArns?: readonly string[];
  /**
   * The handler file.
   * @default - functions/handlers/restore.ts
   */
  readonly entry?: string;
  /**
   * How long the function's logs are kept.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * One Consul cluster's manual restore: a VPC-attached `restore` function that is never scheduled, runs one at a time,
 * is never retried, and may be invoked only by the configured principals. It verifies a stored backup, takes a
 * `pre-restore` safety snapshot and streams the backup into `PUT /v1/snapshot` (see `functions/core/restore/workflow.ts`).
 */
export class ClusterRestore extends Construct {
  /** The restore function. */
  readonly function: nodejs.NodejsFunction;
  /** The function's role. */
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: ClusterRestoreProps) {
    super(scope, id);
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(props.clusterName)) {
      throw new InvalidInputError('ClusterRestoreProps.clusterName', `expected a lower-case DNS label, got "${props.clusterName}"`, '"prod-east"');
    }
    const principals = props.allowedPrincipalArns ?? [];
    principals.forEach((arn, i) => {
      if (!/^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/.+$/.test(arn)) {
        throw new InvalidInputError(`ClusterRestoreProps.allowedPrincipalArns[${i}]`, `expected an IAM role or user ARN, got "${arn}"`, '"arn:aws:iam::123456789012:role/consul-restore"');
      }
    });
    const prefix = BackupBucket.snapshotPrefix(props.clusterName);
    const logGroup = new logs.LogGroup(this, 'LogGroup', { retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS });
    this.role = this.createRole(logGroup);
    this.function = this.createFunction(props, logGroup);
    this.grantRuntimeAccess(props, prefix);
    // Resource-based permissions only: no identity policy is created for anyone.
    principals.forEach((arn, i) =>
      this.function.addPermission(`Invoke${i}`, { principal: new iam.ArnPrincipal(arn), action: RESTORE_INVOKE_ACTIONS[0] }),
    );
  }

  private createFunction(props: ClusterRestoreProps, logGroup: logs.LogGroup): nodejs.NodejsFunction {
    const network = importClusterNetwork(this, props.network);
    const fn = new nodejs.NodejsFunction(this, 'Function', {
      description: `consul-ops: manual, verified restore of Consul cluster ${props.clusterName} (dry run unless confirmed)`,
      entry: props.entry ?? path.join(PROJECT_ROOT, 'functions/handlers/restore.ts'),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      // Both reads stream; 512 MB is for the CPU share that gunzip + sha256 of two passes need, not for buffering.
      memorySize: 512,
      // Lambda's maximum, more than any backup needs: a restore does a whole backup (the safety snapshot), reads the
      // stored archive twice (verify, then send) and waits for Consul's raft replay. Archives too large for this are
      // restored from a host with `consul-ops restore` (the plan warns above 1 GiB); the handler cuts the upload off
      // 30 s before the deadline, and Consul refuses a cut-off archive.
      timeout: Duration.minutes(15),
      // Two restores at once would race on the cluster state.
      reservedConcurrentExecutions: 1,
      // Never retry a restore: an asynchronous invoke that failed must be looked at, not repeated.
      retryAttempts: 0,
      role: this.role,
      logGroup,
      vpc: network.vpc,
      vpcSubnets: { subnets: network.subnets },
      securityGroups: [network.securityGroup],
      bundling: snapshotBundling(),
      environment: this.environment(props),
    });
    acknowledgeNodeRuntime(fn);
    return fn;
  }

  private grantRuntimeAccess(props: ClusterRestoreProps, prefix: string): void {
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [...SECRET_READ_ACTIONS],
        resources: consulSecretArns(props.consul),
      }),
    );
    // Read any version of this cluster's backups (with tags); write only new objects (the pre-restore snapshot).
    props.bucket.grantReadBackups(this.role, prefix);
    props.bucket.grantWriteBackups(this.role, prefix);
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...SAFETY_SNAPSHOT_TAG_ACTIONS], resources: [props.bucket.bucket.arnForObjects(`${prefix}*`)] }));
    props.reportTopic.grantPublish(this.role);
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(props.bucket)}.Arn>/${prefix}*]`,
      reason: `Scoped to this cluster's snapshot prefix ${prefix}: snapshot keys are timestamped and chosen at restore time, so the prefix is the narrowest possible resource.`,
    });
  }

  private createRole(logGroup: logs.LogGroup): iam.Role {
    return createVpcFunctionRole(this, { description: 'consul-ops restore function', logGroup });
  }

  private environment(props: ClusterRestoreProps): Record<string, string> {
    const e = RESTORE_FUNCTION_ENV;
    const env: Record<string, string> = {
      POWERTOOLS_SERVICE_NAME: 'consul-ops-restore',
      [e.clusterName]: props.clusterName,
      [e.bucketName]: props.bucket.bucket.bucketName,
      [e.snapshotPrefix]: RESTORE_SNAPSHOT_ROOT,
      ...consulConnectionEnvironment(props.consul),
      [e.reportTopicArn]: props.reportTopic.topic.topicArn,
    };
    return env;
  }
}

/** The logical id of the bucket resource, as cdk-nag names it in IAM5 findings. */
function logicalIdOf(bucket: BackupBucket): string {
  return Stack.of(bucket).getLogicalId(bucket.bucket.node.defaultChild as CfnElement);
}
