/**
 * Go struct schemas for the go-msgpack codec (state-bin.md §3.3): a struct is a map of its exported field names,
 * embedded structs flattened, keys sorted in Go byte order, every field present (zero values written, `c0` for nil
 * pointers, slices and maps). One schema drives both directions: {@link encodeGo} writes a JS value as Consul would,
 * {@link decodeGo} turns a generically decoded msgpack value back into plain JS (strings, Buffers for `[]byte`, RFC 3339
 * text for times) and rejects what the Go codec could not decode into the struct.
 */
import { formatGoTime, goTimeFromBinary, GoMsgpackWriter, GoTime, parseGoTime, ZERO_GO_TIME } from './go-msgpack';

/** A Go type as far as the codec cares. */
export type GoType =
  | 'string'
  | 'bytes'
  | 'bool'
  | 'int'
  | 'float64'
  | 'duration'
  | 'any'
  | GoTimeType
  | { readonly kind: 'slice'; readonly of: GoType }
  | { readonly kind: 'map'; readonly of: GoType }
  | GoStruct
  | { readonly kind: 'ptr'; readonly to: GoStruct };

/** `time.Time` (or `*time.Time` with `pointer`). */
export interface GoTimeType {
  readonly kind: 'time';
  readonly pointer: boolean;
  /** What a `Z` suffix in the stored text means: `'UTC'` (written `ff ff`) or a `Local` zone at offset 0. */
  readonly zoneForZ: number | 'UTC';
}

/** A struct: its Go name (for errors) and its fields, already sorted as the codec writes them. */
export interface GoStruct {
  readonly kind: 'struct';
  readonly name: string;
  readonly fields: readonly (readonly [string, GoType])[];
}

/** Builds a struct schema; keys are sorted in Go byte order (upper case before lower case). */
export function struct(name: string, fields: Record<string, GoType>): GoStruct {
  const sorted = Object.entries(fields).sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return { kind: 'struct', name, fields: sorted };
}

/** `[]T`. */
export const slice = (of: GoType): GoType => ({ kind: 'slice', of });
/** `map[string]T`. */
export const map = (of: GoType): GoType => ({ kind: 'map', of });
/** `*Struct`. */
export const ptr = (to: GoStruct): GoType => ({ kind: 'ptr', to });
/** `time.Time` kept in UTC by Consul (x509 validity, `time.Now().UTC()`). */
export const utcTime: GoTimeType = { kind: 'time', pointer: false, zoneForZ: 'UTC' };
/** `time.Time` stamped with `time.Now()` (location `Local`; the simulated server's local zone is UTC). */
export const localTime: GoTimeType = { kind: 'time', pointer: false, zoneForZ: 0 };
/** `*time.Time`. */
export const timePtr: GoTimeType = { kind: 'time', pointer: true, zoneForZ: 'UTC' };
/** `map[string]string`. */
export const stringMap = map('string');
/** `[]string`. */
export const strings = slice('string');

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);

/** Writes `value` as the Go type `type` (missing fields are zero values). */
export function encodeGo(w: GoMsgpackWriter, type: GoType, value: unknown): void {
  if (typeof type === 'string') return encodeScalar(w, type, value);
  switch (type.kind) {
    case 'time':
      if (value === undefined || value === null) return void (type.pointer ? w.nil() : w.time(ZERO_GO_TIME));
      return void w.time(typeof value === 'string' ? parseGoTime(value, type.zoneForZ) : (value as GoTime));
    case 'slice':
      if (!Array.isArray(value)) return void w.nil();
      w.arrayHeader(value.length);
      return value.forEach((item) => encodeGo(w, type.of, item));
    case 'map': {
      if (!isObj(value)) return void w.nil();
      const entries = Object.entries(value).filter(([, v]) => v !== undefined);
      w.mapHeader(entries.length);
      // Go writes maps in random order; sorted is one of those orders and keeps output reproducible.
      return entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).forEach(([k, v]) => encodeGo(w.str(k), type.of, v));
    }
    case 'ptr':
      return value === undefined || value === null ? void w.nil() : encodeGo(w, type.to, value);
    case 'struct': {
      const obj = isObj(value) ? value : {};
      w.mapHeader(type.fields.length);
      for (const [name, fieldType] of type.fields) encodeGo(w.str(name), fieldType, obj[name]);
    }
  }
}

