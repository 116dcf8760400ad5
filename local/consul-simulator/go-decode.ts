/**
 * Decoding request bodies like Go's `encoding/json` into a struct: field names match case-insensitively, unknown
 * fields are ignored, and type mismatches produce Go's `json: cannot unmarshal …` messages.
 */
import { parseGoJson as scanGoJson } from '../../functions/core/snapshot-archive';

/** A field's expected JSON shape and its Go type name (for error texts). */
export type FieldSpec =
  | { readonly t: 'string' | 'bool' | 'number' | 'any' | 'duration' | 'time'; readonly go: string }
  | { readonly t: 'array'; readonly go: string; readonly of: FieldSpec | StructSpec }
  | { readonly t: 'map'; readonly go: string };

/** A Go struct: its qualified name and fields. */
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

/** Decodes `value` into a plain object holding only the struct's fields, under their canonical names. */
export function decodeStruct(value: unknown, spec: StructSpec, goValueType = spec.struct): Record<string, unknown> {
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new GoDecodeError(`json: cannot unmarshal ${jsonType(value)} into Go value of type ${goValueType}`);
  }
  const byLower = new Map(Object.keys(spec.fields).map((k) => [k.toLowerCase(), k]));
  const out: Record<string, unknown> = {};
  for (const [rawKey, raw] of Object.entries(value as Record<string, unknown>)) {
    const key = byLower.get(rawKey.toLowerCase());
    if (key === undefined) continue;
    out[key] = decodeField(raw, spec.fields[key], `${spec.struct}.${key}`);
  }
  return out;
}

function decodeField(raw: unknown, spec: FieldSpec | StructSpec, where: string): unknown {
  if (raw === null) return undefined;
  const fail = (): never => {
    const go = isStruct(spec) ? spec.struct : spec.go;
    throw new GoDecodeError(`json: cannot unmarshal ${jsonType(raw)} into Go struct field ${where} of type ${go}`);
  };
  if (isStruct(spec)) {
    if (typeof raw !== 'object' || Array.isArray(raw)) fail();
    return decodeStruct(raw, spec);
  }
  switch (spec.t) {
    case 'string':
    case 'time':
      return typeof raw === 'string' ? raw : fail();
    case 'bool':
      return typeof raw === 'boolean' ? raw : fail();
    case 'number':
      return typeof raw === 'number' ? raw : fail();
    case 'duration':
      return typeof raw === 'string' || typeof raw === 'number' ? raw : fail();
    case 'map':
      return typeof raw === 'object' && !Array.isArray(raw) ? raw : fail();
    case 'array': {
      if (!Array.isArray(raw)) return fail();
      const of = spec.of;
      return raw.map((item) => (isStruct(of) ? decodeField(item, of, where) : decodeField(item, of, where)));
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
} as const satisfies Record<string, FieldSpec | ((go?: string) => FieldSpec)>;
