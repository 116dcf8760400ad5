import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const BUNDLE = join(ROOT, 'dist', 'cli', 'main.js');

describe('bin/consul-ops.js', () => {
  beforeAll(() => {
    // What `npm ci` runs as the prepare script: the test checks the bundle of the sources under test.
    const built = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-cli.js')], { cwd: ROOT, encoding: 'utf8' });
    expect(built.stderr).toBe('');
    expect(built.status).toBe(0);
  });

  it('runs the prebuilt bundle without loading a TypeScript loader', () => {
    // Prepare: a probe that loads the bin as `node bin/consul-ops.js --help` would, then lists what was loaded
    const dir = mkdtempSync(join(tmpdir(), 'consul-ops-bin-'));
    const probe = join(dir, 'probe.js');
    writeFileSync(
      probe,
      `process.argv.splice(1, 1); process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(join(dir, 'loaded.json'))}, JSON.stringify(Object.keys(require.cache)))); require(${JSON.stringify(join(ROOT, 'bin', 'consul-ops.js'))});`,
    );

    // Act
    const run = spawnSync(process.execPath, [probe, join(ROOT, 'bin', 'consul-ops.js'), '--help'], { cwd: dir, encoding: 'utf8', env: { ...process.env, CONSUL_OPS_CLI_FROM_SOURCE: '' } });

    // Assess
    try {
      expect(run.status).toBe(0);
      expect(run.stdout).toMatch(/^Usage: consul-ops/m);
      expect(run.stdout).toMatch(/backup/);
      const loaded = JSON.parse(readFileSync(join(dir, 'loaded.json'), 'utf8')) as string[];
      // The bundle runs through bin/load-bundle.js with its V8 code cache (written by the build).
      expect(loaded).toContain(join(ROOT, 'bin', 'load-bundle.js'));
      expect(existsSync(`${BUNDLE}.cache`)).toBe(true);
      expect(loaded.filter((f) => f.includes(`${join('node_modules', 'tsx')}`) || f.endsWith('.ts'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives the same one-line usage error as the sources, with exit code 2', () => {
    // Act
    const run = spawnSync(process.execPath, [join(ROOT, 'bin', 'consul-ops.js'), 'no-such-command'], { cwd: ROOT, encoding: 'utf8' });

    // Assess
    expect(existsSync(BUNDLE)).toBe(true);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/unknown command 'no-such-command'/);
  });
});
