/**
 * Tar header parsing and writing with the semantics of Go's `archive/tar`, which is what Consul reads and writes
 * snapshots with. Names are kept as latin1 strings so that every header byte survives (Go strings are bytes).
 */

/** Size of a tar block. */
export const TAR_BLOCK = 512;
/** Go's `ErrHeader` text. */
export const TAR_INVALID_HEADER = 'archive/tar: invalid tar header';
/** Go's `ErrFieldTooLong` text. */
export const TAR_FIELD_TOO_LONG = 'archive/tar: header field too long';
/** Go's `maxSpecialFileSize`: the largest PAX or GNU long-name record it reads. */
export const TAR_MAX_SPECIAL_FILE = 1 << 20;
/** The largest size a USTAR header holds (11 octal digits). */
export const TAR_MAX_USTAR_SIZE = 0o77777777777;

/** A parsed tar header: what Consul's reader looks at. */
export interface TarHeader {
  /** The name as latin1 (one char per byte), prefix joined for USTAR/PAX. */
  readonly name: string;
  readonly typeflag: string;
  /** Bytes of data that follow (0 for header-only types). */
  readonly size: number;
  /** A header-only type (link, dir…): no data, whatever a PAX size record says. */
  readonly dataless: boolean;
}

/** Go's `isHeaderOnlyType`: link, symlink, char, block, dir and fifo entries carry no data. */
const HEADER_ONLY_TYPES = new Set(['1', '2', '3', '4', '5', '6']);

/** True when the block is all zeros (an end-of-archive block). */
export function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

/** Parses one header block; returns undefined where Go returns `ErrHeader` (bad checksum, bad number field). */
export function parseTarHeader(block: Buffer): TarHeader | undefined {
  const format = tarFormat(block);
  if (format === undefined) return undefined;
  const fields: Array<[number, number]> = [
    [100, 8], // mode
    [108, 8], // uid
    [116, 8], // gid
    [136, 12], // mtime
  ];
  if (format !== 'v7') fields.push([329, 8], [337, 8]); // devmajor, devminor
  if (fields.some(([at, len]) => parseNumeric(block.subarray(at, at + len)) === undefined)) return undefined;
  const size = parseNumeric(block.subarray(124, 136));
  if (size === undefined) return undefined;
  const typeflag = String.fromCharCode(block[156]);
  let name = cString(block.subarray(0, 100));
  if (format === 'ustar' || format === 'star') {
    const prefix = cString(block.subarray(345, format === 'star' ? 476 : 500));
    if (prefix.length > 0) name = `${prefix}/${name}`;
  }
  const dataless = HEADER_ONLY_TYPES.has(typeflag);
  return { name, typeflag, size: dataless ? 0 : size, dataless };
}

/** Go's `getFormat`: checksum first (unsigned or signed sum), then the magic. */
function tarFormat(block: Buffer): 'v7' | 'ustar' | 'gnu' | 'star' | undefined {
  const stored = parseOctal(block.subarray(148, 156));
  if (stored === undefined) return undefined;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < TAR_BLOCK; i++) {
    const c = i >= 148 && i < 156 ? 0x20 : block[i];
    unsigned += c;
    signed += c < 0x80 ? c : c - 0x100;
  }
  if (stored !== unsigned && stored !== signed) return undefined;
  const magic = block.toString('latin1', 257, 263);
  const version = block.toString('latin1', 263, 265);
  if (magic === 'ustar\0') return block.toString('latin1', 508, 512) === 'tar\0' ? 'star' : 'ustar';
  if (magic === 'ustar ' && version === ' \0') return 'gnu';
  return 'v7';
}

/** Go's `parseString`: up to the first NUL. */
export function cString(b: Buffer): string {
  const nul = b.indexOf(0);
  return b.toString('latin1', 0, nul < 0 ? b.length : nul);
}

