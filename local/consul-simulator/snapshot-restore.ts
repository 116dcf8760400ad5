/**
 * The FSM side of `PUT /v1/snapshot`: reads state.bin out of the uploaded archive while it streams in and decodes it
 * into fresh tables (`StateRestorer`), so that the restore can swap them in once Consul's archive checks and raft's
 * version check have passed. Never throws: a broken archive is the verifier's to report, a state.bin the FSM cannot
 * restore comes back as `fsmError`.
 */
import { PassThrough, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar-stream';
import { StateBinFormatError, StateBinReader } from './state-bin-reader';
import { FsmRestoreError, StateRestorer } from './state-restore';
import type { StateBinFeatures } from './state-schemas';
import type { StoreTables } from './store';
import { SYNTHETIC_KEY_PREFIX } from './synthetic-state';

/** What the FSM made of the archive's state.bin. */
export interface DecodedArchiveState {
  /** The restored tables; absent when state.bin was missing or could not be restored. */
  readonly tables?: StoreTables;
  /** Why the FSM refused state.bin (Consul's text where Consul has one). */
  readonly fsmError?: string;
  /** Records read, by type. */
  readonly counts: ReadonlyMap<number, number>;
}

/**
 * Decodes the state.bin of an archive stream with the restoring version's record fields (`features`); resolves once
 * the whole input has been consumed.
 */
export function decodeArchiveState(archive: Readable, features: StateBinFeatures): Promise<DecodedArchiveState> {
  const restorer = new StateRestorer({ features, skipKeyPrefix: SYNTHETIC_KEY_PREFIX });
  const reader = new StateBinReader();
  let fsmError: string | undefined;
  let sawState = false;
  let headerChecked = false;
  const feed = (chunk: Buffer): void => {
    if (fsmError !== undefined) return;
    try {
      const records = reader.push(chunk);
      if (!headerChecked && reader.snapshotHeader !== undefined) {
        headerChecked = true;
        restorer.header(reader.snapshotHeader);
      }
      for (const record of records) restorer.apply(record);
    } catch (err) {
      fsmError = errorText(err);
    }
  };
  return new Promise((resolve) => {
    let settled = false;
    let abandoned = false;
    let inputDone = false;
    const finish = (): void => {
      if (settled) return;
      settled = true;
      if (!sawState) return resolve({ fsmError: fsmError ?? 'state.bin missing', counts: restorer.counts });
      if (fsmError === undefined) {
        try {
          reader.end();
        } catch (err) {
          fsmError = errorText(err);
        }
      }
      resolve(fsmError === undefined ? { tables: restorer.result(), counts: restorer.counts } : { fsmError, counts: restorer.counts });
    };
    // Invalid archives: stop parsing but keep draining the input, so the upload completes.
    const abandon = (): void => {
      abandoned = true;
      fsmError ??= 'the archive could not be read';
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
      const isState = header.name === 'state.bin';
      sawState ||= isState;
      stream.on('data', (chunk: unknown) => (isState ? feed(chunk as Buffer) : undefined));
      stream.on('end', () => next());
    });
    archive.pipe(gunzip).pipe(extract);
  });
}

function errorText(err: unknown): string {
  if (err instanceof FsmRestoreError || err instanceof StateBinFormatError) return err.message;
  return err instanceof Error ? err.message : String(err);
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
