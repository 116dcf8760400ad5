/**
 * The state.bin fixtures under test/functions/core/snapshot-contents/fixtures/ are built by these functions (a test
 * checks that the committed files still match). Their expected inspect results (`*.inspect.json`) and outputs
 * (`*.pretty.golden`, `*.json.golden`) were produced by Go itself: a throwaway program, not part of the repository,
 * that runs `consul snapshot inspect`'s algorithm (reference state-bin.md §6: fsm.ReadSnapshot with a counting reader,
 * a generic decode per record with hashicorp/consul-net-rpc's codec at e7bb6e5, kvEnhance) and its formatters (Go
 * 1.19 text/tabwriter, strconv.FormatFloat, encoding/json).
 */
import { MESSAGE_TYPES as T } from '../../functions/core/snapshot-contents/message-types';
import { encodeMsgpack, goMap, GoTime, raw } from './consul-msgpack';
import {
  aclPolicy, aclRole, aclToken, caRoot, chunkingState, kvs, registerCheck, registerNode, registerService, serviceIntentions, session, simpleConfigEntry, stateBin, stateHeader, tombstone, type RecordSpec,
} from './state-bin';

const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

/** Keys that exercise `-kvdepth` and `-kvfilter`: nesting, leading/trailing `/`, byte prefixes, Unicode. */
export const TYPICAL_KEYS: readonly (string | Buffer)[] = [
  '', '/', '/lead/x', 'a', 'a/b', 'a/b/', 'a/b/c', 'a/b/c/d/e', 'app/config/db', 'app/config/web', 'app/flags',
  'vault/core', 'vault/core/keyring', 'vault/core/seal', 'vault/coreX/y', 'vault/logical/1', 'x'.repeat(300),
  'ñandú/日本/x', '🚀/launch', '<tag>&/x', bytes([0x80], '/x'), bytes([0xc3, 0x28], '/y'), bytes([0xed, 0xa0, 0x80], '/q'),
];

