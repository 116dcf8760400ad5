import { createHash } from 'node:crypto';
import { createArchiveVerifier, SnapshotVerificationError, type StateBinSink } from '../../../../functions/core/snapshot-archive';
import { buildArchive } from '../../../helpers/in-memory-backups';

const KiB = 1024;

function chunks(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.subarray(at, at + size));
  return out;
}

describe('createArchiveVerifier', () => {
  it.each([
    { name: 'small writes (batched)', size: 1000 },
    { name: 'large writes (by reference)', size: 1536 * KiB },
  ])('feeds the state.bin sink every inflated byte once, in order, with $name', async ({ size }) => {
    // Prepare
    const archive = await buildArchive(21, { stateBytes: 3 * 1024 * KiB });
    const hash = createHash('sha256');
    const calls: string[] = [];
    const sink: StateBinSink = {
      write: (chunk) => {
        hash.update(chunk);
        if (calls.at(-1) !== 'write') calls.push('write');
      },
      end: () => calls.push('end'),
    };
    const verifier = createArchiveVerifier({ stateSink: sink });

    // Act
    for (const chunk of chunks(archive, size)) await verifier.write(chunk);
    const verified = await verifier.end();

    // Assess
    expect(hash.digest('hex')).toBe(verified.stateSha256);
    expect(verified.stateBytes).toBe(3 * 1024 * KiB);
    expect(calls).toEqual(['write', 'end']);
    expect(verified.archiveSha256).toBe(createHash('sha256').update(archive).digest('hex'));
  });

  it('stops the verification with the error a sink throws', async () => {
    // Prepare
    const archive = await buildArchive(22, { stateBytes: 256 * KiB });
    const verifier = createArchiveVerifier({
      stateSink: {
        write: () => {
          throw new Error('decoder: unknown message type 250');
        },
        end: () => undefined,
      },
    });

    // Act
    const attempt = (async () => {
      for (const chunk of chunks(archive, 4 * KiB)) await verifier.write(chunk);
      return verifier.end();
    })();

    // Assess
    await expect(attempt).rejects.toThrow('decoder: unknown message type 250');
    await expect(verifier.result).rejects.toThrow('decoder: unknown message type 250');
  });

  it('rejects every write after a defect, and after the end', async () => {
    // Prepare
    const archive = await buildArchive(23, { defects: { stateDigest: '00'.repeat(32) } });
    const verifier = createArchiveVerifier();
    for (const chunk of chunks(archive, 512)) await verifier.write(chunk);

    // Act
    const ended = verifier.end();

    // Assess
    await expect(ended).rejects.toBeInstanceOf(SnapshotVerificationError);
    await expect(verifier.write(Buffer.from([1]))).rejects.toBeInstanceOf(SnapshotVerificationError);
  });
});
