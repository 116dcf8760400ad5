import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { createS3Client, createSecretsManagerClient, createSnsClient } from '../adapters/aws-clients';
import { ConsulIntentionSource } from '../adapters/consul-intention-source';
import { S3IntentionAuditStore } from '../adapters/s3-intention-audit-store';
import { S3ReportState } from '../adapters/s3-report-state';
import { SnsReportPublisher } from '../adapters/sns-report-publisher';
import { ConsulOpsError, summarizeError } from '../core/errors';
import { parseIntentionBaseline, type IntentionBaseline } from '../core/intention-baseline';
import { runIntentionAudit, type IntentionAuditOutcome } from '../core/intention-audit-workflow';
import { SEVERITIES } from '../core/severity';
import { consulWiring } from './consul-wiring';
import { INTENTION_AUDIT_FUNCTION_ENV as E, LambdaEnv } from './lambda-env';

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

/** The deployed baseline file is not the one the stack configured (or there is one it did not configure). */
export class BaselineMismatchError extends ConsulOpsError {
  constructor(expected: string | undefined, actual: string | undefined) {
    super(
      'INTENTION_BASELINE_MISMATCH',
      `the function's intention baseline file (${actual ?? 'none'}) is not the one the stack configured (${expected ?? 'none'})`,
      'Redeploy the consul-ops stack (cdk deploy): the function code and its configuration are out of step.',
      { context: { expected, actual } },
    );
  }
}

const logger = new Logger({ serviceName: 'consul-ops-audit-intentions' });
const metrics = new Metrics({ namespace: 'ConsulOps', serviceName: 'consul-ops-audit-intentions' });
let wiring: ReturnType<typeof init> | undefined;

/**
 * The baseline the stack shipped in the cluster's baseline layer (`INTENTION_BASELINE_FILE`), checked against the
 * sha256 the stack configured (`INTENTION_BASELINE_SHA256`): a file that was swapped, or is missing while a digest
 * is configured (or the reverse), is refused.
 *
 * @param file path of the canonical JSON baseline, or undefined
 * @param expectedSha256 `INTENTION_BASELINE_SHA256`, or undefined
 */
export function readBaselineFile(file: string | undefined, expectedSha256: string | undefined): IntentionBaseline | undefined {
  if (!file) {
    if (expectedSha256) throw new BaselineMismatchError(expectedSha256, undefined);
    return undefined;
  }
  let json: string;
  try {
    json = readFileSync(file, 'utf8');
  } catch (err) {
    throw new BaselineMismatchError(expectedSha256, `unreadable ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const actual = createHash('sha256').update(json).digest('hex');
  if (actual !== expectedSha256) throw new BaselineMismatchError(expectedSha256, actual);
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new BaselineMismatchError(expectedSha256, `${actual} (not JSON: ${(err as Error).message})`);
  }
  return parseIntentionBaseline(raw, 'the deployed intention baseline');
}

function init() {
  const env = new LambdaEnv(process.env);
  env.required(E.consulTokenSecretArn);
  env.required(E.consulAddresses);
  const cluster = env.required(E.clusterName);
  const bucket = env.required(E.bucketName);
  const baseline = readBaselineFile(env.optional(E.baselineFile), env.optional(E.baselineSha256));
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
