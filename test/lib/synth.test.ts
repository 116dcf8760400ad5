import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { buildConsulOpsApp, type BuildConsulOpsAppOptions } from '../../lib/consul-ops-app';
import { CDK_JSON_CONTEXT, defaultConfig, extraCluster, secretArnOf, type Json } from './test-app';

const ROOT = path.join(__dirname, '../..');
const KMS_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
/** Bundling five handlers, or a fresh tsx process running cdk-nag and the validator, on a shared 2-core machine. */
const SLOW_SYNTH_MS = 180_000;

interface ValidationReport {
  readonly pluginReports: readonly { readonly pluginName: string; readonly violations?: readonly { readonly ruleName: string; readonly severity: string }[] }[];
}

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'consul-ops-synth-'));
}

/** The app as `cdk synth` builds it: cdk.json feature flags, cdk-nag, validator; no config from the test environment. */
function buildApp(outdir: string, options: BuildConsulOpsAppOptions = {}, bundle = true) {
  const context = { ...CDK_JSON_CONTEXT, ...(bundle ? {} : { 'aws:cdk:bundling-stacks': [] }), ...options.appProps?.context };
  return buildConsulOpsApp({ env: {}, ...options, appProps: { outdir, context } });
}

function errorsOf(outdir: string): string[] {
  const file = path.join(outdir, 'validation-report.json');
  if (!existsSync(file)) return [];
  const report = JSON.parse(readFileSync(file, 'utf8')) as ValidationReport;
  return report.pluginReports.flatMap((p) => (p.violations ?? []).filter((v) => v.severity === 'error').map((v) => `${p.pluginName}: ${v.ruleName}`));
}

describe('cdk synth (cdk-nag AwsSolutions + CloudFormation validator)', () => {
  it('synthesizes three clusters with no nag errors and no validator failures, bundling each handler once with local esbuild', () => {
    // Prepare
    const outdir = tempDir();
    const baseline = path.join(outdir, '..', `${path.basename(outdir)}-baseline.yaml`);
    writeFileSync(baseline, 'intentions:\n  - { source: web, destination: api }\n');
    const config = defaultConfig();
    config.clusters[0].rotation = { tokens: [{ secretArn: secretArnOf('web') }] };
    config.clusters.push({ ...extraCluster('west', 'a1'), intentions: { baselineFile: baseline } }, extraCluster('north', 'b2'));
    const { app } = buildApp(outdir, { config });

    // Act
    const assembly = app.synth();

    // Assess
    expect(errorsOf(outdir)).toEqual([]);
    const assetDirs = readdirSync(outdir).filter((d) => d.startsWith('asset.'));
    // take-snapshot, restore, rotate-token, audit-intentions, check-certs: one bundle each for three clusters, plus west's baseline layer.
    expect(assetDirs).toHaveLength(6);
    const keysOf = (service: string) =>
      new Set(assembly.stacks.flatMap((s) => Object.values(s.template.Resources as Json).filter((r: Json) => r.Properties?.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === service).map((r: Json) => r.Properties.Code.S3Key)));
    expect(keysOf('consul-ops-take-snapshot').size).toBe(1);
    expect(keysOf('consul-ops-audit-intentions').size).toBe(1);
    const snapshotAsset = assetDirs.find((d) => existsSync(path.join(outdir, d, 'index.js')) && readFileSync(path.join(outdir, d, 'index.js'), 'utf8').includes('BackupFailure'));
    expect(snapshotAsset).toBeDefined();
    const bundle = readFileSync(path.join(outdir, snapshotAsset!, 'index.js'), 'utf8');
    expect(bundle).not.toContain('function runBackup('); // minified: internal names are mangled
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    expect(typeof require(path.join(outdir, snapshotAsset!, 'index.js')).handler).toBe('function'); // loads without AWS
    // The verifying thread ships with the functions that verify archives (take-snapshot, restore), and only there.
    const withWorker = assetDirs.filter((d) => existsSync(path.join(outdir, d, 'verify-worker.js')));
    expect(withWorker).toHaveLength(2);
    expect(withWorker).toContain(snapshotAsset);
    expect(readFileSync(path.join(outdir, snapshotAsset!, 'verify-worker.js'), 'utf8')).toContain('parentPort');
    // SDK clients are bundled, not taken from the runtime; only the SDK's optional CRT signer stays a lazy require.
    expect((bundle.match(/require\("@aws-sdk\/[a-z0-9-]+"\)/g) ?? []).filter((r) => !r.includes('signature-v4-crt'))).toEqual([]);
    const layer = assetDirs.find((d) => existsSync(path.join(outdir, d, 'consul-ops', 'intention-baseline.json')));
    expect(readFileSync(path.join(outdir, layer!, 'consul-ops', 'intention-baseline.json'), 'utf8')).toContain('"destination":"api"');
  }, SLOW_SYNTH_MS);

  it('synthesizes a config with every option on (prefix, environment, endpoints, logs, Object Lock, replica, restore, rotation, Slack, keys)', () => {
    // Prepare
    const outdir = tempDir();
    const config = defaultConfig();
    config.deployment = { stackNamePrefix: 'ConsulOps-staging', account: '123456789012', region: 'eu-west-1' };
    config.clusters[0].network.routeTableIds = ['rtb-0123456789abcdef0'];
    config.clusters[0].consul.secretsKmsKeyArn = KMS_KEY;
    config.clusters[0].rotation = { tokens: [{ secretArn: secretArnOf('web') }], rotateManagementToken: true };
    config.clusters[0].certificates = { endpoints: ['ui.demo.internal:443', { address: 'vault.demo.internal:8200', caBundleSecretArn: secretArnOf('vault-ca') }] };
    config.clusters.push(extraCluster('west', 'a1'), extraCluster('staging', 'b2', 'vpc-0fedcba9876543210'));
    config.notifications = { emails: ['ops@example.com'], slackWebhookSecretArn: secretArnOf('slack'), slackWebhookKmsKeyArn: KMS_KEY };
    config.bucket = {
      objectLock: { mode: 'GOVERNANCE', days: 7 },
      transitionToGlacierAfterDays: 30,
      accessLogging: true,
      replica: { bucketArn: 'arn:aws:s3:::consul-ops-replica', kmsKeyArn: 'arn:aws:kms:eu-central-1:210987654321:key/1234abcd-12ab-34cd-56ef-1234567890ab', replicationTimeControl: true },
    };
    config.network = { createVpcEndpoints: true };
    config.restore = { allowedPrincipalArns: ['arn:aws:iam::123456789012:role/consul-restore', 'arn:aws:iam::111122223333:role/dr-restore'] };
    const { app } = buildApp(outdir, { config }, false);

    // Act
    const assembly = app.synth();

    // Assess
    expect(errorsOf(outdir)).toEqual([]);
    expect(assembly.stacks.map((s) => s.stackName).sort()).toEqual(['ConsulOps-staging', 'ConsulOps-staging-cluster-demo', 'ConsulOps-staging-cluster-staging', 'ConsulOps-staging-cluster-west']);
    expect(new Set(assembly.stacks.map((s) => s.environment.name))).toEqual(new Set(['aws://123456789012/eu-west-1']));
  });

  it('fails synth when the CloudFormation validator finds an error (validateAgainstDefaultRules is on)', () => {
    // Prepare
    const outdir = tempDir();
    const { app, clusters } = buildApp(outdir, {}, false);
    const fn = clusters.get('demo')!.ops.backup.function.node.defaultChild as lambda.CfnFunction;
    fn.addPropertyOverride('Timeout', 1000);

    // Act + Assess
    expect(() => app.synth()).toThrow(/E3717/);
    expect(errorsOf(outdir)).toEqual([expect.stringMatching(/E3717$/)]);
  });

  it('fails synth when cdk-nag finds an unacknowledged AwsSolutions error', () => {
    // Prepare
    const outdir = tempDir();
    const { app, shared } = buildApp(outdir, {}, false);
    new sqs.Queue(shared, 'Careless', { encryption: sqs.QueueEncryption.UNENCRYPTED });

    // Act + Assess
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS2/);
    expect(errorsOf(outdir)).toEqual(['AwsSolutions: AwsSolutions-SQS2', 'AwsSolutions: AwsSolutions-SQS3', 'AwsSolutions: AwsSolutions-SQS4']);
  });
});

