import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { CONSUL_ERROR_CODES } from '../../../../functions/core/shared/consul-errors';
import { refusedAddress } from '../../../helpers/tls-fixtures';
import { useConsulHttpHarness } from '../../../helpers/consul-http-harness';

const MiB = 1024 * 1024;
const { sleeps, serve, client } = useConsulHttpHarness({ token: 'secret' });

/** Deterministic 64 KiB block number `i`. */
function block(i: number): Buffer {
  const b = Buffer.alloc(64 * 1024, i % 251);
  b.writeUInt32BE(i, 0);
  return b;
}

/** Writes `blocks` blocks honouring backpressure; resolves with the hash once all are written. */
async function writeBlocks(res: ServerResponse, blocks: number, progress: { written: number }): Promise<string> {
  const hash = createHash('sha256');
  for (let i = 0; i < blocks; i++) {
    const b = block(i);
    hash.update(b);
    progress.written += b.length;
    if (!res.write(b)) await new Promise((resolve) => res.once('drain', resolve));
  }
  res.end();
  return hash.digest('hex');
}

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`hung for ${ms} ms`)), ms))]);
}


describe('ConsulHttpClient.getStream', () => {
  it('streams 50 MiB chunkwise without buffering it', async () => {
    // Prepare
    const progress = { written: 0 };
    let serverHash: Promise<string> = Promise.resolve('');
    const srv = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-gzip', 'x-consul-index': '1234', 'x-consul-knownleader': 'true' });
      serverHash = writeBlocks(res, (50 * MiB) / (64 * 1024), progress);
    });

    // Act
    const stream = await client([srv.url]).getStream('/v1/snapshot', { query: { stale: true } });
    const writtenWhenHeadersArrived = progress.written;
    const hash = createHash('sha256');
    let bytes = 0;
    let chunks = 0;
    let largest = 0;
    for await (const chunk of stream.body as AsyncIterable<Buffer>) {
      hash.update(chunk);
      bytes += chunk.length;
      chunks += 1;
      largest = Math.max(largest, chunk.length);
    }

    // Assess
    expect(bytes).toBe(50 * MiB);
    expect(hash.digest('hex')).toBe(await serverHash);
    expect(writtenWhenHeadersArrived).toBeLessThan(50 * MiB);
    expect(chunks).toBeGreaterThan(100);
    expect(largest).toBeLessThanOrEqual(1 * MiB);
    expect(stream.meta).toMatchObject({ index: 1234, knownLeader: true, contentType: 'application/x-gzip', address: srv.url });
    expect(srv.requests[0].url).toBe('/v1/snapshot?stale');
    expect(srv.requests[0].headers['accept-encoding']).toBeUndefined();
  });

  it('surfaces a mid-stream reset as an error on the body, not a hang', async () => {
    // Prepare
    const srv = await serve((req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-gzip' });
      res.write(Buffer.alloc(MiB, 1), () => setTimeout(() => req.socket.destroy(), 20));
    });
    const stream = await client([srv.url]).getStream('/v1/snapshot');

    // Act
    const consume = async (): Promise<number> => {
      let n = 0;
      for await (const chunk of stream.body as AsyncIterable<Buffer>) n += chunk.length;
      return n;
    };
    const err = await withDeadline(consume(), 5_000).catch((e: unknown) => e);

    // Assess
    expect(err).toMatchObject({
      name: 'ConsulStreamInterruptedError',
      code: CONSUL_ERROR_CODES.streamInterrupted,
      context: { address: srv.url, path: '/v1/snapshot', bytesReceived: expect.any(Number) },
    });
    expect((err as { context: { bytesReceived: number } }).context.bytesReceived).toBeGreaterThan(0);
    expect(sleeps).toEqual([]);
  });

  it('times out a stalled body with the stream body timeout', async () => {
    // Prepare
    const srv = await serve((_req, res) => {
      res.writeHead(200);
      res.write('partial');
    });
    const stream = await client([srv.url]).getStream('/v1/snapshot', { bodyTimeoutMs: 150 });

    // Act
    const err = await withDeadline(stream.body.toArray(), 5_000).catch((e: unknown) => e);

    // Assess
    expect(err).toMatchObject({ code: CONSUL_ERROR_CODES.timeout, context: { phase: 'body', timeoutMs: 150 } });
  });

  it('retries before the headers, then streams', async () => {
    // Prepare
    const srv = await serve((_req, res, n) => {
      if (n === 1) {
        res.writeHead(500);
        res.end('No cluster leader');
      } else res.end('archive');
    });

    // Act
    const stream = await client([srv.url]).getStream('/v1/snapshot');
    const body = Buffer.concat(await stream.body.toArray()).toString();

    // Assess
    expect(body).toBe('archive');
    expect(sleeps).toEqual([125]);
  });

  it('decodes Content-Encoding: gzip when asked for it', async () => {
    // Prepare
    const payload = Buffer.alloc(3 * MiB, 7);
    const srv = await serve((_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip' });
      res.end(gzipSync(payload));
    });

    // Act
    const stream = await client([srv.url]).getStream('/v1/agent/monitor', { acceptGzip: true });
    const body = Buffer.concat(await stream.body.toArray());

    // Assess
    expect(body.equals(payload)).toBe(true);
    expect(srv.requests[0].headers['accept-encoding']).toBe('gzip');
  });

  it('releases the connection when the consumer destroys the body', async () => {
    // Prepare
    let closed!: () => void;
    const serverSawClose = new Promise<void>((resolve) => (closed = resolve));
    const srv = await serve((req, res) => {
      res.writeHead(200);
      const timer = setInterval(() => res.write(Buffer.alloc(64 * 1024)), 5);
      req.socket.on('close', () => {
        clearInterval(timer);
        closed();
      });
    });
    const stream = await client([srv.url]).getStream('/v1/snapshot');

    // Act
    for await (const _chunk of stream.body) break;

    // Assess
    await withDeadline(serverSawClose, 5_000);
  });
});

