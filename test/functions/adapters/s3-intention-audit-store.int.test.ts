/**
 * The intention audit's S3 side against radosgw: the document under reports/<cluster>/intentions/, the report state
 * beside the other features' state, and no second report object.
 */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { ConsulApi } from '../../../functions/adapters/consul/api';
import { ConsulHttpClient } from '../../../functions/adapters/consul/client';
import { ConsulIntentionSource } from '../../../functions/adapters/consul/intention-source';
import { staticTokenSource } from '../../../functions/adapters/consul/settings';
import { intentionAuditKey, S3IntentionAuditStore } from '../../../functions/adapters/s3-intention-audit-store';
import { S3ReportState } from '../../../functions/adapters/s3-report-state';
import { runIntentionAuditJob } from '../../../functions/core/intentions/job';
import { publishReport } from '../../../functions/core/report/publish';
import type { IntentionAuditDocument } from '../../../functions/core/intentions/ports';
import type { Notification } from '../../../functions/core/report/report';
import { startConsulSimulator, type ConsulSimulator } from '../../../local/consul-simulator';
import { createTestBucket } from '../../helpers/s3';

describe('S3IntentionAuditStore (radosgw) with runIntentionAudit', () => {
  let sim: ConsulSimulator;
  let http: ConsulHttpClient;
  let s3: S3Client;
  let bucket: string;

  beforeAll(async () => {
    sim = await startConsulSimulator({ defaultPolicy: 'allow' });
    sim.state.setConfigEntry({ Kind: 'service-intentions', Name: 'db', Sources: [{ Name: '*', Action: 'allow' }] });
    http = new ConsulHttpClient({ settings: { addresses: [sim.url], tls: { verify: true } }, token: staticTokenSource(sim.managementToken.secretId) });
    ({ s3, bucket } = await createTestBucket({ versioning: true }));
  });
  afterAll(async () => {
    await http.close();
    await sim.stop();
  });

  async function read(key: string): Promise<string> {
    return (await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body?.transformToString('utf8')) ?? '';
  }

  it('stores the document at reports/<cluster>/intentions/<timestamp>.json and the dedupe state, and links them', async () => {
    // Prepare
    const published: Notification[] = [];
    const at = new Date('2026-03-05T10:00:00.123Z');
    const deps = { consul: new ConsulIntentionSource(new ConsulApi(http)), store: new S3IntentionAuditStore({ client: s3, bucket }), now: () => at };
    const reports = { store: new S3ReportState({ client: s3, bucket }), publisher: { publish: (n: Notification) => Promise.resolve({ messageId: `m-${published.push(n)}` }) }, now: () => at };
    const audit = async (now: Date) => {
      const outcome = await runIntentionAuditJob({ ...deps, now: () => now }, { cluster: 'int-audit' });
      if (!outcome.ok) throw outcome.error;
      return { ...outcome.result, publish: await publishReport(reports, outcome.report!) };
    };

    // Act
    const first = await audit(at);
    const second = await audit(new Date(at.getTime() + 3_600_000));

    // Assess
    const key = 'reports/int-audit/intentions/20260305T100000.123Z.json';
    expect(intentionAuditKey(first.document)).toBe(key);
    expect(first.documentUrl).toBe(`s3://${bucket}/${key}`);
    const stored = JSON.parse(await read(key)) as IntentionAuditDocument;
    expect(stored).toEqual(JSON.parse(JSON.stringify(first.document)));
    expect(stored.findings.map((f) => f.check)).toEqual(['default-allow', 'wildcard-source-allow']);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'reports/int-audit/' }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual([key, 'reports/int-audit/intentions/20260305T110000.123Z.json']);
    expect(JSON.parse(await read('state/int-audit/intentions.json'))).toMatchObject({ feature: 'intentions', cluster: 'int-audit', complete: true });
    expect(published).toHaveLength(1);
    expect(published[0].body).toContain(`Full report: s3://${bucket}/${key}`);
    expect(second.publish.notified).toBe(false);
  });

  it('fails with a typed error naming the key when the bucket is missing', async () => {
    const store = new S3IntentionAuditStore({ client: s3, bucket: `${bucket}-missing` });
    const document = { cluster: 'int-audit', scannedAt: '2026-03-05T10:00:00.000Z' } as IntentionAuditDocument;
    await expect(store.saveAudit(document)).rejects.toMatchObject({ code: 'REPORT_STORE_FAILED', message: expect.stringContaining('reports/int-audit/intentions/20260305T100000.000Z.json') });
  });
});
