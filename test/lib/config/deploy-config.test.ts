import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_DEPLOY_CONFIG } from '../../../lib/config/default-config';
import { DeployConfigError, loadDeployConfig, parseDeployConfig, type DeployConfigInput } from '../../../lib/config/deploy-config';
import { defaultConfig } from '../test-app';

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
      memoryMb: 1024,
      retention: { hourly: 24, daily: 7, weekly: 4, monthly: 6, yearly: 0, keepMin: 3 },
    });
    expect(config.notifications).toEqual({ emails: [], emailSeverities: ['critical', 'high'] });
    expect(config.bucket).toEqual({ noncurrentVersionExpirationDays: 30, accessLogging: false });
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
      'clusters[0].backup.schedule: expected a schedule expression, e.g. rate(1 hour) or cron(0 * * * ? *)',
      'clusters[0].backup.timeZone: expected an IANA time zone, e.g. Europe/Berlin or UTC',
    ]],
    ['a one-time at() schedule', (c) => (c.clusters[0].backup.schedule = 'at(2026-01-01T00:00:00)'), [
      'clusters[0].backup.schedule: expected a schedule expression, e.g. rate(1 hour) or cron(0 * * * ? *)',
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
      'clusters[0].backup.retenion: unknown field; expected one of: schedule, timeZone, stale, maxStaleMs, memoryMb, retention',
      'bukcet: unknown field; expected one of: clusters, notifications, bucket, network, restore',
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
