import { runJob, type JobOutcome } from '../report/job';
import { RotationSweepFailedError } from './errors';
import { rotateNow, type ManualRotationOptions, type ManualRotationResult } from './manual-rotation';
import { readPendingValue } from './pending-value';
import type { RotationDeps, RotationSettings } from './ports';
import { buildRotationReport, buildSweepReport, type UnfinishedRotation } from './rotation-report';
import { findUnfinishedRotation, runRotationStep, type RotationStep, type StepResult } from './steps';
import { sweepSecrets, type SweepReport } from './sweep';

/** The cluster a rotation job reports under. */
type ClusterSettings = RotationSettings & { readonly cluster: string };

/**
 * One rotation step as Secrets Manager runs it (the rotate-token Lambda). Reports when the rotation completes or a
 * step fails; intermediate steps report nothing. A failure report names the exact command that clears the rotation
 * it left unfinished.
 */
export async function runRotationStepJob(deps: RotationDeps, step: RotationStep, secretId: string, versionId: string, settings: ClusterSettings): Promise<JobOutcome<StepResult>> {
  let unfinished: UnfinishedRotation | undefined;
  return runJob(
    async () => {
      try {
        return await runRotationStep(deps, step, secretId, versionId, settings);
      } catch (err) {
        unfinished = await findUnfinished(deps, secretId);
        throw err;
      }
    },
    (run) => buildRotationReport({ cluster: settings.cluster, secret: secretId, step, ...run, unfinished, finishedAt: deps.now() }),
  );
}

/**
 * A whole rotation run by an operator (`consul-ops rotate-token`), reported like the Lambda's: once, completed or
 * failed. The report's cluster is `settings.cluster`, else the secret's own `cluster` field; a run that failed before
 * either was known has no report (the CLI still prints the error).
 */
export function runManualRotationJob(deps: RotationDeps, secretId: string, settings: RotationSettings, opts: ManualRotationOptions = {}): Promise<JobOutcome<ManualRotationResult>> {
  return runJob(
    () => rotateNow(deps, secretId, settings, opts),
    (run) => {
      const cluster = settings.cluster ?? run.result?.cluster;
      return cluster === undefined ? undefined : buildRotationReport({ cluster, secret: run.result?.secret ?? secretId, step: 'rotate-token', ...run, finishedAt: deps.now() });
    },
  );
}

/**
 * The hourly sweep: deletes retired tokens whose grace period is over, for every secret the function rotates.
 * Fails (after reporting) when any secret's sweep failed, so the function's Errors alarm fires.
 */
export async function runSweepJob(deps: RotationDeps, secretIds: readonly string[], settings: ClusterSettings): Promise<JobOutcome<SweepReport>> {
  let sweep: SweepReport;
  try {
    sweep = await sweepSecrets(deps, secretIds, settings);
  } catch (error) {
    return { ok: false, error, report: buildSweepReport(settings.cluster, undefined, error, deps.now()) };
  }
  if (sweep.failures.length > 0) {
    const error = new RotationSweepFailedError(sweep.failures.map((f) => f.secret), secretIds.length);
    return { ok: false, error, report: buildSweepReport(settings.cluster, sweep, error, deps.now()) };
  }
  return { ok: true, result: sweep, report: buildSweepReport(settings.cluster, sweep, undefined, deps.now()) };
}

/** The rotation a failed step left unfinished, if any (best effort: a failure to look is no reason to hide the step's error). */
async function findUnfinished(deps: RotationDeps, secretId: string): Promise<UnfinishedRotation | undefined> {
  try {
    const d = await deps.secrets.describe(secretId);
    const versionId = findUnfinishedRotation(d);
    if (versionId === undefined) return undefined;
    const pending = await readPendingValue(deps, d, versionId).catch(() => undefined);
    return { secret: d.arn, versionId, ...(pending ? { pendingAccessorId: pending.accessorId } : {}) };
  } catch {
    return undefined;
  }
}
