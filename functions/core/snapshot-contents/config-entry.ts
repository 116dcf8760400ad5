import { createHash } from 'node:crypto';
import { decodeGoString } from './go-text';
import { MsgpackCursor } from './msgpack-cursor';
import { fieldNames, WHOLE_SLOT } from './record-sink';
import type { CapturedRecord } from './scan-plan';

/**
 * Reading ConfigEntry (22) records. The value is a msgpack string wrapping a second msgpack stream: the entry's kind
 * as a string, then the `ConfigEntryRequest` map `{Datacenter, Entry, Op, Token}` (`ConfigEntryRequest.MarshalBinary`
 * in agent/structs/config_entry.go; reference state-bin.md §3.6, §5.6). `service-intentions` entries
 * (`ServiceIntentionsConfigEntry`, agent/structs/config_entry_intentions.go) hold the destination in `Entry.Name` and
 * one `SourceIntention` per source in `Entry.Sources`.
 */

/** One source of a `service-intentions` entry. */
export interface IntentionSource {
  /** `name`, `partition/namespace/name` when those are set (Enterprise), plus ` (peer P)` or ` (sameness-group G)`. */
  readonly source: string;
  /** `allow` / `deny`, or `L7 <digest>` of the source's `Permissions` when it has no `Action`. */
  readonly rule: string;
}

/** A `service-intentions` config entry: one destination and its sources. */
export interface ServiceIntentions {
  readonly destination: string;
  readonly sources: readonly IntentionSource[];
}

const REQUEST_FIELDS = fieldNames('Entry');
const ENTRY_FIELDS = fieldNames('Name', 'Sources');
const SOURCE_FIELDS = fieldNames('Name', 'Peer', 'SamenessGroup', 'Namespace', 'Partition', 'Action', 'Permissions');

/** Reads a captured ConfigEntry record: its kind, with `inner` left on the request map that follows it. */
export function readConfigEntryKind(record: CapturedRecord, outer: MsgpackCursor, inner: MsgpackCursor): string {
  outer.reset(record.bytes(WHOLE_SLOT), record.start(WHOLE_SLOT), record.end(WHOLE_SLOT));
  outer.readString('ConfigEntry value');
  inner.reset(outer.buf, outer.strStart, outer.strEnd);
  return inner.readText('config entry kind');
}

/**
 * With `cursor` on the request map of a `service-intentions` entry, reads its destination and sources. Sources'
 * rules are only worked out when `withRules` (the index needs them, the summary only counts).
 */
export function readServiceIntentions(cursor: MsgpackCursor, withRules: boolean): ServiceIntentions {
  if (!cursor.seekField(REQUEST_FIELDS[0], 'config entry request')) return { destination: '', sources: [] };
  let destination = '';
  const sources: IntentionSource[] = [];
  const pairs = cursor.readMapLength('Entry');
  for (let i = 0; i < pairs; i++) {
    const field = cursor.readKeyIndex(ENTRY_FIELDS);
    if (field === 0) destination = cursor.readText('Entry.Name');
    else if (field === 1) {
      const count = cursor.readArrayLength('Entry.Sources');
      for (let k = 0; k < count; k++) sources.push(readSource(cursor, withRules));
    } else cursor.skip();
  }
  return { destination, sources };
}

function readSource(cursor: MsgpackCursor, withRules: boolean): IntentionSource {
  const text: string[] = ['', '', '', '', '', ''];
  let permissions: Uint8Array | undefined;
  const pairs = cursor.readMapLength('Entry.Sources[]');
  for (let i = 0; i < pairs; i++) {
    const field = cursor.readKeyIndex(SOURCE_FIELDS);
    if (field < 0) cursor.skip();
    else if (field === 6) {
      if (cursor.peek() === 0xc0 || !withRules) cursor.skip();
      else permissions = cursor.rawValue();
    } else text[field] = cursor.readString(`Entry.Sources[].${SOURCE_FIELDS[field]}`) ? decodeGoString(cursor.buf, cursor.strStart, cursor.strEnd) : '';
  }
  const [name, peer, samenessGroup, namespace, partition, action] = text;
  const qualified = [partition, namespace].filter((p) => p !== '').concat(name).join('/');
  const where = peer !== '' ? ` (peer ${peer})` : samenessGroup !== '' ? ` (sameness-group ${samenessGroup})` : '';
  return { source: qualified + where, rule: action !== '' ? action : permissionsRule(permissions) };
}

function permissionsRule(permissions: Uint8Array | undefined): string {
  // An empty array (0x90) holds no rule either.
  if (permissions === undefined || (permissions.length === 1 && permissions[0] === 0x90)) return 'none';
  return `L7 ${createHash('sha256').update(permissions).digest('hex').slice(0, 12)}`;
}
