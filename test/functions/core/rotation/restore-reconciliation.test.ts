import { TokenSecretReconciler } from '../../../../functions/core/rotation/restore-reconciliation';
import { links } from '../../../helpers/in-memory-rotation';
import { currentValue, HOUR, NOW, OLD, OLD_LINKS, rotate, rotationFixture, SETTINGS, uuid, type RotationFixture } from '../../../helpers/rotation-fixture';

const at = (hours: number) => new Date(NOW.getTime() + hours * HOUR);
const MGMT = { accessorId: 'cccccccc-0000-4000-8000-000000000001', secretId: 'dddddddd-0000-4000-8000-000000000001' };
const MGMT_LINKS = links(['00000000-0000-0000-0000-000000000001']);

/** What Consul holds now, to put back as a "restore" later. */
function backupOf(f: RotationFixture) {
  const tokens = new Map([...f.consul.tokens].map(([id, t]) => [id, { ...t }]));
  return { takenAt: f.deps.now().toISOString(), restore: () => ((f.consul.tokens.clear(), tokens.forEach((t, id) => f.consul.tokens.set(id, { ...t })))) };
}

function reconcilerOf(f: RotationFixture, management?: string, secretIds: string[] = [f.arn]) {
  return new TokenSecretReconciler(f.deps, { managementSecretId: management, secretIds, gracePeriodMs: SETTINGS.gracePeriodMs });
}

/** A backup, then one rotation an hour later: the current token is not in the backup. */
async function rotatedAfterBackup() {
  const f = rotationFixture();
  const backup = backupOf(f);
  f.setClock(at(1));
  await rotate(f, 'v1');
  return { f, backup, current: currentValue(f), reconciler: reconcilerOf(f) };
}

