import { ConsulOpsError } from '../shared/errors';

/**
 * The refusals and failures of a restore (`runRestore`). Each names, in its remedy, the flag (CLI) or event field
 * (Lambda) that overrides it, when one does. Compare on `code`.
 */
export const RESTORE_ERROR_CODES = {
  noBackup: 'RESTORE_NO_BACKUP',
  backupNotFound: 'RESTORE_BACKUP_NOT_FOUND',
  wrongCluster: 'RESTORE_WRONG_CLUSTER',
  unverified: 'RESTORE_UNVERIFIED_BACKUP',
  backupInvalid: 'RESTORE_BACKUP_INVALID',
  checksumMismatch: 'RESTORE_CHECKSUM_MISMATCH',
  dcMismatch: 'RESTORE_DC_MISMATCH',
  versionMismatch: 'RESTORE_VERSION_MISMATCH',
  noLeader: 'RESTORE_NO_LEADER',
  safetySnapshotFailed: 'RESTORE_SAFETY_SNAPSHOT_FAILED',
  failed: 'RESTORE_FAILED',
  functionFailed: 'RESTORE_FUNCTION_FAILED',
  clusterUnknown: 'RESTORE_CLUSTER_UNKNOWN',
  kvFailed: 'RESTORE_KV_FAILED',
  kvOutsidePrefix: 'RESTORE_KV_OUTSIDE_PREFIX',
} as const;

/** No `--cluster`, no key, and the bucket does not say which cluster to restore. */
export class ClusterUnknownError extends ConsulOpsError {
  constructor(prefix: string, clusters: readonly string[], datacenter: string) {
    super(
      RESTORE_ERROR_CODES.clusterUnknown,
      clusters.length === 0
        ? `no backups under ${prefix}/ to restore`
        : `the bucket holds backups of ${clusters.length} clusters under ${prefix}/ (${clusters.join(', ')}), none named after the target's datacenter ${datacenter}`,
      clusters.length === 0
        ? 'Check --bucket and --prefix (`consul-ops list --bucket B --cluster NAME` shows a cluster\'s backups).'
        : `Pass --cluster with one of ${clusters.join(', ')}, or --key with a backup key.`,
      { context: { prefix, clusters: [...clusters], datacenter } },
    );
  }
}

/** No verified backup matched `--latest` / `--before`. */
export class NoBackupError extends ConsulOpsError {
  constructor(cluster: string, folder: string, before?: Date) {
    super(
      RESTORE_ERROR_CODES.noBackup,
      `no verified backup of ${cluster} under ${folder}${before ? ` taken at or before ${before.toISOString()}` : ''}`,
      `Run \`consul-ops list --cluster ${cluster}\` to see the verified backups, then pick one with --key (and --version-id)${before ? ' or a later --before' : ''}.`,
      { context: { cluster, folder, ...(before ? { before: before.toISOString() } : {}) } },
    );
  }
}

/** The key, or the version of it, does not exist (or was deleted). */
export class BackupNotFoundError extends ConsulOpsError {
  constructor(key: string, versionId: string | undefined, cause: unknown) {
    super(
      RESTORE_ERROR_CODES.backupNotFound,
      versionId ? `backup ${key} has no version ${versionId} (or it expired)` : `backup ${key} does not exist (or its current version was deleted)`,
      'Check the key and version id: `consul-ops list` shows current backups; pruned versions stay readable by --version-id until the bucket\'s noncurrent-version lifecycle expires them.',
      { context: { key, ...(versionId ? { versionId } : {}) }, cause },
    );
  }
}

/** The key belongs to another cluster than the one being restored (or is not a consul-ops backup key). */
export class WrongClusterBackupError extends ConsulOpsError {
  constructor(key: string, cluster: string, keyCluster: string | undefined) {
    super(
      RESTORE_ERROR_CODES.wrongCluster,
      keyCluster
        ? `backup ${key} belongs to cluster ${keyCluster}, not ${cluster}`
        : `${key} is not a backup key of cluster ${cluster} (expected <prefix>/${cluster}/YYYY/MM/DD/${cluster}-<time>-<index>.snap)`,
      keyCluster
        ? `Pass --cluster ${keyCluster} to restore that cluster's backup (add --allow-cross-cluster if the target's datacenter differs); no flag restores one cluster's key under another's name.`
        : 'Pick a key from `consul-ops list --cluster <name>` and check --prefix.',
      { context: { key, cluster, ...(keyCluster ? { keyCluster } : {}) } },
    );
  }
}

