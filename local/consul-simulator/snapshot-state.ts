/**
 * state.bin of simulator snapshots. Like Consul's FSM snapshot it starts with a msgpack `SnapshotHeader{LastIndex}`,
 * followed by one record: type byte 0xFE (the `IgnoreUnknownTypeFlag` bit set, so real Consul would skip it) and a
 * msgpack str32 holding the JSON of {@link PersistedState}. Padding (synthetic bytes) may follow; it is opaque.
 */
import { PassThrough, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar-stream';
import { PersistedState } from './store';

const HEADER_KEY = Buffer.from('LastIndex');
const RECORD_TYPE = 0xfe;
/** Largest JSON document the restore path will collect (the padding after it is only counted). */
const MAX_STATE_JSON = 256 * 1024 * 1024;

/** Serializes the state into state.bin bytes (without padding). */
export function encodeSimulatorState(state: PersistedState): Buffer {
  const json = Buffer.from(JSON.stringify(state));
  const head = Buffer.alloc(2 + HEADER_KEY.length + 9 + 1 + 5);
  let o = 0;
  head[o++] = 0x81; // fixmap, 1 entry
  head[o++] = 0xa0 | HEADER_KEY.length; // fixstr
  o += HEADER_KEY.copy(head, o);
  head[o++] = 0xcf; // uint64
  head.writeBigUInt64BE(BigInt(state.index), o);
  o += 8;
  head[o++] = RECORD_TYPE;
  head[o++] = 0xdb; // str32
  head.writeUInt32BE(json.length, o);
  return Buffer.concat([head, json]);
}

/** Bytes needed before the JSON length is known. */
const PREFIX_LEN = 2 + HEADER_KEY.length + 9 + 1 + 5;

/** Decodes state.bin bytes (at least header + JSON); `undefined` when they are not a simulator state. */
export function decodeSimulatorState(data: Buffer): PersistedState | undefined {
  const len = simulatorJsonLength(data);
  if (len === undefined || data.length < PREFIX_LEN + len) return undefined;
  try {
    const parsed = JSON.parse(data.subarray(PREFIX_LEN, PREFIX_LEN + len).toString('utf8')) as PersistedState;
    return parsed.format === 'consul-ops-simulator/v1' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The JSON length announced by a simulator state.bin prefix, or `undefined` when the prefix does not match. */
function simulatorJsonLength(prefix: Buffer): number | undefined {
  if (prefix.length < PREFIX_LEN) return undefined;
  const keyEnd = 2 + HEADER_KEY.length;
  const matches =
    prefix[0] === 0x81 &&
    prefix[1] === (0xa0 | HEADER_KEY.length) &&
    prefix.subarray(2, keyEnd).equals(HEADER_KEY) &&
    prefix[keyEnd] === 0xcf &&
    prefix[keyEnd + 9] === RECORD_TYPE &&
    prefix[keyEnd + 10] === 0xdb;
  if (!matches) return undefined;
  const len = prefix.readUInt32BE(keyEnd + 11);
  return len <= MAX_STATE_JSON ? len : undefined;
}

/**
 * Reads an archive (as uploaded) and returns the simulator state inside state.bin, if any. It only buffers the JSON
 * part, drains everything else, never throws, and resolves once the whole input has been consumed.
 */
export function extractSimulatorState(archive: Readable): Promise<PersistedState | undefined> {
  return new Promise((resolve) => {
    let result: PersistedState | undefined;
    let settled = false;
    let abandoned = false;
    let inputDone = false;
    const finish = (): void => {
      if (!settled) {
        settled = true;
        resolve(result);
      }
    };
    // Invalid archives: stop parsing but keep draining the input, so the upload completes.
    const abandon = (): void => {
      abandoned = true;
      archive.unpipe();
      archive.resume();
      if (inputDone) finish();
    };
    const onInputDone = (): void => {
      inputDone = true;
      if (abandoned) finish();
    };
    archive.on('end', onInputDone);
    archive.on('close', () => (archive.readableEnded ? onInputDone() : finish()));
    archive.on('error', finish);
    const gunzip = createGunzip();
    const extract = tar.extract();
    gunzip.on('error', abandon);
    extract.on('error', abandon);
    extract.on('finish', finish);
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      let have = 0;
      let want = header.name === 'state.bin' ? PREFIX_LEN : 0;
      stream.on('data', (data: unknown) => {
        const chunk = data as Buffer;
        if (have >= want) return;
        chunks.push(chunk);
        have += chunk.length;
        if (want === PREFIX_LEN && have >= PREFIX_LEN) {
          const len = simulatorJsonLength(Buffer.concat(chunks));
          want = len === undefined ? 0 : PREFIX_LEN + len;
        }
      });
      stream.on('end', () => {
        if (want > 0 && have >= want) result = decodeSimulatorState(Buffer.concat(chunks));
        next();
      });
    });
    archive.pipe(gunzip).pipe(extract);
  });
}

/**
 * Splits a readable into two with shared backpressure. A branch that is destroyed or switched to flowing mode by its
 * consumer never blocks the other; `onBytes` counts the source bytes.
 */
export function teeStream(source: Readable, onBytes: (n: number) => void): [PassThrough, PassThrough] {
  const branches = [new PassThrough(), new PassThrough()] as [PassThrough, PassThrough];
  branches.forEach((b) => b.on('error', () => undefined));
  source.on('data', (chunk: Buffer) => {
    onBytes(chunk.length);
    const blocked = branches.filter((b) => !b.destroyed && !b.write(chunk));
    if (blocked.length === 0) return;
    source.pause();
    let waiting = blocked.length;
    for (const b of blocked) {
      const go = (): void => {
        b.off('drain', go);
        b.off('close', go);
        if (--waiting === 0) source.resume();
      };
      b.on('drain', go);
      b.on('close', go);
    }
  });
  source.on('end', () => branches.forEach((b) => b.end()));
  source.on('error', (err) => branches.forEach((b) => b.destroy(err)));
  source.on('aborted', () => branches.forEach((b) => b.destroy(new Error('request aborted'))));
  return branches;
}
