/**
 * Starts and stops the local Ceph radosgw (a versioned, Object-Lock-capable S3) from TypeScript.
 *
 * A thin wrapper around `local/radosgw.sh`: it picks free ports, runs `radosgw.sh start DIR`, and gives back the
 * endpoint with the fixed test credentials. Used by the integration tests' global setup and by the benchmark.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';

/** Path of the shell script that does the real work. */
export const RADOSGW_SCRIPT = join(__dirname, 'radosgw.sh');

/** Where and how to reach a local S3 endpoint. */
export interface LocalS3Endpoint {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  readonly endpoint: string;
  /** Region to sign with; radosgw accepts any, the tests use `us-east-1`. */
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** A running radosgw cluster. */
export interface RadosgwHandle extends LocalS3Endpoint {
  /** The cluster directory: config, pid files and logs (`DIR/log`). */
  readonly dir: string;
  /** Stops every daemon of the cluster and waits for them to exit. Idempotent. */
  stop(): Promise<void>;
  /** The same, blocking: for `process.on('exit')` and signal handlers, where promises no longer run. */
  stopSync(): void;
}

/** Options of {@link startRadosgw}. */
export interface StartRadosgwOptions {
  /**
   * Cluster directory. It is kept after `stop()` when given.
   * @default - a new temporary directory, removed by `stop()`
   */
  readonly dir?: string;
  /**
   * Capacity of the in-memory object store, in bytes.
   * @default 1073741824 (1 GiB)
   */
  readonly memstoreBytes?: number;
}

/** The S3 user that `radosgw.sh start` creates. */
const TEST_KEYS = { accessKeyId: 'testkey', secretAccessKey: 'testsecret' } as const;

/**
 * Starts a single-node radosgw on free loopback ports and resolves once S3 answers.
 *
 * Rejects with the tail of the script's output (which names the log file) when the cluster does not come up;
 * the script stops whatever it had started in that case.
 *
 * @example
 * const rgw = await startRadosgw();
 * const s3 = s3ClientForLocal(rgw);
 * // …
 * await rgw.stop();
 */
export async function startRadosgw(opts: StartRadosgwOptions = {}): Promise<RadosgwHandle> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'consul-ops-rgw-'));
  const [rgwPort, monPort] = await freePorts(2);
  const env: NodeJS.ProcessEnv = { ...process.env, RGW_PORT: String(rgwPort), MON_PORT: String(monPort) };
  if (opts.memstoreBytes !== undefined) env.RGW_MEMSTORE_BYTES = String(Math.trunc(opts.memstoreBytes));
  await runScript(['start', dir], env);

  // A directory we made is ours to remove; one the caller gave is kept, logs and all.
  const removeDir = (): void => {
    if (opts.dir === undefined) rmSync(dir, { recursive: true, force: true });
  };
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${rgwPort}`,
    region: 'us-east-1',
    ...TEST_KEYS,
    dir,
    stop() {
      stopped ??= runScript(['stop', dir], process.env).then(removeDir);
      return stopped;
    },
    stopSync() {
      if (stopped !== undefined) return;
      spawnSync('bash', [RADOSGW_SCRIPT, 'stop', dir], { stdio: 'ignore', timeout: 60_000 });
      removeDir();
      stopped = Promise.resolve();
    },
  };
}

/**
 * Whether the Ceph binaries the script needs are on the PATH (see `bash local/radosgw.sh install`).
 */
export function isRadosgwInstalled(): boolean {
  const probe = 'for c in radosgw radosgw-admin ceph ceph-mon ceph-osd uuidgen curl; do command -v "$c"; done';
  return spawnSync('bash', ['-c', probe], { stdio: 'ignore' }).status === 0;
}

/**
 * An S3 client for a local server: path-style addressing and `WHEN_REQUIRED` checksums.
 *
 * Local only. No local S3 server checks flexible checksums, and a streamed body with the SDK default checksums
 * fails on radosgw (`MissingContentLength`). Production clients (`createS3Client` in `functions/adapters/aws-clients.ts`) keep
 * the defaults.
 */
export function s3ClientForLocal(info: LocalS3Endpoint): S3Client {
  return new S3Client({
    endpoint: info.endpoint,
    region: info.region,
    credentials: { accessKeyId: info.accessKeyId, secretAccessKey: info.secretAccessKey },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Runs `radosgw.sh` with `args`; rejects with the last lines of its output when it exits non-zero. */
function runScript(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [RADOSGW_SCRIPT, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) return resolve();
      const tail = output.trim().split('\n').slice(-5).join('\n');
      reject(new Error(`radosgw.sh ${args.join(' ')} failed (exit ${code}):\n${tail}`));
    });
  });
}

/** `count` distinct free TCP ports on 127.0.0.1, from the kernel's ephemeral range (far from Ceph's 6800-7300). */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => {
      return new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
        const server = createServer();
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve(server));
      });
    }),
  );
  // Held open together so the kernel cannot hand out the same port twice.
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}