describe('TokenSecretReconciler', () => {
  it('lists a secret whose token was created after the backup, and re-creates it with the same IDs and the links of the token it replaced', async () => {
    // Prepare
    const { f, backup, current, reconciler } = await rotatedAfterBackup();

    // Act
    const preflight = await reconciler.preflight(backup);
    backup.restore();
    const results = await reconciler.reconcile();

    // Assess
    expect(preflight).toEqual([expect.objectContaining({ secret: f.arn, role: 'application', accessorId: current.accessorId, status: 'reconcile' })]);
    expect(preflight[0].detail).toContain(`created ${at(1).toISOString()}, after the backup (${NOW.toISOString()})`);
    expect(results).toEqual([{ secret: f.arn, role: 'application', accessorId: current.accessorId, outcome: 'recreated', detail: `re-created with the same AccessorID and SecretID and the links of token ${OLD.accessorId} (the token it replaced)`, redeleted: [] }]);
    expect(f.consul.tokens.get(current.accessorId)).toMatchObject({ secretId: current.secretId, links: OLD_LINKS, description: 'rotated-by=consul-ops ver=v1' });
  });

  it('says a token from before the backup is in it, and leaves it alone', async () => {
    const f = rotationFixture();
    const reconciler = reconcilerOf(f);
    const preflight = await reconciler.preflight({ takenAt: at(1).toISOString() });
    const results = await reconciler.reconcile();
    expect(preflight[0]).toMatchObject({ status: 'in-backup' });
    expect(results[0]).toMatchObject({ outcome: 'present', redeleted: [] });
    expect(f.consul.calls.filter((c) => c.startsWith('createToken') || c.startsWith('deleteToken'))).toEqual([]);
  });

  it('re-creates the management token first, acting with AWSPREVIOUS, then the application tokens with it', async () => {
    // Prepare: a management secret and an application secret, both rotated after the backup
    const f = rotationFixture();
    f.consul.add(MGMT.accessorId, MGMT.secretId, MGMT_LINKS);
    const mgmtArn = f.secrets.create('consul/demo/management', JSON.stringify({ ...MGMT, cluster: 'demo' }));
    const backup = backupOf(f);
    f.setClock(at(1));
    await rotate({ ...f, arn: mgmtArn }, 'm1');
    await rotate(f, 'v1');
    const newMgmt = currentValue({ ...f, arn: mgmtArn });
    const reconciler = reconcilerOf(f, mgmtArn);
    await reconciler.preflight(backup);
    backup.restore();
    f.consul.calls.length = 0;

    // Act
    const results = await reconciler.reconcile();

    // Assess
    expect(results.map((r) => [r.role, r.outcome])).toEqual([['management', 'recreated'], ['application', 'recreated']]);
    const creates = f.consul.calls.filter((c) => c.startsWith('createToken'));
    expect(creates).toEqual([`createToken ${newMgmt.accessorId} as-given`, `createToken ${currentValue(f).accessorId} as-given`]);
    expect(f.consul.tokens.get(newMgmt.accessorId)?.links).toEqual(MGMT_LINKS);
  });

  it('takes a management secret that is not rotated as the README documents it: {"accessorId","secretId"} without a cluster', async () => {
    // Prepare: the management token was replaced by hand (no rotation schema) after the backup
    const f = rotationFixture();
    const mgmtArn = f.secrets.create('consul/demo/management', JSON.stringify(MGMT));
    const backup = backupOf(f);
    f.consul.add(MGMT.accessorId, MGMT.secretId, MGMT_LINKS);
    const reconciler = reconcilerOf(f, mgmtArn, []);
    await reconciler.preflight(backup);
    backup.restore();

    // Act
    const results = await reconciler.reconcile();

    // Assess: it could not be re-created (no token of its own in the backup to copy links from, no AWSPREVIOUS),
    // but it was read: the failure is about the token, not the secret's format.
    expect(results).toEqual([expect.objectContaining({ role: 'management', accessorId: MGMT.accessorId })]);
    expect(JSON.stringify(results)).not.toContain('ROTATION_SECRET_INVALID');
  });

  it('deletes again the retired tokens the backup brought back once their grace period is over, not those still in it', async () => {
    // Prepare: rotation v1 at +1 h, then the backup; OLD deleted by the sweep after its grace period; rotation v2 at +25.5 h
    const f = rotationFixture();
    f.setClock(at(1));
    await rotate(f, 'v1');
    const first = currentValue(f);
    const backup = backupOf(f);
    f.setClock(at(25.5));
    await rotate(f, 'v2');
    expect(f.consul.tokens.has(OLD.accessorId)).toBe(false);
    const reconciler = reconcilerOf(f);
    await reconciler.preflight(backup);

    // Act: the backup brings OLD back and lacks v2's token
    backup.restore();
    const [result] = await reconciler.reconcile();

    // Assess: v2's token re-created from v1's links; OLD deleted again; v1's token (in its grace period) kept
    expect(result).toMatchObject({ outcome: 'recreated', redeleted: [OLD.accessorId] });
    expect(result.detail).toContain(`the links of token ${first.accessorId} (the token it replaced)`);
    expect(f.consul.tokens.has(OLD.accessorId)).toBe(false);
    expect(f.consul.tokens.has(first.accessorId)).toBe(true);
  });

  it('takes the links from an older retired token when the token it replaced is not in the backup either', async () => {
    // Prepare: backup with OLD only; v1 at +1 h and v2 at +2 h
    const f = rotationFixture();
    const backup = backupOf(f);
    f.setClock(at(1));
    await rotate(f, 'v1');
    f.setClock(at(2));
    await rotate(f, 'v2');
    const reconciler = reconcilerOf(f);
    await reconciler.preflight(backup);
    backup.restore();

    // Act
    const [result] = await reconciler.reconcile();

    // Assess
    expect(result).toMatchObject({ outcome: 'recreated', redeleted: [] });
    expect(result.detail).toContain(`the links of token ${OLD.accessorId} (a retired token of its ledger)`);
  });

  it('copies the links of the token as it was before the restore when no token of its chain is in the backup', async () => {
    // Prepare: the secret and its token are younger than the backup
    const f = rotationFixture();
    const backup = backupOf(f);
    f.consul.tokens.delete(OLD.accessorId);
    f.consul.add(uuid(70), uuid(71), links(['p9']));
    const young = f.secrets.create('consul/demo/young', JSON.stringify({ accessorId: uuid(70), secretId: uuid(71), cluster: 'demo' }));
    f.consul.tokens.get(uuid(70))!.createTime = at(1).toISOString();
    const reconciler = reconcilerOf(f, undefined, [young]);
    await reconciler.preflight(backup);
    backup.restore();
    f.consul.tokens.delete(uuid(70));

    // Act
    const [result] = await reconciler.reconcile();

    // Assess
    expect(result).toMatchObject({ outcome: 'recreated', detail: expect.stringContaining('the token itself as it was before the restore') });
    expect(f.consul.tokens.get(uuid(70))).toMatchObject({ secretId: uuid(71), links: links(['p9']) });
  });

  it('reports a token that cannot be re-created with the exact command that does it, never the secret', async () => {
    // Prepare
    const { f, backup, current, reconciler } = await rotatedAfterBackup();
    await reconciler.preflight(backup);
    backup.restore();
    f.consul.failNext('createToken');

    // Act
    const [result] = await reconciler.reconcile();

    // Assess
    expect(result).toMatchObject({ outcome: 'failed', accessorId: current.accessorId });
    expect(result.detail).toContain('cannot be re-created with the links of token');
    expect(result.fixCommand).toBe(
      `aws secretsmanager get-secret-value --secret-id '${f.arn}' --query SecretString --output text | jq -c '{AccessorID: .accessorId, SecretID: .secretId} + ` +
        '{"Description":"rotated-by=consul-ops ver=v1","Policies":[{"ID":"p1"}],"Roles":[{"ID":"r1"}],"ServiceIdentities":[{"ServiceName":"web","Datacenters":["dc1"]}],"NodeIdentities":[{"NodeName":"n1","Datacenter":"dc1"}],"Local":false}\'' +
        ' | curl --fail-with-body -X PUT -H "X-Consul-Token: $CONSUL_HTTP_TOKEN" --data @- "$CONSUL_HTTP_ADDR/v1/acl/token"',
    );
    expect(JSON.stringify(result)).not.toContain(current.secretId);
  });

  it('never fails the whole reconciliation for one unreadable secret', async () => {
    const f = rotationFixture();
    const reconciler = reconcilerOf(f, undefined, ['consul/demo/missing', f.arn]);
    const preflight = await reconciler.preflight({ takenAt: NOW.toISOString() });
    const results = await reconciler.reconcile();
    expect(preflight.map((p) => p.status)).toEqual(['check', 'in-backup']);
    expect(results.map((r) => r.outcome)).toEqual(['failed', 'present']);
  });
});
