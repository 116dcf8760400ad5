import { Writable } from 'node:stream';

/** A Writable that keeps everything written to it, for asserting on CLI and log output. */
export class CaptureStream extends Writable {
  private readonly chunks: string[] = [];

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    callback();
  }

  /** Everything written so far. */
  get text(): string {
    return this.chunks.join('');
  }
}
