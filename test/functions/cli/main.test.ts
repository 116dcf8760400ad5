import { buildProgram, exitCodeFor, main } from '../../../functions/cli/main';
import type { CommandSpec } from '../../../functions/cli/command';
import { ConsulOpsError } from '../../../functions/core/shared/errors';
import { CaptureStream } from '../../helpers/capture';

function io() {
  return { stdout: new CaptureStream(), stderr: new CaptureStream(), env: {}, interactive: false };
}

async function run(spec: CommandSpec, argv: string[]) {
  const streams = io();
  let code = 0;
  const program = buildProgram(streams, (c) => (code = c), [spec]);
  try {
    await program.parseAsync(['node', 'consul-ops', ...argv]);
  } catch (err) {
    code = (err as { code?: string }).code === 'commander.helpDisplayed' ? 0 : 2;
  }
  return { code, stdout: streams.stdout.text, stderr: streams.stderr.text };
}

const findingsCommand: CommandSpec = {
  name: 'fake-check',
  summary: 'a test command with findings',
  configure: (c) => c.option('--severity <s>', 'severity of the one finding', 'medium'),
  run: async (options) => {
    const severity = (options as { severity: 'medium' | 'critical' }).severity;
    return { data: { findings: [{ severity }] }, text: `1 ${severity} finding`, findings: [{ severity }] };
  },
};

const failingCommand: CommandSpec = {
  name: 'fake-fail',
  summary: 'a test command that fails',
  configure: () => undefined,
  run: async () => {
    throw new ConsulOpsError('CONSUL_UNREACHABLE', 'cannot reach Consul at http://127.0.0.1:1', 'Check CONSUL_HTTP_ADDR.');
  },
};

describe('consul-ops CLI frame', () => {
  it('prints text by default and one JSON document with --json', async () => {
    // Act
    const text = await run(findingsCommand, ['fake-check']);
    const json = await run(findingsCommand, ['fake-check', '--json']);

    // Assess
    expect(text.stdout).toBe('1 medium finding\n');
    expect(JSON.parse(json.stdout)).toEqual({ findings: [{ severity: 'medium' }] });
  });

  it.each([
    { severity: 'medium', failOn: undefined, code: 0 },
    { severity: 'critical', failOn: undefined, code: 1 },
    { severity: 'medium', failOn: 'medium', code: 1 },
    { severity: 'medium', failOn: 'low', code: 1 },
    { severity: 'critical', failOn: 'critical', code: 1 },
  ])('exits $code for a $severity finding with --fail-on $failOn', async ({ severity, failOn, code }) => {
    // Act
    const result = await run(findingsCommand, ['fake-check', '--severity', severity, ...(failOn ? ['--fail-on', failOn] : [])]);

    // Assess
    expect(result.code).toBe(code);
  });

  it('exits 2 with one line naming the problem and the remedy on an operational error', async () => {
    // Act
    const result = await run(failingCommand, ['fake-fail']);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('consul-ops: cannot reach Consul at http://127.0.0.1:1 — Check CONSUL_HTTP_ADDR.\n');
    expect(result.stdout).toBe('');
  });

  it('also prints the error as JSON on stdout with --json', async () => {
    // Act
    const result = await run(failingCommand, ['fake-fail', '--json']);

    // Assess
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toEqual({
      error: { code: 'CONSUL_UNREACHABLE', message: 'cannot reach Consul at http://127.0.0.1:1', remedy: 'Check CONSUL_HTTP_ADDR.', context: {} },
    });
  });

  it('rejects an unknown --fail-on value as a usage error', async () => {
    // Act
    const result = await run(findingsCommand, ['fake-check', '--fail-on', 'severe']);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("argument 'severe' is invalid");
  });

  it('shows --json and --fail-on in every command help', async () => {
    // Act
    const result = await run(findingsCommand, ['fake-check', '--help']);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--json');
    expect(result.stdout).toContain('--fail-on <severity>');
  });
});

describe('main', () => {
  it('exits 0 for --help and lists the exit codes', async () => {
    // Prepare
    const streams = io();

    // Act
    const code = await main(['node', 'consul-ops', '--help'], streams);

    // Assess
    expect(code).toBe(0);
    expect(streams.stdout.text).toContain('Exit codes: 0 success, 1 findings');
  });

  it('exits 2 for an unknown command', async () => {
    // Prepare
    const streams = io();

    // Act
    const code = await main(['node', 'consul-ops', 'no-such-command'], streams, [findingsCommand]);

    // Assess
    expect(code).toBe(2);
    expect(streams.stderr.text).toContain("unknown command 'no-such-command'");
  });
});

describe('exitCodeFor', () => {
  it('is 0 for a result without findings', () => {
    expect(exitCodeFor({ data: {}, text: '' }, 'info')).toBe(0);
  });
});
