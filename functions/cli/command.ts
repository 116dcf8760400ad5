import type { Command } from 'commander';
import type { Writable } from 'node:stream';
import type { Severity } from '../core/shared/severity';

/** What one CLI command produces: a JSON document for `--json` and a text rendering for people. */
export interface CommandResult<T = unknown> {
  /** The document printed with `--json` (one JSON document on stdout). */
  readonly data: T;
  /** Human output, printed without `--json`. */
  readonly text: string;
  /**
   * The exact `--json` text when it must match another tool byte for byte (`inspect` prints Go's
   * `json.MarshalIndent` layout). @default - `data` as JSON with 2-space indentation
   */
  readonly jsonText?: string;
  /** Findings that decide the exit code against `--fail-on`; commands without findings leave this out. */
  readonly findings?: readonly { readonly severity: Severity }[];
}

/** Everything a command needs from its surroundings, so commands never touch `process` directly. */
export interface CliContext {
  readonly json: boolean;
  readonly failOn: Severity;
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** True when stderr is a terminal: progress lines are drawn only then, and never with `--json`. */
  readonly interactive: boolean;
}

/** The common options every command accepts, as commander parses them. */
export interface CommonOptions {
  readonly json?: boolean;
  readonly failOn?: string;
}

/**
 * One `consul-ops` sub-command. `configure` declares its arguments and options; `run` does the work through the
 * shared workflows in `functions/core` and returns a {@link CommandResult}. Errors are thrown, never printed.
 */
export interface CommandSpec<O extends CommonOptions = CommonOptions> {
  readonly name: string;
  readonly summary: string;
  configure(command: Command): void;
  run(options: O, context: CliContext, args: readonly string[]): Promise<CommandResult>;
}
