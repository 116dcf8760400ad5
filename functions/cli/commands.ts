import type { CommandSpec } from './command';
import { ackDropCommand } from './commands/ack-drop';
import { auditIntentionsCommand } from './commands/audit-intentions';
import { backupCommand } from './commands/backup';
import { checkCertsCommand } from './commands/check-certs';
import { diffCommand } from './commands/diff';
import { inspectCommand } from './commands/inspect';
import { listCommand } from './commands/list';
import { pruneCommand } from './commands/prune';
import { restoreCommand } from './commands/restore';
import { restoreKvCommand } from './commands/restore-kv';
import { rotateTokenCommand } from './commands/rotate-token';

/**
 * Every `consul-ops` sub-command, in the order `--help` lists them. Each lives in its own file under
 * `functions/cli/commands/` and calls the same core workflow as its Lambda handler.
 */
export const COMMANDS: readonly CommandSpec[] = [
  backupCommand as CommandSpec,
  listCommand as CommandSpec,
  inspectCommand as CommandSpec,
  diffCommand as CommandSpec,
  pruneCommand as CommandSpec,
  ackDropCommand as CommandSpec,
  restoreCommand as CommandSpec,
  restoreKvCommand as CommandSpec,
  auditIntentionsCommand as CommandSpec,
  rotateTokenCommand as CommandSpec,
  checkCertsCommand as CommandSpec,
];
