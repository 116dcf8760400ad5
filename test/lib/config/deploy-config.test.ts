import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_DEPLOY_CONFIG } from '../../../lib/config/default-config';
import { DeployConfigError, loadDeployConfig, parseDeployConfig, type DeployConfigInput } from '../../../lib/config/deploy-config';
import { defaultConfig, extraCluster, secretArnOf, type Json } from '../test-app';

type Mutation = (c: Record<string, any>) => void; // eslint-disable-line @typescript-eslint/no-explicit-any

function problemsOf(mutate: Mutation): readonly string[] {
  const config = defaultConfig() as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  mutate(config);
  try {
    parseDeployConfig(config);
  } catch (err) {
    if (err instanceof DeployConfigError) return err.problems;
    throw err;
  }
  return [];
}

const SECRET_EXPECTATION = 'with its 6-character suffix), e.g. arn:aws:secretsmanager:eu-west-1:123456789012:secret:consul/prod/management-token-AbCdEf';

describe('parseDeployConfig', () => {
  it('accepts the embedded default config and applies every default', () => {
    // Act
    const config = parseDeployConfig(DEFAULT_DEPLOY_CONFIG);

    // Assess
    expect(config.clusters[0].backup).toEqual({
      schedule: 'rate(1 hour)',
      timeZone: 'UTC',
      stale: false,
      memoryMb: 1769,
      retention: { hourly: 24, daily: 7, weekly: 4, monthly: 6, yearly: 0, keepMin: 3 },
      contentDrop: { kvEntriesDropPercent: 20, aclTokensDropPercent: 20, servicesDropPercent: 20, intentionRemovedSeverity: 'medium' },
    });
    expect(config.notifications).toEqual({ emails: [], emailSeverities: ['critical', 'high'] });
    expect(config.bucket).toEqual({ noncurrentVersionExpirationDays: 30, accessLogging: false });
    expect(config.deployment).toEqual({ stackNamePrefix: 'ConsulOps' });
    expect(config.clusters[0].certificates).toEqual({ enabled: true, schedule: 'rate(1 hour)', endpoints: [], auditorService: 'consul-ops-auditor', thresholds: {} });
    expect(config.clusters[0].intentions).toEqual({ enabled: true, schedule: 'rate(1 hour)', timeZone: 'UTC', baseline: undefined });
    expect(config.network).toEqual({ createVpcEndpoints: false });
    expect(config.restore).toEqual({ allowedPrincipalArns: [] });
  });

  it('applies defaults to a minimal config with no optional sections', () => {
    // Prepare
    const minimal: DeployConfigInput = {
      clusters: [{ name: 'a', consul: defaultConfig().clusters[0].consul, network: defaultConfig().clusters[0].network }],
    };

    // Act
    const config = parseDeployConfig(minimal);

    // Assess
    expect(config.clusters[0].backup.schedule).toBe('rate(1 hour)');
    expect(config.clusters[0].backup.retention.keepMin).toBe(3);
    expect(config.bucket.noncurrentVersionExpirationDays).toBe(30);
  });

  it('keeps explicit values, including restic -1 counts and a cron schedule in a time zone', () => {
    const problems = problemsOf((c) => {
      c.clusters[0].backup = { schedule: 'cron(0 */2 * * ? *)', timeZone: 'Europe/Berlin', stale: true, maxStaleMs: 5000, retention: { yearly: -1, keepLast: 2 } };
    });
    expect(problems).toEqual([]);
  });

  const scenarios: [string, Mutation, string[]][] = [
    ['a non-https address', (c) => c.clusters[0].consul.addresses.push('http://consul.internal:8500'), [
      'clusters[0].consul.addresses[2]: expected an https:// URL, e.g. https://consul.internal:8501',
    ]],
    ['an address with credentials', (c) => (c.clusters[0].consul.addresses[0] = 'https://user:pw@consul.internal:8501'), [
      'clusters[0].consul.addresses[0]: expected an https:// URL, e.g. https://consul.internal:8501',
    ]],
    ['no addresses', (c) => (c.clusters[0].consul.addresses = []), [
      'clusters[0].consul.addresses: expected a non-empty list of https:// URLs of Consul servers, e.g. ["https://consul.internal:8501"]',
    ]],
    ['a missing token secret', (c) => delete c.clusters[0].consul.managementTokenSecretArn, [
      `clusters[0].consul.managementTokenSecretArn: is required; expected a full Secrets Manager ARN of the management token secret (${SECRET_EXPECTATION}`,
    ]],
    ['a secret ARN without suffix', (c) => (c.clusters[0].consul.caBundleSecretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:ca'), [
      `clusters[0].consul.caBundleSecretArn: expected a full Secrets Manager ARN of a secret holding the PEM CA bundle (${SECRET_EXPECTATION}`,
    ]],
    ['both CA sources', (c) => (c.clusters[0].consul.caBundlePem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'), [
      'clusters[0].consul.caBundlePem: expected either caBundleSecretArn or caBundlePem, not both',
    ]],
    ['an oversized inline CA bundle', (c) => {
      delete c.clusters[0].consul.caBundleSecretArn;
      c.clusters[0].consul.caBundlePem = `-----BEGIN CERTIFICATE-----\n${'A'.repeat(3000)}`;
    }, [
      'clusters[0].consul.caBundlePem: expected at most 3000 characters (Lambda environment limit); put a larger bundle in Secrets Manager and set caBundleSecretArn instead',
    ]],
    ['a bad cluster name', (c) => (c.clusters[0].name = 'Prod_East'), [
      'clusters[0].name: expected a lower-case DNS label (a-z, 0-9, -; at most 63 characters), e.g. prod-east',
    ]],
    ['duplicate cluster names', (c) => c.clusters.push(structuredClone(c.clusters[0])), [
      'clusters[1].name: duplicate cluster name "demo"; expected a unique name, e.g. demo-2',
    ]],
    ['no clusters', (c) => (c.clusters = []), [
      'clusters: expected a non-empty list of clusters, e.g. [{ name: "prod-east", consul: {…}, network: {…} }]',
    ]],
    ['a bad VPC, subnet and security group id', (c) => {
      c.clusters[0].network.vpcId = 'vpc-123';
      c.clusters[0].network.subnetIds[1] = 'subnet-XYZ';
      c.clusters[0].network.securityGroupId = 'sg';
    }, [
      'clusters[0].network.vpcId: expected a VPC id, e.g. vpc-0123456789abcdef0',
      'clusters[0].network.subnetIds[1]: expected a subnet id, e.g. subnet-0123456789abcdef0',
      'clusters[0].network.securityGroupId: expected a security group id, e.g. sg-0123456789abcdef0',
    ]],
    ['fewer zones than subnets', (c) => (c.clusters[0].network.availabilityZones = ['eu-west-1a']), [
      'clusters[0].network.availabilityZones: expected one availability zone per subnet id (2), e.g. ["eu-west-1a","eu-west-1b"]',
    ]],
    ['VPC endpoints without zones and route tables', (c) => {
      c.network = { createVpcEndpoints: true };
      delete c.clusters[0].network.availabilityZones;
    }, [
      'clusters[0].network.availabilityZones: is required when network.createVpcEndpoints is true (interface endpoints take one subnet per zone); expected one availability zone per subnet id, e.g. ["eu-west-1a","eu-west-1b"]',
      'clusters[0].network.routeTableIds: is required when network.createVpcEndpoints is true (for the S3 gateway endpoint); expected a list of route table ids, e.g. ["rtb-0123456789abcdef0"]',
    ]],
    ['a bad schedule and time zone', (c) => (c.clusters[0].backup = { schedule: 'every hour', timeZone: 'Mars/Olympus' }), [
      'clusters[0].backup.schedule: expected rate(<n> <unit>) or cron(<6 fields>), e.g. rate(1 hour) or cron(0 * * * ? *) (EventBridge Scheduler would refuse it)',
      'clusters[0].backup.timeZone: expected an IANA time zone, e.g. Europe/Berlin or UTC',
    ]],
    ['a one-time at() schedule', (c) => (c.clusters[0].backup.schedule = 'at(2026-01-01T00:00:00)'), [
      'clusters[0].backup.schedule: at(…) runs only once; a scheduled job needs rate(…) or cron(…) (EventBridge Scheduler would refuse it)',
    ]],
    ['a cron with both day fields set', (c) => (c.clusters[0].certificates = { schedule: 'cron(0 * * * * *)' }), [
      'clusters[0].certificates.schedule: cron(0 * * * * *): day-of-month and day-of-week are both set; one of them must be ?, e.g. cron(0 * * * ? *) (EventBridge Scheduler would refuse it)',
    ]],
    ['a rate with a plural unit for 1', (c) => (c.clusters[0].intentions = { schedule: 'rate(1 hours)' }), [
      'clusters[0].intentions.schedule: rate(1 …) takes a singular unit: rate(1 hour) (EventBridge Scheduler would refuse it)',
    ]],
    ['negative and fractional retention counts', (c) => (c.clusters[0].backup.retention = { hourly: -2, daily: 1.5, keepMin: 0 }), [
      'clusters[0].backup.retention.hourly: expected a whole number of hourly snapshots to keep (-1 = all), e.g. 24',
      'clusters[0].backup.retention.daily: expected a whole number of daily snapshots to keep (-1 = all), e.g. 7',
      'clusters[0].backup.retention.keepMin: expected a whole number of never-pruned newest snapshots of at least 1 (-1 = all), e.g. 3',
    ]],
    ['a string where a boolean belongs', (c) => (c.clusters[0].backup.stale = 'yes'), [
      'clusters[0].backup.stale: expected true or false',
    ]],
    ['typos in field names', (c) => {
      c.clusters[0].backup.retenion = {};
      c.bukcet = {};
    }, [
      'clusters[0].backup.retenion: unknown field; expected one of: schedule, timeZone, stale, maxStaleMs, memoryMb, retention, contentDrop',
      'bukcet: unknown field; expected one of: deployment, clusters, notifications, bucket, network, restore',
    ]],
    ['a bad email and severity', (c) => (c.notifications = { emails: ['ops'], emailSeverities: ['urgent'] }), [
      'notifications.emails[0]: expected an email address, e.g. ops@example.com',
      'notifications.emailSeverities[0]: expected one of info, low, medium, high, critical',
    ]],
    ['an incomplete object lock', (c) => (c.bucket = { objectLock: { mode: 'LEGAL_HOLD' } }), [
      'bucket.objectLock.mode: expected GOVERNANCE or COMPLIANCE',
      'bucket.objectLock.days: is required; expected a whole number of days, e.g. 7',
    ]],
    ['zero noncurrent days', (c) => (c.bucket = { noncurrentVersionExpirationDays: 0 }), [
      'bucket.noncurrentVersionExpirationDays: expected a whole number of days of at least 1, e.g. 30',
    ]],
    ['a restore principal that is not an IAM ARN', (c) => (c.restore = { allowedPrincipalArns: ['consul-restore'] }), [
      'restore.allowedPrincipalArns[0]: expected an IAM role or user ARN, e.g. arn:aws:iam::123456789012:role/consul-restore',
    ]],
    ['a wrongly typed section', (c) => (c.clusters[0].consul = 'https://consul:8501'), [
      'clusters[0].consul: expected an object, e.g. { addresses: ["https://consul.internal:8501"], managementTokenSecretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:consul/prod/management-token-AbCdEf" }',
    ]],
  ];

  it.each(scenarios)('rejects %s with one message per problem', (_name, mutate, expectedProblems) => {
    // Act
    const problems = problemsOf(mutate);

    // Assess
    expect(problems).toEqual(expectedProblems);
  });

  it('rejects a non-object with a root-level message', () => {
    expect(() => parseDeployConfig(42)).toThrow('config: expected an object, e.g. { clusters: [{ name: "prod-east", … }] }');
  });

  it('raises a ConsulOpsError with code CONFIG_INVALID and a remedy', () => {
    // Act
    const err = (() => {
      try {
        parseDeployConfig({}, 'config/prod.yaml');
      } catch (e) {
        return e as DeployConfigError;
      }
      throw new Error('expected a DeployConfigError');
    })();

    // Assess
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.remedy).toContain('config/prod.yaml');
    expect(err.message).toBe('clusters: is required; expected a list of clusters, e.g. [{ name: "prod-east", consul: {…}, network: {…} }]');
  });
});

