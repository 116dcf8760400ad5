import { createHash, hash as digestOf, type Hash } from 'node:crypto';
import { readConfigEntryKind, readServiceIntentions, type IntentionSource } from './config-entry';
import { decodeGoString } from './go-text';
import { readKvKey } from './kv-key';
import { MESSAGE_TYPES } from './message-types';
import { MsgpackCursor } from './msgpack-cursor';
import { fieldCursor, fieldNames, type RecordSink, type SinkWant } from './record-sink';
import type { CapturedRecord } from './scan-plan';

/**
 * The content index two backups are diffed by (`consul-ops diff`): fingerprints, never secrets. KV values are kept
 * as a SHA-256 (the value itself only with `keepValues`); ACL tokens by AccessorID with their description — the
 * SecretID field is never even captured; policies and roles by name with a digest of what defines them;
 * `service-intentions` by destination and source; services by name.
 */

/** What the index keeps of one KV entry. */
export interface KvFingerprint {
  /** Hex SHA-256 of the value (nil and empty values hash alike, as Consul's API returns both as empty). */
  readonly sha256: string;
  readonly bytes: number;
  /** `Flags` (uint64) in decimal. */
  readonly flags: string;
  readonly lockIndex: number;
  /** True when a session holds the key's lock. */
  readonly session: boolean;
  /** The value, only with {@link ContentIndexOptions.keepValues}. */
  readonly value?: Buffer;
}

/** An ACL token as the index keeps it. */
export interface TokenFingerprint {
  readonly accessorId: string;
  readonly description: string;
  /** Digest of its description, links (policies, roles, identities), locality and expiry. */
  readonly digest: string;
}

/** A policy or role: its ID and a digest of what defines it. */
export interface NamedFingerprint {
  readonly id: string;
  readonly digest: string;
}

/** The index of one backup (see the module comment). */
export interface ContentIndex {
  readonly kv: ReadonlyMap<string, KvFingerprint>;
  /** By AccessorID. */
  readonly tokens: ReadonlyMap<string, TokenFingerprint>;
  /** By name. */
  readonly policies: ReadonlyMap<string, NamedFingerprint>;
  /** By name. */
  readonly roles: ReadonlyMap<string, NamedFingerprint>;
  /** Destination → source → rule. */
  readonly intentions: ReadonlyMap<string, ReadonlyMap<string, IntentionSource>>;
  /** Service name → instances. */
  readonly services: ReadonlyMap<string, number>;
}

/** Content index options. */
export interface ContentIndexOptions {
  /**
   * Keep KV values in memory, for `diff --show-values`. Off, values are hashed and dropped.
   * @default false
   */
  readonly keepValues?: boolean;
}

const KV_FIELDS = ['Key', 'Value', 'Flags', 'Session', 'LockIndex'];
const TOKEN_DIGEST = ['Description', 'Policies', 'Roles', 'ServiceIdentities', 'NodeIdentities', 'TemplatedPolicies', 'Local', 'ExpirationTime', 'AuthMethod'];
const POLICY_DIGEST = ['Name', 'Description', 'Rules', 'Datacenters'];
const ROLE_DIGEST = ['Name', 'Description', 'Policies', 'ServiceIdentities', 'NodeIdentities', 'TemplatedPolicies'];
const SERVICE_NAME = fieldNames('Service');
const EMPTY = Buffer.alloc(0);

/** Collects a {@link ContentIndex}. */
export class ContentIndexSink implements RecordSink {
  readonly wants: readonly SinkWant[] = [
    { type: MESSAGE_TYPES.kvs, fields: KV_FIELDS },
    { type: MESSAGE_TYPES.register, fields: ['Service'] },
    // Never 'SecretID': a token's secret is not captured, so it cannot leak from here.
    { type: MESSAGE_TYPES.aclToken, fields: ['AccessorID', ...TOKEN_DIGEST] },
    { type: MESSAGE_TYPES.aclPolicy, fields: ['ID', ...POLICY_DIGEST] },
    { type: MESSAGE_TYPES.aclRole, fields: ['ID', ...ROLE_DIGEST] },
    { type: MESSAGE_TYPES.configEntry, whole: true },
  ];
  private slotOf: (type: number, field: string) => number = () => 0;
  private readonly kvSlots = { key: 0, value: 0, flags: 0, session: 0, lockIndex: 0 };
  private readonly cursor = new MsgpackCursor();
  private readonly inner = new MsgpackCursor();
  private readonly kv = new Map<string, KvFingerprint>();
  private readonly tokens = new Map<string, TokenFingerprint>();
  private readonly policies = new Map<string, NamedFingerprint>();
  private readonly roles = new Map<string, NamedFingerprint>();
  private readonly intentions = new Map<string, Map<string, IntentionSource>>();
  private readonly services = new Map<string, number>();

