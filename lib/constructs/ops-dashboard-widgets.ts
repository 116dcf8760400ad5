import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { CERT_KINDS, type CertKind } from '../../functions/core/certs/thresholds';
import { SEVERITIES } from '../../functions/core/shared/severity';
import { secretNameOf } from '../../functions/core/shared/secret-name';
import { METRICS_NAMESPACE, jobServiceName } from './consul-function';

/** Powertools service names, the `service` dimension of each handler's metrics. */
export const OPS_METRICS_SERVICES = {
  certs: jobServiceName('check-certs'),
  intentions: jobServiceName('audit-intentions'),
  rotation: jobServiceName('rotate-token'),
} as const;
/** The check-certs metric of each certificate kind. */
const CERT_METRIC_NAMES: Record<CertKind, string> = { 'ca-root': 'CertMinDaysLeftCaRoot', leaf: 'CertMinDaysLeftLeaf', proxy: 'CertMinDaysLeftProxy', endpoint: 'CertMinDaysLeftEndpoint' };
/**
 * Time range of the rotation widget: `FILL(…, REPEAT)` only repeats a rotation seen inside the range, so it must span
 * the rotation interval (30 days by default); a secret rotated longer ago than this shows no line.
 */
const ROTATION_RANGE_DAYS = 90;

/** The token secrets rotated in one cluster. */
export interface RotatedSecrets {
  readonly clusterName: string;
  /** Full Secrets Manager ARNs: the `Secret` dimension is each one's name. */
  readonly secretArns: readonly string[];
}

/** The optional features of a deployment that the dashboard graphs; a feature left out gets no widget. */
export interface OpsDashboardWidgetsProps {
  /**
   * Clusters with a scheduled certificate check.
   * @default - no certificate widgets
   */
  readonly certCheckClusters?: readonly string[];
  /**
   * Clusters with a scheduled intention audit.
   * @default - no intention drift widgets
   */
  readonly intentionAuditClusters?: readonly string[];
  /**
   * Rotated token secrets per cluster.
   * @default - no rotation widget
   */
  readonly rotatedSecrets?: readonly RotatedSecrets[];
}

/**
 * Dashboard rows for certificates (minimum days left per kind, proxies serving stale leaves), intention drift
 * (findings per severity, default allow) and token rotation (days since each secret's last successful rotation).
 * Every metric names all its dimensions, `service` included: CloudWatch matches dimensions exactly.
 */
export function buildOpsDashboardWidgets(props: OpsDashboardWidgetsProps): cloudwatch.IWidget[][] {
  const rows: cloudwatch.IWidget[][] = [];
  const certs = props.certCheckClusters ?? [];
  const audits = props.intentionAuditClusters ?? [];
  const rotated = (props.rotatedSecrets ?? []).filter((r) => r.secretArns.length > 0);
  if (certs.length > 0) rows.push(certificateWidgets(certs));
  if (audits.length > 0) rows.push(intentionWidgets(audits));
  if (rotated.length > 0) rows.push([rotationWidget(rotated)]);
  return rows;
}

function certificateWidgets(clusters: readonly string[]): cloudwatch.IWidget[] {
  const period = Duration.hours(1);
  const metric = (metricName: string, cluster: string, statistic: string, label: string) =>
    opsMetric(metricName, { Cluster: cluster, service: OPS_METRICS_SERVICES.certs }, statistic, period).with({ label });
  return [
    new cloudwatch.GraphWidget({
      title: 'Certificates: minimum days left per kind',
      left: clusters.flatMap((c) => CERT_KINDS.map((kind) => metric(CERT_METRIC_NAMES[kind], c, 'Minimum', `${c} ${kind}`))),
      leftYAxis: { min: 0, label: 'days', showUnits: false },
      width: 16,
    }),
    new cloudwatch.GraphWidget({
      title: 'Proxies serving stale leaf certificates',
      left: clusters.map((c) => metric('ProxiesServingStaleLeaves', c, 'Maximum', c)),
      leftYAxis: { min: 0, showUnits: false },
      width: 8,
    }),
  ];
}

function intentionWidgets(clusters: readonly string[]): cloudwatch.IWidget[] {
  const period = Duration.hours(1);
  const service = OPS_METRICS_SERVICES.intentions;
  return [
    new cloudwatch.GraphWidget({
      title: 'Intention drift: findings per severity',
      // IntentionFindings is a single metric with its own dimension set: service, Cluster and Severity.
      left: clusters.flatMap((c) => SEVERITIES.map((severity) => opsMetric('IntentionFindings', { Cluster: c, Severity: severity, service }, 'Maximum', period).with({ label: `${c} ${severity}` }))),
      leftYAxis: { min: 0, label: 'findings', showUnits: false },
      width: 16,
    }),
    new cloudwatch.GraphWidget({
      title: 'Intentions: default allow (1 = allow)',
      left: clusters.map((c) => opsMetric('IntentionDefaultAllow', { Cluster: c, service }, 'Maximum', period).with({ label: c })),
      leftYAxis: { min: 0, max: 1, showUnits: false },
      width: 8,
    }),
  ];
}

function rotationWidget(rotated: readonly RotatedSecrets[]): cloudwatch.GraphWidget {
  const period = Duration.days(1);
  const secrets = rotated.flatMap((r) => r.secretArns.map((arn) => ({ cluster: r.clusterName, name: secretNameOf(arn) })));
  return new cloudwatch.GraphWidget({
    title: 'Token rotation: days since the last successful rotation',
    left: secrets.map((s, i) => daysSinceRotation(s.cluster, s.name, i, period)),
    leftYAxis: { min: 0, label: 'days', showUnits: false },
    start: `-P${ROTATION_RANGE_DAYS}D`,
    width: 24,
  });
}

/** now − LastRotationTimestamp in days, by the same metric math as the backup age (see backup-dashboard.ts). */
function daysSinceRotation(cluster: string, secretName: string, index: number, period: Duration): cloudwatch.MathExpression {
  const id = `rot${index}`;
  return new cloudwatch.MathExpression({
    expression: `(EPOCH(FILL(${id}, REPEAT)) + PERIOD(${id}) - FILL(${id}, REPEAT)) / 86400`,
    usingMetrics: { [id]: opsMetric('LastRotationTimestamp', { Cluster: cluster, Secret: secretName, service: OPS_METRICS_SERVICES.rotation }, 'Maximum', period) },
    label: secretName,
    period,
  });
}

function opsMetric(metricName: string, dimensionsMap: Record<string, string>, statistic: string, period: Duration): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap, statistic, period });
}
