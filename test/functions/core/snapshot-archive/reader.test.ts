import { Readable } from 'node:stream';
import { crc32, gunzipSync, gzipSync } from 'node:zlib';
import { SnapshotVerificationError, verifySnapshotStream } from '../../../../functions/core/snapshot-archive';
import { syntheticStateStream } from '../../../../local/consul-simulator/synthetic-state';
import { writeSnapshotArchive } from '../../../../local/consul-simulator/archive-writer';
import { encodeTarHeader } from '../../../../functions/core/snapshot-archive';
import { testMeta } from '../../../helpers/in-memory-backups';

// Hand-built archives exercising Go's compress/gzip and archive/tar rules. Every expected text here was produced by
// Go running Consul's snapshot read path on the same bytes.
/** Raft index 13, term 2, one server: the meta.json of the Go-made fixtures. */
const META = testMeta(13);
const STATE_SIZE = 700;
const PREFIX = 'failed to read snapshot file: ';

async function archive(gzipLevel = 6): Promise<Buffer> {
  const stream = writeSnapshotArchive({ meta: META, state: { size: STATE_SIZE, stream: syntheticStateStream({ bytes: STATE_SIZE, seed: 3 }) } }, { gzipLevel });
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/** Consul's answer for these bytes: 'OK' or the consulMessage. */
async function consulAnswer(bytes: Buffer): Promise<string> {
  try {
    await verifySnapshotStream(Readable.from([bytes]));
    return 'OK';
  } catch (err) {
    if (err instanceof SnapshotVerificationError) return err.consulMessage ?? err.message;
    throw err;
  }
}

function header(name: string, size: number, typeflag = '0'): Buffer {
  return encodeTarHeader({ name, size, mode: 0o600, mtime: new Date(0), typeflag });
}

/** A special entry (PAX, GNU long name) with its data padded to a block. */
function special(name: string, typeflag: string, data: Buffer): Buffer {
  return Buffer.concat([header(name, data.length, typeflag), data, Buffer.alloc(511 - ((data.length + 511) % 512))]);
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = body.length + 1;
  while (String(length).length + body.length !== length) length += 1;
  return `${length}${body}`;
}

/** Rewrites the name of the header at `at` and fixes its checksum. */
function rename(tar: Buffer, at: number, name: string, prefix = ''): Buffer {
  const copy = Buffer.from(tar);
  copy.fill(0, at, at + 100).write(name, at, 'latin1');
  copy.fill(0, at + 345, at + 500).write(prefix, at + 345, 'latin1');
  copy.fill(0x20, at + 148, at + 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += copy[at + i];
  copy.write(`${sum.toString(8).padStart(6, '0')}\0 `, at + 148, 'latin1');
  return copy;
}

describe('createSnapshotVerifier (Go compress/gzip parity)', () => {
  it.each([
    ['FEXTRA, FNAME and FCOMMENT fields', (body: Buffer) => Buffer.concat([Buffer.from('1f8b081c0000000000030300', 'hex'), Buffer.from('xyzname\0comment\0'), body]), 'OK'],
    ['a correct FHCRC', (body: Buffer) => {
      const head = Buffer.from('1f8b0802000000000003', 'hex');
      return Buffer.concat([head, Buffer.from([crc32(head) & 0xff, (crc32(head) >> 8) & 0xff]), body]);
    }, 'OK'],
    ['a wrong FHCRC', (body: Buffer) => Buffer.concat([Buffer.from('1f8b080200000000000301', 'hex'), Buffer.from([2]), body]), 'failed to decompress snapshot: gzip: invalid header'],
    ['a file name longer than 511 bytes', (body: Buffer) => Buffer.concat([Buffer.from('1f8b0808000000000003', 'hex'), Buffer.alloc(600, 0x41), Buffer.alloc(1), body]), 'failed to decompress snapshot: gzip: invalid header'],
    ['reserved flag bits (Go ignores them)', (body: Buffer) => Buffer.concat([Buffer.from('1f8b08e00000000000ff', 'hex'), body]), 'OK'],
    ['a header cut inside the file name', () => Buffer.from('1f8b080800000000000341', 'hex'), 'failed to decompress snapshot: unexpected EOF'],
  ])('handles a gzip header with %s', async (_name, build, expected) => {
    // Prepare
    const body = (await archive()).subarray(10);

    // Act / Assess
    expect(await consulAnswer(build(body))).toBe(expected);
  });

  it('reads a tar split across two gzip members, as Go\'s multistream reader does', async () => {
    // Prepare
    const tar = gunzipSync(await archive());

    // Act / Assess
    expect(await consulAnswer(Buffer.concat([gzipSync(tar.subarray(0, 2000)), gzipSync(tar.subarray(2000))]))).toBe('OK');
  });

  it('reports a bad CRC inside the tar loop when the tar has no end blocks', async () => {
    // Prepare
    const tar = gunzipSync(await archive());
    const framed = gzipSync(tar.subarray(0, tar.length - 1024));
    framed[framed.length - 8] ^= 1;

    // Act / Assess
    expect(await consulAnswer(framed)).toBe(`${PREFIX}failed reading snapshot: gzip: invalid checksum`);
  });
});

describe('createSnapshotVerifier (Go archive/tar parity)', () => {
  const metaLength = 245;
  const sumsHeaderAt = 512 + 512 + 512 + 1024;

  it.each<[string, (tar: Buffer) => Buffer, string]>([
    ['GNU tar record padding (10240)', (tar) => Buffer.concat([tar, Buffer.alloc(10240 - (tar.length % 10240))]), '5632 unread uncompressed bytes remain'],
    ['a bad header checksum', (tar) => Object.assign(Buffer.from(tar), { [1024 + 148]: tar[1024 + 148] ^ 1 }), `${PREFIX}failed reading snapshot: archive/tar: invalid tar header`],
    ['a single end block', (tar) => tar.subarray(0, tar.length - 512), 'OK'],
    ['a zero block followed by a header', (tar) => Buffer.concat([tar.subarray(0, tar.length - 1024), Buffer.alloc(512), tar.subarray(0, 512)]), `${PREFIX}failed reading snapshot: archive/tar: invalid tar header`],
    ['an end inside the padding (taken as the tar end)', (tar) => tar.subarray(0, 512 + 300), `${PREFIX}failed checking integrity of snapshot: file missing for "meta.json"`],
    ['a cut inside a header', (tar) => tar.subarray(0, 1024 + 100), `${PREFIX}failed reading snapshot: unexpected EOF`],
    ['a cut inside meta.json', (tar) => tar.subarray(0, 512 + 10), `${PREFIX}failed to read snapshot metadata: unexpected EOF`],
    ['a cut inside state.bin', (tar) => tar.subarray(0, 1536 + 100), `${PREFIX}failed to read or write snapshot data: unexpected EOF`],
    ['a cut inside SHA256SUMS', (tar) => tar.subarray(0, sumsHeaderAt + 512 + 5), `${PREFIX}failed to read snapshot hashes: unexpected EOF`],
    ['a renamed entry', (tar) => rename(tar, sumsHeaderAt, 'whatever'), `${PREFIX}unexpected file "whatever" in snapshot`],
    ['a USTAR prefix', (tar) => rename(tar, 1024, 'state.bin', 'dir'), `${PREFIX}unexpected file "dir/state.bin" in snapshot`],
    ['a PAX header restoring the real name', (tar) => Buffer.concat([
      rename(tar, sumsHeaderAt, 'whatever').subarray(0, sumsHeaderAt),
      special('PaxHeaders.0/x', 'x', Buffer.from(paxRecord('path', 'SHA256SUMS') + paxRecord('mtime', '1.5'))),
      rename(tar, sumsHeaderAt, 'whatever').subarray(sumsHeaderAt),
    ]), 'OK'],
    ['a malformed PAX header', (tar) => Buffer.concat([special('p', 'x', Buffer.from('junk\n')), tar]), `${PREFIX}failed reading snapshot: archive/tar: invalid tar header`],
    ['a GNU long name', (tar) => Buffer.concat([special('././@LongLink', 'L', Buffer.from('meta.json\0')), rename(tar, 0, 'zzzz')]), 'OK'],
    ['a PAX global header', (tar) => Buffer.concat([special('pax_global_header', 'g', Buffer.from(paxRecord('path', 'SHA256SUMS'))), tar]), 'OK'],
    ['a directory named meta.json', (tar) => Buffer.concat([header('meta.json', 0, '5'), tar]), `${PREFIX}failed to decode snapshot metadata: unexpected end of JSON input`],
  ])('handles %s', async (_name, edit, expected) => {
    // Prepare
    const tar = gunzipSync(await archive());

    // Act / Assess
    expect(await consulAnswer(gzipSync(edit(tar)))).toBe(expected);
  });

  it.each([
    ['the end of the meta.json header', 512, `${PREFIX}failed to read snapshot metadata: unexpected EOF`],
    ['the last byte of meta.json', 512 + metaLength, `${PREFIX}failed to read snapshot metadata: unexpected EOF`],
    ['the first padding byte after meta.json', 512 + metaLength + 1, `${PREFIX}failed reading snapshot: unexpected EOF`],
    ['the last byte of state.bin', 1536 + STATE_SIZE, `${PREFIX}failed to read or write snapshot data: unexpected EOF`],
  ])('blames a cut at %s on whoever read the last byte, as Go does', async (_name, tarOffset, expected) => {
    // Prepare: level 0 stores the tar verbatim after the gzip header (10) and the stored-block header (5).
    const stored = await archive(0);
    const tar = gunzipSync(stored);
    expect(stored.subarray(15, 15 + 2048).equals(tar.subarray(0, 2048))).toBe(true);
    expect([tar[512 + metaLength - 1], tar[512 + metaLength]]).toEqual([0x0a, 0]); // meta.json's "\n", then padding

    // Act / Assess
    expect(await consulAnswer(stored.subarray(0, 15 + tarOffset))).toBe(expected);
  });
});
