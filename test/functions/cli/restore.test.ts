import { buildProgram } from '../../../functions/cli/main';
import type { CommandSpec } from '../../../functions/cli/command';
import { createRestoreCommand, type RestoreCommandDeps } from '../../../functions/cli/commands/restore';
import { buildBackupKey } from '../../../functions/core/backup/backup-key';
import { CaptureStream } from '../../helpers/capture';
import { buildArchive, InMemoryBackupStore, InMemoryConsul } from '../../helpers/in-memory-backups';

const KEY = buildBackupKey({ prefix: 'snapshots', cluster: 'demo', takenAt: new Date('2026-11-21T12:00:00Z'), raftIndex: 200 });

async function setup() {
  const store = new InMemoryBackupStore();
  const consul = new InMemoryConsul();
  consul.snapshot = await buildArchive(900);
  const versionId = store.put(KEY, await buildArchive(200), { cluster: 'demo', datacenter: 'dc1', consulVersion: '1.17.0', takenAt: '2026-11-21T12:00:00.000Z' }, { raftIndex: 200 });
  const invocations: { functionName: string; event: Record<string, unknown> }[] = [];
  let invokeReply: { functionError?: string; payload: string } = { payload: '{}' };
  const deps: RestoreCommandDeps = {
    connect: () => ({ consul, store, close: async () => undefined }),
    invoke: async (functionName, payload) => {
      invocations.push({ functionName, event: JSON.parse(payload) });
      return invokeReply;
    },
    now: () => new Date('2026-11-22T10:00:00Z'),
  };
  const run = async (...argv: string[]) => {
    const io = { stdout: new CaptureStream(), stderr: new CaptureStream(), env: { USER: 'alice' }, interactive: false };
    let code = 0;
    const program = buildProgram(io, (c) => (code = c), [createRestoreCommand(deps) as CommandSpec]);
    try {
      await program.parseAsync(['node', 'consul-ops', 'restore', ...argv]);
    } catch {
      code = 2;
    }
    return { code, stdout: io.stdout.text, stderr: io.stderr.text };
  };
  return { store, consul, versionId, invocations, run, reply: (r: typeof invokeReply) => (invokeReply = r) };
}

const BASE = ['--bucket', 'b', '--cluster', 'demo'];

