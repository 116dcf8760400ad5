/**
 * The vocabulary shared by the scanner, the in-chunk walk and the record sinks (a leaf module: it imports nothing,
 * so the pieces above it never form an import circle).
 */

/** Pseudo record type of the `{LastIndex}` header in a {@link ScanPlan}. */
export const HEADER_TYPE = 256;

/** What to capture of one record type. */
export interface TypePlan {
  /** Top-level map keys whose values to capture; slot of `fields[i]` is `i + 1`. */
  readonly fields: readonly Uint8Array[];
  /** Bit n set when a field name is n bytes long (n < 31); bit 31 for longer names. Rejects most keys at once. */
  readonly lengthMask: number;
  /** Capture the whole value in slot 0. */
  readonly whole: boolean;
}

/** Per type id (0..255, and {@link HEADER_TYPE}): what to capture, or undefined to only count. */
export type ScanPlan = readonly (TypePlan | undefined)[];

/** The captured fields of the record being delivered: byte ranges, valid during the record callback only. */
export interface CapturedRecord {
  has(slot: number): boolean;
  bytes(slot: number): Buffer;
  start(slot: number): number;
  end(slot: number): number;
}

/** Thrown when a record's value makes no sense; the scanner adds record number, type and offset. */
export class RecordDefect extends Error {}
