import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { createS3Client } from '../adapters/aws-clients';
import { ConsulIntentionSource } from '../adapters/consul/intention-source';
import { S3IntentionAuditStore } from '../adapters/s3-intention-audit-store';
import { parseIntentionBaseline, type IntentionBaseline } from '../core/intentions/baseline';
import { BaselineMismatchError } from '../core/intentions/errors';
import { runIntentionAuditJob } from '../core/intentions/job';
import type { IntentionAuditOutcome } from '../core/intentions/workflow';
import type { IntentionAuditDocument } from '../core/intentions/ports';
import { SEVERITIES } from '../core/shared/severity';
import { createJobHandler, type JobInit, type JobSpec } from './job';
import { INTENTION_AUDIT_FUNCTION_ENV as E } from './lambda-env';

/** The schedule's input; a manual invoke may send `{}`. Nothing in it changes what is audited. */
export interface AuditIntentionsEvent {
  readonly trigger?: 'schedule' | 'manual';
}

/** What the handler returns (and `aws lambda invoke` prints). */
export interface AuditIntentionsResult {
  readonly cluster: string;
  readonly effectiveDefault: 'allow' | 'deny';
  readonly findings: number;
  readonly counts: IntentionAuditDocument['counts'];
  readonly resultHash: string;
  readonly documentUrl?: string;
}

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

/**
 * The audit-intentions job: audits the cluster's intentions, stores the full JSON document, reports through the one
 * report path (deduplicated) and emits `IntentionFindings` per `Severity` (every level, zeros included). A failure
 * throws (after reporting) so Lambda counts an error and the failure queue receives the event.
 */
export const auditIntentionsJob: JobSpec<ReturnType<typeof init>, IntentionAuditOutcome, AuditIntentionsResult> = {
  name: 'audit-intentions',
  init,
  failureMetric: 'IntentionAuditFailure',
  async run(_event, run) {
    const { wiring } = run;
    return runIntentionAuditJob({ consul: new ConsulIntentionSource(await run.consul()), store: wiring.store, now: run.now }, { cluster: wiring.cluster, baseline: wiring.baseline });
  },
  recordMetrics(outcome, { metrics, logger, wiring }) {
    if (!outcome.ok) return;
    const { document, documentUrl } = outcome.result;
    for (const severity of SEVERITIES) {
      const single = metrics.singleMetric();
      single.addDimensions({ Cluster: wiring.cluster, Severity: severity });
      single.addMetric('IntentionFindings', MetricUnit.Count, document.counts[severity]);
    }
    metrics.addMetric('IntentionAuditSuccess', MetricUnit.Count, 1);
    metrics.addMetric('IntentionDefaultAllow', MetricUnit.Count, document.effectiveDefault === 'allow' ? 1 : 0);
    logger.info('intentions audited', { cluster: wiring.cluster, effectiveDefault: document.effectiveDefault, counts: document.counts, resultHash: document.resultHash, documentUrl });
  },
  output: ({ document, documentUrl }) => ({
    cluster: document.cluster,
    effectiveDefault: document.effectiveDefault,
    findings: document.findings.length,
    counts: document.counts,
    resultHash: document.resultHash,
    ...(documentUrl ? { documentUrl } : {}),
  }),
};

function init({ env }: JobInit) {
  env.required(E.consulTokenSecretArn);
  env.required(E.consulAddresses);
  return {
    cluster: env.required(E.clusterName),
    baseline: readBaselineFile(env.optional(E.baselineFile), env.optional(E.baselineSha256)),
    store: new S3IntentionAuditStore({ client: createS3Client(), bucket: env.required(E.bucketName) }),
  };
}

/** The scheduled entry point. */
export const handler = createJobHandler(auditIntentionsJob);
