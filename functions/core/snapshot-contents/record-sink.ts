import { MsgpackCursor } from './msgpack-cursor';
import { HEADER_TYPE, type CapturedRecord, type ScanPlan, type TypePlan } from './scan-plan';

/**
 * The collectors behind the decoder's options (KV details, content summary, content index, KV extraction) are
 * record sinks: each names the record types and top-level fields it reads, the decoder merges those into one scan
 * plan (a field is captured once however many sinks read it) and hands every matching record to each sink.
 */

/** What a sink reads of one record type. */
export interface SinkWant {
  readonly type: number;
  /** Top-level map keys (Go field names) whose values it reads. */
  readonly fields?: readonly string[];
  /** It reads the whole value (e.g. a ConfigEntry's wrapped payload). */
  readonly whole?: boolean;
}

/** Slot of the whole value. */
export const WHOLE_SLOT = 0;

/** Per-type record counts and sizes, indexed by type byte. */
export interface TypeTotals {
  readonly counts: Float64Array;
  readonly sums: Float64Array;
}

/** A collector fed by the decoder. */
export interface RecordSink {
  readonly wants: readonly SinkWant[];
  /** Receives the slot numbers of its fields once the plan is built. */
  bind(slotOf: (type: number, field: string) => number): void;
  /** One record of a wanted type; captured fields are valid only during the call. */
  onRecord(type: number, size: number, record: CapturedRecord): void;
}

/** Merges the sinks' wants into a scan plan, and returns the slot lookup. */
export function buildScanPlan(sinks: readonly RecordSink[]): { plan: ScanPlan; slotOf: (type: number, field: string) => number } {
  const fields = new Map<number, string[]>();
  const whole = new Set<number>();
  for (const want of sinks.flatMap((s) => s.wants)) {
    const list = fields.get(want.type) ?? [];
    for (const f of want.fields ?? []) if (!list.includes(f)) list.push(f);
    fields.set(want.type, list);
    if (want.whole) whole.add(want.type);
  }
  const plan: (TypePlan | undefined)[] = new Array(HEADER_TYPE + 1).fill(undefined);
  for (const [type, list] of fields) {
    const names = list.map((f) => Buffer.from(f, 'latin1'));
    plan[type] = { fields: names, lengthMask: names.reduce((mask, n) => mask | (1 << Math.min(n.length, 31)), 0), whole: whole.has(type) };
  }
  const slotOf = (type: number, field: string): number => {
    const i = fields.get(type)?.indexOf(field) ?? -1;
    if (i < 0) throw new Error(`field ${field} of type ${type} is not in the scan plan`);
    return i + 1;
  };
  return { plan, slotOf };
}

/**
 * Points `cursor` at the captured value of `slot` and returns it, or undefined when the record had no such field.
 *
 * @example
 * const c = fieldCursor(record, keySlot, this.cursor); if (c?.readString('Key')) use(c.strStart, c.strEnd);
 */
export function fieldCursor(record: CapturedRecord, slot: number, cursor: MsgpackCursor): MsgpackCursor | undefined {
  if (!record.has(slot)) return undefined;
  return cursor.reset(record.bytes(slot), record.start(slot), record.end(slot));
}

/** Latin-1 field names as bytes, for {@link MsgpackCursor.readKeyIndex}. */
export function fieldNames(...names: string[]): Uint8Array[] {
  return names.map((n) => Buffer.from(n, 'latin1'));
}
