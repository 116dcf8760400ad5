import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SecretsManagerRotationEvent } from 'aws-lambda';
import { ConsulTokenAdmin } from '../adapters/consul/token-admin';
import { SecretsManagerRotationStore } from '../adapters/secrets-manager-rotation';
import { runRotationStepJob, runSweepJob } from '../core/rotation/job';
import type { RotationDeps } from '../core/rotation/ports';
import { ROTATION_STEPS, type RotationStep, type StepResult } from '../core/rotation/steps';
import type { SweepReport } from '../core/rotation/sweep';
import { InvalidInputError, summarizeError } from '../core/shared/errors';
import { secretNameOf } from '../core/shared/secret-name';
import { createJobHandler, jobService, type JobHandlerOptions, type JobInit, type JobSpec } from './job';
import { ROTATION_FUNCTION_ENV as E } from './lambda-env';
import { DEFAULT_ROTATION } from '../core/shared/defaults';

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
export const ROTATE_TOKEN_SERVICE = jobService('rotate-token');

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
export type RotateTokenHandlerOptions = JobHandlerOptions;

type RotationWiring = ReturnType<typeof init>;

/**
 * The rotate-token job. Secrets Manager invokes it once per step with `{Step, SecretId, ClientRequestToken}`; the
 * hourly schedule with `{"action":"sweep"}`. A failed step throws (after reporting), so Secrets Manager reports the
 * rotation as failed and retries it; the current token stays AWSCURRENT throughout.
 *
 * Each step emits, with dimensions `Cluster` and `Secret` (the secret's name): `RotationSuccess` and
 * `LastRotationTimestamp` (epoch seconds) when finishSecret completes a rotation, `RotationFailure` when a step fails.
 * The sweep emits none.
 *
 * Invariant: only ARNs, version IDs, AccessorIDs and error summaries are logged, never a secret value.
 */
export const rotateTokenJob: JobSpec<RotationWiring, StepResult | SweepReport> = {
  name: 'rotate-token',
  init,
  async run(event, run) {
    const parsed = parseRotateTokenEvent(event);
    const { wiring } = run;
    const deps = async (rotationToken?: string): Promise<RotationDeps> => ({
      secrets: new SecretsManagerRotationStore({ client: wiring.secrets, rotationToken }),
      consul: new ConsulTokenAdmin(await run.consul()),
      now: run.now,
      newUuid: randomUUID,
      sleep: (ms) => sleep(ms, undefined, { signal: run.signal }),
    });
    if (parsed.kind === 'sweep') {
      const outcome = await runSweepJob(await deps(), wiring.sweepSecrets, wiring.settings);
      const sweep = outcome.ok ? outcome.result : undefined;
      for (const r of sweep?.results ?? []) run.logger.info('retired token sweep', { ...r, waiting: r.waiting.map((w) => ({ accessorId: w.accessorId, until: w.until.toISOString() })) });
      for (const f of outcome.ok ? [] : (outcome.report?.findings ?? [])) run.logger.error('retired token sweep failed', { subject: f.subject, message: f.message, remedy: f.remedy });
      return outcome;
    }
    const outcome = await runRotationStepJob(await deps(parsed.rotationToken), parsed.step, parsed.secretId, parsed.versionId, wiring.settings);
    if (outcome.ok) {
      const { retiredCleanup, ...facts } = outcome.result;
      const waiting = retiredCleanup?.waiting.map((w) => ({ accessorId: w.accessorId, until: w.until.toISOString() }));
      run.logger.info('rotation step done', { ...facts, ...(retiredCleanup ? { retiredCleanup: { ...retiredCleanup, waiting } } : {}) });
    } else {
      // The report's remedy names the command that clears the rotation this failure left unfinished.
      const remedy = outcome.report?.findings[0]?.remedy;
      run.logger.error('rotation step failed', { step: parsed.step, secret: parsed.secretId, versionId: parsed.versionId, error: summarizeError(outcome.error), ...(remedy ? { remedy } : {}) });
    }
    return outcome;
  },
  recordMetrics(outcome, { metrics, wiring, now }, event) {
    const parsed = parseRotateTokenEvent(event);
    if (parsed.kind === 'sweep') return; // the sweep emits none
    const result = outcome.ok ? (outcome.result as StepResult) : undefined;
    // Only a completed rotation or a failed step counts; `already-current` is a repeated delivery, counted already.
    const completed = result !== undefined && result.step === 'finishSecret' && ROTATION_COMPLETED.has(result.outcome);
    if (!completed && outcome.ok) return;
    metrics.addDimension('Cluster', wiring.cluster);
    metrics.addDimension('Secret', secretNameOf(parsed.secretId));
    if (!outcome.ok) {
      metrics.addMetric('RotationFailure', MetricUnit.Count, 1);
      return;
    }
    metrics.addMetric('RotationSuccess', MetricUnit.Count, 1);
    metrics.addMetric('LastRotationTimestamp', MetricUnit.Seconds, Math.floor(now().getTime() / 1000));
  },
};

function init({ env, secrets }: JobInit) {
  const cluster = env.required(E.clusterName);
  env.required(E.consulAddresses);
  const settings = {
    cluster,
    gracePeriodMs: (env.positiveInteger(E.gracePeriodHours) ?? DEFAULT_GRACE_PERIOD_HOURS) * 3_600_000,
    managementSecretArn: env.required(E.consulTokenSecretArn),
  };
  const sweepSecrets = (env.optional(E.rotatedSecretArns) ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  return { cluster, settings, secrets, sweepSecrets };
}

/** Builds the rotate-token entry point (tests pass their own environment, clock, client, logger and metrics). */
export function createRotateTokenHandler(opts: RotateTokenHandlerOptions = {}): (event: unknown) => Promise<StepResult | SweepReport> {
  return createJobHandler(rotateTokenJob, opts);
}

/** The Lambda entry point. */
export const handler = createRotateTokenHandler();
