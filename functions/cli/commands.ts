import type { CommandSpec } from './command';
import { backupCommand } from './commands/backup';
import { listCommand } from './commands/list';
import { pruneCommand } from './commands/prune';
import { restoreCommand } from './commands/restore';

/**
 * Every `consul-ops` sub-command, in the order `--help` lists them. Each lives in its own file under
 * `functions/cli/commands/` and calls the same core workflow as its Lambda handler.
 */
export const COMMANDS: readonly CommandSpec[] = [backupCommand as CommandSpec, listCommand as CommandSpec, pruneCommand as CommandSpec, restoreCommand as CommandSpec];
