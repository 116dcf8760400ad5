/**
 * `service-intentions` config entries (consul-api.md §3): normalize (Type `consul`, upper-case methods, CE
 * precedence 9/8/6/5, sources sorted by precedence, stable), validate with Consul's texts, flatten to the legacy
 * intention form and evaluate `intentions/check`.
 */
import { rpcError } from './http-errors';
import { ConfigEntryBody, ConfigEntryRecord } from './store';

/** A normalized source intention (`structs.SourceIntention`, CE fields). */
export interface SourceIntention {
  Name: string;
  Peer?: string;
  SamenessGroup?: string;
  Action?: 'allow' | 'deny';
  Permissions?: IntentionPermission[];
  Precedence: number;
  Type: string;
  Description?: string;
  LegacyID?: string;
  LegacyMeta?: Record<string, string>;
}

/** An L7 permission (`structs.IntentionPermission`). */
export interface IntentionPermission {
  Action: string;
  HTTP?: {
    PathExact?: string;
    PathPrefix?: string;
    PathRegex?: string;
    Header?: Record<string, unknown>[];
    Methods?: string[];
  };
}

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE']);

/** Case-insensitive field read, as Go/mapstructure decoding does. */
export function field(obj: Record<string, unknown>, name: string): unknown {
  const key = Object.keys(obj).find((k) => k.toLowerCase() === name.toLowerCase() || k.replace(/_/g, '').toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : obj[key];
}

function wildcardError(name: string): string | undefined {
  return name.includes('*') && name !== '*' ? "Name: wildcard character '*' cannot be used with partial values" : undefined;
}

/** CE precedence: destination exact → 9, `*` → 6; minus one for a `*` source. */
export function intentionPrecedence(source: string, destination: string): number {
  return (destination === '*' ? 6 : 9) - (source === '*' ? 1 : 0);
}

/** Normalizes and validates a `service-intentions` entry; throws Consul's 500 validation texts. */
export function normalizeServiceIntentions(raw: Record<string, unknown>): ConfigEntryBody {
  const name = (field(raw, 'Name') as string | undefined) ?? '';
  const rawSources = (field(raw, 'Sources') as Record<string, unknown>[] | undefined) ?? [];
  const meta = field(raw, 'Meta') as Record<string, string> | undefined;
  const sources: SourceIntention[] = rawSources.map((s) => normalizeSource(s, name));
  if (name === '') throw rpcError('Name is required');
  const destError = wildcardError(name);
  if (destError) throw rpcError(destError);
  if (sources.length === 0) throw rpcError('At least one source is required');
  const seen = new Set<string>();
  sources.forEach((src, i) => validateSource(src, i, name === '*', seen));
  const sorted = sources.map((s, i) => ({ s, i })).sort((a, b) => b.s.Precedence - a.s.Precedence || a.i - b.i);
  return {
    Kind: 'service-intentions',
    Name: name,
    Sources: sorted.map((x) => x.s),
    ...(meta && Object.keys(meta).length ? { Meta: meta } : {}),
  };
}

function normalizeSource(raw: Record<string, unknown>, destination: string): SourceIntention {
  const name = (field(raw, 'Name') as string | undefined) ?? '';
  const perms = field(raw, 'Permissions') as Record<string, unknown>[] | undefined;
  const src: SourceIntention = {
    Name: name,
    Precedence: intentionPrecedence(name, destination),
    Type: ((field(raw, 'Type') as string | undefined) ?? '') || 'consul',
  };
  const action = field(raw, 'Action') as string | undefined;
  if (action) src.Action = action as 'allow' | 'deny';
  if (perms && perms.length) src.Permissions = perms.map(normalizePermission);
  for (const key of ['Peer', 'SamenessGroup', 'Description', 'LegacyID'] as const) {
    const v = field(raw, key) as string | undefined;
    if (v) src[key] = v;
  }
  const legacyMeta = field(raw, 'LegacyMeta') as Record<string, string> | undefined;
  if (legacyMeta) src.LegacyMeta = legacyMeta;
  // Keep an order matching the Go struct: Name, Peer, SamenessGroup, Action, Permissions, Precedence, Type, …
  const ordered = { Name: src.Name } as SourceIntention;
  for (const k of ['Peer', 'SamenessGroup', 'Action', 'Permissions', 'Precedence', 'Type', 'Description', 'LegacyID', 'LegacyMeta'] as const) {
    if (src[k] !== undefined) (ordered as unknown as Record<string, unknown>)[k] = src[k];
  }
  return ordered;
}

function normalizePermission(raw: Record<string, unknown>): IntentionPermission {
  const perm: IntentionPermission = { Action: (field(raw, 'Action') as string | undefined) ?? '' };
  const http = field(raw, 'HTTP') as Record<string, unknown> | undefined;
  if (http) {
    const out: NonNullable<IntentionPermission['HTTP']> = {};
    for (const k of ['PathExact', 'PathPrefix', 'PathRegex'] as const) {
      const v = field(http, k) as string | undefined;
      if (v) out[k] = v;
    }
    const header = field(http, 'Header') as Record<string, unknown>[] | undefined;
    if (header && header.length) out.Header = header;
    const methods = field(http, 'Methods') as string[] | undefined;
    if (methods && methods.length) out.Methods = methods.map((m) => m.toUpperCase());
    perm.HTTP = out;
  }
  return perm;
}

function validateSource(src: SourceIntention, i: number, destIsWild: boolean, seen: Set<string>): void {
  if (src.Name === '') throw rpcError(`Sources[${i}].Name is required`);
  const wild = wildcardError(src.Name);
  if (wild) throw rpcError(`Sources[${i}].${wild}`);
  if (src.LegacyID) throw rpcError(`Sources[${i}].LegacyID must be omitted`);
  if (src.LegacyMeta) throw rpcError(`Sources[${i}].LegacyMeta must be omitted`);
  if (!src.Permissions) {
    if (src.Action !== 'allow' && src.Action !== 'deny') throw rpcError(`Sources[${i}].Action must be set to 'allow' or 'deny'`);
  } else if (src.Action) throw rpcError(`Sources[${i}].Action must be omitted if Permissions are specified`);
  if (destIsWild && src.Permissions) {
    throw rpcError(`Sources[${i}].Permissions cannot be specified on intentions with wildcarded destinations`);
  }
  if (src.Type !== 'consul') throw rpcError(`Sources[${i}].Type must be set to 'consul'`);
  (src.Permissions ?? []).forEach((perm, j) => validatePermission(perm, `Sources[${i}].Permissions[${j}]`));
  const key = src.Peer ? `${src.Peer}/${src.Name}` : src.Name;
  if (seen.has(key)) throw rpcError(`Sources[${i}] defines "${key}" more than once`);
  seen.add(key);
}

function validatePermission(perm: IntentionPermission, where: string): void {
  if (perm.Action !== 'allow' && perm.Action !== 'deny') throw rpcError(`${where}.Action must be set to 'allow' or 'deny'`);
  const http = perm.HTTP;
  if (!http) throw rpcError(`${where}.HTTP is required`);
  const prefix = `${where}.HTTP`;
  for (const k of ['PathExact', 'PathPrefix'] as const) {
    const v = http[k];
    if (v !== undefined && !v.startsWith('/')) throw rpcError(`${prefix}.${k} doesn't start with '/': "${v}"`);
  }
  if ([http.PathExact, http.PathPrefix, http.PathRegex].filter((v) => v !== undefined).length > 1) {
    throw rpcError(`${prefix} should only contain at most one of PathExact, PathPrefix, or PathRegex`);
  }
  (http.Header ?? []).forEach((h, k) => {
    if (!field(h, 'Name')) throw rpcError(`${prefix}.Header[${k}] missing required Name field`);
  });
  const found = new Set<string>();
  for (const m of http.Methods ?? []) {
    if (!HTTP_METHODS.has(m)) throw rpcError(`${prefix}.Methods contains an invalid method "${m}"`);
    if (found.has(m)) throw rpcError(`${prefix}.Methods contains "${m}" more than once`);
    found.add(m);
  }
  if (!http.PathExact && !http.PathPrefix && !http.PathRegex && !http.Header && !http.Methods) {
    throw rpcError(`${prefix} should not be empty`);
  }
}

/** One intention in the legacy flattened form (`structs.Intention` as `ToIntention` fills it). */
export function toLegacyIntention(entry: ConfigEntryRecord, src: SourceIntention): Record<string, unknown> {
  return {
    ...(src.LegacyID ? { ID: src.LegacyID } : {}),
    Description: src.Description ?? '',
    ...(src.Peer ? { SourcePeer: src.Peer } : {}),
    SourceNS: 'default',
    SourceName: src.Name,
    DestinationNS: 'default',
    DestinationName: entry.Name,
    SourceType: src.Type,
    ...(src.Action ? { Action: src.Action } : {}),
    ...(src.Permissions ? { Permissions: src.Permissions } : {}),
    Meta: src.LegacyMeta ?? (entry.Meta as Record<string, string> | undefined) ?? {},
    Precedence: src.Precedence,
    CreateIndex: entry.CreateIndex,
    ModifyIndex: entry.ModifyIndex,
  };
}

/** All intentions flattened and sorted like `IntentionPrecedenceSorter` (precedence desc, then names). */
export function flattenIntentions(entries: ConfigEntryRecord[]): Record<string, unknown>[] {
  const all = entries.flatMap((e) => (e.Sources as SourceIntention[]).map((s) => toLegacyIntention(e, s)));
  const key = (x: Record<string, unknown>) => `${x.SourceNS}\0${x.SourceName}\0${x.DestinationNS}\0${x.DestinationName}`;
  return all.sort((a, b) => (b.Precedence as number) - (a.Precedence as number) || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/**
 * `intentions/check`: the highest-precedence intention matching (source, destination) decides; L7 intentions count
 * as deny; with no match the `defaultAllow` decision applies.
 */
export function checkIntention(entries: ConfigEntryRecord[], source: string, destination: string, defaultAllow: boolean): boolean {
  const candidates = flattenIntentions(entries.filter((e) => e.Name === destination || e.Name === '*')).filter(
    (i) => i.SourceName === source || i.SourceName === '*',
  );
  const winner = candidates[0];
  if (!winner) return defaultAllow;
  return winner.Permissions === undefined && winner.Action === 'allow';
}
