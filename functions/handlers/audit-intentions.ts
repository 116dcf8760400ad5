import { createHash } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { createS3Client, createSecretsManagerClient, createSnsClient } from '../adapters/aws-clients';
import { ConsulIntentionSource } from '../adapters/consul/intention-source';
import { S3IntentionAuditStore } from '../adapters/s3-intention-audit-store';
import { S3ReportState } from '../adapters/s3-report-state';
import { SnsReportPublisher } from '../adapters/sns-report-publisher';
import { summarizeError } from '../core/shared/errors';
import { parseIntentionBaseline, type IntentionBaseline } from '../core/intentions/baseline';
import { runIntentionAudit, type IntentionAuditOutcome } from '../core/intentions/workflow';
import { SEVERITIES } from '../core/shared/severity';
import { consulWiring } from './consul-wiring';
import { INTENTION_AUDIT_FUNCTION_ENV as E, LambdaEnv } from './lambda-env';
import { BaselineMismatchError } from '../core/intentions/errors';

/** The schedule's input; a manual invoke may send `{}`. Nothing in it changes what is audited. */
export interface AuditIntentionsEvent {
  readonly trigger?: 'schedule' | 'manual';
}

/** What the handler returns (and `aws lambda invoke` prints). */
export interface AuditIntentionsResult {
  readonly cluster: string;
  readonly effectiveDefault: 'allow' | 'deny';
  readonly findings: number;
  readonly counts: IntentionAuditOutcome['document']['counts'];
  readonly resultHash: string;
  readonly documentUrl?: string;
  readonly notified?: boolean;
}

const logger = new Logger({ serviceName: 'consul-ops-audit-intentions' });
const metrics = new Metrics({ namespace: 'ConsulOps', serviceName: 'consul-ops-audit-intentions' });
let wiring: ReturnType<typeof init> | undefined;

/**
 * The baseline baked in at synth (esbuild replaces `process.env.INTENTION_BASELINE_B64` with a string literal; see
 * INTENTION_BASELINE_DEFINE). Outside a bundle (tests, local runs) the variable is read from the environment.
 *
 * @param embedded the base64 canonical JSON, or undefined
 * @param expectedSha256 `INTENTION_BASELINE_SHA256`, or undefined
 */
export function readEmbeddedBaseline(embedded: string | undefined, expectedSha256: string | undefined): IntentionBaseline | undefined {
  if (!embedded) {
    if (expectedSha256) throw new BaselineMismatchError(expectedSha256, undefined);
    return undefined;
  }
  const json = Buffer.from(embedded, 'base64').toString('utf8');
  const actual = createHash('sha256').update(json).digest('hex');
  if (actual !== expectedSha256) throw new BaselineMismatchError(expectedSha256, actual);
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new BaselineMismatchError(expectedSha256, `${actual} (not JSON: ${(err as Error).message})`);
  }
  return parseIntentionBaseline(raw, 'the embedded intention baseline');
}

function init() {
  const env = new LambdaEnv(process.env);
  env.required(E.consulTokenSecretArn);
  env.required(E.consulAddresses);
  const cluster = env.required(E.clusterName);
  const bucket = env.required(E.bucketName);
  const baseline = readEmbeddedBaseline(process.env.INTENTION_BASELINE_B64, env.optional(E.baselineSha256));
  const s3 = createS3Client();
  const topicArn = env.optional(E.reportTopicArn);
  return {
    cluster,
    baseline,
    consul: consulWiring(process.env, createSecretsManagerClient()),
    store: new S3IntentionAuditStore({ client: s3, bucket }),
    reports: topicArn
      ? { store: new S3ReportState({ client: s3, bucket }), publisher: new SnsReportPublisher({ client: createSnsClient(), topicArn }), now: () => new Date() }
      : undefined,
  };
}

/**
 * Scheduled entry point: audits the cluster's intentions, stores the full JSON document, publishes the report
 * (deduplicated) and emits `IntentionFindings` per `Severity` (every level, zeros included). Throws on failure so
 * Lambda counts an error and the failure queue receives the event.
 */
export async function handler(event: AuditIntentionsEvent | undefined): Promise<AuditIntentionsResult> {
  wiring ??= init();
  const { cluster } = wiring;
  metrics.addDimension('Cluster', cluster);
  let consul: Awaited<ReturnType<typeof wiring.consul.connect>> | undefined;
  try {
    consul = await wiring.consul.connect();
    const outcome = await runIntentionAudit(
      { consul: new ConsulIntentionSource(consul.api), store: wiring.store, reports: wiring.reports, now: () => new Date() },
      { cluster, baseline: wiring.baseline },
    );
    const { document } = outcome;
    for (const severity of SEVERITIES) {
      const single = metrics.singleMetric();
      single.addDimensions({ Cluster: cluster, Severity: severity });
      single.addMetric('IntentionFindings', MetricUnit.Count, document.counts[severity]);
    }
    metrics.addMetric('IntentionAuditSuccess', MetricUnit.Count, 1);
    metrics.addMetric('IntentionDefaultAllow', MetricUnit.Count, document.effectiveDefault === 'allow' ? 1 : 0);
    logger.info('intentions audited', { cluster, trigger: event?.trigger, effectiveDefault: document.effectiveDefault, counts: document.counts, resultHash: document.resultHash, documentUrl: outcome.documentUrl, notified: outcome.publish?.notified });
    for (const warning of outcome.publish?.warnings ?? []) logger.warn('report step failed', { cluster, step: warning.step, error: warning.error });
    return {
      cluster,
      effectiveDefault: document.effectiveDefault,
      findings: document.findings.length,
      counts: document.counts,
      resultHash: document.resultHash,
      ...(outcome.documentUrl ? { documentUrl: outcome.documentUrl } : {}),
      ...(outcome.publish ? { notified: outcome.publish.notified } : {}),
    };
  } catch (err) {
    metrics.addMetric('IntentionAuditFailure', MetricUnit.Count, 1);
    logger.error('intention audit failed', { cluster, error: summarizeError(err) });
    throw err;
  } finally {
    await consul?.close();
    metrics.publishStoredMetrics();
  }
}
