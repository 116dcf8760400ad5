import { createHash } from 'node:crypto';
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import * as tarStream from 'tar-stream';
import { ConsulOpsError, InvalidInputError } from '../../../../functions/core/shared/errors';
import { createSnapshotVerifier, SnapshotVerificationError, SnapshotVerifyAbortedError, verifySnapshotStream } from '../../../../functions/core/snapshot-archive';
import { syntheticStateStream } from '../../../../local/consul-simulator/synthetic-state';
import { writeSnapshotArchive, type ArchiveDefects, type WriteArchiveOptions } from '../../../../local/consul-simulator/archive-writer';
import { sampleLiveMemory } from '../../../helpers/live-memory';
import { testMeta } from '../../../helpers/in-memory-backups';

// Verbatim from hashicorp/consul command/snapshot/inspect/testdata/raw/meta.json (consul-api.md §1.4).
const CONSUL_META_JSON =
  '{"Version":1,"ID":"2-13-1602222343947","Index":13,"Term":2,"Peers":"ka4xMjcuMC4wLjE6ODMwMA==","Configuration":{"Servers":[{"Suffrage":0,"ID":"a577b288-b354-770e-e909-da0972eb20e8","Address":"127.0.0.1:8300"}]},"ConfigurationIndex":1,"Size":5141}\n';
/** Raft index 13, term 2, one server: the meta.json of the Go-made fixtures. */
const META = testMeta(13);
const STATE_SIZE = 5141;
const MTIME = new Date('2020-10-09T05:45:43Z');
const PREFIX = 'failed to read snapshot file: ';
const INTEGRITY = `${PREFIX}failed checking integrity of snapshot: `;

async function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(parts);
}

async function stateBytes(size = STATE_SIZE, seed = 3): Promise<Buffer> {
  return collect(syntheticStateStream({ bytes: size, seed }));
}

async function buildArchive(options: WriteArchiveOptions = {}, size = STATE_SIZE): Promise<Buffer> {
  return collect(writeSnapshotArchive({ meta: META, state: { size, stream: syntheticStateStream({ bytes: size, seed: 3 }) } }, { mtime: MTIME, ...options }));
}

function chunked(bytes: Buffer, size: number): Readable {
  const parts: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) parts.push(bytes.subarray(at, at + size));
  return Readable.from(parts);
}

/** The verification error of `bytes`, or undefined when they verify. */
async function verificationError(bytes: Buffer, chunkSize = 4096): Promise<SnapshotVerificationError | undefined> {
  try {
    await verifySnapshotStream(chunked(bytes, chunkSize));
    return undefined;
  } catch (err) {
    if (err instanceof SnapshotVerificationError) return err;
    throw err;
  }
}

async function tarEntries(tar: Buffer): Promise<Array<{ header: tarStream.Header; data: Buffer }>> {
  const extract = tarStream.extract();
  const entries: Array<{ header: tarStream.Header; data: Buffer }> = [];
  extract.on('entry', (header, stream, next) => {
    collect(stream as AsyncIterable<unknown>).then((data) => {
      entries.push({ header, data });
      next();
    }, next);
  });
  await new Promise<void>((resolve, reject) => {
    extract.on('finish', () => resolve());
    extract.on('error', reject);
    extract.end(tar);
  });
  return entries;
}

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

