import type { CommandSpec } from './command';

/**
 * Every `consul-ops` sub-command, in the order `--help` lists them. Each lives in its own file under
 * `functions/cli/commands/` and calls the same core workflow as its Lambda handler.
 */
export const COMMANDS: readonly CommandSpec[] = [];
