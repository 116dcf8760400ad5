import { assertClusterName, clusterFolder, parseBackupKey } from '../backup/backup-key';
import type { BackupStore, StoredBackup } from '../backup/ports';
import { ConsulOpsError, InvalidInputError } from '../shared/errors';
import { BackupNotFoundError, ClusterUnknownError, NoBackupError, UnverifiedBackupError, WrongClusterBackupError } from './errors';

/**
 * Which backup to restore: the newest verified one, an explicit key (its current version unless `versionId` pins
 * another), or the newest verified one taken at or before a time. `latest` and `before` skip `pre-restore` safety
 * snapshots (restoring one undoes a restore, which should be an explicit choice by key).
 */
export type RestoreSelector =
  | { readonly latest: true }
  | { readonly key: string; readonly versionId?: string }
  | { readonly before: Date };

/** A verified backup, pinned to one version, with what its tags and metadata say. */
export interface SelectedBackup {
  readonly key: string;
  readonly versionId: string;
  /** sha256 of the archive recorded when it was verified. */
  readonly sha256: string;
  /** The raft index recorded when it was verified. */
  readonly raftIndex: number;
  readonly takenAt: string;
  readonly kind: string;
  readonly sizeBytes: number;
  readonly datacenter?: string;
  readonly consulVersion?: string;
}

/** Where the cluster of a restore came from. */
export type RestoreClusterSource = 'flag' | 'key' | 'bucket' | 'datacenter';

/**
 * The cluster whose backup a restore uses, as `consul-ops backup` picks it: `--cluster` when given; else the cluster
 * the key names; else the bucket's only cluster under `prefix`; else the target's datacenter when the bucket has
 * backups of it. A wrong target is still refused later (the datacenter check).
 *
 * @example
 * const { cluster } = await resolveRestoreCluster(store, 'snapshots', { datacenter: async () => 'dc1' });
 */
export async function resolveRestoreCluster(
  store: Pick<BackupStore, 'listClusters'>,
  prefix: string,
  from: { readonly flag?: string; readonly key?: string; readonly datacenter: () => Promise<string> },
): Promise<{ readonly cluster: string; readonly source: RestoreClusterSource }> {
  if (from.flag !== undefined) {
    assertClusterName(from.flag, '--cluster');
    return { cluster: from.flag, source: 'flag' };
  }
  if (from.key !== undefined) {
    const named = parseBackupKey(from.key)?.cluster;
    if (named === undefined) throw new InvalidInputError('--key', `${from.key} is not a consul-ops backup key`, 'snapshots/prod-east/2026/11/21/prod-east-20261121T230000.000Z-48213.snap (from `consul-ops list`)');
    return { cluster: named, source: 'key' };
  }
  const clusters = await store.listClusters(prefix);
  if (clusters.length === 1) return { cluster: clusters[0], source: 'bucket' };
  const datacenter = await from.datacenter();
  if (clusters.includes(datacenter)) return { cluster: datacenter, source: 'datacenter' };
  throw new ClusterUnknownError(prefix, clusters, datacenter);
}

/** Error names the S3 adapter reports (in `context.errorName`) for a missing key or version. */
const NOT_FOUND_NAMES = new Set(['NotFound', 'NoSuchKey', 'NoSuchVersion']);
/** S3 answers 400 to HeadObject with a malformed version id. */
const BAD_VERSION_NAMES = new Set(['BadRequest', 'InvalidArgument']);

/**
 * Resolves a {@link RestoreSelector} to one verified object version of `cluster`. Refuses keys of another cluster
 * (or outside the cluster's folder), unverified versions and missing keys or versions, each with a typed error.
 */
export async function selectBackup(store: BackupStore, cluster: string, prefix: string, selector: RestoreSelector): Promise<SelectedBackup> {
  const folder = clusterFolder(prefix, cluster);
  const { key, versionId } = 'key' in selector ? checkKey(selector.key, selector.versionId, cluster, folder) : await newest(store, cluster, folder, selector);
  let described: Awaited<ReturnType<BackupStore['describe']>>;
  try {
    described = await store.describe(key, versionId);
  } catch (err) {
    const name = err instanceof ConsulOpsError ? err.context.errorName : (err as { name?: unknown })?.name;
    if (typeof name === 'string' && (NOT_FOUND_NAMES.has(name) || (versionId !== undefined && BAD_VERSION_NAMES.has(name)))) {
      throw new BackupNotFoundError(key, versionId, err);
    }
    throw err;
  }
  if (!described.verified || !described.facts?.sha256) throw new UnverifiedBackupError(key, described.versionId);
  if (described.metadata.cluster !== undefined && described.metadata.cluster !== cluster) {
    throw new WrongClusterBackupError(key, cluster, described.metadata.cluster);
  }
  return {
    key,
    versionId: described.versionId,
    sha256: described.facts.sha256,
    raftIndex: described.facts.raftIndex,
    takenAt: described.metadata.takenAt ?? takenAtOf(described).toISOString(),
    kind: described.facts.kind,
    sizeBytes: described.sizeBytes,
    datacenter: described.metadata.datacenter,
    consulVersion: described.metadata.consulVersion,
  };
}

function checkKey(key: string, versionId: string | undefined, cluster: string, folder: string): { key: string; versionId?: string } {
  const parsed = parseBackupKey(key);
  if (parsed?.cluster !== cluster) throw new WrongClusterBackupError(key, cluster, parsed?.cluster);
  if (!key.startsWith(folder)) throw new WrongClusterBackupError(key, cluster, undefined);
  return { key, versionId };
}

async function newest(store: BackupStore, cluster: string, folder: string, selector: { latest: true } | { before: Date }): Promise<{ key: string; versionId: string }> {
  const before = 'before' in selector ? selector.before : undefined;
  const candidates = (await store.list(folder))
    .filter((o) => o.verified && o.facts?.kind !== 'pre-restore' && parseBackupKey(o.key)?.cluster === cluster)
    .filter((o) => before === undefined || takenAtOf(o).getTime() <= before.getTime())
    .sort((a, b) => takenAtOf(b).getTime() - takenAtOf(a).getTime() || (b.facts?.raftIndex ?? 0) - (a.facts?.raftIndex ?? 0));
  if (candidates.length === 0) throw new NoBackupError(cluster, folder, before);
  return { key: candidates[0].key, versionId: candidates[0].versionId };
}

/** The snapshot time is in the key (written from the clock when the snapshot was requested). */
function takenAtOf(o: StoredBackup): Date {
  return parseBackupKey(o.key)?.takenAt ?? o.lastModified;
}
