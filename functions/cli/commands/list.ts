import type { CommandSpec, CommonOptions } from '../command';
import { parseBackupKey } from '../../core/backup/backup-key';
import { backupFolder } from '../../core/backup/workflow';
import { InvalidInputError } from '../../core/shared/errors';
import { formatBytes } from '../progress';
import { storeFromFlags } from '../wiring';
import { assertClusterName } from '../../core/backup/backup-key';
import type { ContentSummary } from '../../core/snapshot-contents';

interface ListOptions extends CommonOptions {
  readonly bucket: string;
  readonly prefix: string;
  readonly cluster?: string;
}

/** `kv 48210 svc 12 tok 30 int 5`, or why there is nothing to show. */
function counts(summary: ContentSummary | null, unreadable: boolean): string {
  if (unreadable) return 'contents unreadable';
  if (summary === null) return 'contents not recorded';
  return `kv ${summary.kv.entries} svc ${summary.catalog.services} node ${summary.catalog.nodes} tok ${summary.acl.tokens} int ${summary.intentions.entries}`;
}

/** `consul-ops list`: verified backups, newest first, with what each holds (`--json`: the whole content summary). Unverified objects are never listed as backups. */
export const listCommand: CommandSpec<ListOptions> = {
  name: 'list',
  summary: 'list the verified backups of a cluster, newest first',
  configure: (c) =>
    c
      .requiredOption('--bucket <name>', 'the backup bucket')
      .option('--prefix <prefix>', 'key prefix of the backups', 'snapshots')
      .requiredOption('--cluster <name>', 'the cluster whose backups to list'),
  async run(options, context) {
    if (!options.cluster) throw new InvalidInputError('--cluster', 'is required', '--cluster prod-east');
    assertClusterName(options.cluster, '--cluster');
    const store = storeFromFlags(options.bucket, context);
    const objects = await store.list(backupFolder(options.prefix, options.cluster));
    const listed = objects
      .filter((o) => o.verified && parseBackupKey(o.key)?.cluster === options.cluster)
      .map((o) => ({
        key: o.key,
        versionId: o.versionId,
        takenAt: (parseBackupKey(o.key)?.takenAt ?? o.lastModified).toISOString(),
        sizeBytes: o.sizeBytes,
        sha256: o.facts?.sha256 ?? '',
        consulIndex: o.facts?.raftIndex ?? 0,
        kind: o.facts?.kind ?? 'scheduled',
      }))
      .sort((a, b) => (a.takenAt < b.takenAt ? 1 : a.takenAt > b.takenAt ? -1 : b.consulIndex - a.consulIndex));
    // What each backup holds (its contents object, written when it verified); null for backups from before it existed.
    const backups = [];
    for (let i = 0; i < listed.length; i += 8) {
      const page = listed.slice(i, i + 8);
      const contents = await Promise.all(page.map((b) => store.loadContents(b.key, b.versionId)));
      backups.push(...page.map((b, j) => ({ ...b, contents: contents[j]?.summary ?? null, ...(contents[j]?.unreadable ? { contentsUnreadable: contents[j]?.unreadable } : {}) })));
    }
    const text =
      backups.length === 0
        ? `No verified backups of ${options.cluster} in s3://${options.bucket}/${backupFolder(options.prefix, options.cluster)}`
        : [
            `${backups.length} verified backup(s) of ${options.cluster}, newest first:`,
            ...backups.map((b) => `  ${b.takenAt}  index ${String(b.consulIndex).padEnd(8)} ${formatBytes(b.sizeBytes).padStart(10)}  ${b.kind.padEnd(11)} ${counts(b.contents, b.contentsUnreadable !== undefined).padEnd(36)} ${b.key} (${b.versionId})`),
          ].join('\n');
    return { data: backups, text };
  },
};
