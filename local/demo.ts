/**
 * `npm run demo`: brings up the local stack and runs one scheduled cycle end to end with the real Lambda handler
 * code, then shows the result through the `consul-ops` CLI, and stops everything.
 */
import { PassThrough } from 'node:stream';
import { main as cli } from '../functions/cli/main';
import { formatBytes } from '../functions/cli/progress';
import { describeContents } from '../functions/core/backup/backup-report';
import { SNAPSHOT_FUNCTION_ENV as E } from '../functions/handlers/lambda-env';
import { startLocalStack, type LocalStack } from './stack';

const CLUSTER = 'demo';
const out = (line = ''): void => void process.stdout.write(`${line}\n`);
const step = (n: number, title: string): void => out(`\n\x1b[1m${n}. ${title}\x1b[0m`);

async function run(): Promise<void> {
  out('consul-ops demo: one scheduled backup cycle against a local Consul simulator, Ceph radosgw (S3), a Secrets Manager fake and fauxqs (SNS).');
  const stack = await startLocalStack({ log: (line) => out(`  ${line}`) });
  const stop = () => void stack.stop().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // However the demo ends (a closed pipe with `| head`, an uncaught error), radosgw must not outlive it.
  process.once('exit', () => stack.s3.stopSync());
  process.stdout.on('error', () => process.exit(0));
  try {
    seedConsul(stack);
    configureLambdaEnvironment(stack);

    step(1, 'Scheduled backup: the take-snapshot Lambda handler, invoked the way EventBridge Scheduler invokes it');
    // Loaded after the environment is set, as the Lambda runtime would.
    const { handler } = await import('../functions/handlers/take-snapshot');
    const { backup, prune } = await handler({ trigger: 'schedule' }, { getRemainingTimeInMillis: () => 15 * 60_000 });
    out(`  stored s3://${stack.bucket}/${backup.key}`);
    out(`  version ${backup.versionId} · ${formatBytes(backup.sizeBytes)} · raft index ${backup.consulIndex} (term ${backup.raftTerm}) · Consul ${backup.consulVersion} in ${backup.datacenter}`);
    out(`  verified in the same pass as the upload: SHA256SUMS, tar and gzip checks passed; sha256 ${backup.sha256}`);
    out(`  took ${backup.durationMs} ms`);
    if (backup.contents.summary) out(`  decoded in the same pass: ${describeContents(backup.contents.summary)}`);

    step(2, 'Retention (runs after every successful backup)');
    out(`  policy: ${prune.policy}`);
    for (const k of prune.kept) out(`  keep   ${k.key} (${k.reasons.join(', ')})`);
    out(`  deleted ${prune.deleted.length}${prune.guard ? ` · ${prune.guard.message}` : ''}`);

    step(3, 'The report it published to SNS (what e-mail and Slack subscribers receive)');
    await printMail(stack);

    step(4, 'What an operator sees: consul-ops list');
    out(await runCli(['list', '--bucket', stack.bucket, '--cluster', CLUSTER], stack));

    step(5, 'What is inside a stored backup: consul-ops inspect (the layout of consul snapshot inspect)');
    out(await runCli(['inspect', '--bucket', stack.bucket, '--key', backup.key, '--kvdetails', '--kvdepth', '2'], stack));

    step(6, 'Someone deletes config/payments/: the next scheduled backup raises a content-drop finding');
    for (const { Key } of stack.consul.state.kvList('config/payments/')) stack.consul.state.kvDelete(Key);
    const next = await handler({ trigger: 'schedule' }, { getRemainingTimeInMillis: () => 15 * 60_000 });
    for (const f of next.contents?.findings ?? []) out(`  ${f.severity.toUpperCase()} ${f.message}`);
    if (next.contents?.hold.held) out(`  holding ${next.contents.hold.held.key}, the last backup before the drop, whatever retention says`);
    await printMail(stack);

    step(7, 'What went: consul-ops diff (values only with --show-values)');
    out(await runCli(['diff', backup.key, next.backup.key, '--bucket', stack.bucket], stack));

    step(8, 'Bring the keys back, without rolling the cluster back: consul-ops restore-kv (plan first, then --yes)');
    out(await runCli(['restore-kv', '--bucket', stack.bucket, '--key', backup.key, '--prefix', 'config/payments/'], stack));
    out(await runCli(['restore-kv', '--bucket', stack.bucket, '--key', backup.key, '--prefix', 'config/payments/', '--yes'], stack));
    out(await runCli(['ack-drop', '--bucket', stack.bucket, '--cluster', CLUSTER], stack));

    step(9, 'An on-call restore, dry run first: consul-ops restore (nothing is sent without --yes)');
    out(await runCli(['restore', '--bucket', stack.bucket, '--cluster', CLUSTER, '--latest'], stack));

    step(10, 'A corrupt snapshot never becomes a backup, and the failure is loud');
    stack.consul.faults.inject({ kind: 'corrupt-state', path: '/v1/snapshot', times: 1 });
    const failed = await handler({ trigger: 'schedule' }, { getRemainingTimeInMillis: () => 15 * 60_000 }).then(
      () => 'unexpectedly succeeded',
      (err: Error & { remedy?: string }) => `refused: ${err.message}`,
    );
    out(`  Consul served an archive with a flipped byte in state.bin → ${failed}`);
    out(await runCli(['list', '--bucket', stack.bucket, '--cluster', CLUSTER], stack));
    await printMail(stack);
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    out('\nstopping the local stack…');
    await stack.stop();
  }
}

