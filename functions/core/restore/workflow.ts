import type { BackupStore, SnapshotTarget } from '../backup/ports';
import { runBackup } from '../backup/workflow';
import { ConsulOpsError } from '../shared/errors';
import {
  BackupInvalidError,
  ChecksumMismatchError,
  RestoreFailedError,
  SafetySnapshotError,
} from './errors';
import type { RestoreCheck, RestoreTokens, TokenSecretPreflight, TokenSecretReconciliation } from './ports';
import { tokensAfterRestore, tokensCheck } from './token-checks';
import { selectBackup, type RestoreSelector, type SelectedBackup } from './selection';
import type { VerifiedSnapshot } from '../snapshot-archive';
import { createVerifyingPass, type VerifyingPassFactory } from '../snapshot-contents';
import { readStoredBackup } from './read-backup';
import { verifiedSendBody } from './verified-send';
import { leaderAfterRestore, preflight, type RestoreTarget } from './preflight';
import { abortDestroys } from '../shared/abort-destroys';

export type { RestoreTarget } from './preflight';

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
  /**
   * The cluster's token secrets: listed by the preflight, reconciled after the snapshot was applied.
   * @default - none: tokens created after the backup are left gone (the report says so)
   */
  readonly tokens?: RestoreTokens;
  /**
   * Makes the verifying pass of the safety snapshot (a backup; e.g. on a worker thread).
   * @default - {@link createVerifyingPass} on the calling thread
   */
  readonly createVerifyingPass?: VerifyingPassFactory;
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
  readonly target: RestoreTarget;
  readonly checks: readonly RestoreCheck[];
  readonly verifyMs: number;
  /** "would restore X into Y". */
  readonly summary: string;
  /** The token secrets and what the restore does to their tokens. @default - no token secrets given */
  readonly tokens?: readonly TokenSecretPreflight[];
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
  /** What happened to each token secret after the snapshot was applied. @default - not reconciled */
  readonly tokenReconciliation?: readonly TokenSecretReconciliation[];
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
  const { selected, checks, target } = await selectAndPreflight(deps, input);
  const started = deps.now().getTime();
  const verified = await verifyStored(deps, selected);
  const verifyMs = deps.now().getTime() - started;
  checks.push(archiveCheck(verified));
  checks.push(sizeCheck(selected.sizeBytes, input));
  const tokens = await tokenPreflight(deps, selected, checks);
  return { ...describePlan(input, selected, target, checks, tokens, verified), verifyMs };
}

/** The token secrets whose AWSCURRENT token the restore will remove (and re-create), when the deps name any. */
async function tokenPreflight(deps: RestoreDeps, selected: SelectedBackup, checks: RestoreCheck[]): Promise<RestorePlan['tokens']> {
  if (deps.tokens === undefined) return undefined;
  const tokens = await deps.tokens.preflight({ takenAt: selected.takenAt });
  checks.push(tokensCheck(tokens));
  return tokens;
}

/** The backup chosen and the target checked: everything a plan needs but the archive's own verification. */
async function selectAndPreflight(deps: RestoreDeps, input: RestoreInput): Promise<{ selected: SelectedBackup; checks: RestoreCheck[]; target: RestoreTarget }> {
  const selected = await selectBackup(deps.store, input.cluster, input.prefix, input.selector);
  const checks: RestoreCheck[] = [{ id: 'backup', status: 'pass', detail: `${selected.key} (version ${selected.versionId}, ${selected.kind}, taken ${selected.takenAt})` }];
  // Cheap target checks first, so a wrong target fails before a multi-gigabyte download.
  const target = await preflight(deps.consul, selected, input, checks);
  return { selected, checks, target };
}

function archiveCheck(verified: VerifiedSnapshot): RestoreCheck {
  return { id: 'archive', status: 'pass', detail: `verified ${verified.archiveBytes} bytes, sha256 ${verified.archiveSha256} as recorded, raft index ${verified.meta.Index}` };
}

function sizeCheck(sizeBytes: number, input: RestoreInput): RestoreCheck {
  const large = input.largeRestoreBytes ?? DEFAULT_LARGE_RESTORE_BYTES;
  return sizeBytes > large
    ? { id: 'size', status: 'warn', detail: `${sizeBytes} bytes: a restore this large may not fit the Lambda's 15 minutes; prefer \`consul-ops restore\` from a host` }
    : { id: 'size', status: 'pass', detail: `${sizeBytes} bytes` };
}

