import { buildBackupKey } from '../../../../functions/core/backup/backup-key';
import { ConsulOpsError } from '../../../../functions/core/shared/errors';
import { planRestore, runRestore, type RestoreInput } from '../../../../functions/core/restore/workflow';
import { buildArchive, InMemoryBackupStore, InMemoryConsul, sha256 } from '../../../helpers/in-memory-backups';

const CLUSTER = 'prod-east';
const META = { cluster: CLUSTER, datacenter: 'dc1', consulVersion: '1.17.0' };

function keyAt(iso: string, index: number, cluster = CLUSTER): string {
  return buildBackupKey({ prefix: 'snapshots', cluster, takenAt: new Date(iso), raftIndex: index });
}

/** A clock that advances one second per reading, so durations are deterministic. */
function steppingClock(start = Date.parse('2026-11-22T10:00:00Z')): () => Date {
  let t = start;
  return () => new Date((t += 1000));
}

interface Fixture {
  store: InMemoryBackupStore;
  consul: InMemoryConsul;
  older: { key: string; versionId: string; bytes: Buffer };
  newest: { key: string; versionId: string; bytes: Buffer };
  deps: Parameters<typeof runRestore>[0];
}

async function fixture(): Promise<Fixture> {
  const store = new InMemoryBackupStore();
  const consul = new InMemoryConsul();
  consul.snapshot = await buildArchive(900);
  const olderBytes = await buildArchive(100);
  const newestBytes = await buildArchive(200);
  const olderKey = keyAt('2026-11-21T10:00:00Z', 100);
  const newestKey = keyAt('2026-11-21T12:00:00Z', 200);
  const older = { key: olderKey, bytes: olderBytes, versionId: store.put(olderKey, olderBytes, { ...META, takenAt: '2026-11-21T10:00:00.000Z' }, { raftIndex: 100 }) };
  const newest = { key: newestKey, bytes: newestBytes, versionId: store.put(newestKey, newestBytes, { ...META, takenAt: '2026-11-21T12:00:00.000Z' }, { raftIndex: 200 }) };
  // Noise that `latest` must skip: a newer unverified object and a newer pre-restore safety snapshot.
  store.put(keyAt('2026-11-21T13:00:00Z', 300), await buildArchive(300), META);
  const preRestore = await buildArchive(250);
  store.put(keyAt('2026-11-21T12:30:00Z', 250), preRestore, META, { raftIndex: 250, kind: 'pre-restore' });
  return { store, consul, older, newest, deps: { store, consul, now: steppingClock() } };
}

function input(overrides: Partial<RestoreInput> = {}): RestoreInput {
  return { cluster: CLUSTER, prefix: 'snapshots', selector: { latest: true }, ...overrides };
}

const APPLY = { dryRun: false, confirm: CLUSTER } as const;