function encodeScalar(w: GoMsgpackWriter, type: Exclude<GoType, object>, value: unknown): void {
  switch (type) {
    case 'string':
      return void w.str(typeof value === 'string' ? value : '');
    case 'bytes':
      return void (value instanceof Uint8Array ? w.str(value) : w.nil());
    case 'bool':
      return void w.bool(value === true);
    case 'int':
    case 'duration':
      return void w.int(typeof value === 'number' || typeof value === 'bigint' ? value : 0);
    case 'float64':
      return void w.float64(typeof value === 'number' ? value : 0);
    case 'any':
      return encodeAny(w, value);
  }
}

/** An `interface{}` value: written by its dynamic type. */
export function encodeAny(w: GoMsgpackWriter, value: unknown): void {
  if (value === undefined || value === null) w.nil();
  else if (typeof value === 'string' || value instanceof Uint8Array) w.str(value);
  else if (typeof value === 'boolean') w.bool(value);
  else if (typeof value === 'bigint') w.int(value);
  else if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) w.int(value);
    else w.float64(value);
  } else if (Array.isArray(value)) {
    w.arrayHeader(value.length);
    value.forEach((v) => encodeAny(w, v));
  } else encodeGo(w, map('any'), value);
}

/** A decode failure (the Go codec's decoder would reject the value). */
export class GoDecodeTypeError extends Error {}

const describe = (v: unknown): string => (v === null ? 'nil' : v instanceof Uint8Array ? 'raw bytes' : Array.isArray(v) ? 'array' : typeof v);

/**
 * Converts a generically decoded msgpack value (maps as objects, str as Uint8Array) into the JS form of `type`:
 * `string` → text, `bytes` → Buffer (null for nil), times → RFC 3339 text (`undefined` for a nil pointer), nil
 * slices/maps/pointers → `null`. Unknown struct keys are ignored and missing ones get zero values, as in Go.
 */
export function decodeGo(type: GoType, value: unknown, where = 'value'): unknown {
  const fail = (): never => {
    throw new GoDecodeTypeError(`cannot decode ${describe(value)} into ${typeName(type)} (${where})`);
  };
  if (typeof type === 'string') return decodeScalar(type, value, fail);
  switch (type.kind) {
    case 'time':
      if (value === null || value === undefined) return type.pointer ? undefined : formatGoTime(ZERO_GO_TIME);
      if (!(value instanceof Uint8Array)) return fail();
      try {
        return formatGoTime(goTimeFromBinary(value));
      } catch (err) {
        throw new GoDecodeTypeError(`${(err as Error).message} (${where})`);
      }
    case 'slice':
      if (value === null || value === undefined) return null;
      return Array.isArray(value) ? value.map((v, i) => decodeGo(type.of, v, `${where}[${i}]`)) : fail();
    case 'map':
      if (value === null || value === undefined) return null;
      if (!isObj(value)) return fail();
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decodeGo(type.of, v, `${where}.${k}`)]));
    case 'ptr':
      return value === null || value === undefined ? null : decodeGo(type.to, value, where);
    case 'struct': {
      if (value === null || value === undefined) return decodeGo(type, {}, where);
      if (!isObj(value)) return fail();
      const out: Obj = {};
      for (const [name, fieldType] of type.fields) out[name] = decodeGo(fieldType, value[name], `${where}.${name}`);
      return out;
    }
  }
}

function decodeScalar(type: Exclude<GoType, object>, value: unknown, fail: () => never): unknown {
  const nil = value === null || value === undefined;
  switch (type) {
    case 'string':
      return nil ? '' : value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : fail();
    case 'bytes':
      return nil ? null : value instanceof Uint8Array ? Buffer.from(value) : fail();
    case 'bool':
      return nil ? false : typeof value === 'boolean' ? value : fail();
    case 'int':
    case 'duration':
      return nil ? 0 : typeof value === 'number' && Number.isInteger(value) ? value : typeof value === 'bigint' ? value : fail();
    case 'float64':
      return nil ? 0 : typeof value === 'number' ? value : fail();
    case 'any':
      return decodeAny(value);
  }
}

/** An `interface{}` as `RawToString` decodes it: str → string, maps → objects. */
export function decodeAny(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (Array.isArray(value)) return value.map(decodeAny);
  if (isObj(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decodeAny(v)]));
  return value;
}

function typeName(type: GoType): string {
  if (typeof type === 'string') return type;
  if (type.kind === 'struct') return type.name;
  if (type.kind === 'ptr') return `*${type.to.name}`;
  if (type.kind === 'time') return type.pointer ? '*time.Time' : 'time.Time';
  return `${type.kind === 'slice' ? '[]' : 'map[string]'}${typeName(type.of)}`;
}
