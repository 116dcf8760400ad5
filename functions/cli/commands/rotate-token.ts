import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CommandSpec, CommonOptions } from '../command';
import { createSecretsManagerClient } from '../../adapters/aws-clients';
import { consulTokenSecretSourceFactory } from '../../adapters/consul/token-secret';
import { ConsulTokenAdmin } from '../../adapters/consul/token-admin';
import { SecretsManagerRotationStore } from '../../adapters/secrets-manager-rotation';
import { assertClusterName } from '../../core/backup/backup-key';
import { runManualRotationJob } from '../../core/rotation/job';
import type { ManualRotationResult } from '../../core/rotation/manual-rotation';
import { DEFAULT_ROTATION } from '../../core/shared/defaults';
import { InvalidInputError } from '../../core/shared/errors';
import { settleJob } from '../report-option';
import { consulFromEnv, integerFlag } from '../wiring';

interface RotateTokenOptions extends CommonOptions {
  readonly secretId: string;
  readonly managementSecretId?: string;
  readonly cluster?: string;
  readonly gracePeriodHours: number;
  readonly resume?: boolean;
  readonly revokeNow?: boolean;
  readonly revokeAllRetired?: boolean;
}

/**
 * `consul-ops rotate-token`: one whole rotation of a Consul token secret, run here with the same four steps as the
 * rotation Lambda.
 *
 * It does not call RotateSecret: that would run the deployed Lambda asynchronously (and there is none locally), so the
 * command could neither run the steps itself nor report the new accessor. Instead it opens the rotation the way
 * RotateSecret does (a fresh ClientRequestToken becomes the AWSPENDING version, written by createSecret's
 * PutSecretValue), then runs setSecret, testSecret and finishSecret. Rotation need not be enabled on the secret.
 * An unfinished rotation is refused with the command that clears it, or finished with `--resume`.
 *
 * `--revoke-now` (a leaked token) deletes the replaced token as soon as the new one has proven to work, instead of
 * after the grace period; with `--revoke-all-retired` every token in the secret's retired-token ledger goes too. The
 * output names each deleted accessor.
 *
 * Consul calls use `--management-secret-id` (its AWSCURRENT token) or else CONSUL_HTTP_TOKEN. Only AccessorIDs are
 * printed, never a SecretID.
 */
export const rotateTokenCommand: CommandSpec<RotateTokenOptions> = {
  name: 'rotate-token',
  summary: 'rotate a Consul ACL token stored in Secrets Manager (new token, same links; the old one lives through the grace period)',
  configure: (c) =>
    c
      .requiredOption('--secret-id <id>', 'ARN or name of the token secret to rotate')
      .option('--management-secret-id <id>', 'secret holding the management token for Consul calls (default: CONSUL_HTTP_TOKEN)')
      .option('--cluster <name>', 'refuse a secret whose "cluster" differs')
      .option('--grace-period-hours <hours>', 'hours the replaced token stays valid before a later run deletes it', integerFlag('--grace-period-hours'), DEFAULT_ROTATION.gracePeriodHours)
      .option('--resume', 'finish an unfinished rotation (AWSPENDING on another version than AWSCURRENT) instead of refusing')
      .option('--revoke-now', 'delete the replaced token right after the new one proved to work (a leaked token), not after the grace period')
      .option('--revoke-all-retired', 'with --revoke-now: also delete every older retired token still in the grace period'),
  async run(options, context) {
    if (options.cluster !== undefined) assertClusterName(options.cluster, '--cluster');
    if (options.revokeAllRetired && !options.revokeNow) throw new InvalidInputError('--revoke-all-retired', 'needs --revoke-now', '--revoke-now --revoke-all-retired');
    const revoke = options.revokeNow ? (options.revokeAllRetired ? 'all' : 'replaced') : undefined;
    const client = createSecretsManagerClient();
    const secrets = new SecretsManagerRotationStore({ client });
    const consul = consulFromEnv(context, options.managementSecretId === undefined ? undefined : consulTokenSecretSourceFactory(client, options.managementSecretId)());
    try {
      const managementSecretArn = options.managementSecretId === undefined ? undefined : (await secrets.describe(options.managementSecretId)).arn;
      const gracePeriodMs = options.gracePeriodHours * 3_600_000;
      const outcome = await runManualRotationJob(
        { secrets, consul: new ConsulTokenAdmin(consul.api), now: () => new Date(), newUuid: randomUUID, sleep: (ms) => sleep(ms) },
        options.secretId,
        { cluster: options.cluster, gracePeriodMs, managementSecretArn },
        { resume: options.resume, revoke },
      );
      // Reported exactly as the rotation function reports a rotation (scoped to the secret).
      return renderRotation(await settleJob(outcome, context), gracePeriodMs);
    } finally {
      await consul.close();
      client.destroy();
    }
  },
};

/** The command's output: AccessorIDs only, never a SecretID. */
function renderRotation(result: ManualRotationResult, gracePeriodMs: number): { data: unknown; text: string } {
  const cleanup = result.steps[0].retiredCleanup;
  const validUntil = new Date(Date.now() + gracePeriodMs).toISOString();
  const revokedPrevious = result.revoked !== undefined;
  const data = {
    secret: result.secret,
    versionId: result.versionId,
    accessorId: result.accessorId,
    previousAccessorId: result.previousAccessorId,
    ...(revokedPrevious ? {} : { previousValidUntil: validUntil }),
    resumed: result.resumed,
    revoked: result.revoked && { deleted: result.revoked.deleted, alreadyDeleted: result.revoked.alreadyDeleted },
    retiredCleanup: cleanup && { outcome: cleanup.outcome, deleted: cleanup.deleted, alreadyDeleted: cleanup.alreadyDeleted, waiting: cleanup.waiting.map((w) => ({ accessorId: w.accessorId, until: w.until.toISOString() })) },
    steps: result.steps.map((s) => ({ step: s.step, outcome: s.outcome })),
  };
  const text = [
    `${result.resumed ? 'Finished the unfinished rotation' : 'Rotated'} ${result.secret}:`,
    `  new token ${result.accessorId} is AWSCURRENT (version ${result.versionId}) and proved to work`,
    result.previousAccessorId && !revokedPrevious
      ? `  previous token ${result.previousAccessorId} stays valid until about ${validUntil} (grace period); the rotation function's hourly sweep or the next rotation deletes it then`
      : '',
    ...(result.revoked?.deleted ?? []).map((id) => `  revoked: deleted token ${id}`),
    ...(result.revoked?.alreadyDeleted ?? []).map((id) => `  revoked: token ${id} was already gone`),
    ...(cleanup?.deleted ?? []).map((id) => `  deleted retired token ${id} (its grace period was over)`),
    cleanup?.kept ? `  retired tokens due for deletion were kept: ${cleanup.kept}` : '',
  ].filter((l) => l !== '').join('\n');
  return { data, text };
}
