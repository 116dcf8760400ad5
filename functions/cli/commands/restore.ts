import { InvokeCommand } from '@aws-sdk/client-lambda';
import type { CliContext, CommandResult, CommandSpec, CommonOptions } from '../command';
import { createLambdaClient, createSecretsManagerClient } from '../../adapters/aws-clients';
import { ConsulSnapshotSource } from '../../adapters/consul/snapshot-source';
import { consulTokenSecretSourceFactory } from '../../adapters/consul/token-secret';
import { ConsulTokenAdmin } from '../../adapters/consul/token-admin';
import { SecretsManagerRotationStore } from '../../adapters/secrets-manager-rotation';
import { parseBackupKey } from '../../core/backup/backup-key';
import type { BackupStore, SnapshotTarget } from '../../core/backup/ports';
import { DEFAULT_ROTATION } from '../../core/shared/defaults';
import { InvalidInputError } from '../../core/shared/errors';
import { runRestoreJob } from '../../core/restore/job';
import { verifyingPassFactoryFromEnv } from '../../adapters/verify-thread';
import type { RestoreTokens } from '../../core/restore/ports';
import { resolveRestoreCluster } from '../../core/restore/selection';
import type { RestorePhase, RestoreResult, RestoreSelector } from '../../core/restore/workflow';
import { TokenSecretReconciler, type TokenSecretReconcilerInput } from '../../core/rotation/restore-reconciliation';
import { settleJob } from '../report-option';
import type { Severity } from '../../core/shared/severity';
import { createProgress, formatBytes, type Progress } from '../progress';
import { consulFromEnv, integerFlag, storeFromFlags } from '../wiring';
import { RestoreFunctionError } from '../../core/restore/errors';

interface RestoreOptions extends CommonOptions {
  readonly bucket?: string;
  readonly prefix: string;
  readonly cluster?: string;
  readonly latest?: boolean;
  readonly key?: string;
  readonly versionId?: string;
  readonly before?: string;
  readonly dryRun?: boolean;
  readonly yes?: boolean;
  readonly skipSafetySnapshot?: boolean;
  readonly allowCrossCluster?: boolean;
  readonly forceVersionMismatch?: boolean;
  readonly invoke?: boolean;
  readonly functionName?: string;
  readonly secretId?: readonly string[];
  readonly managementSecretId?: string;
  readonly gracePeriodHours: number;
}

/** Where a restore run from this host goes, and which token secrets it reconciles. */
export interface RestoreConnection {
  readonly bucket: string;
  /** Consul calls use this secret's AWSCURRENT token (else CONSUL_HTTP_TOKEN). @default - CONSUL_HTTP_TOKEN */
  readonly managementSecretId?: string;
  /** The token secrets to list in the preflight and reconcile after the restore. @default - none */
  readonly tokenSecrets?: TokenSecretReconcilerInput;
}

/** What `consul-ops restore` talks to; tests pass fakes. */
export interface RestoreCommandDeps {
  /** The Consul cluster (from CONSUL_HTTP_ADDR…), the bucket and the token secrets, for a restore run from this host. */
  connect(context: CliContext, connection: RestoreConnection): { readonly consul: SnapshotTarget; readonly store: BackupStore; readonly tokens?: RestoreTokens; close(): Promise<void> };
  /** Invokes the deployed restore function synchronously; `functionError` is set when it threw. */
  invoke(functionName: string, payload: string): Promise<{ readonly functionError?: string; readonly payload: string }>;
  readonly now: () => Date;
}

const DEFAULT_DEPS: RestoreCommandDeps = {
  connect(context, { bucket, managementSecretId, tokenSecrets }) {
    const sm = managementSecretId !== undefined || tokenSecrets !== undefined ? createSecretsManagerClient() : undefined;
    const consul = consulFromEnv(context, sm && managementSecretId !== undefined ? consulTokenSecretSourceFactory(sm, managementSecretId)() : undefined);
    const tokens =
      sm && tokenSecrets
        ? new TokenSecretReconciler(
            { secrets: new SecretsManagerRotationStore({ client: sm }), consul: new ConsulTokenAdmin(consul.api), now: () => new Date() },
            // With --management-secret-id, CONSUL_HTTP_TOKEN (if set) is the last token to act with after the restore.
            { ...tokenSecrets, ...(managementSecretId !== undefined ? { fallbackSecret: consul.envToken } : {}) },
          )
        : undefined;
    const close = async () => {
      await consul.close();
      sm?.destroy();
    };
    return { consul: new ConsulSnapshotSource(consul.api), store: storeFromFlags(bucket, context), ...(tokens ? { tokens } : {}), close };
  },
  async invoke(functionName, payload) {
    const client = createLambdaClient();
    try {
      const out = await client.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: Buffer.from(payload) }));
      return { functionError: out.FunctionError, payload: out.Payload ? Buffer.from(out.Payload).toString('utf8') : '' };
    } finally {
      client.destroy();
    }
  },
  now: () => new Date(),
};

