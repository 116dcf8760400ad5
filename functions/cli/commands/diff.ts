import type { CommandSpec, CommonOptions } from '../command';
import { InvalidInputError } from '../../core/shared/errors';
import { diffSnapshotContents, formatSnapshotDiff, snapshotDiffToJson, type SnapshotContents } from '../../core/snapshot-contents';
import { decodeSnapshotInput, parseSnapshotInput } from '../snapshot-input';
import { integerFlag } from '../wiring';

interface DiffOptions extends CommonOptions {
  readonly bucket?: string;
  readonly showValues?: boolean;
  readonly maxListed: number;
}

/**
 * `consul-ops diff A B`: what changed between two snapshots (files or stored backups): count deltas first, then KV
 * keys added, removed and changed (compared by value hash; values only with `--show-values`), ACL tokens (accessor
 * and description, never a secret), policies and roles by name, intentions by destination and source, services.
 */
export const diffCommand: CommandSpec<DiffOptions> = {
  name: 'diff',
  summary: 'compare two snapshots (files or stored backups): counts, KV keys, tokens, policies, intentions, services',
  configure: (c) =>
    c
      .argument('<a>', 'the older snapshot: a file, s3://bucket/key[?versionId=V], or a key with --bucket')
      .argument('<b>', 'the newer snapshot, the same way')
      .option('--bucket <name>', 'the bucket of keys given without s3://')
      .option('--show-values', 'print the values of added, removed and changed KV keys (they may be secrets)')
      .option('--max-listed <n>', 'text: lines per kind of change (added, removed, changed) of each section; 0 lists all (--json always does)', integerFlag('--max-listed'), 50),
  async run(options, context, args) {
    const [a, b] = args;
    if (a === undefined || b === undefined) throw new InvalidInputError('A B', 'two snapshots are required', 'consul-ops diff before.snap after.snap');
    const index = { index: { keepValues: options.showValues === true } };
    const contentsOf = async (arg: string, what: string): Promise<SnapshotContents> => {
      const decoded = await decodeSnapshotInput(parseSnapshotInput(arg, options.bucket, what), index, context);
      for (const warning of decoded.contents.warnings) context.stderr.write(`consul-ops: warning: ${decoded.label}: ${warning}\n`);
      return decoded.contents.contents as SnapshotContents;
    };
    // One after the other: each holds an index of its snapshot in memory.
    const before = await contentsOf(a, 'A');
    const after = await contentsOf(b, 'B');
    const diff = diffSnapshotContents(before, after);
    const format = { showValues: options.showValues === true };
    const text = formatSnapshotDiff(diff, { ...format, ...(options.maxListed > 0 ? { maxListed: options.maxListed } : {}) });
    return { data: snapshotDiffToJson(diff, format), text };
  },
};