describe('writeSnapshotArchive', () => {
  it('writes meta.json, state.bin and SHA256SUMS in Consul order, mode 0600, with the given mtime', async () => {
    // Prepare
    const state = await stateBytes();

    // Act
    const entries = await tarEntries(gunzipSync(await buildArchive()));

    // Assess
    expect(entries.map((e) => e.header.name)).toEqual(['meta.json', 'state.bin', 'SHA256SUMS']);
    expect(entries.map((e) => e.header.mode)).toEqual([0o600, 0o600, 0o600]);
    expect(entries.every((e) => e.header.mtime.getTime() === MTIME.getTime())).toBe(true);
    expect(entries[0].data.toString()).toBe(CONSUL_META_JSON);
    expect(entries[1].data.equals(state)).toBe(true);
  });

  it('writes SHA256SUMS as "<hex>  <name>\\n" lines with the right digests', async () => {
    // Act
    const entries = await tarEntries(gunzipSync(await buildArchive({ sumsOrder: ['state.bin', 'meta.json'] })));

    // Assess
    expect(entries[2].data.toString()).toBe(`${sha256(entries[1].data)}  state.bin\n${sha256(entries[0].data)}  meta.json\n`);
  });

  it('randomises the SUMS line order like Go map iteration unless sumsOrder is given', async () => {
    // Act
    const firstLines = new Set<string>();
    for (let i = 0; i < 24; i++) {
      const entries = await tarEntries(gunzipSync(await buildArchive({}, 200)));
      firstLines.add(entries[2].data.toString().split('\n')[0].slice(66));
    }

    // Assess
    expect([...firstLines].sort()).toEqual(['meta.json', 'state.bin']);
  });

  it('frames gzip like Go: one member, header 1f8b08 flags 0 mtime 0, OS 255, XFL by level; tar ends with two zero blocks', async () => {
    // Act
    const archive = await buildArchive();
    const best = await buildArchive({ gzipLevel: 9 });
    const tar = gunzipSync(archive);

    // Assess
    expect(archive.subarray(0, 10).toString('hex')).toBe('1f8b08000000000000ff');
    expect(best[8]).toBe(2);
    const stateBlocks = Math.ceil(STATE_SIZE / 512) * 512;
    expect(tar.length).toBe(3 * 512 + 512 + stateBlocks + 512 + 1024); // headers, meta.json, state.bin, SUMS, end
    expect(tar.subarray(-1024).every((b) => b === 0)).toBe(true);
  });

  it('fails the stream when the state stream is shorter or longer than announced', async () => {
    // Prepare
    const short = writeSnapshotArchive({ meta: META, state: { size: 300, stream: syntheticStateStream({ bytes: 299 }) } });
    const long = writeSnapshotArchive({ meta: META, state: { size: 300, stream: syntheticStateStream({ bytes: 301 }) } });

    // Act / Assess
    await expect(collect(short)).rejects.toMatchObject({ code: 'SNAPSHOT_STATE_SIZE_MISMATCH' });
    await expect(collect(long)).rejects.toBeInstanceOf(ConsulOpsError);
  });

  it('refuses to put SHA256SUMS before a streamed state.bin, whose digest is not known yet', () => {
    // Act / Assess
    expect(() =>
      writeSnapshotArchive({ meta: META, state: { size: 200, stream: syntheticStateStream({ bytes: 200 }) } }, { entryOrder: ['SHA256SUMS', 'meta.json', 'state.bin'] }),
    ).toThrow(InvalidInputError);
  });
});

