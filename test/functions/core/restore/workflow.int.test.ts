import { GetObjectCommand } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { ConsulApi } from '../../../../functions/adapters/consul/api';
import { ConsulHttpClient } from '../../../../functions/adapters/consul/client';
import { staticTokenSource } from '../../../../functions/adapters/consul/settings';
import { ConsulSnapshotSource } from '../../../../functions/adapters/consul/snapshot-source';
import { S3BackupStore } from '../../../../functions/adapters/s3-backup-store';
import { main } from '../../../../functions/cli/main';
import { buildBackupKey } from '../../../../functions/core/backup/backup-key';
import type { SnapshotTarget, StoredBackup } from '../../../../functions/core/backup/ports';
import { backupFolder, runBackup, type BackupResult } from '../../../../functions/core/backup/workflow';
import type { ConsulOpsError } from '../../../../functions/core/shared/errors';
import { runRestore, type RestoreInput } from '../../../../functions/core/restore/workflow';
import { startConsulSimulator, type ConsulSimulator } from '../../../../local/consul-simulator';
import { CaptureStream } from '../../../helpers/capture';
import { buildArchive, collect, sha256 } from '../../../helpers/in-memory-backups';
import { createTestBucket } from '../../../helpers/s3';
import { NEWEST_CONSUL } from '../../../helpers/consul-versions';

const MiB = 1024 * 1024;

