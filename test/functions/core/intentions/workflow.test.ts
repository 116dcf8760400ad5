/**
 * runIntentionAudit against the Consul simulator over HTTP (the real ConsulIntentionSource and client), with an
 * in-memory document store and report path. One scenario per finding, and a clean mesh.
 */
import { ConsulApi } from '../../../../functions/adapters/consul/api';
import { ConsulHttpClient } from '../../../../functions/adapters/consul/client';
import { staticTokenSource } from '../../../../functions/adapters/consul/settings';
import { ConsulIntentionSource } from '../../../../functions/adapters/consul/intention-source';
import { parseIntentionBaseline, type IntentionBaseline } from '../../../../functions/core/intentions/baseline';
import { runIntentionAudit } from '../../../../functions/core/intentions/workflow';
import { runIntentionAuditJob } from '../../../../functions/core/intentions/job';
import type { IntentionAuditDocument, IntentionAuditStore } from '../../../../functions/core/intentions/ports';
import type { Notification } from '../../../../functions/core/report/report';
import type { ReportState } from '../../../../functions/core/report/dedupe';
import { publishReport, type ReportDeps } from '../../../../functions/core/report/publish';
import { startConsulSimulator, type ConsulSimulator } from '../../../../local/consul-simulator';
import type { ConsulSimulatorOptions } from '../../../../local/consul-simulator';
import { EDGE_CONSUL_PROFILES } from '../../../helpers/consul-versions';

const T0 = new Date('2026-03-05T10:00:00.000Z');
const clients: ConsulHttpClient[] = [];
const sims: ConsulSimulator[] = [];
/** The Consul version of the profile under test (each `describe.each` block sets it). */
let consulVersion: string;

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(sims.map((s) => s.stop()));
});

async function simulator(options: ConsulSimulatorOptions = {}): Promise<{ sim: ConsulSimulator; source: ConsulIntentionSource }> {
  const sim = await startConsulSimulator({ consulVersion, ...options });
  const http = new ConsulHttpClient({ settings: { addresses: [sim.url], tls: { verify: true } }, token: staticTokenSource(sim.managementToken.secretId || undefined), retry: { maxAttempts: 1 } });
  sims.push(sim);
  clients.push(http);
  return { sim, source: new ConsulIntentionSource(new ConsulApi(http)) };
}

function intentions(sim: ConsulSimulator, destination: string, sources: Record<string, unknown>[]): void {
  sim.state.setConfigEntry({ Kind: 'service-intentions', Name: destination, Sources: sources });
}

async function audit(source: ConsulIntentionSource, baseline?: IntentionBaseline): Promise<IntentionAuditDocument> {
  return (await runIntentionAudit({ consul: source, now: () => T0 }, { cluster: 'demo', baseline })).document;
}

const lines = (d: IntentionAuditDocument) => d.findings.map((f) => `${f.check} ${f.severity} ${f.subject}`);

/** A small default-deny mesh and its baseline. */
function seedCleanMesh(sim: ConsulSimulator): IntentionBaseline {
  intentions(sim, 'api', [{ Name: 'web', Action: 'allow' }]);
  intentions(sim, 'db', [{ Name: 'api', Action: 'allow' }, { Name: '*', Action: 'deny' }]);
  intentions(sim, 'billing', [
    { Name: 'web', Permissions: [{ Action: 'allow', HTTP: { PathPrefix: '/v1/', Methods: ['get', 'POST'], Header: [{ Name: 'X-Tenant', Present: true }, { Name: 'x-debug', Exact: '0' }] } }] },
  ]);
  sim.state.setConfigEntry({ Kind: 'proxy-defaults', Name: 'global', MutualTLSMode: 'strict' });
  return parseIntentionBaseline({
    defaultPolicy: 'deny',
    intentions: [
      { source: 'web', destination: 'api' },
      { source: 'api', destination: 'db' },
      { source: '*', destination: 'db', action: 'deny' },
      // Same rule as live, spelt differently: method case/order, header order and name case, a "/" prefix elsewhere.
      { source: 'web', destination: 'billing', permissions: [{ action: 'allow', http: { pathPrefix: '/v1/', methods: ['POST', 'GET'], header: [{ name: 'X-Debug', exact: '0' }, { name: 'x-tenant', present: true }] } }] },
    ],
  });
}

