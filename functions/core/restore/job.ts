import { runJob, type JobOutcome } from '../report/job';
import { withPermissionHelp } from '../shared/acl-policies';
import { buildRestoreReport, describeRestoreRequest } from './restore-report';
import { runRestore, type RestoreDeps, type RestoreInput, type RestoreResult } from './workflow';

/**
 * The restore job, the same through both front doors (the restore Lambda and `consul-ops restore`): runs
 * {@link runRestore} and reports every run, dry runs and refusals included (`alwaysNotify`).
 *
 * @example
 * const outcome = await runRestoreJob({ consul, store, now }, { cluster, prefix, selector: { latest: true }, invokedBy: 'alice' });
 */
export function runRestoreJob(deps: RestoreDeps, input: RestoreInput): Promise<JobOutcome<RestoreResult>> {
  return runJob(
    () => withPermissionHelp('restore', () => runRestore(deps, input)),
    (run) => buildRestoreReport({ cluster: input.cluster, request: describeRestoreRequest(input), invokedBy: input.invokedBy ?? 'unknown', ...run, finishedAt: deps.now() }),
  );
}