describe('ConsulHttpClient.putStream', () => {
  it('streams the request body chunked as application/octet-stream', async () => {
    // Prepare
    const sent = createHash('sha256');
    async function* source(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 80; i++) {
        const b = block(i);
        sent.update(b);
        yield b;
      }
    }
    const received = createHash('sha256');
    let receivedBytes = 0;
    const srv = await serve((req, res) => {
      req.on('data', (c: Buffer) => {
        received.update(c);
        receivedBytes += c.length;
      });
      req.on('end', () => {
        res.writeHead(200, { 'x-consul-index': '77' });
        res.end();
      });
    });

    // Act
    const result = await client([srv.url]).putStream('/v1/snapshot', Readable.from(source()), { query: { dc: 'dc2' } });

    // Assess
    expect(result.body).toBe('');
    expect(result.meta).toMatchObject({ status: 200, index: 77, address: srv.url });
    expect(receivedBytes).toBe(80 * 64 * 1024);
    expect(received.digest('hex')).toBe(sent.digest('hex'));
    expect(srv.requests[0]).toMatchObject({ method: 'PUT', url: '/v1/snapshot?dc=dc2' });
    expect(srv.requests[0].headers).toMatchObject({ 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked', 'x-consul-token': 'secret' });
  });

  it('is never retried, even on No cluster leader', async () => {
    // Prepare
    const srv = await serve((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(500);
        res.end('No cluster leader');
      });
    });

    // Act
    const err = await client([srv.url]).putStream('/v1/snapshot', Readable.from([Buffer.from('x')])).catch((e: unknown) => e);

    // Assess
    expect(err).toMatchObject({ code: CONSUL_ERROR_CODES.noLeader });
    expect(srv.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('is not failed over, even when the first address refuses', async () => {
    // Prepare
    const dead = await refusedAddress();
    const srv = await serve((_req, res) => res.end());

    // Act
    const err = await client([dead, srv.url]).putStream('/v1/snapshot', Readable.from([Buffer.from('x')])).catch((e: unknown) => e);

    // Assess
    expect(err).toMatchObject({ code: CONSUL_ERROR_CODES.unreachable, context: { address: dead } });
    expect(srv.requests).toHaveLength(0);
  });

  it('passes through an error of the source stream unchanged', async () => {
    // Prepare
    const srv = await serve((req, res) => {
      req.on('error', () => undefined);
      req.resume();
      req.on('end', () => res.end());
    });
    const sourceError = Object.assign(new Error('S3 read failed'), { name: 'NoSuchKey' });
    async function* source(): AsyncGenerator<Buffer> {
      yield Buffer.alloc(1000);
      await new Promise((resolve) => setTimeout(resolve, 20));
      throw sourceError;
    }

    // Act
    const err = await client([srv.url]).putStream('/v1/snapshot', Readable.from(source())).catch((e: unknown) => e);

    // Assess
    expect(err).toBe(sourceError);
  });

  it('keeps the restore error text from Consul', async () => {
    // Prepare
    const srv = await serve((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('failed to read snapshot file: failed checking integrity of snapshot: hash check failed for "state.bin"\n');
      });
    });

    // Act
    const err = await client([srv.url]).putStream('/v1/snapshot', Readable.from([Buffer.from('x')])).catch((e: unknown) => e);

    // Assess
    expect(err).toMatchObject({
      code: CONSUL_ERROR_CODES.serverError,
      context: { consulMessage: 'failed to read snapshot file: failed checking integrity of snapshot: hash check failed for "state.bin"' },
    });
  });
});
