/**
 * In-memory fakes of the backup ports (`functions/core/backup/ports.ts`) for core and CLI unit tests. The wire-level
 * behaviour is covered by the integration tests against the simulator and radosgw.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type {
  BackupMetadata,
  BackupStore,
  ClusterIdentity,
  ContentHoldStore,
  IncompleteUpload,
  OpenedSnapshot,
  PartUpload,
  SnapshotTarget,
  StoredBackup,
  StoredContents,
  VerifiedBackupFacts,
} from '../../functions/core/backup/ports';
import { ConsulOpsError } from '../../functions/core/shared/errors';
import { retentionHoldOf, type ContentHold } from '../../functions/core/backup/content-hold';
import type { RetentionHold } from '../../functions/core/retention/ports';
import { type SnapshotMeta } from '../../functions/core/snapshot-archive';
import { syntheticStateStream } from '../../local/consul-simulator/synthetic-state';
import { writeSnapshotArchive, type ArchiveDefects } from '../../local/consul-simulator/archive-writer';

/** Collects a stream into one Buffer. */
export async function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(parts);
}

/** sha256 (hex) of bytes. */
export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The meta.json of test archives with raft index `index` (raft snapshot `version` 1 unless given). */
export function testMeta(index: number, version = 1): Omit<SnapshotMeta, 'Size'> {
  return {
    Version: version,
    ID: `2-${index}-1602222343947`,
    Index: index,
    Term: 2,
    Peers: 'ka4xMjcuMC4wLjE6ODMwMA==',
    Configuration: { Servers: [{ Suffrage: 0, ID: 'a577b288-b354-770e-e909-da0972eb20e8', Address: '127.0.0.1:8300' }] },
    ConfigurationIndex: 1,
  };
}

/** A Consul snapshot archive around the given state.bin bytes (e.g. built with `test/helpers/state-bin.ts`). */
export async function archiveOfState(state: Buffer, index: number, defects?: ArchiveDefects): Promise<Buffer> {
  return collect(writeSnapshotArchive({ meta: testMeta(index), state: { size: state.length, stream: Readable.from([state]) } }, { mtime: new Date(0), gzipLevel: 1, defects }));
}

/** A Consul snapshot archive with raft index `index` and `stateBytes` of synthetic state, optionally defective. */
export async function buildArchive(index: number, options: { stateBytes?: number; defects?: ArchiveDefects; version?: number } = {}): Promise<Buffer> {
  const size = options.stateBytes ?? 4096;
  return collect(writeSnapshotArchive({ meta: testMeta(index, options.version), state: { size, stream: syntheticStateStream({ bytes: size, seed: index, index }) } }, { mtime: new Date(0), gzipLevel: 1, defects: options.defects }));
}

interface Version {
  readonly versionId: string;
  bytes: Buffer;
  readonly metadata: Partial<BackupMetadata>;
  readonly lastModified: Date;
  facts?: VerifiedBackupFacts;
}

/** A versioned in-memory bucket. `openCount` counts reads; `replaceOnOpen` makes a later read return other bytes. */
export class InMemoryBackupStore implements BackupStore {
  readonly objects = new Map<string, Version[]>();
  openCount = 0;
  /** Called on every `open`; may return other bytes (to simulate an object changing between reads). */
  onOpen?: (key: string, versionId: string, bytes: Buffer, count: number) => Buffer;
  private nextVersion = 1;

  /** Stores bytes as a new current version, verified (with `facts`) or not. */
  put(key: string, bytes: Buffer, metadata: Partial<BackupMetadata>, facts?: Partial<VerifiedBackupFacts> & { sha256?: string }): string {
    const versionId = `v${this.nextVersion++}`;
    const full = facts ? { sha256: sha256(bytes), raftIndex: 0, raftTerm: 2, kind: 'scheduled' as const, ...facts } : undefined;
    this.deleteMarkers.delete(key);
    const versions = this.objects.get(key) ?? [];
    versions.push({ versionId, bytes, metadata, lastModified: new Date(0), facts: full });
    this.objects.set(key, versions);
    return versionId;
  }

  partSizeBytes = 5 * 1024 * 1024;
  partsInFlight = 2;
  /** Multipart uploads started, with what happened to them. */
  readonly uploads: { key: string; parts: Buffer[]; state: 'open' | 'completed' | 'aborted' }[] = [];
  /** Makes `uploadPart` fail with this error. */
  uploadPartError?: Error;

  async putArchive(request: { key: string; bytes: Uint8Array; metadata: BackupMetadata }): Promise<{ versionId: string }> {
    return { versionId: this.put(request.key, Buffer.from(request.bytes), request.metadata) };
  }

  async beginUpload(request: { key: string; metadata: BackupMetadata }): Promise<PartUpload> {
    const upload = { key: request.key, parts: [] as Buffer[], state: 'open' as 'open' | 'completed' | 'aborted' };
    this.uploads.push(upload);
    return {
      uploadPart: async (partNumber, bytes) => {
        if (this.uploadPartError) throw this.uploadPartError;
        if (upload.state !== 'open') throw new Error(`upload of ${request.key} is ${upload.state}`);
        // A copy: the caller refills its buffer once this resolves.
        upload.parts[partNumber - 1] = Buffer.from(bytes);
      },
      complete: async () => {
        if (upload.state !== 'open') throw new Error(`upload of ${request.key} is ${upload.state}`);
        upload.state = 'completed';
        return { versionId: this.put(request.key, Buffer.concat(upload.parts), request.metadata) };
      },
      abort: async () => {
        upload.state = 'aborted';
      },
    };
  }

  async markVerified(key: string, versionId: string, facts: VerifiedBackupFacts): Promise<void> {
    this.version(key, versionId).facts = facts;
  }