/** The plan's backup reference and summary, from the verification when there was one, else from the recorded facts. */
function describePlan(
  input: RestoreInput,
  selected: SelectedBackup,
  target: RestoreTarget,
  checks: RestoreCheck[],
  tokens: RestorePlan['tokens'],
  verified?: VerifiedSnapshot,
): Omit<RestorePlan, 'verifyMs'> {
  const backup: RestoreBackupRef = {
    key: selected.key,
    versionId: selected.versionId,
    sha256: selected.sha256,
    takenAt: selected.takenAt,
    consulIndex: verified?.meta.Index ?? selected.raftIndex,
    sizeBytes: verified?.archiveBytes ?? selected.sizeBytes,
    kind: selected.kind,
    datacenter: selected.datacenter,
    consulVersion: selected.consulVersion,
  };
  const summary = `would restore ${backup.key} (version ${backup.versionId}, taken ${backup.takenAt}, raft index ${backup.consulIndex}) into cluster ${input.cluster} (datacenter ${target.datacenter}, Consul ${target.consulVersion})`;
  return { cluster: input.cluster, backup, target, checks, summary, ...(tokens ? { tokens } : {}) };
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
  const notApplied = input.dryRun !== false ? 'dry run' : input.confirm !== input.cluster ? `not confirmed (confirm must equal the cluster name "${input.cluster}")` : undefined;
  if (notApplied) {
    const { verifyMs, ...plan } = await planRestore(deps, input);
    return { ...plan, invokedBy: input.invokedBy, dryRun: true, restored: false, notApplied, durations: { verifyMs, safetyMs: 0, restoreMs: 0 } };
  }
  const { selected, checks, target } = await selectAndPreflight(deps, input);
  checks.push(sizeCheck(selected.sizeBytes, input));
  const tokens = await tokenPreflight(deps, selected, checks);
  const planned = describePlan(input, selected, target, checks, tokens);

  let safetySnapshot: { key: string; versionId: string } | undefined;
  const safetyStarted = deps.now().getTime();
  if (input.skipSafetySnapshot) {
    checks.push({ id: 'safety-snapshot', status: 'skipped', detail: 'skipped on request' });
  } else {
    safetySnapshot = await takeSafetySnapshot(deps, input);
    checks.push({ id: 'safety-snapshot', status: 'pass', detail: `${safetySnapshot.key} (version ${safetySnapshot.versionId})` });
  }
  const restoreStarted = deps.now().getTime();
  const verified = await sendBackup(deps, selected, input.cluster, safetySnapshot?.key);
  // The archive check passed during the send; it is listed where a plan lists it, before the size check.
  checks.splice(checks.findIndex((c) => c.id === 'size'), 0, archiveCheck(verified));
  checks.push(await leaderAfterRestore(deps.consul));
  // Tokens after the snapshot: the management token first (never locked out), then the applications'.
  const tokenReconciliation = deps.tokens === undefined ? undefined : await deps.tokens.reconcile();
  if (tokenReconciliation !== undefined) checks.push(tokensAfterRestore(tokenReconciliation));
  const backup = { ...planned.backup, consulIndex: verified.meta.Index, sizeBytes: verified.archiveBytes };
  return {
    ...planned,
    backup,
    checks,
    invokedBy: input.invokedBy,
    ...(tokenReconciliation ? { tokenReconciliation } : {}),
    summary: `restored ${backup.key} (version ${backup.versionId}, raft index ${backup.consulIndex}) into cluster ${input.cluster} (datacenter ${target.datacenter})`,
    ...(safetySnapshot ? { safetySnapshot } : {}),
    dryRun: false,
    restored: true,
    durations: { verifyMs: 0, safetyMs: restoreStarted - safetyStarted, restoreMs: deps.now().getTime() - restoreStarted },
  };
}

/** First read of the pinned version: verify the archive and compare it with the recorded sha256. */
async function verifyStored(deps: RestoreDeps, backup: SelectedBackup): Promise<VerifiedSnapshot> {
  return (await readStoredBackup(deps.store, backup, { signal: deps.signal, onProgress: (n, total) => deps.onProgress?.('verify', n, total) })).snapshot;
}

async function takeSafetySnapshot(deps: RestoreDeps, input: RestoreInput): Promise<{ key: string; versionId: string }> {
  try {
    const backup = await runBackup(
      { consul: deps.consul, store: deps.store, now: deps.now, signal: deps.signal, onProgress: (n) => deps.onProgress?.('safety', n), createVerifyingPass: deps.createVerifyingPass },
      { cluster: input.cluster, prefix: input.prefix, kind: 'pre-restore' },
    );
    return { key: backup.key, versionId: backup.versionId };
  } catch (err) {
    throw new SafetySnapshotError(input.cluster, err);
  }
}

/**
 * The one read of the pinned version when a restore is applied: streamed into `PUT /v1/snapshot` while it is verified,
 * with its last bytes withheld until the verifier passed and the sha256 is the recorded one (`verified-send.ts`).
 * A corrupt or replaced archive is refused with the same errors as a plan's, and Consul gets a cut-off upload.
 */
async function sendBackup(deps: RestoreDeps, backup: SelectedBackup, cluster: string, safetyKey: string | undefined): Promise<VerifiedSnapshot> {
  const source = await deps.store.open(backup.key, backup.versionId);
  const stopOnAbort = abortDestroys(source, deps.signal);
  const send = verifiedSendBody(
    source,
    // On the calling thread even where backups use a worker: measured no faster here (BENCHMARKS.md), the receiver's
    // own archive checks being the other half of the work.
    createVerifyingPass().verifier,
    (v) => (v.archiveSha256 === backup.sha256 ? undefined : new ChecksumMismatchError(backup.key, backup.versionId, backup.sha256, v.archiveSha256, 'incomplete')),
    (n) => deps.onProgress?.('send', n, backup.sizeBytes),
  );
  try {
    await deps.consul.restoreSnapshot(send.body);
  } catch (err) {
    const refusal = await send.verified.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (deps.signal?.aborted) throw new RestoreFailedError(backup.key, cluster, deps.signal.reason ?? err, safetyKey);
    if (refusal instanceof ChecksumMismatchError) throw refusal;
    if (refusal instanceof ConsulOpsError && refusal.code === 'SNAPSHOT_INVALID') throw new BackupInvalidError(backup.key, backup.versionId, refusal, 'incomplete');
    throw new RestoreFailedError(backup.key, cluster, err, safetyKey);
  } finally {
    stopOnAbort();
    if (!source.readableEnded) source.destroy();
  }
  return send.verified;
}
