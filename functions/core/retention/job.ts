import { runJob, type JobOutcome } from '../report/job';
import { buildPruneReport } from './retention-report';
import { runPrune, type PruneDeps, type PruneInput, type PruneResult } from './workflow';

/**
 * Retention on its own (`consul-ops prune`): {@link runPrune} and its report. The scheduled job applies retention
 * as part of the snapshot job (`runSnapshotJob`) and reports it there.
 *
 * @example
 * const outcome = await runPruneJob({ store, now }, { cluster: 'prod', prefix: 'snapshots', policy, dryRun: true });
 */
export function runPruneJob(deps: PruneDeps, input: PruneInput): Promise<JobOutcome<PruneResult>> {
  return runJob(
    () => runPrune(deps, input),
    (run) => buildPruneReport({ cluster: input.cluster, prune: run.result, error: run.error, finishedAt: deps.now() }),
  );
}
