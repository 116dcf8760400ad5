import { readConfigEntryKind, readServiceIntentions } from './config-entry';
import { goStringBytes } from './go-text';
import { kvTopPrefixEnd, readKvKey } from './kv-key';
import { MESSAGE_TYPES, messageTypeName } from './message-types';
import { MsgpackCursor } from './msgpack-cursor';
import { PrefixTable } from './prefix-table';
import { findMapField } from './record-walk';
import type { RecordSink, SinkWant, TypeTotals } from './record-sink';
import type { CapturedRecord } from './scan-plan';

/**
 * What a backup holds, in counts: a small JSON object stored beside each archive and shown by `list --json`, and
 * what the content-drop alarm compares between consecutive backups. Built in the same pass that verifies the
 * archive, from the record types (reference state-bin.md §4) and a few fields: the KV `Key`, the Register record's
 * `Service`/`Check`, and the ConfigEntry kind (§5.1).
 */
export interface ContentSummary {
  /** Schema version of this object. */
  readonly version: 1;
  /** The state.bin header's `LastIndex`. */
  readonly lastIndex: number;
  /** state.bin bytes (inspect's TotalSize). */
  readonly stateBytes: number;
  /** Records after the header. */
  readonly records: number;
  readonly kv: {
    readonly entries: number;
    /** Bytes of the KVS records (type byte + msgpack value, as inspect sizes them). */
    readonly bytes: number;
    readonly tombstones: number;
    /**
     * KV entries per top-level prefix, largest first (at most {@link MAX_SUMMARY_PREFIXES}): `config/` for
     * `config/payments/url`, `''` for keys without a `/`.
     */
    readonly topPrefixes: readonly { readonly prefix: string; readonly entries: number }[];
    /** Entries under prefixes not listed; `prefixes` is how many such prefixes (a lower bound when huge). */
    readonly otherPrefixes: { readonly prefixes: number; readonly entries: number };
  };
  readonly catalog: {
    readonly nodes: number;
    readonly serviceInstances: number;
    /** Distinct service names (`Service.Service`), sidecar proxies included. */
    readonly services: number;
    readonly checks: number;
  };
  readonly acl: {
    readonly tokens: number;
    readonly policies: number;
    readonly roles: number;
    readonly bindingRules: number;
    readonly authMethods: number;
  };
  /** `service-intentions` config entries (one per destination). */
  readonly intentions: {
    readonly entries: number;
    /** Sources over all entries. */
    readonly sources: number;
    /** Destination names, sorted; omitted above {@link MAX_SUMMARY_DESTINATIONS}. */
    readonly destinations?: readonly string[];
  };
  readonly configEntries: { readonly total: number; readonly byKind: Readonly<Record<string, number>> };
  readonly sessions: number;
  readonly preparedQueries: number;
  readonly caRoots: number;
  /** Records per type name, as `consul snapshot inspect` counts them. */
  readonly recordTypes: Readonly<Record<string, number>>;
}

/** Top-level KV prefixes a summary lists. */
export const MAX_SUMMARY_PREFIXES = 50;
/** Intention destinations a summary lists by name. */
export const MAX_SUMMARY_DESTINATIONS = 200;
/** Distinct top-level prefixes counted while decoding; more go to `otherPrefixes` uncounted. */
const MAX_TRACKED_PREFIXES = 10_000;

const SERVICE_NAME = Buffer.from('Service', 'latin1');
const NIL = 0xc0;

/** Header and totals the decoder passes when the summary is built. */
export interface SummaryTotals extends TypeTotals {
  readonly lastIndex: number;
  readonly totalSize: number;
  readonly records: number;
}

/** Collects a {@link ContentSummary}. */
export class ContentSummarySink implements RecordSink {
  readonly wants: readonly SinkWant[] = [
    { type: MESSAGE_TYPES.kvs, fields: ['Key'] },
    { type: MESSAGE_TYPES.register, fields: ['Service', 'Check'] },
    { type: MESSAGE_TYPES.configEntry, whole: true },
  ];
  private readonly slots = { key: 0, service: 0, check: 0 };
  private readonly cursor = new MsgpackCursor();
  private readonly inner = new MsgpackCursor();
  private readonly prefixes = new PrefixTable(MAX_TRACKED_PREFIXES);
  private readonly serviceNames = new Set<string>();
  private readonly kinds = new Map<string, number>();
  private readonly destinations: string[] = [];
  private nodes = 0;
  private serviceInstances = 0;
  private checks = 0;
  private intentionSources = 0;

