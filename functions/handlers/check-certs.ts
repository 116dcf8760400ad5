import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { createS3Client, createSecretsManagerClient, createSnsClient } from '../adapters/aws-clients';
import { ConsulCertificateSource } from '../adapters/consul/cert-source';
import { parseConsulAddresses } from '../adapters/consul/settings';
import { S3ReportState } from '../adapters/s3-report-state';
import { SnsReportPublisher } from '../adapters/sns-report-publisher';
import { createTlsProbe, systemRootPems } from '../adapters/tls-probe';
import { parseHostPort, runCertificateCheck, type CertCheckInput, type CertCheckResult } from '../core/certs/workflow';
import { buildCertificateReport } from '../core/certs/cert-report';
import { CERT_KINDS, resolveCertThresholds, type CertificateThresholdsInput } from '../core/certs/thresholds';
import { summarizeError } from '../core/shared/errors';
import { publishReport } from '../core/report/publish';
import { consulWiring } from './consul-wiring';
import { CERT_CHECK_FUNCTION_ENV as E, LambdaEnv } from './lambda-env';

/** The schedule's input; a manual invoke may send `{}`. */
export interface CheckCertsEvent {
  readonly trigger?: 'schedule' | 'manual';
}

/** Time kept back from the Lambda deadline: probes not started by then are reported as not probed. */
const DEADLINE_MARGIN_MS = 20_000;
const METRIC_NAMES = { 'ca-root': 'CertMinDaysLeftCaRoot', leaf: 'CertMinDaysLeftLeaf', proxy: 'CertMinDaysLeftProxy', endpoint: 'CertMinDaysLeftEndpoint' } as const;

const logger = new Logger({ serviceName: 'consul-ops-check-certs' });
const metrics = new Metrics({ namespace: 'ConsulOps', serviceName: 'consul-ops-check-certs' });
let wiring: ReturnType<typeof init> | undefined;

function init() {
  const env = new LambdaEnv(process.env);
  env.required(E.consulTokenSecretArn);
  const addresses = parseConsulAddresses(env.required(E.consulAddresses), 'https', E.consulAddresses);
  const serverName = env.optional(E.consulTlsServerName);
  const endpoints = (env.optional(E.certEndpoints) ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  endpoints.forEach((e) => parseHostPort(e, E.certEndpoints));
  const thresholds = env.json<CertificateThresholdsInput>(E.certThresholds);
  resolveCertThresholds(thresholds, E.certThresholds);
  const secrets = createSecretsManagerClient();
  const bucket = env.required(E.bucketName);
  const topicArn = env.optional(E.reportTopicArn);
  const input: Omit<CertCheckInput, 'endpointCaPems'> = {
    auditorService: env.optional(E.certAuditorService),
    consulEndpoints: addresses.filter((a) => a.startsWith('https://')).map((a) => new URL(a)).map((u) => ({ host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 443), serverName })),
    endpoints,
    thresholds,
  };
  return {
    cluster: env.required(E.clusterName),
    input,
    consul: consulWiring(process.env, secrets),
    reports: topicArn ? { store: new S3ReportState({ client: createS3Client(), bucket }), publisher: new SnsReportPublisher({ client: createSnsClient(), topicArn }), now: () => new Date() } : undefined,
  };
}

/**
 * Scheduled entry point: checks every certificate of the cluster (CA roots, sidecars, endpoints), publishes the
 * report and the metrics. Findings are results, not failures; only a run that could not read the CA roots or the
 * catalog throws (after reporting), so Lambda counts an error and the errors alarm fires.
 */
export async function handler(_event: CheckCertsEvent, context: Pick<Context, 'getRemainingTimeInMillis'>): Promise<CertCheckResult> {
  wiring ??= init();
  const { cluster } = wiring;
  metrics.addDimension('Cluster', cluster);
  const budget = new AbortController();
  const timer = setTimeout(() => budget.abort(), Math.max(context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS, 1_000));
  let consul: Awaited<ReturnType<typeof wiring.consul.connect>> | undefined;
  try {
    consul = await wiring.consul.connect();
    const caPem = await wiring.consul.caBundle();
    const result = await runCertificateCheck(
      { consul: new ConsulCertificateSource(consul.api), probe: createTlsProbe(), now: () => new Date(), signal: budget.signal },
      { ...wiring.input, endpointCaPems: caPem ? [caPem] : systemRootPems() },
    );
    recordMetrics(result);
    logger.info('certificates checked', { cluster, certs: result.certs.length, findings: result.findings.filter((f) => f.severity !== 'info').map((f) => ({ id: f.id, severity: f.severity })), metrics: result.metrics });
    await reportRun({ cluster, result, finishedAt: new Date() });
    return result;
  } catch (err) {
    metrics.addMetric('CertCheckFailure', MetricUnit.Count, 1);
    logger.error('certificate check failed', { cluster, error: summarizeError(err) });
    await reportRun({ cluster, error: err, finishedAt: new Date() });
    throw err;
  } finally {
    clearTimeout(timer);
    await consul?.close();
    metrics.publishStoredMetrics();
  }
}

function recordMetrics(result: CertCheckResult): void {
  for (const kind of CERT_KINDS) {
    const days = result.metrics.minDaysLeft[kind];
    if (days !== undefined) metrics.addMetric(METRIC_NAMES[kind], MetricUnit.NoUnit, days);
  }
  metrics.addMetric('ProxiesChecked', MetricUnit.Count, result.metrics.proxiesChecked);
  metrics.addMetric('ProxiesUnreachable', MetricUnit.Count, result.metrics.proxiesUnreachable);
  metrics.addMetric('ProxiesServingStaleLeaves', MetricUnit.Count, result.metrics.proxiesServingStaleLeaves);
  metrics.addMetric('CertCheckSuccess', MetricUnit.Count, 1);
}

/** Publishes the run's report through the shared report path; never throws (a lost report is logged and counted). */
async function reportRun(run: Parameters<typeof buildCertificateReport>[0]): Promise<void> {
  if (!wiring?.reports) return;
  try {
    const { warnings, ...facts } = await publishReport(wiring.reports, buildCertificateReport(run));
    logger.info('report processed', { cluster: run.cluster, ...facts });
    for (const warning of warnings) logger.warn('report step failed', { cluster: run.cluster, step: warning.step, error: warning.error });
  } catch (err) {
    metrics.addMetric('ReportFailure', MetricUnit.Count, 1);
    logger.error('report not published', { cluster: run.cluster, error: summarizeError(err) });
  }
}
