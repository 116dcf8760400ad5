import { CfnOutput, RemovalPolicy, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { ClusterConfig, DeployConfig } from './config/deploy-config';
import { BackupBucket } from './constructs/backup-bucket';
import { CertCheck } from './constructs/cert-check';
import { ClusterBackup } from './constructs/cluster-backup';
import { ClusterRestore } from './constructs/cluster-restore';
import { IntentionAudit } from './constructs/intention-audit';
import { Monitoring } from './constructs/monitoring';
import { ReportTopic } from './constructs/report-topic';
import { RotationFailureAlerts, TokenRotation } from './constructs/token-rotation';
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
  /** The per-cluster scheduled intention audits (clusters with `intentions.enabled: false` have none), by cluster name. */
  readonly intentionAudits: ReadonlyMap<string, IntentionAudit>;
  /** The per-cluster scheduled certificate checks (clusters with `certificates.enabled: false` have none), by cluster name. */
  readonly certChecks: ReadonlyMap<string, CertCheck>;
  /** Alarms, dashboard, alarm topic and the optional Slack forwarder. */
  readonly monitoring: Monitoring;
  /** The per-cluster ACL token rotation functions (clusters with a `rotation` block only), by cluster name. */
  readonly rotations: ReadonlyMap<string, TokenRotation>;

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

    // Intention audits: one scheduled, read-only function per cluster; its construct validates and bundles the baseline file.
    const intentionAudits = new Map<string, IntentionAudit>();
    for (const cluster of config.clusters.filter((c) => c.intentions.enabled)) {
      const audit = new IntentionAudit(this, `Intentions-${cluster.name}`, {
        clusterName: cluster.name,
        consul: cluster.consul,
        network: cluster.network,
        bucket: this.backups,
        reportTopic: this.reports,
        schedule: cluster.intentions.schedule,
        timeZone: cluster.intentions.timeZone,
        baselineFile: cluster.intentions.baselineFile,
      });
      intentionAudits.set(cluster.name, audit);
      new CfnOutput(audit, 'AuditFunctionName', { description: `audit-intentions function of cluster ${cluster.name}`, value: audit.function.functionName });
    }
    this.intentionAudits = intentionAudits;

    // Token rotation (off unless a cluster has a `rotation` block); before Monitoring, which alarms on its functions.
    const rotations = new Map<string, TokenRotation>();
    for (const cluster of config.clusters) {
      if (cluster.rotation === undefined) continue;
      const rotation = new TokenRotation(this, `Rotation-${cluster.name}`, { clusterName: cluster.name, consul: cluster.consul, network: cluster.network, rotation: cluster.rotation });
      rotations.set(cluster.name, rotation);
      new CfnOutput(rotation, 'RotationFunctionName', { description: `rotate-token function of cluster ${cluster.name}`, value: rotation.function.functionName });
    }
    this.rotations = rotations;

    // Certificate checks: one scheduled, read-only function per cluster; before Monitoring, which alarms on it.
    const certChecks = new Map<string, CertCheck>();
    for (const cluster of config.clusters.filter((c) => c.certificates.enabled)) {
      const { schedule, endpoints, auditorService, thresholds } = cluster.certificates;
      const check = new CertCheck(this, `Certs-${cluster.name}`, { clusterName: cluster.name, consul: cluster.consul, network: cluster.network, bucket: this.backups, reportTopic: this.reports, schedule, endpoints, auditorService, thresholds });
      certChecks.set(cluster.name, check);
      new CfnOutput(check, 'CheckCertsFunctionName', { description: `check-certs function of cluster ${cluster.name}`, value: check.function.functionName });
    }
    this.certChecks = certChecks;

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
    // Rotation failures go to the alarm topic: its e-mail subscriptions have no severity filter (see RotationFailureAlerts).
    if (rotations.size > 0) new RotationFailureAlerts(this, 'RotationFailures', { topic: this.monitoring.alarmTopic, encryptionKey: this.reports.encryptionKey });

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
