/**
 * Errors of the intention audit: an invalid baseline document, and a deployed function whose embedded baseline is
 * not the one its stack configured.
 */
import { ConsulOpsError } from '../shared/errors';
import type { IntentionAuditDocument } from './ports';

/** Stable codes of the intention audit errors. */
export const INTENTION_ERROR_CODES = {
  baselineInvalid: 'INTENTION_BASELINE_INVALID',
  baselineMismatch: 'INTENTION_BASELINE_MISMATCH',
  storeFailed: 'INTENTION_AUDIT_STORE_FAILED',
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

/**
 * The audit ran but its full document could not be stored. The run fails (and alarms); the document travels with
 * the error so the findings are still announced.
 */
export class IntentionAuditStoreError extends ConsulOpsError {
  /** The audit's document, not stored. */
  readonly document: IntentionAuditDocument;

  constructor(document: IntentionAuditDocument, cause: unknown) {
    const detail = cause instanceof ConsulOpsError ? `${cause.code}: ${cause.message}` : cause instanceof Error ? cause.message : String(cause);
    super(
      INTENTION_ERROR_CODES.storeFailed,
      `the intention audit of ${document.cluster} ran but its full document was not stored: ${detail}`,
      cause instanceof ConsulOpsError ? cause.remedy : "Check the function's S3 permissions on reports/<cluster>/intentions/ and the bucket key; the findings were reported without the link.",
      { context: { cluster: document.cluster }, cause },
    );
    this.document = document;
  }
}
