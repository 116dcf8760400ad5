import type { Readable } from 'node:stream';
import type { RetentionHoldSource } from '../retention/ports';
import type { ContentSummary } from '../snapshot-contents';
import type { ContentHold } from './content-hold';

/**
 * The ports the backup, prune and restore workflows use. Adapters (`functions/adapters/`) implement them over the
 * Consul HTTP API and S3; tests implement them in memory.
 */

/** What the workflows need to know about the Consul cluster they talk to. */
export interface ClusterIdentity {
  readonly datacenter: string;
  readonly consulVersion: string;
}

/** A snapshot stream as Consul serves it, with the query meta sent before the body. */
export interface OpenedSnapshot {
  readonly body: Readable;
  /** `X-Consul-Index`: the snapshot's raft index. */
  readonly index?: number;
  readonly knownLeader?: boolean;
  /** `X-Consul-LastContact`, milliseconds. */
  readonly lastContactMs?: number;
}

/** The Consul side of backups and restores. */
export interface SnapshotSource {
  /**
   * `GET /v1/agent/self`: datacenter and Consul version. Needs `agent:read` on the agent's node (consul-api.md
   * correction 2). The reference names no permission-free endpoint that gives the datacenter and the Consul version
   * on every supported release, and the restore preflight depends on both facts, so the job policies include
   * `agent_prefix "" { policy = "read" }` (`functions/core/shared/acl-policies.ts`).
   */
  describeCluster(): Promise<ClusterIdentity>;
  /** `GET /v1/snapshot`, resolved once the headers arrived; the body streams. */
  openSnapshot(options: { readonly stale: boolean }): Promise<OpenedSnapshot>;
}

/** The Consul side of a restore. */
export interface SnapshotTarget extends SnapshotSource {
  /** `PUT /v1/snapshot` with the archive streamed as the body. */
  restoreSnapshot(body: Readable): Promise<void>;
  /** `GET /v1/status/leader`: the leader address, or '' when there is none. */
  leader(): Promise<string>;
}

/** Why a backup was taken. */
export const BACKUP_KINDS = ['scheduled', 'manual', 'pre-restore'] as const;
/** One of {@link BACKUP_KINDS}. */
export type BackupKind = (typeof BACKUP_KINDS)[number];

/** What is known about a backup once it verified; stored as object tags. */
export interface VerifiedBackupFacts {
  readonly sha256: string;
  readonly raftIndex: number;
  readonly raftTerm: number;
  readonly kind: BackupKind;
}

/** One stored object under a cluster's folder, with what its metadata and tags say. */
export interface StoredBackup {
  readonly key: string;
  readonly versionId: string;
  readonly sizeBytes: number;
  readonly lastModified: Date;
  /** Only objects tagged verified (written after the archive passed verification) are backups. */
  readonly verified: boolean;
  readonly facts?: VerifiedBackupFacts;
}

/** Descriptive metadata written with the object (S3 user metadata). */
export interface BackupMetadata {
  readonly cluster: string;
  readonly datacenter: string;
  readonly consulVersion: string;
  readonly takenAt: string;
  readonly raftIndex: string;
}

/**
 * What a backup holds, stored beside its archive (`<key>.contents.json`) once the archive verified: the content
 * summary, or why it could not be read. Small (a few KiB); the archive's own metadata stays small.
 */
export interface StoredContents {
  readonly version: 1;
  readonly key: string;
  /** The archive version these contents describe (a later version of the key is another archive). */
  readonly versionId: string;
  readonly archiveSha256: string;
  readonly summary?: ContentSummary;
  /** Decoder warnings (e.g. a ChunkingState in flight). */
  readonly warnings?: readonly string[];
  /** Set instead of `summary` when state.bin could not be decoded (the archive itself verified). */
  readonly unreadable?: { readonly code: string; readonly message: string };
}

/** An unfinished multipart upload (a backup that never completed). */
export interface IncompleteUpload {
  readonly key: string;
  readonly uploadId: string;
  readonly initiated: Date;
}

/** One multipart upload in progress (see {@link BackupStore.beginUpload}). */
export interface PartUpload {
  /**
   * Uploads part `partNumber` (1, 2, … in order; every part but the last exactly `partSizeBytes`) with its SHA-256
   * checksum. The caller leaves `bytes` unchanged until this settles.
   */
  uploadPart(partNumber: number, bytes: Uint8Array): Promise<void>;
  /** Completes the object from the parts uploaded. The backup calls it only for a verified archive. */
  complete(): Promise<{ readonly versionId: string }>;
  /** Aborts the upload so that no part is kept. */
  abort(): Promise<void>;
}

/** The S3 side of backups, prune and restore. */
export interface BackupStore {
  /** Size of every multipart part but the last, bytes (memory use is about this × (partsInFlight + 1)). */
  readonly partSizeBytes: number;
  /** Parts uploaded at the same time. */
  readonly partsInFlight: number;
  /** Stores an archive that fits one part, in one request (called only once it verified). */
  putArchive(request: {
    readonly key: string;
    readonly bytes: Uint8Array;
    readonly metadata: BackupMetadata;
    readonly signal?: AbortSignal;
  }): Promise<{ readonly versionId: string }>;
  /** Starts a multipart upload; the object exists only once {@link PartUpload.complete} succeeded. */
  beginUpload(request: { readonly key: string; readonly metadata: BackupMetadata; readonly signal?: AbortSignal }): Promise<PartUpload>;
  /** Tags one object version as a verified backup. */
  markVerified(key: string, versionId: string, facts: VerifiedBackupFacts): Promise<void>;
  /** Every current object version under `folder` (verified or not), with its tags read. */
  list(folder: string): Promise<StoredBackup[]>;
  /** The cluster folders directly under `prefix` (`<prefix>/<cluster>/`), by name, sorted. */
  listClusters(prefix: string): Promise<string[]>;
  /** Unfinished multipart uploads under `folder`. */
  listIncompleteUploads(folder: string): Promise<IncompleteUpload[]>;
  abortIncompleteUpload(upload: IncompleteUpload): Promise<void>;
  /** Removes object versions from view (a delete marker; the version stays recoverable until lifecycle expiry). */
  remove(objects: readonly { readonly key: string; readonly versionId: string }[]): Promise<void>;
  /** Metadata of one version (for restore preflight). */
  describe(key: string, versionId?: string): Promise<StoredBackup & { readonly metadata: Partial<BackupMetadata> }>;
  /** Streams one version's bytes. */
  open(key: string, versionId: string): Promise<Readable>;
  /** Stores a verified backup's contents beside it. */
  saveContents(contents: StoredContents): Promise<void>;
  /** The stored contents of one backup version, or undefined (none stored, or stored for another version). */
  loadContents(key: string, versionId: string): Promise<StoredContents | undefined>;
}

/** Where a cluster's content-drop hold lives (`state/<cluster>/content-drop-hold.json` in the S3 adapter). */
export interface ContentHoldStore extends RetentionHoldSource {
  /** The stored hold, open or closed, or undefined. */
  load(cluster: string): Promise<ContentHold | undefined>;
  save(hold: ContentHold): Promise<void>;
}