/**
 * `consul-ops restore`: verify a stored backup and, with `--yes`, restore it (after a safety snapshot), from this host
 * or through the deployed restore function (`--invoke`). Without `--yes`, or with `--dry-run`, nothing is sent.
 *
 * The cluster is `--cluster`, else the one the `--key` names, else the bucket's only cluster, else the target's
 * datacenter (as `consul-ops backup` names it). With `--secret-id` (repeatable) and `--management-secret-id`, the
 * preflight lists the token secrets whose AWSCURRENT token was created after the backup, and after the restore those
 * tokens are re-created (management token first) and the retired tokens the backup brought back are deleted again.
 */
export function createRestoreCommand(deps: RestoreCommandDeps = DEFAULT_DEPS): CommandSpec<RestoreOptions> {
  return {
    name: 'restore',
    summary: 'verify a backup and restore it into a cluster (nothing is sent without --yes)',
    configure: (c) =>
      c
        .option('--bucket <name>', 'the backup bucket (not with --invoke)')
        .option('--prefix <prefix>', 'key prefix of the backups', 'snapshots')
        .option('--cluster <name>', 'the cluster whose backup to restore (default: the one --key names, else the bucket\'s only cluster, else the target\'s datacenter)')
        .option('--latest', 'the newest verified backup (pre-restore safety snapshots excluded)')
        .option('--key <key>', 'an explicit backup key')
        .option('--version-id <id>', 'with --key: the object version (default: the current one)')
        .option('--before <iso-time>', 'the newest verified backup taken at or before this time, e.g. 2026-11-21T23:00:00Z')
        .option('--dry-run', 'verify and report what would be done; send nothing (the default without --yes)')
        .option('--yes', 'really restore: replaces the cluster state with the backup')
        .option('--skip-safety-snapshot', 'do not snapshot the current state first')
        .option('--allow-cross-cluster', 'restore although the target datacenter differs from the backup\'s')
        .option('--force-version-mismatch', 'restore although the target runs another Consul version')
        .option('--invoke', 'run the restore in the deployed restore function instead of from this host')
        .option('--function-name <name>', 'with --invoke: the restore function (see the stack output RestoreFunctionName)')
        .option('--secret-id <id>', 'a token secret of the cluster: listed by the preflight, its token re-created after the restore if needed (repeatable)', collect, [])
        .option('--management-secret-id <id>', 'consul-ops\' management token secret: used for Consul calls and reconciled first, with AWSPREVIOUS if needed')
        .option('--grace-period-hours <hours>', 'the rotation grace period (for secrets written before the retired-token ledger)', integerFlag('--grace-period-hours'), DEFAULT_ROTATION.gracePeriodHours),
    async run(options, context) {
      const selector = parseSelector(options);
      const apply = options.yes === true && options.dryRun !== true;
      const secretIds = options.secretId ?? [];
      if (options.invoke) {
        if (secretIds.length > 0 || options.managementSecretId !== undefined) {
          throw new InvalidInputError('--secret-id/--management-secret-id', 'are not taken with --invoke: the function reconciles the token secrets of its deploy config', '--invoke without them');
        }
        return invokeFunction(deps, options, context, selector, apply);
      }
      if (!options.bucket) throw new InvalidInputError('--bucket', 'is required unless --invoke is given', '--bucket my-consul-snapshots');
      const tokenSecrets =
        secretIds.length > 0 || options.managementSecretId !== undefined
          ? { secretIds, managementSecretId: options.managementSecretId, gracePeriodMs: options.gracePeriodHours * 3_600_000 }
          : undefined;
      const { consul, store, tokens, close } = deps.connect(context, { bucket: options.bucket, managementSecretId: options.managementSecretId, ...(tokenSecrets ? { tokenSecrets } : {}) });
      const bars = phaseProgress(context);
      try {
        const { cluster } = await resolveRestoreCluster(store, options.prefix, { flag: options.cluster, key: options.key, datacenter: async () => (await consul.describeCluster()).datacenter });
        const outcome = await runRestoreJob(
          { consul, store, now: deps.now, onProgress: bars.update, createVerifyingPass: verifyingPassFactoryFromEnv(), ...(tokens ? { tokens } : {}) },
          {
            cluster,
            prefix: options.prefix,
            selector,
            dryRun: !apply,
            confirm: apply ? cluster : undefined,
            allowCrossCluster: options.allowCrossCluster,
            forceVersionMismatch: options.forceVersionMismatch,
            skipSafetySnapshot: options.skipSafetySnapshot,
            invokedBy: invokedBy(context),
          },
        );
        // Reported exactly as the restore function reports (every run); with --invoke the function reports itself.
        return renderResult(await settleJob(outcome, context, { bucket: options.bucket }), options);
      } finally {
        bars.done();
        await close();
      }
    },
  };
}

