import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { SnapshotVerificationError, SnapshotVerifyAbortedError, type ArchiveVerifier, type SnapshotDefect, type VerifiedSnapshot } from '../core/snapshot-archive';
import { StateBinMalformedError, type PassDecoderOptions, type StateBinDecodeResult, type StateBinDefect, type VerifyingPass, type VerifyingPassFactory } from '../core/snapshot-contents';
import { VERIFY_WORKER_FILE } from './verify-worker-file';

/**
 * The backup's verifying pass on a worker thread: the archive SHA-256, inflate, tar, the SHA256SUMS digests and the
 * state.bin decoder run there, while the calling thread reads Consul's response, hashes each part and talks to S3.
 * On two or more cores the two halves run side by side instead of taking turns (see BENCHMARKS.md); on one core
 * (a Lambda at 1769 MB or less) the thread only adds hand-offs, so {@link verifyingPassFactory} keeps the pass
 * inline there.
 *
 * Bytes cross without a copy when they live in a SharedArrayBuffer (the backup's part buffers do); anything else is
 * copied once into the message. The worker is the same `createVerifyingPass` as the inline path: the checks, their
 * errors and the decoder's verdict are identical, and a failure of the thread itself fails the verification.
 */

export { VERIFY_WORKER_FILE };
/** Lambda memory from which a function has two vCPUs' worth of CPU (1769 MB = one vCPU). */
export const THREADED_VERIFY_MIN_LAMBDA_MB = 3538;

/** Main → worker. `sab` chunks are views of shared memory (no copy); `bytes` was copied for the message. */
export type ToVerifyThread =
  | { readonly t: 'write'; readonly id: number; readonly sab: SharedArrayBuffer; readonly offset: number; readonly length: number }
  | { readonly t: 'write'; readonly id: number; readonly bytes: Uint8Array }
  | { readonly t: 'end' };

/** Worker → main. */
export type FromVerifyThread =
  | { readonly t: 'ack'; readonly id: number }
  | { readonly t: 'fail'; readonly error: ThreadError }
  | { readonly t: 'done'; readonly verified: VerifiedSnapshot; readonly contents?: StateBinDecodeResult; readonly contentsError?: ThreadError };

/** An error as it crosses the thread boundary: the verifier's own errors keep their class, others their message. */
export type ThreadError =
  | { readonly kind: 'verification'; readonly defect: SnapshotDefect; readonly consulMessage?: string; readonly message: string }
  | { readonly kind: 'aborted' }
  | { readonly kind: 'malformed'; readonly defect: StateBinDefect }
  | { readonly kind: 'other'; readonly name: string; readonly message: string };

const VERIFICATION_PREFIX = 'Snapshot archive failed verification: ';

/** The plain-data form of an error thrown in the worker. */
export function toThreadError(err: unknown): ThreadError {
  if (err instanceof SnapshotVerificationError) {
    return { kind: 'verification', defect: err.defect, ...(err.consulMessage === undefined ? {} : { consulMessage: err.consulMessage }), message: err.message };
  }
  if (err instanceof SnapshotVerifyAbortedError) return { kind: 'aborted' };
  if (err instanceof StateBinMalformedError) return { kind: 'malformed', defect: err.defect };
  return err instanceof Error ? { kind: 'other', name: err.name, message: err.message } : { kind: 'other', name: 'Error', message: String(err) };
}

/** The error the inline pass would have thrown. */
export function fromThreadError(e: ThreadError): Error {
  switch (e.kind) {
    case 'verification': {
      const detail = e.consulMessage === undefined && e.message.startsWith(VERIFICATION_PREFIX) ? e.message.slice(VERIFICATION_PREFIX.length) : undefined;
      return new SnapshotVerificationError(e.defect, e.consulMessage, detail);
    }
    case 'aborted':
      return new SnapshotVerifyAbortedError();
    case 'malformed':
      return new StateBinMalformedError(e.defect, 'matched');
    case 'other': {
      const err = new Error(e.message);
      err.name = e.name;
      return err;
    }
  }
}

/**
 * A {@link VerifyingPass} whose work runs on a worker thread started from `workerScript` (the bundled
 * `verify-thread-worker.ts`). One thread per pass; it exits when the pass settles.
 *
 * @example
 * const pass = createThreadedVerifyingPass({ summary: true }, '/var/task/verify-worker.js');
 */
export function createThreadedVerifyingPass(decode: PassDecoderOptions | undefined, workerScript: string): VerifyingPass {
  const verifier = new ThreadedArchiveVerifier(decode, workerScript);
  return {
    verifier,
    contents: () => {
      if (verifier.contentsError !== undefined) throw fromThreadError(verifier.contentsError);
      return verifier.contents;
    },
  };
}

/** Where the bundled worker is, when this code runs from a bundle that ships it; otherwise undefined. */
export function bundledVerifyWorker(dir: string = __dirname): string | undefined {
  const script = join(dir, VERIFY_WORKER_FILE);
  return existsSync(script) ? script : undefined;
}