describe('buildConsulOpsApp config source', () => {
  const dir = tempDir();
  const file = path.join(dir, 'one.json');
  const config = defaultConfig();
  config.clusters[0].name = 'from-file';
  writeFileSync(file, JSON.stringify(config));

  it('uses the embedded default config when nothing is given', () => {
    expect(buildApp(tempDir(), {}, false).config.clusters[0].name).toBe('demo');
  });

  it('reads $CONSUL_OPS_CONFIG', () => {
    expect(buildApp(tempDir(), { env: { CONSUL_OPS_CONFIG: file } }, false).config.clusters[0].name).toBe('from-file');
  });

  it('prefers -c config=<path> over $CONSUL_OPS_CONFIG', () => {
    const options = { env: { CONSUL_OPS_CONFIG: path.join(dir, 'missing.json') }, appProps: { context: { config: file } } };
    expect(buildApp(tempDir(), options, false).config.clusters[0].name).toBe('from-file');
  });
});

describe('bin/app.ts', () => {
  /** Runs the CDK app as `cdk synth` would, without bundling. */
  function runApp(configText: string) {
    const dir = tempDir();
    const file = path.join(dir, 'config.yaml');
    writeFileSync(file, configText);
    return spawnSync(path.join(ROOT, 'node_modules/.bin/tsx'), ['bin/app.ts'], {
      cwd: ROOT,
      env: { ...process.env, CONSUL_OPS_CONFIG: file, CDK_OUTDIR: path.join(dir, 'out'), CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:bundling-stacks': [] }) },
      encoding: 'utf8',
    });
  }

  it('prints one line per config problem and exits 1, without a stack trace', () => {
    // Act
    const run = runApp('clusters:\n  - name: Prod\n');

    // Assess
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([
      'consul-ops config error: clusters[0].name: expected a lower-case DNS label (a-z, 0-9, -; at most 63 characters), e.g. prod-east',
      expect.stringMatching(/^consul-ops config error: clusters\[0\]\.consul: is required; expected an object, e\.g\. /),
      expect.stringMatching(/^consul-ops config error: clusters\[0\]\.network: is required; expected an object, e\.g\. /),
    ]);
  });

  it('synthesizes a cluster with subnetIds and no availabilityZones', () => {
    // Act
    const run = runApp(
      [
        'clusters:',
        '  - name: prod',
        '    consul: { addresses: [https://consul.prod.internal:8501], managementTokenSecretArn: arn:aws:secretsmanager:eu-west-1:123456789012:secret:consul/prod/token-AbCdEf }',
        '    network: { vpcId: vpc-0123456789abcdef0, subnetIds: [subnet-0123456789abcdef0, subnet-0123456789abcdef1], securityGroupId: sg-0123456789abcdef0 }',
      ].join('\n'),
    );

    // Assess
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.status).toBe(0);
  }, SLOW_SYNTH_MS);
});
