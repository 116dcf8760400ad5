import { INTENTION_AUDIT_FAILED_ID, runIntentionAuditJob } from '../../../../functions/core/intentions/job';
import type { IntentionAuditSnapshot } from '../../../../functions/core/intentions/ports';

const NOW = new Date('2026-11-21T12:00:00.000Z');
const STATE: IntentionAuditSnapshot = {
  datacenter: 'dc1',
  consulVersion: '1.21.2',
  agent: { aclsEnabled: true, aclDefaultPolicy: 'deny', headerDefaultAclPolicy: 'deny' },
  intentions: [],
  allowEnablingPermissiveMutualTLS: false,
  mutualTls: [],
  indexes: {},
};

describe('runIntentionAuditJob', () => {
  it('reports the audit and links the stored document', async () => {
    // Act
    const outcome = await runIntentionAuditJob({ consul: { readIntentionState: () => Promise.resolve(STATE) }, store: { saveAudit: () => Promise.resolve('s3://b/reports/c1/intentions/1.json') }, now: () => NOW }, { cluster: 'c1' });

    // Assess
    expect(outcome.ok).toBe(true);
    expect(outcome.report).toMatchObject({ feature: 'intentions', cluster: 'c1', title: 'intentions ok', reportUrl: 's3://b/reports/c1/intentions/1.json' });
  });

  it('reports one high finding when the cluster cannot be read, and fails', async () => {
    // Act
    const outcome = await runIntentionAuditJob({ consul: { readIntentionState: () => Promise.reject(new Error('connect ECONNREFUSED')) }, now: () => NOW }, { cluster: 'c1' });

    // Assess
    expect(outcome.ok).toBe(false);
    expect(outcome.report).toMatchObject({ severity: 'high', outcome: 'failed', title: 'intention audit failed', findings: [expect.objectContaining({ id: INTENTION_AUDIT_FAILED_ID, message: expect.stringContaining('ECONNREFUSED') })] });
  });
});