describe.each(EDGE_CONSUL_PROFILES)('Consul %s', (version) => {
  beforeAll(() => {
    consulVersion = version;
  });

  describe('runIntentionAudit against the Consul simulator', () => {
    it('finds nothing in a clean default-deny mesh, and never asks /v1/connect/intentions/check', async () => {
      // Prepare
      const { sim, source } = await simulator({ defaultPolicy: 'deny' });
      const baseline = seedCleanMesh(sim);

      // Act
      const document = await audit(source, baseline);

      // Assess
      expect(document.findings).toEqual([]);
      expect(document).toMatchObject({
        version: 1,
        cluster: 'demo',
        datacenter: 'dc1',
        consulVersion: version,
        scannedAt: T0.toISOString(),
        effectiveDefault: 'deny',
        defaults: { policy: 'deny', decidedBy: 'acl.default_policy', aclsEnabled: true, aclDefaultPolicy: 'deny', defaultIntentionPolicy: null, headerDefaultAclPolicy: 'deny', wildcardDeny: false },
        baseline: { intentions: 4, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
        inputs: { intentions: 4, mutualTlsSettings: 1 },
        counts: { info: 0, low: 0, medium: 0, high: 0, critical: 0 },
      });
      expect(Object.keys(document.inputs.indexes).sort()).toEqual(['connect-intentions', 'proxy-defaults', 'service-defaults', 'service-intentions']);
      expect(sim.requests.some((r) => r.path.startsWith('/v1/connect/intentions/check'))).toBe(false);
    });

    it.each([
      { name: 'an ACL default of allow', options: { defaultPolicy: 'allow' as const }, expected: ['default-allow critical cluster'] },
      { name: 'ACLs disabled', options: { aclsEnabled: false }, expected: ['acls-disabled critical cluster', 'default-allow critical cluster'] },
    ])('reports $name', async ({ options, expected }) => {
      const { source } = await simulator(options);
      expect(lines(await audit(source))).toEqual(expected);
    });

    it('takes default_intention_policy from the agent config, where /v1/connect/intentions/check still says allowed (#23868)', async () => {
      // Prepare
      const { sim, source } = await simulator({ defaultPolicy: 'allow', defaultIntentionPolicy: 'deny', consulVersion: '1.18.2' });
      const check = await fetch(`${sim.url}/v1/connect/intentions/check?source=web&destination=db`, { headers: { 'X-Consul-Token': sim.managementToken.secretId } });

      // Act
      const document = await audit(source);

      // Assess
      expect(await check.json()).toEqual({ Allowed: true });
      expect(document.effectiveDefault).toBe('deny');
      expect(document.defaults).toMatchObject({ decidedBy: 'default_intention_policy', defaultIntentionPolicy: 'deny', aclDefaultPolicy: 'allow', headerDefaultAclPolicy: 'allow' });
      expect(lines(document)).toEqual(['default-policy-mismatch medium cluster']);
    });

    it('reports wildcard allows: * sources as critical, * destinations as high', async () => {
      // Prepare
      const { sim, source } = await simulator();
      intentions(sim, 'db', [{ Name: '*', Action: 'allow' }]);
      intentions(sim, '*', [{ Name: 'monitoring', Action: 'allow' }, { Name: '*', Action: 'deny' }]);

      // Act + Assess
      expect(lines(await audit(source))).toEqual(['wildcard-source-allow critical * -> db', 'wildcard-destination-allow high monitoring -> *']);
    });

    it('reports drift from the baseline: unexpected, missing and changed intentions', async () => {
      // Prepare
      const { sim, source } = await simulator();
      intentions(sim, 'api', [{ Name: 'web', Action: 'deny' }, { Name: 'ops', Action: 'allow' }, { Name: 'scanner', Action: 'deny' }]);
      intentions(sim, 'billing', [{ Name: 'web', Permissions: [{ Action: 'allow', HTTP: { PathPrefix: '/v2/' } }] }]);
      const baseline = parseIntentionBaseline({
        intentions: [
          { source: 'web', destination: 'api' },
          { source: 'web', destination: 'cache' },
          { source: 'batch', destination: 'db', action: 'deny' },
          { source: 'web', destination: 'billing', permissions: [{ action: 'allow', http: { pathPrefix: '/v1/' } }] },
        ],
      });

      // Act
      const document = await audit(source, baseline);

      // Assess
      expect(lines(document)).toEqual([
        'changed high web -> api',
        'changed high web -> billing',
        'unexpected-allow high ops -> api',
        'missing-allow medium web -> cache',
        'missing-deny low batch -> db',
        'unexpected-deny info scanner -> api',
      ]);
      expect(document.findings[0].message).toBe('web -> api differs from the baseline: baseline allow, live deny.');
    });

    it('reports a missing deny that shadowed a wildcard allow as high', async () => {
      // Prepare
      const { sim, source } = await simulator();
      intentions(sim, 'db', [{ Name: '*', Action: 'allow' }]);
      const baseline = parseIntentionBaseline({ intentions: [{ source: '*', destination: 'db', action: 'allow' }, { source: 'batch', destination: 'db', action: 'deny' }] });

      // Act + Assess
      expect(lines(await audit(source, baseline))).toEqual(['wildcard-source-allow critical * -> db', 'missing-deny high batch -> db']);
    });

    it('reports a source rule shadowed by a higher-precedence destination rule', async () => {
      // Prepare
      const { sim, source } = await simulator();
      intentions(sim, '*', [{ Name: 'backup', Action: 'deny' }]);
      intentions(sim, 'vault', [{ Name: '*', Action: 'allow' }]);

      // Act
      const document = await audit(source);

      // Assess
      expect(lines(document)).toEqual(['wildcard-source-allow critical * -> vault', 'shadowed medium backup -> *']);
      expect(document.findings[1].message).toContain('backup -> * deny (precedence 6) does not decide traffic to vault (* -> vault allow)');
    });

    it('reports permissive mTLS in the mesh, proxy-defaults and service-defaults entries', async () => {
      // Prepare
      const { sim, source } = await simulator();
      sim.state.setConfigEntry({ Kind: 'mesh', AllowEnablingPermissiveMutualTLS: true });
      sim.state.setConfigEntry({ Kind: 'proxy-defaults', Name: 'global', MutualTLSMode: 'permissive' });
      sim.state.setConfigEntry({ Kind: 'service-defaults', Name: 'legacy-app', Protocol: 'http', MutualTLSMode: 'permissive' });
      sim.state.setConfigEntry({ Kind: 'service-defaults', Name: 'web', Protocol: 'http' });

      // Act + Assess
      expect(lines(await audit(source))).toEqual(['permissive-mtls high mesh', 'permissive-mtls high proxy-defaults/global', 'permissive-mtls high service-defaults/legacy-app']);
    });

    it('gives the same result hash for the same state written in another order', async () => {
      // Prepare
      const a = await simulator();
      const b = await simulator();
      intentions(a.sim, 'db', [{ Name: 'web', Action: 'allow' }, { Name: '*', Action: 'allow' }]);
      intentions(a.sim, 'api', [{ Name: 'ops', Action: 'allow' }]);
      intentions(b.sim, 'api', [{ Name: 'ops', Action: 'allow' }]);
      intentions(b.sim, 'db', [{ Name: '*', Action: 'allow' }, { Name: 'web', Action: 'allow' }]);
      const baseline = parseIntentionBaseline({ intentions: [{ source: 'web', destination: 'db' }] });

      // Act
      const [first, second] = [await audit(a.source, baseline), await audit(b.source, baseline)];

      // Assess
      expect(second.resultHash).toBe(first.resultHash);
      expect(lines(second)).toEqual(['wildcard-source-allow critical * -> db', 'unexpected-allow high * -> db', 'unexpected-allow high ops -> api']);
    });

    describe('storing and reporting', () => {
      function reportDeps() {
        const published: Notification[] = [];
        const saved: unknown[] = [];
        let state: ReportState | undefined;
        const deps: ReportDeps = {
          store: {
            saveReport: (r) => Promise.resolve(void saved.push(r)),
            loadState: () => Promise.resolve(state),
            saveState: (s) => Promise.resolve(void (state = s)),
          },
          publisher: { publish: (n) => Promise.resolve({ messageId: `m-${published.push(n)}` }) },
          now: () => T0,
        };
        return { deps, published, saved };
      }

      it('stores the document, links it from the report instead of writing a second object, and dedupes the next run', async () => {
        // Prepare
        const { sim, source } = await simulator({ defaultPolicy: 'allow' });
        intentions(sim, 'db', [{ Name: '*', Action: 'allow' }]);
        const documents: IntentionAuditDocument[] = [];
        const store: IntentionAuditStore = { saveAudit: (d) => Promise.resolve(`s3://b/reports/demo/intentions/${documents.push(d)}.json`) };
        const { deps, published, saved } = reportDeps();

        // Act: the job, then the one report path, as the Lambda skeleton and the CLI run them
        const run = async () => {
          const outcome = await runIntentionAuditJob({ consul: source, store, now: () => T0 }, { cluster: 'demo' });
          if (!outcome.ok) throw outcome.error;
          return { ...outcome.result, publish: await publishReport(deps, outcome.report!) };
        };
        const first = await run();
        const second = await run();

        // Assess
        expect(first.documentUrl).toBe('s3://b/reports/demo/intentions/1.json');
        expect(first.publish).toMatchObject({ notified: true, reason: 'new', severity: 'critical', reportUrl: 's3://b/reports/demo/intentions/1.json' });
        expect(second.publish).toMatchObject({ notified: false, reason: 'quiet' });
        expect(saved).toEqual([]);
        expect(published).toHaveLength(1);
        expect(published[0].subject).toBe('[CRITICAL] demo: 2 intention findings');
        expect(published[0].body).toContain('Full report: s3://b/reports/demo/intentions/1.json');
        expect(published[0].body).toContain('Fix: Replace it with one allow intention per source that needs db');
        expect(published[0].attributes).toMatchObject({ feature: 'intentions', cluster: 'demo' });
      });

      it('still announces the findings when the document cannot be stored, and fails the run', async () => {
        // Prepare
        const { source } = await simulator({ defaultPolicy: 'allow' });
        const store: IntentionAuditStore = { saveAudit: () => Promise.reject(new Error('AccessDenied')) };
        const { deps, published } = reportDeps();

        // Act
        const outcome = await runIntentionAuditJob({ consul: source, store, now: () => T0 }, { cluster: 'demo' });
        await publishReport(deps, outcome.report!);

        // Assess
        expect(outcome.ok).toBe(false);
        expect(!outcome.ok && outcome.error).toMatchObject({ code: 'INTENTION_AUDIT_STORE_FAILED', message: expect.stringContaining('AccessDenied') });
        expect(published).toHaveLength(1);
        expect(published[0].subject).toBe('[CRITICAL] demo: 1 intention finding');
        expect(published[0].body).toContain('Full report: not stored');
      });
    });
  });
});
