import type { IntentionSource } from './config-entry';
import type { ContentIndex, KvFingerprint, NamedFingerprint } from './content-index';
import type { ContentSummary } from './content-summary';
import type { SnapshotContents } from './state-bin-decoder';

/**
 * What changed between two backups (`consul-ops diff A B`): count deltas first, then KV keys, ACL tokens, policies,
 * roles, intentions and services by identity. Values are compared by hash; a diff carries values only when both
 * indexes kept them (`keepValues`), and only the formatters' `showValues` prints them. No SecretID is ever part of it.
 */

/** One counted thing before and after. */
export interface CountChange {
  readonly name: string;
  readonly before: number;
  readonly after: number;
}

/** A KV key added or removed; `value` only when the index kept values. */
export interface KvKeyRef {
  readonly key: string;
  readonly value?: Buffer;
}

/** What differs about a KV key present in both backups. */
export const KV_ASPECTS = ['value', 'flags', 'lock'] as const;
/** One of {@link KV_ASPECTS}. */
export type KvAspect = (typeof KV_ASPECTS)[number];

/** A KV key whose value, flags or lock changed. */
export interface KvChange {
  readonly key: string;
  readonly changed: readonly KvAspect[];
  readonly before?: Buffer;
  readonly after?: Buffer;
}

/** A token as a diff names it: never its secret. */
export interface TokenRef {
  readonly accessorId: string;
  readonly description: string;
}

/** Things only in the newer backup, only in the older one, and in both but different. */
export interface Changes<T, C = T> {
  readonly added: readonly T[];
  readonly removed: readonly T[];
  readonly changed: readonly C[];
}

/** Names added, removed and changed (policies, roles). */
export type NamedChanges = Changes<string>;

/** One intention (destination ← source) and its rule. */
export interface IntentionRef {
  readonly destination: string;
  readonly source: string;
  readonly rule: string;
}

/** An intention whose rule changed. */
export interface IntentionChange {
  readonly destination: string;
  readonly source: string;
  readonly before: string;
  readonly after: string;
}

/** The diff of two backups. */
export interface SnapshotContentsDiff {
  /** The summary's counts (KV entries, nodes, services…), all of them. */
  readonly counts: readonly CountChange[];
  /** Records per type (inspect's names), only the types whose count changed. */
  readonly recordTypes: readonly CountChange[];
  readonly kv: Changes<KvKeyRef, KvChange>;
  readonly tokens: Changes<TokenRef>;
  readonly policies: NamedChanges;
  readonly roles: NamedChanges;
  readonly intentions: Changes<IntentionRef, IntentionChange>;
  readonly services: Omit<Changes<string>, 'changed'>;
}

/** The summary counts a diff and the drop alarm report, with their display names. */
export const SUMMARY_COUNTS: readonly (readonly [string, (s: ContentSummary) => number])[] = [
  ['KV entries', (s) => s.kv.entries],
  ['KV tombstones', (s) => s.kv.tombstones],
  ['Nodes', (s) => s.catalog.nodes],
  ['Service instances', (s) => s.catalog.serviceInstances],
  ['Services', (s) => s.catalog.services],
  ['Health checks', (s) => s.catalog.checks],
  ['ACL tokens', (s) => s.acl.tokens],
  ['ACL policies', (s) => s.acl.policies],
  ['ACL roles', (s) => s.acl.roles],
  ['ACL binding rules', (s) => s.acl.bindingRules],
  ['ACL auth methods', (s) => s.acl.authMethods],
  ['service-intentions entries', (s) => s.intentions.entries],
  ['Config entries', (s) => s.configEntries.total],
  ['Sessions', (s) => s.sessions],
  ['Prepared queries', (s) => s.preparedQueries],
  ['CA roots', (s) => s.caRoots],
];

/**
 * Compares backup `a` (before) with backup `b` (after). Lists keep state.bin order (KV keys in byte order), then
 * names sorted.
 *
 * @example
 * const diff = diffSnapshotContents(older.contents, newer.contents);
 * console.log(formatSnapshotDiff(diff));
 */
