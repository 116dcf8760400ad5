/**
 * L7 (HTTP) intention permissions in one canonical form, so that two spellings of the same rule compare equal and
 * cause no false drift: method case and order, header order and name case, `false`/empty fields Consul omits
 * anyway, and path forms that match every request (`PathPrefix: "/"`, `PathRegex: ".*"`). The order of the
 * permissions themselves is kept: the first matching permission is terminal, so order is meaning.
 */

/** One header condition of an L7 permission, canonical (name lower-case, only conditions that constrain). */
export interface L7HeaderMatch {
  readonly Name: string;
  readonly Present?: true;
  readonly Exact?: string;
  readonly Prefix?: string;
  readonly Suffix?: string;
  readonly Regex?: string;
  readonly Invert?: true;
}

/** The HTTP conditions of an L7 permission, canonical. An empty object matches every request. */
export interface L7HttpMatch {
  readonly PathExact?: string;
  readonly PathPrefix?: string;
  readonly PathRegex?: string;
  readonly Header?: readonly L7HeaderMatch[];
  /** Upper-case, sorted, unique; absent when every method is allowed. */
  readonly Methods?: readonly string[];
}

/** One canonical L7 permission (`IntentionPermission`). */
export interface L7Permission {
  readonly Action: 'allow' | 'deny';
  readonly HTTP?: L7HttpMatch;
  /** JWT conditions, compared as canonical JSON. */
  readonly JWT?: unknown;
}

/** The methods Consul accepts (`Methods contains an invalid method`). */
export const HTTP_METHODS = ['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE'] as const;

/** Path regexes that match every path (Envoy matches the whole path, which always starts with `/`). */
const MATCH_ALL_REGEXES = new Set(['.*', '/.*', '^.*$', '^/.*$']);

type Loose = Readonly<Record<string, unknown>>;

/** `Path_Prefix`, `pathPrefix`, `PathPrefix` → `pathprefix`: Consul decodes config keys this loosely too. */
export function canonicalKey(key: string): string {
  return key.replace(/_/g, '').toLowerCase();
}

/** A field of a loosely keyed object (any case, snake_case or camelCase). */
export function looseField(obj: Loose, name: string): unknown {
  const want = canonicalKey(name);
  for (const key of Object.keys(obj)) if (canonicalKey(key) === want) return obj[key];
  return undefined;
}

function isObject(value: unknown): value is Loose {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Brings L7 permissions (Consul's PascalCase wire form, or a baseline's camelCase/snake_case form) into the
 * canonical form. Input must be structurally valid (Consul validated it, or `parseIntentionBaseline` did).
 *
 * @example
 * normalizeL7Permissions([{ action: 'allow', http: { methods: ['post', 'get'], pathPrefix: '/' } }]);
 * // [{ Action: 'allow', HTTP: { Methods: ['GET', 'POST'] } }]
 */
export function normalizeL7Permissions(permissions: readonly unknown[]): L7Permission[] {
  return permissions.map((raw) => {
    const p = isObject(raw) ? raw : {};
    const action = String(looseField(p, 'Action') ?? '').toLowerCase() === 'allow' ? 'allow' : 'deny';
    const http = looseField(p, 'HTTP');
    const jwt = looseField(p, 'JWT');
    return {
      Action: action,
      ...(isObject(http) ? { HTTP: normalizeHttp(http) } : {}),
      ...(jwt === undefined || jwt === null ? {} : { JWT: JSON.parse(canonicalJson(jwt)) as unknown }),
    };
  });
}

function normalizeHttp(http: Loose): L7HttpMatch {
  const exact = nonEmptyString(looseField(http, 'PathExact'));
  const prefix = nonEmptyString(looseField(http, 'PathPrefix'));
  const regex = nonEmptyString(looseField(http, 'PathRegex'));
  const methods = normalizeMethods(looseField(http, 'Methods'));
  const headers = normalizeHeaders(looseField(http, 'Header'));
  return {
    ...(exact === undefined ? {} : { PathExact: exact }),
    // Every path starts with "/": a "/" prefix or a match-everything regex constrains nothing.
    ...(prefix === undefined || prefix === '/' ? {} : { PathPrefix: prefix }),
    ...(regex === undefined || MATCH_ALL_REGEXES.has(regex) ? {} : { PathRegex: regex }),
    ...(headers.length === 0 ? {} : { Header: headers }),
    ...(methods === undefined ? {} : { Methods: methods }),
  };
}

function normalizeMethods(raw: unknown): string[] | undefined {
  if (!Array.isArray(raw) || raw.length === 0) return undefined;
  const methods = [...new Set(raw.map((m) => String(m).trim().toUpperCase()))].sort();
  // Listing every method is the same as listing none.
  return HTTP_METHODS.every((m) => methods.includes(m)) ? undefined : methods;
}

function normalizeHeaders(raw: unknown): L7HeaderMatch[] {
  if (!Array.isArray(raw)) return [];
  const headers = raw.filter(isObject).map((h): L7HeaderMatch => {
    const text = (name: string) => nonEmptyString(looseField(h, name));
    const out: Record<string, unknown> = { Name: String(looseField(h, 'Name') ?? '').toLowerCase() };
    if (looseField(h, 'Present') === true) out.Present = true;
    for (const key of ['Exact', 'Prefix', 'Suffix', 'Regex'] as const) {
      const v = text(key);
      if (v !== undefined) out[key] = v;
    }
    if (looseField(h, 'Invert') === true) out.Invert = true;
    return out as unknown as L7HeaderMatch;
  });
  // All header conditions must hold, so their order carries no meaning; identical ones collapse.
  const byJson = new Map(headers.map((h) => [canonicalJson(h), h]));
  return [...byJson.keys()].sort().map((k) => byJson.get(k)!);
}

/** The canonical JSON of (already normalised) permissions: equal strings mean equal rules. */
export function l7Digest(permissions: readonly unknown[]): string {
  return canonicalJson(permissions);
}

/**
 * A short, human reading of permissions for finding messages, e.g.
 * `allow GET,POST prefix /v1/ header x-debug present; deny (any request)`.
 */
export function describeL7(permissions: readonly L7Permission[]): string {
  return permissions
    .map((p) => {
      const h = p.HTTP ?? {};
      const parts = [
        h.Methods?.join(','),
        h.PathExact && `path ${h.PathExact}`,
        h.PathPrefix && `prefix ${h.PathPrefix}`,
        h.PathRegex && `regex ${h.PathRegex}`,
        ...(h.Header ?? []).map((x) => `header ${x.Invert ? 'not ' : ''}${x.Name} ${x.Present ? 'present' : x.Exact !== undefined ? `= ${x.Exact}` : x.Prefix !== undefined ? `^= ${x.Prefix}` : x.Suffix !== undefined ? `$= ${x.Suffix}` : `~ ${x.Regex ?? ''}`}`),
        p.JWT === undefined ? undefined : 'jwt',
      ].filter((s): s is string => !!s);
      return `${p.Action} ${parts.length === 0 ? '(any request)' : parts.join(' ')}`;
    })
    .join('; ');
}

/** JSON with object keys sorted at every level and `undefined` members left out: a stable text for hashing. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const members = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`);
  return `{${members.join(',')}}`;
}