/** A realistic CE snapshot: every persisted type in persist order, plus Enterprise and unknown types. */
export function typicalRecords(): RecordSpec[] {
  const records: RecordSpec[] = [
    { type: 65, value: Buffer.from('enterprise namespace (protobuf)') },
    { type: 32, value: { CreateIndex: 9, IP: Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 1]), ManualIPs: null, ModifyIndex: 9, Service: { Peer: '', ServiceName: { Name: 'web' } } } },
    { type: 33, value: { IP: Buffer.from([0, 0, 0, 2]), IsCounter: true } },
    registerNode('node-1'), registerService('node-1', 'web'), registerService('node-1', 'web-sidecar-proxy', 'web-sidecar-proxy', 'connect-proxy'), registerCheck('node-1', 'serfHealth'),
    registerNode('node-2'), registerService('node-2', 'web', 'web-2'), registerService('node-2', 'db'), registerCheck('node-2', 'serfHealth'), registerCheck('node-2', 'service:db', 'db'),
    { type: 6, value: [{ Coord: { Adjustment: 0.1, Error: 1.5, Height: 0.00001, Vec: [0.5, -0.25, 0, 0, 0, 0, 0, 0] }, Node: 'node-1', Partition: '', Segment: '' }] },
    session('11111111-0000-0000-0000-000000000001', 'node-1'),
    aclToken('00000000-0000-0000-0000-000000000002', 'anonymous', 'Anonymous Token'),
    aclToken('3f0d7a6e-0000-0000-0000-00000000aaaa', '9a1b2c3d-0000-0000-0000-00000000bbbb', 'CI deploy token', ['deploy']),
    aclPolicy('00000000-0000-0000-0000-000000000001', 'global-management', 'acl = "write"', 'Builtin Policy'),
    aclPolicy('5c3c4b6e-0000-0000-0000-000000000003', 'deploy', 'key_prefix "app/" { policy = "write" }'),
    aclRole('7e7e7e7e-0000-0000-0000-000000000004', 'deployers', ['deploy']),
    ...TYPICAL_KEYS.map((k, i) => kvs(k, i % 3 === 0 ? null : `value-${i}`.repeat(i), { flags: i === 5 ? 2n ** 63n + 5n : i, session: i === 6 ? '11111111-0000-0000-0000-000000000001' : '', lockIndex: i === 6 ? 1 : 0 })),
    tombstone('app/config/old'), tombstone('x'.repeat(40)),
    { type: T.preparedQuery, value: { CreateIndex: 100, DNS: { TTL: '' }, ID: 'pq-1', ModifyIndex: 100, Name: 'web-near', Service: { Failover: { NearestN: 0 }, Service: 'web' }, Session: '', Template: { Regexp: '', RemoveEmptyTags: false, Type: '' }, Token: '' } },
    { type: 9, value: { CleanupDeadServers: true, CreateIndex: 4, DisableUpgradeMigration: false, LastContactThreshold: 200_000_000, MaxTrailingLogs: 250, MinQuorum: 0, ModifyIndex: 4, RedundancyZoneTag: '', ServerStabilizationTime: 10_000_000_000, UpgradeVersionTag: '' } },
    caRoot('aa:bb:cc', true),
    { type: 15, value: { ClusterID: 'abc', Config: goMap([['LeafCertTTL', '72h'], ['RotationPeriod', '2160h']]), CreateIndex: 7, ForceWithoutCrossSigning: false, ModifyIndex: 7, Provider: 'consul', State: null } },
    simpleConfigEntry('proxy-defaults', 'global'), simpleConfigEntry('service-defaults', 'web'),
    serviceIntentions('db', [{ name: 'web', action: 'allow' }, { name: 'api', permissions: [{ Action: 'allow', HTTP: { PathPrefix: '/v1/', Methods: ['GET'] }, JWT: null }] }, { name: 'batch', action: 'deny', peer: 'dc2' }]),
    serviceIntentions('web', [{ name: '*', action: 'deny' }]),
    { type: 30, value: { Datacenter: '', Op: 'upsert', State: { CreateIndex: 3, Datacenter: 'dc1', MeshGateways: null, ModifyIndex: 3, PrimaryModifyIndex: 3, UpdatedAt: new GoTime(new Date('2024-05-01T10:00:00Z')) }, Token: '' } },
    { type: 31, value: { CreateIndex: 2, Key: 'intention-format', ModifyIndex: 2, Value: 'config-entry' } },
    { type: 16, value: { Key: 'kvs', Value: 200 } },
    { type: 16, value: { Key: 'nodes', Value: 12 } },
    { type: 37, value: { ID: 'peering-terminate' } },
    { type: 45, value: Buffer.from('feature gate (post-1.21)') },
    { type: 200, value: { Anything: [1, 2, 3] } },
    chunkingState(0),
  ];
  return records;
}

/** `typical.bin`. */
export function typicalFixture(): Buffer {
  return stateBin(431, typicalRecords());
}

/** `weird-keys.bin`: KV keys with tabs, newlines, form feeds and HTML characters (they end up in inspect's table). */
export function weirdKeysFixture(): Buffer {
  const keys = ['tab\tkey/x', 'new\nline/y', 'form\ffeed/z', 'vt\vkey/w', 'quote"back\\slash/q', 'sep\u2028/p', 'ok/fine', 'ok/also'];
  return stateBin(9, keys.map((k) => kvs(k, 'v')));
}

/**
 * `formats.bin`: every msgpack format, including those Consul never writes (str8, bin, ext, fixext, float32, int8–64,
 * map32, array32), and big values (str32, map16, array16), in records of known and unknown types.
 */
