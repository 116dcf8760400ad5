/**
 * What a replacement token must keep from the token it replaces: every link (compared by {@link diffTokenLinks}) and,
 * for an expiring token, the same lifetime within Consul's limits ({@link planTokenLifetime}). Pure.
 */
import type { ConsulTokenInfo, TemplatedPolicyLink, TokenLink, TokenLinks } from './ports';

/**
 * Consul's default bounds for a token's lifetime (`acl.token_min_expiration_ttl` 1m, `acl.token_max_expiration_ttl`
 * 24h): a create outside them fails with `ExpirationTime cannot be less than 1m0s in the future` / `more than 24h0m0s`
 * (`agent/consul/acl_token_writer.go`, consul-api.md §2.3).
 */
export const CONSUL_TOKEN_LIFETIME_BOUNDS = { minMs: 60_000, maxMs: 24 * 3_600_000 } as const;

/** How the replacement of an expiring token is made to expire. */
export interface TokenLifetimePlan {
  /** The lifetime the new token gets (sent as `ExpirationTTL`), in whole seconds. */
  readonly ttlMs: number;
  /** The replaced token's own lifetime. */
  readonly sourceMs: number;
  /** Set when the source lifetime was outside Consul's default bounds and was moved to the nearest bound. */
  readonly adjusted?: 'raised-to-minimum' | 'cut-to-maximum';
}

/**
 * The lifetime for the replacement of `source`: its own (ExpirationTime − CreateTime), moved into Consul's default
 * bounds when outside them (possible only on servers whose limits were changed), rounded to whole seconds.
 * `undefined` for a token that never expires.
 *
 * @example
 * planTokenLifetime({ createTime: '2026-05-01T10:00:00Z', expirationTime: '2026-05-01T18:00:00Z' }); // { ttlMs: 28_800_000, sourceMs: 28_800_000 }
 */
export function planTokenLifetime(source: Pick<ConsulTokenInfo, 'createTime' | 'expirationTime'>): TokenLifetimePlan | undefined {
  if (source.expirationTime === undefined) return undefined;
  const created = source.createTime === undefined ? Number.NaN : Date.parse(source.createTime);
  const expires = Date.parse(source.expirationTime);
  // A token without a usable CreateTime (Go's zero time) gets the longest lifetime Consul allows.
  const sourceMs = Number.isNaN(created) || created <= 0 ? CONSUL_TOKEN_LIFETIME_BOUNDS.maxMs : expires - created;
  const { minMs, maxMs } = CONSUL_TOKEN_LIFETIME_BOUNDS;
  const rounded = Math.round(sourceMs / 1000) * 1000;
  if (rounded < minMs) return { ttlMs: minMs, sourceMs, adjusted: 'raised-to-minimum' };
  if (rounded > maxMs) return { ttlMs: maxMs, sourceMs, adjusted: 'cut-to-maximum' };
  return { ttlMs: rounded, sourceMs };
}

/** The lifetime Consul gave a token (ExpirationTime − CreateTime), or `undefined` when it never expires. */
export function tokenLifetimeMs(token: Pick<ConsulTokenInfo, 'createTime' | 'expirationTime'>): number | undefined {
  if (token.expirationTime === undefined || token.createTime === undefined) return undefined;
  return Date.parse(token.expirationTime) - Date.parse(token.createTime);
}

/**
 * The differences in lifetime between a replaced token and its replacement, one line each; empty when the
 * replacement expires as planned (to the second) or neither expires.
 */
export function diffTokenLifetime(source: Pick<ConsulTokenInfo, 'createTime' | 'expirationTime'>, replacement: Pick<ConsulTokenInfo, 'createTime' | 'expirationTime'>): string[] {
  const plan = planTokenLifetime(source);
  const actual = tokenLifetimeMs(replacement);
  if (plan === undefined) return replacement.expirationTime === undefined ? [] : [`expiration: expected none, got ${replacement.expirationTime}`];
  if (replacement.expirationTime === undefined) return [`expiration: expected a lifetime of ${seconds(plan.ttlMs)}, got none`];
  if (actual === undefined || Math.abs(actual - plan.ttlMs) > 1_000) return [`expiration: expected a lifetime of ${seconds(plan.ttlMs)}, got ${actual === undefined ? 'unknown' : seconds(actual)}`];
  return [];
}

/**
 * The differences between two tokens' links, one line each (IDs and names only, nothing secret); empty when they
 * grant the same. Order does not matter.
 *
 * @example
 * diffTokenLinks(current.links, pending.links); // ['policies: missing 1a2b… (web-read)']
 */
export function diffTokenLinks(expected: TokenLinks, actual: TokenLinks): string[] {
  const diffs: string[] = [];
  // Keys are compared; labels (with names) are only shown.
  const compare = (what: string, want: ReadonlyMap<string, string>, got: ReadonlyMap<string, string>) => {
    const missing = [...want].filter(([k]) => !got.has(k)).map(([, label]) => label);
    const extra = [...got].filter(([k]) => !want.has(k)).map(([, label]) => label);
    if (missing.length > 0) diffs.push(`${what}: missing ${missing.join(', ')}`);
    if (extra.length > 0) diffs.push(`${what}: unexpected ${extra.join(', ')}`);
  };
  const links = (list: readonly TokenLink[]) => new Map(list.map((l) => [l.id, l.name ? `${l.id} (${l.name})` : l.id]));
  const keyed = <T>(list: readonly T[], key: (item: T) => string) => new Map(list.map((item) => [key(item), key(item)]));
  const dcs = (list: readonly string[] | undefined) => (list?.length ? `@${[...list].sort().join('+')}` : '');
  const service = (s: TokenLinks['serviceIdentities'][number]) => `${s.serviceName}${dcs(s.datacenters)}`;
  const node = (n: TokenLinks['nodeIdentities'][number]) => `${n.nodeName}@${n.datacenter}`;
  const templated = (t: TemplatedPolicyLink) => `${t.templateName}${t.name === undefined ? '' : `(${t.name})`}${dcs(t.datacenters)}`;
  compare('policies', links(expected.policies), links(actual.policies));
  compare('roles', links(expected.roles), links(actual.roles));
  compare('service identities', keyed(expected.serviceIdentities, service), keyed(actual.serviceIdentities, service));
  compare('node identities', keyed(expected.nodeIdentities, node), keyed(actual.nodeIdentities, node));
  compare('templated policies', keyed(expected.templatedPolicies, templated), keyed(actual.templatedPolicies, templated));
  if (expected.local !== actual.local) diffs.push(`local: expected ${expected.local}, got ${actual.local}`);
  return diffs;
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}