describe('planRestore', () => {
  it('picks the newest verified backup, skipping unverified objects and pre-restore snapshots', async () => {
    // Prepare
    const { deps, newest } = await fixture();

    // Act
    const plan = await planRestore(deps, input());

    // Assess
    expect(plan.backup).toMatchObject({ key: newest.key, versionId: newest.versionId, sha256: sha256(newest.bytes), consulIndex: 200, takenAt: '2026-11-21T12:00:00.000Z' });
    expect(plan.summary).toBe(
      `would restore ${newest.key} (version ${newest.versionId}, taken 2026-11-21T12:00:00.000Z, raft index 200) into cluster ${CLUSTER} (datacenter dc1, Consul 1.17.0)`,
    );
    expect(plan.checks.map((c) => [c.id, c.status])).toEqual([
      ['backup', 'pass'],
      ['datacenter', 'pass'],
      ['consul-version', 'pass'],
      ['leader', 'pass'],
      ['archive', 'pass'],
      ['size', 'pass'],
    ]);
  });

  it.each([
    { name: 'before between the two', before: '2026-11-21T11:59:59Z', index: 100 },
    { name: 'before exactly at the newest', before: '2026-11-21T12:00:00Z', index: 200 },
  ])('picks the newest verified backup at or before a time ($name)', async ({ before, index }) => {
    // Prepare
    const { deps } = await fixture();

    // Act
    const plan = await planRestore(deps, input({ selector: { before: new Date(before) } }));

    // Assess
    expect(plan.backup.consulIndex).toBe(index);
  });

  it('pins an explicit key to its current version, or to the version asked for', async () => {
    // Prepare
    const { deps, store, older } = await fixture();
    const replacement = await buildArchive(150);
    const current = store.put(older.key, replacement, META, { raftIndex: 150 });

    // Act
    const byKey = await planRestore(deps, input({ selector: { key: older.key } }));
    const byVersion = await planRestore(deps, input({ selector: { key: older.key, versionId: older.versionId } }));

    // Assess
    expect(byKey.backup).toMatchObject({ versionId: current, consulIndex: 150 });
    expect(byVersion.backup).toMatchObject({ versionId: older.versionId, consulIndex: 100 });
  });

  it('records an override instead of refusing when asked to', async () => {
    // Prepare
    const { deps, consul } = await fixture();
    consul.identity = { datacenter: 'dc2', consulVersion: '1.18.1' };

    // Act
    const plan = await planRestore(deps, input({ allowCrossCluster: true, forceVersionMismatch: true }));

    // Assess
    expect(plan.checks).toEqual(
      expect.arrayContaining([
        { id: 'datacenter', status: 'overridden', detail: 'backup dc1, target dc2 (allowCrossCluster)' },
        { id: 'consul-version', status: 'overridden', detail: 'backup 1.17.0, target 1.18.1 (forceVersionMismatch)' },
      ]),
    );
  });

  it('warns when the archive is larger than the Lambda can be expected to restore', async () => {
    // Prepare
    const { deps } = await fixture();

    // Act
    const plan = await planRestore(deps, input({ largeRestoreBytes: 100 }));

    // Assess
    expect(plan.checks.find((c) => c.id === 'size')).toMatchObject({ status: 'warn', detail: expect.stringContaining('15 minutes') });
  });
});

