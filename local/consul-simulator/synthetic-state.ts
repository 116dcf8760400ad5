/**
 * Big `state.bin` files made of real records: the msgpack header, KVS records (`structs.DirEntry`, written byte for
 * byte as Consul writes them) and `ChunkingState` last, of exactly the requested size, generated chunk by chunk as
 * fast as the consumer reads (never the whole file in memory). `realistic` values are JSON service configuration with
 * per-entry randomness and compress like real KV data (gzip -6 archive ≈ 35–42 % of the state); `incompressible`
 * values are random bytes. Same options, same bytes.
 *
 * @example
 * writeSnapshotArchive({ meta, state: { size: 1 << 30, stream: syntheticStateStream({ bytes: 1 << 30 }) } });
 */
import { Readable } from 'node:stream';
import { GoMsgpackWriter } from './go-msgpack';
import { MESSAGE_TYPES } from './message-types';
import { CHUNKING_STATE_RECORD } from './state-bin-writer';

/** How well the values compress. */
export type Compressibility = 'incompressible' | 'realistic';

/** Options of {@link syntheticStateStream}. */
export interface SyntheticStateOptions {
  /** Exact size of the output in bytes. */
  readonly bytes: number;
  /** @default 'realistic' */
  readonly compressibility?: Compressibility;
  /** @default 1 */
  readonly seed?: number;
  /** `LastIndex` of the header and the indexes of every entry. @default 1 */
  readonly index?: number;
}

/** Every synthetic key starts with this; restores skip such keys (each snapshot regenerates them). */
export const SYNTHETIC_KEY_PREFIX = '_synthetic/';

/** Apps the realistic keys and values are about; all 12 characters so every key has the same length. */
const APPS = ['payments-api', 'checkout-web', 'ledger-svc-1', 'fraud-scorer', 'search-index', 'notify-queue', 'auth-gateway', 'billing-jobs'];
const KEY_LENGTH = SYNTHETIC_KEY_PREFIX.length + 12 + 1 + 10;
const MIN_VALUE = 32;
const MAX_VALUE = 65_535;
const INCOMPRESSIBLE_VALUE = 16 * 1024;
/** Target chunk size; chunks end at a record boundary, so they are a little larger. */
const CHUNK = 64 * 1024;

/** The bytes of a KVS record around its key and value, for one index. */
function recordParts(index: number): { before: Buffer; middle: Buffer; overhead: number } {
  const idx = Buffer.from(new GoMsgpackWriter(16).int(index).bytes());
  const w = (s: string) => Buffer.concat([Buffer.from([0xa0 | s.length]), Buffer.from(s)]);
  const before = Buffer.concat([Buffer.from([MESSAGE_TYPES.KVS, 0x87]), w('CreateIndex'), idx, w('Flags'), Buffer.from([0]), w('Key'), Buffer.from([0xda, 0, KEY_LENGTH])]);
  const middle = Buffer.concat([w('LockIndex'), Buffer.from([0]), w('ModifyIndex'), idx, w('Session'), Buffer.from([0xa0]), w('Value'), Buffer.from([0xda])]);
  return { before, middle, overhead: before.length + KEY_LENGTH + middle.length + 2 };
}

/** The smallest `bytes` a KVS stream of one record can have, for `index`. */
export function minimumSyntheticKvBytes(index = 1): number {
  return recordParts(index).overhead + MIN_VALUE;
}

/** The smallest state.bin {@link syntheticStateStream} can produce (header, one KVS record, ChunkingState). */
export function minimumSyntheticStateBytes(index = 1): number {
  return headerBytes(index).length + minimumSyntheticKvBytes(index) + CHUNKING_STATE_RECORD.length;
}

function headerBytes(index: number): Buffer {
  return Buffer.from(new GoMsgpackWriter(32).mapHeader(1).str('LastIndex').int(index).bytes());
}