/** `consul-ops restore`, wired to the real Consul, S3 and Lambda clients. */
export const restoreCommand = createRestoreCommand();

/** Exactly one of `--latest`, `--key`, `--before`. */
export function parseSelector(options: Pick<RestoreOptions, 'latest' | 'key' | 'versionId' | 'before'>): RestoreSelector {
  const given = [options.latest ? '--latest' : undefined, options.key !== undefined ? '--key' : undefined, options.before !== undefined ? '--before' : undefined].filter(Boolean);
  if (given.length !== 1) {
    throw new InvalidInputError('backup selection', given.length === 0 ? 'choose a backup' : `${given.join(', ')} are mutually exclusive`, '--latest, --key <key> [--version-id <id>] or --before 2026-11-21T23:00:00Z');
  }
  if (options.versionId !== undefined && options.key === undefined) throw new InvalidInputError('--version-id', 'needs --key', '--key <key> --version-id <id>');
  if (options.latest) return { latest: true };
  if (options.key !== undefined) return options.versionId !== undefined ? { key: options.key, versionId: options.versionId } : { key: options.key };
  const before = new Date(options.before ?? '');
  if (!/^\d{4}-\d{2}-\d{2}(T|$)/.test(options.before ?? '') || Number.isNaN(before.getTime())) {
    throw new InvalidInputError('--before', `"${options.before}" is not an ISO 8601 time`, '2026-11-21T23:00:00Z');
  }
  return { before };
}

/** Collects a repeatable flag. */
function collect(value: string, previous: readonly string[]): string[] {
  return [...previous, value];
}

async function invokeFunction(deps: RestoreCommandDeps, options: RestoreOptions, context: CliContext, selector: RestoreSelector, apply: boolean): Promise<CommandResult> {
  if (!options.functionName) throw new InvalidInputError('--function-name', 'is required with --invoke', 'consul-ops-restore-prod-east (stack output RestoreFunctionName)');
  // The function serves one cluster; its name must be given (or named by the key): this host need not reach Consul.
  const cluster = options.cluster ?? (options.key === undefined ? undefined : parseBackupKey(options.key)?.cluster);
  if (cluster === undefined) throw new InvalidInputError('--cluster', 'is required with --invoke unless --key names the cluster', '--cluster prod-east');
  const event = {
    cluster,
    ...('latest' in selector ? { latest: true } : 'key' in selector ? { key: selector.key, versionId: selector.versionId } : { before: selector.before.toISOString() }),
    dryRun: !apply,
    ...(apply ? { confirm: cluster } : {}),
    allowCrossCluster: options.allowCrossCluster === true,
    forceVersionMismatch: options.forceVersionMismatch === true,
    skipSafetySnapshot: options.skipSafetySnapshot === true,
    requestedBy: invokedBy(context),
  };
  const out = await deps.invoke(options.functionName, JSON.stringify(event));
  if (out.functionError) {
    const failure = parseJson(out.payload) as { errorType?: string; errorMessage?: string } | undefined;
    throw new RestoreFunctionError(options.functionName, failure?.errorType ?? out.functionError, failure?.errorMessage ?? out.payload);
  }
  const result = parseJson(out.payload) as RestoreResult | undefined;
  if (!result?.backup) throw new RestoreFunctionError(options.functionName, 'InvalidResponse', `unexpected response: ${out.payload.slice(0, 200)}`);
  return renderResult(result, options);
}

