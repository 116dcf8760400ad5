/**
 * The retired-token ledger: every token a rotation replaced, each with the end of its own grace period
 * (`deleteAfter`), carried from value to value in the secret's JSON (`retired`, see `secret-value.ts`). Pure.
 *
 * Rules:
 * - A rotation never waits for a grace period: the token it replaces joins the ledger with `deleteAfter = now + grace`,
 *   and every older entry is carried over, so nothing is forgotten however often a secret is rotated.
 * - An entry is deleted only after its own `deleteAfter` (by the hourly sweep, the next rotation, or a restore's
 *   reconciliation), and only after the current token has proven to work; `--revoke-now` sets it to now.
 * - The token a value directly replaced keeps at least a whole grace period after the rotation finished
 *   (`LastRotatedDate`), so a rotation that finished late still gives clients the whole grace period.
 * - Once its token is gone, an entry is remembered for {@link LEDGER_MEMORY_MS} more, so that restoring a backup taken
 *   before its deletion deletes it again; then the next rotation drops it.
 */
import { MAX_RETIRED_ENTRIES, type RetiredToken, type RotationSecretValue } from './secret-value';

/** How long an entry whose token is gone stays in the ledger after its `deleteAfter` (restores of older backups). */
export const LEDGER_MEMORY_MS = 90 * 24 * 3_600_000;
/** The hourly sweep retries entries that became due at most this long ago (older ones: next rotation or restore). */
export const SWEEP_WINDOW_MS = 7 * 24 * 3_600_000;

/** One ledger entry with its effective deletion time. */
export interface LedgerEntry {
  readonly accessorId: string;
  readonly deleteAfter: Date;
}

/**
 * The ledger of a value, with effective deletion times. A value from before the ledger (`previousAccessorId` without
 * `retired`) counts as a one-entry ledger whose grace period starts at `previousRotatedAt`.
 *
 * @example
 * retiredLedgerOf(current, describe.lastRotatedDate, 24 * 3_600_000); // [{ accessorId, deleteAfter }]
 */
export function retiredLedgerOf(value: RotationSecretValue, lastRotatedDate: Date | undefined, gracePeriodMs: number): LedgerEntry[] {
  const stored: RetiredToken[] =
    value.retired !== undefined
      ? [...value.retired]
      : value.previousAccessorId !== undefined && value.previousRotatedAt !== undefined
        ? [{ accessorId: value.previousAccessorId, deleteAfter: new Date(Date.parse(value.previousRotatedAt) + gracePeriodMs).toISOString() }]
        : [];
  const finishedLate = lastRotatedDate === undefined ? 0 : lastRotatedDate.getTime() + gracePeriodMs;
  return stored.map((r) => {
    const deleteAfter = Date.parse(r.deleteAfter);
    return { accessorId: r.accessorId, deleteAfter: new Date(r.accessorId === value.previousAccessorId ? Math.max(deleteAfter, finishedLate) : deleteAfter) };
  });
}

/** Which entries may be deleted now (`due`) and which wait (`waiting`, soonest first). */
export interface RetiredDeletionPlan {
  readonly due: readonly LedgerEntry[];
  readonly waiting: readonly LedgerEntry[];
}

/**
 * Splits a ledger at `now`. `windowMs` leaves out entries that became due longer ago than that (the hourly sweep
 * does not retry them every hour).
 */
export function planRetiredDeletion(ledger: readonly LedgerEntry[], now: Date, windowMs = Number.POSITIVE_INFINITY): RetiredDeletionPlan {
  const t = now.getTime();
  return {
    due: ledger.filter((e) => e.deleteAfter.getTime() <= t && t - e.deleteAfter.getTime() <= windowMs),
    waiting: ledger.filter((e) => e.deleteAfter.getTime() > t).sort((a, b) => a.deleteAfter.getTime() - b.deleteAfter.getTime()),
  };
}

/**
 * The ledger the next value carries: every entry of `ledger`, minus those whose token is `gone` and whose
 * `deleteAfter` lies more than {@link LEDGER_MEMORY_MS} back, plus `replaced` (the token being rotated out). When the
 * ledger would exceed its size limit, the oldest gone entries go first.
 *
 * @returns `undefined` when even without every gone entry the ledger is over its limit (more live retired tokens than
 *   any sane rotation schedule makes)
 */
export function nextRetiredLedger(ledger: readonly LedgerEntry[], gone: ReadonlySet<string>, replaced: LedgerEntry, now: Date): RetiredToken[] | undefined {
  const remembered = ledger.filter((e) => e.accessorId !== replaced.accessorId && !(gone.has(e.accessorId) && now.getTime() - e.deleteAfter.getTime() > LEDGER_MEMORY_MS));
  const byAge = [...remembered].sort((a, b) => a.deleteAfter.getTime() - b.deleteAfter.getTime());
  let excess = byAge.length + 1 - MAX_RETIRED_ENTRIES;
  const dropped = new Set<string>();
  for (const e of byAge) {
    if (excess <= 0) break;
    if (gone.has(e.accessorId)) {
      dropped.add(e.accessorId);
      excess -= 1;
    }
  }
  if (excess > 0) return undefined;
  return [...byAge.filter((e) => !dropped.has(e.accessorId)), replaced].map((e) => ({ accessorId: e.accessorId, deleteAfter: e.deleteAfter.toISOString() }));
}
