import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { main } from '../../../functions/cli/main';
import { startConsulSimulator, type ConsulSimulator } from '../../../local/consul-simulator';
import { CaptureStream } from '../../helpers/capture';
import { EDGE_CONSUL_PROFILES } from '../../helpers/consul-versions';

describe.each(EDGE_CONSUL_PROFILES)('consul-ops audit-intentions (Consul %s)', (consulVersion) => {
  let sim: ConsulSimulator;
  let dir: string;

  beforeAll(async () => {
    sim = await startConsulSimulator({ consulVersion, defaultPolicy: 'deny' });
    sim.state.setConfigEntry({ Kind: 'service-intentions', Name: 'api', Sources: [{ Name: 'web', Action: 'allow' }, { Name: 'ops', Action: 'allow' }] });
    dir = mkdtempSync(path.join(tmpdir(), 'audit-intentions-'));
  });
  afterAll(() => sim.stop());

  function file(name: string, text: string): string {
    const p = path.join(dir, name);
    writeFileSync(p, text);
    return p;
  }

  async function run(...args: string[]) {
    const io = { stdout: new CaptureStream(), stderr: new CaptureStream(), env: { CONSUL_HTTP_ADDR: sim.url, CONSUL_HTTP_TOKEN: sim.managementToken.secretId }, interactive: false };
    const code = await main(['node', 'consul-ops', 'audit-intentions', ...args], io);
    return { code, stdout: io.stdout.text, stderr: io.stderr.text };
  }

  it('prints the effective default, the findings and the result hash with --json, and exits 1 on a high finding', async () => {
    // Prepare
    const baseline = file('baseline.yaml', 'intentions:\n  - { source: web, destination: api }\n');

    // Act
    const { code, stdout } = await run('--baseline', baseline, '--json');

    // Assess
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toEqual({
      effectiveDefault: 'deny',
      findings: [{ check: 'unexpected-allow', severity: 'high', subject: 'ops -> api', message: 'ops -> api allow is live but not in the baseline (precedence 9).' }],
      resultHash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it.each([
    { failOn: 'critical', code: 0 },
    { failOn: 'high', code: 1 },
    { failOn: 'info', code: 1 },
  ])('exits $code with --fail-on $failOn', async ({ failOn, code }) => {
    const baseline = file('fail-on.json', JSON.stringify({ intentions: [{ source: 'web', destination: 'api' }] }));
    expect((await run('--baseline', baseline, '--fail-on', failOn)).code).toBe(code);
  });

  it('prints findings with their fix for people, and no findings for a matching baseline', async () => {
    // Prepare
    const matching = file('matching.yaml', 'intentions:\n  - { source: web, destination: api }\n  - { source: ops, destination: api }\n');

    // Act
    const clean = await run('--baseline', matching, '--cluster', 'prod-east');
    const noBaseline = await run();

    // Assess
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain(`Intention audit of prod-east (datacenter dc1, Consul ${consulVersion}): 2 intention(s), baseline of 2.`);
    expect(clean.stdout).toContain('Effective default: deny (decided by acl.default_policy).');
    expect(clean.stdout).toContain('No findings.');
    expect(noBaseline.stdout).toContain('No findings.');
  });

  it('refuses an invalid baseline before talking to Consul (exit 2, every problem named)', async () => {
    // Prepare
    const before = sim.requests.length;
    const bad = file('bad.yaml', 'intentions:\n  - { source: web, destinaton: api }\n');

    // Act
    const { code, stderr } = await run('--baseline', bad);

    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain('intentions[0].destinaton: unknown field');
    expect(stderr).toContain('intentions[0].destination: is required');
    expect(sim.requests.length).toBe(before);
  });
});
