/**
 * `consul snapshot inspect`'s `ByteSize` (command/snapshot/inspect/formatter.go): powers of 1024, one decimal, a
 * trailing `.0` dropped, units `B` `KB` `MB` `GB` `TB`, and `0` (no unit) for zero.
 *
 * Go divides in float64 (exact here: the divisor is a power of two and sizes stay below 2^53) and prints with
 * `strconv.FormatFloat(v, 'f', 1, 64)`, which rounds the exact binary value half-to-even: 1280 B is 1.25 KB → `1.2KB`,
 * 2816 B is 2.75 KB → `2.8KB`. JavaScript's `toFixed(1)` would round 1.25 up, so this works in integers.
 */

const UNITS = [
  { unit: 'TB', size: 1n << 40n },
  { unit: 'GB', size: 1n << 30n },
  { unit: 'MB', size: 1n << 20n },
  { unit: 'KB', size: 1n << 10n },
] as const;

/**
 * Formats a byte count like Go's `ByteSize`.
 *
 * @example
 * formatByteSize(1280);    // '1.2KB'
 * formatByteSize(1048575); // '1024KB'
 * formatByteSize(0);       // '0'
 */
export function formatByteSize(bytes: number): string {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`byte count must be a non-negative safe integer, got ${bytes}`);
  if (bytes === 0) return '0';
  const n = BigInt(bytes);
  const scale = UNITS.find((u) => n >= u.size);
  if (scale === undefined) return `${bytes}B`;
  return `${tenthsToText(roundHalfEven(n * 10n, scale.size))}${scale.unit}`;
}

/** `numerator / denominator` rounded to an integer, ties to even. */
function roundHalfEven(numerator: bigint, denominator: bigint): bigint {
  const q = numerator / denominator;
  const twice = 2n * (numerator % denominator);
  if (twice > denominator || (twice === denominator && q % 2n === 1n)) return q + 1n;
  return q;
}

/** 125n → '12.5', 120n → '12' (Go's output with `.0` trimmed). */
function tenthsToText(tenths: bigint): string {
  const whole = tenths / 10n;
  const tenth = tenths % 10n;
  return tenth === 0n ? `${whole}` : `${whole}.${tenth}`;
}