describe('runRestore refusals', () => {
  type Setup = (f: Fixture) => Promise<Partial<RestoreInput> | void> | Partial<RestoreInput> | void;
  /** `partial`: the archive itself is bad, which the one-pass send finds while sending; Consul never gets its end. */
  const scenarios: { name: string; setup: Setup; code: string; remedy?: RegExp; message?: RegExp; partial?: boolean }[] = [
    {
      name: 'an unverified object',
      setup: () => ({ selector: { key: keyAt('2026-11-21T13:00:00Z', 300) } }),
      code: 'RESTORE_UNVERIFIED_BACKUP',
    },
    {
      name: 'a key of another cluster',
      setup: () => ({ selector: { key: keyAt('2026-11-21T12:00:00Z', 200, 'prod-west') } }),
      code: 'RESTORE_WRONG_CLUSTER',
      remedy: /--cluster prod-west/,
    },
    {
      name: 'a key outside the prefix',
      setup: () => ({ selector: { key: `other/${CLUSTER}/2026/11/21/${CLUSTER}-20261121T120000Z-200.snap` } }),
      code: 'RESTORE_WRONG_CLUSTER',
      remedy: /--prefix/,
    },
    {
      name: 'a version whose metadata names another cluster',
      setup: async ({ store }) => {
        const key = keyAt('2026-11-21T14:00:00Z', 400);
        const bytes = await buildArchive(400);
        return { selector: { key, versionId: store.put(key, bytes, { ...META, cluster: 'prod-west' }, { raftIndex: 400 }) } };
      },
      code: 'RESTORE_WRONG_CLUSTER',
    },
    {
      name: 'a missing key',
      setup: () => ({ selector: { key: keyAt('2026-01-01T00:00:00Z', 1) } }),
      code: 'RESTORE_BACKUP_NOT_FOUND',
      message: /does not exist/,
    },
    {
      name: 'a missing version',
      setup: ({ newest }) => ({ selector: { key: newest.key, versionId: 'v999' } }),
      code: 'RESTORE_BACKUP_NOT_FOUND',
      message: /has no version v999/,
    },
    {
      name: 'no backup before the time',
      setup: () => ({ selector: { before: new Date('2020-01-01T00:00:00Z') } }),
      code: 'RESTORE_NO_BACKUP',
      remedy: /consul-ops list --cluster prod-east/,
    },
    {
      name: 'a corrupt archive tagged verified',
      setup: async ({ store }) => {
        const key = keyAt('2026-11-21T14:00:00Z', 400);
        const bytes = await buildArchive(400, { defects: { stateDigest: '00'.repeat(32) } });
        store.put(key, bytes, META, { raftIndex: 400 });
      },
      code: 'RESTORE_BACKUP_INVALID',
      message: /hash check failed for "state.bin".*cut off before its last bytes/,
      partial: true,
    },
    {
      name: 'a truncated archive tagged verified with the sha of the full one',
      setup: async ({ store }) => {
        const key = keyAt('2026-11-21T14:00:00Z', 400);
        const bytes = await buildArchive(400);
        store.put(key, bytes.subarray(0, bytes.length - 100), META, { raftIndex: 400, sha256: sha256(bytes) });
      },
      code: 'RESTORE_BACKUP_INVALID',
      message: /unexpected EOF/,
      partial: true,
    },
    {
      name: 'a valid archive whose sha256 differs from the recorded one',
      setup: async ({ store }) => {
        const key = keyAt('2026-11-21T14:00:00Z', 400);
        store.put(key, await buildArchive(400), META, { raftIndex: 400, sha256: 'ab'.repeat(32) });
      },
      code: 'RESTORE_CHECKSUM_MISMATCH',
      message: /cut off before its last bytes/,
      partial: true,
    },
    {
      name: 'another datacenter',
      setup: ({ consul }) => {
        consul.identity = { datacenter: 'dc2', consulVersion: '1.17.0' };
      },
      code: 'RESTORE_DC_MISMATCH',
      remedy: /--allow-cross-cluster/,
    },
    {
      name: 'another Consul version',
      setup: ({ consul }) => {
        consul.identity = { datacenter: 'dc1', consulVersion: '1.18.0' };
      },
      code: 'RESTORE_VERSION_MISMATCH',
      remedy: /--force-version-mismatch/,
    },
    {
      name: 'a backup without recorded datacenter',
      setup: async ({ store }) => {
        const key = keyAt('2026-11-21T14:00:00Z', 400);
        store.put(key, await buildArchive(400), { cluster: CLUSTER, consulVersion: '1.17.0' }, { raftIndex: 400 });
      },
      code: 'RESTORE_DC_MISMATCH',
      message: /not recorded/,
    },
    {
      name: 'a target without leader',
      setup: ({ consul }) => {
        consul.leaderAddress = '';
      },
      code: 'RESTORE_NO_LEADER',
    },
    {
      name: 'a failing safety snapshot',
      setup: ({ consul }) => {
        consul.snapshot = undefined;
      },
      code: 'RESTORE_SAFETY_SNAPSHOT_FAILED',
      remedy: /--skip-safety-snapshot/,
    },
  ];

  it.each(scenarios.filter((s) => !s.partial))('refuses $name ($code) and sends nothing', async ({ setup, code, remedy, message }) => {
    // Prepare
    const f = await fixture();
    const extra = (await setup(f)) ?? {};

    // Act
    const attempt = runRestore(f.deps, input({ ...APPLY, ...extra }));

    // Assess
    const err = (await attempt.catch((e: unknown) => e)) as ConsulOpsError;
    expect(err).toBeInstanceOf(ConsulOpsError);
    expect(err.code).toBe(code);
    if (remedy) expect(err.remedy).toMatch(remedy);
    if (message) expect(err.message).toMatch(message);
    expect(f.consul.restoreCalls).toBe(0);
  });

  it.each(scenarios.filter((s) => s.partial))('refuses $name ($code) and never sends the complete archive', async ({ setup, code, message }) => {
    // Prepare
    const f = await fixture();
    const extra = { skipSafetySnapshot: true, ...((await setup(f)) ?? {}) };
    const stored = [...f.store.objects.values()].map((v) => v.at(-1)).find((v) => v?.metadata.takenAt === undefined && v?.facts?.raftIndex === 400);

    // Act
    const err = (await runRestore(f.deps, input({ ...APPLY, ...extra })).catch((e: unknown) => e)) as ConsulOpsError;

    // Assess
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message as RegExp);
    expect(f.consul.restoreCalls).toBe(1);
    expect(f.consul.restored).toEqual([]);
    expect(f.consul.received[0]).toBeLessThan(stored?.bytes.length ?? 0);
  });

  it.each(scenarios.filter((s) => s.partial))('refuses $name ($code) in a dry run before anything is sent', async ({ setup, code }) => {
    // Prepare
    const f = await fixture();
    const extra = (await setup(f)) ?? {};

    // Act
    const err = (await planRestore(f.deps, input(extra)).catch((e: unknown) => e)) as ConsulOpsError;

    // Assess
    expect(err.code).toBe(code);
    expect(err.message).toMatch(/nothing was sent to Consul/);
    expect(f.consul.restoreCalls).toBe(0);
  });
});

