import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readStoredBackup } from '../core/restore/read-backup';
import { InvalidInputError } from '../core/shared/errors';
import { decodeSnapshotMeta, type SnapshotMeta } from '../core/snapshot-archive';
import { decodeSnapshotArchive, decodeStateBinStream, type StateBinDecodeResult, type StateBinDecoderOptions } from '../core/snapshot-contents';
import type { CliContext } from './command';
import { storeFromFlags } from './wiring';

/**
 * Where `inspect` and `diff` read a snapshot from: a local archive (`.snap`, verified as Consul verifies it), a bare
 * `state.bin` (with its sibling `meta.json`, as `consul snapshot inspect` takes it; nothing to verify it against), or
 * a stored backup (`s3://bucket/key[?versionId=V]`, or a key with `--bucket`), verified and compared with the sha256
 * recorded when it was stored.
 */
export type SnapshotInput =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'stored'; readonly bucket: string; readonly key: string; readonly versionId?: string };

/** A snapshot read and decoded. */
export interface DecodedInput {
  /** meta.json's fields (absent for a bare state.bin without meta.json). */
  readonly meta?: SnapshotMeta;
  readonly contents: StateBinDecodeResult;
  /** How the input is named in output. */
  readonly label: string;
}

/** Parses a `diff` argument: an existing file, `s3://bucket/key[?versionId=V]`, or a key (with `--bucket`). */
export function parseSnapshotInput(arg: string, bucket: string | undefined, what: string): SnapshotInput {
  const s3 = /^s3:\/\/([^/]+)\/(.+?)(?:\?versionId=([^&]+))?$/.exec(arg);
  if (s3) return { kind: 'stored', bucket: s3[1], key: s3[2], ...(s3[3] ? { versionId: decodeURIComponent(s3[3]) } : {}) };
  if (existsSync(arg)) return { kind: 'file', path: arg };
  if (bucket !== undefined) {
    const [key, versionId] = arg.split('?versionId=');
    return { kind: 'stored', bucket, key, ...(versionId ? { versionId } : {}) };
  }
  throw new InvalidInputError(what, `"${arg}" is neither a file nor s3://bucket/key`, 'backup.snap, s3://my-bucket/snapshots/prod/…/x.snap?versionId=…, or a key with --bucket');
}

/**
 * Reads and decodes one input. A local archive and a stored backup are verified in the same pass (their
 * StateBinMalformedError says the checksums matched); a bare state.bin is not, and says so.
 */
export async function decodeSnapshotInput(input: SnapshotInput, options: StateBinDecoderOptions, context: CliContext): Promise<DecodedInput> {
  if (input.kind === 'stored') {
    const store = storeFromFlags(input.bucket, context);
    const described = await store.describe(input.key, input.versionId);
    const read = await readStoredBackup(store, { key: input.key, versionId: described.versionId, sha256: described.facts?.sha256, sizeBytes: described.sizeBytes }, { decode: options });
    return { meta: read.snapshot.meta, contents: read.contents as StateBinDecodeResult, label: `s3://${input.bucket}/${input.key}?versionId=${described.versionId}` };
  }
  if (!existsSync(input.path)) throw new InvalidInputError('FILE', `${input.path} does not exist`, 'a snapshot archive (consul snapshot save) or a state.bin with its meta.json beside it');
  if (basename(input.path).toLowerCase() === 'state.bin') {
    const metaPath = join(dirname(input.path), 'meta.json');
    const meta = existsSync(metaPath) ? readMeta(metaPath) : undefined;
    return { ...(meta ? { meta } : {}), contents: await decodeStateBinStream(createReadStream(input.path), options), label: input.path };
  }
  const { snapshot, contents } = await decodeSnapshotArchive(createReadStream(input.path), options);
  return { meta: snapshot.meta, contents, label: input.path };
}

function readMeta(path: string): SnapshotMeta {
  try {
    return decodeSnapshotMeta(readFileSync(path));
  } catch (err) {
    throw new InvalidInputError(path, `is not a snapshot meta.json: ${err instanceof Error ? err.message : String(err)}`, 'the meta.json that was extracted with the state.bin');
  }
}
