import { readFileSync } from 'node:fs';
import { createS3Client } from '../adapters/aws-clients';
import { ConsulApi } from '../adapters/consul/api';
import { ConsulHttpClient } from '../adapters/consul/client';
import { consulSettingsFromEnv, type TokenSource } from '../adapters/consul/settings';
import { S3BackupStore } from '../adapters/s3-backup-store';
import { S3ContentHoldStore } from '../adapters/s3-content-hold-store';
import { assertClusterName } from '../core/backup/backup-key';
import type { CliContext } from './command';

/**
 * A Consul API client from Consul's standard environment variables (CONSUL_HTTP_ADDR, CONSUL_HTTP_TOKEN…); `token`
 * (e.g. a management token secret) replaces CONSUL_HTTP_TOKEN, which stays available as `envToken`.
 */
export function consulFromEnv(context: CliContext, token?: TokenSource): { api: ConsulApi; envToken: TokenSource; close(): Promise<void> } {
  const settings = consulSettingsFromEnv(context.env, (path) => readFileSync(path, 'utf8'));
  const http = new ConsulHttpClient({ settings, token: token ?? settings.token });
  return { api: new ConsulApi(http), envToken: settings.token, close: () => http.close() };
}

/** The S3 backup store for `--bucket`, with AWS settings from the SDK's standard environment. */
export function storeFromFlags(bucket: string, context: CliContext): S3BackupStore {
  return new S3BackupStore({ client: createS3Client(context.env), bucket });
}

/** The content-drop holds in `--bucket` (`state/<cluster>/content-drop-hold.json`), read by every prune. */
export function holdsFromFlags(bucket: string, context: CliContext): S3ContentHoldStore {
  return new S3ContentHoldStore({ client: createS3Client(context.env), bucket });
}

/** `--cluster`, or the datacenter name when it is a valid cluster name. */
export async function resolveClusterName(flag: string | undefined, datacenter: () => Promise<string>): Promise<string> {
  const cluster = flag ?? (await datacenter());
  assertClusterName(cluster, '--cluster');
  return cluster;
}

/** Parses a non-negative integer flag (or -1 for unlimited, where allowed). */
export function integerFlag(name: string, allowUnlimited = false): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < (allowUnlimited ? -1 : 0)) {
      throw new Error(`${name} must be a whole number${allowUnlimited ? ' (-1 for unlimited)' : ''}, got "${value}"`);
    }
    return n;
  };
}