/** A complete state.bin of exactly `bytes`; throws a RangeError naming the minimum when `bytes` is too small. */
export function syntheticStateStream(options: SyntheticStateOptions): Readable {
  const index = options.index ?? 1;
  const header = headerBytes(index);
  const min = minimumSyntheticStateBytes(index);
  if (!Number.isSafeInteger(options.bytes) || options.bytes < min) {
    throw new RangeError(`syntheticStateStream: bytes must be an integer ≥ ${min} (header, one KVS record, ChunkingState), got ${options.bytes}`);
  }
  const kv = new KvRecordGenerator({ ...options, index, bytes: options.bytes - header.length - CHUNKING_STATE_RECORD.length });
  let state: 'header' | 'kv' | 'end' | 'done' = 'header';
  return new Readable({
    highWaterMark: CHUNK,
    read() {
      if (state === 'header') {
        state = 'kv';
        this.push(header);
      } else if (state === 'kv') {
        const chunk = kv.next();
        if (chunk) this.push(chunk);
        else {
          state = 'done';
          this.push(CHUNKING_STATE_RECORD);
          this.push(null);
        }
      }
    },
  });
}

/** Exactly `bytes` of KVS records (no header, no ChunkingState), to splice into a real state.bin. */
export function syntheticKvStream(options: SyntheticStateOptions): Readable {
  const kv = new KvRecordGenerator({ ...options, index: options.index ?? 1 });
  return new Readable({
    highWaterMark: CHUNK,
    read() {
      this.push(kv.next() ?? null);
    },
  });
}

/** xorshift32: fast, deterministic, good enough for filler. */
function rng(seed: number): () => number {
  let s = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) >>> 0) || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>>= 0);
  };
}

const HEX = Buffer.from('0123456789abcdef');
const BASE64 = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');

/** Generates KVS records of exactly `bytes` in total, one chunk (~256 KiB) at a time. */
class KvRecordGenerator {
  private remaining: number;
  private counter = 0;
  private readonly parts: ReturnType<typeof recordParts>;
  private readonly random: () => number;
  private readonly docs: ConfigDoc[];
  private readonly scratch = new Uint32Array(Math.ceil(MAX_VALUE / 4));
  private readonly realistic: boolean;
  /** Reused for every chunk; each pushed chunk is an exact-size copy, so memory in flight stays small. */
  private readonly work: Buffer;

  constructor(o: Required<Pick<SyntheticStateOptions, 'bytes' | 'index'>> & SyntheticStateOptions) {
    this.parts = recordParts(o.index);
    const min = this.parts.overhead + MIN_VALUE;
    if (!Number.isSafeInteger(o.bytes) || (o.bytes !== 0 && o.bytes < min)) throw new RangeError(`synthetic KVS records need 0 or ≥ ${min} bytes, got ${o.bytes}`);
    this.remaining = o.bytes;
    this.random = rng(o.seed ?? 1);
    this.realistic = (o.compressibility ?? 'realistic') === 'realistic';
    this.docs = this.realistic ? buildDocs(rng((o.seed ?? 1) + 7919)) : [];
    this.work = Buffer.allocUnsafe(CHUNK + this.parts.overhead + MAX_VALUE);
  }

  /** The next chunk of whole records, or `undefined` when all bytes were produced. */
  next(): Buffer | undefined {
    if (this.remaining === 0) return undefined;
    const { overhead } = this.parts;
    const out = this.work;
    let pos = 0;
    while (pos < CHUNK && this.remaining > 0) {
      const doc = this.realistic ? this.docs[this.random() % this.docs.length] : undefined;
      let v = doc ? doc.bytes.length : INCOMPRESSIBLE_VALUE;
      const min = overhead + MIN_VALUE;
      if (this.remaining - overhead <= MAX_VALUE) v = this.remaining - overhead;
      else if (this.remaining - overhead - v < min) v = this.remaining - overhead - min;
      pos = this.writeRecord(out, pos, v, doc);
      this.remaining -= overhead + v;
    }
    return Buffer.from(out.subarray(0, pos));
  }

  private writeRecord(out: Buffer, pos: number, v: number, doc: ConfigDoc | undefined): number {
    const n = this.counter++;
    let p = pos + this.parts.before.copy(out, pos);
    p += out.write(SYNTHETIC_KEY_PREFIX, p, 'latin1');
    p += out.write(APPS[n % APPS.length], p, 'latin1');
    out[p++] = 0x2f;
    p += out.write(String(n).padStart(10, '0'), p, 'latin1');
    p += this.parts.middle.copy(out, p);
    out.writeUInt16BE(v, p);
    p += 2;
    if (doc) this.fillRealistic(out, p, v, doc);
    else this.fillRandom(out, p, v);
    return p + v;
  }