  async list(folder: string): Promise<StoredBackup[]> {
    return [...this.objects].filter(([key]) => key.startsWith(folder) && !this.deleteMarkers.has(key)).map(([key, versions]) => this.toStored(key, versions[versions.length - 1]));
  }

  async listClusters(prefix: string): Promise<string[]> {
    const root = prefix.replace(/^\/+|\/+$/g, '');
    const under = [...this.objects.keys()].filter((k) => k.startsWith(`${root}/`)).map((k) => k.slice(root.length + 1).split('/')[0]);
    return [...new Set(under)].sort();
  }

  async listIncompleteUploads(): Promise<IncompleteUpload[]> {
    return [];
  }

  async abortIncompleteUpload(): Promise<void> {}

  /** Contents objects by backup key. */
  readonly contents = new Map<string, StoredContents>();
  /** Every removed key, in order. */
  readonly removed: string[] = [];

  /** Keys whose current version is a delete marker (as S3 does on `remove`); older versions stay readable by id. */
  readonly deleteMarkers = new Set<string>();

  async remove(objects: readonly { key: string; versionId: string }[]): Promise<void> {
    for (const o of objects) {
      this.removed.push(o.key);
      this.deleteMarkers.add(o.key);
      this.contents.delete(o.key);
    }
  }

  async saveContents(contents: StoredContents): Promise<void> {
    this.contents.set(contents.key, JSON.parse(JSON.stringify(contents)) as StoredContents);
  }

  async loadContents(key: string, versionId: string): Promise<StoredContents | undefined> {
    const c = this.contents.get(key);
    return c?.versionId === versionId ? c : undefined;
  }

  async describe(key: string, versionId?: string): Promise<StoredBackup & { metadata: Partial<BackupMetadata> }> {
    const v = this.version(key, versionId);
    return { ...this.toStored(key, v), metadata: v.metadata };
  }

  async open(key: string, versionId: string): Promise<Readable> {
    const v = this.version(key, versionId);
    this.openCount += 1;
    const bytes = this.onOpen?.(key, versionId, v.bytes, this.openCount) ?? v.bytes;
    const chunks: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += 1000) chunks.push(bytes.subarray(at, at + 1000));
    return Readable.from(chunks);
  }

  private version(key: string, versionId?: string): Version {
    const versions = this.objects.get(key);
    const v = versionId === undefined ? (this.deleteMarkers.has(key) ? undefined : versions?.at(-1)) : versions?.find((x) => x.versionId === versionId);
    if (!v) {
      throw new ConsulOpsError('BACKUP_STORE_FAILED', `S3 HeadObject failed: NotFound`, 'Check the bucket.', { context: { errorName: 'NotFound' } });
    }
    return v;
  }

  private toStored(key: string, v: Version): StoredBackup {
    return { key, versionId: v.versionId, sizeBytes: v.bytes.length, lastModified: v.lastModified, verified: v.facts !== undefined, ...(v.facts ? { facts: v.facts } : {}) };
  }
}

/** A Consul cluster in memory: serves `snapshot` for saves, records every restore body. */
export class InMemoryConsul implements SnapshotTarget {
  identity: ClusterIdentity = { datacenter: 'dc1', consulVersion: '1.17.0' };
  leaderAddress = '10.0.0.1:8300';
  /** What a save returns. */
  snapshot?: Buffer;
  /** The bodies of every `restoreSnapshot` call (complete ones only). */
  readonly restored: Buffer[] = [];
  restoreCalls = 0;
  /** Makes the next restore fail with this error after reading the body. */
  restoreError?: Error;
  /** Called when a restore starts (e.g. to look at the store at that moment). */
  onRestore?: () => void;
  /** Leader addresses returned by successive `leader()` calls (then `leaderAddress`). */
  leaderSequence: string[] = [];

  async describeCluster(): Promise<ClusterIdentity> {
    return this.identity;
  }

  async openSnapshot(): Promise<OpenedSnapshot> {
    if (!this.snapshot) throw new ConsulOpsError('CONSUL_SERVER_ERROR', 'GET /v1/snapshot: failed to create snapshot file', 'Check TMPDIR.');
    return { body: Readable.from([this.snapshot]), index: 42, knownLeader: true };
  }

  /** Bytes each `restoreSnapshot` call received before its body ended or failed. */
  readonly received: number[] = [];

  async restoreSnapshot(body: Readable): Promise<void> {
    this.restoreCalls += 1;
    this.onRestore?.();
    const call = this.received.push(0) - 1;
    const parts: Buffer[] = [];
    for await (const chunk of body) {
      parts.push(Buffer.from(chunk as Uint8Array));
      this.received[call] += (chunk as Uint8Array).length;
    }
    if (this.restoreError) throw this.restoreError;
    this.restored.push(Buffer.concat(parts));
  }

  async leader(): Promise<string> {
    return this.leaderSequence.shift() ?? this.leaderAddress;
  }
}

/** Content-drop holds in memory (one per cluster), with the retention holds they imply. */
export class InMemoryContentHolds implements ContentHoldStore {
  readonly holds = new Map<string, ContentHold>();
  saves = 0;

  async load(cluster: string): Promise<ContentHold | undefined> {
    return this.holds.get(cluster);
  }

  async save(hold: ContentHold): Promise<void> {
    this.saves += 1;
    this.holds.set(hold.cluster, JSON.parse(JSON.stringify(hold)) as ContentHold);
  }

  async listHolds(cluster: string): Promise<readonly RetentionHold[]> {
    return retentionHoldOf(this.holds.get(cluster));
  }
}

/** No holds at all (prune tests about the plan itself). */
export const NO_HOLDS = { listHolds: async (): Promise<readonly RetentionHold[]> => [] };