  bind(slotOf: (type: number, field: string) => number): void {
    this.slots.key = slotOf(MESSAGE_TYPES.kvs, 'Key');
    this.slots.service = slotOf(MESSAGE_TYPES.register, 'Service');
    this.slots.check = slotOf(MESSAGE_TYPES.register, 'Check');
  }

  onRecord(type: number, size: number, record: CapturedRecord): void {
    if (type === MESSAGE_TYPES.kvs) {
      if (!readKvKey(record, this.slots.key, this.cursor)) return;
      const { buf, strStart, strEnd } = this.cursor;
      this.prefixes.add(buf, strStart, kvTopPrefixEnd(buf, strStart, strEnd), size);
    } else if (type === MESSAGE_TYPES.register) this.onRegister(record);
    else this.onConfigEntry(record);
  }

  /** The summary, given the decoder's totals. */
  result(totals: SummaryTotals): ContentSummary {
    const n = (type: number) => totals.counts[type];
    const rows = this.prefixes
      .list()
      .map((r) => ({ ...r, bytes: goStringBytes(r.name) }))
      .sort((a, b) => b.count - a.count || Buffer.compare(a.bytes, b.bytes));
    const listed = rows.slice(0, MAX_SUMMARY_PREFIXES);
    const unlisted = rows.slice(MAX_SUMMARY_PREFIXES);
    const recordTypes: Record<string, number> = {};
    for (let t = 0; t < 256; t++) if (n(t) > 0) recordTypes[messageTypeName(t)] = n(t);
    this.destinations.sort();
    return {
      version: 1,
      lastIndex: totals.lastIndex,
      stateBytes: totals.totalSize,
      records: totals.records,
      kv: {
        entries: n(MESSAGE_TYPES.kvs),
        bytes: totals.sums[MESSAGE_TYPES.kvs],
        tombstones: n(MESSAGE_TYPES.tombstone),
        topPrefixes: listed.map((r) => ({ prefix: r.name, entries: r.count })),
        otherPrefixes: {
          prefixes: unlisted.length + (this.prefixes.overflow.count > 0 ? 1 : 0),
          entries: unlisted.reduce((sum, r) => sum + r.count, 0) + this.prefixes.overflow.count,
        },
      },
      catalog: { nodes: this.nodes, serviceInstances: this.serviceInstances, services: this.serviceNames.size, checks: this.checks },
      acl: {
        tokens: n(MESSAGE_TYPES.aclToken),
        policies: n(MESSAGE_TYPES.aclPolicy),
        roles: n(MESSAGE_TYPES.aclRole),
        bindingRules: n(MESSAGE_TYPES.aclBindingRule),
        authMethods: n(MESSAGE_TYPES.aclAuthMethod),
      },
      intentions: {
        entries: this.kinds.get('service-intentions') ?? 0,
        sources: this.intentionSources,
        ...(this.destinations.length <= MAX_SUMMARY_DESTINATIONS ? { destinations: [...this.destinations] } : {}),
      },
      configEntries: { total: n(MESSAGE_TYPES.configEntry), byKind: Object.fromEntries([...this.kinds].sort(([a], [b]) => (a < b ? -1 : 1))) },
      sessions: n(MESSAGE_TYPES.session),
      preparedQueries: n(MESSAGE_TYPES.preparedQuery),
      caRoots: n(MESSAGE_TYPES.connectCA),
      recordTypes,
    };
  }

  /** persistNodes writes, per node, a node-only record, one per service, one per check (state-bin.md §5.2). */
  private onRegister(record: CapturedRecord): void {
    const { service, check } = this.slots;
    if (record.has(service) && record.bytes(service)[record.start(service)] !== NIL) {
      this.serviceInstances++;
      const buf = record.bytes(service);
      const at = findMapField(buf, record.start(service), record.end(service), SERVICE_NAME);
      if (at < 0) return;
      // Only the number of distinct names is kept: their bytes (as latin1) identify them, no decoding needed.
      this.cursor.reset(buf, at, record.end(service)).readString('Service.Service');
      this.serviceNames.add(buf.toString('latin1', this.cursor.strStart, this.cursor.strEnd));
      return;
    }
    if (record.has(check) && record.bytes(check)[record.start(check)] !== NIL) this.checks++;
    else this.nodes++;
  }

  private onConfigEntry(record: CapturedRecord): void {
    const kind = readConfigEntryKind(record, this.cursor, this.inner);
    this.kinds.set(kind, (this.kinds.get(kind) ?? 0) + 1);
    if (kind !== 'service-intentions') return;
    const entry = readServiceIntentions(this.inner, false);
    this.intentionSources += entry.sources.length;
    if (this.destinations.length <= MAX_SUMMARY_DESTINATIONS) this.destinations.push(entry.destination);
  }
}
