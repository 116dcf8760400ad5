import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretsManagerRotationEvent } from 'aws-lambda';
import { createSecretsManagerClient } from '../adapters/aws-clients';
import { ConsulTokenAdmin } from '../adapters/consul-token-admin';
import { SecretsManagerRotationStore } from '../adapters/secrets-manager-rotation';
import { ConsulOpsError, InvalidInputError, summarizeError } from '../core/errors';
import type { RotationSettings } from '../core/rotation-ports';
import { ROTATION_STEPS, runRotationStep, type RotationStep, type StepResult } from '../core/rotation-steps';
import { sweepPreviousTokens, type SweepReport } from '../core/rotation-sweep';
import { DEFAULT_ROTATION } from '../core/shared/defaults';
import { consulWiring } from './consul-wiring';
import { LambdaEnv, ROTATION_FUNCTION_ENV as E } from './lambda-env';
import { secretNameOf } from '../core/secret-name';

/** What Secrets Manager sends, once per step; `RotationToken` is set for assumed-role or cross-account rotation. */
export interface RotateTokenEvent extends SecretsManagerRotationEvent {
  readonly RotationToken?: string;
}

/** What the hourly schedule sends: delete rotated-out tokens whose grace period is over. */
export interface SweepEvent {
  readonly action: 'sweep';
}

/** The default grace period when `ROTATION_GRACE_PERIOD_HOURS` is unset (declared in core/shared/defaults.ts). */
export const DEFAULT_GRACE_PERIOD_HOURS = DEFAULT_ROTATION.gracePeriodHours;

/** The Powertools service name: also the `service` dimension of every metric this function emits. */
export const ROTATE_TOKEN_SERVICE = 'consul-ops-rotate-token';

/**
 * finishSecret outcomes that complete a rotation in this invocation: `already-current` is a repeated delivery of a
 * rotation already counted, so it emits nothing.
 */
const ROTATION_COMPLETED: ReadonlySet<StepResult['outcome']> = new Set(['finished', 'pending-label-removed']);

export { secretNameOf };

type ParsedEvent = { readonly kind: 'sweep' } | { readonly kind: 'step'; readonly step: RotationStep; readonly secretId: string; readonly versionId: string; readonly rotationToken?: string };

const EXAMPLE = '{"Step":"createSecret","SecretId":"arn:aws:secretsmanager:…","ClientRequestToken":"<uuid>"} or {"action":"sweep"}';

/** Validates the event by hand (no schema library in this bundle). */
export function parseRotateTokenEvent(event: unknown): ParsedEvent {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) throw new InvalidInputError('event', 'expected a JSON object', EXAMPLE);
  const e = event as Record<string, unknown>;
  if (e.action === 'sweep') return { kind: 'sweep' };
  if (!(ROTATION_STEPS as readonly unknown[]).includes(e.Step)) throw new InvalidInputError('event.Step', `expected one of ${ROTATION_STEPS.join(', ')}`, EXAMPLE);
  for (const f of ['SecretId', 'ClientRequestToken'] as const) {
    if (typeof e[f] !== 'string' || e[f] === '') throw new InvalidInputError(`event.${f}`, 'expected a non-empty string', EXAMPLE);
  }
  if (e.RotationToken !== undefined && typeof e.RotationToken !== 'string') throw new InvalidInputError('event.RotationToken', 'expected a string', EXAMPLE);
  return {
    kind: 'step',
    step: e.Step as RotationStep,
    secretId: e.SecretId as string,
    versionId: e.ClientRequestToken as string,
    ...(e.RotationToken ? { rotationToken: e.RotationToken as string } : {}),
  };
}

/** What the handler can be given instead of the real world (tests). */
export interface RotateTokenHandlerOptions {
  /** @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** @default - createSecretsManagerClient() */
  readonly secretsClient?: SecretsManagerClient;
  /** @default - a Powertools Logger for consul-ops-rotate-token */
  readonly logger?: Logger;
  /** @default - Powertools Metrics, namespace `ConsulOps`, service consul-ops-rotate-token */
  readonly metrics?: Metrics;
}

/**
 * Builds the rotate-token entry point. Secrets Manager invokes it once per step with `{Step, SecretId,
 * ClientRequestToken}`; the hourly schedule with `{"action":"sweep"}`. A failed step throws, so Secrets Manager
 * reports the rotation as failed and retries it; the current token stays AWSCURRENT throughout.
 *
 * Each step emits, with dimensions `Cluster` and `Secret` (the secret's name): `RotationSuccess` and
 * `LastRotationTimestamp` (epoch seconds) when finishSecret completes a rotation, `RotationFailure` when a step fails.
 * The sweep emits none.
 *
 * Invariant: only ARNs, version IDs, AccessorIDs and error summaries are logged, never a secret value.
 *
 * @example
 * export const handler = createRotateTokenHandler();
 */
