import { createS3Client } from '../adapters/aws-clients';
import { ConsulSnapshotSource } from '../adapters/consul/snapshot-source';
import { ConsulTokenAdmin } from '../adapters/consul/token-admin';
import { S3BackupStore } from '../adapters/s3-backup-store';
import { verifyingPassFactoryFromEnv } from '../adapters/verify-thread';
import { ConsulKvTarget } from '../adapters/consul/kv-target';
import { SecretsManagerRotationStore } from '../adapters/secrets-manager-rotation';
import { TokenSecretReconciler } from '../core/rotation/restore-reconciliation';
import { DEFAULT_ROTATION } from '../core/shared/defaults';
import { runRestoreJob } from '../core/restore/job';
import { runRestoreKvJob } from '../core/restore/kv-job';
import { buildRestoreKvReport, describeRestoreKvRequest } from '../core/restore/kv-report';
import type { RestoreKvResult } from '../core/restore/kv-workflow';
import { buildRestoreReport, describeRestoreRequest } from '../core/restore/restore-report';
import type { RestoreInput, RestoreResult, RestoreSelector } from '../core/restore/workflow';
import { InvalidInputError, summarizeError } from '../core/shared/errors';
import { createJobHandler, type JobInit, type JobSpec, type LambdaContext } from './job';
import { RESTORE_FUNCTION_ENV as E } from './lambda-env';

/**
 * The restore function's event (`aws lambda invoke` or `consul-ops restore --invoke`). Exactly one of `latest`,
 * `key` (with optional `versionId`) and `before` (ISO 8601). Nothing is sent unless `dryRun` is `false` and `confirm`
 * is the cluster name. With `kvPrefix` it is a `restore-kv` instead: only the KV keys under that prefix are restored
 * (planned; written with `dryRun: false` and `confirm`), `deleteExtra` also deletes keys the backup lacks.
 */
export interface RestoreEvent {
  readonly cluster: string;
  readonly key?: string;
  readonly versionId?: string;
  readonly latest?: boolean;
  readonly before?: string;
  /** @default true */
  readonly dryRun?: boolean;
  readonly confirm?: string;
  readonly allowCrossCluster?: boolean;
  readonly forceVersionMismatch?: boolean;
  readonly skipSafetySnapshot?: boolean;
  /** Who asks, as the caller declares it (the IAM caller itself is only in CloudTrail). */
  readonly requestedBy?: string;
  /** Restore only the KV keys under this prefix (`restore-kv`), e.g. `config/payments/`. */
  readonly kvPrefix?: string;
  /** With `kvPrefix`: delete keys under it that the backup does not have. @default false */
  readonly deleteExtra?: boolean;
}

type ParsedEvent = Omit<RestoreInput, 'prefix' | 'invokedBy' | 'largeRestoreBytes'> & { readonly requestedBy?: string; readonly kvPrefix?: string; readonly deleteExtra?: boolean };

const BOOLEAN_FIELDS = ['latest', 'dryRun', 'allowCrossCluster', 'forceVersionMismatch', 'skipSafetySnapshot', 'deleteExtra'] as const;
const STRING_FIELDS = ['cluster', 'key', 'versionId', 'before', 'confirm', 'requestedBy', 'kvPrefix'] as const;
/** Fields of a full restore that mean nothing to `restore-kv` (refused with `kvPrefix`, so nobody relies on them). */
const FULL_RESTORE_ONLY = ['forceVersionMismatch', 'skipSafetySnapshot'] as const;
const KNOWN_FIELDS = new Set<string>([...BOOLEAN_FIELDS, ...STRING_FIELDS]);
const EXAMPLE = '{"cluster":"prod-east","latest":true,"dryRun":false,"confirm":"prod-east"}';
const KV_EXAMPLE = '{"cluster":"prod-east","latest":true,"kvPrefix":"config/payments/","dryRun":false,"confirm":"prod-east"}';

/**
 * Validates the event by hand (no schema library in this bundle). Unknown fields are refused, so a typo such as
 * `"dryrun"` cannot go unnoticed; the cluster must be the one this function serves.
 */
