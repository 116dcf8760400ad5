import { runJob, type JobOutcome } from '../report/job';
import { withPermissionHelp } from '../shared/acl-policies';
import { RotationSweepFailedError } from './errors';
import type { RotationDeps, RotationSettings } from './ports';
import { buildRotationReport, buildSweepReport } from './rotation-report';
import { rotateNow, runRotationStep, type ManualRotationResult, type RotationStep, type StepResult } from './steps';
import { sweepPreviousTokens, type SweepReport } from './sweep';

/** The cluster a rotation job reports under. */
type ClusterSettings = RotationSettings & { readonly cluster: string };

/**
 * One rotation step as Secrets Manager runs it (the rotate-token Lambda). Reports when the rotation completes or a
 * step fails; intermediate steps report nothing.
 */
export function runRotationStepJob(deps: RotationDeps, step: RotationStep, secretId: string, versionId: string, settings: ClusterSettings): Promise<JobOutcome<StepResult>> {
  return runJob(
    () => withPermissionHelp('rotate-token', () => runRotationStep(deps, step, secretId, versionId, settings)),
    (run) => buildRotationReport({ cluster: settings.cluster, secret: secretId, step, ...run, finishedAt: deps.now() }),
  );
}

/**
 * A whole rotation run by an operator (`consul-ops rotate-token`), reported like the Lambda's: once, completed or
 * failed. The report's cluster is `settings.cluster`, else the secret's own `cluster` field; a run that failed before
 * either was known has no report (the CLI still prints the error).
 */
export function runManualRotationJob(deps: RotationDeps, secretId: string, settings: RotationSettings, opts: { readonly resume?: boolean } = {}): Promise<JobOutcome<ManualRotationResult>> {
  return runJob(
    () => withPermissionHelp('rotate-token', () => rotateNow(deps, secretId, settings, opts)),
    (run) => {
      const cluster = settings.cluster ?? run.result?.cluster;
      return cluster === undefined ? undefined : buildRotationReport({ cluster, secret: run.result?.secret ?? secretId, step: 'rotate-token', ...run, finishedAt: deps.now() });
    },
  );
}

/**
 * The hourly sweep: deletes rotated-out tokens whose grace period is over, for every secret the function rotates.
 * Fails (after reporting) when any secret's sweep failed, so the function's Errors alarm fires.
 */
export async function runSweepJob(deps: RotationDeps, secretIds: readonly string[], settings: ClusterSettings): Promise<JobOutcome<SweepReport>> {
  let sweep: SweepReport;
  try {
    sweep = await withPermissionHelp('rotate-token', () => sweepPreviousTokens(deps, secretIds, settings));
  } catch (error) {
    return { ok: false, error, report: buildSweepReport(settings.cluster, undefined, error, deps.now()) };
  }
  if (sweep.failures.length > 0) {
    const error = new RotationSweepFailedError(sweep.failures.map((f) => f.secret), secretIds.length);
    return { ok: false, error, report: buildSweepReport(settings.cluster, sweep, error, deps.now()) };
  }
  return { ok: true, result: sweep, report: buildSweepReport(settings.cluster, sweep, undefined, deps.now()) };
}
