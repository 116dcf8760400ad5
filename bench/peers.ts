/**
 * The peer tools the backup is compared with, run against the same replay source and radosgw:
 * - `restic`: the seed's hourly cronjob, `curl` the snapshot to a temp file, then `restic backup` it (Debian's
 *   restic 0.14; a fresh repository per run, initialised outside the timed window, so nothing is deduplicated).
 * - `aws-cli`: `curl | aws s3 cp -` (Debian's awscli), a second plain pipe.
 * Each run is timed by GNU time (`/usr/bin/time`), which reports wall time, the CPU of the whole command tree
 * (curl included) and the largest process's peak RSS. Missing tools are reported with the install command.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalS3Endpoint } from '../local/radosgw';

/** A peer tool. */
export const PEERS = ['aws-cli', 'restic'] as const;
/** One of {@link PEERS}. */
export type Peer = (typeof PEERS)[number];

/** The executables each peer needs (Debian's, by absolute path: a pyenv or pip `aws` on PATH is not the peer). */
const NEEDS: Record<Peer, { readonly files: readonly string[]; readonly install: string }> = {
  'aws-cli': { files: ['/usr/bin/aws', '/usr/bin/curl', '/usr/bin/time'], install: 'apt-get install -y awscli curl time' },
  restic: { files: ['/usr/bin/restic', '/usr/bin/curl', '/usr/bin/time'], install: 'apt-get install -y restic curl time' },
};

/** Why a peer cannot run here (undefined when it can). */
export function peerMissing(peer: Peer): string | undefined {
  const missing = NEEDS[peer].files.filter((f) => !existsSync(f));
  return missing.length === 0 ? undefined : `${peer} not measured: ${missing.join(', ')} missing (install with: ${NEEDS[peer].install})`;
}

/** The version line of a peer, for the report. */
export function peerVersion(peer: Peer): string {
  const out = peer === 'restic' ? spawnSync('/usr/bin/restic', ['version'], { encoding: 'utf8' }) : spawnSync('/usr/bin/aws', ['--version'], { encoding: 'utf8' });
  return `${out.stdout ?? ''}${out.stderr ?? ''}`.trim().split('\n')[0] ?? 'unknown';
}

/** Where a peer run reads and writes. */
export interface PeerTarget {
  readonly s3: LocalS3Endpoint;
  readonly bucket: string;
  readonly snapshotUrl: string;
  readonly tmp: string;
}

/** What GNU time measured for one peer run. */
export interface PeerMeasurement {
  readonly wallMs: number;
  readonly cpuUserMs: number;
  readonly cpuSystemMs: number;
  /** Peak RSS of the largest process of the tree. */
  readonly maxRssBytes: number;
}

let resticRepo = 0;

/** Runs one peer backup of the snapshot at `target.snapshotUrl`; `key` names the object (aws-cli). */
export async function runPeer(peer: Peer, target: PeerTarget, key: string): Promise<PeerMeasurement> {
  const dir = mkdtempSync(join(target.tmp, `${peer}-`));
  const env: NodeJS.ProcessEnv = {
    PATH: '/usr/bin:/bin',
    HOME: dir,
    AWS_ACCESS_KEY_ID: target.s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: target.s3.secretAccessKey,
    AWS_DEFAULT_REGION: target.s3.region,
    AWS_CONFIG_FILE: join(dir, 'aws-config'),
    RESTIC_PASSWORD: 'bench',
    RESTIC_CACHE_DIR: join(dir, 'restic-cache'),
  };
  writeFileSync(env.AWS_CONFIG_FILE as string, '[default]\ns3 =\n  addressing_style = path\n');
  try {
    let script: string;
    if (peer === 'aws-cli') {
      script = `set -o pipefail; curl -sS --fail '${target.snapshotUrl}' | aws --endpoint-url '${target.s3.endpoint}' s3 cp - 's3://${target.bucket}/${key}' --no-progress --only-show-errors`;
    } else {
      resticRepo += 1;
      const repo = `s3:${target.s3.endpoint}/${target.bucket}-restic-${resticRepo}`;
      const init = spawnSync('restic', ['-r', repo, 'init', '--quiet'], { env, encoding: 'utf8' });
      if (init.status !== 0) throw new Error(`restic init failed: ${init.stderr.trim()}`);
      env.RESTIC_REPOSITORY = repo;
      script = `set -e; curl -sS --fail -o '${dir}/consul.snap' '${target.snapshotUrl}'; restic backup --quiet '${dir}/consul.snap'`;
    }
    return await timed(script, env, join(dir, 'time.txt'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function timed(script: string, env: NodeJS.ProcessEnv, timeFile: string): Promise<PeerMeasurement> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', '%e %U %S %M', '-o', timeFile, 'bash', '-c', script], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr?.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-2000)));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`peer run failed (exit ${code}): ${err.trim()}`));
      const [wall, user, sys, rssKb] = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number);
      resolve({ wallMs: wall * 1000, cpuUserMs: user * 1000, cpuSystemMs: sys * 1000, maxRssBytes: rssKb * 1024 });
    });
  });
}