/** Go's `parseNumeric`: base-256 when the high bit is set, else octal. Undefined on error or beyond 2^53. */
function parseNumeric(b: Buffer): number | undefined {
  if (b.length === 0 || (b[0] & 0x80) === 0) return parseOctal(b);
  const inv = b[0] & 0x40 ? 0xff : 0;
  let x = 0n;
  for (let i = 0; i < b.length; i++) {
    let c = b[i] ^ inv;
    if (i === 0) c &= 0x7f;
    if (x >> 56n > 0n) return undefined;
    x = (x << 8n) | BigInt(c);
  }
  if (x >> 63n > 0n) return undefined;
  const value = inv ? -x - 1n : x;
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(value);
}

/** Go's `parseOctal`: trims spaces and NULs, then base 8 up to the first NUL. */
function parseOctal(b: Buffer): number | undefined {
  const text = b.toString('latin1').replace(/^[ \0]+|[ \0]+$/g, '');
  if (text === '') return 0;
  const digits = cString(Buffer.from(text, 'latin1'));
  if (!/^[0-7]+$/.test(digits)) return undefined;
  const value = parseInt(digits, 8);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** What a PAX extended header changes in the next entry. */
export interface PaxOverrides {
  readonly path?: string;
  readonly size?: number;
}

/** Go's `parsePAX` (records `"%d %s=%s\n"`), keeping `path` and `size`; undefined where Go returns `ErrHeader`. */
export function parsePaxRecords(data: Buffer): PaxOverrides | undefined {
  const out: { path?: string; size?: number } = {};
  let rest = data.toString('latin1');
  while (rest.length > 0) {
    const space = rest.indexOf(' ');
    if (space < 1 || !/^[0-9]+$/.test(rest.slice(0, space))) return undefined;
    const length = Number(rest.slice(0, space));
    if (length < 5 || length <= space + 1 || length > rest.length || rest[length - 1] !== '\n') return undefined;
    const record = rest.slice(space + 1, length - 1);
    rest = rest.slice(length);
    const eq = record.indexOf('=');
    if (eq < 1) return undefined;
    const key = record.slice(0, eq);
    const value = record.slice(eq + 1);
    if (['path', 'linkpath', 'uname', 'gname'].includes(key) ? value.includes('\0') : key.includes('\0')) return undefined;
    if (key === 'path') out.path = value;
    else if (key === 'size') {
      if (!/^[+-]?[0-9]+$/.test(value) || !Number.isSafeInteger(Number(value)) || Number(value) < 0) return undefined;
      out.size = Number(value);
    }
  }
  return out;
}

/** A USTAR header block formatted like Go's `tar.Writer` (octal fields NUL-terminated; typeflag '0' by default). */
export function encodeTarHeader(entry: { name: string; size: number; mode: number; mtime: Date; typeflag?: string }): Buffer {
  const block = Buffer.alloc(TAR_BLOCK);
  const name = Buffer.from(entry.name, 'utf8');
  if (name.length > 100) throw new RangeError(`tar entry name is longer than 100 bytes: ${entry.name}`);
  if (entry.size > TAR_MAX_USTAR_SIZE) throw new RangeError(`tar entry ${entry.name} is larger than 8 GiB`);
  name.copy(block, 0);
  octal(block, 100, 8, entry.mode);
  octal(block, 108, 8, 0);
  octal(block, 116, 8, 0);
  octal(block, 124, 12, entry.size);
  octal(block, 136, 12, Math.max(0, Math.floor(entry.mtime.getTime() / 1000)));
  block.write(entry.typeflag ?? '0', 156, 1, 'latin1');
  block.write('ustar\0' + '00', 257, 'latin1');
  octal(block, 329, 8, 0);
  octal(block, 337, 8, 0);
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < TAR_BLOCK; i++) sum += block[i];
  octal(block, 148, 7, sum);
  block[155] = 0x20;
  return block;
}

/** Go's `formatOctal`: zero-padded, leaving room for a trailing NUL. */
function octal(block: Buffer, at: number, length: number, value: number): void {
  block.write(value.toString(8).padStart(length - 1, '0'), at, length - 1, 'latin1');
  block[at + length - 1] = 0;
}

/** Zero bytes that pad `size` bytes of entry data to a whole block. */
export function tarPadding(size: number): number {
  return (TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK;
}
