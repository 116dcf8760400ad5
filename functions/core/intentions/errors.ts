/**
 * Errors of the intention audit: an invalid baseline document, and a deployed function whose embedded baseline is
 * not the one its stack configured.
 */
import { ConsulOpsError } from '../shared/errors';

/** Stable codes of the intention audit errors. */
export const INTENTION_ERROR_CODES = {
  baselineInvalid: 'INTENTION_BASELINE_INVALID',
  baselineMismatch: 'INTENTION_BASELINE_MISMATCH',
} as const;

/** A baseline file or document that does not validate. `problems` has one line per problem. */
export class IntentionBaselineError extends ConsulOpsError {
  readonly problems: readonly string[];

  constructor(source: string, problems: readonly string[], options: { cause?: unknown } = {}) {
    super(
      INTENTION_ERROR_CODES.baselineInvalid,
      `${source} is not a valid intention baseline:\n${problems.join('\n')}`,
      `Fix ${source}: { intentions: [{ source: "web", destination: "api", action: "allow" }] } (see README "Intention audit").`,
      { context: { source, problems: problems.length }, cause: options.cause },
    );
    this.problems = problems;
  }
}

/** The deployed bundle does not carry the baseline the stack configured (or carries one it did not). */
export class BaselineMismatchError extends ConsulOpsError {
  constructor(expected: string | undefined, actual: string | undefined) {
    super(
      INTENTION_ERROR_CODES.baselineMismatch,
      `the function's embedded intention baseline (${actual ?? 'none'}) is not the one the stack configured (${expected ?? 'none'})`,
      'Redeploy the consul-ops stack (cdk deploy): the function code and its configuration are out of step.',
      { context: { expected, actual } },
    );
  }
}
