import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { CommandSpec, CommonOptions } from '../command';
import { createSecretsManagerClient } from '../../adapters/aws-clients';
import { ConsulApi } from '../../adapters/consul/api';
import { ConsulHttpClient } from '../../adapters/consul/client';
import { consulSettingsFromEnv } from '../../adapters/consul/settings';
import { consulTokenSecretSourceFactory } from '../../adapters/consul/token-secret';
import { ConsulTokenAdmin } from '../../adapters/consul/token-admin';
import { SecretsManagerRotationStore } from '../../adapters/secrets-manager-rotation';
import { assertClusterName } from '../../core/backup/backup-key';
import { runManualRotationJob } from '../../core/rotation/job';
import { settleJob } from '../report-option';
import { integerFlag } from '../wiring';

interface RotateTokenOptions extends CommonOptions {
  readonly secretId: string;
  readonly managementSecretId?: string;
  readonly cluster?: string;
  readonly gracePeriodHours: number;
  readonly resume?: boolean;
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
      .option('--grace-period-hours <hours>', 'hours the replaced token stays valid before a later run deletes it', integerFlag('--grace-period-hours'), 24)
      .option('--resume', 'finish an unfinished rotation (AWSPENDING on another version than AWSCURRENT) instead of refusing'),
  async run(options, context) {
    if (options.cluster !== undefined) assertClusterName(options.cluster, '--cluster');
    const client = createSecretsManagerClient();
    const secrets = new SecretsManagerRotationStore({ client });
    const settings = consulSettingsFromEnv(context.env, (path) => readFileSync(path, 'utf8'));
    const token = options.managementSecretId === undefined ? settings.token : consulTokenSecretSourceFactory(client, options.managementSecretId)();
    const http = new ConsulHttpClient({ settings, token });
    try {
      const managementSecretArn = options.managementSecretId === undefined ? undefined : (await secrets.describe(options.managementSecretId)).arn;
      const gracePeriodMs = options.gracePeriodHours * 3_600_000;
      const outcome = await runManualRotationJob(
        { secrets, consul: new ConsulTokenAdmin(new ConsulApi(http)), now: () => new Date(), newUuid: randomUUID },
        options.secretId,
        { cluster: options.cluster, gracePeriodMs, managementSecretArn },
        { resume: options.resume },
      );
      // Reported exactly as the rotation function reports a rotation (scoped to the secret).
      const result = await settleJob(outcome, context);
      const cleanup = result.steps[0].previousTokenCleanup;
      const validUntil = new Date(Date.now() + gracePeriodMs).toISOString();
      const data = {
        secret: result.secret,
        versionId: result.versionId,
        accessorId: result.accessorId,
        previousAccessorId: result.previousAccessorId,
        previousValidUntil: validUntil,
        resumed: result.resumed,
        olderTokenCleanup: cleanup && { outcome: cleanup.outcome, accessorId: cleanup.accessorId },
        steps: result.steps.map((s) => ({ step: s.step, outcome: s.outcome })),
      };
      const text = [
        `${result.resumed ? 'Finished the unfinished rotation' : 'Rotated'} ${result.secret}:`,
        `  new token ${result.accessorId} is AWSCURRENT (version ${result.versionId})`,
        result.previousAccessorId
          ? `  previous token ${result.previousAccessorId} stays valid until about ${validUntil} (grace period); the next rotation or the rotation function's hourly sweep deletes it then`
          : '',
        cleanup?.outcome === 'deleted' ? `  deleted the token replaced by the rotation before (${cleanup.accessorId})` : '',
      ].filter((l) => l !== '').join('\n');
      return { data, text };
    } finally {
      await http.close();
      client.destroy();
    }
  },
};
