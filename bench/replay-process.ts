/**
 * A "fast Consul" for the benchmark, in its own process: serves one archive file at page-cache speed, as a real
 * Consul server streams its finished snapshot file. `GET /v1/agent/self`, `GET /v1/status/leader`,
 * `GET /v1/snapshot` (the file) and `PUT /v1/snapshot`, which reads the upload through the same archive checks as
 * Consul's `snapshot.Read` (inflate, tar, SHA256SUMS) and answers 200 or 500 with Consul's text, as a Consul server
 * does before it hands state.bin to raft (the raft replay itself is not modelled). Usage: `node replay.js '<ReplaySpec JSON>'`; prints
 * `SIMULATOR {"url","token"}` once listening; stops on SIGTERM/SIGINT or when stdin closes.
 */
import { createReadStream } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream';
import { verifySnapshotStream } from '../functions/core/snapshot-archive';
import { SIMULATOR_TAG } from './jobs';

/** What the replay process serves. */
export interface ReplaySpec {
  readonly file: string;
  readonly index: number;
  readonly datacenter: string;
  readonly consulVersion: string;
}

function main(): void {
  const spec = JSON.parse(process.argv[2] ?? '') as ReplaySpec;
  const agentSelf = JSON.stringify({
    Config: { Datacenter: spec.datacenter, NodeName: 'bench', NodeID: 'a577b288-b354-770e-e909-da0972eb20e8', Revision: 'bench', Server: true, Version: spec.consulVersion },
  });
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/v1/agent/self') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(agentSelf);
    } else if (req.method === 'GET' && path === '/v1/status/leader') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('"127.0.0.1:8300"');
    } else if (req.method === 'GET' && path === '/v1/snapshot') {
      res.writeHead(200, { 'content-type': 'application/x-gzip', 'x-consul-index': String(spec.index), 'x-consul-knownleader': 'true', 'x-consul-lastcontact': '0' });
      pipeline(createReadStream(spec.file, { highWaterMark: 1024 * 1024 }), res, () => undefined);
    } else if (req.method === 'PUT' && path === '/v1/snapshot') {
      verifySnapshotStream(req).then(
        () => res.writeHead(200).end(),
        (err: { consulMessage?: string; message?: string }) => (res.writableEnded ? undefined : res.writeHead(500).end(err.consulMessage ?? err.message ?? 'restore failed')),
      );
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not served by the replay source');
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