/** The object version is not tagged verified: it never passed verification when it was stored. */
export class UnverifiedBackupError extends ConsulOpsError {
  constructor(key: string, versionId: string) {
    super(
      RESTORE_ERROR_CODES.unverified,
      `${key} (version ${versionId}) is not a verified backup`,
      'Only objects that passed verification when stored are restored, and no flag overrides this: pick a verified backup from `consul-ops list`.',
      { context: { key, versionId } },
    );
  }
}

/**
 * What Consul got of a refused archive: nothing (a plan, or a check before the send), or an upload cut off before
 * its last bytes, which Consul refuses (the restore verifies while it sends and withholds the end).
 */
export type RefusedArchiveSent = 'nothing' | 'incomplete';

const SENT_TEXT: Record<RefusedArchiveSent, string> = {
  nothing: 'nothing was sent to Consul',
  incomplete: 'the upload to Consul was cut off before its last bytes, so Consul refused it and its state is unchanged',
};

/** The stored bytes fail Consul's archive checks: Consul would refuse them (or the copy is damaged). */
export class BackupInvalidError extends ConsulOpsError {
  constructor(key: string, versionId: string, cause: ConsulOpsError, sent: RefusedArchiveSent = 'nothing') {
    super(
      RESTORE_ERROR_CODES.backupInvalid,
      `stored backup ${key} (version ${versionId}) is corrupt: ${cause.message}; ${SENT_TEXT[sent]}`,
      'Pick another backup (`consul-ops list`); no flag restores a corrupt archive.',
      { context: { key, versionId, ...cause.context }, cause },
    );
  }
}

/** The archive verifies, but is not the one that was stored as verified (sha256 differs from the tag). */
export class ChecksumMismatchError extends ConsulOpsError {
  constructor(key: string, versionId: string, expected: string, actual: string, sent: RefusedArchiveSent = 'nothing') {
    super(
      RESTORE_ERROR_CODES.checksumMismatch,
      `stored backup ${key} (version ${versionId}) has sha256 ${actual}, but was verified with ${expected}; ${SENT_TEXT[sent]}`,
      'The object changed after it was verified (or its tags were edited): treat it as tampered, investigate, and pick another backup. No flag overrides this.',
      { context: { key, versionId, expectedSha256: expected, actualSha256: actual } },
    );
  }
}

/** The target cluster's datacenter differs from the backup's. */
export class DatacenterMismatchError extends ConsulOpsError {
  constructor(backupDatacenter: string | undefined, targetDatacenter: string) {
    super(
      RESTORE_ERROR_CODES.dcMismatch,
      `the backup is of datacenter ${backupDatacenter ?? '(not recorded)'}, the target is datacenter ${targetDatacenter}`,
      'Check that CONSUL_HTTP_ADDR (or the function) points at the right cluster. For a deliberate cross-cluster restore pass --allow-cross-cluster (Lambda: "allowCrossCluster": true), then run the certificate check: the Connect CA may need attention.',
      { context: { backupDatacenter, targetDatacenter } },
    );
  }
}

/** The target runs another Consul version than the one that took the backup. */
export class VersionMismatchError extends ConsulOpsError {
  constructor(backupVersion: string | undefined, targetVersion: string) {
    super(
      RESTORE_ERROR_CODES.versionMismatch,
      `the backup was taken on Consul ${backupVersion ?? '(not recorded)'}, the target runs Consul ${targetVersion}`,
      'Consul supports restores only into the same version (older servers fail with "Unrecognized msg type"): run the backup\'s version on the target, or pass --force-version-mismatch (Lambda: "forceVersionMismatch": true) if you accept the risk.',
      { context: { backupVersion, targetVersion } },
    );
  }
}

