import { createHash } from 'node:crypto';
import { Transform, pipeline } from 'node:stream';
import type { BackupStore, SnapshotTarget } from '../backup/ports';
import { runBackup } from '../backup/workflow';
import {
  ChecksumMismatchError,
  DatacenterMismatchError,
  RestoreFailedError,
  RestoreNoLeaderError,
  SafetySnapshotError,
  VersionMismatchError,
} from './errors';
import { selectBackup, type RestoreSelector, type SelectedBackup } from './selection';
import { createSnapshotVerifier, type VerifiedSnapshot } from '../snapshot-archive';
import { abortDestroys, countBytes, readStoredBackup } from './read-backup';

export type { RestoreSelector } from './selection';

/** Which transfer a progress callback is about. */
export type RestorePhase = 'verify' | 'safety' | 'send';

/** What {@link runRestore} needs from outside. */
export interface RestoreDeps {
  /** The cluster to restore into. */
  readonly consul: SnapshotTarget;
  readonly store: BackupStore;
  readonly now: () => Date;
  /** Bytes verified (`verify`), snapshotted (`safety`) and sent (`send`) so far; `totalBytes` when known. */
  readonly onProgress?: (phase: RestorePhase, bytes: number, totalBytes?: number) => void;
  /** Aborts the transfers (e.g. before the Lambda times out); an upload cut off this way is refused by Consul. */
  readonly signal?: AbortSignal;
}

/** What to restore, where, and which safety checks to override. */
export interface RestoreInput {
  /** The cluster whose backups are read; also names the safety snapshot. */
  readonly cluster: string;
  readonly prefix: string;
  readonly selector: RestoreSelector;
  /** Plan only (verify and preflight, send nothing). @default true */
  readonly dryRun?: boolean;
  /** Must equal `cluster` for anything to be sent (the CLI sets it for `--yes`; the Lambda takes it from the event). */
  readonly confirm?: string;
  /** Restore although the target's datacenter differs from the backup's. @default false */
  readonly allowCrossCluster?: boolean;
  /** Restore although the target runs another Consul version. @default false */
  readonly forceVersionMismatch?: boolean;
  /** Do not take a `pre-restore` snapshot first. @default false */
  readonly skipSafetySnapshot?: boolean;
  /** Who asked (IAM identity, CLI user); reported, never checked. @default - unknown */
  readonly invokedBy?: string;
  /** Archives above this size get a warning (the Lambda's 15-minute cap). @default 1 GiB */
  readonly largeRestoreBytes?: number;
}

/** Outcome of one check; `overridden` means a flag let a failed check pass. */
export interface RestoreCheck {
  readonly id: 'backup' | 'archive' | 'datacenter' | 'consul-version' | 'leader' | 'size' | 'safety-snapshot' | 'leader-after-restore';
  readonly status: 'pass' | 'overridden' | 'warn' | 'skipped' | 'fail';
  readonly detail: string;
}

/** The backup a restore uses, pinned to one version. */
export interface RestoreBackupRef {
  readonly key: string;
  readonly versionId: string;
  readonly sha256: string;
  readonly takenAt: string;
  readonly consulIndex: number;
  readonly sizeBytes: number;
  readonly kind: string;
  readonly datacenter?: string;
  readonly consulVersion?: string;
}

/** What would be restored, into what; every check passed (or was overridden). */
export interface RestorePlan {
  readonly cluster: string;
  readonly backup: RestoreBackupRef;
  readonly target: { readonly datacenter: string; readonly consulVersion: string; readonly leader: string };
  readonly checks: readonly RestoreCheck[];
  readonly verifyMs: number;
  /** "would restore X into Y". */
  readonly summary: string;
}

/** The outcome of {@link runRestore}. */
export interface RestoreResult extends Omit<RestorePlan, 'verifyMs'> {
  readonly safetySnapshot?: { readonly key: string; readonly versionId: string };
  /** True when nothing was sent: a dry run, or the confirmation was missing (`notApplied` says which). */
  readonly dryRun: boolean;
  readonly restored: boolean;
  readonly notApplied?: string;
  readonly durations: { readonly verifyMs: number; readonly safetyMs: number; readonly restoreMs: number };
  readonly invokedBy?: string;
}

const DEFAULT_LARGE_RESTORE_BYTES = 1024 ** 3;

/**
 * Chooses the backup, verifies it and checks the target, sending nothing. The stored version is streamed through the
 * archive verifier and its sha256 compared with the one recorded when it was verified, so a corrupt, truncated or
 * replaced object is refused. Refusals are typed errors (`restore-errors.ts`) whose remedy names the override.
 *
 * @example
 * const plan = await planRestore({ consul, store, now: () => new Date() }, { cluster: 'prod', prefix: 'snapshots', selector: { latest: true } });
 */
