import { GetObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { ConsulApi } from '../../../../functions/adapters/consul/api';
import { ConsulHttpClient } from '../../../../functions/adapters/consul/client';
import { staticTokenSource } from '../../../../functions/adapters/consul/settings';
import { ConsulSnapshotSource } from '../../../../functions/adapters/consul/snapshot-source';
import { S3BackupStore } from '../../../../functions/adapters/s3-backup-store';
import { backupFolder, runBackup } from '../../../../functions/core/backup/workflow';
import { verifySnapshotStream } from '../../../../functions/core/snapshot-archive';
import { startConsulSimulator, type ConsulSimulator } from '../../../../local/consul-simulator';
import { createTestBucket } from '../../../helpers/s3';
import { buildArchive } from '../../../helpers/in-memory-backups';
import { EDGE_CONSUL_PROFILES } from '../../../helpers/consul-versions';

const MiB = 1024 * 1024;

describe.each(EDGE_CONSUL_PROFILES)('runBackup against the Consul simulator (Consul %s) and radosgw', (consulVersion) => {
  let sim: ConsulSimulator;
  let http: ConsulHttpClient;
  let bucket: string;
  let s3: Awaited<ReturnType<typeof createTestBucket>>['s3'];
  let store: S3BackupStore;
  let cluster = 0;

  beforeAll(async () => {
    // 24 MiB of state.bin (~10 MiB archive): large enough that the archive goes up as a real multipart upload (5 MiB parts).
    sim = await startConsulSimulator({ consulVersion, snapshotStateBytes: 24 * MiB, gzipLevel: 1 });
    http = new ConsulHttpClient({
      settings: { addresses: [sim.url], tls: { verify: true } },
      token: staticTokenSource(sim.managementToken.secretId),
      retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 10 },
    });
    ({ bucket, s3 } = await createTestBucket({ versioning: true }));
    store = new S3BackupStore({ client: s3, bucket, partSizeBytes: 5 * MiB });
  });
  afterEach(() => sim.faults.clear());
  afterAll(async () => {
    await http.close();
    await sim.stop();
  });

  function backup(token?: string, signal?: AbortSignal) {
    cluster += 1;
    const api = new ConsulApi(token ? new ConsulHttpClient({ settings: { addresses: [sim.url], tls: { verify: true } }, token: staticTokenSource(token) }) : http);
    const name = `c${cluster}`;
    return {
      name,
      run: () => runBackup({ consul: new ConsulSnapshotSource(api), store, now: () => new Date(), signal }, { cluster: name, prefix: 'snapshots', kind: 'scheduled' }),
    };
  }

  async function assertNothingLeft(name: string): Promise<void> {
    const objects = await store.list(backupFolder('snapshots', name));
    expect(objects.filter((o) => o.verified)).toEqual([]);
    expect(objects).toEqual([]);
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: backupFolder('snapshots', name) }));
    expect(uploads.Uploads ?? []).toEqual([]);
  }

  it('stores exactly the bytes Consul served, verified and tagged', async () => {
    // Prepare
    const { name, run } = backup();

    // Act
    const result = await run();

    // Assess
    const stored = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: result.key, VersionId: result.versionId }));
    const bytes = Buffer.from(await stored.Body!.transformToByteArray());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(result.sha256);
    expect(bytes.length).toBe(result.sizeBytes);
    expect(result.sizeBytes).toBeGreaterThan(8 * MiB);
    const reverified = await verifySnapshotStream(Readable.from([bytes]));
    expect(reverified.meta.Index).toBe(result.consulIndex);
    expect(sim.state.snapshots.at(-1)?.index).toBe(result.consulIndex);
    expect(result).toMatchObject({ datacenter: 'dc1', consulVersion, verified: true, kind: 'scheduled' });
    expect(result.key).toMatch(new RegExp(`^snapshots/${name}/\\d{4}/\\d{2}/\\d{2}/${name}-\\d{8}T\\d{6}\\.\\d{3}Z-${result.consulIndex}\\.snap$`));
    const listed = await store.list(backupFolder('snapshots', name));
    expect(listed).toEqual([
      expect.objectContaining({ key: result.key, versionId: result.versionId, verified: true, facts: { sha256: result.sha256, raftIndex: result.consulIndex, raftTerm: result.raftTerm, kind: 'scheduled' } }),
    ]);
  });

  it.each([
    { fault: { kind: 'forbidden' as const }, code: 'CONSUL_PERMISSION_DENIED', message: /acl:write/ },
    { fault: { kind: 'reset-mid-stream' as const, afterBytes: 7 * MiB }, code: 'SNAPSHOT_STREAM_FAILED', message: /broke off/ },
    { fault: { kind: 'truncate' as const, afterBytes: 7 * MiB }, code: 'SNAPSHOT_INVALID', message: /unexpected EOF/ },
    { fault: { kind: 'truncate' as const, afterBytes: 100 }, code: 'SNAPSHOT_INVALID', message: /unexpected EOF/ },
    { fault: { kind: 'corrupt-state' as const }, code: 'SNAPSHOT_INVALID', message: /hash check failed for "state.bin"/ },
    { fault: { kind: 'not-gzip' as const }, code: 'SNAPSHOT_INVALID', message: /gzip: invalid header/ },
  ])('leaves no backup and no upload when Consul fails with $fault.kind', async ({ fault, code, message }) => {
    // Prepare
    const { name, run } = backup();
    sim.faults.inject({ ...fault, path: '/v1/snapshot', method: 'GET' });

    // Act
    const attempt = run();

    // Assess
    await expect(attempt).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
    await assertNothingLeft(name);
  });

  it('refuses an archive whose meta.json Version raft would reject (2), and stores nothing', async () => {
    // Prepare: the simulator's own identity, but a body Consul's archive checks pass and raft refuses
    cluster += 1;
    const name = `c${cluster}`;
    const real = new ConsulSnapshotSource(new ConsulApi(http));
    const body = await buildArchive(41, { version: 2, stateBytes: 64 * 1024 });
    const source = { describeCluster: () => real.describeCluster(), openSnapshot: async () => ({ body: Readable.from([body]), index: 41 }) };

    // Act
    const attempt = runBackup({ consul: source, store, now: () => new Date() }, { cluster: name, prefix: 'snapshots', kind: 'scheduled' });

    // Assess
    await expect(attempt).rejects.toMatchObject({
      code: 'SNAPSHOT_INVALID',
      context: { defect: 'unsupported-version', consulMessage: 'Raft error when restoring snapshot: unsupported snapshot version 2' },
    });
    await assertNothingLeft(name);
  });

  it('retries a leaderless cluster with backoff, then fails keeping Consul\'s text', async () => {
    // Prepare
    const { name, run } = backup();
    sim.faults.inject({ kind: 'no-leader', path: '/v1/snapshot' });
    const before = sim.requests.filter((r) => r.path === '/v1/snapshot').length;

    // Act
    const attempt = run();

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'CONSUL_NO_LEADER', message: expect.stringContaining('no leader'), context: expect.objectContaining({ consulMessage: 'No cluster leader' }) });
    expect(sim.requests.filter((r) => r.path === '/v1/snapshot').length - before).toBe(2); // maxAttempts in this test
    await assertNothingLeft(name);
  });

  it('aborts cleanly when time runs out mid-transfer', async () => {
    // Prepare: a stream slow enough that the deadline hits after the multipart upload started
    const { name, run } = backup(undefined, AbortSignal.timeout(8_000));
    sim.faults.inject({ kind: 'slow', bytesPerSecond: 1 * MiB, path: '/v1/snapshot' });

    // Act
    const attempt = run();

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'BACKUP_ABORTED' });
    await assertNothingLeft(name);
  }, 30_000);

  describe('with stale reads configured (a cluster without a leader)', () => {
    beforeEach(() => sim.state.setLeader(false));
    afterEach(() => {
      sim.state.setLeader(true);
      sim.state.setLastContact(undefined);
    });

    function staleBackup(maxStaleMs: number) {
      cluster += 1;
      const name = `c${cluster}`;
      const run = () =>
        runBackup({ consul: new ConsulSnapshotSource(new ConsulApi(http)), store, now: () => new Date() }, { cluster: name, prefix: 'snapshots', kind: 'scheduled', stale: true, maxStaleMs });
      return { name, run };
    }

    it('takes the snapshot from any server when it is recent enough', async () => {
      // Prepare
      sim.state.setLastContact(2_000);
      const { run } = staleBackup(10_000);

      // Act
      const result = await run();

      // Assess
      expect(result.verified).toBe(true);
    });

    it('refuses a snapshot from a server too far behind, leaving nothing', async () => {
      // Prepare
      sim.state.setLastContact(60_000);
      const { name, run } = staleBackup(10_000);

      // Act
      const attempt = run();

      // Assess
      await expect(attempt).rejects.toMatchObject({ code: 'SNAPSHOT_TOO_STALE', context: { lastContactMs: 60_000, maxStaleMs: 10_000 } });
      await assertNothingLeft(name);
    });
  });

  it('names the missing permission when the token lacks acl:write', async () => {
    // Prepare
    const policy = sim.state.createPolicy({ Name: 'acl-read', Rules: 'acl = "read"\nagent_prefix "" { policy = "read" }' });
    const readOnly = sim.state.createToken({ Description: 'read-only', Policies: [{ ID: policy.ID }] });
    const { name, run } = backup(readOnly.SecretID);

    // Act
    const attempt = run();

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'CONSUL_PERMISSION_DENIED', message: expect.stringContaining("acl:write") });
    await expect(attempt).rejects.not.toMatchObject({ message: expect.stringContaining(readOnly.SecretID) });
    await assertNothingLeft(name);
  });
});
