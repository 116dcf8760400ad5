import { CfnOutput, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { ClusterConfig } from '../config/deploy-config';
import { ClusterMonitoring } from '../constructs/cluster-monitoring';
import { ClusterOps } from '../constructs/cluster-ops';
import { importSharedResources, type SharedResources } from '../constructs/shared-resources';

/** Properties of {@link ClusterStack}. */
export interface ClusterStackProps extends StackProps {
  /** The deployment's stack name prefix (SSM parameter names, alarm and dashboard names). */
  readonly stackNamePrefix: string;
  /** The validated cluster. */
  readonly cluster: ClusterConfig;
  /** Principals that may restore the cluster (`restore.allowedPrincipalArns`). */
  readonly restorePrincipalArns: readonly string[];
  /**
   * The shared resources as this stack sees them.
   * @default - read at deploy time from the SSM parameters the shared stack writes
   */
  readonly shared?: SharedResources;
}

/**
 * One Consul cluster: its jobs ({@link ClusterOps}) and their alarms and dashboard ({@link ClusterMonitoring}). It
 * reads the shared bucket, key and topics from SSM parameters at deploy time, so it depends on the shared stack only
 * by deploy order, and no other cluster's stack changes when it is added or removed. About 70 resources, whatever
 * the number of clusters.
 */
export class ClusterStack extends Stack {
  /** The cluster's jobs. */
  readonly ops: ClusterOps;
  /** The cluster's alarms and dashboard. */
  readonly monitoring: ClusterMonitoring;

  constructor(scope: Construct, id: string, props: ClusterStackProps) {
    const { cluster } = props;
    super(scope, id, { description: `consul-ops: backup, restore, rotation and audits of Consul cluster ${cluster.name}`, ...props });
    Tags.of(this).add('app', 'consul-ops');
    Tags.of(this).add('consul-cluster', cluster.name);
    const shared = props.shared ?? importSharedResources(this, props.stackNamePrefix);
    this.ops = new ClusterOps(this, 'Cluster', { cluster, shared, restorePrincipalArns: props.restorePrincipalArns });
    this.monitoring = new ClusterMonitoring(this, 'Monitoring', {
      stackNamePrefix: props.stackNamePrefix,
      clusterName: cluster.name,
      jobs: this.ops.jobs,
      backup: { job: this.ops.backup, schedule: cluster.backup.schedule },
      rotatedSecretArns: this.ops.rotatedSecretArns,
      alarmTopic: shared.alarmTopic,
    });
    const output = (id: string, description: string, value: string) => new CfnOutput(this, id, { description: `${description} of cluster ${cluster.name}`, value });
    for (const job of this.ops.jobs) output(`${job.node.id}FunctionName`, `${job.job} function`, job.function.functionName);
    if (this.ops.restoreOperator) output('RestoreOperatorRoleArn', 'restore operator role', this.ops.restoreOperator.role.roleArn);
  }
}
