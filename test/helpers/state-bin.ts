/**
 * Test fixtures for state.bin: the `{LastIndex}` header, records (type byte + value) and the Consul CE record shapes
 * of reference state-bin.md §5 (field sets as 1.16+ CE writes them), encoded with {@link encodeMsgpack}.
 */
import { MESSAGE_TYPES } from '../../functions/core/snapshot-contents/message-types';
import { createStateBinDecoder, type StateBinDecodeResult, type StateBinDecoderOptions, type StateBinEndOptions } from '../../functions/core/snapshot-contents/state-bin-decoder';
import { encodeMsgpack, goMap, GoTime } from './consul-msgpack';

/** One record: its type byte and its value (encoded with {@link encodeMsgpack}, or pre-encoded bytes). */
export interface RecordSpec {
  readonly type: number;
  readonly value: unknown;
}

/** The header `{LastIndex}` as Consul writes it. */
export function stateHeader(lastIndex: number | bigint): Buffer {
  return encodeMsgpack({ LastIndex: lastIndex });
}

/** One record's bytes. */
export function stateRecord(type: number, value: unknown): Buffer {
  return Buffer.concat([Buffer.from([type]), encodeMsgpack(value)]);
}

/** A whole state.bin. */
export function stateBin(lastIndex: number | bigint, records: readonly RecordSpec[]): Buffer {
  return Buffer.concat([stateHeader(lastIndex), ...records.map((r) => stateRecord(r.type, r.value))]);
}

/** `buf` cut into chunks of `size` bytes. */
export function chunksOf(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

/** `buf` cut at pseudo-random points (deterministic per seed), chunk lengths 1..maxChunk. */
export function randomChunks(buf: Buffer, seed: number, maxChunk = 97): Buffer[] {
  const out: Buffer[] = [];
  let s = seed >>> 0 || 1;
  for (let i = 0; i < buf.length; ) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    const n = 1 + (s % maxChunk);
    // Copies, so that a decoder keeping a reference to a released chunk would see garbage.
    out.push(Buffer.from(buf.subarray(i, i + n)));
    i += n;
  }
  return out;
}

/** Decodes `chunks` (copied one by one into a reused buffer, which is then scribbled over, as a stream reuses memory). */
export function decodeChunks(chunks: readonly Buffer[], options: StateBinDecoderOptions = {}, end: StateBinEndOptions = {}): StateBinDecodeResult {
  const decoder = createStateBinDecoder(options);
  const scratch = Buffer.alloc(Math.max(1, ...chunks.map((c) => c.length)));
  for (const chunk of chunks) {
    chunk.copy(scratch);
    decoder.write(scratch.subarray(0, chunk.length));
    scratch.fill(0xc1);
  }
  return decoder.end(end);
}

/** Decodes a whole state.bin in one chunk. */
export function decodeWhole(bytes: Buffer, options: StateBinDecoderOptions = {}, end: StateBinEndOptions = {}): StateBinDecodeResult {
  return decodeChunks([bytes], options, end);
}

const T = MESSAGE_TYPES;
const CREATED = new GoTime(new Date('2024-05-01T10:00:00Z'));

/** A KVS record (`structs.DirEntry`). */
export function kvs(key: string | Buffer, value: string | Buffer | null, extra: { flags?: number | bigint; lockIndex?: number; session?: string; createIndex?: number; modifyIndex?: number } = {}): RecordSpec {
  return {
    type: T.kvs,
    value: {
      CreateIndex: extra.createIndex ?? 5,
      Flags: extra.flags ?? 0,
      Key: key,
      LockIndex: extra.lockIndex ?? 0,
      ModifyIndex: extra.modifyIndex ?? 6,
      Session: extra.session ?? '',
      Value: value === null ? null : Buffer.from(value),
    },
  };
}

/** A Tombstone record: a DirEntry with only Key and ModifyIndex set. */
export function tombstone(key: string, modifyIndex = 300): RecordSpec {
  return { type: T.tombstone, value: { CreateIndex: 0, Flags: 0, Key: key, LockIndex: 0, ModifyIndex: modifyIndex, Session: '', Value: null } };
}

function registerRequest(node: string, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    Address: '10.0.0.1',
    Check: null,
    Checks: null,
    CreateIndex: 10,
    Datacenter: 'dc1',
    ID: '11111111-2222-3333-4444-555555555555',
    Locality: null,
    ModifyIndex: 12,
    Node: node,
    NodeMeta: goMap([['consul-network-segment', '']]),
    PeerName: '',
    Service: null,
    SkipNodeUpdate: false,
    TaggedAddresses: goMap([['lan', '10.0.0.1']]),
    Token: '',
    ...extra,
  };
}

/** The node-only Register record persistNodes writes first for each node. */
export function registerNode(node: string): RecordSpec {
  return { type: T.register, value: registerRequest(node, {}) };
}

/** A Register record carrying one service instance (`structs.NodeService`, 18 keys). */
export function registerService(node: string, service: string, id = service, kind = ''): RecordSpec {
  const nodeService = {
    Address: '',
    Connect: { Native: false, PeerMeta: null, SidecarService: null },
    CreateIndex: 20,
    EnableTagOverride: false,
    ID: id,
    Kind: kind,
    Locality: null,
    LocallyRegisteredAsSidecar: false,
    Meta: goMap([['version', '1']]),
    ModifyIndex: 21,
    PeerName: '',
    Port: 8080,
    Proxy: { Config: null, DestinationServiceID: '', DestinationServiceName: '', Expose: { Checks: false, Paths: null }, LocalServiceAddress: '', LocalServicePort: 0, Mode: '', Upstreams: null },
    Service: service,
    SocketPath: '',
    TaggedAddresses: null,
    Tags: ['primary'],
    Weights: { Passing: 1, Warning: 1 },
  };
  return { type: T.register, value: registerRequest(node, { Service: nodeService }) };
}

