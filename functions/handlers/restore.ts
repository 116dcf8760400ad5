import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { createS3Client, createSecretsManagerClient, createSnsClient } from '../adapters/aws-clients';
import { ConsulSnapshotSource } from '../adapters/consul/snapshot-source';
import { S3BackupStore } from '../adapters/s3-backup-store';
import { SnsRestoreReporter } from '../adapters/sns-restore-report';
import { InvalidInputError, summarizeError } from '../core/shared/errors';
import { runRestore, type RestoreInput, type RestoreResult, type RestoreSelector } from '../core/restore/workflow';
import { consulWiring } from './consul-wiring';
import { LambdaEnv, RESTORE_FUNCTION_ENV as E } from './lambda-env';

/**
 * The restore function's event (`aws lambda invoke` or `consul-ops restore --invoke`). Exactly one of `latest`,
 * `key` (with optional `versionId`) and `before` (ISO 8601). Nothing is sent unless `dryRun` is `false` and `confirm`
 * is the cluster name.
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
}

type ParsedEvent = Omit<RestoreInput, 'prefix' | 'invokedBy' | 'largeRestoreBytes'> & { readonly requestedBy?: string };

const BOOLEAN_FIELDS = ['latest', 'dryRun', 'allowCrossCluster', 'forceVersionMismatch', 'skipSafetySnapshot'] as const;
const STRING_FIELDS = ['cluster', 'key', 'versionId', 'before', 'confirm', 'requestedBy'] as const;
const KNOWN_FIELDS = new Set<string>([...BOOLEAN_FIELDS, ...STRING_FIELDS]);
const EXAMPLE = '{"cluster":"prod-east","latest":true,"dryRun":false,"confirm":"prod-east"}';

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
  return {
    cluster: functionCluster,
    selector: selectorOf(s),
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

/** Time kept back from the Lambda deadline to cut the upload off (Consul then refuses it) and report. */
const DEADLINE_MARGIN_MS = 30_000;

const logger = new Logger({ serviceName: 'consul-ops-restore' });
let wiring: ReturnType<typeof init> | undefined;

function init() {
  const env = new LambdaEnv(process.env);
  const topicArn = env.optional(E.reportTopicArn);
  env.required(E.consulAddresses);
  env.required(E.consulTokenSecretArn);
  return {
    cluster: env.required(E.clusterName),
    prefix: env.optional(E.snapshotPrefix) ?? 'snapshots',
    consul: consulWiring(process.env, createSecretsManagerClient()),
    store: new S3BackupStore({ client: createS3Client(), bucket: env.required(E.bucketName) }),
    reporter: topicArn ? new SnsRestoreReporter(createSnsClient(), topicArn) : undefined,
  };
}

type HandlerContext = Pick<Context, 'getRemainingTimeInMillis' | 'awsRequestId'> & Partial<Pick<Context, 'identity' | 'clientContext'>>;

/**
 * Manual restore entry point. Not scheduled; invocation is limited to the configured principals. Returns the result
 * (a plan for dry runs); throws on refusal or failure, with the remedy in the message. Always publishes a report.
 */
export async function handler(event: unknown, context: HandlerContext): Promise<RestoreResult> {
  wiring ??= init();
  const { cluster, prefix, store, reporter } = wiring;
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new Error('the Lambda is about to time out')), Math.max(context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS, 1_000));
  let request = 'invalid event';
  let invokedBy = invoker(event, context);
  let consul: Awaited<ReturnType<typeof wiring.consul.connect>> | undefined;
  let result: RestoreResult | undefined;
  let failure: unknown;
  try {
    const parsed = parseRestoreEvent(event, cluster);
    request = describeRequest(parsed);
    invokedBy = invoker(parsed, context);
    logger.info('restore requested', { cluster, request, invokedBy });
    consul = await wiring.consul.connect();
    result = await runRestore(
      { consul: new ConsulSnapshotSource(consul.api, { signal: deadline.signal }), store, now: () => new Date(), signal: deadline.signal },
      { ...parsed, prefix, invokedBy },
    );
    logger.info(result.restored ? 'restore completed' : 'restore planned', {
      cluster,
      key: result.backup.key,
      versionId: result.backup.versionId,
      restored: result.restored,
      notApplied: result.notApplied,
      safetySnapshotKey: result.safetySnapshot?.key,
      durations: result.durations,
      checks: result.checks,
    });
    return result;
  } catch (err) {
    failure = err;
    logger.error('restore failed', { cluster, request, error: summarizeError(err) });
    throw lambdaError(err);
  } finally {
    clearTimeout(timer);
    await consul?.close();
    await publishReport(reporter, { cluster, request, invokedBy, result, error: failure === undefined ? undefined : summarizeError(failure) });
  }
}

async function publishReport(reporter: SnsRestoreReporter | undefined, outcome: Parameters<SnsRestoreReporter['publish']>[0]): Promise<void> {
  if (!reporter) return;
  try {
    await reporter.publish(outcome);
  } catch (err) {
    // The restore outcome matters more than its report: log and carry on.
    logger.error('restore report not published', { error: summarizeError(err) });
  }
}

/** Lambda reports `errorType` (the name) and `errorMessage`: carry the stable code and the remedy there. */
function lambdaError(err: unknown): Error {
  const summary = summarizeError(err);
  const error = new Error(`${summary.message} — ${summary.remedy}`);
  error.name = summary.code;
  return error;
}

/** The caller as far as Lambda tells: Cognito identity, client context, else what the event declares. */
function invoker(event: unknown, context: HandlerContext): string {
  const cognito = context.identity?.cognitoIdentityId;
  const custom = context.clientContext?.custom as Record<string, unknown> | undefined;
  const declared = typeof custom?.requestedBy === 'string' ? custom.requestedBy : (event as { requestedBy?: unknown } | null)?.requestedBy;
  const who = cognito ? `cognito:${cognito}` : typeof declared === 'string' && declared ? declared : 'unknown (the IAM caller is in CloudTrail)';
  return `${who}; request ${context.awsRequestId}`;
}

function describeRequest(e: ParsedEvent): string {
  const s = e.selector;
  const which = 'latest' in s ? 'latest' : 'key' in s ? `key ${s.key}${s.versionId ? ` version ${s.versionId}` : ''}` : `newest at or before ${s.before.toISOString()}`;
  const flags = [e.allowCrossCluster && 'allowCrossCluster', e.forceVersionMismatch && 'forceVersionMismatch', e.skipSafetySnapshot && 'skipSafetySnapshot'].filter(Boolean);
  return `${which}, dryRun ${e.dryRun !== false}, confirm ${e.confirm === e.cluster ? 'given' : 'missing'}${flags.length ? `, ${flags.join(', ')}` : ''}`;
}
