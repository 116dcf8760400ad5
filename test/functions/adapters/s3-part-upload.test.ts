import { S3Client } from '@aws-sdk/client-s3';
import * as crypto from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startPartUpload, putWithSha256, type PartUploadTarget } from '../../../functions/adapters/s3-part-upload';

const MiB = 1024 * 1024;

/** A loopback "S3" that records each request's headers and body length and answers like S3 would. */
async function fakeS3(): Promise<{ server: Server; url: string; requests: { method: string; url: string; headers: IncomingHttpHeaders; bytes: number }[] }> {
  const requests: { method: string; url: string; headers: IncomingHttpHeaders; bytes: number }[] = [];
  const server = createServer((req, res) => {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, bytes });
      if (req.url?.includes('uploads')) {
        res.writeHead(200, { 'content-type': 'application/xml' }).end('<InitiateMultipartUploadResult><UploadId>u1</UploadId></InitiateMultipartUploadResult>');
      } else {
        res.writeHead(200, { etag: '"e1"', 'x-amz-version-id': 'v9' }).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

/** Counts the bytes every hash (`crypto.Hash`, whoever created it) consumes while `fn` runs. */
async function hashedBytesDuring(fn: () => Promise<unknown>): Promise<number> {
  let hashed = 0;
  const prototype = crypto.Hash.prototype as { update: (data: crypto.BinaryLike, encoding?: crypto.Encoding) => crypto.Hash };
  const original = prototype.update;
  prototype.update = function (this: crypto.Hash, data: crypto.BinaryLike, encoding?: crypto.Encoding) {
    hashed += typeof data === 'string' ? Buffer.byteLength(data) : (data as Uint8Array).byteLength;
    return original.call(this, data, encoding);
  };
  try {
    await fn();
  } finally {
    prototype.update = original;
  }
  return hashed;
}

describe('S3 part upload', () => {
  let s3: Awaited<ReturnType<typeof fakeS3>>;
  let client: S3Client;
  beforeEach(async () => {
    s3 = await fakeS3();
    // Production settings: default (WHEN_SUPPORTED) checksums, real SigV4 signing.
    client = new S3Client({ region: 'us-east-1', endpoint: s3.url, forcePathStyle: true, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } });
  });
  afterEach(async () => {
    client.destroy();
    await new Promise((resolve) => s3.server.close(resolve));
  });

  const target = (): PartUploadTarget => ({
    client,
    bucket: 'b',
    key: 'k.snap',
    contentType: 'application/x-gzip',
    metadata: { 'consul-cluster': 'c1' },
    call: (_operation, fn) => fn(),
  });

  it('hashes each part once and sends that digest as both the S3 checksum and the signed payload hash', async () => {
    // Prepare
    const part = crypto.randomBytes(6 * MiB);
    const digest = crypto.createHash('sha256').update(part).digest();
    const upload = await startPartUpload(target());

    // Act
    const hashed = await hashedBytesDuring(() => upload.uploadPart(1, part));

    // Assess
    const sent = s3.requests.at(-1);
    expect(sent).toMatchObject({ method: 'PUT', bytes: part.length });
    expect(sent?.headers['x-amz-checksum-sha256']).toBe(digest.toString('base64'));
    expect(sent?.headers['x-amz-content-sha256']).toBe(digest.toString('hex'));
    expect(sent?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 .*SignedHeaders=[^,]*x-amz-content-sha256/);
    // One pass over the part; the rest is SigV4's canonical request and string to sign (a few hundred bytes).
    expect(hashed).toBeGreaterThanOrEqual(part.length);
    expect(hashed).toBeLessThan(part.length + 4096);
  });

  it('sends a small archive as one PutObject with the same single digest', async () => {
    // Prepare
    const bytes = crypto.randomBytes(100_000);
    const digest = crypto.createHash('sha256').update(bytes).digest();

    // Act
    const hashed = await hashedBytesDuring(() => putWithSha256(target(), bytes));

    // Assess
    const sent = s3.requests.at(-1);
    expect(sent?.headers['x-amz-checksum-sha256']).toBe(digest.toString('base64'));
    expect(sent?.headers['x-amz-content-sha256']).toBe(digest.toString('hex'));
    expect(hashed).toBeLessThan(bytes.length + 4096);
  });
});
