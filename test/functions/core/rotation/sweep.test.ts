import { runRotationStep } from '../../../../functions/core/rotation/steps';
import { sweepRetiredTokens, sweepSecrets } from '../../../../functions/core/rotation/sweep';
import { currentValue, HOUR, NOW, OLD, rejectionOf, rotate, rotationFixture, SETTINGS, uuid } from '../../../helpers/rotation-fixture';

const at = (hours: number) => new Date(NOW.getTime() + hours * HOUR);

describe('retired tokens', () => {
  it('three rotations inside one grace period: every old token is deleted after its own grace period, never before', async () => {
    // Prepare: rotations at +0 h, +2 h and +5 h; the grace period is 24 h
    const f = rotationFixture();
    const replaced: string[] = [];
    for (const [hours, version] of [[0, 'v1'], [2, 'v2'], [5, 'v3']] as const) {
      f.setClock(at(hours));
      replaced.push(currentValue(f).accessorId);
      await rotate(f, version);
    }
    const alive = () => replaced.filter((id) => f.consul.tokens.has(id));

    // Act + Assess: each sweep just before and just after each token's own deadline
    const sweeps: Record<string, string[]> = {};
    for (const hours of [23.9, 24, 25.9, 26, 28.9, 29]) {
      f.setClock(at(hours));
      const result = await sweepRetiredTokens(f.deps, f.arn, SETTINGS);
      sweeps[hours] = result.deleted as string[];
      expect(alive()).toEqual(replaced.filter((_, i) => at([24, 26, 29][i]).getTime() > at(hours).getTime()));
    }
    expect(sweeps).toEqual({ 23.9: [], 24: [replaced[0]], 25.9: [], 26: [replaced[1]], 28.9: [], 29: [replaced[2]] });
    expect(currentValue(f).retired?.map((r) => r.accessorId)).toEqual(replaced);
  });

  it('a rotation inside the grace period is never refused and forgets nothing; the next rotation deletes what is due', async () => {
    // Prepare
    const f = rotationFixture();
    await rotate(f, 'v1');
    f.setClock(at(1));

    // Act: a second rotation an hour later (a leaked token)
    await rotate(f, 'v2');

    // Assess
    const second = currentValue(f);
    expect(second.retired).toEqual([
      { accessorId: OLD.accessorId, deleteAfter: at(24).toISOString() },
      { accessorId: uuid(1), deleteAfter: at(25).toISOString() },
    ]);
    expect(f.consul.tokens.has(OLD.accessorId)).toBe(true);

    // Act: a third rotation after the first grace period
    f.setClock(at(24.5));
    f.secrets.startRotation(f.arn, 'v3');
    const created = await runRotationStep(f.deps, 'createSecret', f.arn, 'v3', SETTINGS);

    // Assess
    expect(created.retiredCleanup).toMatchObject({ outcome: 'deleted', deleted: [OLD.accessorId], waiting: [{ accessorId: uuid(1), until: at(25) }] });
    expect(f.consul.tokens.has(OLD.accessorId)).toBe(false);
  });

  it('a value from before the ledger is swept by its previousAccessorId', async () => {
    // Prepare
    const f = rotationFixture({ accessorId: uuid(50), secretId: uuid(51), cluster: 'demo', previousAccessorId: OLD.accessorId, previousRotatedAt: NOW.toISOString() });
    f.consul.add(uuid(50), uuid(51));

    // Act
    f.setClock(at(23));
    const early = await sweepRetiredTokens(f.deps, f.arn, SETTINGS);
    f.setClock(at(24));
    const late = await sweepRetiredTokens(f.deps, f.arn, SETTINGS);

    // Assess
    expect(early).toMatchObject({ outcome: 'in-grace', deleted: [], waiting: [{ accessorId: OLD.accessorId, until: at(24) }] });
    expect(late).toMatchObject({ outcome: 'deleted', deleted: [OLD.accessorId] });
  });

  it('keeps every retired token when the current one does not work', async () => {
    // Prepare
    const f = rotationFixture();
    await rotate(f, 'v1');
    f.consul.tokens.delete(uuid(1));
    f.setClock(at(48));

    // Act
    const err = await rejectionOf(sweepRetiredTokens(f.deps, f.arn, SETTINGS));
    const report = await sweepSecrets(f.deps, [f.arn], SETTINGS);

    // Assess
    expect(err.code).toBe('ROTATION_CURRENT_TOKEN_BROKEN');
    expect(report.failures.map((x) => x.error.code)).toEqual(['ROTATION_CURRENT_TOKEN_BROKEN']);
    expect(f.consul.tokens.has(OLD.accessorId)).toBe(true);
  });

  it('a rotation whose current token does not work still completes, keeping the due tokens in the ledger', async () => {
    // Prepare
    const f = rotationFixture();
    await rotate(f, 'v1');
    f.consul.tokens.get(uuid(1))!.secretId = uuid(99);
    f.setClock(at(48));

    // Act
    await rotate(f, 'v2');

    // Assess
    expect(f.consul.tokens.has(OLD.accessorId)).toBe(true);
    expect(currentValue(f).retired?.map((r) => r.accessorId)).toEqual([OLD.accessorId, uuid(1)]);
  });

  it('counts a token deleted by hand as already deleted', async () => {
    const f = rotationFixture();
    await rotate(f, 'v1');
    f.consul.tokens.delete(OLD.accessorId);
    f.setClock(at(24));
    expect(await sweepRetiredTokens(f.deps, f.arn, SETTINGS)).toMatchObject({ outcome: 'already-deleted', deleted: [], alreadyDeleted: [OLD.accessorId] });
  });
});