export function parseRestoreEvent(event: unknown, functionCluster: string): ParsedEvent {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) throw new InvalidInputError('event', 'expected a JSON object', EXAMPLE);
  const e = event as Record<string, unknown>;
  const unknown = Object.keys(e).filter((k) => !KNOWN_FIELDS.has(k));
  if (unknown.length > 0) throw new InvalidInputError(`event.${unknown[0]}`, `unknown field (known: ${[...KNOWN_FIELDS].join(', ')})`, EXAMPLE);
  for (const f of BOOLEAN_FIELDS) if (e[f] !== undefined && typeof e[f] !== 'boolean') throw new InvalidInputError(`event.${f}`, 'expected true or false', 'true');
  for (const f of STRING_FIELDS) if (e[f] !== undefined && (typeof e[f] !== 'string' || e[f] === '')) throw new InvalidInputError(`event.${f}`, 'expected a non-empty string', EXAMPLE);
  const s = e as Partial<Record<(typeof STRING_FIELDS)[number], string>> & Partial<Record<(typeof BOOLEAN_FIELDS)[number], boolean>>;
  if (s.cluster !== functionCluster) {
    throw new InvalidInputError('event.cluster', `this function restores cluster "${functionCluster}" only, got ${s.cluster === undefined ? 'none' : `"${s.cluster}"`}`, `"${functionCluster}"`);
  }
  if (s.kvPrefix !== undefined) {
    const wrong = FULL_RESTORE_ONLY.find((f) => s[f] !== undefined);
    if (wrong) throw new InvalidInputError(`event.${wrong}`, 'applies to a full restore only, not with kvPrefix', KV_EXAMPLE);
  } else if (s.deleteExtra !== undefined) throw new InvalidInputError('event.deleteExtra', 'needs kvPrefix (it applies to restore-kv only)', KV_EXAMPLE);
  return {
    cluster: functionCluster,
    selector: selectorOf(s),
    ...(s.kvPrefix !== undefined ? { kvPrefix: s.kvPrefix, deleteExtra: s.deleteExtra ?? false } : {}),
    dryRun: s.dryRun ?? true,
    confirm: s.confirm,
    allowCrossCluster: s.allowCrossCluster ?? false,
    forceVersionMismatch: s.forceVersionMismatch ?? false,
    skipSafetySnapshot: s.skipSafetySnapshot ?? false,
    ...(s.requestedBy ? { requestedBy: s.requestedBy } : {}),
  };
}

function selectorOf(e: { latest?: boolean; key?: string; versionId?: string; before?: string }): RestoreSelector {
  const given = [e.latest === true && 'latest', e.key !== undefined && 'key', e.before !== undefined && 'before'].filter(Boolean);
  if (given.length !== 1) throw new InvalidInputError('event', `give exactly one of latest, key, before (got ${given.length ? given.join(', ') : 'none'})`, EXAMPLE);
  if (e.versionId !== undefined && e.key === undefined) throw new InvalidInputError('event.versionId', 'needs key', '{"key":"snapshots/…/x.snap","versionId":"…"}');
  if (e.key !== undefined) return e.versionId !== undefined ? { key: e.key, versionId: e.versionId } : { key: e.key };
  if (e.before !== undefined) {
    const before = new Date(e.before);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(e.before) || Number.isNaN(before.getTime())) throw new InvalidInputError('event.before', `"${e.before}" is not an ISO 8601 time`, '"2026-11-21T23:00:00Z"');
    return { before };
  }
  return { latest: true };
}

/**
 * The restore job (manual: not scheduled; invocation is limited to the configured principals). Returns the result
 * (a plan for dry runs); throws on refusal or failure, with the code as `errorType` and the remedy in the message.
 * Every run is reported (`alwaysNotify`), dry runs and refusals included.
 */