export async function planRestore(deps: RestoreDeps, input: RestoreInput): Promise<RestorePlan> {
  const selected = await selectBackup(deps.store, input.cluster, input.prefix, input.selector);
  const checks: RestoreCheck[] = [{ id: 'backup', status: 'pass', detail: `${selected.key} (version ${selected.versionId}, ${selected.kind}, taken ${selected.takenAt})` }];
  // Cheap target checks first, so a wrong target fails before a multi-gigabyte download.
  const target = await preflight(deps.consul, selected, input, checks);
  const started = deps.now().getTime();
  const verified = await verifyStored(deps, selected);
  const verifyMs = deps.now().getTime() - started;
  checks.push({ id: 'archive', status: 'pass', detail: `verified ${verified.archiveBytes} bytes, sha256 ${verified.archiveSha256} as recorded, raft index ${verified.meta.Index}` });
  const large = input.largeRestoreBytes ?? DEFAULT_LARGE_RESTORE_BYTES;
  checks.push(
    selected.sizeBytes > large
      ? { id: 'size', status: 'warn', detail: `${selected.sizeBytes} bytes: a restore this large may not fit the Lambda's 15 minutes; prefer \`consul-ops restore\` from a host` }
      : { id: 'size', status: 'pass', detail: `${selected.sizeBytes} bytes` },
  );
  const backup: RestoreBackupRef = {
    key: selected.key,
    versionId: selected.versionId,
    sha256: selected.sha256,
    takenAt: selected.takenAt,
    consulIndex: verified.meta.Index,
    sizeBytes: verified.archiveBytes,
    kind: selected.kind,
    datacenter: selected.datacenter,
    consulVersion: selected.consulVersion,
  };
  const summary = `would restore ${backup.key} (version ${backup.versionId}, taken ${backup.takenAt}, raft index ${backup.consulIndex}) into cluster ${input.cluster} (datacenter ${target.datacenter}, Consul ${target.consulVersion})`;
  return { cluster: input.cluster, backup, target, checks, verifyMs, summary };
}

/**
 * The manual restore: {@link planRestore}, then, only when `dryRun === false` and `confirm === cluster`, a
 * `pre-restore` safety snapshot (unless skipped), then the same pinned version streamed from the store to
 * `PUT /v1/snapshot` through a second verifier and a sha256 guard: the upload only ends once the bytes sent proved
 * to be exactly the verified ones, so Consul never receives a complete body that differs. Never buffered whole.
 *
 * @example
 * const result = await runRestore(deps, { cluster: 'prod', prefix: 'snapshots', selector: { latest: true }, dryRun: false, confirm: 'prod' });
 */
export async function runRestore(deps: RestoreDeps, input: RestoreInput): Promise<RestoreResult> {
  const plan = await planRestore(deps, input);
  const { verifyMs, ...planned } = plan;
  const base = { ...planned, checks: [...plan.checks], invokedBy: input.invokedBy };
  const notApplied = input.dryRun !== false ? 'dry run' : input.confirm !== input.cluster ? `not confirmed (confirm must equal the cluster name "${input.cluster}")` : undefined;
  if (notApplied) return { ...base, dryRun: true, restored: false, notApplied, durations: { verifyMs, safetyMs: 0, restoreMs: 0 } };

  let safetySnapshot: { key: string; versionId: string } | undefined;
  const safetyStarted = deps.now().getTime();
  if (input.skipSafetySnapshot) {
    base.checks.push({ id: 'safety-snapshot', status: 'skipped', detail: 'skipped on request' });
  } else {
    safetySnapshot = await takeSafetySnapshot(deps, input);
    base.checks.push({ id: 'safety-snapshot', status: 'pass', detail: `${safetySnapshot.key} (version ${safetySnapshot.versionId})` });
  }
  const restoreStarted = deps.now().getTime();
  await sendBackup(deps, plan.backup, input.cluster, safetySnapshot?.key);
  base.checks.push(await leaderAfterRestore(deps.consul));
  return {
    ...base,
    summary: `restored ${plan.backup.key} (version ${plan.backup.versionId}, raft index ${plan.backup.consulIndex}) into cluster ${input.cluster} (datacenter ${plan.target.datacenter})`,
    ...(safetySnapshot ? { safetySnapshot } : {}),
    dryRun: false,
    restored: true,
    durations: { verifyMs, safetyMs: restoreStarted - safetyStarted, restoreMs: deps.now().getTime() - restoreStarted },
  };
}

