import { createReport, type Finding, type Report } from '../report/report';
import { secretNameOf } from '../shared/secret-name';
import { summarizeError } from '../shared/errors';
import { unfinishedRotationRemedy } from './errors';
import type { ManualRotationResult } from './manual-rotation';
import type { StepResult } from './steps';
import type { SweepReport } from './sweep';

/** Stable finding ids of the rotation reports. */
export const ROTATION_FINDING_IDS = {
  failed: 'rotation-failed',
  sweepFailed: 'sweep-failed',
} as const;

/** The scope of the hourly sweep's report (each secret's rotations report under the secret's name). */
export const SWEEP_SCOPE = 'sweep';

/** A rotation a failed step left unfinished (AWSPENDING on a version that is not AWSCURRENT). */
export interface UnfinishedRotation {
  readonly secret: string;
  readonly versionId: string;
  /** The token its setSecret may have created. @default - unknown */
  readonly pendingAccessorId?: string;
}

/** One rotation (or one of its steps) as a front door saw it. */
export interface RotationRunOutcome {
  readonly cluster: string;
  /** The secret's ARN or name. */
  readonly secret: string;
  /** A finished rotation: the last step's result, or the CLI's whole rotation. */
  readonly result?: StepResult | ManualRotationResult;
  /** What a step threw. */
  readonly error?: unknown;
  /** The step that ran (Lambda) or `rotate-token` (CLI). */
  readonly step: string;
  /** The rotation a failed step left unfinished. @default - none */
  readonly unfinished?: UnfinishedRotation;
  readonly finishedAt: Date;
}

/**
 * The report of a rotation, scoped to its secret (each secret keeps its own dedupe state): `info` when a rotation
 * completed (new and previous AccessorIDs, never a secret), `high` when a step failed (the error's remedy says how to
 * clear an unfinished rotation). `undefined` for an intermediate step that succeeded: a rotation reports once.
 *
 * @example
 * const report = buildRotationReport({ cluster: 'prod-east', secret: arn, step: 'finishSecret', result, finishedAt: now });
 */
export function buildRotationReport(run: RotationRunOutcome): Report | undefined {
  const name = secretNameOf(run.secret);
  const base = { feature: 'rotation' as const, cluster: run.cluster, scope: name, occurredAt: run.finishedAt.toISOString() };
  if (run.error !== undefined) {
    const e = summarizeError(run.error);
    const finding: Finding = {
      id: ROTATION_FINDING_IDS.failed,
      check: 'rotation',
      severity: 'high',
      subject: `secret ${name}`,
      message: `${run.step} failed: ${e.code}: ${e.message}`,
      // The CLI's RotationUnfinishedError already carries the commands in its remedy.
      remedy: `${e.remedy}${run.unfinished && e.code !== 'ROTATION_UNFINISHED' ? ` ${unfinishedRotationRemedy(run.unfinished.secret, run.unfinished.versionId, run.unfinished.pendingAccessorId)}` : ''}`,
    };
    return createReport({ ...base, title: `token rotation of ${name} failed`, summary: [`Step ${run.step} of the rotation of ${name} failed; AWSCURRENT is unchanged.`], findings: [finding], outcome: 'failed', publicIds: accessorIds(run.error, run.unfinished) });
  }
  const completed = completion(run.result);
  if (completed === undefined) return undefined;
  const revoked = completed.revoked?.deleted ?? [];
  return createReport({
    ...base,
    title: `token ${name} rotated${revoked.length ? ' and retired tokens revoked' : ''}`,
    summary: [
      `New token ${completed.accessorId} is AWSCURRENT (version ${completed.versionId}).`,
      ...(completed.previousAccessorId && completed.revoked === undefined
        ? [`Previous token ${completed.previousAccessorId} stays valid through its grace period, then is deleted.`]
        : []),
      ...(revoked.length ? [`Revoked now (deleted after the new token proved to work): ${revoked.join(', ')}.`] : []),
      ...(completed.cleanedUp.length ? [`Retired tokens deleted after their grace period: ${completed.cleanedUp.join(', ')}.`] : []),
    ],
    findings: [],
    publicIds: [completed.accessorId, ...(completed.previousAccessorId ? [completed.previousAccessorId] : []), ...revoked, ...completed.cleanedUp],
  });
}

/**
 * The report of the hourly sweep of retired tokens: one `high` finding per secret whose sweep failed, `info`
 * otherwise (with the tokens deleted).
 */
export function buildSweepReport(cluster: string, sweep: SweepReport | undefined, error: unknown, finishedAt: Date): Report {
  const failures = sweep?.failures ?? [];
  const deleted = (sweep?.results ?? []).flatMap((r) => r.deleted);
  const findings: Finding[] = failures.map((f) => ({
    id: `${ROTATION_FINDING_IDS.sweepFailed}:${secretNameOf(f.secret)}`,
    check: 'rotation-sweep',
    severity: 'high',
    subject: `secret ${secretNameOf(f.secret)}`,
    message: `retired tokens could not be checked or deleted: ${f.error.code}: ${f.error.message}`,
    remedy: f.error.remedy,
  }));
  if (sweep === undefined && error !== undefined) {
    const e = summarizeError(error);
    findings.push({ id: ROTATION_FINDING_IDS.sweepFailed, check: 'rotation-sweep', severity: 'high', subject: `cluster ${cluster}`, message: `${e.code}: ${e.message}`, remedy: e.remedy });
  }
  return createReport({
    feature: 'rotation',
    cluster,
    scope: SWEEP_SCOPE,
    title: findings.length > 0 ? 'retired token sweep failed' : 'retired tokens swept',
    summary: [`Swept ${sweep?.results.length ?? 0} secret(s): ${deleted.length} retired token(s) deleted${deleted.length ? ` (${deleted.join(', ')})` : ''}.`],
    findings,
    occurredAt: finishedAt.toISOString(),
    outcome: error === undefined ? 'succeeded' : 'failed',
    publicIds: deleted,
  });
}

interface Completion {
  readonly accessorId: string;
  readonly versionId: string;
  readonly previousAccessorId?: string;
  readonly revoked?: ManualRotationResult['revoked'];
  readonly cleanedUp: readonly string[];
}

function completion(result: StepResult | ManualRotationResult | undefined): Completion | undefined {
  if (result === undefined) return undefined;
  if ('steps' in result) {
    const cleanedUp = result.steps[0]?.retiredCleanup?.deleted ?? [];
    return { accessorId: result.accessorId, versionId: result.versionId, previousAccessorId: result.previousAccessorId, revoked: result.revoked, cleanedUp };
  }
  if (result.step !== 'finishSecret' || result.outcome !== 'finished' || result.accessorId === undefined) return undefined;
  return { accessorId: result.accessorId, versionId: result.versionId, previousAccessorId: result.previousAccessorId, cleanedUp: [] };
}

/** AccessorIDs and version IDs named in an error's context are printed on purpose (never SecretIDs: errors carry none). */
function accessorIds(error: unknown, unfinished?: UnfinishedRotation): string[] {
  const context = summarizeError(error).context;
  const ids = Object.values(context).flatMap((v) => (Array.isArray(v) ? v : [v]));
  const fromUnfinished = unfinished ? [unfinished.versionId, ...(unfinished.pendingAccessorId ? [unfinished.pendingAccessorId] : [])] : [];
  return [...ids, ...fromUnfinished].filter((v): v is string => typeof v === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v));
}
