import type { SnapshotTarget } from '../backup/ports';
import { DatacenterMismatchError, RestoreNoLeaderError, VersionMismatchError } from './errors';
import type { RestoreCheck } from './ports';
import type { SelectedBackup } from './selection';

/**
 * The target's checks before a restore (datacenter, Consul version, a leader), each recorded in `checks` or refused
 * with its typed error, and the leader check after one.
 */

/** The cluster a restore goes into, as checked. */
export interface RestoreTarget {
  readonly datacenter: string;
  readonly consulVersion: string;
  readonly leader: string;
}

/** The overrides {@link preflight} honours. */
export interface PreflightOverrides {
  readonly allowCrossCluster?: boolean;
  readonly forceVersionMismatch?: boolean;
}

/** Checks the target against the backup; pushes one check per item, throws the refusal an override does not cover. */
export async function preflight(consul: SnapshotTarget, backup: SelectedBackup, input: PreflightOverrides, checks: RestoreCheck[]): Promise<RestoreTarget> {
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

/** Whether the cluster has a leader after the restore (a failed check, not a failed restore). */
export async function leaderAfterRestore(consul: SnapshotTarget): Promise<RestoreCheck> {
  try {
    const leader = await consul.leader();
    return leader
      ? { id: 'leader-after-restore', status: 'pass', detail: `leader ${leader}` }
      : { id: 'leader-after-restore', status: 'fail', detail: 'no leader after the restore: check `consul operator raft list-peers`' };
  } catch (err) {
    return { id: 'leader-after-restore', status: 'fail', detail: `leader check failed: ${err instanceof Error ? err.message : String(err)}` };
  }
}