describe('loadDeployConfig', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'consul-ops-config-'));
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it('reads YAML', () => {
    // Prepare
    const file = write('ok.yaml', [
      'clusters:',
      '  - name: prod-east',
      '    consul:',
      '      addresses: [https://consul.prod.internal:8501]',
      '      managementTokenSecretArn: arn:aws:secretsmanager:eu-west-1:123456789012:secret:consul/prod/token-AbCdEf',
      '    network: { vpcId: vpc-0123456789abcdef0, subnetIds: [subnet-0123456789abcdef0], securityGroupId: sg-0123456789abcdef0 }',
      'bucket: { objectLock: { mode: GOVERNANCE, days: 7 } }',
    ].join('\n'));

    // Act
    const config = loadDeployConfig(file);

    // Assess
    expect(config.clusters[0].name).toBe('prod-east');
    expect(config.bucket.objectLock).toEqual({ mode: 'GOVERNANCE', days: 7 });
  });

  it('reads the example config of the repository', () => {
    expect(loadDeployConfig(path.join(__dirname, '../../../config/example.yaml')).clusters.map((c) => c.name)).toEqual(['prod-east']);
  });

  it('reads JSON', () => {
    const file = write('ok.json', JSON.stringify(DEFAULT_DEPLOY_CONFIG));
    expect(loadDeployConfig(file).clusters[0].name).toBe('demo');
  });

  it('takes an object as is', () => {
    expect(loadDeployConfig(DEFAULT_DEPLOY_CONFIG).clusters).toHaveLength(1);
  });

  it('names a missing file', () => {
    const missing = path.join(dir, 'missing.yaml');
    expect(() => loadDeployConfig(missing)).toThrow(`${missing}: file not found; expected a YAML or JSON deploy config, e.g. config/prod.yaml`);
  });

  it('names the line and column of a syntax error', () => {
    const file = write('bad.yaml', 'clusters:\n  - name: a\n  - name: [b\n');
    expect(() => loadDeployConfig(file)).toThrow(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: invalid YAML/JSON: `));
  });

  it('rejects duplicate keys', () => {
    const file = write('dupe.yaml', 'clusters: []\nclusters: []\n');
    expect(() => loadDeployConfig(file)).toThrow('invalid YAML/JSON: Map keys must be unique');
  });

  it('reports validation problems of a file', () => {
    const file = write('invalid.json', JSON.stringify({ clusters: [{ name: 'UPPER' }] }));
    expect(() => loadDeployConfig(file)).toThrow(/^clusters\[0\]\.name: expected a lower-case DNS label/);
  });
});

/** The fields the README's "Deployment config reference" documents, one per table row. */
function documentedFields(): string[] {
  const readme = readFileSync(path.join(__dirname, '../../../README.md'), 'utf8');
  const section = readme.split('\n## Deployment config reference')[1].split('\n## ')[0];
  return [...section.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]);
}

const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const REPLICA = { bucketArn: 'arn:aws:s3:::consul-ops-replica', kmsKeyArn: 'arn:aws:kms:eu-central-1:210987654321:key/1234abcd-12ab-34cd-56ef-1234567890ab' };

/**
 * For every documented field: how to give it a wrong value, and what its one-line error must say. A field documented
 * in the README without an entry here, or an entry for an undocumented field, fails the test.
 */
const WRONG_VALUES: Record<string, { set: Mutation; says: string }> = {
  'deployment.stackNamePrefix': { set: (c) => (c.deployment = { stackNamePrefix: '1-bad_prefix' }), says: 'expected a stack name prefix' },
  'deployment.account': { set: (c) => (c.deployment = { account: 123456789012 }), says: 'expected a 12-digit AWS account id in quotes' },
  'deployment.region': { set: (c) => (c.deployment = { region: 'europe' }), says: 'expected an AWS Region, e.g. eu-west-1' },
  'clusters[].name': { set: (c) => (c.clusters[0].name = 'Prod_East'), says: 'expected a lower-case DNS label' },
  'clusters[].consul.addresses': { set: (c) => (c.clusters[0].consul.addresses = ['consul:8500']), says: 'expected an https:// URL' },
  'clusters[].consul.caBundleSecretArn': { set: (c) => (c.clusters[0].consul.caBundleSecretArn = 'consul/ca'), says: 'expected a full Secrets Manager ARN' },
  'clusters[].consul.caBundlePem': { set: (c) => (c.clusters[0].consul.caBundlePem = 'MIIB…'), says: 'expected a PEM CA bundle' },
  'clusters[].consul.tlsServerName': { set: (c) => (c.clusters[0].consul.tlsServerName = 'server dc1'), says: 'expected a DNS name' },
  'clusters[].consul.managementTokenSecretArn': { set: (c) => (c.clusters[0].consul.managementTokenSecretArn = 42), says: 'expected a full Secrets Manager ARN' },
  'clusters[].consul.secretsKmsKeyArn': { set: (c) => (c.clusters[0].consul.secretsKmsKeyArn = 'alias/consul'), says: 'expected the ARN of the KMS key' },
  'clusters[].network.vpcId': { set: (c) => (c.clusters[0].network.vpcId = 'vpc-1'), says: 'expected a VPC id' },
  'clusters[].network.subnetIds': { set: (c) => (c.clusters[0].network.subnetIds = []), says: 'expected a non-empty list of subnet ids' },
  'clusters[].network.securityGroupId': { set: (c) => (c.clusters[0].network.securityGroupId = 'default'), says: 'expected a security group id' },
  'clusters[].network.availabilityZones': { set: (c) => (c.clusters[0].network.availabilityZones = ['eu-west-1', 'eu-west-1b']), says: 'expected an availability zone name' },
  'clusters[].network.routeTableIds': { set: (c) => (c.clusters[0].network.routeTableIds = ['main']), says: 'expected a route table id' },
  'clusters[].backup.schedule': { set: (c) => (c.clusters[0].backup.schedule = 'rate(1 hours)'), says: 'takes a singular unit' },
  'clusters[].backup.timeZone': { set: (c) => (c.clusters[0].backup.timeZone = 'CET+1'), says: 'expected an IANA time zone' },
  'clusters[].backup.stale': { set: (c) => (c.clusters[0].backup.stale = 'yes'), says: 'expected true or false' },
  'clusters[].backup.maxStaleMs': { set: (c) => (c.clusters[0].backup.maxStaleMs = -5), says: 'expected a whole number of milliseconds' },
  'clusters[].backup.memoryMb': { set: (c) => (c.clusters[0].backup.memoryMb = 128), says: 'expected at least 256 (MB)' },
  'clusters[].backup.retention': { set: (c) => (c.clusters[0].backup.retention = { daily: 'seven' }), says: 'expected a whole number of daily snapshots' },
  'clusters[].backup.contentDrop': { set: (c) => (c.clusters[0].backup.contentDrop = { kvEntriesDropPercent: 120 }), says: 'expected a percentage from 0 to 100 (100 turns the check off)' },
  'clusters[].intentions.enabled': { set: (c) => (c.clusters[0].intentions = { enabled: 1 }), says: 'expected true or false' },
  'clusters[].intentions.schedule': { set: (c) => (c.clusters[0].intentions = { schedule: 'cron(0 * * * * *)' }), says: 'one of them must be ?' },
  'clusters[].intentions.timeZone': { set: (c) => (c.clusters[0].intentions = { timeZone: 'Berlin' }), says: 'expected an IANA time zone' },
  'clusters[].intentions.baselineFile': { set: (c) => (c.clusters[0].intentions = { baselineFile: '' }), says: 'expected a path to a JSON or YAML intention baseline' },
  'clusters[].rotation.tokens': { set: (c) => (c.clusters[0].rotation = { tokens: [{ secretArn: 'web' }] }), says: 'expected a full Secrets Manager ARN of a Consul token secret to rotate' },
  'clusters[].rotation.rotateManagementToken': { set: (c) => (c.clusters[0].rotation = { rotateManagementToken: 'true' }), says: 'expected true or false' },
  'clusters[].rotation.managementTokenIntervalDays': { set: (c) => (c.clusters[0].rotation = { rotateManagementToken: true, managementTokenIntervalDays: 0 }), says: 'of at least 1' },
  'clusters[].rotation.gracePeriodHours': { set: (c) => (c.clusters[0].rotation = { rotateManagementToken: true, gracePeriodHours: 1.5 }), says: 'expected a whole number of hours' },
  'clusters[].certificates.enabled': { set: (c) => (c.clusters[0].certificates = { enabled: 'no' }), says: 'expected true or false' },
  'clusters[].certificates.schedule': { set: (c) => (c.clusters[0].certificates = { schedule: 'rate(5 minute)' }), says: 'takes a plural unit' },
  'clusters[].certificates.endpoints': { set: (c) => (c.clusters[0].certificates = { endpoints: [{ address: 'vault.internal', caBundleSecretArn: secretArnOf('vault-ca') }] }), says: 'expected a host:port' },
  'clusters[].certificates.auditorService': { set: (c) => (c.clusters[0].certificates = { auditorService: '-auditor' }), says: 'expected a Consul service name' },
  'clusters[].certificates.thresholds': { set: (c) => (c.clusters[0].certificates = { thresholds: { endpoint: { warning: 10, critical: 20 } } }), says: 'warning >= critical' },
  'network.createVpcEndpoints': { set: (c) => (c.network = { createVpcEndpoints: 'yes' }), says: 'expected true or false' },
  'bucket.noncurrentVersionExpirationDays': { set: (c) => (c.bucket = { noncurrentVersionExpirationDays: 0 }), says: 'of at least 1' },
  'bucket.objectLock': { set: (c) => (c.bucket = { objectLock: { mode: 'GOVERNANCE' } }), says: 'is required; expected a whole number of days' },
  'bucket.transitionToGlacierAfterDays': { set: (c) => (c.bucket = { transitionToGlacierAfterDays: -1 }), says: 'expected a whole number of days' },
  'bucket.accessLogging': { set: (c) => (c.bucket = { accessLogging: 'on' }), says: 'expected true or false' },
  'bucket.replica.bucketArn': { set: (c) => (c.bucket = { replica: { ...REPLICA, bucketArn: 'consul-ops-replica' } }), says: 'expected an S3 bucket ARN' },
  'bucket.replica.kmsKeyArn': { set: (c) => (c.bucket = { replica: { ...REPLICA, kmsKeyArn: 'alias/replica' } }), says: 'expected the ARN of the KMS key' },
  'bucket.replica.region': { set: (c) => (c.bucket = { replica: { ...REPLICA, region: 'us-east-1' } }), says: 'is us-east-1, but bucket.replica.kmsKeyArn is a key in eu-central-1' },
  'bucket.replica.account': { set: (c) => (c.bucket = { replica: { ...REPLICA, account: '123456789012' } }), says: 'is 123456789012, but bucket.replica.kmsKeyArn is a key of account 210987654321' },
  'bucket.replica.replicationTimeControl': { set: (c) => (c.bucket = { replica: { ...REPLICA, replicationTimeControl: 15 } }), says: 'expected true or false' },
  'notifications.emails': { set: (c) => (c.notifications = { emails: ['ops at example.com'] }), says: 'expected an email address' },
  'notifications.emailSeverities': { set: (c) => (c.notifications = { emailSeverities: ['urgent'] }), says: 'expected one of info, low, medium, high, critical' },
  'notifications.slackWebhookSecretArn': { set: (c) => (c.notifications = { slackWebhookSecretArn: 'https://hooks.slack.com/x' }), says: 'expected a full Secrets Manager ARN' },
  'notifications.slackWebhookKmsKeyArn': { set: (c) => (c.notifications = { slackWebhookKmsKeyArn: KEY.replace('key/', 'alias/') }), says: 'expected the ARN of the KMS key' },
  'restore.allowedPrincipalArns': { set: (c) => (c.restore = { allowedPrincipalArns: ['arn:aws:iam::123456789012:group/admins'] }), says: 'expected an IAM role or user ARN' },
};

describe('every documented config field', () => {
  it('has a wrong-value case here, and every case is documented', () => {
    expect(Object.keys(WRONG_VALUES).sort()).toEqual(documentedFields().sort());
  });

  it.each(Object.entries(WRONG_VALUES))('%s: a wrong value gives one line naming the field', (field, { set, says }) => {
    // Act
    const problems = problemsOf(set);

    // Assess
    const concrete = field.replace(/\[\]/g, '[0]');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(says);
    expect(problems[0].startsWith(concrete)).toBe(true);
    expect(problems[0]).not.toContain('\n');
  });
});

describe('parseDeployConfig: deployment environment', () => {
  it('accepts a prefix, account and Region that match every secret and key ARN', () => {
    const problems = problemsOf((c) => {
      c.deployment = { stackNamePrefix: 'ConsulOps-staging', account: '123456789012', region: 'eu-west-1' };
      c.clusters[0].consul.secretsKmsKeyArn = KEY;
    });
    expect(problems).toEqual([]);
  });

  it.each([
    ['a secret in another Region than deployment.region', (c: Json) => (c.deployment = { region: 'us-east-1' }), [
      'clusters[0].consul.managementTokenSecretArn: is in Region eu-west-1, but deployment.region is us-east-1; consul-ops reads secrets and keys in the Region it is deployed to: use one in us-east-1 (or replicate the secret there)',
      'clusters[0].consul.caBundleSecretArn: is in Region eu-west-1, but deployment.region is us-east-1; consul-ops reads secrets and keys in the Region it is deployed to: use one in us-east-1 (or replicate the secret there)',
    ]],
    ['a secret of another account than deployment.account', (c: Json) => (c.deployment = { account: '111122223333' }), [
      'clusters[0].consul.managementTokenSecretArn: is in account 123456789012, but deployment.account is 111122223333; expected an ARN of account 111122223333 (is this the config of another deployment?)',
      'clusters[0].consul.caBundleSecretArn: is in account 123456789012, but deployment.account is 111122223333; expected an ARN of account 111122223333 (is this the config of another deployment?)',
    ]],
    ['two clusters in different accounts without deployment.account', (c: Json) => c.clusters.push({ ...extraCluster('west', 'a1'), consul: { ...extraCluster('west', 'a1').consul, managementTokenSecretArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:consul/west/token-AbCdEf' } }), [
      'clusters[1].consul.managementTokenSecretArn: is in account 111122223333, but clusters[0].consul.managementTokenSecretArn is 123456789012; expected an ARN of account 123456789012 (is this the config of another deployment?)',
    ]],
    ['a secrets key in another Region', (c: Json) => (c.clusters[0].consul.secretsKmsKeyArn = KEY.replace('eu-west-1', 'eu-west-2')), [
      'clusters[0].consul.secretsKmsKeyArn: is in Region eu-west-2, but clusters[0].consul.managementTokenSecretArn is eu-west-1; consul-ops reads secrets and keys in the Region it is deployed to: use one in eu-west-1 (or replicate the secret there)',
    ]],
  ])('refuses %s', (_name, mutate, expected) => {
    expect(problemsOf(mutate as Mutation)).toEqual(expected);
  });
});

describe('parseDeployConfig: certificate endpoints', () => {
  it('takes host:port strings and { address, caBundleSecretArn } objects, and gives objects back', () => {
    const config = defaultConfig() as Json;
    config.clusters[0].certificates = { endpoints: ['consul-ui.internal:443', { address: 'vault.internal:8200', caBundleSecretArn: secretArnOf('vault-ca') }] };
    expect(parseDeployConfig(config).clusters[0].certificates.endpoints).toEqual([{ address: 'consul-ui.internal:443' }, { address: 'vault.internal:8200', caBundleSecretArn: secretArnOf('vault-ca') }]);
  });
});

describe('parseDeployConfig: network', () => {
  it('accepts subnetIds without availabilityZones when no VPC endpoints are created', () => {
    expect(problemsOf((c) => delete c.clusters[0].network.availabilityZones)).toEqual([]);
  });
});

describe('parseDeployConfig: intention baseline file', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'consul-ops-baseline-'));

  it('validates the file at load and keeps the parsed baseline', () => {
    const file = path.join(dir, 'ok.yaml');
    writeFileSync(file, 'intentions:\n  - { source: web, destination: api }\n');
    const config = defaultConfig() as Json;
    config.clusters[0].intentions = { baselineFile: file };
    expect(parseDeployConfig(config).clusters[0].intentions.baseline).toEqual({ intentions: [{ source: 'web', destination: 'api', action: 'allow' }] });
  });

  it('names the field and the file in one line per problem of the baseline', () => {
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, 'intentions:\n  - { source: web-*, destination: api, action: permit }\n');
    const problems = problemsOf((c) => (c.clusters[0].intentions = { baselineFile: file }));
    expect(problems).toEqual([expect.stringMatching(new RegExp(`^clusters\\[0\\]\\.intentions\\.baselineFile: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: intentions\\[0\\]\\.source: `)), expect.stringMatching(/intentions\[0\]\.action: expected "allow" or "deny"/)]);
  });

  it('names a missing file', () => {
    const problems = problemsOf((c) => (c.clusters[0].intentions = { baselineFile: path.join(dir, 'missing.yaml') }));
    expect(problems).toEqual([expect.stringMatching(/^clusters\[0\]\.intentions\.baselineFile: .*missing\.yaml: file not found; expected a JSON or YAML intention baseline$/)]);
  });
});
