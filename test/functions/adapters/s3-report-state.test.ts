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

  it('treats a missing state as the first run, checking with a prefix-scoped listing', async () => {
    s3.on(ListObjectsV2Command).resolves({ Contents: [] });
    await expect(store().loadState('prod-east', 'backup')).resolves.toBeUndefined();
    expect(s3).toHaveReceivedCommandWith(ListObjectsV2Command, { Bucket: 'b', Prefix: 'state/prod-east/backup.json', MaxKeys: 1 });
    expect(s3).not.toHaveReceivedCommand(GetObjectCommand);
  });

  it('refuses a state that is not one, naming the object to delete', async () => {
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'state/prod-east/backup.json' }] });
    s3.on(GetObjectCommand).resolves({ Body: { transformToString: () => Promise.resolve('{"version":2}') } as never });
    await expect(store().loadState('prod-east', 'backup')).rejects.toBeInstanceOf(ReportStateInvalidError);
  });

  it('wraps S3 errors in REPORT_STORE_FAILED', async () => {
    s3.on(PutObjectCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
    await expect(store().saveReport({ feature: 'backup', cluster: 'prod-east', severity: 'info', title: 't', summary: [], findings: [], occurredAt: '2026-03-05T10:00:00.000Z' })).rejects.toMatchObject({
      code: 'REPORT_STORE_FAILED',
      message: 'S3 PutObject of reports/prod-east/backup/20260305T100000.000Z.json in bucket b failed: AccessDenied: Access Denied',
    });
  });
});
