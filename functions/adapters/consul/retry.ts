/**
 * When to retry a Consul request and how long to wait: full-jitter exponential back-off, bounded by attempts and
 * total time, with instant failover to untried addresses after a failed connect. Pure, so it is tested by table.
 */
import { CONSUL_ERROR_CODES, type ConsulRequestError } from '../../core/shared/consul-errors';
import { isNeverConnected } from './transport-errors';

/** Retry policy for safe requests. */
export interface ConsulRetryPolicy {
  /** Attempts including the first; at least one per address for connection failures. @default 4 */
  readonly maxAttempts: number;
  /** @default 250 */
  readonly baseDelayMs: number;
  /** Cap of one delay. @default 4000 */
  readonly maxDelayMs: number;
  /** No retry is started once this much time would have passed since the first attempt. @default 20000 */
  readonly maxElapsedMs: number;
}

/** Defaults for {@link ConsulRetryPolicy}. */
export const DEFAULT_CONSUL_RETRY: ConsulRetryPolicy = { maxAttempts: 4, baseDelayMs: 250, maxDelayMs: 4_000, maxElapsedMs: 20_000 };

/** Reported before each retry; holds no secret. */
export interface ConsulRetryEvent {
  readonly attempt: number;
  readonly delayMs: number;
  readonly method: string;
  readonly path: string;
  readonly address: string;
  readonly code: string;
}

/** Errors that prove nothing was applied (rate limit, no leader to apply it): any replayable request may retry. */
const SAFE_FOR_ANY: ReadonlySet<string> = new Set([CONSUL_ERROR_CODES.rateLimited, CONSUL_ERROR_CODES.noLeader]);
/** Further errors worth retrying when repeating the request is harmless. */
const SAFE_FOR_IDEMPOTENT: ReadonlySet<string> = new Set([CONSUL_ERROR_CODES.unreachable, CONSUL_ERROR_CODES.serverError]);

/** Inputs of {@link planConsulRetry}. */
export interface ConsulRetryInput {
  readonly error: ConsulRequestError;
  /** 1 for the attempt that just failed. */
  readonly attempt: number;
  readonly idempotent: boolean;
  /** False for streamed bodies: never retried. */
  readonly replayable: boolean;
  readonly addressCount: number;
  readonly elapsedMs: number;
  readonly policy: ConsulRetryPolicy;
  readonly random: () => number;
}

/** Milliseconds to wait before the next attempt, or `undefined` to give up and throw `error`. */
export function planConsulRetry(input: ConsulRetryInput): number | undefined {
  const { error, attempt, policy, addressCount } = input;
  if (!input.replayable || attempt >= Math.max(policy.maxAttempts, addressCount)) return undefined;
  const neverSent = isNeverConnected(error);
  const allowed = neverSent || SAFE_FOR_ANY.has(error.code) || (input.idempotent && SAFE_FOR_IDEMPOTENT.has(error.code));
  if (!allowed) return undefined;
  // A failed connect says nothing about the other addresses: try each untried one at once.
  if (neverSent && attempt < addressCount) return 0;
  const hinted = error.context.retryAfterMs;
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const delay = typeof hinted === 'number' ? Math.min(hinted, policy.maxDelayMs) : Math.floor(input.random() * cap);
  return input.elapsedMs + delay > policy.maxElapsedMs ? undefined : delay;
}
