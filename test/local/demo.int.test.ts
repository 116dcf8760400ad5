/**
 * `npm run demo` (README's first command) keeps working: every job runs once against the local stack and prints
 * what an operator would see.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

describe('npm run demo', () => {
  it('runs every job once with the real handler and CLI code, and says where to look next', () => {
    // Act
    const run = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), '--no-warnings', 'local/demo.ts'], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });

    // Assess
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    // eslint-disable-next-line no-control-regex -- strips the terminal colour codes the demo prints
    const text = run.stdout.replace(/\x1b\[[0-9;]*m/g, '');
    for (let n = 1; n <= 10; n++) expect(text).toMatch(new RegExp(`^${n}\\. `, 'm'));
    expect(text).toMatch(/Subject: \[INFO\] demo: backup ok/);
    expect(text).toMatch(/config\/payments\/ keys now: 0\n[\s\S]*config\/payments\/ keys now: 3/);
    expect(text).toContain('tokens-after-restore pass');
    expect(text).toMatch(/new token [0-9a-f-]{36} is AWSCURRENT/);
    expect(text).toContain('[CRITICAL] wildcard-source-allow: * -> *');
    expect(text).toContain('[CRITICAL] proxy-leaf-expired');
    expect(text).toMatch(/│ \(colour #[0-9A-F]{6}\)/);
    expect(text).toMatch(/^ {3}Type +Count +Size\n {3}---- +---- +----\n(?: {3}\S+ +\d+ +\S+\n)+ {3}---- +---- +----\n {3}Total +\S+\n/m);
    expect(text).toMatch(/^ {3}config +4 +\S+B$/m);
    expect(text).toContain('[HIGH] demo: backup ok, content drop (2 findings)');
    expect(text).toContain('HIGH KV entries 5 → 1 (−80 %) under `config/`');
    expect(text).toMatch(/- config\/payments\/currency[\s\S]*Applied: 4 created, 0 updated, 0 deleted/);
    expect(text).toContain('Acknowledged the content drop of demo');
    expect(text).toContain('Where to look next in README.md');
  });
});