  constructor(private readonly options: ContentIndexOptions = {}) {}

  bind(slotOf: (type: number, field: string) => number): void {
    this.slotOf = slotOf;
    const kv = (field: string) => slotOf(MESSAGE_TYPES.kvs, field);
    Object.assign(this.kvSlots, { key: kv('Key'), value: kv('Value'), flags: kv('Flags'), session: kv('Session'), lockIndex: kv('LockIndex') });
  }

  onRecord(type: number, _size: number, record: CapturedRecord): void {
    if (type === MESSAGE_TYPES.kvs) this.onKv(record);
    else if (type === MESSAGE_TYPES.register) this.onRegister(record);
    else if (type === MESSAGE_TYPES.aclToken) this.onToken(record);
    else if (type === MESSAGE_TYPES.aclPolicy) this.onNamed(record, type, POLICY_DIGEST, this.policies);
    else if (type === MESSAGE_TYPES.aclRole) this.onNamed(record, type, ROLE_DIGEST, this.roles);
    else if (type === MESSAGE_TYPES.configEntry) this.onConfigEntry(record);
  }

  /** The index. */
  result(): ContentIndex {
    return { kv: this.kv, tokens: this.tokens, policies: this.policies, roles: this.roles, intentions: this.intentions, services: this.services };
  }

  private onKv(record: CapturedRecord): void {
    const slots = this.kvSlots;
    if (!readKvKey(record, slots.key, this.cursor)) return;
    const key = decodeGoString(this.cursor.buf, this.cursor.strStart, this.cursor.strEnd);
    const hasValue = fieldCursor(record, slots.value, this.cursor)?.readString('Value') === true;
    const bytes = hasValue ? this.cursor.buf.subarray(this.cursor.strStart, this.cursor.strEnd) : EMPTY;
    this.kv.set(key, {
      sha256: digestOf('sha256', bytes, 'hex'),
      bytes: bytes.length,
      flags: (fieldCursor(record, slots.flags, this.cursor)?.readUint64('Flags') ?? 0n).toString(),
      lockIndex: fieldCursor(record, slots.lockIndex, this.cursor)?.readUint('LockIndex') ?? 0,
      session: (fieldCursor(record, slots.session, this.cursor)?.readText('Session') ?? '') !== '',
      ...(this.options.keepValues ? { value: Buffer.from(bytes) } : {}),
    });
  }

  private onRegister(record: CapturedRecord): void {
    const service = fieldCursor(record, this.slotOf(MESSAGE_TYPES.register, 'Service'), this.cursor);
    if (service === undefined || service.readNil() || !service.seekField(SERVICE_NAME[0], 'Service')) return;
    const name = service.readText('Service.Service');
    this.services.set(name, (this.services.get(name) ?? 0) + 1);
  }

  private onToken(record: CapturedRecord): void {
    const accessorId = this.text(record, MESSAGE_TYPES.aclToken, 'AccessorID');
    const description = this.text(record, MESSAGE_TYPES.aclToken, 'Description');
    this.tokens.set(accessorId, { accessorId, description, digest: this.digest(record, MESSAGE_TYPES.aclToken, TOKEN_DIGEST) });
  }

  private onNamed(record: CapturedRecord, type: number, fields: readonly string[], into: Map<string, NamedFingerprint>): void {
    into.set(this.text(record, type, 'Name'), { id: this.text(record, type, 'ID'), digest: this.digest(record, type, fields) });
  }

  private onConfigEntry(record: CapturedRecord): void {
    if (readConfigEntryKind(record, this.cursor, this.inner) !== 'service-intentions') return;
    const entry = readServiceIntentions(this.inner, true);
    this.intentions.set(entry.destination, new Map(entry.sources.map((s) => [s.source, s])));
  }

  private text(record: CapturedRecord, type: number, field: string): string {
    return fieldCursor(record, this.slotOf(type, field), this.cursor)?.readText(field) ?? '';
  }

  /** SHA-256 (first 16 hex digits) over the raw msgpack of the named fields, each preceded by its name. */
  private digest(record: CapturedRecord, type: number, fields: readonly string[]): string {
    const hash: Hash = createHash('sha256');
    for (const field of fields) {
      const slot = this.slotOf(type, field);
      if (!record.has(slot)) continue;
      hash.update(`${field}\u0000`).update(record.bytes(slot).subarray(record.start(slot), record.end(slot))).update('\u0000');
    }
    return hash.digest('hex').slice(0, 16);
  }
}
