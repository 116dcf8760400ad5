import { createHash } from 'node:crypto';
import { canonicalJson, canonicalKey, HTTP_METHODS, normalizeL7Permissions, type L7Permission } from './l7';
import { describePair, intentionKey, WILDCARD } from './precedence';
import { IntentionBaselineError } from './errors';

/**
 * The intention baseline: the desired set of intentions of a cluster, kept in git as JSON or YAML and compared with
 * the live mesh by the intention audit. Validated here by hand (no zod: this runs in the Lambda bundle too), with
 * one line per problem naming the field and a valid example.
 *
 * ```yaml
 * defaultPolicy: deny            # optional; only "deny" is accepted
 * intentions:
 *   - { source: web, destination: api }                 # action defaults to allow
 *   - { source: "*", destination: db, action: deny }
 *   - source: web
 *     destination: api
 *     permissions:                                      # L7; not with a "*" destination
 *       - { action: allow, http: { pathPrefix: /v1/, methods: [GET] } }
 * ```
 */

/** One desired intention. L4 (`action`) or L7 (`permissions`, canonical), never both. */
export interface BaselineIntention {
  readonly source: string;
  readonly destination: string;
  /** The cluster peer of the source. @default - a local source */
  readonly sourcePeer?: string;
  /** @default 'allow' when `permissions` is not given */
  readonly action?: 'allow' | 'deny';
  readonly permissions?: readonly L7Permission[];
}

/** A validated baseline. */
export interface IntentionBaseline {
  /** Declares the intended default; the audit checks the effective default whether or not it is set. */
  readonly defaultPolicy?: 'deny';
  readonly intentions: readonly BaselineIntention[];
}

type Loose = Readonly<Record<string, unknown>>;
type Problems = string[];

const NAME_EXAMPLE = 'a service name or "*", e.g. "web"';

