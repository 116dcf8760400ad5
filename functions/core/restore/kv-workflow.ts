import type { BackupStore } from '../backup/ports';
import { InvalidInputError } from '../shared/errors';
import type { KvEntry } from '../snapshot-contents';
import { DatacenterMismatchError } from './errors';
import { applyKvPlan, type KvApplyResult, type KvConflict } from './kv-apply';
import { kvPlanCounts, planKvRestore, type KvRestorePlan } from './kv-plan';
import type { KvTarget } from './ports';
import { readStoredBackup } from './read-backup';
import { selectBackup, type RestoreSelector } from './selection';

/** Which transfer a `restore-kv` progress callback is about. */
export type RestoreKvPhase = 'verify' | 'apply';

/** What {@link runRestoreKv} needs from outside. */
export interface RestoreKvDeps {
  /** The cluster whose KV store is written. */
  readonly consul: KvTarget;
  readonly store: BackupStore;
  readonly now: () => Date;
  /** Bytes verified, then operations applied, so far. */
  readonly onProgress?: (phase: RestoreKvPhase, done: number, total?: number) => void;
  readonly signal?: AbortSignal;
}

/** What to restore: the KV entries under `kvPrefix` of one backup. */
export interface RestoreKvInput {
  /** The cluster whose backups are read. */
  readonly cluster: string;
  /** The key prefix of the backups in the bucket (`snapshots`). */
  readonly prefix: string;
  readonly selector: RestoreSelector;
  /** The KV prefix to restore (a plain prefix: `config/pay` also covers `config/payments/`); never empty. */
  readonly kvPrefix: string;
  /** Delete live keys under `kvPrefix` that the backup does not have. @default false */
  readonly deleteExtra?: boolean;
  /** Plan only. @default true */
  readonly dryRun?: boolean;
  /** Must equal `cluster` for anything to be written (the CLI sets it for `--yes`). */
  readonly confirm?: string;
  /** Restore into a cluster whose datacenter differs from the backup's. @default false */
  readonly allowCrossCluster?: boolean;
  /** Who asked; reported. @default - unknown */
  readonly invokedBy?: string;
}

/** The outcome of {@link runRestoreKv}: the plan (keys only, never values) and, when applied, what was written. */
export interface RestoreKvResult {
  readonly cluster: string;
  readonly kvPrefix: string;
  readonly backup: { readonly key: string; readonly versionId: string; readonly sha256: string; readonly takenAt: string; readonly consulIndex: number };
  readonly target: { readonly datacenter: string; readonly consulVersion: string };
  readonly counts: ReturnType<typeof kvPlanCounts>;
  /** Keys per action (values are never part of a result). */
  readonly keys: {
    readonly create: readonly string[];
    readonly update: readonly { readonly key: string; readonly changed: readonly string[] }[];
    readonly delete: readonly string[];
    readonly extra: readonly string[];
    readonly unaddressable: readonly string[];
  };
  /** What is not restored, said every time. */
  readonly notRestored: string;
  readonly lockedInBackup: number;
  readonly lockedLive: readonly string[];
  readonly applied: boolean;
  /** Why nothing was written: a dry run, or the confirmation was missing. */
  readonly notApplied?: string;
  readonly outcome?: Omit<KvApplyResult, 'conflicts'> & { readonly conflicts: readonly KvConflict[] };
  readonly durations: { readonly verifyMs: number; readonly applyMs: number };
  readonly invokedBy?: string;
}

/** The sentence every `restore-kv` output carries. */
export const KV_NOT_RESTORED = 'Sessions and locks (Session, LockIndex) are not restored: restored keys carry no session, and a live lock is left as it is.';

/**
 * `restore-kv`: brings back the KV entries under one prefix from a backup without rolling the cluster back. Verifies
 * the archive as any restore does (its KV entries are collected while it streams, but used only once the whole
 * archive, its SHA256SUMS and its recorded sha256 checked out), reads the live entries under the prefix, plans
 * (create / update / delete / skip, see {@link planKvRestore}) and, only with `dryRun === false` and
 * `confirm === cluster`, writes through check-and-set transactions ({@link applyKvPlan}). Nothing outside the prefix
 * is read from the backup or written.
 *
 * @example
 * const result = await runRestoreKv(deps, { cluster: 'prod', prefix: 'snapshots', selector: { before }, kvPrefix: 'config/payments/', dryRun: false, confirm: 'prod' });
 */
export async function runRestoreKv(deps: RestoreKvDeps, input: RestoreKvInput): Promise<RestoreKvResult> {
  if (input.kvPrefix === '') {
    throw new InvalidInputError('KV prefix', 'must not be empty (restore-kv restores one prefix)', '"config/payments/" (a full rollback is `consul-ops restore`)');
  }
  const selected = await selectBackup(deps.store, input.cluster, input.prefix, input.selector);
  const identity = await deps.consul.describeCluster();
  if (selected.datacenter !== identity.datacenter && !input.allowCrossCluster) throw new DatacenterMismatchError(selected.datacenter, identity.datacenter);

  const started = deps.now().getTime();
  const entries: KvEntry[] = [];
  const read = await readStoredBackup(deps.store, selected, {
    decode: { extractKv: { prefix: input.kvPrefix, onEntry: (e) => entries.push(e) } },
    signal: deps.signal,
    onProgress: (n, total) => deps.onProgress?.('verify', n, total),
  });
  const verifyMs = deps.now().getTime() - started;
  // Only now, with the archive verified, is anything done with what it holds.
  const live = await deps.consul.listKv(input.kvPrefix);
  const plan = planKvRestore(entries, live, { prefix: input.kvPrefix, deleteExtra: input.deleteExtra });
  const base = {
    cluster: input.cluster,
    kvPrefix: input.kvPrefix,
    backup: { key: selected.key, versionId: selected.versionId, sha256: selected.sha256, takenAt: selected.takenAt, consulIndex: read.snapshot.meta.Index },
    target: { datacenter: identity.datacenter, consulVersion: identity.consulVersion },
    counts: kvPlanCounts(plan),
    keys: keysOf(plan),
    notRestored: KV_NOT_RESTORED,
    lockedInBackup: plan.lockedInBackup,
    lockedLive: plan.lockedLive,
    ...(input.invokedBy ? { invokedBy: input.invokedBy } : {}),
  };
  const notApplied = input.dryRun !== false ? 'dry run' : input.confirm !== input.cluster ? `not confirmed (confirm must equal the cluster name "${input.cluster}")` : undefined;
  if (notApplied) return { ...base, applied: false, notApplied, durations: { verifyMs, applyMs: 0 } };
  const applyStarted = deps.now().getTime();
  const outcome = await applyKvPlan(deps.consul, plan, { signal: deps.signal, onProgress: (done, total) => deps.onProgress?.('apply', done, total) });
  return { ...base, applied: true, outcome, durations: { verifyMs, applyMs: deps.now().getTime() - applyStarted } };
}

function keysOf(plan: KvRestorePlan): RestoreKvResult['keys'] {
  return {
    create: plan.create.map((w) => w.key),
    update: plan.update.map((w) => ({ key: w.key, changed: w.changed })),
    delete: plan.delete.map((d) => d.key),
    extra: plan.extra,
    unaddressable: plan.unaddressable,
  };
}