async function preflight(consul: SnapshotTarget, backup: SelectedBackup, input: RestoreInput, checks: RestoreCheck[]): Promise<RestorePlan['target']> {
  const identity = await consul.describeCluster();
  const dcDetail = `backup ${backup.datacenter ?? '(not recorded)'}, target ${identity.datacenter}`;
  if (backup.datacenter !== identity.datacenter) {
    if (!input.allowCrossCluster) throw new DatacenterMismatchError(backup.datacenter, identity.datacenter);
    checks.push({ id: 'datacenter', status: 'overridden', detail: `${dcDetail} (allowCrossCluster)` });
  } else checks.push({ id: 'datacenter', status: 'pass', detail: dcDetail });
  const versionDetail = `backup ${backup.consulVersion ?? '(not recorded)'}, target ${identity.consulVersion}`;
  if (backup.consulVersion !== identity.consulVersion) {
    if (!input.forceVersionMismatch) throw new VersionMismatchError(backup.consulVersion, identity.consulVersion);
    checks.push({ id: 'consul-version', status: 'overridden', detail: `${versionDetail} (forceVersionMismatch)` });
  } else checks.push({ id: 'consul-version', status: 'pass', detail: versionDetail });
  const leader = await consul.leader();
  if (!leader) throw new RestoreNoLeaderError(identity.datacenter);
  checks.push({ id: 'leader', status: 'pass', detail: `leader ${leader}` });
  return { datacenter: identity.datacenter, consulVersion: identity.consulVersion, leader };
}

/** First read of the pinned version: verify the archive and compare it with the recorded sha256. */
async function verifyStored(deps: RestoreDeps, backup: SelectedBackup): Promise<VerifiedSnapshot> {
  const read = await readStoredBackup(deps.store, backup, { signal: deps.signal, onProgress: (n, total) => deps.onProgress?.('verify', n, total) });
  return read.snapshot;
}

async function takeSafetySnapshot(deps: RestoreDeps, input: RestoreInput): Promise<{ key: string; versionId: string }> {
  try {
    const backup = await runBackup(
      { consul: deps.consul, store: deps.store, now: deps.now, signal: deps.signal, onProgress: (n) => deps.onProgress?.('safety', n) },
      { cluster: input.cluster, prefix: input.prefix, kind: 'pre-restore' },
    );
    return { key: backup.key, versionId: backup.versionId };
  } catch (err) {
    throw new SafetySnapshotError(input.cluster, err);
  }
}

/** Second read of the same pinned version, checked on the fly while it streams into `PUT /v1/snapshot`. */
async function sendBackup(deps: RestoreDeps, backup: RestoreBackupRef, cluster: string, safetyKey: string | undefined): Promise<void> {
  const source = await deps.store.open(backup.key, backup.versionId);
  const verifier = createSnapshotVerifier();
  const guard = sha256Guard(backup);
  // The first stream-side error (S3 reset, changed bytes, abort) explains a failed PUT better than the socket error.
  let streamError: unknown;
  guard.once('error', (err) => (streamError ??= err));
  const stopOnAbort = abortDestroys(source, deps.signal);
  pipeline(source, countBytes((n) => deps.onProgress?.('send', n, backup.sizeBytes)), verifier, guard, () => undefined);
  try {
    await deps.consul.restoreSnapshot(guard);
  } catch (err) {
    throw new RestoreFailedError(backup.key, cluster, streamError ?? err, safetyKey);
  } finally {
    stopOnAbort();
    if (!source.readableEnded) source.destroy();
  }
}

async function leaderAfterRestore(consul: SnapshotTarget): Promise<RestoreCheck> {
  try {
    const leader = await consul.leader();
    return leader
      ? { id: 'leader-after-restore', status: 'pass', detail: `leader ${leader}` }
      : { id: 'leader-after-restore', status: 'fail', detail: 'no leader after the restore: check `consul operator raft list-peers`' };
  } catch (err) {
    return { id: 'leader-after-restore', status: 'fail', detail: `leader check failed: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** Passes bytes through and errors at the end unless their sha256 is the recorded one (so the body never ends). */
function sha256Guard(backup: RestoreBackupRef): Transform {
  const hash = createHash('sha256');
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
    flush(callback) {
      const actual = hash.digest('hex');
      callback(actual === backup.sha256 ? null : new ChecksumMismatchError(backup.key, backup.versionId, backup.sha256, actual));
    },
  });
}
