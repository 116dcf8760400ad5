import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { buildConsulOpsApp, type BuildConsulOpsAppOptions } from '../../lib/consul-ops-app';
import { CDK_JSON_CONTEXT, defaultConfig, extraCluster } from './test-app';

const ROOT = path.join(__dirname, '../..');

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
  it('synthesizes the default config with no nag errors and no validator failures, bundling with local esbuild', () => {
    // Prepare
    const outdir = tempDir();
    const { app } = buildApp(outdir);

    // Act
    const assembly = app.synth();

    // Assess
    expect(errorsOf(outdir)).toEqual([]);
    expect(assembly.getStackByName('ConsulOps').template.Resources).toBeDefined();
    const assetDirs = readdirSync(outdir).filter((d) => d.startsWith('asset.'));
    const snapshotAsset = assetDirs.find((d) => readFileSync(path.join(outdir, d, 'index.js'), 'utf8').includes('BackupFailure'));
    expect(snapshotAsset).toBeDefined();
    const bundle = readFileSync(path.join(outdir, snapshotAsset!, 'index.js'), 'utf8');
    expect(bundle).not.toContain('function runBackup('); // minified: internal names are mangled
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    expect(typeof require(path.join(outdir, snapshotAsset!, 'index.js')).handler).toBe('function'); // loads without AWS
    // SDK clients are bundled, not taken from the runtime; only the SDK's optional CRT signer stays a lazy require.
    expect((bundle.match(/require\("@aws-sdk\/[a-z0-9-]+"\)/g) ?? []).filter((r) => !r.includes('signature-v4-crt'))).toEqual([]);
  });

  it('synthesizes a config with every option on (endpoints, access logs, Object Lock, restore principals, 3 clusters)', () => {
    // Prepare
    const outdir = tempDir();
    const config = defaultConfig();
    config.clusters[0].network.routeTableIds = ['rtb-0123456789abcdef0'];
    config.clusters.push(extraCluster('west', 'a1'), extraCluster('staging', 'b2', 'vpc-0fedcba9876543210'));
    config.notifications = { emails: ['ops@example.com'] };
    config.bucket = { objectLock: { mode: 'GOVERNANCE', days: 7 }, transitionToGlacierAfterDays: 30, accessLogging: true };
    config.network = { createVpcEndpoints: true };
    config.restore = { allowedPrincipalArns: ['arn:aws:iam::123456789012:role/consul-restore'] };
    const { app } = buildApp(outdir, { config }, false);

    // Act
    app.synth();

    // Assess
    expect(errorsOf(outdir)).toEqual([]);
  });

  it('fails synth when the CloudFormation validator finds an error (validateAgainstDefaultRules is on)', () => {
    // Prepare
    const outdir = tempDir();
    const { app, stack } = buildApp(outdir, {}, false);
    const fn = stack.clusters.get('demo')!.function.node.defaultChild as lambda.CfnFunction;
    fn.addPropertyOverride('Timeout', 1000);

    // Act + Assess
    expect(() => app.synth()).toThrow(/E3717/);
    expect(errorsOf(outdir)).toEqual([expect.stringMatching(/E3717$/)]);
  });

  it('fails synth when cdk-nag finds an unacknowledged AwsSolutions error', () => {
    // Prepare
    const outdir = tempDir();
    const { app, stack } = buildApp(outdir, {}, false);
    new sqs.Queue(stack, 'Careless', { encryption: sqs.QueueEncryption.UNENCRYPTED });

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
  it('prints one line per config problem and exits 1, without a stack trace', () => {
    // Prepare
    const dir = tempDir();
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, 'clusters:\n  - name: Prod\n');

    // Act
    const run = spawnSync(path.join(ROOT, 'node_modules/.bin/tsx'), ['bin/app.ts'], {
      cwd: ROOT,
      env: { ...process.env, CONSUL_OPS_CONFIG: file, CDK_OUTDIR: path.join(dir, 'out') },
      encoding: 'utf8',
    });

    // Assess
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([
      'consul-ops config error: clusters[0].name: expected a lower-case DNS label (a-z, 0-9, -; at most 63 characters), e.g. prod-east',
      expect.stringMatching(/^consul-ops config error: clusters\[0\]\.consul: is required; expected an object, e\.g\. /),
      expect.stringMatching(/^consul-ops config error: clusters\[0\]\.network: is required; expected an object, e\.g\. /),
    ]);
  });
});
