import type { MsgpackCursor } from './msgpack-cursor';
import { RecordDefect, type CapturedRecord } from './scan-plan';

/**
 * Reading the `Key` of a KVS record (`structs.DirEntry`, reference state-bin.md §5.3) and cutting it into the
 * prefixes `consul snapshot inspect -kvdetails` groups by. Keys stay bytes: Consul compares them as Go strings.
 */

const SLASH = 0x2f;

/**
 * Reads the record's `Key` into `cursor.strStart`/`strEnd`. Returns false when the record has no `Key` field (inspect
 * then counts it nowhere); a `Key` that is not a string is a defect.
 */
export function readKvKey(record: CapturedRecord, slot: number, cursor: MsgpackCursor): boolean {
  if (!record.has(slot)) return false;
  const buf = record.bytes(slot);
  const start = record.start(slot);
  const b = buf[start];
  // The capture is exactly the value, so a string's payload runs to its end: no need to read the length.
  if (b >= 0xa0 && b <= 0xbf) {
    cursor.buf = buf;
    cursor.strStart = start + 1;
    cursor.strEnd = record.end(slot);
    return true;
  }
  if (!cursor.reset(buf, start, record.end(slot)).readString('Key')) throw new RecordDefect('Key is nil, not a string');
  return true;
}

/**
 * End of the `-kvdepth` prefix of `buf[start, end)`: Go's `strings.Join(strings.Split(key, "/")[0:min(depth, parts)],
 * "/")` is the key up to (excluding) its `depth`-th slash, or the whole key when it has fewer parts. Depth 0 gives the
 * empty prefix, a leading `/` an empty first part (`/a/b` at depth 2 is `/a`), a trailing one an empty last part
 * (`a/b/` at depth 2 is `a/b`). Splitting bytes is exact: 0x2f never occurs inside a multi-byte UTF-8 sequence.
 */
export function kvPrefixEnd(buf: Uint8Array, start: number, end: number, depth: number): number {
  if (depth === 0) return start;
  let slashes = 0;
  for (let i = start; i < end; i++) {
    if (buf[i] === SLASH && ++slashes === depth) return i;
  }
  return end;
}

/** End of the top-level prefix used by the content summary: up to and including the first `/` (none: empty). */
export function kvTopPrefixEnd(buf: Uint8Array, start: number, end: number): number {
  for (let i = start; i < end; i++) if (buf[i] === SLASH) return i + 1;
  return start;
}

/** True when `buf[start, end)` starts with `prefix` (a plain byte prefix, as Go's `strings.HasPrefix`). */
export function hasBytePrefix(buf: Uint8Array, start: number, end: number, prefix: Uint8Array): boolean {
  if (end - start < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[start + i] !== prefix[i]) return false;
  return true;
}
