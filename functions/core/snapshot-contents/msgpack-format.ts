/**
 * The msgpack first-byte tables shared by the streaming scanner and the cursor over captured bytes. Every format of
 * the msgpack spec is classified, including the ones Consul never writes (`str8`, `bin*`, `ext*`, `fixext*`,
 * reference state-bin.md §3.2), so that data from newer or Enterprise servers is skipped, not refused. `0xc1` is the
 * only byte msgpack leaves unused.
 */

/** A scalar of fixed total length {@link FORMAT_HEAD}. */
export const FORMAT_FIXED = 0;
/** str / bin / ext: a header of {@link FORMAT_HEAD} bytes, then a payload whose length is in the header. */
export const FORMAT_BYTES = 1;
/** An array: a header, then {@link FORMAT_HEAD}-counted items. */
export const FORMAT_ARRAY = 2;
/** A map: a header, then 2 × count items (key, value, key, value…). */
export const FORMAT_MAP = 3;
/** 0xc1, never used by msgpack. */
export const FORMAT_INVALID = 4;

/** Class of each first byte: one of the `FORMAT_*` constants. */
export const FORMAT_CLASS = new Uint8Array(256);
/**
 * Bytes before the payload or the items, format byte included (for {@link FORMAT_FIXED}: the whole value, up to 18
 * bytes for `fixext16`).
 */
export const FORMAT_HEAD = new Uint8Array(256);
/** Width (0, 1, 2 or 4 bytes) of the big-endian length or count that follows the format byte. */
export const FORMAT_LENGTH_WIDTH = new Uint8Array(256);

/** The longest header any format has. */
export const MAX_FORMAT_HEAD = 18;

function set(from: number, to: number, cls: number, head: number, width = 0): void {
  for (let b = from; b <= to; b++) {
    FORMAT_CLASS[b] = cls;
    FORMAT_HEAD[b] = head;
    FORMAT_LENGTH_WIDTH[b] = width;
  }
}

set(0x00, 0x7f, FORMAT_FIXED, 1); // positive fixint
set(0x80, 0x8f, FORMAT_MAP, 1); // fixmap
set(0x90, 0x9f, FORMAT_ARRAY, 1); // fixarray
set(0xa0, 0xbf, FORMAT_BYTES, 1); // fixstr
set(0xc0, 0xc0, FORMAT_FIXED, 1); // nil
set(0xc1, 0xc1, FORMAT_INVALID, 1);
set(0xc2, 0xc3, FORMAT_FIXED, 1); // false, true
set(0xc4, 0xc4, FORMAT_BYTES, 2, 1); // bin8
set(0xc5, 0xc5, FORMAT_BYTES, 3, 2); // bin16
set(0xc6, 0xc6, FORMAT_BYTES, 5, 4); // bin32
set(0xc7, 0xc7, FORMAT_BYTES, 3, 1); // ext8: length, type
set(0xc8, 0xc8, FORMAT_BYTES, 4, 2); // ext16
set(0xc9, 0xc9, FORMAT_BYTES, 6, 4); // ext32
set(0xca, 0xca, FORMAT_FIXED, 5); // float32
set(0xcb, 0xcb, FORMAT_FIXED, 9); // float64
set(0xcc, 0xcc, FORMAT_FIXED, 2); // uint8
set(0xcd, 0xcd, FORMAT_FIXED, 3); // uint16
set(0xce, 0xce, FORMAT_FIXED, 5); // uint32
set(0xcf, 0xcf, FORMAT_FIXED, 9); // uint64
set(0xd0, 0xd0, FORMAT_FIXED, 2); // int8
set(0xd1, 0xd1, FORMAT_FIXED, 3); // int16
set(0xd2, 0xd2, FORMAT_FIXED, 5); // int32
set(0xd3, 0xd3, FORMAT_FIXED, 9); // int64
set(0xd4, 0xd4, FORMAT_FIXED, 3); // fixext1: type + 1
set(0xd5, 0xd5, FORMAT_FIXED, 4); // fixext2
set(0xd6, 0xd6, FORMAT_FIXED, 6); // fixext4
set(0xd7, 0xd7, FORMAT_FIXED, 10); // fixext8
set(0xd8, 0xd8, FORMAT_FIXED, 18); // fixext16
set(0xd9, 0xd9, FORMAT_BYTES, 2, 1); // str8
set(0xda, 0xda, FORMAT_BYTES, 3, 2); // str16
set(0xdb, 0xdb, FORMAT_BYTES, 5, 4); // str32
set(0xdc, 0xdc, FORMAT_ARRAY, 3, 2); // array16
set(0xdd, 0xdd, FORMAT_ARRAY, 5, 4); // array32
set(0xde, 0xde, FORMAT_MAP, 3, 2); // map16
set(0xdf, 0xdf, FORMAT_MAP, 5, 4); // map32
set(0xe0, 0xff, FORMAT_FIXED, 1); // negative fixint

/**
 * The length (str/bin/ext payload bytes) or count (array items, map pairs) of the value whose header starts at
 * `buf[at]`; the header must be complete in `buf`.
 */
export function formatLength(buf: Uint8Array, at: number): number {
  const b = buf[at];
  switch (FORMAT_LENGTH_WIDTH[b]) {
    case 0:
      return FORMAT_CLASS[b] === FORMAT_BYTES ? b & 0x1f : b & 0x0f;
    case 1:
      return buf[at + 1];
    case 2:
      return (buf[at + 1] << 8) | buf[at + 2];
    default:
      return buf[at + 1] * 0x1000000 + ((buf[at + 2] << 16) | (buf[at + 3] << 8) | buf[at + 4]);
  }
}

/** True for the str and bin families (a Go `string` or `[]byte`), false for ext and everything else. */
export function isStringFormat(b: number): boolean {
  return (b >= 0xa0 && b <= 0xbf) || (b >= 0xc4 && b <= 0xc6) || (b >= 0xd9 && b <= 0xdb);
}

/** {@link skipValueInBuffer}: the value does not end before `end`. */
export const SKIP_TRUNCATED = -1;
/** {@link skipValueInBuffer}: the value holds the reserved byte 0xc1. */
export const SKIP_INVALID = -2;

/**
 * Skips `count` (default one) msgpack values in `buf[pos, end)` by lengths, however deeply nested, without
 * allocating. Returns the position just after them, {@link SKIP_TRUNCATED} or {@link SKIP_INVALID}.
 */
export function skipValueInBuffer(buf: Uint8Array, pos: number, end: number, count = 1): number {
  let pending = count;
  while (pending > 0) {
    if (pos >= end) return SKIP_TRUNCATED;
    const b = buf[pos];
    pending--;
    if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) pos++;
    else if (b >= 0xa0 && b <= 0xbf) pos += 1 + (b & 0x1f);
    else if (b <= 0x8f) {
      pos++;
      pending += 2 * (b & 0x0f);
    } else if (b <= 0x9f) {
      pos++;
      pending += b & 0x0f;
    } else {
      const cls = FORMAT_CLASS[b];
      if (cls === FORMAT_INVALID) return SKIP_INVALID;
      const head = FORMAT_HEAD[b];
      if (pos + head > end) return SKIP_TRUNCATED;
      if (cls === FORMAT_FIXED) pos += head;
      else {
        const n = formatLength(buf, pos);
        pos += head;
        if (cls === FORMAT_BYTES) pos += n;
        else pending += cls === FORMAT_MAP ? 2 * n : n;
      }
    }
  }
  return pos <= end ? pos : SKIP_TRUNCATED;
}
