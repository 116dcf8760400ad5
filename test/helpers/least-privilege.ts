/**
 * The cases of the least-privilege tests (`test/functions/core/shared/acl-policies*.int.test.ts`) and the cluster
 * they run against: every job with exactly its policy from `acl-policies.ts`, then without each rule in turn.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { S3BackupStore } from '../../functions/adapters/s3-backup-store';
import { backupFolder } from '../../functions/core/backup/workflow';
import { ACL_JOBS, jobAclPolicy, renderAclPolicy, type AclJob, type AclRule } from '../../functions/core/shared/acl-policies';
import { startConsulSimulator, type ConsulSimulator } from '../../local/consul-simulator';
import { startSecretsManagerFake, type SecretsManagerFake } from '../../local/secrets-manager-fake';
import { startTlsListener, type TlsListener } from './cert-fixtures';
import { createTestBucket } from './s3';

/** One run: a job, the rules its token holds, and the rule left out (none: the exact policy). */
export interface PolicyCase {
  readonly job: AclJob;
  readonly rules: readonly AclRule[];
  readonly removed?: AclRule;
  /** e.g. `take-snapshot without \`acl = "write"\` fails naming acl:write or acl:read`. */
  readonly name: string;
  /** Its position in {@link POLICY_CASES} (the index of its token). */
  readonly i: number;
}

/** Every job with its exact policy, then without each required rule. */
export const POLICY_CASES: readonly PolicyCase[] = ACL_JOBS.flatMap((job) => {
  const { required } = jobAclPolicy(job);
  return [
    { job, rules: required, name: `${job} with exactly its policy works` },
    ...required.map((removed) => ({ job, rules: required.filter((r) => r !== removed), removed, name: `${job} without \`${removed.hcl}\` fails naming ${removed.grants.join(' or ')}` })),
  ];
}).map((c, i) => ({ ...c, i }));

/** The matcher of the one-line refusal a case without `removed` must produce (the CLI prefixes `consul-ops: `). */
export function refusalPattern(job: AclJob, removed: AclRule): RegExp {
  return new RegExp(`^(consul-ops: )?${job}: the Consul token lacks permission '(${removed.grants.join('|')})'`);
}

/**
 * Seeds a small mesh every job has work in (one sidecar serving its agent's leaf and requiring a mesh client
 * certificate, one intention) and one token per case, holding exactly the case's rules. Call it before taking the
 * backup a restore case restores: a restore brings back the ACLs of the backup.
 */
export async function seedLeastPrivilegeCluster(sim: ConsulSimulator): Promise<{ sidecar: TlsListener; tokens: { accessorId: string; secretId: string }[] }> {
  const leaf = (await sim.state.ca.leaf('web', true)).leaf;
  const sidecar = await startTlsListener({ certPem: leaf.CertPEM, keyPem: leaf.PrivateKeyPEM }, { requireClientCertFrom: [sim.state.ca.activeRoot().RootCert] });
  sim.state.registerService({ name: 'web', port: 8080 });
  sim.state.registerService({ name: 'web-sidecar-proxy', port: sidecar.port, address: '127.0.0.1', proxyFor: { service: 'web' } });
  sim.state.setConfigEntry({ Kind: 'service-intentions', Name: 'web', Sources: [{ Name: 'api', Action: 'allow' }] });
  const tokens = POLICY_CASES.map((c) => {
    const policies = c.rules.length === 0 ? [] : [{ ID: sim.state.createPolicy({ Name: `least-privilege-${c.i}`, Rules: renderAclPolicy({ required: c.rules }) }).ID }];
    const token = sim.state.createToken({ Description: `least privilege: ${c.name}`, Policies: policies });
    return { accessorId: token.AccessorID, secretId: token.SecretID };
  });
  return { sidecar, tokens };
}

/** What {@link useLeastPrivilegeStack} starts for a test file. */
export interface LeastPrivilegeStack {
  readonly sim: ConsulSimulator;
  readonly fake: SecretsManagerFake;
  /** A client of the Secrets Manager fake. */
  readonly sm: SecretsManagerClient;
  readonly bucket: string;
  readonly store: S3BackupStore;
  /** The token of each case of {@link POLICY_CASES}, by `i`. */
  readonly tokens: readonly { readonly accessorId: string; readonly secretId: string }[];
  /** Consul requests that were not reads, so far (a refused run must add none). */
  writes(): number;
  /** The objects under a cluster's backup folder (`key@version`), sorted. */
  listed(cluster: string): Promise<string[]>;
}

/**
 * Starts, for the tests of one file, the Consul simulator of `consulVersion` (default policy deny) seeded by
 * {@link seedLeastPrivilegeCluster}, the Secrets Manager fake (with `onRotate` as its RotateSecret "Lambda", and as
 * the endpoint of the SDK's environment) and a versioned bucket on radosgw; stops them after the file.
 */
export function useLeastPrivilegeStack(consulVersion: string, onRotate?: (arn: string, token: string) => Promise<void>): LeastPrivilegeStack {
  const started: Partial<Record<keyof LeastPrivilegeStack, unknown>> & { sidecar?: TlsListener } = {};
  const savedEnv = { ...process.env };
  const get = <K extends keyof LeastPrivilegeStack>(key: K) => started[key] as LeastPrivilegeStack[K];
  beforeAll(async () => {
    const sim = await startConsulSimulator({ consulVersion, defaultPolicy: 'deny' });
    const fake = await startSecretsManagerFake(onRotate ? { onRotate } : {});
    // SDK clients built by the product read the standard environment (radosgw's test credentials do for the fake).
    Object.assign(process.env, { AWS_ENDPOINT_URL_SECRETS_MANAGER: fake.endpoint, AWS_MAX_ATTEMPTS: '1', POWERTOOLS_METRICS_DISABLED: 'true' });
    const { bucket, s3 } = await createTestBucket({ versioning: true });
    const { sidecar, tokens } = await seedLeastPrivilegeCluster(sim);
    const sm = new SecretsManagerClient({ endpoint: fake.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
    Object.assign(started, { sim, fake, sm, bucket, store: new S3BackupStore({ client: s3, bucket }), tokens, sidecar });
  });
  afterAll(async () => {
    process.env = savedEnv;
    get('sm')?.destroy();
    await started.sidecar?.close();
    await get('fake')?.stop();
    await get('sim')?.stop();
  });
  return {
    get sim() {
      return get('sim');
    },
    get fake() {
      return get('fake');
    },
    get sm() {
      return get('sm');
    },
    get bucket() {
      return get('bucket');
    },
    get store() {
      return get('store');
    },
    get tokens() {
      return get('tokens');
    },
    writes: () => get('sim').requests.filter((r) => r.method !== 'GET').length,
    listed: async (cluster) => (await get('store').list(backupFolder('snapshots', cluster))).map((o) => `${o.key}@${o.versionId}`).sort(),
  };
}
