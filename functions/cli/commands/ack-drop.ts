import type { CommandSpec, CommonOptions } from '../command';
import { assertClusterName } from '../../core/backup/backup-key';
import { acknowledgeContentHold } from '../../core/backup/content-hold';
import { holdsFromFlags } from '../wiring';

interface AckDropOptions extends CommonOptions {
  readonly bucket: string;
  readonly cluster: string;
}

/**
 * `consul-ops ack-drop`: an operator's word that a content drop was intended (or is dealt with). Closes the cluster's
 * content-drop hold, so retention may prune the backup it kept, and the drop finding resolves with the next backup.
 */
export const ackDropCommand: CommandSpec<AckDropOptions> = {
  name: 'ack-drop',
  summary: 'acknowledge a content drop: release the backup kept since the drop (retention applies again)',
  configure: (c) => c.requiredOption('--bucket <name>', 'the backup bucket').requiredOption('--cluster <name>', 'the cluster whose content-drop hold to close'),
  async run(options, context) {
    assertClusterName(options.cluster, '--cluster');
    const holds = holdsFromFlags(options.bucket, context);
    const hold = await holds.load(options.cluster);
    if (hold?.status !== 'open') {
      const last = hold ? ` (the last one was ${hold.status} ${hold.closedAt ?? ''} by ${hold.closedBy ?? 'unknown'})` : '';
      return { data: { cluster: options.cluster, acknowledged: false, hold: hold ?? null }, text: `No open content-drop hold for ${options.cluster}${last}.` };
    }
    const by = `${context.env.USER ?? context.env.USERNAME ?? 'unknown user'} (consul-ops ack-drop)`;
    const closed = acknowledgeContentHold(hold, by, new Date());
    await holds.save(closed);
    const text = [
      `Acknowledged the content drop of ${options.cluster} (open since ${hold.openedAt}):`,
      ...hold.findings.map((f) => `  ${f.severity.toUpperCase()} ${f.message}`),
      `Released ${hold.held.key} (version ${hold.held.versionId}): retention applies to it again from the next run.`,
    ].join('\n');
    return { data: { cluster: options.cluster, acknowledged: true, hold: closed }, text };
  },
};
