import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../functions/cli/main';
import { encodeSnapshotMeta, type SnapshotMeta } from '../../../functions/core/snapshot-archive';
import { writeSnapshotArchive } from '../../../local/consul-simulator/archive-writer';
import { CaptureStream } from '../../helpers/capture';
import { collect } from '../../helpers/in-memory-backups';
import { INSPECT_VARIANTS, STATE_BIN_FIXTURES } from '../../helpers/state-bin-fixtures';

const FIXTURES = join(__dirname, '../core/snapshot-contents/fixtures');
const DIR = mkdtempSync(join(tmpdir(), 'consul-ops-inspect-'));

/** The goldens Go produced (see the fixtures README), by fixture and variant. */
const GOLDENS = [
  ['typical', 'plain'],
  ['typical', 'kv'],
  ['typical', 'kv-depth0'],
  ['typical', 'kv-depth5'],
  ['typical', 'kv-filter-vault-core'],
  ['typical', 'kv-filter-none'],
  ['weird-keys', 'kv'],
  ['weird-keys', 'kv-depth0'],
  ['formats', 'kv'],
  ['ext', 'plain'],
  ['header-only', 'plain'],
] as const;

function metaOf(fixture: string, variant: string): Omit<SnapshotMeta, 'Size'> {
  const { Meta } = JSON.parse(readFileSync(join(FIXTURES, 'inspect', `${fixture}.${variant}.input.json`), 'utf8')) as { Meta: { ID: string; Index: number; Term: number; Version: number } };
  return { Version: Meta.Version, ID: Meta.ID, Index: Meta.Index, Term: Meta.Term, Peers: 'ka4xMjcuMC4wLjE6ODMwMA==', Configuration: { Servers: [] }, ConfigurationIndex: 1 };
}

/** The fixture as a Consul archive (`consul snapshot save` output) in a temp file. */
async function archiveFile(fixture: string, variant: string): Promise<string> {
  const state = STATE_BIN_FIXTURES[`${fixture}.bin`]();
  const path = join(DIR, `${fixture}-${variant}.snap`);
  writeFileSync(path, await collect(writeSnapshotArchive({ meta: metaOf(fixture, variant), state }, { mtime: new Date(0) })));
  return path;
}

function flagsOf(variant: string): string[] {
  const [, kvdetails, depth, filter] = INSPECT_VARIANTS.find(([name]) => name === variant)!;
  if (!kvdetails) return [];
  return ['--kvdetails', '--kvdepth', String(depth), ...(filter ? ['--kvfilter', filter] : [])];
}

async function cli(argv: string[]) {
  const stdout = new CaptureStream();
  const stderr = new CaptureStream();
  const code = await main(['node', 'consul-ops', ...argv], { stdout, stderr, env: {}, interactive: false });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe('consul-ops inspect FILE (golden: Go running consul snapshot inspect)', () => {
  it.each(GOLDENS)('%s %s: the pretty table, byte for byte', async (fixture, variant) => {
    // Prepare
    const file = await archiveFile(fixture, variant);
    const golden = readFileSync(join(FIXTURES, 'inspect', `${fixture}.${variant}.pretty.golden`), 'utf8');

    // Act
    const out = await cli(['inspect', file, ...flagsOf(variant)]);

    // Assess: Consul's UI adds the one newline after the formatter's output
    expect(out).toEqual({ code: 0, stdout: `${golden}\n`, stderr: '' });
  });

  it.each(GOLDENS)('%s %s: --json, byte for byte', async (fixture, variant) => {
    // Prepare
    const file = await archiveFile(fixture, variant);
    const golden = readFileSync(join(FIXTURES, 'inspect', `${fixture}.${variant}.json.golden`), 'utf8');

    // Act
    const out = await cli(['inspect', file, '--json', ...flagsOf(variant)]);

    // Assess
    expect(out).toEqual({ code: 0, stdout: `${golden}\n`, stderr: '' });
  });

  it('reads a bare state.bin with its meta.json beside it, as consul snapshot inspect does', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'consul-ops-inspect-raw-'));
    const state = STATE_BIN_FIXTURES['typical.bin']();
    writeFileSync(join(dir, 'state.bin'), state);
    writeFileSync(join(dir, 'meta.json'), encodeSnapshotMeta({ ...metaOf('typical', 'kv'), Size: state.length }));
    const golden = readFileSync(join(FIXTURES, 'inspect', 'typical.kv.pretty.golden'), 'utf8');

    // Act
    const out = await cli(['inspect', join(dir, 'state.bin'), '--kvdetails']);

    // Assess
    expect(out).toEqual({ code: 0, stdout: `${golden}\n`, stderr: '' });
  });

  it('prints the same as without --kvdetails when only --kvdepth is given, and says why on stderr', async () => {
    // Prepare
    const file = await archiveFile('typical', 'plain');

    // Act
    const out = await cli(['inspect', file, '--kvdepth', '3']);

    // Assess
    expect(out.stdout).toBe(`${readFileSync(join(FIXTURES, 'inspect', 'typical.plain.pretty.golden'), 'utf8')}\n`);
    expect(out.stderr).toBe('consul-ops: --kvdepth and --kvfilter take effect only with --kvdetails (as in consul snapshot inspect)\n');
  });

  it('fails in one line naming the record, its type, the offset and that SHA256SUMS matched', async () => {
    // Prepare: a verified archive whose state.bin ends inside its last record
    const state = STATE_BIN_FIXTURES['typical.bin']();
    const file = join(DIR, 'cut.snap');
    writeFileSync(file, await collect(writeSnapshotArchive({ meta: metaOf('typical', 'plain'), state: state.subarray(0, state.length - 5) }, { mtime: new Date(0) })));

    // Act
    const out = await cli(['inspect', file]);

    // Assess
    expect(out.code).toBe(2);
    expect(out.stdout).toBe('');
    expect(out.stderr).toMatch(/^consul-ops: state\.bin record \d+ \(\w+\) is malformed at byte \d+: [^\n]+; the archive's SHA256SUMS matched, so these are the bytes Consul wrote[^\n]* — The backup is intact and Consul can restore it[^\n]*\n$/);
  });

  it('refuses a damaged archive with Consul\'s own words', async () => {
    // Prepare
    const good = readFileSync(await archiveFile('typical', 'plain'));
    const file = join(DIR, 'damaged.snap');
    writeFileSync(file, good.subarray(0, good.length - 100));

    // Act
    const out = await cli(['inspect', file]);

    // Assess
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/^consul-ops: .*(unexpected EOF|truncated)/i);
  });

  it('wants a file or --bucket with --key, not both', async () => {
    const file = await archiveFile('typical', 'plain');
    expect((await cli(['inspect', file, '--bucket', 'b', '--key', 'k'])).stderr).toContain('give a file or --bucket with --key, not both');
    expect((await cli(['inspect'])).stderr).toContain('a snapshot to inspect is required');
  });
});