/** Prints the notifications waiting in the queue subscribed to the report topic. */
async function printMail(stack: LocalStack): Promise<void> {
  const messages = await stack.inbox.receive(2);
  if (messages.length === 0) out('  (no notification: nothing new to report)');
  for (const m of messages) {
    const attributes = Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => `${k}=${v.Value}`).join(' ');
    out(`  ┌ Subject: ${m.Subject ?? ''}`);
    out(`  │ Attributes: ${attributes}`);
    for (const line of m.Message.split('\n')) out(`  │ ${line}`);
    out('  └');
  }
}

/** Some state worth backing up: a few settings, and the payments configuration someone is about to delete. */
function seedConsul(stack: LocalStack): void {
  for (const [key, value] of [['config/web/replicas', '3'], ['config/db/primary', 'db-1'], ['feature-flags/new-ui', 'on']]) {
    stack.consul.state.kvPut(key, value);
  }
  for (let i = 0; i < 40; i++) stack.consul.state.kvPut(`config/payments/merchant-${String(i).padStart(2, '0')}/endpoint`, `https://psp-${i}.example/api`, i % 4);
}

/** The environment the CDK stack gives the take-snapshot Lambda, pointed at the local stack. */
function configureLambdaEnvironment(stack: LocalStack): void {
  Object.assign(process.env, stack.awsEnv, {
    POWERTOOLS_LOG_LEVEL: 'SILENT', // the demo prints what happened itself
    POWERTOOLS_METRICS_DISABLED: 'true',
    [E.clusterName]: CLUSTER,
    [E.bucketName]: stack.bucket,
    [E.snapshotPrefix]: 'snapshots',
    [E.consulAddresses]: stack.consul.url,
    [E.consulTokenSecretArn]: stack.tokenSecretArn,
    [E.reportTopicArn]: stack.topicArn,
    [E.retentionPolicy]: JSON.stringify({ hourly: 24, daily: 7, weekly: 4, monthly: 6, keepMin: 3, scheduleIntervalMs: 3_600_000 }),
  });
}

/** Runs the CLI in-process and returns what it printed. */
async function runCli(args: string[], stack: LocalStack): Promise<string> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (c: Buffer) => chunks.push(c));
  stderr.on('data', (c: Buffer) => chunks.push(c));
  // The operator's shell: Consul's own variables (the token is never printed).
  const env = { ...process.env, ...stack.awsEnv, CONSUL_HTTP_ADDR: stack.consul.url, CONSUL_HTTP_TOKEN: stack.consul.managementToken.secretId };
  await cli(['node', 'consul-ops', ...args], { stdout, stderr, env, interactive: false });
  const printed = Buffer.concat(chunks).toString('utf8').trimEnd();
  return `  $ consul-ops ${args.join(' ')}\n${printed.replace(/^/gm, '  ')}`;
}

run().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