describe('createSnapshotVerifier', () => {
  it('passes the archive through unchanged and reports meta and digests (round trip)', async () => {
    // Prepare
    const archive = await buildArchive();
    const state = await stateBytes();
    const verifier = createSnapshotVerifier();

    // Act
    const [out] = await Promise.all([collect(verifier), pipeline(chunked(archive, 333), verifier)]);
    const result = await verifier.result;

    // Assess
    expect(out.equals(archive)).toBe(true);
    expect(result).toEqual({
      meta: { ...META, Size: STATE_SIZE },
      metaSha256: sha256(CONSUL_META_JSON),
      stateSha256: sha256(state),
      stateBytes: STATE_SIZE,
      archiveSha256: sha256(archive),
      archiveBytes: archive.length,
    });
  });

  it.each([
    ['meta.json', 'state.bin', 'SHA256SUMS'],
    ['SHA256SUMS', 'state.bin', 'meta.json'],
    ['state.bin', 'SHA256SUMS', 'meta.json'],
  ] as const)('accepts tar entries in any order: %s, %s, %s', async (...order) => {
    // Prepare
    const archive = await collect(writeSnapshotArchive({ meta: META, state: await stateBytes() }, { entryOrder: order }));

    // Act / Assess
    await expect(verifySnapshotStream(chunked(archive, 1000))).resolves.toMatchObject({ stateBytes: STATE_SIZE });
  });

  it('accepts an archive written by other tools (tar-stream + Node gzip, OS byte 3)', async () => {
    // Prepare
    const state = await stateBytes();
    const meta = Buffer.from(CONSUL_META_JSON);
    const pack = tarStream.pack();
    const tar = collect(pack as AsyncIterable<unknown>);
    pack.entry({ name: 'state.bin', mode: 0o644 }, state);
    pack.entry({ name: 'SHA256SUMS' }, `${sha256(meta)}  meta.json\n${sha256(state)}  state.bin\n`);
    pack.entry({ name: 'meta.json' }, meta);
    pack.finalize();

    // Act / Assess
    await expect(verifySnapshotStream(Readable.from([gzipSync(await tar)]))).resolves.toMatchObject({ meta: { Index: 13 } });
  });

  const consulCases: Array<[string, ArchiveDefects | Buffer, string | RegExp]> = [
    ['empty body', Buffer.alloc(0), 'failed to decompress snapshot: EOF'],
    ['fewer than 10 bytes', Buffer.from('hello'), 'failed to decompress snapshot: unexpected EOF'],
    ['not gzip (a zip file)', Buffer.from('PK\x03\x04 not a gzip stream at all'), 'failed to decompress snapshot: gzip: invalid header'],
    ['gzip of something that is not a tar', gzipSync('hello world '.repeat(100)), `${PREFIX}failed reading snapshot: archive/tar: invalid tar header`],
    ['corrupt deflate data', Buffer.concat([Buffer.from('1f8b08000000000000ff', 'hex'), Buffer.alloc(64, 0xff)]), /^failed to read snapshot file: failed reading snapshot: flate: corrupt input before offset \d+$/],
    ['wrong meta.json digest', { metaDigest: '00'.repeat(32) }, `${INTEGRITY}hash check failed for "meta.json"`],
    ['wrong state.bin digest', { stateDigest: 'ab'.repeat(32) }, `${INTEGRITY}hash check failed for "state.bin"`],
    ['short digest', { stateDigest: 'ab' }, `${INTEGRITY}hash check failed for "state.bin"`],
    ['no SUMS line for meta.json', { omitSumsLines: ['meta.json'] }, `${INTEGRITY}file missing for "meta.json"`],
    ['no SUMS line for state.bin', { omitSumsLines: ['state.bin'] }, `${INTEGRITY}file missing for "state.bin"`],
    ['no SHA256SUMS entry', { omitSums: true }, `${INTEGRITY}file missing for "meta.json"`],
    ['SUMS names an unknown file', { extraSumsLines: [`${'ab'.repeat(32)}  other.bin`] }, `${INTEGRITY}list missing hash for "other.bin"`],
    ['SUMS line without hex', { extraSumsLines: ['zz  meta.json'] }, `${INTEGRITY}no hex data for %x string`],
    ['SUMS line with odd hex', { extraSumsLines: ['abc  meta.json'] }, `${INTEGRITY}illegal hex digit`],
    ['SUMS line with no name', { extraSumsLines: ['abcd'] }, `${INTEGRITY}EOF`],
    ['empty SUMS line', { extraSumsLines: [''] }, `${INTEGRITY}EOF`],
    ['SUMS hex glued to a word', { extraSumsLines: ['abcdx meta.json'] }, `${INTEGRITY}expected space in input to match format`],
    ['extra tar entry', { extraEntries: [{ name: 'extra.txt', data: Buffer.from('hi') }] }, `${PREFIX}unexpected file "extra.txt" in snapshot`],
    ['truncated meta.json JSON', { metaJson: '{"Version":1,' }, `${PREFIX}failed to decode snapshot metadata: unexpected end of JSON input`],
    ['meta.json not JSON', { metaJson: 'not json' }, `${PREFIX}failed to decode snapshot metadata: invalid character 'o' in literal null (expecting 'u')`],
    ['meta.json wrong type', { metaJson: '{"Index":"13"}' }, `${PREFIX}failed to decode snapshot metadata: json: cannot unmarshal string into Go struct field SnapshotMeta.Index of type uint64`],
    ['meta.json Size differs from state.bin', { metaSize: 1 }, `Raft error when restoring snapshot: failed to write snapshot, size didn't match (${STATE_SIZE} != 1)`],
    ['uncompressed bytes after the tar end', { trailingUncompressed: Buffer.alloc(512) }, '512 unread uncompressed bytes remain'],
    ['bad gzip CRC', { badTrailer: 'crc' }, 'gzip: invalid checksum'],
    ['bad gzip ISIZE', { badTrailer: 'size' }, 'gzip: invalid checksum'],
    ['garbage after the gzip member', { trailingCompressed: Buffer.from('garbage after the member') }, 'gzip: invalid header'],
    ['zero padding after the gzip member', { trailingCompressed: Buffer.alloc(16) }, 'gzip: invalid header'],
    ['a few bytes after the gzip member', { trailingCompressed: Buffer.from('junk') }, 'unexpected EOF'],
    ['a second gzip member with data', { trailingCompressed: gzipSync('hello') }, '5 unread uncompressed bytes remain'],
  ];

  it.each(consulCases)('rejects %s with Consul\'s exact message', async (_name, defect, consulMessage) => {
    // Prepare
    const archive = Buffer.isBuffer(defect) ? defect : await buildArchive({ defects: defect });

    // Act
    const error = await verificationError(archive);

    // Assess
    expect(error).toBeInstanceOf(SnapshotVerificationError);
    expect(error?.code).toBe('SNAPSHOT_INVALID');
    expect(error?.context.consulMessage).toEqual(typeof consulMessage === 'string' ? consulMessage : expect.stringMatching(consulMessage));
    expect(error?.message).toBe(`Snapshot archive failed verification: ${String(error?.consulMessage)}`);
    expect(error?.remedy).toMatch(/snapshot|backup/);
  });

  it.each([
    { version: 2, size: undefined },
    { version: -1, size: undefined },
    { version: 7, size: 1 },
  ])('refuses meta.json Version $version as raft does, before the Size check (defect unsupported-version)', async ({ version, size }) => {
    // Prepare
    const archive = await collect(writeSnapshotArchive({ meta: { ...META, Version: version }, state: await stateBytes() }, { mtime: MTIME, defects: size === undefined ? {} : { metaSize: size } }));

    // Act
    const error = await verificationError(archive);

    // Assess
    expect(error).toBeInstanceOf(SnapshotVerificationError);
    expect(error?.defect).toBe('unsupported-version');
    expect(error?.context).toMatchObject({ defect: 'unsupported-version', consulMessage: `Raft error when restoring snapshot: unsupported snapshot version ${version}` });
    expect(error?.message).toBe(`Snapshot archive failed verification: Raft error when restoring snapshot: unsupported snapshot version ${version}`);
    expect(error?.remedy).toMatch(/only restore raft snapshot versions 0 and 1/);
  });

  it('accepts meta.json Version 0 and 1 (raft SnapshotVersionMin..Max), and a meta.json without Version (0)', async () => {
    // Prepare
    const zero = await collect(writeSnapshotArchive({ meta: { ...META, Version: 0 }, state: await stateBytes() }, { mtime: MTIME }));
    const noVersion = await buildArchive({ defects: { metaJson: CONSUL_META_JSON.replace('"Version":1,', '') } });

    // Act / Assess
    await expect(verifySnapshotStream(chunked(zero, 1000))).resolves.toMatchObject({ meta: { Version: 0 } });
    await expect(verifySnapshotStream(chunked(await buildArchive(), 1000))).resolves.toMatchObject({ meta: { Version: 1 } });
    await expect(verifySnapshotStream(chunked(noVersion, 1000))).resolves.toMatchObject({ meta: { Version: 0 } });
  });

  it('documents why Node zlib alone is not enough: gunzip accepts what Consul rejects', async () => {
    // Prepare
    const padded = await buildArchive({ defects: { trailingCompressed: Buffer.alloc(16) } });
    const twoMembers = await buildArchive({ defects: { trailingCompressed: gzipSync('hello') } });

    // Act / Assess
    expect(() => gunzipSync(padded)).not.toThrow();
    expect(() => gunzipSync(twoMembers)).not.toThrow();
    expect((await verificationError(padded))?.consulMessage).toBe('gzip: invalid header');
    expect((await verificationError(twoMembers))?.consulMessage).toBe('5 unread uncompressed bytes remain');
  });

  it('accepts an empty extra gzip member and a tar without end blocks, as Consul does', async () => {
    // Prepare
    const emptyMember = await buildArchive({ defects: { trailingCompressed: gzipSync(Buffer.alloc(0)) } });
    const noTarEnd = await buildArchive({ defects: { omitTarEnd: true } });

    // Act / Assess
    expect(await verificationError(emptyMember)).toBeUndefined();
    expect(await verificationError(noTarEnd)).toBeUndefined();
  });

  it('fails every truncation of the archive, at every offset, with a truncation message', async () => {
    // Prepare
    const archive = await buildArchive({}, 700);
    const allowed = new Set([
      'failed to decompress snapshot: EOF',
      'failed to decompress snapshot: unexpected EOF',
      `${PREFIX}failed reading snapshot: unexpected EOF`,
      `${PREFIX}failed to read snapshot metadata: unexpected EOF`,
      `${PREFIX}failed to read or write snapshot data: unexpected EOF`,
      `${PREFIX}failed to read snapshot hashes: unexpected EOF`,
      'unexpected EOF',
    ]);

    // Act
    const messages = new Set<string>();
    for (let length = 0; length < archive.length; length++) {
      const error = await verificationError(archive.subarray(0, length), 97);
      messages.add(error?.consulMessage ?? `PASSED at ${length}`);
    }

    // Assess
    expect([...messages].filter((m) => !allowed.has(m))).toEqual([]);
  });

  it('fails a single flipped bit anywhere in the compressed archive, unless the content is unchanged', async () => {
    // Prepare
    const archive = await buildArchive({}, 700);
    const content = gunzipSync(archive);

    // Act
    const passed: number[] = [];
    for (let at = 0; at < archive.length; at++) {
      const damaged = Buffer.from(archive);
      damaged[at] ^= 1 << at % 8;
      if ((await verificationError(damaged)) === undefined) passed.push(at);
    }

    // Assess: only gzip's unprotected MTIME/XFL/OS header bytes and the deflate end padding bits may change
    // (Consul ignores those too); every accepted archive still decompresses to the same bytes.
    expect(passed.every((at) => gunzipSync(Object.assign(Buffer.from(archive), { [at]: archive[at] ^ (1 << at % 8) })).equals(content))).toBe(true);
    expect(passed.filter((at) => at < 4 || (at > 9 && at < archive.length - 9))).toEqual([]);
  });

  it('fails a single flipped byte anywhere in state.bin with a state.bin hash mismatch', async () => {
    // Prepare: change the uncompressed state.bin, then gzip again so the framing is valid.
    const tar = gunzipSync(await buildArchive({}, 700));
    const stateStart = 3 * 512; // meta.json header and data, state.bin header

    // Act
    const messages = new Set<string | undefined>();
    for (let at = stateStart; at < stateStart + 700; at += 7) {
      const damaged = Buffer.from(tar);
      damaged[at] ^= 0xff;
      messages.add((await verificationError(gzipSync(damaged)))?.consulMessage);
    }

    // Assess
    expect([...messages]).toEqual([`${INTEGRITY}hash check failed for "state.bin"`]);
  });

  it('caps the buffered small entries and says so (Consul has no such limit)', async () => {
    // Prepare
    const archive = await buildArchive({ defects: { extraSumsLines: ['#'.repeat(2000)] } });
    const verifier = createSnapshotVerifier({ maxSmallEntryBytes: 1024 });

    // Act
    const error = await pipeline(chunked(archive, 512), verifier, new PassThrough().resume()).catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({ code: 'SNAPSHOT_INVALID', context: { defect: 'entry-too-large' } });
    expect((error as SnapshotVerificationError).consulMessage).toBeUndefined();
  });

  it('propagates a defect through stream.pipeline: downstream never finishes, the verifier never ends', async () => {
    // Prepare
    const archive = await buildArchive({ defects: { stateDigest: 'ab'.repeat(32) } });
    const verifier = createSnapshotVerifier();
    const events: string[] = [];
    verifier.on('end', () => events.push('verifier end'));
    const sink = new Writable({ write: (_chunk, _encoding, callback) => callback() });
    sink.on('finish', () => events.push('sink finish'));

    // Act
    const error = await pipeline(chunked(archive, 256), verifier, sink).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(SnapshotVerificationError);
    await expect(verifier.result).rejects.toBe(error);
    expect(events).toEqual([]);
  });

  it('settles result before the downstream finishes on success', async () => {
    // Prepare
    const verifier = createSnapshotVerifier();
    let settledAtFinish = false;
    let settled = false;
    verifier.result.then(() => (settled = true));
    const sink = new Writable({ write: (_chunk, _encoding, callback) => callback() });
    sink.on('finish', () => (settledAtFinish = settled));

    // Act
    await pipeline(chunked(await buildArchive(), 1024), verifier, sink);

    // Assess
    expect(settledAtFinish).toBe(true);
  });

  it('rejects result with the source error, or as aborted when destroyed early', async () => {
    // Prepare
    const archive = await buildArchive();
    const boom = new Error('connection reset');
    const failing = new Readable({ read() {} });
    failing.push(archive.subarray(0, 100));
    const verifier = createSnapshotVerifier();
    const aborted = createSnapshotVerifier();

    // Act
    const piped = pipeline(failing, verifier, new PassThrough().resume());
    failing.destroy(boom);
    aborted.write(archive.subarray(0, 100));
    aborted.destroy();

    // Assess
    await expect(piped).rejects.toBe(boom);
    await expect(verifier.result).rejects.toBe(boom);
    await expect(aborted.result).rejects.toBeInstanceOf(SnapshotVerifyAbortedError);
  });

  it('verifies a ~64 MiB streamed archive with modest memory growth', async () => {
    // Prepare: level 0 (stored) keeps the archive as big as state.bin, so buffering either would show.
    const size = 64 * 1024 * 1024;
    const memory = sampleLiveMemory(100);

    // Act
    const archive = writeSnapshotArchive({ meta: META, state: { size, stream: syntheticStateStream({ bytes: size, seed: 11 }) } }, { gzipLevel: 0 });
    const result = await verifySnapshotStream(archive);
    const peaks = memory.stop();

    // Assess
    expect(result.stateBytes).toBe(size);
    expect(result.archiveBytes).toBeGreaterThan(size);
    expect(peaks.samples).toBeGreaterThan(3);
    expect(peaks.heapAndBuffers).toBeLessThan(48 * 1024 * 1024); // 29 MB measured (writer and verifier in flight); buffering would be 64 MiB+
  });
});

describe('verifySnapshotStream', () => {
  it('accepts an async iterable of Uint8Array', async () => {
    // Prepare
    const archive = await buildArchive();
    async function* source(): AsyncGenerator<Uint8Array> {
      for (let at = 0; at < archive.length; at += 1000) yield new Uint8Array(archive.subarray(at, at + 1000));
    }

    // Act / Assess
    await expect(verifySnapshotStream(source())).resolves.toMatchObject({ archiveSha256: sha256(archive) });
  });

  it('rejects with the source error when the source fails', async () => {
    // Prepare
    const boom = new Error('S3 read timeout');
    async function* source(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array([0x1f, 0x8b]);
      throw boom;
    }

    // Act / Assess
    await expect(verifySnapshotStream(source())).rejects.toBe(boom);
  });
});