/** The target has no raft leader; Consul cannot apply a snapshot without one. */
export class RestoreNoLeaderError extends ConsulOpsError {
  constructor(datacenter: string) {
    super(
      RESTORE_ERROR_CODES.noLeader,
      `the target cluster (datacenter ${datacenter}) has no leader`,
      'A restore needs a leader and no flag overrides this: restore quorum first (`consul operator raft list-peers`; for a fresh cluster, bootstrap it and its ACLs).',
      { context: { datacenter } },
    );
  }
}

/** The pre-restore safety snapshot failed, so nothing was restored. */
export class SafetySnapshotError extends ConsulOpsError {
  constructor(cluster: string, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(
      RESTORE_ERROR_CODES.safetySnapshotFailed,
      `the safety snapshot of ${cluster} before the restore failed: ${detail}; nothing was restored`,
      'Fix the cause above and retry. If the current state is not worth keeping (e.g. a broken or empty cluster), pass --skip-safety-snapshot (Lambda: "skipSafetySnapshot": true).',
      { context: { cluster, ...(cause instanceof ConsulOpsError ? { causeCode: cause.code } : {}) }, cause },
    );
  }
}

/** Sending the archive failed: Consul refused it, or the transfer broke off. Consul's text is in the message. */
export class RestoreFailedError extends ConsulOpsError {
  constructor(key: string, cluster: string, cause: unknown, safetySnapshotKey: string | undefined) {
    const consulMessage = cause instanceof ConsulOpsError ? cause.context.consulMessage : undefined;
    const detail = typeof consulMessage === 'string' && consulMessage ? `Consul answered: ${consulMessage}` : cause instanceof Error ? cause.message : String(cause);
    const underlying = cause instanceof ConsulOpsError ? `${cause.remedy} ` : '';
    const safety = safetySnapshotKey ? ` The state from before is in ${safetySnapshotKey}.` : '';
    super(
      RESTORE_ERROR_CODES.failed,
      `restore of ${key} into ${cluster} failed: ${detail}`,
      `${underlying}Consul checks the whole archive before applying it, so a refused or cut-off upload changes nothing; after a raft or timeout error, check the cluster (\`consul operator raft list-peers\`, \`consul members\`) before retrying.${safety}`,
      {
        context: {
          key,
          cluster,
          ...(typeof consulMessage === 'string' ? { consulMessage } : {}),
          ...(cause instanceof ConsulOpsError ? { causeCode: cause.code } : {}),
          ...(safetySnapshotKey ? { safetySnapshotKey } : {}),
        },
        cause,
      },
    );
  }
}

/** The deployed restore function failed (or refused); its message is the handler's error message. */
export class RestoreFunctionError extends ConsulOpsError {
  constructor(functionName: string, errorType: string, errorMessage: string) {
    super(RESTORE_ERROR_CODES.functionFailed, `restore function ${functionName} failed: ${errorType}: ${errorMessage}`, "The message ends with the function's remedy; its log group and the report on the topic have the details.", {
      context: { functionName, errorType },
    });
  }
}

/** Consul refused a `restore-kv` write for another reason than a changed key (permissions, size, no leader). */
export class KvRestoreFailedError extends ConsulOpsError {
  constructor(prefix: string, key: string, consulMessage: string, applied: { readonly create: number; readonly update: number; readonly delete: number; readonly conflicts: number }) {
    super(
      RESTORE_ERROR_CODES.kvFailed,
      `restore-kv of ${prefix} stopped: Consul refused the write of ${key}: ${consulMessage} (applied before: ${applied.create} created, ${applied.update} updated, ${applied.delete} deleted; ${applied.conflicts} conflicts)`,
      'Fix the cause (the token needs key:read and key:write on the prefix), then run the same restore-kv again: keys already restored are skipped as unchanged.',
      { context: { prefix, key, consulMessage, ...applied } },
    );
  }
}

/** A key outside the requested prefix reached the plan: nothing is written (a safety net, never expected). */
export class KvOutsidePrefixError extends ConsulOpsError {
  constructor(key: string, prefix: string) {
    super(
      RESTORE_ERROR_CODES.kvOutsidePrefix,
      `restore-kv of ${prefix} was handed the key ${key}, which is outside the prefix; nothing was written`,
      'This is a consul-ops bug: please report it with the prefix. No key outside the prefix is ever written.',
      { context: { key, prefix } },
    );
  }
}
