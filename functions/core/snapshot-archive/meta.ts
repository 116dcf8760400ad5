import { parseGoJson, type GoJsonValue } from './go-json';


/** One raft server in the snapshot's configuration. Suffrage: 0 voter, 1 nonvoter, 2 staging. */
export interface SnapshotServer {
  Suffrage: number;
  ID: string;
  Address: string;
}

/**
 * hashicorp/raft `SnapshotMeta`, as in meta.json. uint64 fields beyond 2^53 lose precision (none do in practice).
 * `Peers` is base64, '' when absent (JSON null).
 */
export interface SnapshotMeta {
  Version: number;
  ID: string;
  Index: number;
  Term: number;
  Peers: string;
  Configuration: { Servers: SnapshotServer[] };
  ConfigurationIndex: number;
  /** Byte length of state.bin. */
  Size: number;
}

/**
 * meta.json as Go sees it: `json.Unmarshal` into hashicorp/raft's `SnapshotMeta` (field matching, type errors and
 * their texts), and `json.NewEncoder(w).Encode(meta)` for writing (compact, HTML-escaped, trailing newline).
 */

type GoType =
  | { readonly kind: 'int' | 'uint'; readonly name: string; readonly max: bigint; readonly min: bigint }
  | { readonly kind: 'string'; readonly name: string }
  | { readonly kind: 'bytes'; readonly name: '[]uint8' }
  | { readonly kind: 'slice'; readonly name: string; readonly elem: GoType }
  | { readonly kind: 'struct'; readonly name: string; readonly short: string; readonly fields: Readonly<Record<string, GoType>> };

const int = (name: string): GoType => ({ kind: 'int', name, min: -(2n ** 63n), max: 2n ** 63n - 1n });
const uint = (name: string, bits: bigint): GoType => ({ kind: 'uint', name, min: 0n, max: 2n ** bits - 1n });
const SERVER: GoType = {
  kind: 'struct',
  name: 'raft.Server',
  short: 'Server',
  fields: { Suffrage: int('raft.ServerSuffrage'), ID: { kind: 'string', name: 'raft.ServerID' }, Address: { kind: 'string', name: 'raft.ServerAddress' } },
};
const META: GoType = {
  kind: 'struct',
  name: 'raft.SnapshotMeta',
  short: 'SnapshotMeta',
  fields: {
    Version: int('raft.SnapshotVersion'),
    ID: { kind: 'string', name: 'string' },
    Index: uint('uint64', 64n),
    Term: uint('uint64', 64n),
    Peers: { kind: 'bytes', name: '[]uint8' },
    Configuration: {
      kind: 'struct',
      name: 'raft.Configuration',
      short: 'Configuration',
      fields: { Servers: { kind: 'slice', name: '[]raft.Server', elem: SERVER } },
    },
    ConfigurationIndex: uint('uint64', 64n),
    Size: int('int64'),
  },
};
const UINT8 = uint('uint8', 8n);

/** Go's error context: the innermost struct being filled and the path of field names. */
interface Context {
  readonly struct?: string;
  readonly fields: readonly string[];
}

type Decoded = bigint | string | Buffer | null | Decoded[] | { [field: string]: Decoded };

/** Decodes meta.json bytes; throws an Error whose message is Go's `json.Unmarshal` error text. */
export function decodeSnapshotMeta(data: Uint8Array): SnapshotMeta {
  const value = parseGoJson(data);
  const errors: string[] = [];
  const decoded = decodeInto(zeroValue(META), value, META, { fields: [] }, errors) as Record<string, Decoded>;
  if (errors.length > 0) throw new Error(errors[0]);
  const config = decoded.Configuration as Record<string, Decoded>;
  const servers = (config.Servers ?? []) as Array<Record<string, Decoded>>;
  return {
    Version: Number(decoded.Version),
    ID: decoded.ID as string,
    Index: Number(decoded.Index),
    Term: Number(decoded.Term),
    Peers: decoded.Peers === null ? '' : (decoded.Peers as Buffer).toString('base64'),
    Configuration: {
      Servers: servers.map((s) => ({ Suffrage: Number(s.Suffrage), ID: s.ID as string, Address: s.Address as string })),
    },
    ConfigurationIndex: Number(decoded.ConfigurationIndex),
    Size: Number(decoded.Size),
  };
}

/** A zero value of a Go type (nil slices are null). */
function zeroValue(type: GoType): Decoded {
  if (type.kind === 'int' || type.kind === 'uint') return 0n;
  if (type.kind === 'string') return '';
  if (type.kind !== 'struct') return null;
  return Object.fromEntries(Object.entries(type.fields).map(([name, t]) => [name, zeroValue(t)]));
}

