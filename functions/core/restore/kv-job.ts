import { runJob, type JobOutcome } from '../report/job';
import { buildRestoreKvReport, describeRestoreKvRequest } from './kv-report';
import { runRestoreKv, type RestoreKvDeps, type RestoreKvInput, type RestoreKvResult } from './kv-workflow';

/**
 * The `restore-kv` job, the same through both front doors (the restore Lambda's `kvPrefix` event and
 * `consul-ops restore-kv`): runs {@link runRestoreKv} and reports every run, plans and refusals included.
 *
 * @example
 * const outcome = await runRestoreKvJob({ consul, store, now }, { cluster, prefix: 'snapshots', selector: { latest: true }, kvPrefix: 'config/' });
 */
export function runRestoreKvJob(deps: RestoreKvDeps, input: RestoreKvInput): Promise<JobOutcome<RestoreKvResult>> {
  return runJob(
    () => runRestoreKv(deps, input),
    (run) => buildRestoreKvReport({ cluster: input.cluster, request: describeRestoreKvRequest(input), invokedBy: input.invokedBy ?? 'unknown', ...run, finishedAt: deps.now() }),
  );
}