export function createRotateTokenHandler(opts: RotateTokenHandlerOptions = {}): (event: unknown) => Promise<StepResult | SweepReport> {
  const logger = opts.logger ?? new Logger({ serviceName: ROTATE_TOKEN_SERVICE });
  const metrics = opts.metrics ?? new Metrics({ namespace: 'ConsulOps', serviceName: ROTATE_TOKEN_SERVICE });
  let wiring: ReturnType<typeof init> | undefined;
  function init() {
    const raw = opts.env ?? process.env;
    const env = new LambdaEnv(raw);
    const cluster = env.required(E.clusterName);
    const settings: RotationSettings = {
      cluster,
      gracePeriodMs: (env.positiveInteger(E.gracePeriodHours) ?? DEFAULT_GRACE_PERIOD_HOURS) * 3_600_000,
      managementSecretArn: env.required(E.consulTokenSecretArn),
    };
    env.required(E.consulAddresses);
    const client = opts.secretsClient ?? createSecretsManagerClient();
    const sweepSecrets = (env.optional(E.rotatedSecretArns) ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
    return { cluster, settings, client, sweepSecrets, consul: consulWiring(raw, client) };
  }

  return async (event: unknown) => {
    wiring ??= init();
    const w = wiring;
    const parsed = parseRotateTokenEvent(event);
    const now = opts.now ?? (() => new Date());
    let connection: Awaited<ReturnType<typeof w.consul.connect>> | undefined;
    try {
      connection = await w.consul.connect();
      const api = connection.api;
      const deps = (rotationToken?: string) => ({
        secrets: new SecretsManagerRotationStore({ client: w.client, rotationToken }),
        consul: new ConsulTokenAdmin(api),
        now,
        newUuid: randomUUID,
      });
      if (parsed.kind === 'sweep') return await sweep(deps(), w.sweepSecrets, w.settings, logger);
      const result = await rotationStep(deps(parsed.rotationToken), parsed, w.settings, logger);
      if (result.step === 'finishSecret' && ROTATION_COMPLETED.has(result.outcome)) {
        recordRotation(metrics, w.cluster, parsed.secretId);
        metrics.addMetric('RotationSuccess', MetricUnit.Count, 1);
        metrics.addMetric('LastRotationTimestamp', MetricUnit.Seconds, Math.floor(now().getTime() / 1000));
      }
      return result;
    } catch (err) {
      // A step that could not even reach Consul failed too.
      if (parsed.kind === 'step') {
        recordRotation(metrics, w.cluster, parsed.secretId);
        metrics.addMetric('RotationFailure', MetricUnit.Count, 1);
      }
      throw err;
    } finally {
      // Only a completed rotation or a failed step stores metrics; publishing none would log a Powertools warning.
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
      await connection?.close();
    }
  };
}

/** Sets the dimensions of this invocation's rotation metrics (cleared again by publishStoredMetrics). */
function recordRotation(metrics: Metrics, cluster: string, secretId: string): void {
  metrics.addDimension('Cluster', cluster);
  metrics.addDimension('Secret', secretNameOf(secretId));
}

async function rotationStep(deps: Parameters<typeof runRotationStep>[0], event: Extract<ParsedEvent, { kind: 'step' }>, settings: RotationSettings, logger: Logger): Promise<StepResult> {
  const { step, secretId, versionId } = event;
  try {
    const result = await runRotationStep(deps, step, secretId, versionId, settings);
    const { previousTokenCleanup, ...facts } = result;
    logger.info('rotation step done', { ...facts, ...(previousTokenCleanup ? { previousTokenCleanup: { ...previousTokenCleanup } } : {}) });
    return result;
  } catch (err) {
    logger.error('rotation step failed', { step, secret: secretId, versionId, error: summarizeError(err) });
    throw err;
  }
}

async function sweep(deps: Parameters<typeof sweepPreviousTokens>[0], secrets: readonly string[], settings: RotationSettings, logger: Logger): Promise<SweepReport> {
  const report = await sweepPreviousTokens(deps, secrets, settings);
  for (const r of report.results) logger.info('previous token sweep', { ...r, until: r.until?.toISOString() });
  for (const f of report.failures) logger.error('previous token sweep failed', { secret: f.secret, error: f.error });
  if (report.failures.length > 0) {
    // Failing the invocation raises the function's Errors alarm.
    throw new ConsulOpsError('ROTATION_SWEEP_FAILED', `The previous-token sweep failed for ${report.failures.length} of ${secrets.length} secret(s): ${report.failures.map((f) => f.secret).join(', ')}`,
      'Read "previous token sweep failed" in the function log: each entry has the error and its remedy.', { context: { failures: report.failures.map((f) => f.secret) } });
  }
  return report;
}

/** The Lambda entry point. */
export const handler = createRotateTokenHandler();