export const restoreJob: JobSpec<ReturnType<typeof init>, RestoreResult | RestoreKvResult> = {
  name: 'restore',
  init,
  failureMetric: 'RestoreFailure',
  // Time kept back to cut the upload off (Consul then refuses it) and report.
  deadlineMarginMs: 30_000,
  async run(event, run) {
    const { wiring, context, logger } = run;
    let parsed: ParsedEvent;
    try {
      parsed = parseRestoreEvent(event, wiring.cluster);
    } catch (error) {
      // An invalid event is a refusal like any other: reported, and thrown with its remedy.
      const kv = typeof (event as { kvPrefix?: unknown } | null)?.kvPrefix === 'string';
      const refusal = { cluster: wiring.cluster, request: 'invalid event', invokedBy: invoker(event, context), error, finishedAt: run.now() };
      return { ok: false, error, report: kv ? buildRestoreKvReport(refusal) : buildRestoreReport(refusal) };
    }
    const invokedBy = invoker(parsed, context);
    if (parsed.kvPrefix !== undefined) {
      const input = { ...parsed, kvPrefix: parsed.kvPrefix, prefix: wiring.prefix, invokedBy };
      logger.info('restore-kv requested', { cluster: wiring.cluster, request: describeRestoreKvRequest(input), invokedBy });
      return runRestoreKvJob({ consul: new ConsulKvTarget(await run.consul()), store: wiring.store, now: run.now, signal: run.signal }, input);
    }
    logger.info('restore requested', { cluster: wiring.cluster, request: describeRestoreRequest(parsed), invokedBy });
    const api = await run.consul();
    const consul = new ConsulSnapshotSource(api, { signal: run.signal });
    // The management token first (never locked out), then the application tokens of the deploy config.
    const tokens = new TokenSecretReconciler({ secrets: new SecretsManagerRotationStore({ client: wiring.secrets }), consul: new ConsulTokenAdmin(api), now: run.now }, wiring.tokenSecrets);
    return runRestoreJob({ consul, store: wiring.store, now: run.now, signal: run.signal, tokens, createVerifyingPass: wiring.verifyingPass }, { ...parsed, prefix: wiring.prefix, invokedBy });
  },
  recordMetrics(outcome, { logger, wiring }) {
    if (!outcome.ok) return;
    if ('kvPrefix' in outcome.result) {
      // Counts and keys only: a KV value never reaches a log.
      const r = outcome.result;
      logger.info(r.applied ? 'restore-kv applied' : 'restore-kv planned', { cluster: wiring.cluster, key: r.backup.key, versionId: r.backup.versionId, kvPrefix: r.kvPrefix, counts: r.counts, outcome: r.outcome && { ...r.outcome, conflicts: r.outcome.conflicts.map((c) => c.key) }, notApplied: r.notApplied });
      return;
    }
    const result = outcome.result;
    logger.info(result.restored ? 'restore completed' : 'restore planned', {
      cluster: wiring.cluster,
      key: result.backup.key,
      versionId: result.backup.versionId,
      restored: result.restored,
      notApplied: result.notApplied,
      safetySnapshotKey: result.safetySnapshot?.key,
      durations: result.durations,
      checks: result.checks,
      tokens: result.tokenReconciliation ?? result.tokens,
    });
  },
  lambdaError,
};

function init({ env, secrets }: JobInit) {
  env.required(E.consulAddresses);
  const managementSecretId = env.required(E.consulTokenSecretArn);
  const secretIds = (env.optional(E.tokenSecretArns) ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  return {
    cluster: env.required(E.clusterName),
    prefix: env.optional(E.snapshotPrefix) ?? 'snapshots',
    store: new S3BackupStore({ client: createS3Client(), bucket: env.required(E.bucketName) }),
    // A worker thread from 3538 MB (two vCPUs' worth), inline below: see functions/adapters/verify-thread.ts.
    verifyingPass: verifyingPassFactoryFromEnv(),
    secrets,
    tokenSecrets: { managementSecretId, secretIds, gracePeriodMs: (env.positiveInteger(E.gracePeriodHours) ?? DEFAULT_ROTATION.gracePeriodHours) * 3_600_000 },
  };
}

/** The entry point. */
export const handler = createJobHandler(restoreJob);

/** Lambda reports `errorType` (the name) and `errorMessage`: carry the stable code and the remedy there. */
function lambdaError(err: unknown): Error {
  const summary = summarizeError(err);
  const error = new Error(`${summary.message} — ${summary.remedy}`);
  error.name = summary.code;
  return error;
}

/** The caller as far as Lambda tells: Cognito identity, client context, else what the event declares. */
function invoker(event: unknown, context: LambdaContext | undefined): string {
  const cognito = context?.identity?.cognitoIdentityId;
  const custom = context?.clientContext?.custom as Record<string, unknown> | undefined;
  const declared = typeof custom?.requestedBy === 'string' ? custom.requestedBy : (event as { requestedBy?: unknown } | null)?.requestedBy;
  const who = cognito ? `cognito:${cognito}` : typeof declared === 'string' && declared ? declared : 'unknown (the IAM caller is in CloudTrail)';
  return `${who}; request ${context?.awsRequestId ?? 'local'}`;
}