export function formatsFixture(): Buffer {
  const u = (n: number, width: number) => {
    const b = Buffer.alloc(width);
    b.writeUIntBE(n, 0, width);
    return [...b];
  };
  const exotic = raw(
    bytes(
      [0xdf, ...u(9, 4)],
      [0xa2], 's8', [0xd9, 3], 'abc',
      [0xa2], 'b8', [0xc4, 2, 1, 2],
      [0xa3], 'b16', [0xc5, ...u(3, 2), 1, 2, 3],
      [0xa3], 'b32', [0xc6, ...u(1, 4), 0xff],
      [0xa3], 'f32', [0xca, 0x3f, 0x80, 0, 0],
      [0xa3], 'neg', [0x96, 0xff, 0xe0, 0xd0, 0x80, 0xd1, 0x80, 0x00, 0xd2, 0x80, 0, 0, 0, 0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0],
      [0xa3], 'u64', [0x94, 0xcc, 0xff, 0xcd, 0xff, 0xff, 0xce, 0xff, 0xff, 0xff, 0xff, 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
      [0xa3], 'a32', [0xdd, ...u(3, 4), 0xc0, 0xc2, 0xc3],
      [0xa3], 's32', [0xdb, ...u(4, 4)], 'long',
    ),
  );
  const manyFields = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`Field${String(i).padStart(2, '0')}`, i]));
  return stateBin(2n ** 40n, [
    { type: 201, value: exotic },
    { type: 202, value: manyFields },
    { type: 203, value: Array.from({ length: 17 }, (_, i) => i * 1000) },
    { type: T.kvs, value: raw(bytes([0x87, 0xab], 'CreateIndex', [1, 0xa5], 'Flags', [0, 0xa3], 'Key', [0xd9, 7], 'str8/ok', [0xa9], 'LockIndex', [0, 0xab], 'ModifyIndex', [2, 0xa7], 'Session', [0xa0, 0xa5], 'Value', [0xc4, 3, 1, 2, 3])) },
    kvs('big/str32', Buffer.alloc(70_000, 0x5a)),
    kvs('big/str16', Buffer.alloc(300, 0x59)),
    { type: T.kvs, value: { Key: 'short/only-key' } },
    { type: 204, value: 3.5 },
    { type: 205, value: null },
    { type: 206, value: encodeMsgpack('') },
  ]);
}

/** `ext.bin`: ext and fixext values (Consul registers no extension; inspect's generic decode may refuse them). */
export function extFixture(): Buffer {
  return stateBin(3, [
    { type: 210, value: raw([0x93, 0xc7, 2, 5, 0xaa, 0xbb, 0xc8, 0, 1, 5, 0xcc, 0xc9, 0, 0, 0, 1, 5, 0xdd]) },
    { type: 211, value: raw([0x95, 0xd4, 1, 0xaa, 0xd5, 1, 1, 2, 0xd6, 1, 1, 2, 3, 4, 0xd7, 1, ...new Array(8).fill(7), 0xd8, 1, ...new Array(16).fill(9)]) },
  ]);
}

/** `chunking-in-flight.bin`: a ChunkingState whose ChunkMap holds two in-flight operations. */
export function chunkingFixture(): Buffer {
  return stateBin(12, [kvs('k', 'v'), chunkingState(2)]);
}

/** `header-only.bin`: a snapshot of an empty state store that wrote no record. */
export function headerOnlyFixture(): Buffer {
  return stateHeader(0);
}

/** Every fixture by file name. */
export const STATE_BIN_FIXTURES: Readonly<Record<string, () => Buffer>> = {
  'typical.bin': typicalFixture,
  'weird-keys.bin': weirdKeysFixture,
  'formats.bin': formatsFixture,
  'ext.bin': extFixture,
  'chunking-in-flight.bin': chunkingFixture,
  'header-only.bin': headerOnlyFixture,
};

/** The inspect flag sets the goldens cover: `[name, kvdetails, kvdepth, kvfilter]`. */
export const INSPECT_VARIANTS: readonly (readonly [string, boolean, number, string])[] = [
  ['plain', false, 2, ''],
  ['kv', true, 2, ''],
  ['kv-depth0', true, 0, ''],
  ['kv-depth1', true, 1, ''],
  ['kv-depth5', true, 5, ''],
  ['kv-filter-a', true, 3, 'a/'],
  ['kv-filter-vault-core', true, 2, 'vault/core'],
  ['kv-filter-none', true, 2, 'nothing-matches'],
];
