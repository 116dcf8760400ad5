import type { CommandSpec, CommonOptions } from '../command';
import { ConsulSnapshotSource } from '../../adapters/consul/snapshot-source';
import { runSnapshotJob } from '../../core/backup/job';
import { verifyingPassFactoryFromEnv } from '../../adapters/verify-thread';
import { withPermissionHelp } from '../../core/shared/acl-policies';
import { settleJob } from '../report-option';
import { createProgress, formatBytes } from '../progress';
import { describeContents } from '../../core/backup/backup-report';
import { consulFromEnv, holdsFromFlags, resolveClusterName, storeFromFlags } from '../wiring';

interface BackupOptions extends CommonOptions {
  readonly bucket: string;
  readonly prefix: string;
  readonly cluster?: string;
  readonly stale?: boolean;
}

/** `consul-ops backup`: one verified snapshot into S3, exactly as the scheduled Lambda takes it. */
export const backupCommand: CommandSpec<BackupOptions> = {
  name: 'backup',
  summary: 'take a verified Consul snapshot and store it in S3',
  configure: (c) =>
    c
      .requiredOption('--bucket <name>', 'the backup bucket')
      .option('--prefix <prefix>', 'key prefix of the backups', 'snapshots')
      .option('--cluster <name>', 'cluster name in the key (default: the datacenter name)')
      .option('--stale', 'let any server answer (works without a leader; may be behind)'),
  async run(options, context) {
    const consul = consulFromEnv(context);
    try {
      const source = new ConsulSnapshotSource(consul.api);
      const cluster = await resolveClusterName(options.cluster, async () => (await withPermissionHelp('take-snapshot', () => source.describeCluster())).datacenter);
      const progress = createProgress({ label: 'verified', stream: context.stderr, enabled: context.interactive });
      // The scheduled job's own code; with CONSUL_OPS_SNS_TOPIC_ARN set it reports exactly as the Lambda does.
      const outcome = await runSnapshotJob(
        { consul: source, store: storeFromFlags(options.bucket, context), holds: holdsFromFlags(options.bucket, context), now: () => new Date(), onProgress: (n) => progress.update(n), createVerifyingPass: verifyingPassFactoryFromEnv() },
        { cluster, bucket: options.bucket, prefix: options.prefix, kind: 'manual', stale: options.stale },
      );
      const { backup: result, contents } = await settleJob(outcome, context, { bucket: options.bucket });
      progress.done(formatBytes(result.sizeBytes));
      const data = {
        key: result.key,
        versionId: result.versionId,
        sizeBytes: result.sizeBytes,
        sha256: result.sha256,
        consulIndex: result.consulIndex,
        datacenter: result.datacenter,
        consulVersion: result.consulVersion,
        verified: result.verified,
        ...(result.contents.summary ? { contents: result.contents.summary } : {}),
        ...(contents ? { contentDrop: { findings: contents.findings, hold: contents.hold } } : {}),
      };
      const text = [
        `Stored a verified snapshot of ${cluster} (datacenter ${result.datacenter}, Consul ${result.consulVersion}):`,
        `  s3://${options.bucket}/${result.key}`,
        `  version ${result.versionId}, ${formatBytes(result.sizeBytes)}, raft index ${result.consulIndex}, sha256 ${result.sha256}`,
        ...(result.contents.summary ? [`  ${describeContents(result.contents.summary)}`] : []),
        ...(contents?.findings ?? []).map((f) => `  ${f.severity.toUpperCase()} ${f.message}`),
      ].join('\n');
      return { data, text, findings: contents?.findings ?? [] };
    } finally {
      await consul.close();
    }
  },
};