/** A Register record carrying one health check (`structs.HealthCheck`, 17 keys). */
export function registerCheck(node: string, checkId: string, serviceName = ''): RecordSpec {
  const check = {
    CheckID: checkId,
    CreateIndex: 30,
    Definition: { HTTP: '', Interval: 0, TCP: '', Timeout: 0 },
    ExposedPort: 0,
    Interval: '',
    ModifyIndex: 31,
    Name: `check ${checkId}`,
    Node: node,
    Notes: '',
    Output: '',
    PeerName: '',
    ServiceID: serviceName,
    ServiceName: serviceName,
    ServiceTags: null,
    Status: 'passing',
    Timeout: '',
    Type: 'ttl',
  };
  return { type: T.register, value: registerRequest(node, { Check: check }) };
}

/** An ACLToken record (1.16 CE, 15 keys). The secret is in clear, as in Consul. */
export function aclToken(accessorId: string, secretId: string, description: string, policies: readonly string[] = []): RecordSpec {
  return {
    type: T.aclToken,
    value: {
      AccessorID: accessorId,
      AuthMethod: '',
      CreateIndex: 40,
      CreateTime: CREATED,
      Description: description,
      ExpirationTTL: 0,
      ExpirationTime: null,
      Hash: Buffer.alloc(32, 7),
      Local: false,
      ModifyIndex: 41,
      NodeIdentities: null,
      Policies: policies.map((name, i) => ({ ID: `policy-id-${i}`, Name: name })),
      Roles: null,
      SecretID: secretId,
      ServiceIdentities: null,
    },
  };
}

/** An ACLPolicy record. */
export function aclPolicy(id: string, name: string, rules: string, description = ''): RecordSpec {
  return { type: T.aclPolicy, value: { CreateIndex: 50, Datacenters: null, Description: description, Hash: Buffer.alloc(32, 1), ID: id, ModifyIndex: 51, Name: name, Rules: rules } };
}

/** An ACLRole record. */
export function aclRole(id: string, name: string, policies: readonly string[], description = ''): RecordSpec {
  return {
    type: T.aclRole,
    value: { CreateIndex: 60, Description: description, Hash: Buffer.alloc(32, 2), ID: id, ModifyIndex: 61, Name: name, NodeIdentities: null, Policies: policies.map((p) => ({ ID: `id-${p}`, Name: p })), ServiceIdentities: null },
  };
}

/** A Session record. */
export function session(id: string, node: string): RecordSpec {
  return { type: T.session, value: { Behavior: 'release', Checks: null, CreateIndex: 70, ID: id, LockDelay: 15_000_000_000, ModifyIndex: 70, Name: '', Node: node, NodeChecks: ['serfHealth'], ServiceChecks: null, TTL: '' } };
}

/** A ConnectCA record (`structs.CARoot`). */
export function caRoot(id: string, active: boolean): RecordSpec {
  return {
    type: T.connectCA,
    value: {
      Active: active, CreateIndex: 80, ExternalTrustDomain: 'abc.consul', ID: id, IntermediateCerts: null, ModifyIndex: 80, Name: 'Consul CA Primary Cert',
      NotAfter: CREATED, NotBefore: CREATED, PrivateKeyBits: 256, PrivateKeyType: 'ec', RootCert: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
      RotatedOutAt: new GoTime(new Date(-62135596800000)), SerialNumber: 7, SigningCert: '', SigningKey: '', SigningKeyID: 'aa:bb',
    },
  };
}

/** A ConfigEntry record: raw string wrapping `kind` + `ConfigEntryRequest{Datacenter, Entry, Op, Token}` (§5.6). */
export function configEntry(kind: string, entry: Record<string, unknown>): RecordSpec {
  const payload = Buffer.concat([encodeMsgpack(kind), encodeMsgpack({ Datacenter: '', Entry: entry, Op: '', Token: '' })]);
  return { type: T.configEntry, value: payload };
}

/** One source of a service-intentions entry (`SourceIntention`). */
export interface SourceSpec {
  readonly name: string;
  readonly action?: string;
  readonly permissions?: unknown[];
  readonly peer?: string;
}

/** A `service-intentions` config entry for `destination`. */
export function serviceIntentions(destination: string, sources: readonly SourceSpec[]): RecordSpec {
  return configEntry('service-intentions', {
    CreateIndex: 90, JWT: null, Kind: 'service-intentions', Meta: null, ModifyIndex: 91, Name: destination,
    Sources: sources.map((s) => ({
      Action: s.action ?? '', Description: '', LegacyCreateTime: null, LegacyID: '', LegacyMeta: null, LegacyUpdateTime: null,
      Name: s.name, Peer: s.peer ?? '', Permissions: s.permissions ?? null, Precedence: 9, SamenessGroup: '', Type: 'consul',
    })),
  });
}

/** A `service-defaults` (or other kind) entry with just the common fields. */
export function simpleConfigEntry(kind: string, name: string): RecordSpec {
  return configEntry(kind, { CreateIndex: 95, Kind: kind, Meta: null, ModifyIndex: 95, Name: name, Protocol: 'http' });
}

/** ChunkingState with `inFlight` ChunkMap entries (uint64 keys, as go-raftchunking writes them). */
export function chunkingState(inFlight = 0): RecordSpec {
  const entries = Array.from({ length: inFlight }, (_, i) => [BigInt(1000 + i), [{ Data: Buffer.from('partial'), NumChunks: 3, OpNum: 1000 + i, SequenceNum: 0, Term: 2 }]] as const);
  return { type: T.chunkingState, value: { ChunkMap: goMap(entries) } };
}
