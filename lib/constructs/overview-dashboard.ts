import { Duration, Stack, ArnFormat } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { backupAge, snapshotMetric } from './backup-dashboard';
import { clusterHealthAlarmName } from './cluster-monitoring';

/**
 * CloudWatch dashboard limits this dashboard stays within, at any number of clusters: an alarm status widget shows at
 * most 100 alarms, a graph at most 500 metrics (each metric of a math expression counts), a dashboard at most 2500
 * metrics and 500 widgets. Graphs are also split for legibility.
 */
export const DASHBOARD_LIMITS = { alarmsPerStatusWidget: 100, metricsPerGraph: 500, metricsPerDashboard: 2500, widgetsPerDashboard: 500 } as const;
/** Clusters per overview graph: a line per cluster stays readable up to about this many. */
export const CLUSTERS_PER_GRAPH = 50;

/** Properties of {@link OverviewDashboard}. */
export interface OverviewDashboardProps {
  /** `<prefix>-consul-ops`. */
  readonly dashboardName: string;
  /** The deployment's stack name prefix (cluster alarm and dashboard names start with it). */
  readonly stackNamePrefix: string;
  /** Every cluster of the deployment. */
  readonly clusterNames: readonly string[];
  /** Alarms of the shared stack itself (e.g. the Slack forwarder's). */
  readonly sharedAlarms: readonly cloudwatch.IAlarm[];
}

/**
 * One overview of every cluster: the health composite alarm of each cluster (by name, so the shared stack does not
 * depend on the cluster stacks), backup age and backup failures in graphs of {@link CLUSTERS_PER_GRAPH} clusters.
 * Everything else of a cluster is on its own dashboard, `<prefix>-<cluster>`.
 *
 * The dashboard is created as `id` directly under `scope` (`Monitoring/Dashboard`, the path of the one dashboard of
 * earlier versions): a new logical id with the same dashboard name would be created, then the old one deleted by
 * name, taking the new one with it.
 */
export function buildOverviewDashboard(scope: Construct, id: string, props: OverviewDashboardProps): cloudwatch.Dashboard {
  const dashboard = new cloudwatch.Dashboard(scope, id, { dashboardName: props.dashboardName, defaultInterval: Duration.days(7) });
  dashboard.addWidgets(
    new cloudwatch.TextWidget({
      markdown: `# consul-ops: ${props.clusterNames.length} clusters\nOne health alarm per cluster (any of its alarms). Each cluster has its own dashboard, \`${props.stackNamePrefix}-<cluster>\`, with every job's graphs.`,
      width: 24,
      height: 2,
    }),
  );
  for (const widget of healthWidgets(scope, props)) dashboard.addWidgets(widget);
  for (const row of backupRows(props.clusterNames)) dashboard.addWidgets(...row);
  return dashboard;
}

/** Alarm status widgets of at most 100 alarms: the shared stack's alarms, then each cluster's health alarm (by ARN). */
function healthWidgets(scope: Construct, props: OverviewDashboardProps): cloudwatch.AlarmStatusWidget[] {
  const stack = Stack.of(scope);
  const health = props.clusterNames.map((c) =>
    cloudwatch.Alarm.fromAlarmArn(scope, `Health-${c}`, stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: clusterHealthAlarmName(props.stackNamePrefix, c), arnFormat: ArnFormat.COLON_RESOURCE_NAME })),
  );
  return chunk([...props.sharedAlarms, ...health], DASHBOARD_LIMITS.alarmsPerStatusWidget).map(
    (alarms, i, all) => new cloudwatch.AlarmStatusWidget({ title: all.length > 1 ? `Health (${i + 1}/${all.length})` : 'Health', alarms, width: 24, height: Math.min(12, 2 + Math.ceil(alarms.length / 6)) }),
  );
}

/** Backup age and failures, one row per {@link CLUSTERS_PER_GRAPH} clusters. */
function backupRows(clusterNames: readonly string[]): cloudwatch.GraphWidget[][] {
  const hour = Duration.hours(1);
  return chunk(clusterNames, CLUSTERS_PER_GRAPH).map((clusters, i, all) => {
    const part = all.length > 1 ? ` (${i + 1}/${all.length})` : '';
    return [
      new cloudwatch.GraphWidget({ title: `Backup age, hours${part}`, left: clusters.map((c, j) => backupAge(c, j, hour)), leftYAxis: { min: 0, label: 'hours', showUnits: false }, width: 12 }),
      new cloudwatch.GraphWidget({ title: `Backup failures${part}`, left: clusters.map((c) => snapshotMetric('BackupFailure', c, 'Sum', hour).with({ label: c })), leftYAxis: { min: 0, showUnits: false }, width: 12 }),
    ];
  });
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