  private fillRandom(out: Buffer, at: number, v: number): void {
    const words = Math.ceil(v / 4);
    for (let i = 0; i < words; i++) this.scratch[i] = this.random();
    out.set(new Uint8Array(this.scratch.buffer, 0, v), at);
  }

  private fillRealistic(out: Buffer, at: number, v: number, doc: ConfigDoc): void {
    for (let done = 0; done < v; done += doc.bytes.length) doc.bytes.copy(out, at + done, 0, Math.min(doc.bytes.length, v - done));
    // Ids, checksums and fingerprints differ from entry to entry, as in real config data: fresh hex in every slot.
    let bits = 0;
    let left = 0;
    for (const [start, length, alphabet] of doc.slots) {
      const end = Math.min(start + length, v);
      const mask = alphabet.length - 1;
      const shift = alphabet === HEX ? 4 : 6;
      for (let i = start; i < end; i++) {
        if (left < shift) {
          bits = this.random();
          left = 32;
        }
        out[at + i] = alphabet[bits & mask];
        bits >>>= shift;
        left -= shift;
      }
    }
  }
}

/** A JSON config document and the [start, length] of its hex slots (rewritten per entry). */
interface ConfigDoc {
  readonly bytes: Buffer;
  readonly slots: readonly (readonly [number, number, Buffer])[];
}

/** Length range of the base64 `ciphertext` slot: tunes the realistic gzip ratio (see synthetic-state tests). */
const BLOB_MIN = 160;
const BLOB_SPREAD = 800;

const WORDS = (
  'retry timeout backoff pool region primary replica canary rollout shard cache ttl limit burst quota ' +
  'upstream downstream listener cluster endpoint health drain weight priority zone failover batch queue ' +
  'worker cron export import ledger invoice refund token session audit metrics tracing sampler'
).split(' ');

/** A pool of JSON config documents (different sizes and content) whose ids and checksums are hex slots. */
function buildDocs(next: () => number): ConfigDoc[] {
  const pick = <X>(xs: readonly X[]) => xs[next() % xs.length];
  // Slots are written as runs of 'X' (hex) or 'Y' (base64) and turned into '0'/'A' (and remembered) once built.
  const slot = (n: number) => 'X'.repeat(n);
  const blob = (n: number) => 'Y'.repeat(n);
  const docs: ConfigDoc[] = [];
  for (let d = 0; d < 160; d++) {
    const app = pick(APPS);
    const endpoints = Array.from({ length: 1 + (next() % 12) }, () => ({
      name: `${pick(WORDS)}-${pick(WORDS)}`,
      url: `https://${pick(APPS)}.${pick(['prod', 'stage', 'eu', 'us'])}.svc.cluster.local:${8000 + (next() % 2000)}/v${1 + (next() % 4)}/${pick(WORDS)}`,
      instance: `${slot(8)}-${slot(4)}-${slot(4)}-${slot(4)}-${slot(12)}`,
      timeout_ms: 50 * (1 + (next() % 100)),
      retries: next() % 6,
      weight: next() % 101,
      checksum: `sha256:${slot(64)}`,
    }));
    const flags = Object.fromEntries(Array.from({ length: 3 + (next() % 20) }, () => [`${pick(WORDS)}_${pick(WORDS)}`, next() % 2 === 0]));
    const limits = Object.fromEntries(Array.from({ length: 2 + (next() % 8) }, () => [`max_${pick(WORDS)}`, next() % 100_000]));
    const notes = Array.from({ length: 4 + (next() % 40) }, () => pick(WORDS)).join(' ');
    const text = JSON.stringify(
      { service: app, revision: slot(32), environment: pick(['production', 'staging']), owner: `team-${pick(WORDS)}`, endpoints, feature_flags: flags, limits, tls: { ca_fingerprint: slot(40), cert_serial: slot(16) }, secret_ref: `vault:kv/data/${app}/${pick(WORDS)}#${slot(8)}`, ciphertext: `vault:v1:${blob(BLOB_MIN + (next() % BLOB_SPREAD))}`, notes },
      null,
      next() % 3 === 0 ? 2 : undefined,
    );
    const slots: [number, number, Buffer][] = [];
    for (const m of text.matchAll(/X+|Y+/g)) slots.push([m.index, m[0].length, m[0][0] === 'X' ? HEX : BASE64]);
    docs.push({ bytes: Buffer.from(text.replace(/X/g, '0').replace(/Y/g, 'A')), slots });
  }
  return docs;
}