/** What decides where the pass runs. */
export interface VerifyThreadPolicy {
  /** `CONSUL_OPS_VERIFY_THREAD`: `on`, `off` or `auto` (default). */
  readonly setting?: string;
  /** The bundled worker script, if any. */
  readonly workerScript?: string;
  /** Cores this process may use. */
  readonly cores: number;
  /** `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` in a Lambda. */
  readonly lambdaMemoryMb?: number;
}

/**
 * The pass factory for this process: a worker thread when `auto` finds two cores' worth of CPU (outside a Lambda, or
 * a Lambda of at least 3538 MB) and the bundled worker, or when `on`; the calling thread otherwise (`off`, or no
 * worker script: running from TypeScript sources).
 *
 * @throws Error for a setting other than on, off or auto, or `on` without the bundled worker
 */
export function verifyingPassFactory(policy: VerifyThreadPolicy): VerifyingPassFactory | undefined {
  const setting = (policy.setting ?? 'auto').trim().toLowerCase() || 'auto';
  if (!['on', 'off', 'auto'].includes(setting)) throw new Error(`CONSUL_OPS_VERIFY_THREAD must be on, off or auto, not "${policy.setting}"`);
  if (setting === 'off') return undefined;
  const script = policy.workerScript;
  if (setting === 'on' && script === undefined) {
    throw new Error(`CONSUL_OPS_VERIFY_THREAD=on, but ${VERIFY_WORKER_FILE} is not next to this bundle: run from the built bundle (npm ci builds it), or set it to auto`);
  }
  if (script === undefined) return undefined;
  const enoughCpu = policy.cores >= 2 && (policy.lambdaMemoryMb === undefined || policy.lambdaMemoryMb >= THREADED_VERIFY_MIN_LAMBDA_MB);
  if (setting === 'auto' && !enoughCpu) return undefined;
  return (decode) => createThreadedVerifyingPass(decode, script);
}

/** {@link verifyingPassFactory} for this process's environment. */
export function verifyingPassFactoryFromEnv(env: NodeJS.ProcessEnv = process.env): VerifyingPassFactory | undefined {
  const memory = env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE;
  return verifyingPassFactory({
    setting: env.CONSUL_OPS_VERIFY_THREAD,
    workerScript: bundledVerifyWorker(),
    cores: availableParallelism(),
    ...(memory ? { lambdaMemoryMb: Number(memory) } : {}),
  });
}

interface Pending {
  resolve(): void;
  reject(err: unknown): void;
}

class ThreadedArchiveVerifier implements ArchiveVerifier {
  readonly result: Promise<VerifiedSnapshot>;
  contents?: StateBinDecodeResult;
  contentsError?: ThreadError;
  private resolveResult!: (value: VerifiedSnapshot) => void;
  private rejectResult!: (reason: unknown) => void;
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private ended = false;
  private settled = false;
  private failure?: Error;

  constructor(decode: PassDecoderOptions | undefined, workerScript: string) {
    this.result = new Promise<VerifiedSnapshot>((resolve, reject) => {
      this.resolveResult = resolve;
      this.rejectResult = reject;
    });
    this.result.catch(() => undefined);
    this.worker = new Worker(workerScript, { workerData: { decode } });
    this.worker.on('message', (message: FromVerifyThread) => this.receive(message));
    this.worker.on('error', (err) => this.fail(new Error(`the verifying thread failed: ${err.message}`)));
    this.worker.on('exit', (code) => {
      if (!this.settled) this.fail(new Error(`the verifying thread exited (code ${code}) before the archive was verified`));
    });
  }

  write(chunk: Uint8Array): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.ended) return Promise.reject(new Error('write after end of the snapshot archive'));
    if (chunk.length === 0) return Promise.resolve();
    const id = ++this.nextId;
    const done = new Promise<void>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    done.catch(() => undefined);
    if (chunk.buffer instanceof SharedArrayBuffer) {
      this.post({ t: 'write', id, sab: chunk.buffer, offset: chunk.byteOffset, length: chunk.byteLength });
    } else {
      const bytes = new Uint8Array(chunk);
      this.post({ t: 'write', id, bytes }, [bytes.buffer]);
    }
    return done;
  }

  end(): Promise<VerifiedSnapshot> {
    if (!this.ended && this.failure === undefined) {
      this.ended = true;
      this.post({ t: 'end' });
    }
    return this.result;
  }

  destroy(reason?: unknown): void {
    this.fail(reason ?? new SnapshotVerifyAbortedError());
  }

  private post(message: ToVerifyThread, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(message, transfer);
  }

  private receive(message: FromVerifyThread): void {
    if (this.settled) return;
    if (message.t === 'ack') {
      const waiting = this.pending.get(message.id);
      this.pending.delete(message.id);
      waiting?.resolve();
    } else if (message.t === 'fail') {
      this.fail(fromThreadError(message.error));
    } else {
      this.settled = true;
      this.contents = message.contents;
      this.contentsError = message.contentsError;
      this.resolveResult(message.verified);
      void this.worker.terminate();
    }
  }

  /** Settles `result` and every pending write with the error (once) and stops the thread. */
  private fail(err: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.failure = err instanceof Error ? err : new Error(String(err));
    for (const waiting of this.pending.values()) waiting.reject(this.failure);
    this.pending.clear();
    this.rejectResult(this.failure);
    void this.worker.terminate();
  }
}