describe('consul-ops restore', () => {
  it.each([
    { name: 'no selection', argv: [...BASE], stderr: /choose a backup/ },
    { name: 'two selections', argv: [...BASE, '--latest', '--key', KEY], stderr: /--latest, --key are mutually exclusive/ },
    { name: '--version-id without --key', argv: [...BASE, '--latest', '--version-id', 'v1'], stderr: /--version-id: needs --key/ },
    { name: 'a --before that is not ISO', argv: [...BASE, '--before', 'yesterday'], stderr: /--before: "yesterday" is not an ISO 8601 time/ },
    { name: 'no --bucket', argv: ['--cluster', 'demo', '--latest'], stderr: /--bucket: is required unless --invoke/ },
    { name: 'an invalid cluster name', argv: ['--bucket', 'b', '--cluster', 'Demo_1', '--latest'], stderr: /--cluster: "Demo_1" is not a valid cluster name/ },
    { name: '--invoke without --cluster or --key', argv: ['--latest', '--invoke', '--function-name', 'f'], stderr: /--cluster: is required with --invoke unless --key names the cluster/ },
    { name: '--secret-id with --invoke', argv: ['--cluster', 'demo', '--latest', '--invoke', '--function-name', 'f', '--secret-id', 's'], stderr: /are not taken with --invoke/ },
    { name: 'a --key that is not a backup key', argv: ['--bucket', 'b', '--key', 'snapshots/x.snap'], stderr: /--key: snapshots\/x.snap is not a consul-ops backup key/ },
    { name: '--invoke without --function-name', argv: ['--cluster', 'demo', '--latest', '--invoke'], stderr: /--function-name: is required with --invoke/ },
  ])('exits 2 on $name and sends nothing', async ({ argv, stderr }) => {
    // Prepare
    const { run, consul } = await setup();

    // Act
    const result = await run(...argv);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(stderr);
    expect(consul.restoreCalls).toBe(0);
  });

  it.each([
    { name: 'without --yes', flags: [] as string[] },
    { name: 'with --yes --dry-run', flags: ['--yes', '--dry-run'] },
  ])('verifies and reports the plan $name, sending nothing', async ({ flags }) => {
    // Prepare
    const { run, consul, versionId } = await setup();

    // Act
    const result = await run(...BASE, '--latest', ...flags);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Dry run: would restore ${KEY} (version ${versionId}`);
    expect(result.stdout).toContain('Nothing was sent: re-run with --yes to restore.');
    expect(consul.restoreCalls).toBe(0);
  });

  it('restores with --yes and prints one JSON document with --json', async () => {
    // Prepare
    const { run, consul } = await setup();

    // Act
    const result = await run(...BASE, '--key', KEY, '--yes', '--json');

    // Assess
    expect(result.code).toBe(0);
    expect(consul.restored).toHaveLength(1);
    const data = JSON.parse(result.stdout);
    expect(data).toMatchObject({ cluster: 'demo', restored: true, dryRun: false, invokedBy: 'consul-ops CLI (alice)', backup: { key: KEY, consulIndex: 200 } });
    expect(data.safetySnapshot.key).toMatch(/^snapshots\/demo\//);
    expect(result.stderr).toBe('');
  });

  it('exits 2 naming the override flag when the target datacenter differs', async () => {
    // Prepare
    const { run, consul } = await setup();
    consul.identity = { datacenter: 'dc2', consulVersion: '1.17.0' };

    // Act
    const refused = await run(...BASE, '--latest', '--yes');
    const overridden = await run(...BASE, '--latest', '--yes', '--allow-cross-cluster', '--skip-safety-snapshot');

    // Assess
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/the backup is of datacenter dc1, the target is datacenter dc2 — .*--allow-cross-cluster/);
    expect(overridden.code).toBe(0);
    expect(overridden.stdout).toMatch(/overridden +datacenter/);
    expect(consul.restored).toHaveLength(1);
  });

  it('exits 1 when a post-restore check fails', async () => {
    // Prepare
    const { run, consul } = await setup();
    consul.leaderSequence = ['10.0.0.1:8300', ''];

    // Act
    const result = await run(...BASE, '--latest', '--yes', '--skip-safety-snapshot');

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/fail +leader-after-restore/);
  });

  it.each([
    { name: 'without --yes', flags: [] as string[], event: { dryRun: true } },
    { name: 'with --yes', flags: ['--yes'], event: { dryRun: false, confirm: 'demo' } },
  ])('--invoke sends the event $name and prints the function result', async ({ flags, event }) => {
    // Prepare
    const { run, invocations, reply } = await setup();
    reply({ payload: JSON.stringify({ cluster: 'demo', backup: { key: KEY, versionId: 'v1', sizeBytes: 1, consulIndex: 200 }, target: { datacenter: 'dc1' }, checks: [], restored: false, dryRun: true, summary: `would restore ${KEY}`, notApplied: 'dry run', durations: {} }) });

    // Act
    const result = await run('--cluster', 'demo', '--before', '2026-11-21T13:00:00Z', '--invoke', '--function-name', 'restore-demo', ...flags);

    // Assess
    expect(result.code).toBe(0);
    expect(invocations).toEqual([{ functionName: 'restore-demo', event: { cluster: 'demo', before: '2026-11-21T13:00:00.000Z', allowCrossCluster: false, forceVersionMismatch: false, skipSafetySnapshot: false, requestedBy: 'consul-ops CLI (alice)', ...event } }]);
    expect(result.stdout).toContain(`Dry run: would restore ${KEY}`);
  });

  it('--invoke maps a function error to exit 2 with its message', async () => {
    // Prepare
    const { run, reply } = await setup();
    reply({ functionError: 'Unhandled', payload: JSON.stringify({ errorType: 'RESTORE_DC_MISMATCH', errorMessage: 'the backup is of datacenter dc1, the target is datacenter dc2' }) });

    // Act
    const result = await run('--cluster', 'demo', '--latest', '--invoke', '--function-name', 'restore-demo', '--yes');

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^consul-ops: restore function restore-demo failed: RESTORE_DC_MISMATCH: the backup is of datacenter dc1, the target is datacenter dc2 — /);
  });

  it.each([
    { name: 'the bucket\'s only cluster', argv: ['--bucket', 'b', '--latest', '--yes'], setupMore: () => undefined },
    { name: 'the cluster the key names', argv: ['--bucket', 'b', '--key', KEY, '--yes'], setupMore: (store: InMemoryBackupStore) => store.put('snapshots/other/x', Buffer.from('x'), {}) },
  ])('restores without --cluster, taking $name', async ({ argv, setupMore }) => {
    // Prepare
    const { run, consul, store } = await setup();
    setupMore(store);

    // Act
    const result = await run(...argv, '--json');

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ cluster: 'demo', restored: true });
    expect(consul.restored).toHaveLength(1);
  });

  it('takes the target\'s datacenter among several clusters, and otherwise names them', async () => {
    // Prepare: backups of "demo" and of "dc1" (the target's datacenter)
    const { run, consul, store } = await setup();
    const dcKey = buildBackupKey({ prefix: 'snapshots', cluster: 'dc1', takenAt: new Date('2026-11-21T12:00:00Z'), raftIndex: 300 });
    store.put(dcKey, await buildArchive(300), { cluster: 'dc1', datacenter: 'dc1', consulVersion: '1.17.0', takenAt: '2026-11-21T12:00:00.000Z' }, { raftIndex: 300 });

    // Act
    const byDatacenter = await run('--bucket', 'b', '--latest', '--json');
    consul.identity = { datacenter: 'dc9', consulVersion: '1.17.0' };
    const ambiguous = await run('--bucket', 'b', '--latest');

    // Assess
    expect(JSON.parse(byDatacenter.stdout)).toMatchObject({ cluster: 'dc1', backup: { key: dcKey } });
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain('the bucket holds backups of 2 clusters under snapshots/ (dc1, demo), none named after the target\'s datacenter dc9');
    expect(ambiguous.stderr).toContain('Pass --cluster with one of dc1, demo');
  });
});
