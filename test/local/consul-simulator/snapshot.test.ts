import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { ConsulSimulator, startConsulSimulator } from '../../../local/consul-simulator';
import { verifySnapshotStream } from '../../../functions/core/snapshot-archive';
import { ArchiveDefects, writeSnapshotArchive } from '../../../local/consul-simulator/archive-writer';
import { call } from './http';
import { archiveAround, decodeStateBin, stateBinOf, tarEntries } from './state-bin';
import { GoMsgpackWriter } from '../../../local/consul-simulator/go-msgpack';
import { CHUNKING_STATE_RECORD } from '../../../local/consul-simulator/state-bin-writer';
import { testMeta } from '../../helpers/in-memory-backups';

/** Raft index 13, term 2, one server: the meta.json of the Go-made fixtures. */
const META = testMeta(13);

async function archiveBytes(defects?: ArchiveDefects): Promise<Buffer> {
  const stream = writeSnapshotArchive({ meta: META, state: Buffer.from('opaque state bytes') }, { defects });
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function consulMessageFor(bytes: Buffer): Promise<string> {
  const err = (await verifySnapshotStream(Readable.from([bytes])).catch((e: unknown) => e)) as { context: { consulMessage: string } };
  return err.context.consulMessage;
}

describe('consul simulator: /v1/snapshot (consul-api.md §1)', () => {
  let sim: ConsulSimulator;
  let mgmt: string;

  beforeAll(async () => {
    sim = await startConsulSimulator({ nodeName: 'alpha' });
    mgmt = sim.managementToken.secretId;
  });
  afterAll(() => sim.stop());

  it('GET streams an archive the verifier accepts; meta.Index equals X-Consul-Index; SUMS lines in Consul format', async () => {
    // Act
    const res = await call(sim.url, 'GET', '/v1/snapshot', { token: mgmt });
    // Assess
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-gzip');
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(res.headers['x-consul-knownleader']).toBe('true');
    const verified = await verifySnapshotStream(Readable.from([res.bytes]));
    expect(verified.meta.Index).toBe(Number(res.headers['x-consul-index']));
    expect(verified.meta.ID).toMatch(new RegExp(`^${verified.meta.Term}-${verified.meta.Index}-\\d{13}$`));
    expect(verified.meta.Configuration.Servers).toEqual([{ Suffrage: 0, ID: expect.any(String), Address: '127.0.0.1:8300' }]);
    expect(verified.meta.Peers).toBe('ka4xMjcuMC4wLjE6ODMwMA==');
    const entries = await tarEntries(res.bytes);
    expect(entries.map((e) => e.name)).toEqual(['meta.json', 'state.bin', 'SHA256SUMS']);
    expect(entries.every((e) => e.mode === 0o600)).toBe(true);
    expect(entries[0].data.toString().endsWith('}\n')).toBe(true);
    const sums = entries[2].data.toString();
    expect(sums).toMatch(/^([0-9a-f]{64} {2}(meta\.json|state\.bin)\n){2}$/);
    expect(sums).toContain(`${createHash('sha256').update(entries[1].data).digest('hex')}  state.bin\n`);
    expect(verified.meta.Size).toBe(entries[1].data.length);
  });

  it('state.bin starts with SnapshotHeader{LastIndex}: the highest index-table row, in its smallest int form', async () => {
    // Act
    const res = await call(sim.url, 'GET', '/v1/snapshot', { token: mgmt });
    // Assess
    const state = await stateBinOf(res.bytes);
    const { header, headerBytes, records } = decodeStateBin(state);
    const indexRows = records.filter((r) => r.type === 16).map((r) => Number((r.value as { Value: number }).Value));
    expect(header).toEqual({ LastIndex: Math.max(...indexRows) });
    expect(headerBytes).toEqual(Buffer.from(new GoMsgpackWriter().mapHeader(1).str('LastIndex').int(Math.max(...indexRows)).bytes()));
    expect(Math.max(...indexRows)).toBeLessThanOrEqual(Number(res.headers['x-consul-index']));
  });

  it('needs acl:write (global-management or an acl = "write" policy)', async () => {
    const aclWrite = sim.state.createPolicy({ Name: 'snapshotter', Rules: 'acl = "write"' });
    const ok = sim.state.createToken({ Policies: [{ ID: aclWrite.ID }] });
    expect((await call(sim.url, 'GET', '/v1/snapshot', { token: ok.SecretID })).status).toBe(200);
    const op = sim.state.createPolicy({ Name: 'operator-only', Rules: 'operator = "write"' });
    const denied = sim.state.createToken({ Policies: [{ ID: op.ID }] });
    const res = await call(sim.url, 'PUT', '/v1/snapshot', { token: denied.SecretID, body: 'x' });
    expect([res.status, res.text]).toEqual([403, `Permission denied: token with AccessorID '${denied.AccessorID}' lacks permission 'acl:write'`]);
    const unknown = await call(sim.url, 'GET', '/v1/snapshot', { token: '11111111-2222-3333-4444-555555555555' });
    expect([unknown.status, unknown.text]).toEqual([403, 'ACL not found']);
  });

  it('without a leader: 500 No cluster leader, unless ?stale (then KnownLeader false)', async () => {
    sim.state.setLeader(false);
    try {
      const res = await call(sim.url, 'GET', '/v1/snapshot', { token: mgmt });
      expect([res.status, res.text]).toEqual([500, 'No cluster leader']);
      const stale = await call(sim.url, 'GET', '/v1/snapshot?stale', { token: mgmt });
      expect(stale.status).toBe(200);
      expect(stale.headers['x-consul-knownleader']).toBe('false');
      const restore = await call(sim.url, 'PUT', '/v1/snapshot?stale', { token: mgmt, body: stale.bytes });
      expect([restore.status, restore.text]).toEqual([500, 'stale not allowed for restore']);
    } finally {
      sim.state.setLeader(true);
    }
  });

  const defects: [string, () => Promise<Buffer>, string | undefined][] = [
    ['not gzip', async () => Buffer.from('this is not gzip at all'), 'failed to decompress snapshot: gzip: invalid header'],
    ['meta digest', () => archiveBytes({ metaDigest: '0'.repeat(64) }), 'failed to read snapshot file: failed checking integrity of snapshot: hash check failed for "meta.json"'],
    ['state digest', () => archiveBytes({ stateDigest: '0'.repeat(64) }), 'failed to read snapshot file: failed checking integrity of snapshot: hash check failed for "state.bin"'],
    ['state line missing', () => archiveBytes({ omitSumsLines: ['state.bin'] }), 'failed to read snapshot file: failed checking integrity of snapshot: file missing for "state.bin"'],
    ['no SHA256SUMS', () => archiveBytes({ omitSums: true }), 'failed to read snapshot file: failed checking integrity of snapshot: file missing for "meta.json"'],
    ['unknown file in SUMS', () => archiveBytes({ extraSumsLines: [`${'a'.repeat(64)}  other.bin`] }), 'failed to read snapshot file: failed checking integrity of snapshot: list missing hash for "other.bin"'],
    ['extra entry', () => archiveBytes({ extraEntries: [{ name: 'extra.txt', data: Buffer.from('x') }] }), 'failed to read snapshot file: unexpected file "extra.txt" in snapshot'],
    ['bad meta.json', () => archiveBytes({ metaJson: '{"Version":' }), undefined],
    ['bad gzip CRC', () => archiveBytes({ badTrailer: 'crc' }), 'gzip: invalid checksum'],
    ['data after tar end', () => archiveBytes({ trailingUncompressed: Buffer.alloc(10, 1) }), undefined],
    ['truncated', async () => (await archiveBytes()).subarray(0, 300), undefined],
  ];

  it.each(defects)('PUT of an archive with %s → 500 with Consul exact text', async (_name, build, literal) => {
    // Prepare
    const bytes = await build();
    const expected = await consulMessageFor(bytes);
    // Act
    const res = await call(sim.url, 'PUT', '/v1/snapshot', { token: mgmt, body: bytes, headers: { 'Content-Type': 'application/octet-stream' } });
    // Assess
    expect(res.status).toBe(500);
    expect(res.text).toBe(expected);
    if (literal) expect(res.text).toBe(literal);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
  });

  it('bad meta.json and trailing data report the decoder texts', async () => {
    const meta = await call(sim.url, 'PUT', '/v1/snapshot', { token: mgmt, body: await archiveBytes({ metaJson: '{"Version":' }) });
    expect(meta.text).toMatch(/^failed to read snapshot file: failed to decode snapshot metadata: /);
    const trailing = await call(sim.url, 'PUT', '/v1/snapshot', { token: mgmt, body: await archiveBytes({ trailingUncompressed: Buffer.alloc(10, 1) }) });
    expect(trailing.text).toMatch(/unread uncompressed bytes remain$/);
  });

  it('snapshot → mutate → restore brings the old state back and records the archive sha256', async () => {
    // Prepare
    const keep = sim.state.createToken({ Description: 'present at snapshot time' });
    sim.state.setConfigEntry({ Kind: 'service-intentions', Name: 'db', Sources: [{ Name: 'web', Action: 'allow' }] });
    sim.state.kvPut('app/config', 'v1');
    const saved = await call(sim.url, 'GET', '/v1/snapshot', { token: mgmt });
    const savedIndex = Number(saved.headers['x-consul-index']);
    const later = sim.state.createToken({ Description: 'created after the snapshot' });
    sim.state.deleteToken(keep.AccessorID);
    sim.state.deleteConfigEntry('service-intentions', 'db');
    sim.state.kvPut('app/config', 'v2');
    // Act
    const res = await call(sim.url, 'PUT', '/v1/snapshot', { token: mgmt, body: saved.bytes });
    // Assess
    expect([res.status, res.text]).toEqual([200, '']);
    expect(sim.state.getToken(keep.AccessorID)?.Description).toBe('present at snapshot time');
    expect(sim.state.getToken(later.AccessorID)).toBeUndefined();
    expect(sim.state.getConfigEntry('service-intentions', 'db')).toBeDefined();
    expect(sim.state.kvGet('app/config')).toBe('v1');
    const restore = sim.state.restores[sim.state.restores.length - 1];
    expect(restore).toMatchObject({ archiveSha256: createHash('sha256').update(saved.bytes).digest('hex'), stateReplaced: true, index: savedIndex });
    expect(restore.error).toBeUndefined();
    const list = await call(sim.url, 'GET', '/v1/acl/tokens', { token: mgmt });
    expect(Number(list.headers['x-consul-index'])).toBeLessThanOrEqual(savedIndex);
  });

  /** A state.bin: header, the given records, ChunkingState. */
  const stateWith = (...records: Buffer[]) => Buffer.concat([Buffer.from(new GoMsgpackWriter().mapHeader(1).str('LastIndex').int(5).bytes()), ...records, CHUNKING_STATE_RECORD]);

  it('meta.json Version 2 passes the archive checks, then raft refuses it: 500 Raft error … unsupported snapshot version 2', async () => {
    // Prepare
    const saved = await stateBinOf((await call(sim.url, 'GET', '/v1/snapshot', { token: mgmt })).bytes);
    const marker = sim.state.createToken({ Description: 'must survive' });
    // Act
    const res = await call(sim.url, 'PUT', '/v1/snapshot', { token: mgmt, body: await archiveAround(saved, { Version: 2 }) });
    // Assess
    expect([res.status, res.text]).toEqual([500, 'Raft error when restoring snapshot: unsupported snapshot version 2']);
    expect(sim.state.getToken(marker.AccessorID)).toBeDefined();
    expect(sim.state.restores.at(-1)).toMatchObject({ stateReplaced: false, error: 'unsupported snapshot version 2' });
  });

  it.each([
    ['random bytes (no records)', Buffer.from('not msgpack at all'), /^failed to restore snapshot: /],
    ['an Enterprise record (type 65)', stateWith(Buffer.from([65, 0xa0])), /^failed to restore snapshot: msg type <65> is a Consul Enterprise log entry\. Consul CE cannot restore it$/],
    ['an unknown CE type (44)', stateWith(Buffer.from([44, 0xc0])), /^failed to restore snapshot: Unrecognized msg type 44$/],
    ['a KVS record cut short', stateWith(Buffer.from([2, 0x87, 0xa3])).subarray(0, -CHUNKING_STATE_RECORD.length), /^failed to restore snapshot: /],
    ['a KVS record with a map for Key', stateWith(Buffer.from([2, 0x81, 0xa3, ...Buffer.from('Key'), 0x80])), /^failed to restore snapshot: failed to decode msg type KVS/],
  ])('a verified archive whose state.bin holds %s: the connection closes without an answer (Consul\'s leader panics) and the state stays', async (_name, state, error) => {
    // Prepare
    const marker = sim.state.createToken({ Description: 'created before the bad restore' });
    const restores = sim.state.restores.length;
    // Act
    const attempt = call(sim.url, 'PUT', '/v1/snapshot', { token: mgmt, body: await archiveAround(state) });
    // Assess
    await expect(attempt).rejects.toThrow(/other side closed|socket hang up|ECONNRESET/);
    expect(sim.state.getToken(marker.AccessorID)).toBeDefined();
    expect(sim.state.restores.slice(restores)).toEqual([expect.objectContaining({ stateReplaced: false, error: expect.stringMatching(error) })]);
    expect((await call(sim.url, 'GET', '/v1/acl/token/self', { token: mgmt })).status).toBe(200);
  });

  it('pads state.bin to snapshotStateBytes and still round-trips', async () => {
    const big = await startConsulSimulator({ snapshotStateBytes: 3 * 1024 * 1024, gzipLevel: 1 });
    try {
      const token = { token: big.managementToken.secretId };
      const res = await call(big.url, 'GET', '/v1/snapshot', token);
      const verified = await verifySnapshotStream(Readable.from([res.bytes]));
      expect(verified.stateBytes).toBe(3 * 1024 * 1024);
      big.state.createToken({ Description: 'after' });
      expect((await call(big.url, 'PUT', '/v1/snapshot', { ...token, body: res.bytes })).status).toBe(200);
      expect(big.state.restores[0].stateReplaced).toBe(true);
      expect(big.state.listTokens().some((t) => t.Description === 'after')).toBe(false);
      // The synthetic filler is regenerated by every snapshot, never restored into the KV store.
      expect(big.state.kvList()).toEqual([]);
    } finally {
      await big.stop();
    }
  });
});
