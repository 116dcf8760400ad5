import type { CommandSpec, CommonOptions } from '../command';
import { InvalidInputError } from '../../core/shared/errors';
import { buildInspectDocument, DEFAULT_KV_DEPTH, formatInspectJson, formatInspectPretty } from '../../core/snapshot-contents';
import { decodeSnapshotInput, type SnapshotInput } from '../snapshot-input';
import { integerFlag } from '../wiring';

interface InspectOptions extends CommonOptions {
  readonly bucket?: string;
  readonly key?: string;
  readonly versionId?: string;
  readonly kvdetails?: boolean;
  readonly kvdepth?: number;
  readonly kvfilter?: string;
}

/**
 * `consul-ops inspect`: what a snapshot holds, in the layout and units of `consul snapshot inspect` (byte for byte,
 * so scripts written for it keep working): the meta block and the per-type table, with `--kvdetails` the KV table,
 * with `--json` the `-format=json` document. A file or a stored backup; archives are verified in the same pass.
 */
export const inspectCommand: CommandSpec<InspectOptions> = {
  name: 'inspect',
  summary: 'show what a snapshot holds, as `consul snapshot inspect` does (a file, or a stored backup)',
  configure: (c) =>
    c
      .argument('[file]', 'a snapshot archive, or a state.bin with its meta.json beside it')
      .option('--bucket <name>', 'read a stored backup from this bucket (with --key)')
      .option('--key <key>', 'the stored backup\'s key')
      .option('--version-id <id>', 'with --key: the object version (default: the current one)')
      .option('--kvdetails', 'add the KV table: entries and bytes per key prefix (as consul snapshot inspect -kvdetails)')
      .option('--kvdepth <n>', `with --kvdetails: key parts per prefix (default ${DEFAULT_KV_DEPTH})`, integerFlag('--kvdepth'))
      .option('--kvfilter <prefix>', 'with --kvdetails: only keys starting with this prefix'),
  async run(options, context, args) {
    const input = inputOf(args[0], options);
    if (!options.kvdetails && (options.kvdepth !== undefined || options.kvfilter !== undefined)) {
      context.stderr.write('consul-ops: --kvdepth and --kvfilter take effect only with --kvdetails (as in consul snapshot inspect)\n');
    }
    const kvDetails = options.kvdetails ? { depth: options.kvdepth ?? DEFAULT_KV_DEPTH, filter: options.kvfilter ?? '' } : undefined;
    const decoded = await decodeSnapshotInput(input, kvDetails ? { kvDetails } : {}, context);
    if (decoded.meta === undefined) throw new InvalidInputError('FILE', `no meta.json beside ${decoded.label}`, 'keep the meta.json extracted with the state.bin in the same directory (consul snapshot inspect needs it too)');
    for (const warning of decoded.contents.warnings) context.stderr.write(`consul-ops: warning: ${warning}\n`);
    const doc = buildInspectDocument(decoded.meta, decoded.contents);
    return { data: doc, text: formatInspectPretty(doc), jsonText: formatInspectJson(doc) };
  },
};

function inputOf(file: string | undefined, options: InspectOptions): SnapshotInput {
  const stored = options.bucket !== undefined || options.key !== undefined;
  if (file !== undefined && stored) throw new InvalidInputError('FILE', 'give a file or --bucket with --key, not both', 'consul-ops inspect backup.snap');
  if (file !== undefined) {
    if (options.versionId !== undefined) throw new InvalidInputError('--version-id', 'needs --bucket and --key', '--bucket b --key k --version-id v');
    return { kind: 'file', path: file };
  }
  if (options.bucket === undefined || options.key === undefined) {
    throw new InvalidInputError(stored ? (options.bucket === undefined ? '--bucket' : '--key') : 'FILE', 'a snapshot to inspect is required', 'consul-ops inspect backup.snap, or --bucket my-bucket --key snapshots/prod/…/x.snap');
  }
  return { kind: 'stored', bucket: options.bucket, key: options.key, ...(options.versionId ? { versionId: options.versionId } : {}) };
}
