import type { Report } from './report';

/**
 * What every consul-ops job hands back to its front door (the Lambda handler skeleton or a CLI command): its result
 * or the error it stopped with, and the report of the run. The front door publishes the report through the one
 * report path (`publishReport`) and then returns the result or throws the error, so a job reports the same way
 * whichever door it was run through.
 *
 * `report` is absent only where a run has nothing to say on its own (an intermediate rotation step: the rotation
 * reports once, when it completes or fails).
 */
export type JobOutcome<T> =
  | { readonly ok: true; readonly result: T; readonly report?: Report }
  | { readonly ok: false; readonly error: unknown; readonly report?: Report };

/**
 * Runs `work` and turns what it returns or throws into a {@link JobOutcome}, with the report `describe` builds from
 * either. `describe` must not throw (it only formats).
 *
 * @example
 * return runJob(() => runCertificateCheck(deps, input), (run) => buildCertificateReport({ cluster, ...run, finishedAt: deps.now() }));
 */
export async function runJob<T>(work: () => Promise<T>, describe: (run: { readonly result?: T; readonly error?: unknown }) => Report | undefined): Promise<JobOutcome<T>> {
  let result: T;
  try {
    result = await work();
  } catch (error) {
    return withReport({ ok: false, error }, describe({ error }));
  }
  return withReport({ ok: true, result }, describe({ result }));
}

function withReport<O extends JobOutcome<unknown>>(outcome: O, report: Report | undefined): O {
  return report === undefined ? outcome : { ...outcome, report };
}
