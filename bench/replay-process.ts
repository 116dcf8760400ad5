/**
 * Serves a recorded snapshot (see `bench/replay-source.ts`) in its own process: `GET /v1/agent/self` and
 * `GET /v1/snapshot` as recorded, everything else 404. Usage: `node replay-process.js '<ReplayRecording JSON>'`;
 * prints `SIMULATOR {"url","token"}` once listening; stops on SIGTERM/SIGINT or when stdin closes.
 */
import { createReadStream } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream';
import { SIMULATOR_TAG } from './jobs';
import type { ReplayRecording } from './replay-source';

function main(): void {
  const recording = JSON.parse(process.argv[2] ?? '') as ReplayRecording;
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/v1/agent/self') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(recording.agentSelf);
    } else if (req.method === 'GET' && path === '/v1/snapshot') {
      res.writeHead(200, recording.snapshotHeaders);
      pipeline(createReadStream(recording.file, { highWaterMark: 1024 * 1024 }), res, () => undefined);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not recorded');
    }
  });
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    process.stdout.write(`${SIMULATOR_TAG}${JSON.stringify({ url: `http://127.0.0.1:${port}`, token: '' })}\n`);
  });
  const shutdown = (): void => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  process.stdin.on('end', shutdown);
  process.stdin.on('error', shutdown);
  process.stdin.resume();
}

main();