/** Go's `decodeState.value` into an existing value; type errors go to `errors` (Go keeps the first). */
function decodeInto(target: Decoded, value: GoJsonValue, type: GoType, ctx: Context, errors: string[]): Decoded {
  const mismatch = (what: string): Decoded => {
    errors.push(typeError(what, type, ctx));
    return target;
  };
  switch (value.kind) {
    case 'null':
      return type.kind === 'slice' || type.kind === 'bytes' ? null : target;
    case 'bool':
      return mismatch('bool');
    case 'string':
      if (type.kind === 'string') return value.value;
      if (type.kind !== 'bytes') return mismatch('string');
      return decodeBase64(value.value, errors) ?? target;
    case 'number':
      if (type.kind !== 'int' && type.kind !== 'uint') return mismatch('number');
      return parseInteger(value.raw, type) ?? mismatch(`number ${value.raw}`);
    case 'array': {
      if (type.kind !== 'slice' && type.kind !== 'bytes') return mismatch('array');
      const elem = type.kind === 'slice' ? type.elem : UINT8;
      const old = Array.isArray(target) ? target : target instanceof Buffer ? [...target].map(BigInt) : [];
      const items = value.items.map((item, i) => decodeInto(old[i] ?? zeroValue(elem), item, elem, ctx, errors));
      return type.kind === 'bytes' ? Buffer.from(items.map((b) => Number(b))) : items;
    }
    case 'object': {
      if (type.kind !== 'struct') return mismatch('object');
      const out = { ...(target as Record<string, Decoded>) };
      for (const [key, member] of value.entries) {
        const field = findField(type, key);
        if (field === undefined) continue;
        const inner = { struct: type.short, fields: [...ctx.fields, field] };
        out[field] = decodeInto(out[field], member, type.fields[field], inner, errors);
      }
      return out;
    }
  }
}

/** Exact name first, then case-insensitive, as Go matches JSON keys to struct fields. */
function findField(type: GoType & { kind: 'struct' }, key: string): string | undefined {
  const names = Object.keys(type.fields);
  return names.find((n) => n === key) ?? names.find((n) => n.toLowerCase() === key.toLowerCase());
}

function parseInteger(raw: string, type: GoType & { kind: 'int' | 'uint' }): bigint | undefined {
  if (!(type.kind === 'int' ? /^-?[0-9]+$/ : /^[0-9]+$/).test(raw)) return undefined;
  const n = BigInt(raw);
  return n < type.min || n > type.max ? undefined : n;
}

function typeError(what: string, type: GoType, ctx: Context): string {
  if (ctx.struct === undefined && ctx.fields.length === 0) return `json: cannot unmarshal ${what} into Go value of type ${type.name}`;
  return `json: cannot unmarshal ${what} into Go struct field ${ctx.struct ?? ''}.${ctx.fields.join('.')} of type ${type.name}`;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Go's `base64.StdEncoding.Decode` (newlines skipped, padding required), with its `CorruptInputError` offsets. */
function decodeBase64(text: string, errors: string[]): Buffer | undefined {
  const src = Buffer.from(text, 'utf8');
  const out: number[] = [];
  const corrupt = (at: number): undefined => {
    errors.push(`illegal base64 data at input byte ${at}`);
    return undefined;
  };
  const skipNewlines = (k: number): number => {
    while (k < src.length && (src[k] === 0x0a || src[k] === 0x0d)) k++;
    return k;
  };
  let si = 0;
  while (si < src.length) {
    const quantum: number[] = [];
    while (quantum.length < 4) {
      if (si === src.length) {
        if (quantum.length === 0) return Buffer.from(out);
        return corrupt(si - quantum.length);
      }
      const c = src[si++];
      const v = BASE64.indexOf(String.fromCharCode(c));
      if (v >= 0 && c < 0x80) {
        quantum.push(v);
        continue;
      }
      if (c === 0x0a || c === 0x0d) continue;
      if (c !== 0x3d || quantum.length < 2) return corrupt(si - 1);
      if (quantum.length === 2) {
        si = skipNewlines(si);
        if (si === src.length) return corrupt(src.length);
        if (src[si] !== 0x3d) return corrupt(si - 1);
        si++;
      }
      si = skipNewlines(si);
      if (si < src.length) return corrupt(si);
      break;
    }
    const [a, b, c = 0, d = 0] = quantum;
    const bits = (a << 18) | (b << 12) | (c << 6) | d;
    out.push(...[(bits >> 16) & 0xff, (bits >> 8) & 0xff, bits & 0xff].slice(0, quantum.length - 1));
  }
  return Buffer.from(out);
}

/** meta.json bytes exactly as Go's `json.Encoder` writes raft's `SnapshotMeta` (field order, escaping, `\n`). */
export function encodeSnapshotMeta(meta: SnapshotMeta): Buffer {
  const servers = meta.Configuration.Servers.map(
    (s) => `{"Suffrage":${s.Suffrage},"ID":${goJsonString(s.ID)},"Address":${goJsonString(s.Address)}}`,
  );
  const peers = meta.Peers === '' ? 'null' : goJsonString(Buffer.from(meta.Peers, 'base64').toString('base64'));
  const json =
    `{"Version":${meta.Version},"ID":${goJsonString(meta.ID)},"Index":${meta.Index},"Term":${meta.Term},` +
    `"Peers":${peers},"Configuration":{"Servers":[${servers.join(',')}]},` +
    `"ConfigurationIndex":${meta.ConfigurationIndex},"Size":${meta.Size}}\n`;
  return Buffer.from(json, 'utf8');
}

/** Go's JSON string encoding with HTML escaping (the `json.Encoder` default). */
function goJsonString(text: string): string {
  const named: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0) as number;
    if (named[ch] !== undefined) out += named[ch];
    else if (code < 0x20 || ch === '<' || ch === '>' || ch === '&' || code === 0x2028 || code === 0x2029) {
      out += `\\u${code.toString(16).padStart(4, '0')}`;
    } else if (code >= 0xd800 && code <= 0xdfff) out += '\\ufffd'; // a lone surrogate is invalid UTF-8 for Go
    else out += ch;
  }
  return `${out}"`;
}
