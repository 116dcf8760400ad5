import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { baselineDigest, parseIntentionBaseline, serializeBaseline } from '../../../functions/core/intentions/baseline';
import { INTENTION_AUDIT_FUNCTION_ENV as E } from '../../../functions/handlers/lambda-env';
import { startConsulSimulator, type ConsulSimulator } from '../../../local/consul-simulator';

type HandlerModule = typeof import('../../../functions/handlers/audit-intentions');

// Before the handler module loads: its Logger and Metrics read these once.
Object.assign(process.env, { POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'ERROR' });
/** Loaded with require (not isolateModules), so aws-sdk-client-mock patches the very SDK classes it uses. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = () => require('../../../functions/handlers/audit-intentions') as HandlerModule;

const BASELINE = parseIntentionBaseline({ intentions: [{ source: 'web', destination: 'api' }] });

/** Writes `text` to a fresh file, as the cluster's baseline layer would ship it. */
function baselineFile(text: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'consul-ops-baseline-')), 'intention-baseline.json');
  writeFileSync(file, text);
  return file;
}

describe('readBaselineFile', () => {
  it('reads and validates the baseline the stack shipped', () => {
    expect(load().readBaselineFile(baselineFile(serializeBaseline(BASELINE)), baselineDigest(BASELINE))).toEqual(BASELINE);
  });

  it('runs without a baseline when none is shipped or configured', () => {
    expect(load().readBaselineFile(undefined, undefined)).toBeUndefined();
  });

  it.each([
    { name: 'a configured baseline without a file', file: () => undefined, sha: 'ab'.repeat(32) },
    { name: 'a configured baseline whose file is missing', file: () => path.join(tmpdir(), 'consul-ops-no-such-baseline.json'), sha: baselineDigest(BASELINE) },
    { name: 'a shipped baseline the stack did not configure', file: () => baselineFile(serializeBaseline(BASELINE)), sha: undefined },
    { name: 'a different baseline', file: () => baselineFile('{"intentions":[]}'), sha: baselineDigest(BASELINE) },
  ])('refuses $name with a redeploy remedy', ({ file, sha }) => {
    expect(() => load().readBaselineFile(file(), sha)).toThrow(expect.objectContaining({ code: 'INTENTION_BASELINE_MISMATCH', remedy: expect.stringContaining('Redeploy') }));
  });
});

describe('audit-intentions handler (the real Lambda code against the simulator, AWS mocked)', () => {
  const s3 = mockClient(S3Client);
  const sns = mockClient(SNSClient);
  const secrets = mockClient(SecretsManagerClient);
  let sim: ConsulSimulator;
  let handler: HandlerModule['handler'];
  const saved = { ...process.env };

  beforeAll(async () => {
    sim = await startConsulSimulator({ defaultPolicy: 'deny' });
    sim.state.setConfigEntry({ Kind: 'service-intentions', Name: 'api', Sources: [{ Name: 'web', Action: 'allow' }, { Name: 'ops', Action: 'allow' }] });
    Object.assign(process.env, {
      AWS_REGION: 'eu-west-1',
      [E.clusterName]: 'demo',
      [E.bucketName]: 'backups',
      [E.consulAddresses]: sim.url,
      [E.consulTokenSecretArn]: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:consul/demo/token-AbCdEf',
      [E.reportTopicArn]: 'arn:aws:sns:eu-west-1:123456789012:reports',
      [E.baselineSha256]: baselineDigest(BASELINE),
      [E.baselineFile]: baselineFile(serializeBaseline(BASELINE)),
    });
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ accessorId: sim.managementToken.accessorId, secretId: sim.managementToken.secretId }) });
    s3.on(ListObjectsV2Command).resolves({ Contents: [] });
    s3.on(PutObjectCommand).resolves({});
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('no such key'), { name: 'NoSuchKey' }));
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    handler = load().handler;
  });
  afterAll(async () => {
    process.env = saved;
    s3.restore();
    sns.restore();
    secrets.restore();
    await sim.stop();
  });

  it('audits against the shipped baseline file, stores the document under reports/<cluster>/intentions/ and reports once', async () => {
    // Act
    const result = await handler({ trigger: 'schedule' });

    // Assess
    expect(result).toMatchObject({ cluster: 'demo', effectiveDefault: 'deny', findings: 1, counts: { high: 1 }, documentUrl: expect.stringMatching(/^s3:\/\/backups\/reports\/demo\/intentions\/\d{8}T\d{6}\.\d{3}Z\.json$/) });
    const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(puts.map((p) => p.Key)).toEqual([expect.stringMatching(/^reports\/demo\/intentions\/.+\.json$/), 'state/demo/intentions.json']);
    const document = JSON.parse(String(puts[0].Body));
    expect(document).toMatchObject({ cluster: 'demo', effectiveDefault: 'deny', baseline: { sha256: baselineDigest(BASELINE), intentions: 1 }, findings: [{ check: 'unexpected-allow', subject: 'ops -> api' }] });
    expect(sns).toHaveReceivedCommandWith(PublishCommand, { Subject: '[HIGH] demo: 1 intention finding' });
  });
});
