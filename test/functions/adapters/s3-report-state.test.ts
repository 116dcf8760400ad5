import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { ReportStateInvalidError, S3ReportState, reportKey, reportStateKey } from '../../../functions/adapters/s3-report-state';

describe('S3ReportState', () => {
  const s3 = mockClient(S3Client);
  beforeEach(() => s3.reset());
  const store = () => new S3ReportState({ client: new S3Client({ region: 'eu-west-1' }), bucket: 'b' });

  it('keys state per cluster and feature and reports per run', () => {
    expect(reportStateKey('prod-east', 'backup')).toBe('state/prod-east/backup.json');
    expect(reportKey({ cluster: 'prod-east', feature: 'intentions', occurredAt: '2026-03-05T10:00:00.123Z' })).toBe('reports/prod-east/intentions/20260305T100000.123Z.json');
    expect(() => reportStateKey('../etc', 'backup')).toThrow('not a valid cluster name');
  });

  it('keeps one state per scope, key-safe and never shared by two scopes', () => {
    expect(reportStateKey('prod-east', 'rotation', 'web-token')).toBe('state/prod-east/rotation/web-token.json');
    const slashed = reportStateKey('prod-east', 'rotation', 'consul/prod/web');
    const underscored = reportStateKey('prod-east', 'rotation', 'consul_prod_web');
    expect(slashed).toMatch(/^state\/prod-east\/rotation\/consul_prod_web-[0-9a-f]{8}\.json$/);
    expect(underscored).toBe('state/prod-east/rotation/consul_prod_web.json');
    expect(slashed).not.toBe(underscored);
  });

  it('reads a scoped state only for its own scope', async () => {
    const state = { version: 1, feature: 'rotation', cluster: 'prod-east', scope: 'web', fingerprint: 'clear', findings: {}, complete: true, lastOutcome: 'succeeded', lastRunAt: '2026-03-05T10:00:00.000Z' };
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'state/prod-east/rotation/web.json' }] });
    s3.on(GetObjectCommand).resolves({ Body: { transformToString: () => Promise.resolve(JSON.stringify(state)) } as never });
    await expect(store().loadState({ cluster: 'prod-east', feature: 'rotation', scope: 'web' })).resolves.toEqual(state);
    expect(s3).toHaveReceivedCommandWith(GetObjectCommand, { Bucket: 'b', Key: 'state/prod-east/rotation/web.json' });
  });

  it('treats a missing state as the first run, checking with a prefix-scoped listing', async () => {
    s3.on(ListObjectsV2Command).resolves({ Contents: [] });
    await expect(store().loadState({ cluster: 'prod-east', feature: 'backup' })).resolves.toBeUndefined();
    expect(s3).toHaveReceivedCommandWith(ListObjectsV2Command, { Bucket: 'b', Prefix: 'state/prod-east/backup.json', MaxKeys: 1 });
    expect(s3).not.toHaveReceivedCommand(GetObjectCommand);
  });

  it('refuses a state that is not one, naming the object to delete', async () => {
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'state/prod-east/backup.json' }] });
    s3.on(GetObjectCommand).resolves({ Body: { transformToString: () => Promise.resolve('{"version":2}') } as never });
    await expect(store().loadState({ cluster: 'prod-east', feature: 'backup' })).rejects.toBeInstanceOf(ReportStateInvalidError);
  });

  it('wraps S3 errors in REPORT_STORE_FAILED', async () => {
    s3.on(PutObjectCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
    await expect(store().saveReport({ feature: 'backup', cluster: 'prod-east', severity: 'info', title: 't', summary: [], findings: [], occurredAt: '2026-03-05T10:00:00.000Z' })).rejects.toMatchObject({
      code: 'REPORT_STORE_FAILED',
      message: 'S3 PutObject of reports/prod-east/backup/20260305T100000.000Z.json in bucket b failed: AccessDenied: Access Denied',
    });
  });
});
