/**
 * Contract tests: what the simulator writes into state.bin, decoded with an independent msgpack library and checked
 * against shared/reference/state-bin.md (record layout §2, dialect §3, schemas §5, goldens §3.8).
 */
import { decode, decodeMulti } from '@msgpack/msgpack';
import { ConsulSimulator, startConsulSimulator } from '../../../local/consul-simulator';
import { GoMsgpackWriter } from '../../../local/consul-simulator/go-msgpack';
import { encodeGo } from '../../../local/consul-simulator/go-schema';
import { stateSchemas } from '../../../local/consul-simulator/state-schemas';
import { call } from './http';
import { decodeStateBin, DecodedRecord, stateBinOf, text } from './state-bin';

/** CE persist order (state-bin.md §2.3) as type ids. */
const PERSIST_ORDER = [32, 33, 0, 6, 3, 17, 19, 23, 25, 27, 2, 5, 7, 9, 12, 13, 14, 15, 22, 30, 31, 16, 35, 38, 40, 42];
const goSorted = (keys: string[]) => [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
const keysOf = (v: unknown) => Object.keys(v as object);
const first = (records: DecodedRecord[], type: number, where: (v: Record<string, unknown>) => boolean = () => true) =>
  records.find((r) => r.type === type && where(r.value as Record<string, unknown>)) as DecodedRecord;

describe('state.bin written by the simulator (state-bin.md)', () => {
  let sim: ConsulSimulator;
  let records: DecodedRecord[];
  let state: Buffer;

  beforeAll(async () => {
    // Prepare: one of everything the simulator models.
    sim = await startConsulSimulator({ nodeName: 'server-1' });
    sim.state.registerService({ name: 'web', port: 8080, tags: ['v1'] });
    sim.state.registerService({ name: 'web-sidecar-proxy', port: 21000, proxyFor: { service: 'web', localPort: 8080 } });
    sim.state.registerCheck({ id: 'web-http', serviceId: 'web', type: 'http', definition: { HTTP: 'http://127.0.0.1:8080/health', Interval: 10_000_000_000 } });
    sim.state.createSession({ name: 'leader-lock' });
    sim.state.kvPut('config/payments/limits', 'x'.repeat(40), 42);
    sim.state.kvPut('config/gone', 'bye');
    sim.state.kvDelete('config/gone');
    const policy = sim.state.createPolicy({ Name: 'kv-read', Rules: 'key_prefix "" { policy = "read" }' });
    sim.state.createRole({ Name: 'reader', Policies: [{ ID: policy.ID }] });
    sim.state.createToken({
      Description: 'expiring',
      Policies: [{ ID: policy.ID }],
      TemplatedPolicies: [{ TemplateName: 'builtin/service', TemplateVariables: { name: 'web' } }],
      ExpirationTTL: '1h',
    });
    sim.state.setConfigEntry({ Kind: 'service-intentions', Name: 'db', Sources: [{ Name: 'web', Action: 'allow' }] });
    sim.state.setConfigEntry({ Kind: 'service-defaults', Name: 'web', Protocol: 'http' });
    // Act
    const res = await call(sim.url, 'GET', '/v1/snapshot', { token: sim.managementToken.secretId });
    state = await stateBinOf(res.bytes);
    records = decodeStateBin(state).records;
  });
  afterAll(() => sim.stop());

  it('writes records in CE persist order and ends with ChunkingState `1d 81 a8"ChunkMap" 80`', () => {
    const types = records.map((r) => r.type);
    const body = types.slice(0, -1);
    expect(body.map((t) => PERSIST_ORDER.indexOf(t))).toEqual([...body.map((t) => PERSIST_ORDER.indexOf(t))].sort((a, b) => a - b));
    expect(body.every((t) => PERSIST_ORDER.includes(t))).toBe(true);
    expect(records.at(-1)!.bytes).toEqual(Buffer.from([0x1d, 0x81, 0xa8, ...Buffer.from('ChunkMap'), 0x80]));
    expect(new Set(types)).toEqual(new Set([0, 3, 17, 19, 23, 2, 5, 9, 13, 14, 15, 22, 30, 31, 16, 29]));
  });

  it('per node: the node, then its services, then its checks, all with the node RaftIndex', () => {
    const registers = records.filter((r) => r.type === 0).map((r) => r.value as Record<string, unknown>);
    const shape = registers.map((r) => (r.Service ? `svc:${text((r.Service as Record<string, unknown>).ID)}` : r.Check ? `check:${text((r.Check as Record<string, unknown>).CheckID)}` : 'node'));
    expect(shape).toEqual(['node', 'svc:consul', 'svc:web', 'svc:web-sidecar-proxy', 'check:serfHealth', 'check:web-http']);
    expect(new Set(registers.map((r) => `${r.CreateIndex}/${r.ModifyIndex}`)).size).toBe(1);
    expect(keysOf(registers[0])).toEqual(['Address', 'Check', 'Checks', 'CreateIndex', 'Datacenter', 'ID', 'Locality', 'ModifyIndex', 'Node', 'NodeMeta', 'PeerName', 'Service', 'SkipNodeUpdate', 'TaggedAddresses', 'Token']);
    expect(first(records, 0, (v) => v.Service !== null).bytes[1]).toBe(0x8f);
    const svc = registers[2].Service as Record<string, unknown>;
    expect(keysOf(svc)).toEqual(['Address', 'Connect', 'CreateIndex', 'EnableTagOverride', 'ID', 'Kind', 'Locality', 'LocallyRegisteredAsSidecar', 'Meta', 'ModifyIndex', 'PeerName', 'Port', 'Proxy', 'Service', 'SocketPath', 'TaggedAddresses', 'Tags', 'Weights']);
    expect(svc.Weights).toEqual({ Passing: 1, Warning: 1 });
    const proxy = (registers[3].Service as Record<string, unknown>).Proxy as Record<string, unknown>;
    expect([text(proxy.DestinationServiceName), proxy.LocalServicePort]).toEqual(['web', 8080]);
    const check = registers[5].Check as Record<string, unknown>;
    expect(keysOf(check)).toEqual(['CheckID', 'CreateIndex', 'Definition', 'ExposedPort', 'Interval', 'ModifyIndex', 'Name', 'Node', 'Notes', 'Output', 'PeerName', 'ServiceID', 'ServiceName', 'ServiceTags', 'Status', 'Timeout', 'Type']);
    // Durations are int nanoseconds: 10s needs the 8-byte form.
    expect((check.Definition as Record<string, unknown>).Interval).toBe(10_000_000_000n);
  });

  it('every struct is a map of Go field names in Go byte order, all fields present', () => {
    const expected: Record<number, string[]> = {
      2: ['CreateIndex', 'Flags', 'Key', 'LockIndex', 'ModifyIndex', 'Session', 'Value'],
      3: ['Behavior', 'Checks', 'CreateIndex', 'ID', 'LockDelay', 'ModifyIndex', 'Name', 'Node', 'NodeChecks', 'ServiceChecks', 'TTL'],
      17: ['AccessorID', 'AuthMethod', 'CreateIndex', 'CreateTime', 'Description', 'ExpirationTTL', 'ExpirationTime', 'Hash', 'Local', 'ModifyIndex', 'NodeIdentities', 'Policies', 'Roles', 'SecretID', 'ServiceIdentities', 'TemplatedPolicies'],
      19: ['CreateIndex', 'Datacenters', 'Description', 'Hash', 'ID', 'ModifyIndex', 'Name', 'Rules'],
      23: ['CreateIndex', 'Description', 'Hash', 'ID', 'ModifyIndex', 'Name', 'NodeIdentities', 'Policies', 'ServiceIdentities', 'TemplatedPolicies'],
      9: ['CleanupDeadServers', 'CreateIndex', 'DisableUpgradeMigration', 'LastContactThreshold', 'MaxTrailingLogs', 'MinQuorum', 'ModifyIndex', 'RedundancyZoneTag', 'ServerStabilizationTime', 'UpgradeVersionTag'],
      13: ['Active', 'CreateIndex', 'ExternalTrustDomain', 'ID', 'IntermediateCerts', 'ModifyIndex', 'Name', 'NotAfter', 'NotBefore', 'PrivateKeyBits', 'PrivateKeyType', 'RootCert', 'RotatedOutAt', 'SerialNumber', 'SigningCert', 'SigningKey', 'SigningKeyID'],
      14: ['CreateIndex', 'ID', 'IntermediateCert', 'ModifyIndex', 'PrivateKey', 'RootCert'],
      15: ['ClusterID', 'Config', 'CreateIndex', 'ForceWithoutCrossSigning', 'ModifyIndex', 'Provider', 'State'],
      31: ['CreateIndex', 'Key', 'ModifyIndex', 'Value'],
      16: ['Key', 'Value'],
    };
    for (const [type, keys] of Object.entries(expected)) {
      const found = records.filter((r) => r.type === Number(type));
      expect(found.length).toBeGreaterThan(0);
      for (const r of found) expect([type, keysOf(r.value)]).toEqual([type, keys]);
    }
    for (const r of records) if (r.value && typeof r.value === 'object' && !(r.value instanceof Uint8Array)) expect(keysOf(r.value)).toEqual(goSorted(keysOf(r.value)));
    const token = first(records, 17, (v) => text(v.Description) === 'expiring').value as Record<string, unknown>;
    const [templated] = token.TemplatedPolicies as Record<string, unknown>[];
    expect(keysOf(templated)).toEqual(['Datacenters', 'TemplateID', 'TemplateName', 'TemplateVariables']);
    expect([templated.Datacenters, text(templated.TemplateID), text(templated.TemplateName), text((templated.TemplateVariables as { Name: unknown }).Name)]).toEqual([null, '00000000-0000-0000-0000-000000000003', 'builtin/service', 'web']);
    expect((token.Policies as Record<string, unknown>[]).map((p) => text(p.Name))).toEqual(['kv-read']);
    expect((token.Hash as Uint8Array).length).toBe(32);
    const anonymous = first(records, 17, (v) => text(v.AccessorID) === '00000000-0000-0000-0000-000000000002').value as Record<string, unknown>;
    expect([anonymous.ExpirationTime, anonymous.Policies, anonymous.TemplatedPolicies]).toEqual([null, null, null]);
  });

  it('times are the 15-byte Go MarshalBinary: ff ff for UTC (CA validity), the local offset for time.Now() stamps', () => {
    const root = first(records, 13).value as Record<string, Uint8Array>;
    const notAfter = Buffer.from(root.NotAfter);
    expect(notAfter.length).toBe(15);
    expect([notAfter[0], notAfter.readInt16BE(13)]).toEqual([1, -1]);
    const seconds = notAfter.readBigInt64BE(1) - 62_135_596_800n;
    expect(new Date(Number(seconds) * 1000).toISOString()).toBe(new Date(sim.state.ca.activeRoot().NotAfter).toISOString());
    expect(Buffer.from(root.RotatedOutAt)).toEqual(Buffer.from([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]));
    const token = first(records, 17, (v) => text(v.Description) === 'expiring').value as Record<string, Uint8Array>;
    const created = Buffer.from(token.CreateTime);
    expect([created.length, created.readInt16BE(13)]).toEqual([15, 0]);
    const stored = sim.state.listTokens().find((t) => t.Description === 'expiring')!;
    expect(Number(created.readBigInt64BE(1) - 62_135_596_800n) * 1000 + Math.floor(created.readUInt32BE(9) / 1e6)).toBe(Date.parse(stored.CreateTime));
    expect(Buffer.from(token.ExpirationTime).length).toBe(15);
  });

  it('writes bytes and strings as the str family: a 40-byte value is `da 00 28`, never str8 or bin', () => {
    const value = Buffer.from('x'.repeat(40));
    const at = state.indexOf(value);
    expect(state.subarray(at - 3, at)).toEqual(Buffer.from([0xda, 0x00, 0x28]));
    // Decoded without rawStrings, a bin value would come back as bytes and an ext as ExtData: there are none.
    const plain = (v: unknown): boolean => (v instanceof Uint8Array ? false : Array.isArray(v) ? v.every(plain) : v && typeof v === 'object' ? Object.values(v).every(plain) : true);
    for (const r of records.filter((x) => x.type !== 22)) expect(plain(decode(r.bytes.subarray(1), { useBigInt64: true }))).toBe(true);
  });

  it('KVS and Tombstone records: flags, nil value, and the tombstone carrying only Key and ModifyIndex', () => {
    const kv = first(records, 2).value as Record<string, unknown>;
    expect([text(kv.Key), kv.Flags, text(kv.Value), kv.LockIndex, text(kv.Session)]).toEqual(['config/payments/limits', 42, 'x'.repeat(40), 0, '']);
    const stone = first(records, 5).value as Record<string, unknown>;
    expect([text(stone.Key), stone.CreateIndex, stone.Flags, stone.Value, stone.ModifyIndex]).toEqual(['config/gone', 0, 0, null, sim.state.store.tombstones.get('config/gone')]);
  });

  it('ConfigEntry records are a raw string holding kind + ConfigEntryRequest{Datacenter, Entry, Op, Token}', () => {
    const entries = records.filter((r) => r.type === 22);
    expect(entries.map((r) => r.bytes[1])).toEqual(entries.map(() => 0xda));
    const [kind, request] = [...(entries.map((r) => r.value as Uint8Array).map((payload) => [...decodeMultiOf(payload)]))][1] as [Uint8Array, Record<string, unknown>];
    expect(text(kind)).toBe('service-intentions');
    expect(keysOf(request)).toEqual(['Datacenter', 'Entry', 'Op', 'Token']);
    const entry = request.Entry as Record<string, unknown>;
    expect(keysOf(entry)).toEqual(['CreateIndex', 'Hash', 'JWT', 'Kind', 'Meta', 'ModifyIndex', 'Name', 'Sources']);
    expect(typeof entry.Hash).toBe('bigint');
    const source = (entry.Sources as Record<string, unknown>[])[0];
    expect(keysOf(source)).toEqual(['Action', 'Description', 'LegacyCreateTime', 'LegacyID', 'LegacyMeta', 'LegacyUpdateTime', 'Name', 'Peer', 'Permissions', 'Precedence', 'SamenessGroup', 'Type']);
    expect([text(source.Name), text(source.Action), source.Precedence, text(source.Type)]).toEqual(['web', 'allow', 9, 'consul']);
    expect(text(([...decodeMultiOf(entries[0].value as Uint8Array)][0]) as Uint8Array)).toBe('service-defaults');
  });

  it('reproduces the reference goldens: the 76-byte KVS example, Autopilot 199B, SystemMetadata 68B, FederationState 139B', () => {
    const w = new GoMsgpackWriter().byte(2);
    encodeGo(w, stateSchemas(sim.profile.features).dirEntry, { Key: 'foo/bar', Value: Buffer.from('hi'), CreateIndex: 5, ModifyIndex: 6 });
    const kvs = Buffer.concat([
      Buffer.from([0x02, 0x87, 0xab]), Buffer.from('CreateIndex'), Buffer.from([0x05, 0xa5]), Buffer.from('Flags'), Buffer.from([0x00, 0xa3]), Buffer.from('Key'),
      Buffer.from([0xa7]), Buffer.from('foo/bar'), Buffer.from([0xa9]), Buffer.from('LockIndex'), Buffer.from([0x00, 0xab]), Buffer.from('ModifyIndex'),
      Buffer.from([0x06, 0xa7]), Buffer.from('Session'), Buffer.from([0xa0, 0xa5]), Buffer.from('Value'), Buffer.from([0xa2]), Buffer.from('hi'),
    ]);
    expect([w.bytes().length, Buffer.from(w.bytes())]).toEqual([76, kvs]);
    // The goldens were taken with small (fixint) indexes, as the bootstrap records here have.
    expect(first(records, 9).value).toMatchObject({ CleanupDeadServers: true, LastContactThreshold: 200_000_000, MaxTrailingLogs: 250, ServerStabilizationTime: 10_000_000_000n, CreateIndex: expect.any(Number) });
    expect((first(records, 9).value as { CreateIndex: number }).CreateIndex).toBeLessThan(128);
    expect(first(records, 9).bytes.length).toBe(199);
    expect(first(records, 31, (v) => text(v.Key) === 'intention-format').bytes.length).toBe(68);
    expect(first(records, 30).bytes.length).toBe(139);
  });
});

function decodeMultiOf(payload: Uint8Array): Generator<unknown> {
  return decodeMulti(payload, { rawStrings: true, useBigInt64: true });
}
