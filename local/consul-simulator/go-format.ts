/**
 * Helpers that reproduce how Go (and therefore Consul) renders values on the wire: `encoding/json` output,
 * `time.Time` (RFC 3339 with nanoseconds), `time.Duration` strings, colon-hex fingerprints and UUID checks.
 */
import { randomUUID } from 'node:crypto';

const GO_JSON_ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/**
 * Serialises like Go's `json.Marshal`: compact, `<`, `>` and `&` escaped as `\u003c`…, and `bigint` values written as
 * exact JSON numbers (Go `uint64` can exceed 2^53). With `pretty`, like `json.MarshalIndent(v, "", "    ")` plus the
 * trailing newline Consul appends for `?pretty`.
 */
export function goJson(value: unknown, pretty = false): string {
  const bigints: string[] = [];
  const text = JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (typeof v !== 'bigint') return v;
      bigints.push(v.toString());
      return `\u0000bigint${bigints.length - 1}\u0000`;
    },
    pretty ? 4 : undefined,
  );
  const out = (text ?? 'null')
    .replace(/"\\u0000bigint(\d+)\\u0000"/g, (_m, i: string) => bigints[Number(i)])
    .replace(/[<>&\u2028\u2029]/g, (c) => GO_JSON_ESCAPES[c]);
  return pretty ? `${out}\n` : out;
}

/** Formats a date like Go's `time.Time` JSON (`RFC3339Nano` in UTC): trailing zeros of the fraction are trimmed. */
export function rfc3339Nano(date: Date, extraNanos = 0): string {
  const base = date.toISOString().slice(0, 19);
  const nanos = (date.getUTCMilliseconds() * 1_000_000 + (extraNanos % 1_000_000)).toString().padStart(9, '0');
  const frac = nanos.replace(/0+$/, '');
  return `${base}${frac ? `.${frac}` : ''}Z`;
}

/** Formats a date with whole seconds (`2018-05-21T16:33:28Z`), as X.509 validity times appear in Consul's JSON. */
export function rfc3339Seconds(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** The current time as Consul stamps `CreateTime`: RFC3339Nano with sub-millisecond digits. */
export function nowRfc3339Nano(now: Date): string {
  return rfc3339Nano(now, Number(process.hrtime.bigint() % 1_000_000n));
}

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Parses a Go duration string (`72h`, `1h30m`, `500ms`) into milliseconds; `undefined` when it is not one. */
export function parseGoDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  const sign = trimmed.startsWith('-') ? -1 : 1;
  const body = trimmed.replace(/^[-+]/, '');
  if (body === '') return undefined;
  for (let m = re.exec(body); m; m = re.exec(body)) {
    total += Number(m[1]) * UNIT_NS[m[2]];
    consumed = re.lastIndex;
  }
  return consumed === body.length ? (sign * total) / 1e6 : undefined;
}

/** Formats milliseconds like Go's `time.Duration.String()` (`24h0m0s`, `1m0s`, `1.5s`, `500ms`). */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  const neg = ms < 0;
  let rest = Math.abs(ms);
  if (rest < 1000) return `${neg ? '-' : ''}${trimFloat(rest)}ms`;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = trimFloat(rest / 1000);
  const text = h > 0 ? `${h}h${m}m${s}s` : m > 0 ? `${m}m${s}s` : `${s}s`;
  return `${neg ? '-' : ''}${text}`;
}

function trimFloat(n: number): string {
  return Number(n.toFixed(9)).toString();
}

/** Lower-case colon-separated hex (`c7:bd:55:…`), Consul's format for key IDs, fingerprints and leaf serials. */
export function colonHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex').match(/../g)?.join(':') ?? '';
}

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** True when `id` parses as a UUID the way hashicorp/go-uuid's `ParseUUID` accepts it (36 chars, hex groups). */
export function isUuid(id: string): boolean {
  return UUID_RE.test(id);
}

/** A fresh random UUID (lower case). */
export function newUuid(): string {
  return randomUUID();
}

/** A go-multierror error text (`ListFormatFunc`): `1 error occurred:\n\t* <msg>\n\n`. */
export function multierror(messages: readonly string[]): string {
  if (messages.length === 1) return `1 error occurred:\n\t* ${messages[0]}\n\n`;
  return `${messages.length} errors occurred:\n\t${messages.map((m) => `* ${m}`).join('\n\t')}\n\n`;
}
