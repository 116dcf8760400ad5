import { CfnOutput, RemovalPolicy, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { ClusterConfig, DeployConfig } from './config/deploy-config';
import { BackupBucket } from './constructs/backup-bucket';
import { ClusterBackup } from './constructs/cluster-backup';
import { ClusterRestore } from './constructs/cluster-restore';
import { Monitoring } from './constructs/monitoring';
import { ReportTopic } from './constructs/report-topic';
import { BackupVpcEndpoints, type BackupVpcEndpointsProps } from './constructs/vpc-endpoints';

/** Properties of {@link ConsulOpsStack}. */
export interface ConsulOpsStackProps extends StackProps {
  /** The validated deployment config (see `loadDeployConfig`). */
  readonly config: DeployConfig;
}

/**
 * Everything consul-ops deploys into one account and region: a customer-managed key, the snapshot bucket, the report
 * topic, one scheduled take-snapshot function per configured Consul cluster, and optionally VPC endpoints.
 */
export class ConsulOpsStack extends Stack {
  /** Encrypts snapshots and reports. */
  readonly key: kms.Key;
  /** The snapshot bucket. */
  readonly backups: BackupBucket;
  /** The report topic. */
  readonly reports: ReportTopic;
  /** The per-cluster backups, by cluster name. */
  readonly clusters: ReadonlyMap<string, ClusterBackup>;
  /** The per-cluster manual restore functions, by cluster name. */
  readonly restores: ReadonlyMap<string, ClusterRestore>;
  /** Alarms, dashboard, alarm topic and the optional Slack forwarder. */
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: ConsulOpsStackProps) {
    super(scope, id, { description: 'consul-ops: verified Consul snapshots, restore, ACL token rotation and audits', ...props });
    const { config } = props;
    Tags.of(this).add('app', 'consul-ops');

    this.key = new kms.Key(this, 'Key', {
      description: 'consul-ops: encrypts Consul snapshots and reports',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.backups = new BackupBucket(this, 'Backups', {
      encryptionKey: this.key,
      noncurrentVersionExpirationDays: config.bucket.noncurrentVersionExpirationDays,
      objectLock: config.bucket.objectLock,
      transitionToGlacierAfterDays: config.bucket.transitionToGlacierAfterDays,
      accessLogging: config.bucket.accessLogging,
    });
    this.reports = new ReportTopic(this, 'Reports', {
      encryptionKey: this.key,
      emails: config.notifications.emails,
      emailSeverities: config.notifications.emailSeverities,
    });
    // Manual restores: these principals may read every cluster's snapshots (bucket and key policy grants).
    config.restore.allowedPrincipalArns.forEach((arn) => this.backups.grantReadBackups(new iam.ArnPrincipal(arn), 'snapshots/'));

    const clusters = new Map<string, ClusterBackup>();
    for (const cluster of config.clusters) {
      const backup = new ClusterBackup(this, `Cluster-${cluster.name}`, {
        clusterName: cluster.name,
        consul: cluster.consul,
        network: cluster.network,
        backup: cluster.backup,
        bucket: this.backups,
        reportTopic: this.reports,
      });
      clusters.set(cluster.name, backup);
      new CfnOutput(backup, 'SnapshotFunctionName', {
        description: `take-snapshot function of cluster ${cluster.name}`,
        value: backup.function.functionName,
      });
    }
    this.clusters = clusters;

    // Manual restores: one unscheduled function per cluster, invocable only by restore.allowedPrincipalArns (none
    // configured: only account principals whose IAM policies allow lambda:InvokeFunction, i.e. the admins).
    const restores = new Map<string, ClusterRestore>();
    for (const cluster of config.clusters) {
      const restore = new ClusterRestore(this, `Restore-${cluster.name}`, {
        clusterName: cluster.name,
        consul: cluster.consul,
        network: cluster.network,
        bucket: this.backups,
        reportTopic: this.reports,
        allowedPrincipalArns: config.restore.allowedPrincipalArns,
      });
      restores.set(cluster.name, restore);
      new CfnOutput(restore, 'RestoreFunctionName', { description: `restore function of cluster ${cluster.name}`, value: restore.function.functionName });
    }
    this.restores = restores;

    if (config.network.createVpcEndpoints) {
      for (const endpoints of endpointsPerVpc(config.clusters)) {
        new BackupVpcEndpoints(this, `Endpoints-${endpoints.vpcId}`, endpoints);
      }
    }

    // Last: it alarms on every function and dead-letter queue created above.
    this.monitoring = new Monitoring(this, 'Monitoring', {
      reportTopic: this.reports,
      bucket: this.backups,
      clusters: config.clusters.map((c) => ({ clusterName: c.name, backup: clusters.get(c.name)!, schedule: c.backup.schedule })),
      alarmEmails: config.notifications.emails,
      slackWebhookSecretArn: config.notifications.slackWebhookSecretArn,
    });

    new CfnOutput(this, 'BackupBucketName', { description: 'Snapshot bucket', value: this.backups.bucket.bucketName });
    new CfnOutput(this, 'ReportTopicArn', { description: 'Report topic', value: this.reports.topic.topicArn });
  }
}

/**
 * Groups clusters by VPC: the first subnet seen in each zone (interface endpoints take one per zone), and the union of
 * route tables and security groups. The config schema guarantees zones and route tables when endpoints are on.
 */
export function endpointsPerVpc(clusters: readonly ClusterConfig[]): BackupVpcEndpointsProps[] {
  const byVpc = new Map<string, { subnets: Map<string, string>; routeTableIds: Set<string>; clientSecurityGroupIds: Set<string> }>();
  for (const { network } of clusters) {
    const entry = byVpc.get(network.vpcId) ?? { subnets: new Map(), routeTableIds: new Set(), clientSecurityGroupIds: new Set() };
    network.subnetIds.forEach((subnetId, i) => {
      const zone = network.availabilityZones?.[i];
      if (zone !== undefined && !entry.subnets.has(zone)) entry.subnets.set(zone, subnetId);
    });
    network.routeTableIds?.forEach((id) => entry.routeTableIds.add(id));
    entry.clientSecurityGroupIds.add(network.securityGroupId);
    byVpc.set(network.vpcId, entry);
  }
  return [...byVpc].map(([vpcId, e]) => ({
    vpcId,
    subnets: [...e.subnets].map(([availabilityZone, subnetId]) => ({ subnetId, availabilityZone })),
    routeTableIds: [...e.routeTableIds],
    clientSecurityGroupIds: [...e.clientSecurityGroupIds],
  }));
}
