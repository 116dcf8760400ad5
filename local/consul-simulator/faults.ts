/**
 * Fault injection: rules that make matching requests fail the way real clusters and networks fail (no leader,
 * resets mid-stream, truncated or corrupted snapshots, throttling, 403/429/custom statuses, slow headers).
 */
import { Readable, Transform, TransformCallback } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';

/** Every fault kind the simulator knows. */
export const FAULT_KINDS = [
  'no-leader',
  'reset-mid-stream',
  'truncate',
  'corrupt-state',
  'not-gzip',
  'slow',
  'forbidden',
  'rate-limit',
  'status',
  'delay-headers',
] as const;

/** A fault kind. */
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Fault kinds that replace the response instead of shaping its body. */
export const SHORT_CIRCUIT_KINDS: ReadonlySet<FaultKind> = new Set(['no-leader', 'forbidden', 'rate-limit', 'status']);

/** What to inject and where. */
export interface FaultSpec {
  /**
   * - `no-leader`: 500 `No cluster leader`.
   * - `reset-mid-stream`: destroy the socket after `afterBytes` response-body bytes (even if the body is shorter).
   * - `truncate`: end the body cleanly (chunked encoding) after `afterBytes` bytes.
   * - `corrupt-state`: GET /v1/snapshot only: flip one byte of state.bin so the SHA256SUMS check fails.
   * - `not-gzip`: GET /v1/snapshot only: send the bare tar instead of the gzip stream.
   * - `slow`: throttle the body to `bytesPerSecond`.
   * - `forbidden`: 403 with Consul's permission-denied text for the endpoint's permission.
   * - `rate-limit`: 429 with an empty body.
   * - `status`: `status` with `body` (plain text).
   * - `delay-headers`: wait `delayMs` before the response headers.
   */
  readonly kind: FaultKind;
  /** HTTP method to match (case-insensitive). @default - any method */
  readonly method?: string;
  /** Exact path (no query) or a RegExp tested against the path. @default - any path */
  readonly path?: string | RegExp;
  /** How many matching requests to affect. @default - until removed or cleared */
  readonly times?: number;
  /** `reset-mid-stream` / `truncate`: body bytes sent first. @default 512 */
  readonly afterBytes?: number;
  /** `slow`: throughput. @default 65536 */
  readonly bytesPerSecond?: number;
  /** `status`: the status code. @default 500 */
  readonly status?: number;
  /** `status`: the plain-text body. @default '' */
  readonly body?: string;
  /** `delay-headers`: delay in ms. @default 1000 */
  readonly delayMs?: number;
  /** `corrupt-state`: offset of the flipped byte inside state.bin. @default - the middle of state.bin */
  readonly stateOffset?: number;
}

/** A fault that was injected; `hits` counts the requests it affected. */
export interface InjectedFault {
  readonly id: number;
  readonly spec: FaultSpec;
  readonly hits: number;
  /** Stops this fault. */
  remove(): void;
}

/** The registry of active faults (`simulator.faults`). */
export class FaultInjector {
  private nextId = 1;
  private active: { id: number; spec: FaultSpec; hits: number }[] = [];

  /** Adds a fault; it applies to matching requests until `times` runs out, it is removed, or {@link clear}. */
  inject(spec: FaultSpec): InjectedFault {
    const entry = { id: this.nextId++, spec, hits: 0 };
    this.active.push(entry);
    const remove = (): void => {
      this.active = this.active.filter((e) => e !== entry);
    };
    return {
      id: entry.id,
      spec,
      get hits() {
        return entry.hits;
      },
      remove,
    };
  }

  /** Removes every fault. */
  clear(): void {
    this.active = [];
  }

  /** The faults still active. */
  list(): FaultSpec[] {
    return this.active.map((e) => e.spec);
  }

  /** Internal: the faults matching a request, counting the hit (and consuming one of `times`). */
  take(method: string, path: string): FaultSpec[] {
    const matched = this.active.filter((e) => matches(e.spec, method, path));
    for (const e of matched) {
      e.hits += 1;
      if (e.spec.times !== undefined && e.hits >= e.spec.times) this.active = this.active.filter((x) => x !== e);
    }
    return matched.map((e) => e.spec);
  }
}

function matches(spec: FaultSpec, method: string, path: string): boolean {
  if (spec.method && spec.method.toUpperCase() !== method.toUpperCase()) return false;
  if (spec.path === undefined) return true;
  return typeof spec.path === 'string' ? spec.path === path : spec.path.test(path);
}

/** Throttles a stream to about `bytesPerSecond` (20 ticks per second). */
export function throttle(bytesPerSecond: number): Transform {
  const slice = Math.max(1, Math.floor(bytesPerSecond / 20));
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      void (async () => {
        for (let off = 0; off < chunk.length; off += slice) {
          this.push(chunk.subarray(off, off + slice));
          await new Promise((r) => setTimeout(r, (Math.min(slice, chunk.length - off) / bytesPerSecond) * 1000));
        }
        done();
      })();
    },
  });
}

/** `not-gzip`: the archive's inner tar, i.e. the gzip layer removed. */
export function stripGzip(archive: Readable): Readable {
  return archive.pipe(createGunzip());
}

/** `corrupt-state`: re-packs the archive with one byte of state.bin flipped (tar framing and SHA256SUMS untouched). */
export function corruptStateBin(archive: Readable, stateOffset?: number, gzipLevel?: number): Readable {
  const flipper = new TarEntryByteFlipper('state.bin', stateOffset);
  return archive.pipe(createGunzip()).pipe(flipper).pipe(createGzip(gzipLevel === undefined ? {} : { level: gzipLevel }));
}

/** Walks tar framing as bytes stream past and XORs one byte inside the data of the named entry. */
class TarEntryByteFlipper extends Transform {
  private pos = 0;
  private nextHeader = 0;
  private header: Buffer[] = [];
  private headerLen = 0;
  private target = -1;

  constructor(
    private readonly entry: string,
    private readonly offset: number | undefined,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const out = Buffer.from(chunk);
    for (let i = 0; i < out.length; ) {
      const abs = this.pos + i;
      if (abs >= this.nextHeader && abs < this.nextHeader + 512) {
        const take = Math.min(out.length - i, this.nextHeader + 512 - abs);
        this.header.push(out.subarray(i, i + take));
        this.headerLen += take;
        i += take;
        if (this.headerLen === 512) this.onHeader(Buffer.concat(this.header));
        continue;
      }
      if (abs === this.target) out[i] ^= 0xff;
      const stop = Math.min(this.nextHeader, this.target > abs ? this.target : Infinity);
      i = stop > abs ? Math.min(out.length, i + (stop - abs)) : i + 1;
    }
    this.pos += out.length;
    done(null, out);
  }

  private onHeader(h: Buffer): void {
    this.header = [];
    this.headerLen = 0;
    const dataStart = this.nextHeader + 512;
    if (h.every((b) => b === 0)) {
      this.nextHeader = Infinity;
      return;
    }
    const size = tarSize(h.subarray(124, 136));
    const name = h.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
    if (name === this.entry && size > 0) this.target = dataStart + Math.min(this.offset ?? Math.floor(size / 2), size - 1);
    this.nextHeader = dataStart + Math.ceil(size / 512) * 512;
  }
}

function tarSize(field: Buffer): number {
  if (field[0] & 0x80) return field.subarray(1).reduce((acc, b) => acc * 256 + b, 0);
  return parseInt(field.toString('ascii').replace(/[\0 ]/g, '') || '0', 8);
}
