/**
 * Decoding request bodies like Consul's `lib.DecodeJSON`: Go's `encoding/json` with `DisallowUnknownFields()`
 * (hashicorp/consul `lib/json.go`). Field names match case-insensitively (Go falls back to `strings.EqualFold`); an
 * unknown field is the error `json: unknown field "<key as sent>"`; type mismatches give Go's `json: cannot unmarshal …`.
 * Like Go's decoder, unknown-field and type errors are remembered (the first one in document order wins) while decoding
 * goes on, but an error from a value's own `UnmarshalJSON` (a bad `time.Time`) aborts at once and wins.
 */
import { parseGoJson as scanGoJson } from '../../functions/core/snapshot-archive';

/** A field's expected JSON shape and its Go type name (for error texts). */
export type FieldSpec =
  | { readonly t: 'string' | 'bool' | 'number' | 'any' | 'duration' | 'time'; readonly go: string }
  | { readonly t: 'array'; readonly go: string; readonly of: FieldSpec | StructSpec }
  | { readonly t: 'map'; readonly go: string };

/** A Go struct: its qualified name and fields (JSON names; matching is case-insensitive). */
export interface StructSpec {
  readonly struct: string;
  readonly fields: Readonly<Record<string, FieldSpec | StructSpec>>;
}

/** A decode failure carrying Go's message. */
export class GoDecodeError extends Error {}

/**
 * Parses a request body like Go's `json.NewDecoder(body).Decode`: `EOF` for an empty body, `unexpected EOF` for a
 * truncated one, otherwise the scanner's `invalid character …` text (from the product's Go-compatible scanner).
 */
export function parseGoJson(text: string): unknown {
  if (text.trim() === '') throw new GoDecodeError('EOF');
  try {
    return JSON.parse(text);
  } catch {
    try {
      scanGoJson(Buffer.from(text, 'utf8'));
    } catch (err) {
      const msg = (err as Error).message;
      throw new GoDecodeError(msg === 'unexpected end of JSON input' ? 'unexpected EOF' : msg);
    }
    throw new GoDecodeError('unexpected EOF');
  }
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}

function isStruct(spec: FieldSpec | StructSpec): spec is StructSpec {
  return 'struct' in spec;
}

/** Go's first remembered ("saved") error while a decode goes on. */
interface DecodeRun {
  saved: string | undefined;
}

function save(run: DecodeRun, message: string): undefined {
  run.saved ??= message;
  return undefined;
}

/**
 * Decodes `value` into a plain object holding only the struct's fields, under their canonical names. Throws a
 * {@link GoDecodeError} with Go's text for the first unknown field or type mismatch (document order).
 */
export function decodeStruct(value: unknown, spec: StructSpec, goValueType = spec.struct): Record<string, unknown> {
  const run: DecodeRun = { saved: undefined };
  if (value !== null && (typeof value !== 'object' || Array.isArray(value))) {
    throw new GoDecodeError(`json: cannot unmarshal ${jsonType(value)} into Go value of type ${goValueType}`);
  }
  const out = value === null ? {} : structFields(value as Record<string, unknown>, spec, run);
  if (run.saved !== undefined) throw new GoDecodeError(run.saved);
  return out;
}

function structFields(value: Record<string, unknown>, spec: StructSpec, run: DecodeRun): Record<string, unknown> {
  const byLower = new Map(Object.keys(spec.fields).map((k) => [k.toLowerCase(), k]));
  const out: Record<string, unknown> = {};
  for (const [rawKey, raw] of Object.entries(value)) {
    const key = spec.fields[rawKey] ? rawKey : byLower.get(rawKey.toLowerCase());
    if (key === undefined) {
      save(run, `json: unknown field ${JSON.stringify(rawKey)}`);
      continue;
    }
    const decoded = decodeField(raw, spec.fields[key], `${spec.struct}.${key}`, run);
    if (decoded !== undefined) out[key] = decoded;
  }
  return out;
}

/** Go's `time.Time.UnmarshalJSON` failure (it aborts the whole decode). */
function checkTime(text: string): string {
  if (Number.isNaN(Date.parse(text))) {
    throw new GoDecodeError(`parsing time "\\"${text}\\"" as "\\"2006-01-02T15:04:05Z07:00\\"": cannot parse`);
  }
  return text;
}

function decodeField(raw: unknown, spec: FieldSpec | StructSpec, where: string, run: DecodeRun): unknown {
  if (raw === null) return undefined;
  const mismatch = (): undefined => {
    const go = isStruct(spec) ? spec.struct : spec.go;
    return save(run, `json: cannot unmarshal ${jsonType(raw)} into Go struct field ${where} of type ${go}`);
  };
  if (isStruct(spec)) {
    if (typeof raw !== 'object' || Array.isArray(raw)) return mismatch();
    return structFields(raw as Record<string, unknown>, spec, run);
  }
  switch (spec.t) {
    case 'string':
      return typeof raw === 'string' ? raw : mismatch();
    case 'time':
      return typeof raw === 'string' ? checkTime(raw) : mismatch();
    case 'bool':
      return typeof raw === 'boolean' ? raw : mismatch();
    case 'number':
      return typeof raw === 'number' ? raw : mismatch();
    case 'duration':
      // ACLToken.UnmarshalJSON decodes ExpirationTTL as interface{}: strings and numbers are used, anything else ignored.
      return typeof raw === 'string' || typeof raw === 'number' ? raw : undefined;
    case 'map':
      return typeof raw === 'object' && !Array.isArray(raw) ? raw : mismatch();
    case 'array': {
      if (!Array.isArray(raw)) return mismatch();
      return raw.map((item) => decodeField(item, spec.of, where, run)).filter((v) => v !== undefined);
    }
    default:
      return raw;
  }
}

/** Shorthand field specs. */
export const F = {
  str: { t: 'string', go: 'string' },
  bool: { t: 'bool', go: 'bool' },
  num: (go = 'uint64'): FieldSpec => ({ t: 'number', go }),
  strs: { t: 'array', go: '[]string', of: { t: 'string', go: 'string' } },
  map: (go = 'map[string]string'): FieldSpec => ({ t: 'map', go }),
  any: { t: 'any', go: 'interface {}' },
  time: { t: 'time', go: 'time.Time' },
  list: (go: string, of: FieldSpec | StructSpec): FieldSpec => ({ t: 'array', go, of }),
} as const satisfies Record<string, FieldSpec | ((...args: never[]) => FieldSpec)>;
