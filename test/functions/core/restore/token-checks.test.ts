import type { RestoreTokens, TokenSecretPreflight, TokenSecretReconciliation } from '../../../../functions/core/restore/ports';
import { tokensAfterRestore, tokensCheck } from '../../../../functions/core/restore/token-checks';
import { planRestore, runRestore } from '../../../../functions/core/restore/workflow';
import { buildBackupKey } from '../../../../functions/core/backup/backup-key';
import { buildArchive, InMemoryBackupStore, InMemoryConsul } from '../../../helpers/in-memory-backups';

const WEB = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:consul/prod/web-AbCdEf';
const preflight = (status: TokenSecretPreflight['status'], secret = WEB): TokenSecretPreflight => ({ secret, role: 'application', accessorId: '11111111-2222-3333-4444-555555555555', status, detail: 'x' });
const result = (outcome: TokenSecretReconciliation['outcome'], redeleted: string[] = []): TokenSecretReconciliation => ({ secret: WEB, role: 'application', outcome, detail: 'x', redeleted });

describe('tokensCheck', () => {
  it.each([
    { name: 'every token in the backup', tokens: [preflight('in-backup')], status: 'pass', detail: '1 token secret(s): 1 in the backup' },
    { name: 'a token created after the backup', tokens: [preflight('reconcile'), preflight('in-backup')], status: 'warn', detail: `2 token secret(s): 1 created after the backup, re-created after the restore: ${WEB} (11111111-2222-3333-4444-555555555555); 1 in the backup` },
    { name: 'a secret to check afterwards', tokens: [preflight('check')], status: 'warn', detail: `1 token secret(s): 1 checked after the restore: ${WEB} (11111111-2222-3333-4444-555555555555); 0 in the backup` },
  ])('rates $name as $status', ({ tokens, status, detail }) => {
    expect(tokensCheck(tokens)).toEqual({ id: 'tokens', status, detail });
  });
});

describe('tokensAfterRestore', () => {
  it('fails when a token secret could not be made to work, counting what was done', () => {
    expect(tokensAfterRestore([result('recreated', ['a']), result('present'), result('failed')])).toEqual({
      id: 'tokens-after-restore',
      status: 'fail',
      detail: `1 re-created, 1 present, 1 failed (${WEB}); 1 retired token(s) deleted again`,
    });
  });
});

describe('the restore workflow with token secrets', () => {
  async function setup() {
    const store = new InMemoryBackupStore();
    const consul = new InMemoryConsul();
    const key = buildBackupKey({ prefix: 'snapshots', cluster: 'prod', takenAt: new Date('2026-11-21T12:00:00Z'), raftIndex: 200 });
    store.put(key, await buildArchive(200), { cluster: 'prod', datacenter: 'dc1', consulVersion: '1.17.0', takenAt: '2026-11-21T12:00:00.000Z' }, { raftIndex: 200 });
    const calls: string[] = [];
    const tokens: RestoreTokens = {
      preflight: async (backup) => {
        calls.push(`preflight ${backup.takenAt} (restores so far: ${consul.restoreCalls})`);
        return [preflight('reconcile')];
      },
      reconcile: async () => {
        calls.push(`reconcile (restores so far: ${consul.restoreCalls})`);
        return [result('recreated')];
      },
    };
    return { deps: { store, consul, now: () => new Date('2026-11-22T10:00:00Z'), tokens }, calls };
  }
  const base = { cluster: 'prod', prefix: 'snapshots', selector: { latest: true } } as const;

  it('lists the token secrets in the plan of a dry run and reconciles nothing', async () => {
    const { deps, calls } = await setup();
    const plan = await planRestore(deps, base);
    const dry = await runRestore(deps, base);
    expect(plan.tokens).toEqual([preflight('reconcile')]);
    expect(plan.checks.find((c) => c.id === 'tokens')?.status).toBe('warn');
    expect(dry.tokenReconciliation).toBeUndefined();
    expect(calls).toEqual(['preflight 2026-11-21T12:00:00.000Z (restores so far: 0)', 'preflight 2026-11-21T12:00:00.000Z (restores so far: 0)']);
  });

  it('reconciles once, after the snapshot was applied', async () => {
    const { deps, calls } = await setup();
    const restored = await runRestore(deps, { ...base, dryRun: false, confirm: 'prod', skipSafetySnapshot: true });
    expect(calls).toEqual(['preflight 2026-11-21T12:00:00.000Z (restores so far: 0)', 'reconcile (restores so far: 1)']);
    expect(restored.tokenReconciliation).toEqual([result('recreated')]);
    expect(restored.checks.map((c) => `${c.id} ${c.status}`)).toContain('tokens-after-restore pass');
  });
});