function isObject(value: unknown): value is Loose {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads the known fields of an object whatever their spelling (`pathPrefix`, `PathPrefix`, `path_prefix`) and
 * reports unknown or repeated ones.
 */
function readFields(obj: Loose, known: readonly string[], at: string, problems: Problems): Map<string, unknown> {
  const byCanon = new Map(known.map((k) => [canonicalKey(k), k]));
  const out = new Map<string, unknown>();
  for (const [key, value] of Object.entries(obj)) {
    const name = byCanon.get(canonicalKey(key));
    if (name === undefined) problems.push(`${at}.${key}: unknown field; expected one of: ${known.join(', ')}`);
    else if (out.has(name)) problems.push(`${at}.${key}: given twice (as ${name} in another spelling)`);
    else out.set(name, value);
  }
  return out;
}

function checkName(value: unknown, at: string, problems: Problems, wildcard = true): string | undefined {
  if (value === undefined) return void problems.push(`${at}: is required; expected ${NAME_EXAMPLE}`);
  if (typeof value !== 'string' || value.trim() === '' || /\s/.test(value)) return void problems.push(`${at}: expected ${NAME_EXAMPLE}`);
  if (value.includes(WILDCARD) && (value !== WILDCARD || !wildcard)) {
    return void problems.push(wildcard ? `${at}: "${value}": the wildcard "*" cannot be used with partial values; expected ${NAME_EXAMPLE}` : `${at}: expected a peer name, e.g. "dc2"`);
  }
  return value;
}

function checkAction(value: unknown, at: string, problems: Problems): 'allow' | 'deny' | undefined {
  if (value === 'allow' || value === 'deny') return value;
  problems.push(`${at}: ${value === undefined ? 'is required; ' : ''}expected "allow" or "deny"`);
  return undefined;
}

/**
 * Validates a parsed JSON/YAML document as an intention baseline and returns it with L7 permissions in canonical
 * form and a default `action: allow` filled in.
 *
 * @param raw the parsed document
 * @param source where it came from, for the error (a file path, an environment variable)
 * @throws IntentionBaselineError listing every problem
 * @example
 * const baseline = parseIntentionBaseline(YAML.parse(text), 'config/intentions/prod.yaml');
 */
export function parseIntentionBaseline(raw: unknown, source = 'the intention baseline'): IntentionBaseline {
  const problems: Problems = [];
  if (!isObject(raw)) throw new IntentionBaselineError(source, ['baseline: expected an object, e.g. { intentions: [{ source: "web", destination: "api" }] }']);
  const top = readFields(raw, ['defaultPolicy', 'intentions'], 'baseline', problems);
  const defaultPolicy = top.get('defaultPolicy');
  if (defaultPolicy !== undefined && defaultPolicy !== 'deny') problems.push('baseline.defaultPolicy: expected "deny" (or leave it out); an allow default is what the audit flags');
  const list = top.get('intentions');
  const intentions: BaselineIntention[] = [];
  if (!Array.isArray(list)) {
    problems.push(`baseline.intentions: ${list === undefined ? 'is required; ' : ''}expected a list, e.g. [{ source: "web", destination: "api" }] (may be empty)`);
  } else {
    const seen = new Map<string, number>();
    list.forEach((item, i) => {
      const parsed = parseIntention(item, `intentions[${i}]`, problems);
      if (!parsed) return;
      const key = intentionKey(parsed);
      const first = seen.get(key);
      if (first !== undefined) problems.push(`intentions[${i}]: ${describePair(parsed)} is listed twice (first at intentions[${first}]); expected one entry per source and destination`);
      else seen.set(key, i);
      intentions.push(parsed);
    });
  }
  if (problems.length > 0) throw new IntentionBaselineError(source, problems);
  return { ...(defaultPolicy === 'deny' ? { defaultPolicy } : {}), intentions };
}

function parseIntention(item: unknown, at: string, problems: Problems): BaselineIntention | undefined {
  if (!isObject(item)) return void problems.push(`${at}: expected an object, e.g. { source: "web", destination: "api", action: "allow" }`);
  const before = problems.length;
  const f = readFields(item, ['source', 'destination', 'sourcePeer', 'action', 'permissions', 'description'], at, problems);
  const source = checkName(f.get('source'), `${at}.source`, problems);
  const destination = checkName(f.get('destination'), `${at}.destination`, problems);
  const peer = f.get('sourcePeer');
  const sourcePeer = peer === undefined ? undefined : checkName(peer, `${at}.sourcePeer`, problems, false);
  const action = f.has('action') ? checkAction(f.get('action'), `${at}.action`, problems) : undefined;
  if (f.has('description') && typeof f.get('description') !== 'string') problems.push(`${at}.description: expected a string`);
  const rawPermissions = f.get('permissions');
  let permissions: L7Permission[] | undefined;
  if (rawPermissions !== undefined) {
    if (f.has('action')) problems.push(`${at}.action: must be left out when permissions are given (as in Consul)`);
    if (destination === WILDCARD) problems.push(`${at}.permissions: cannot be used with a "*" destination (as in Consul)`);
    if (!Array.isArray(rawPermissions) || rawPermissions.length === 0) {
      problems.push(`${at}.permissions: expected a non-empty list, e.g. [{ action: "allow", http: { pathPrefix: "/v1/" } }]`);
    } else {
      rawPermissions.forEach((p, j) => checkPermission(p, `${at}.permissions[${j}]`, problems));
      permissions = normalizeL7Permissions(rawPermissions);
    }
  }
  if (problems.length > before || source === undefined || destination === undefined) return undefined;
  return {
    source,
    destination,
    ...(sourcePeer === undefined ? {} : { sourcePeer }),
    ...(permissions ? { permissions } : { action: action ?? 'allow' }),
  };
}

function checkPermission(raw: unknown, at: string, problems: Problems): void {
  if (!isObject(raw)) return void problems.push(`${at}: expected an object, e.g. { action: "allow", http: { pathPrefix: "/v1/" } }`);
  const f = readFields(raw, ['action', 'http', 'jwt'], at, problems);
  checkAction(f.get('action'), `${at}.action`, problems);
  const http = f.get('http');
  if (!isObject(http)) return void problems.push(`${at}.http: ${http === undefined ? 'is required; ' : ''}expected an object, e.g. { pathPrefix: "/v1/", methods: ["GET"] }`);
  const h = readFields(http, ['pathExact', 'pathPrefix', 'pathRegex', 'header', 'methods'], `${at}.http`, problems);
  for (const key of ['pathExact', 'pathPrefix'] as const) {
    const v = h.get(key);
    if (v !== undefined && (typeof v !== 'string' || !v.startsWith('/'))) problems.push(`${at}.http.${key}: expected a path starting with "/", e.g. "/v1/"`);
  }
  if (h.has('pathRegex') && typeof h.get('pathRegex') !== 'string') problems.push(`${at}.http.pathRegex: expected a regular expression string, e.g. "/v1/users/[0-9]+"`);
  if (['pathExact', 'pathPrefix', 'pathRegex'].filter((k) => h.has(k)).length > 1) problems.push(`${at}.http: expected at most one of pathExact, pathPrefix, pathRegex`);
  checkMethods(h.get('methods'), `${at}.http.methods`, problems);
  checkHeaders(h.get('header'), `${at}.http.header`, problems);
  if (h.size === 0) problems.push(`${at}.http: expected at least one condition (pathExact, pathPrefix, pathRegex, header or methods)`);
}

function checkMethods(value: unknown, at: string, problems: Problems): void {
  if (value === undefined) return;
  if (!Array.isArray(value) || value.length === 0) return void problems.push(`${at}: expected a non-empty list of HTTP methods, e.g. ["GET", "HEAD"]`);
  const seen = new Set<string>();
  value.forEach((m, k) => {
    const upper = typeof m === 'string' ? m.toUpperCase() : '';
    if (!(HTTP_METHODS as readonly string[]).includes(upper)) problems.push(`${at}[${k}]: expected one of ${HTTP_METHODS.join(', ')}`);
    else if (seen.has(upper)) problems.push(`${at}[${k}]: "${upper}" is listed twice`);
    seen.add(upper);
  });
}

function checkHeaders(value: unknown, at: string, problems: Problems): void {
  if (value === undefined) return;
  if (!Array.isArray(value)) return void problems.push(`${at}: expected a list, e.g. [{ name: "x-debug", present: true }]`);
  value.forEach((raw, k) => {
    const where = `${at}[${k}]`;
    if (!isObject(raw)) return void problems.push(`${where}: expected an object, e.g. { name: "x-debug", present: true }`);
    const f = readFields(raw, ['name', 'present', 'exact', 'prefix', 'suffix', 'regex', 'invert'], where, problems);
    const name = f.get('name');
    if (typeof name !== 'string' || name.trim() === '') problems.push(`${where}.name: is required; expected a header name, e.g. "x-debug"`);
    for (const key of ['present', 'invert'] as const) if (f.has(key) && typeof f.get(key) !== 'boolean') problems.push(`${where}.${key}: expected true or false`);
    for (const key of ['exact', 'prefix', 'suffix', 'regex'] as const) if (f.has(key) && typeof f.get(key) !== 'string') problems.push(`${where}.${key}: expected a string`);
    if (['present', 'exact', 'prefix', 'suffix', 'regex'].filter((c) => f.has(c)).length > 1) problems.push(`${where}: expected only one of present, exact, prefix, suffix, regex`);
  });
}

/** The canonical JSON of a validated baseline: what the Lambda bundle embeds and {@link baselineDigest} hashes. */
export function serializeBaseline(baseline: IntentionBaseline): string {
  return canonicalJson(baseline);
}

/** sha256 (hex) of {@link serializeBaseline}: equal for the same rules however the file was formatted. */
export function baselineDigest(baseline: IntentionBaseline): string {
  return createHash('sha256').update(serializeBaseline(baseline)).digest('hex');
}
