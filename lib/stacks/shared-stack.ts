import { CfnOutput, RemovalPolicy, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { ClusterConfig, DeployConfig } from '../config/deploy-config';
import { arnLocation } from '../config/schema-fields';
import { BackupBucket } from '../constructs/backup-bucket';
import { Monitoring } from '../constructs/monitoring';
import { ReportTopic } from '../constructs/report-topic';
import { SharedResourceExports, type SharedResources } from '../constructs/shared-resources';
import { RotationFailureAlerts } from '../constructs/token-rotation';
import { BackupVpcEndpoints, type BackupVpcEndpointsProps } from '../constructs/vpc-endpoints';

/** Properties of {@link SharedStack}. */
export interface SharedStackProps extends StackProps {
  /** The validated deployment config. */
  readonly config: DeployConfig;
}

/**
 * What all clusters of a deployment share, deployed first: the customer-managed key, the snapshot bucket (and its
 * replication), the report and alarm topics, the Slack forwarder, the rotation-failure rule, the VPC endpoints of
 * each VPC and the overview dashboard. It publishes the bucket, key and topics for the cluster stacks as SSM
 * parameters, and knows the clusters only by name (dashboard) and network (endpoints): adding a cluster changes none
 * of its resources but those two.
 *
 * Its construct ids are those of the single `ConsulOps` stack of earlier versions, so an existing deployment keeps
 * its key, bucket and topics (see README "Upgrading from one stack").
 */
export class SharedStack extends Stack {
  /** Encrypts snapshots, reports and alarms. */
  readonly key: kms.Key;
  /** The snapshot bucket. */
  readonly backups: BackupBucket;
  /** The report topic. */
  readonly reports: ReportTopic;
  /** Alarm topic, Slack forwarder, overview dashboard. */
  readonly monitoring: Monitoring;
  /** The same resources as a cluster of this stack's own would see them (for tests and constructs in this stack). */
  readonly resources: SharedResources;

  constructor(scope: Construct, id: string, props: SharedStackProps) {
    super(scope, id, { description: 'consul-ops: shared key, snapshot bucket, topics and overview dashboard', ...props });
    const { config } = props;
    const prefix = config.deployment.stackNamePrefix;
    Tags.of(this).add('app', 'consul-ops');

    this.key = new kms.Key(this, 'Key', { description: 'consul-ops: encrypts Consul snapshots and reports', enableKeyRotation: true, removalPolicy: RemovalPolicy.RETAIN });
    this.backups = new BackupBucket(this, 'Backups', {
      encryptionKey: this.key,
      noncurrentVersionExpirationDays: config.bucket.noncurrentVersionExpirationDays,
      objectLock: config.bucket.objectLock,
      transitionToGlacierAfterDays: config.bucket.transitionToGlacierAfterDays,
      accessLogging: config.bucket.accessLogging,
      replica: replicaDestination(config),
    });
    this.reports = new ReportTopic(this, 'Reports', { encryptionKey: this.key, emails: config.notifications.emails, emailSeverities: config.notifications.emailSeverities });
    this.monitoring = new Monitoring(this, 'Monitoring', {
      stackNamePrefix: prefix,
      reportTopic: this.reports.topic,
      encryptionKey: this.key,
      clusterNames: config.clusters.map((c) => c.name),
      alarmEmails: config.notifications.emails,
      slackWebhookSecretArn: config.notifications.slackWebhookSecretArn,
      slackWebhookKmsKeyArn: config.notifications.slackWebhookKmsKeyArn,
    });
    // Rotation failures go to the alarm topic: its e-mail subscriptions have no severity filter (see RotationFailureAlerts).
    if (config.clusters.some((c) => c.rotation !== undefined)) new RotationFailureAlerts(this, 'RotationFailures', { topic: this.monitoring.alarmTopic, encryptionKey: this.key });
    if (config.network.createVpcEndpoints) {
      for (const endpoints of endpointsPerVpc(config.clusters)) new BackupVpcEndpoints(this, `Endpoints-${endpoints.vpcId}`, endpoints);
    }
    new SharedResourceExports(this, 'SharedParameters', {
      stackNamePrefix: prefix,
      values: {
        BackupBucketName: this.backups.bucket.bucketName,
        BackupBucketArn: this.backups.bucket.bucketArn,
        EncryptionKeyArn: this.key.keyArn,
        ReportTopicArn: this.reports.topic.topicArn,
        AlarmTopicArn: this.monitoring.alarmTopic.topicArn,
      },
    });
    this.resources = { backups: this.backups.grants, reportTopic: this.reports.topic, encryptionKey: this.key, alarmTopic: this.monitoring.alarmTopic };
    new CfnOutput(this, 'BackupBucketName', { description: 'Snapshot bucket', value: this.backups.bucket.bucketName });
    new CfnOutput(this, 'ReportTopicArn', { description: 'Report topic', value: this.reports.topic.topicArn });
    new CfnOutput(this, 'AlarmTopicArn', { description: 'Alarm topic', value: this.monitoring.alarmTopic.topicArn });
    if (this.backups.replication) {
      new CfnOutput(this, 'ReplicationRoleArn', { description: 'Role S3 replicates backups with (the replica bucket and key must allow it)', value: this.backups.replication.role.roleArn });
    }
  }
}

/** The account every secret of the config is in (the config rules make them agree), or the configured one. */
export function deploymentAccount(config: DeployConfig): string {
  return config.deployment.account ?? arnLocation(config.clusters[0].consul.managementTokenSecretArn).account;
}

function replicaDestination(config: DeployConfig) {
  const replica = config.bucket.replica;
  if (replica === undefined) return undefined;
  const key = arnLocation(replica.kmsKeyArn);
  const account = replica.account ?? key.account;
  return { bucketArn: replica.bucketArn, kmsKeyArn: replica.kmsKeyArn, region: replica.region ?? key.region, account, crossAccount: account !== deploymentAccount(config), replicationTimeControl: replica.replicationTimeControl };
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
