import { Command, CommanderError, Option } from 'commander';
import type { Writable } from 'node:stream';
import { InvalidInputError, summarizeError, type ErrorSummary } from '../core/shared/errors';
import { atLeast, isSeverity, SEVERITIES, type Severity } from '../core/shared/severity';
import type { CliContext, CommandResult, CommandSpec, CommonOptions } from './command';
import { COMMANDS } from './commands';

/** Exit codes of every `consul-ops` command. */
export const EXIT = {
  /** Success, and no finding at or above `--fail-on`. */
  ok: 0,
  /** The command ran, and found something at or above `--fail-on`. */
  findings: 1,
  /** Operational error: bad input, Consul or AWS unreachable, a refused operation. One line on stderr says why. */
  error: 2,
} as const;

/** Where the CLI writes and what it reads; tests pass their own. */
export interface CliIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: NodeJS.ProcessEnv;
  readonly interactive: boolean;
}

const DEFAULT_FAIL_ON: Severity = 'high';

/**
 * Runs the CLI and resolves with the process exit code. Never calls `process.exit`, never throws.
 *
 * @example
 * process.exitCode = await main(process.argv);
 */
export async function main(
  argv: readonly string[],
  io: CliIo = processIo(),
  commands: readonly CommandSpec[] = COMMANDS,
): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  }, commands);
  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version are successes; anything commander rejects is a usage error.
      const ok = err.code === 'commander.helpDisplayed' || err.code === 'commander.version';
      return ok ? EXIT.ok : EXIT.error;
    }
    reportError(err, io, false);
    return EXIT.error;
  }
  return exitCode;
}

/** Builds the commander program with every command; exported for tests of the frame itself. */
export function buildProgram(io: CliIo, setExitCode: (code: number) => void, commands: readonly CommandSpec[]): Command {
  const program = new Command('consul-ops')
    .description('Back up, restore and audit HashiCorp Consul clusters (the CLI side of the consul-ops CDK app).')
    .version(packageVersion(), '-V, --version')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .addHelpText(
      'after',
      [
        '',
        'Exit codes: 0 success, 1 findings at or above --fail-on, 2 operational error (one line on stderr).',
        'Consul settings come from CONSUL_HTTP_ADDR (comma-separated for failover), CONSUL_HTTP_TOKEN, CONSUL_CACERT,',
        'CONSUL_CLIENT_CERT/KEY, CONSUL_TLS_SERVER_NAME, CONSUL_HTTP_SSL_VERIFY; AWS settings from the SDK environment',
        '(AWS_REGION, credentials, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_SNS, AWS_ENDPOINT_URL_SECRETS_MANAGER).',
      ].join('\n'),
    );
  for (const spec of commands) {
    const command = program.command(spec.name).description(spec.summary);
    spec.configure(command);
    command
      .option('--json', 'print one JSON document on stdout instead of text')
      .addOption(
        new Option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity')
          .choices([...SEVERITIES])
          .default(DEFAULT_FAIL_ON),
      )
      .action(async (...actionArgs: unknown[]) => {
        const cmd = actionArgs[actionArgs.length - 1] as Command;
        setExitCode(await runCommand(spec, cmd.opts<CommonOptions>(), cmd.args, io));
      });
  }
  return program;
}

async function runCommand(spec: CommandSpec, options: CommonOptions, args: readonly string[], io: CliIo): Promise<number> {
  const json = options.json === true;
  try {
    const failOn = options.failOn ?? DEFAULT_FAIL_ON;
    if (!isSeverity(failOn)) throw new InvalidInputError('--fail-on', `"${failOn}" is not a severity`, SEVERITIES.join('|'));
    const context: CliContext = { json, failOn, env: io.env, stdout: io.stdout, stderr: io.stderr, interactive: io.interactive && !json };
    const result = await spec.run(options, context, args);
    printResult(result, json, io.stdout);
    return exitCodeFor(result, failOn);
  } catch (err) {
    reportError(err, io, json);
    return EXIT.error;
  }
}

/** 1 when any finding reaches `failOn`, else 0. */
export function exitCodeFor(result: CommandResult, failOn: Severity): number {
  return (result.findings ?? []).some((f) => atLeast(f.severity, failOn)) ? EXIT.findings : EXIT.ok;
}

function printResult(result: CommandResult, json: boolean, stdout: Writable): void {
  if (json) stdout.write(`${result.jsonText ?? JSON.stringify(result.data, null, 2)}\n`);
  else stdout.write(`${result.text.replace(/\n$/, '')}\n`);
}

/** Prints an error as one line on stderr (and, with --json, as a JSON document on stdout). */
export function reportError(err: unknown, io: Pick<CliIo, 'stdout' | 'stderr' | 'env'>, json: boolean): ErrorSummary {
  const summary = summarizeError(err);
  const line = `consul-ops: ${summary.message}${summary.remedy ? ` — ${summary.remedy}` : ''}`.replace(/\s*\n\s*/g, ' ');
  io.stderr.write(`${line}\n`);
  if (io.env.CONSUL_OPS_DEBUG === '1' && err instanceof Error && err.stack) io.stderr.write(`${err.stack}\n`);
  if (json) io.stdout.write(`${JSON.stringify({ error: summary }, null, 2)}\n`);
  return summary;
}

function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, interactive: Boolean(process.stderr.isTTY) };
}

function packageVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../../package.json') as { version: string }).version;
}