export function diffSnapshotContents(a: SnapshotContents, b: SnapshotContents): SnapshotContentsDiff {
  const typeNames = [...new Set([...Object.keys(a.summary.recordTypes), ...Object.keys(b.summary.recordTypes)])].sort();
  return {
    counts: SUMMARY_COUNTS.map(([name, of]) => ({ name, before: of(a.summary), after: of(b.summary) })),
    recordTypes: typeNames
      .map((name) => ({ name, before: a.summary.recordTypes[name] ?? 0, after: b.summary.recordTypes[name] ?? 0 }))
      .filter((c) => c.before !== c.after),
    kv: diffKv(a.index, b.index),
    tokens: {
      added: [...b.index.tokens.values()].filter((t) => !a.index.tokens.has(t.accessorId)).map(tokenRef),
      removed: [...a.index.tokens.values()].filter((t) => !b.index.tokens.has(t.accessorId)).map(tokenRef),
      changed: [...b.index.tokens.values()].filter((t) => a.index.tokens.has(t.accessorId) && a.index.tokens.get(t.accessorId)?.digest !== t.digest).map(tokenRef),
    },
    policies: diffNamed(a.index.policies, b.index.policies),
    roles: diffNamed(a.index.roles, b.index.roles),
    intentions: diffIntentions(a.index.intentions, b.index.intentions),
    services: {
      added: [...b.index.services.keys()].filter((s) => !a.index.services.has(s)).sort(),
      removed: [...a.index.services.keys()].filter((s) => !b.index.services.has(s)).sort(),
    },
  };
}

function tokenRef(t: TokenRef): TokenRef {
  return { accessorId: t.accessorId, description: t.description };
}

function kvRef(key: string, fp: KvFingerprint): KvKeyRef {
  return fp.value === undefined ? { key } : { key, value: fp.value };
}

function diffKv(a: ContentIndex, b: ContentIndex): SnapshotContentsDiff['kv'] {
  const added: KvKeyRef[] = [];
  const changed: KvChange[] = [];
  for (const [key, after] of b.kv) {
    const before = a.kv.get(key);
    if (before === undefined) {
      added.push(kvRef(key, after));
      continue;
    }
    const aspects: KvAspect[] = [];
    if (before.sha256 !== after.sha256) aspects.push('value');
    if (before.flags !== after.flags) aspects.push('flags');
    if (before.session !== after.session || before.lockIndex !== after.lockIndex) aspects.push('lock');
    if (aspects.length === 0) continue;
    const withValues = before.value !== undefined && after.value !== undefined ? { before: before.value, after: after.value } : {};
    changed.push({ key, changed: aspects, ...withValues });
  }
  const removed = [...a.kv].filter(([key]) => !b.kv.has(key)).map(([key, fp]) => kvRef(key, fp));
  return { added, removed, changed };
}

function diffNamed(a: ReadonlyMap<string, NamedFingerprint>, b: ReadonlyMap<string, NamedFingerprint>): NamedChanges {
  return {
    added: [...b.keys()].filter((n) => !a.has(n)).sort(),
    removed: [...a.keys()].filter((n) => !b.has(n)).sort(),
    changed: [...b].filter(([n, fp]) => a.has(n) && a.get(n)?.digest !== fp.digest).map(([n]) => n).sort(),
  };
}

type IntentionMap = ReadonlyMap<string, ReadonlyMap<string, IntentionSource>>;

function diffIntentions(a: IntentionMap, b: IntentionMap): SnapshotContentsDiff['intentions'] {
  const refs = (m: IntentionMap) => [...m].flatMap(([destination, sources]) => [...sources.values()].map((s) => ({ destination, source: s.source, rule: s.rule })));
  const byDestination = (x: Omit<IntentionRef, 'rule'>, y: Omit<IntentionRef, 'rule'>) => (x.destination < y.destination ? -1 : x.destination > y.destination ? 1 : x.source < y.source ? -1 : x.source > y.source ? 1 : 0);
  const changed: IntentionChange[] = [];
  for (const after of refs(b)) {
    const before = a.get(after.destination)?.get(after.source);
    if (before !== undefined && before.rule !== after.rule) changed.push({ destination: after.destination, source: after.source, before: before.rule, after: after.rule });
  }
  return {
    added: refs(b).filter((r) => a.get(r.destination)?.get(r.source) === undefined).sort(byDestination),
    removed: refs(a).filter((r) => b.get(r.destination)?.get(r.source) === undefined).sort(byDestination),
    changed: changed.sort(byDestination),
  };
}
