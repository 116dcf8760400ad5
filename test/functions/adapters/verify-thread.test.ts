import { buildSync } from 'esbuild';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createThreadedVerifyingPass,
  fromThreadError,
  toThreadError,
  verifyingPassFactory,
  VERIFY_WORKER_FILE,
  THREADED_VERIFY_MIN_LAMBDA_MB,
} from '../../../functions/adapters/verify-thread';
import { runBackup } from '../../../functions/core/backup/workflow';
import { SNAPSHOT_DEFECTS, SnapshotVerificationError, SnapshotVerifyAbortedError, type VerifiedSnapshot } from '../../../functions/core/snapshot-archive';
import { createVerifyingPass, StateBinMalformedError, type StateBinDecodeResult, type VerifyingPass } from '../../../functions/core/snapshot-contents';
import { archiveOfState, buildArchive, collect, InMemoryBackupStore, InMemoryConsul } from '../../helpers/in-memory-backups';
import { kvs, stateBin } from '../../helpers/state-bin';

const ROOT = join(__dirname, '..', '..', '..');
let dir: string;
let workerScript: string;

beforeAll(() => {
  // The worker as the CLI and the Lambdas ship it: one esbuild bundle (ts-jest does not reach worker threads).
  dir = mkdtempSync(join(tmpdir(), 'verify-thread-'));
  workerScript = join(dir, VERIFY_WORKER_FILE);
  buildSync({ entryPoints: [join(ROOT, 'functions/adapters/verify-thread-worker.ts')], outfile: workerScript, bundle: true, platform: 'node', format: 'cjs', logLevel: 'warning' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Feeds `archive` in `slice`-byte writes, from shared memory (as the backup's part buffers) or from plain buffers. */
async function runPass(pass: VerifyingPass, archive: Buffer, memory: 'shared' | 'plain', slice = 1024 * 1024): Promise<{ verified: VerifiedSnapshot; contents: StateBinDecodeResult | undefined }> {
  const bytes = memory === 'shared' ? new Uint8Array(new SharedArrayBuffer(archive.length)) : new Uint8Array(archive.length);
  bytes.set(archive);
  const writes: Promise<void>[] = [];
  for (let at = 0; at < bytes.length; at += slice) writes.push(pass.verifier.write(bytes.subarray(at, at + slice)));
  await Promise.all(writes);
  const verified = await pass.verifier.end();
  return { verified, contents: pass.contents() };
}

/** What the pass threw, or undefined. */
async function failureOf(act: () => Promise<unknown>): Promise<unknown> {
  try {
    await act();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('createThreadedVerifyingPass', () => {
  it.each(['shared', 'plain'] as const)('verifies and decodes exactly as the inline pass does (%s memory)', async (memory) => {
    // Prepare: a real state.bin (KV records) of several MiB
    const archive = await buildArchive(42, { stateBytes: 6 * 1024 * 1024 });

    // Act
    const inline = await runPass(createVerifyingPass({ summary: true }), archive, 'plain');
    const threaded = await runPass(createThreadedVerifyingPass({ summary: true }, workerScript), archive, memory, 300_001);

    // Assess
    expect(threaded.verified).toEqual(inline.verified);
    expect(threaded.verified.stateBytes).toBe(6 * 1024 * 1024);
    expect(threaded.contents?.summary).toBeDefined();
    expect(threaded.contents).toEqual(inline.contents);
  });

  it('decodes nothing when asked for no decoder', async () => {
    // Prepare
    const archive = await buildArchive(3);

    // Act
    const { verified, contents } = await runPass(createThreadedVerifyingPass(undefined, workerScript), archive, 'shared');

    // Assess
    expect(verified.meta.Index).toBe(3);
    expect(contents).toBeUndefined();
  });

  it('refuses a defective archive with the inline pass\'s error, and rejects the writes still waiting', async () => {
    // Prepare: state.bin's SHA256SUMS line is wrong
    const archive = await buildArchive(9, { stateBytes: 3 * 1024 * 1024, defects: { stateDigest: 'ab'.repeat(32) } });
    const inline = (await failureOf(() => runPass(createVerifyingPass({ summary: true }), archive, 'plain'))) as SnapshotVerificationError;

    // Act
    const threaded = await failureOf(() => runPass(createThreadedVerifyingPass({ summary: true }, workerScript), archive, 'shared'));

    // Assess
    expect(inline).toBeInstanceOf(SnapshotVerificationError);
    expect(threaded).toBeInstanceOf(SnapshotVerificationError);
    const error = threaded as SnapshotVerificationError;
    expect(error.message).toBe(inline.message);
    expect(error.message).toContain('hash check failed for "state.bin"');
    expect(error.defect).toBe(inline.defect);
    expect(error.consulMessage).toBe(inline.consulMessage);
    expect(error.remedy).toBe(inline.remedy);
  });

  it('passes a verified archive whose state.bin cannot be decoded, and contents() throws the decoder\'s error', async () => {
    // Prepare: a header, one good record, then a type byte followed by 0xc1 (never used in msgpack)
    const state = Buffer.concat([stateBin(12, [kvs('a', 'b')]), Buffer.from([0x03, 0xc1])]);
    const archive = await archiveOfState(state, 12);
    const inlinePass = createVerifyingPass({ summary: true });
    await runPass({ verifier: inlinePass.verifier, contents: () => undefined }, archive, 'plain');
    let inline: unknown;
    try {
      inlinePass.contents();
    } catch (err) {
      inline = err;
    }

    // Act
    const pass = createThreadedVerifyingPass({ summary: true }, workerScript);
    const { verified } = await runPass({ verifier: pass.verifier, contents: () => undefined }, archive, 'shared');

    // Assess
    expect(verified.stateBytes).toBe(state.length);
    expect(inline).toBeInstanceOf(StateBinMalformedError);
    expect(() => pass.contents()).toThrow(StateBinMalformedError);
    expect(() => pass.contents()).toThrow((inline as Error).message);
  });

  it('is aborted by destroy: the result and pending writes reject, nothing verifies', async () => {
    // Prepare
    const archive = await buildArchive(5, { stateBytes: 4 * 1024 * 1024 });
    const pass = createThreadedVerifyingPass({ summary: true }, workerScript);
    const first = pass.verifier.write(new Uint8Array(archive.subarray(0, 2 * 1024 * 1024)));

    // Act
    pass.verifier.destroy();

    // Assess
    await expect(pass.verifier.result).rejects.toBeInstanceOf(SnapshotVerifyAbortedError);
    await expect(first).rejects.toBeInstanceOf(SnapshotVerifyAbortedError);
    await expect(pass.verifier.write(new Uint8Array(10))).rejects.toBeInstanceOf(SnapshotVerifyAbortedError);
  });

  it('fails the verification when the thread itself dies', async () => {
    // Prepare: a worker that exits at once
    const broken = join(dir, 'exits.js');
    writeFileSync(broken, 'process.exit(3);\n');
    const archive = await buildArchive(6);

    // Act
    const error = await failureOf(() => runPass(createThreadedVerifyingPass({ summary: true }, broken), archive, 'shared'));

    // Assess
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('the verifying thread exited (code 3) before the archive was verified');
  });

  it('backs up through runBackup with the same stored bytes and contents as the inline pass', async () => {
    // Prepare: parts smaller than the archive, so the part buffers (shared memory) are refilled
    const archive = await buildArchive(77, { stateBytes: 5 * 1024 * 1024 });
    const backup = async (threaded: boolean) => {
      const store = new InMemoryBackupStore();
      store.partSizeBytes = 1024 * 1024;
      const consul = new InMemoryConsul();
      consul.snapshot = archive;
      const result = await runBackup(
        { consul, store, now: () => new Date('2026-12-07T05:00:00Z'), ...(threaded ? { createVerifyingPass: (d) => createThreadedVerifyingPass(d, workerScript) } : {}) },
        { cluster: 'c1', prefix: 'snapshots', kind: 'manual' },
      );
      return { result, stored: await collect(await store.open(result.key, result.versionId)) };
    };

    // Act
    const inline = await backup(false);
    const threaded = await backup(true);

    // Assess
    expect(threaded.stored.equals(archive)).toBe(true);
    expect(threaded.result.sha256).toBe(inline.result.sha256);
    expect(threaded.result.contents).toEqual(inline.result.contents);
    expect(threaded.result.contents.summary).toBeDefined();
  });
});

describe('thread errors cross as their own class', () => {
  it.each([
    ['verification with Consul text', new SnapshotVerificationError(SNAPSHOT_DEFECTS.corrupt, 'gzip: invalid checksum')],
    ['verification with detail only', new SnapshotVerificationError(SNAPSHOT_DEFECTS.badMetadata, undefined, 'meta.json is not JSON')],
    ['aborted', new SnapshotVerifyAbortedError()],
    ['malformed state.bin', new StateBinMalformedError({ record: 3, type: 3, typeName: 'KVS', offset: 99, reason: 'bad byte 0xc1' }, 'matched')],
  ])('%s', (_name, error) => {
    // Act
    const back = fromThreadError(structuredClone(toThreadError(error)));

    // Assess
    expect(back.constructor).toBe(error.constructor);
    expect(back.message).toBe(error.message);
  });

  it('keeps name and message of any other error', () => {
    // Act
    const back = fromThreadError(toThreadError(new RangeError('out of range')));

    // Assess
    expect(back.name).toBe('RangeError');
    expect(back.message).toBe('out of range');
  });
});

describe('verifyingPassFactory', () => {
  const script = '/opt/consul-ops/verify-worker.js';
  it.each([
    ['auto, 2 cores, no Lambda: thread', { cores: 2 }, true],
    ['auto, 1 core: inline', { cores: 1 }, false],
    ['auto, Lambda at 1769 MB: inline', { cores: 2, lambdaMemoryMb: 1769 }, false],
    [`auto, Lambda at ${THREADED_VERIFY_MIN_LAMBDA_MB} MB: thread`, { cores: 2, lambdaMemoryMb: THREADED_VERIFY_MIN_LAMBDA_MB }, true],
    ['on, 1 core: thread', { setting: 'on', cores: 1 }, true],
    ['off, 8 cores: inline', { setting: 'off', cores: 8 }, false],
    ['auto, no bundled worker (TypeScript sources): inline', { cores: 8, noScript: true }, false],
  ])('%s', (_name, policy, threaded) => {
    // Act
    const factory = verifyingPassFactory({ ...policy, workerScript: 'noScript' in policy ? undefined : script });

    // Assess
    expect(factory !== undefined).toBe(threaded);
  });

  it('refuses an unknown setting, and "on" without the bundled worker, in one line that says what to do', () => {
    expect(() => verifyingPassFactory({ setting: 'yes', cores: 2, workerScript: script })).toThrow('CONSUL_OPS_VERIFY_THREAD must be on, off or auto, not "yes"');
    expect(() => verifyingPassFactory({ setting: 'on', cores: 2 })).toThrow(/^CONSUL_OPS_VERIFY_THREAD=on, but verify-worker.js is not next to this bundle: run from the built bundle/);
  });
});
