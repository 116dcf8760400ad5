/**
 * One secret with its token, in the in-memory rotation ports, with a clock the deps' sleep moves: the fixture of the
 * rotation core tests (`test/functions/core/rotation/`).
 */
import type { ConsulOpsError } from '../../functions/core/shared/errors';
import { STAGE, type RotationDeps, type RotationSettings } from '../../functions/core/rotation/ports';
import { parseRotationSecret, type RotationSecretValue } from '../../functions/core/rotation/secret-value';
import { ROTATION_STEPS, runRotationStep } from '../../functions/core/rotation/steps';
import { InMemoryConsul, InMemorySecrets, links } from './in-memory-rotation';

export const HOUR = 3_600_000;
export const NOW = new Date('2026-05-01T10:00:00.000Z');
export const SETTINGS: RotationSettings = { cluster: 'demo', gracePeriodMs: 24 * HOUR };
export const OLD = { accessorId: 'aaaaaaaa-0000-4000-8000-000000000001', secretId: 'bbbbbbbb-0000-4000-8000-000000000001' };
export const OLD_LINKS = links(['p1'], { roles: [{ id: 'r1' }], serviceIdentities: [{ serviceName: 'web', datacenters: ['dc1'] }], nodeIdentities: [{ nodeName: 'n1', datacenter: 'dc1' }] });
/** The n-th UUID the fixture's `newUuid` hands out. */
export const uuid = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** What {@link rotationFixture} builds. */
export interface RotationFixture {
  readonly secrets: InMemorySecrets;
  readonly consul: InMemoryConsul;
  readonly deps: RotationDeps;
  readonly arn: string;
  /** Every wait of the deps' sleep, in ms (each moves the clock). */
  readonly sleeps: number[];
  setClock(date: Date): void;
}

/** A secret `consul/demo/web` whose AWSCURRENT names the token {@link OLD} (links {@link OLD_LINKS}). */
export function rotationFixture(value: Record<string, unknown> = { ...OLD, cluster: 'demo', description: 'web frontend' }, opts: { rotationEnabled?: boolean } = {}): RotationFixture {
  const secrets = new InMemorySecrets();
  const consul = new InMemoryConsul();
  let clock = NOW;
  consul.now = () => clock;
  consul.add(OLD.accessorId, OLD.secretId, OLD_LINKS);
  const arn = secrets.create('consul/demo/web', JSON.stringify(value), opts);
  let n = 0;
  const sleeps: number[] = [];
  const sleep = async (ms: number) => {
    sleeps.push(ms);
    clock = new Date(clock.getTime() + ms);
  };
  const deps: RotationDeps = { secrets, consul, now: () => clock, newUuid: () => uuid(++n), sleep };
  return { secrets, consul, deps, arn, sleeps, setClock: (d) => (clock = d) };
}

/** One whole rotation as Secrets Manager runs it (RotateSecret, then the four steps). */
export async function rotate(f: RotationFixture, versionId: string, settings: RotationSettings = SETTINGS): Promise<void> {
  f.secrets.startRotation(f.arn, versionId);
  for (const step of ROTATION_STEPS) await runRotationStep(f.deps, step, f.arn, versionId, settings);
}

/** The AWSCURRENT value. */
export const currentValue = (f: RotationFixture): RotationSecretValue => parseRotationSecret(f.secrets.valueAt(f.arn, STAGE.current), f.arn, 'test');

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<ConsulOpsError> {
  try {
    await promise;
  } catch (err) {
    return err as ConsulOpsError;
  }
  throw new Error('expected a rejection');
}
