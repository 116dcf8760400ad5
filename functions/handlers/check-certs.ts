import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { ConsulCertificateSource } from '../adapters/consul/cert-source';
import { parseConsulAddresses } from '../adapters/consul/settings';
import { createTlsProbe, systemRootPems } from '../adapters/tls-probe';
import { runCertificateCheckJob } from '../core/certs/job';
import { CERT_KINDS, resolveCertThresholds, type CertificateThresholdsInput } from '../core/certs/thresholds';
import { type CertCheckInput, type CertCheckResult } from '../core/certs/workflow';
import { endpointCaReader, parseCertEndpoints } from './cert-endpoints-env';
import { createJobHandler, type JobInit, type JobSpec } from './job';
import { CERT_CHECK_FUNCTION_ENV as E } from './lambda-env';

/** The schedule's input; a manual invoke may send `{}`. */
export interface CheckCertsEvent {
  readonly trigger?: 'schedule' | 'manual';
}

const METRIC_NAMES = { 'ca-root': 'CertMinDaysLeftCaRoot', leaf: 'CertMinDaysLeftLeaf', proxy: 'CertMinDaysLeftProxy', endpoint: 'CertMinDaysLeftEndpoint' } as const;

/**
 * The check-certs job: every certificate of the cluster (CA roots, sidecars, endpoints), reported through the one
 * report path, with metrics. Findings are results, not failures; only a run that could not read the CA roots or the
 * catalog throws (after reporting), so Lambda counts an error and the errors alarm fires.
 */
export const checkCertsJob: JobSpec<ReturnType<typeof init>, CertCheckResult> = {
  name: 'check-certs',
  init,
  failureMetric: 'CertCheckFailure',
  // Probes not started by then are reported as not probed.
  deadlineMarginMs: 20_000,
  async run(_event, run) {
    const [consulCaPem, endpoints] = await Promise.all([run.consulCaBundle(), run.wiring.endpoints()]);
    return runCertificateCheckJob(
      { consul: new ConsulCertificateSource(await run.consul()), probe: createTlsProbe(), now: run.now, signal: run.signal },
      run.wiring.cluster,
      { ...run.wiring.input, endpoints, consulCaPem, systemCaPems: systemRootPems() },
    );
  },
  recordMetrics(outcome, { metrics, logger, wiring }) {
    if (!outcome.ok) return;
    const result = outcome.result;
    for (const kind of CERT_KINDS) {
      const days = result.metrics.minDaysLeft[kind];
      if (days !== undefined) metrics.addMetric(METRIC_NAMES[kind], MetricUnit.NoUnit, days);
    }
    metrics.addMetric('ProxiesChecked', MetricUnit.Count, result.metrics.proxiesChecked);
    metrics.addMetric('ProxiesUnreachable', MetricUnit.Count, result.metrics.proxiesUnreachable);
    metrics.addMetric('ProxiesServingStaleLeaves', MetricUnit.Count, result.metrics.proxiesServingStaleLeaves);
    metrics.addMetric('CertCheckSuccess', MetricUnit.Count, 1);
    logger.info('certificates checked', { cluster: wiring.cluster, certs: result.certs.length, findings: result.findings.filter((f) => f.severity !== 'info').map((f) => ({ id: f.id, severity: f.severity })), metrics: result.metrics });
  },
};

function init({ env, secrets }: JobInit) {
  env.required(E.consulTokenSecretArn);
  const addresses = parseConsulAddresses(env.required(E.consulAddresses), 'https', E.consulAddresses);
  const serverName = env.optional(E.consulTlsServerName);
  const endpoints = parseCertEndpoints(env.optional(E.certEndpoints), `environment variable ${E.certEndpoints}`);
  const thresholds = env.json<CertificateThresholdsInput>(E.certThresholds);
  resolveCertThresholds(thresholds, E.certThresholds);
  const input: Omit<CertCheckInput, 'systemCaPems' | 'consulCaPem' | 'endpoints'> = {
    auditorService: env.optional(E.certAuditorService),
    consulEndpoints: addresses.filter((a) => a.startsWith('https://')).map((a) => new URL(a)).map((u) => ({ host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 443), serverName })),
    thresholds,
  };
  return { cluster: env.required(E.clusterName), input, endpoints: endpointCaReader(secrets, endpoints, E.certEndpoints) };
}

/** The scheduled entry point. */
export const handler = createJobHandler(checkCertsJob);
