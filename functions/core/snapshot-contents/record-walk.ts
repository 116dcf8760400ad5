import type { CapturedSlots } from './captured-slots';
import * as format from './msgpack-format';
import type { TypePlan } from './scan-plan';

// Module-local copies: an imported binding may compile to a property getter (esbuild's CommonJS output under a
// TypeScript loader), which costs more than the lookup itself in these loops.
const FORMAT_CLASS = format.FORMAT_CLASS;
const FORMAT_HEAD = format.FORMAT_HEAD;
const FORMAT_MAP = format.FORMAT_MAP;
const formatLength = format.formatLength;
const isStringFormat = format.isStringFormat;
const skipValueInBuffer = format.skipValueInBuffer;

/**
 * The fast path of the scanner: a record value that lies wholly in the current chunk is walked in place with a tight
 * loop, its wanted top-level fields (or whole value) recorded as chunk ranges. Returns the position after the value,
 * or a negative number when the value does not end in this chunk or is malformed: the caller then runs the streaming
 * scanner over the same bytes, which carries state across chunks and reports defects precisely.
 *
 * Only the first occurrence of a field is captured (Consul writes each key once; the streaming path does the same).
 */
export function walkRecordInChunk(c: Uint8Array, pos: number, end: number, plan: TypePlan | undefined, slots: CapturedSlots): number {
  if (plan === undefined || plan.fields.length === 0 || pos >= end || FORMAT_CLASS[c[pos]] !== FORMAT_MAP) {
    const next = skipValueInBuffer(c, pos, end);
    if (next >= 0 && plan?.whole) slots.setInChunk(0, pos, next);
    return next;
  }
  const head = FORMAT_HEAD[c[pos]];
  if (pos + head > end) return format.SKIP_TRUNCATED;
  const pairs = formatLength(c, pos);
  const { fields, lengthMask } = plan;
  const valueStart = pos;
  let captured = 0;
  let p = pos + head;
  for (let i = 0; i < pairs; i++) {
    if (captured === fields.length) {
      // Every wanted field is in: skip the rest of the map in one go.
      p = skipValueInBuffer(c, p, end, 2 * (pairs - i));
      if (p < 0) return p;
      break;
    }
    if (p >= end) return format.SKIP_TRUNCATED;
    const k = c[p];
    let keyEnd: number;
    let field = -1;
    if (k >= 0xa0 && k <= 0xbf) {
      // A fixstr key (Consul's field names): most are rejected by their length alone.
      keyEnd = p + 1 + (k & 0x1f);
      if ((lengthMask & (1 << (k & 0x1f))) !== 0) field = matchField(c, p, keyEnd, fields);
    } else {
      keyEnd = skipValueInBuffer(c, p, end);
      if (keyEnd < 0) return keyEnd;
      field = matchField(c, p, keyEnd, fields);
    }
    const valueEnd = skipValueInBuffer(c, keyEnd, end);
    if (valueEnd < 0) return valueEnd;
    if (field >= 0 && !slots.has(field + 1)) {
      slots.setInChunk(field + 1, keyEnd, valueEnd);
      captured++;
    }
    p = valueEnd;
  }
  if (plan.whole) slots.setInChunk(0, valueStart, p);
  return p;
}

/** Index in `fields` of the string key encoded at `buf[start, end)`, or -1 (another key, or not a string). */
export function matchField(buf: Uint8Array, start: number, end: number, fields: readonly Uint8Array[]): number {
  if (!isStringFormat(buf[start])) return -1;
  const s = start + FORMAT_HEAD[buf[start]];
  const length = end - s;
  for (let i = 0; i < fields.length; i++) {
    const name = fields[i];
    if (name.length !== length) continue;
    let k = 0;
    while (k < length && name[k] === buf[s + k]) k++;
    if (k === length) return i;
  }
  return -1;
}

/**
 * In the map encoded at `buf[start, end)`, the position of the value of the string key `name`, or -1 (no such key,
 * not a map, or truncated). The same tight loop as {@link walkRecordInChunk}, for sinks that read one nested field.
 */
export function findMapField(buf: Uint8Array, start: number, end: number, name: Uint8Array): number {
  if (start >= end || FORMAT_CLASS[buf[start]] !== FORMAT_MAP || start + FORMAT_HEAD[buf[start]] > end) return -1;
  const pairs = formatLength(buf, start);
  const names = [name];
  const fixstr = 0xa0 | name.length;
  let p = start + FORMAT_HEAD[buf[start]];
  for (let i = 0; i < pairs; i++) {
    const keyEnd = skipValueInBuffer(buf, p, end);
    if (keyEnd < 0) return -1;
    // A fixstr key of another length cannot match (names here are short).
    if ((buf[p] === fixstr || buf[p] < 0xa0 || buf[p] > 0xbf) && matchField(buf, p, keyEnd, names) === 0) return keyEnd;
    p = skipValueInBuffer(buf, keyEnd, end);
    if (p < 0) return -1;
  }
  return -1;
}