describe('runRestore', () => {
  it('is a dry run by default: verifies, plans, and sends nothing', async () => {
    // Prepare
    const { deps, consul, store } = await fixture();

    // Act
    const result = await runRestore(deps, input());

    // Assess
    expect(result).toMatchObject({ dryRun: true, restored: false, notApplied: 'dry run', durations: { verifyMs: 1000, safetyMs: 0, restoreMs: 0 } });
    expect(result.safetySnapshot).toBeUndefined();
    expect(consul.restoreCalls).toBe(0);
    expect(store.openCount).toBe(1);
  });

  it.each([
    { name: 'no confirmation', confirm: undefined },
    { name: 'a confirmation naming another cluster', confirm: 'prod-west' },
  ])('sends nothing with dryRun false and $name', async ({ confirm }) => {
    // Prepare
    const { deps, consul } = await fixture();

    // Act
    const result = await runRestore(deps, input({ dryRun: false, confirm }));

    // Assess
    expect(result).toMatchObject({ dryRun: true, restored: false, notApplied: expect.stringContaining('confirm must equal the cluster name "prod-east"') });
    expect(consul.restoreCalls).toBe(0);
  });

  it('takes a safety snapshot first, then sends exactly the stored bytes', async () => {
    // Prepare
    const { deps, consul, store, newest } = await fixture();
    let safetyBeforePut: string[] = [];
    consul.onRestore = () => {
      safetyBeforePut = [...store.objects].filter(([, v]) => v.at(-1)?.facts?.kind === 'pre-restore' && v.at(-1)?.facts?.raftIndex === 900).map(([k]) => k);
    };
    const progress: string[] = [];

    // Act
    const result = await runRestore({ ...deps, onProgress: (phase) => progress.push(phase) }, input({ ...APPLY, invokedBy: 'arn:aws:iam::123456789012:role/ops' }));

    // Assess
    expect(consul.restored).toHaveLength(1);
    expect(sha256(consul.restored[0])).toBe(sha256(newest.bytes));
    expect(safetyBeforePut).toEqual([result.safetySnapshot?.key]);
    expect(result.safetySnapshot?.key).toMatch(/^snapshots\/prod-east\/2026\/11\/22\/prod-east-20261122T\d{6}\.\d{3}Z-42\.snap$/);
    expect(result).toMatchObject({
      cluster: CLUSTER,
      dryRun: false,
      restored: true,
      invokedBy: 'arn:aws:iam::123456789012:role/ops',
      backup: { key: newest.key, versionId: newest.versionId, consulIndex: 200 },
      summary: expect.stringMatching(/^restored /),
    });
    // Verified while it was sent: no verify-only pass.
    expect(result.durations).toEqual({ verifyMs: 0, safetyMs: expect.any(Number), restoreMs: expect.any(Number) });
    expect(result.checks.find((c) => c.id === 'archive')).toMatchObject({ status: 'pass', detail: expect.stringContaining(`sha256 ${sha256(newest.bytes)} as recorded`) });
    expect(result.checks.slice(-2).map((c) => [c.id, c.status])).toEqual([
      ['safety-snapshot', 'pass'],
      ['leader-after-restore', 'pass'],
    ]);
    expect(new Set(progress)).toEqual(new Set(['safety', 'send']));
  });

  it('skips the safety snapshot when asked', async () => {
    // Prepare
    const { deps, consul } = await fixture();

    // Act
    const result = await runRestore(deps, input({ ...APPLY, skipSafetySnapshot: true }));

    // Assess
    expect(result.safetySnapshot).toBeUndefined();
    expect(result.checks).toContainEqual({ id: 'safety-snapshot', status: 'skipped', detail: 'skipped on request' });
    expect(consul.restored).toHaveLength(1);
  });

  it('reads the stored version once when it applies a restore', async () => {
    // Prepare
    const { deps, consul, store, newest } = await fixture();

    // Act
    await runRestore(deps, input({ ...APPLY, skipSafetySnapshot: true }));

    // Assess
    expect(store.openCount).toBe(1);
    expect(consul.restored.map(sha256)).toEqual([sha256(newest.bytes)]);
  });

  it("surfaces Consul's rejection text and names the safety snapshot", async () => {
    // Prepare
    const { deps, consul } = await fixture();
    consul.restoreError = new ConsulOpsError('CONSUL_SERVER_ERROR', 'PUT /v1/snapshot on x: Consul answered 500: Raft error when restoring snapshot: boom', 'Read the Consul message above.', {
      context: { status: 500, consulMessage: 'Raft error when restoring snapshot: boom' },
    });

    // Act
    const err = (await runRestore(deps, input(APPLY)).catch((e: unknown) => e)) as ConsulOpsError;

    // Assess
    expect(err.code).toBe('RESTORE_FAILED');
    expect(err.message).toContain('Consul answered: Raft error when restoring snapshot: boom');
    expect(err.context).toMatchObject({ consulMessage: 'Raft error when restoring snapshot: boom', safetySnapshotKey: expect.stringMatching(/-42\.snap$/) });
    expect(err.remedy).toContain('The state from before is in snapshots/prod-east/');
  });

  it('reports a missing leader after the restore as a failed check, not as a failed restore', async () => {
    // Prepare
    const { deps, consul } = await fixture();
    consul.leaderSequence = ['10.0.0.1:8300', ''];

    // Act
    const result = await runRestore(deps, input({ ...APPLY, skipSafetySnapshot: true }));

    // Assess
    expect(result.restored).toBe(true);
    expect(result.checks.at(-1)).toMatchObject({ id: 'leader-after-restore', status: 'fail' });
  });

  it('aborts the transfer when the signal fires', async () => {
    // Prepare
    const { deps, consul } = await fixture();
    const controller = new AbortController();
    controller.abort(new Error('the Lambda is about to time out'));

    // Act
    const attempt = runRestore({ ...deps, signal: controller.signal }, input(APPLY));

    // Assess
    await expect(attempt).rejects.toThrow(/about to time out/);
    expect(consul.restoreCalls).toBe(0);
  });
});
