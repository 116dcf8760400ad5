/**
 * A "fast Consul" for the benchmark: one snapshot recorded from the simulator, then served again from a file by
 * `bench/replay-process.ts` at page-cache speed. The simulator builds every archive on the fly (synthetic state.bin,
 * gzip, SHA-256) and that, not the client, bounds the simulator runs; replaying shows what the client path itself
 * can do, as with a real Consul server that streams a finished snapshot file.
 */
import { createWriteStream } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { pipeline } from 'node:stream/promises';

/** What the replay process serves: `GET /v1/agent/self` and `GET /v1/snapshot` as recorded. */
export interface ReplayRecording {
  readonly file: string;
  readonly bytes: number;
  /** Consul's query-meta headers and Content-Type of the recorded snapshot response. */
  readonly snapshotHeaders: Readonly<Record<string, string>>;
  readonly agentSelf: string;
}

const KEPT_HEADERS = ['content-type', 'x-consul-index', 'x-consul-knownleader', 'x-consul-lastcontact', 'x-consul-effective-consistency'];

/** Records one snapshot (and `/v1/agent/self`) from a Consul at `url` into `file`. */
export async function recordSnapshot(url: string, token: string, file: string): Promise<ReplayRecording> {
  const agent = await get(url, '/v1/agent/self', token);
  const agentSelf = await readText(agent.body);
  const snapshot = await get(url, '/v1/snapshot', token);
  let bytes = 0;
  snapshot.body.on('data', (chunk: Buffer) => (bytes += chunk.length));
  await pipeline(snapshot.body, createWriteStream(file));
  const snapshotHeaders = Object.fromEntries(
    KEPT_HEADERS.flatMap((h) => (typeof snapshot.headers[h] === 'string' ? [[h, snapshot.headers[h] as string]] : [])),
  );
  return { file, bytes, snapshotHeaders, agentSelf };
}

function get(base: string, path: string, token: string): Promise<{ headers: IncomingHttpHeaders; body: NodeJS.ReadableStream }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, base), { headers: { 'x-consul-token': token } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`GET ${path} answered ${res.statusCode}`));
        return;
      }
      resolve({ headers: res.headers, body: res });
    });
    req.on('error', reject);
    req.end();
  });
}

async function readText(body: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
