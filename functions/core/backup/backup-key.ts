import { InvalidInputError } from '../shared/errors';

/**
 * Object key layout of backups. Keys sort by time and name the cluster:
 *
 *   <prefix>/<cluster>/YYYY/MM/DD/<cluster>-<YYYYMMDDTHHMMSS.mmmZ>-<raftIndex>.snap
 *
 * e.g. `snapshots/prod-east/2026/11/21/prod-east-20261121T230000.123Z-48213.snap`. The time is when the snapshot was
 * requested (UTC, with milliseconds so that two backups of an unchanged cluster in the same second get two keys);
 * the raft index is Consul's `X-Consul-Index` for that snapshot.
 */
export interface BackupKeyParts {
  readonly prefix: string;
  readonly cluster: string;
  readonly takenAt: Date;
  readonly raftIndex: number;
}

const CLUSTER_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const KEY_PATTERN = /^(.*?)\/?([a-z0-9-]+)\/(\d{4})\/(\d{2})\/(\d{2})\/\2-(\d{8}T\d{6}(?:\.\d{3})?Z)-(\d+)\.snap$/;

/** Validates a cluster name (a DNS label: lowercase letters, digits and dashes). */
export function assertClusterName(cluster: string, field = 'cluster'): void {
  if (!CLUSTER_NAME.test(cluster)) {
    throw new InvalidInputError(field, `"${cluster}" is not a valid cluster name (lowercase letters, digits, dashes)`, '"prod-east"');
  }
}

/** Normalises a key prefix: no leading or trailing slash; empty stays empty. */
export function normalizePrefix(prefix: string): string {
  return prefix.replace(/^\/+|\/+$/g, '');
}

/** The folder holding every backup of one cluster, with a trailing slash (for S3 `Prefix`). */
export function clusterFolder(prefix: string, cluster: string): string {
  const p = normalizePrefix(prefix);
  return p ? `${p}/${cluster}/` : `${cluster}/`;
}

/** Builds the object key of a backup. */
export function buildBackupKey(parts: BackupKeyParts): string {
  assertClusterName(parts.cluster);
  const iso = parts.takenAt.toISOString(); // 2026-11-21T23:00:00.000Z
  const [y, m, d] = [iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10)];
  const stamp = `${y}${m}${d}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}.${iso.slice(20, 23)}Z`;
  return `${clusterFolder(parts.prefix, parts.cluster)}${y}/${m}/${d}/${parts.cluster}-${stamp}-${parts.raftIndex}.snap`;
}

/** Parses a key built by {@link buildBackupKey}; `undefined` for anything else (foreign or staging objects). */
export function parseBackupKey(key: string): BackupKeyParts | undefined {
  const match = KEY_PATTERN.exec(key);
  if (!match) return undefined;
  const [, prefix, cluster, , , , stamp, index] = match;
  const millis = stamp.length > 16 ? stamp.slice(15, 19) : '';
  const takenAt = new Date(
    `${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(9, 11)}:${stamp.slice(11, 13)}:${stamp.slice(13, 15)}${millis}Z`,
  );
  if (Number.isNaN(takenAt.getTime())) return undefined;
  return { prefix, cluster, takenAt, raftIndex: Number(index) };
}
