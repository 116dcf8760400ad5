/**
 * SHA256SUMS checking exactly as Consul's `hashList.DecodeAndVerify` does it: `bufio.Scanner` lines, each parsed
 * with `fmt.Sscanf(line, "%x  %s", &sha, &file)`, and Go's error texts. Also Go's `%q` quoting.
 */

/** `bufio.MaxScanTokenSize`: a longer line is `bufio.Scanner: token too long`. */
const MAX_LINE = 64 * 1024;

/**
 * Checks SUMS text against the computed digests. Returns undefined when it passes, else Go's error text (which
 * Consul prefixes with `failed checking integrity of snapshot: `).
 */
export function checkSums(sums: Buffer, digests: ReadonlyMap<string, Buffer>): string | undefined {
  const seen = new Set<string>();
  for (const line of scanLines(sums)) {
    if (line.length >= MAX_LINE) return 'bufio.Scanner: token too long';
    const parsed = scanSumsLine(new TextDecoder().decode(line));
    if ('error' in parsed) return parsed.error;
    const digest = digests.get(parsed.file);
    if (digest === undefined) return `list missing hash for ${goQuote(parsed.file)}`;
    if (!digest.equals(parsed.sha)) return `hash check failed for ${goQuote(parsed.file)}`;
    seen.add(parsed.file);
  }
  const missing = [...digests.keys()].find((file) => !seen.has(file));
  return missing === undefined ? undefined : `file missing for ${goQuote(missing)}`;
}

/** `bufio.ScanLines`: split on `\n`, drop one trailing `\r`, no empty final token. */
function* scanLines(data: Buffer): Generator<Buffer> {
  let start = 0;
  while (start < data.length) {
    const nl = data.indexOf(0x0a, start);
    const end = nl < 0 ? data.length : nl;
    const line = data.subarray(start, end);
    yield line.length > 0 && line[line.length - 1] === 0x0d ? line.subarray(0, -1) : line;
    start = end + 1;
  }
}

type SumsLine = { readonly sha: Buffer; readonly file: string } | { readonly error: string };

/** `fmt.Sscanf(line, "%x  %s", &sha, &file)` with Go's error texts. */
export function scanSumsLine(line: string): SumsLine {
  const runes = Array.from(line);
  let i = 0;
  const eof = (): boolean => i >= runes.length;
  const skipSpace = (): void => {
    while (!eof() && isGoSpace(runes[i])) i++;
  };
  // %x: SkipSpace, notEOF (panics io.EOF: "EOF"), then hex pairs.
  skipSpace();
  if (eof()) return { error: 'EOF' };
  const bytes: number[] = [];
  while (!eof() && isHex(runes[i])) {
    if (i + 1 >= runes.length) return { error: 'unexpected EOF' };
    if (!isHex(runes[i + 1])) return { error: 'illegal hex digit' };
    bytes.push(parseInt(runes[i] + runes[i + 1], 16));
    i += 2;
  }
  if (bytes.length === 0) return { error: 'no hex data for %x string' };
  // "  " in the format: one or more spaces, or end of input.
  if (!eof() && !isGoSpace(runes[i])) return { error: 'expected space in input to match format' };
  skipSpace();
  // %s: SkipSpace, notEOF, then the next word. Input after it is ignored.
  if (eof()) return { error: 'EOF' };
  const start = i;
  while (!eof() && !isGoSpace(runes[i])) i++;
  return { sha: Buffer.from(bytes), file: runes.slice(start, i).join('') };
}

function isHex(r: string): boolean {
  return /^[0-9a-fA-F]$/.test(r);
}

/** `fmt`'s isSpace: the Unicode White_Space set. */
function isGoSpace(r: string): boolean {
  return /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/.test(r);
}

/**
 * Go's `strconv.Quote` (what `%q` prints) of a string's bytes: a latin1 string is read as raw bytes, anything else
 * as UTF-8. Invalid UTF-8 bytes print as `\xNN`.
 */
export function goQuote(text: string, encoding: 'utf8' | 'latin1' = 'utf8'): string {
  const bytes = Buffer.from(text, encoding);
  let out = '"';
  let i = 0;
  while (i < bytes.length) {
    const width = utf8Width(bytes, i);
    if (width === 0) {
      out += `\\x${hex(bytes[i], 2)}`;
      i += 1;
      continue;
    }
    const ch = bytes.toString('utf8', i, i + width);
    out += quoteRune(ch);
    i += width;
  }
  return `${out}"`;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
  '"': '\\"',
  '\\': '\\\\',
};

function quoteRune(ch: string): string {
  const escaped = SIMPLE_ESCAPES[ch];
  if (escaped !== undefined) return escaped;
  const code = ch.codePointAt(0) as number;
  if (ch === ' ' || /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(ch)) return ch;
  if (code < 0x20 || code === 0x7f) return `\\x${hex(code, 2)}`;
  return code < 0x10000 ? `\\u${hex(code, 4)}` : `\\U${hex(code, 8)}`;
}

function hex(value: number, width: number): string {
  return value.toString(16).padStart(width, '0');
}

/** Length of the valid UTF-8 sequence at `i`, or 0 when the byte there starts none. */
function utf8Width(b: Buffer, i: number): number {
  const c = b[i];
  if (c < 0x80) return 1;
  const width = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
  if (width === 0 || i + width > b.length) return 0;
  for (let k = 1; k < width; k++) if ((b[i + k] & 0xc0) !== 0x80) return 0;
  const second = b[i + 1];
  if (c === 0xe0 && second < 0xa0) return 0; // overlong
  if (c === 0xed && second > 0x9f) return 0; // surrogate
  if (c === 0xf0 && second < 0x90) return 0; // overlong
  if (c === 0xf4 && second > 0x8f) return 0; // > U+10FFFF
  return width;
}
