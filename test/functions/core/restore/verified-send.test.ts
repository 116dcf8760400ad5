import { createHash } from 'node:crypto';
import { verifiedSendBody } from '../../../../functions/core/restore/verified-send';
import { createArchiveVerifier } from '../../../../functions/core/snapshot-archive';
import { buildArchive } from '../../../helpers/in-memory-backups';

const KiB = 1024;

async function* chunked(bytes: Buffer, size = 64 * KiB): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

/** Reads the body as an HTTP client would: counts what arrived, and how it ended. */
async function receive(body: AsyncIterable<unknown>): Promise<{ bytes: Buffer; error?: unknown }> {
  const parts: Buffer[] = [];
  try {
    for await (const chunk of body) parts.push(Buffer.from(chunk as Uint8Array));
    return { bytes: Buffer.concat(parts) };
  } catch (error) {
    return { bytes: Buffer.concat(parts), error };
  }
}

describe('verifiedSendBody', () => {
  it('sends the whole archive once it verified as the expected one', async () => {
    // Prepare
    const archive = await buildArchive(31, { stateBytes: 2 * 1024 * KiB });
    const expected = createHash('sha256').update(archive).digest('hex');

    // Act
    const send = verifiedSendBody(chunked(archive), createArchiveVerifier(), (v) => (v.archiveSha256 === expected ? undefined : new Error('other archive')));
    const received = await receive(send.body);

    // Assess
    expect(received.error).toBeUndefined();
    expect(received.bytes.equals(archive)).toBe(true);
    await expect(send.verified).resolves.toMatchObject({ archiveSha256: expected });
  });

  it.each([
    { name: 'a corrupt archive', defects: { stateDigest: '00'.repeat(32) }, check: (): Error | undefined => undefined, error: /hash check failed for "state.bin"/ },
    { name: 'a valid archive that is not the recorded one', defects: undefined, check: (): Error | undefined => new Error('sha256 differs from the recorded one'), error: /differs from the recorded/ },
  ])('never delivers the last bytes of $name: the body errors instead of ending', async ({ defects, check, error }) => {
    // Prepare
    const archive = await buildArchive(32, { stateBytes: 2 * 1024 * KiB, defects });

    // Act
    const send = verifiedSendBody(chunked(archive), createArchiveVerifier(), check);
    const received = await receive(send.body);

    // Assess
    expect(String(received.error)).toMatch(error);
    expect(received.bytes.length).toBeGreaterThan(0);
    expect(received.bytes.length).toBeLessThan(archive.length);
    expect(archive.subarray(0, received.bytes.length).equals(received.bytes)).toBe(true);
    await expect(send.verified).rejects.toThrow(error);
  });
});