function renderResult(result: RestoreResult, options: RestoreOptions): CommandResult {
  const checks = result.checks.map((c) => `  ${c.status.padEnd(10)} ${c.id.padEnd(20)} ${c.detail}`);
  const b = result.backup;
  const head = result.restored
    ? [
        `Restored ${b.key} (version ${b.versionId}, ${formatBytes(b.sizeBytes)}, raft index ${b.consulIndex}) into cluster ${result.cluster} (datacenter ${result.target.datacenter}).`,
        `  safety snapshot: ${result.safetySnapshot ? `${result.safetySnapshot.key} (version ${result.safetySnapshot.versionId})` : 'skipped'}`,
        `  took: verify ${seconds(result.durations.verifyMs)}, safety snapshot ${seconds(result.durations.safetyMs)}, restore ${seconds(result.durations.restoreMs)}`,
      ]
    : [
        `Dry run: ${result.summary}.`,
        options.yes && !options.dryRun ? `Nothing was sent: ${result.notApplied}.` : 'Nothing was sent: re-run with --yes to restore.',
      ];
  const next = result.restored
    ? [
        result.tokenReconciliation === undefined
          ? 'Next: tokens created after the backup are gone; restore with --secret-id/--management-secret-id to have them re-created, or re-create them by hand;'
          : 'Next: check the token secrets above;',
        '      run the certificate check (a cross-cluster restore can break the Connect CA). See README "Restore runbook".',
      ]
    : [];
  const findings = [
    ...result.checks
      .filter((c) => (c.status === 'fail' || c.status === 'warn') && c.id !== 'tokens-after-restore')
      .map((c) => ({ severity: (c.status === 'fail' ? 'high' : 'medium') as Severity, check: c.id, detail: c.detail })),
    ...(result.tokenReconciliation ?? [])
      .filter((t) => t.outcome === 'failed')
      .map((t) => ({ severity: 'high' as Severity, check: 'restore-tokens', detail: `${t.secret}: ${t.detail}${t.fixCommand ? `; fix: ${t.fixCommand}` : ''}` })),
  ];
  return { data: result, text: [...head, 'Checks:', ...checks, ...tokenLines(result), ...next].join('\n'), findings };
}

/** The token secrets: the preflight's plan, or what the reconciliation did (AccessorIDs only). */
function tokenLines(result: RestoreResult): string[] {
  if (result.tokenReconciliation !== undefined) {
    return [
      'Token secrets after the restore:',
      ...result.tokenReconciliation.flatMap((t) => [
        `  ${t.outcome.padEnd(10)} ${t.secret}${t.accessorId ? ` (token ${t.accessorId})` : ''}: ${t.detail}`,
        ...t.redeleted.map((id) => `             deleted again: retired token ${id}`),
        ...(t.fixCommand ? [`             fix: ${t.fixCommand}`] : []),
      ]),
    ];
  }
  if (result.tokens === undefined) return [];
  return ['Token secrets:', ...result.tokens.map((t) => `  ${t.status.padEnd(10)} ${t.secret}${t.accessorId ? ` (token ${t.accessorId})` : ''}: ${t.detail}`)];
}

/** One progress line per phase (verified, safety snapshot, sent), each finished when the next begins. */
function phaseProgress(context: CliContext): { update: (phase: RestorePhase, bytes: number, total?: number) => void; done: () => void } {
  const labels: Record<RestorePhase, string> = { verify: 'verified', safety: 'safety snapshot', send: 'sent' };
  let current: { phase: RestorePhase; bar: Progress; bytes: number } | undefined;
  const finish = () => {
    current?.bar.done(formatBytes(current.bytes));
    current = undefined;
  };
  return {
    update(phase, bytes, totalBytes) {
      if (current?.phase !== phase) {
        finish();
        current = { phase, bytes: 0, bar: createProgress({ label: labels[phase], stream: context.stderr, enabled: context.interactive, totalBytes }) };
      }
      current.bytes = bytes;
      current.bar.update(bytes);
    },
    done: finish,
  };
}

function invokedBy(context: CliContext): string {
  return `consul-ops CLI (${context.env.USER ?? context.env.USERNAME ?? 'unknown user'})`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