describe('runRestore against the Consul simulator and radosgw', () => {
  let sim: ConsulSimulator;
  let http: ConsulHttpClient;
  let consul: ConsulSnapshotSource;
  let bucket: string;
  let s3: Awaited<ReturnType<typeof createTestBucket>>['s3'];
  let store: S3BackupStore;
  let backup: BackupResult;
  let backupBytes: Buffer;
  const CLUSTER = 'restore-int';

  beforeAll(async () => {
    // 6 MiB of state.bin: the archive goes up as a real multipart upload and streams in many chunks.
    sim = await startConsulSimulator({ snapshotStateBytes: 6 * MiB, gzipLevel: 1 });
    http = new ConsulHttpClient({
      settings: { addresses: [sim.url], tls: { verify: true } },
      token: staticTokenSource(sim.managementToken.secretId),
      retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 10 },
    });
    consul = new ConsulSnapshotSource(new ConsulApi(http));
    ({ bucket, s3 } = await createTestBucket({ versioning: true }));
    store = new S3BackupStore({ client: s3, bucket, partSizeBytes: 5 * MiB });
    sim.state.kvPut('app/config', 'before');
    backup = await runBackup({ consul, store, now: () => new Date() }, { cluster: CLUSTER, prefix: 'snapshots', kind: 'scheduled' });
    backupBytes = await collect(await store.open(backup.key, backup.versionId));
  });
  afterEach(() => {
    sim.faults.clear();
    sim.state.setVersion(NEWEST_CONSUL);
  });
  afterAll(async () => {
    await http.close();
    await sim.stop();
  });

  const snapshotPuts = () => sim.requests.filter((r) => r.method === 'PUT' && r.path === '/v1/snapshot').length;
  const deps = (target: SnapshotTarget = consul) => ({ consul: target, store, now: () => new Date() });
  const input = (overrides: Partial<RestoreInput> = {}): RestoreInput => ({ cluster: CLUSTER, prefix: 'snapshots', selector: { latest: true }, ...overrides });

  /** Stores `bytes` as a verified-tagged backup with the given metadata and recorded sha256. */
  async function storeTagged(bytes: Buffer, options: { sha?: string; datacenter?: string; index: number }) {
    const key = buildBackupKey({ prefix: 'snapshots', cluster: CLUSTER, takenAt: new Date('2020-01-01T00:00:00Z'), raftIndex: options.index });
    const metadata = { cluster: CLUSTER, datacenter: options.datacenter ?? 'dc1', consulVersion: NEWEST_CONSUL, takenAt: '2020-01-01T00:00:00.000Z', raftIndex: String(options.index) };
    const { versionId } = await store.putArchive({ key, bytes, metadata });
    await store.markVerified(key, versionId, { sha256: options.sha ?? sha256(bytes), raftIndex: options.index, raftTerm: 2, kind: 'scheduled' });
    return { key, versionId };
  }

  it('takes a listed pre-restore snapshot first, then PUTs exactly the stored bytes and really replaces the state', async () => {
    // Prepare
    sim.state.kvPut('app/config', 'after');
    const restoresBefore = sim.state.restores.length;
    let listedBeforePut: StoredBackup[] = [];
    const watching: SnapshotTarget = Object.assign(Object.create(consul) as SnapshotTarget, {
      restoreSnapshot: async (body: Readable) => {
        listedBeforePut = await store.list(backupFolder('snapshots', CLUSTER));
        return consul.restoreSnapshot(body);
      },
    });

    // Act
    const result = await runRestore(deps(watching), input({ selector: { key: backup.key, versionId: backup.versionId }, dryRun: false, confirm: CLUSTER }));

    // Assess
    const stored = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: backup.key, VersionId: backup.versionId }));
    const storedSha = sha256(Buffer.from(await stored.Body!.transformToByteArray()));
    expect(sim.state.restores.slice(restoresBefore)).toEqual([expect.objectContaining({ archiveSha256: storedSha, archiveBytes: backup.sizeBytes, index: backup.consulIndex, stateReplaced: true })]);
    expect(storedSha).toBe(backup.sha256);
    expect(sim.state.kvGet('app/config')).toBe('before');
    expect(listedBeforePut).toContainEqual(expect.objectContaining({ key: result.safetySnapshot!.key, versionId: result.safetySnapshot!.versionId, verified: true, facts: expect.objectContaining({ kind: 'pre-restore' }) }));
    expect(result).toMatchObject({ restored: true, backup: { key: backup.key, versionId: backup.versionId, sha256: backup.sha256 } });
    expect(result.checks.at(-1)).toMatchObject({ id: 'leader-after-restore', status: 'pass' });
  });

  it('sends nothing on a dry run, or when the confirmation is missing', async () => {
    // Prepare
    const puts = snapshotPuts();

    // Act
    const dryRun = await runRestore(deps(), input());
    const unconfirmed = await runRestore(deps(), input({ dryRun: false }));

    // Assess
    expect([dryRun.restored, unconfirmed.restored]).toEqual([false, false]);
    expect(dryRun.backup.sha256).toBe(backup.sha256);
    expect(snapshotPuts()).toBe(puts);
  });

  it('consul-ops restore sends nothing without --yes and restores with it', async () => {
    // Prepare
    const puts = snapshotPuts();
    const env = { ...process.env, CONSUL_HTTP_ADDR: sim.url, CONSUL_HTTP_TOKEN: sim.managementToken.secretId };
    const run = async (...flags: string[]) => {
      const io = { stdout: new CaptureStream(), stderr: new CaptureStream(), env, interactive: false };
      const code = await main(['node', 'consul-ops', 'restore', '--bucket', bucket, '--cluster', CLUSTER, '--key', backup.key, '--version-id', backup.versionId, '--json', ...flags], io);
      return { code, data: JSON.parse(io.stdout.text), stderr: io.stderr.text };
    };

    // Act
    const planned = await run();
    const putsAfterPlan = snapshotPuts();
    const restored = await run('--yes', '--skip-safety-snapshot');

    // Assess
    expect(planned).toMatchObject({ code: 0, data: { restored: false, dryRun: true } });
    expect(putsAfterPlan).toBe(puts);
    expect(restored).toMatchObject({ code: 0, data: { restored: true } });
    expect(snapshotPuts()).toBe(puts + 1);
    expect(sim.state.restores.at(-1)?.archiveSha256).toBe(backup.sha256);
  });

  it.each([
    { name: 'a defective archive tagged with its own sha256', defect: true, fakeSha: false, code: 'RESTORE_BACKUP_INVALID', message: /hash check failed for "state.bin"/ },
    { name: 'a valid archive tagged with a fake sha256', defect: false, fakeSha: true, code: 'RESTORE_CHECKSUM_MISMATCH', message: /was verified with/ },
  ])('refuses $name: Consul never receives the complete archive and restores nothing', async ({ defect, fakeSha, code, message }) => {
    // Prepare: large enough to arrive from S3 in many chunks, so most of it is sent before the verdict
    const bytes = await buildArchive(5, { stateBytes: 6 * 1024 * 1024, ...(defect ? { defects: { stateDigest: '00'.repeat(32) } } : {}) });
    const { key, versionId } = await storeTagged(bytes, { index: 5, sha: fakeSha ? 'ab'.repeat(32) : undefined });
    const puts = snapshotPuts();
    const restores = sim.state.restores.length;

    // Act
    const attempt = runRestore(deps(), input({ selector: { key, versionId }, dryRun: false, confirm: CLUSTER, skipSafetySnapshot: true }));

    // Assess
    await expect(attempt).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
    expect(snapshotPuts()).toBeLessThanOrEqual(puts + 1);
    expect(sim.state.restores.length).toBe(restores);
  });

  it.each([
    { name: 'a defective archive tagged with its own sha256', defect: true, fakeSha: false, code: 'RESTORE_BACKUP_INVALID' },
    { name: 'a valid archive tagged with a fake sha256', defect: false, fakeSha: true, code: 'RESTORE_CHECKSUM_MISMATCH' },
  ])('refuses $name in a dry run, sending nothing', async ({ defect, fakeSha, code }) => {
    // Prepare
    const bytes = await buildArchive(5, defect ? { defects: { stateDigest: '00'.repeat(32) } } : {});
    const { key, versionId } = await storeTagged(bytes, { index: 5, sha: fakeSha ? 'ab'.repeat(32) : undefined });
    const puts = snapshotPuts();

    // Act
    const attempt = runRestore(deps(), input({ selector: { key, versionId } }));

    // Assess
    await expect(attempt).rejects.toMatchObject({ code, message: expect.stringMatching(/nothing was sent to Consul/) });
    expect(snapshotPuts()).toBe(puts);
  });

  it.each([
    { name: 'datacenter', setup: () => storeTagged(backupBytes, { index: 6, datacenter: 'dc9' }), code: 'RESTORE_DC_MISMATCH', flag: '--allow-cross-cluster' },
    { name: 'Consul version', setup: async () => (sim.state.setVersion('1.18.0'), { key: backup.key, versionId: backup.versionId }), code: 'RESTORE_VERSION_MISMATCH', flag: '--force-version-mismatch' },
  ])('refuses a $name mismatch naming $flag, and sends nothing', async ({ setup, code, flag }) => {
    // Prepare
    const { key, versionId } = await setup();
    const puts = snapshotPuts();

    // Act
    const err = (await runRestore(deps(), input({ selector: { key, versionId }, dryRun: false, confirm: CLUSTER })).catch((e: unknown) => e)) as ConsulOpsError;

    // Assess
    expect(err.code).toBe(code);
    expect(err.remedy).toContain(flag);
    expect(snapshotPuts()).toBe(puts);
  });

  it("surfaces Consul's rejection text", async () => {
    // Prepare
    sim.faults.inject({ method: 'PUT', path: '/v1/snapshot', kind: 'status', status: 500, body: 'Raft error when restoring snapshot: disk full', times: 1 });

    // Act
    const err = (await runRestore(deps(), input({ selector: { key: backup.key, versionId: backup.versionId }, dryRun: false, confirm: CLUSTER, skipSafetySnapshot: true })).catch((e: unknown) => e)) as ConsulOpsError;

    // Assess
    expect(err.code).toBe('RESTORE_FAILED');
    expect(err.message).toContain('Consul answered: Raft error when restoring snapshot: disk full');
  });

  it.each([
    { name: 'a missing key', selector: () => ({ key: buildBackupKey({ prefix: 'snapshots', cluster: CLUSTER, takenAt: new Date('2019-01-01T00:00:00Z'), raftIndex: 1 }) }), message: /does not exist/ },
    { name: 'a missing version', selector: () => ({ key: backup.key, versionId: 'noSuchVersion0000000000000000000' }), message: /has no version noSuchVersion/ },
  ])('gives a clear error for $name', async ({ selector, message }) => {
    // Act
    const attempt = runRestore(deps(), input({ selector: selector() }));

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'RESTORE_BACKUP_NOT_FOUND', message: expect.stringMatching(message) });
  });
});
