/**
 * The one error hierarchy of consul-ops.
 *
 * Every error the product raises on purpose is a {@link ConsulOpsError}: it has a stable `code` to compare on, a
 * `context` object with non-secret details, an optional `cause`, and a `remedy` sentence that tells the operator what
 * to do. The CLI error printer and the SNS report both show `message` and `remedy`.
 *
 * Invariant: no secret (token SecretID, webhook URL, secret value) is ever put into a message, remedy or context.
 * Callers pass accessor IDs, secret ARNs or names instead.
 */

/** A plain, JSON-safe description of an error, used by the CLI (`--json`) and reports. */
export interface ErrorSummary {
  readonly code: string;
  readonly message: string;
  readonly remedy: string;
  readonly context: Readonly<Record<string, unknown>>;
}

/** Options every {@link ConsulOpsError} accepts. */
export interface ConsulOpsErrorOptions {
  /** Non-secret details (cluster, key, status code…). */
  readonly context?: Record<string, unknown>;
  /** The underlying error, if any. */
  readonly cause?: unknown;
}

/**
 * Base class of all consul-ops errors.
 *
 * @example
 * throw new ConsulOpsError('CONFIG_INVALID', 'clusters[0].name is empty', 'Give every cluster a name, e.g. "prod-east".');
 */
export class ConsulOpsError extends Error {
  readonly code: string;
  readonly remedy: string;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, remedy: string, options: ConsulOpsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.remedy = remedy;
    this.context = Object.freeze({ ...(options.context ?? {}) });
  }

  /** A JSON-safe summary (no stack, no cause). */
  toSummary(): ErrorSummary {
    return { code: this.code, message: this.message, remedy: this.remedy, context: this.context };
  }
}

/** Bad user input: a flag, an event field or a config value. */
export class InvalidInputError extends ConsulOpsError {
  constructor(field: string, problem: string, example: string, options: ConsulOpsErrorOptions = {}) {
    super('INVALID_INPUT', `${field}: ${problem}`, `Set ${field} to a valid value, for example ${example}.`, {
      ...options,
      context: { field, ...(options.context ?? {}) },
    });
  }
}

/** True when `err` is a {@link ConsulOpsError} with the given code. */
export function isErrorCode(err: unknown, code: string): err is ConsulOpsError {
  return err instanceof ConsulOpsError && err.code === code;
}

/**
 * Turns anything thrown into an {@link ErrorSummary}. Unknown errors keep their message but get a generic remedy;
 * their message is passed through {@link redactSecrets} first.
 */
export function summarizeError(err: unknown): ErrorSummary {
  if (err instanceof ConsulOpsError) return err.toSummary();
  const message = err instanceof Error ? err.message : String(err);
  const name = err instanceof Error ? err.name : 'Error';
  return {
    code: 'UNEXPECTED',
    message: redactSecrets(`${name}: ${message}`.split('\n')[0]),
    remedy: 'This is unexpected: re-run with CONSUL_OPS_DEBUG=1 for details and report it if it persists.',
    context: {},
  };
}

const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
const SLACK_WEBHOOK = /https:\/\/hooks\.slack(?:-gov)?\.com\/[^\s"']+/gi;
const BEARER = /(bearer\s+|x-consul-token[:=]\s*|token=)[^\s&"']+/gi;

/**
 * Last line of defence for free text that did not come from our own code (SDK or socket errors): masks anything that
 * looks like a token, a bearer credential or a Slack webhook. Accessor IDs we print on purpose are passed in
 * `allow`, so they stay readable.
 */
export function redactSecrets(text: string, allow: readonly string[] = []): string {
  return text
    .replace(SLACK_WEBHOOK, '<redacted-webhook>')
    .replace(BEARER, (_m, prefix: string) => `${prefix}<redacted>`)
    .replace(UUID, (id) => (allow.includes(id.toLowerCase()) || allow.includes(id) ? id : '<redacted-id>'));
}
