/**
 * `npm run demo`: brings up the local stack (Consul simulator, Ceph radosgw, Secrets Manager fake, fauxqs) and runs
 * every consul-ops job once with the real Lambda handler or CLI code, printing what an operator would see, then stops
 * everything. See local/demo/ for the printing and the seeded cluster.
 */
import { createSlackForwarder } from '../functions/handlers/slack-forwarder';
import { formatBytes } from '../functions/cli/progress';
import { describeContents } from '../functions/core/backup/backup-report';
import { out, printMail, runCli, step } from './demo/output';
import { CLUSTER, configureJobs, seedCluster, startExpiredSidecar } from './demo/setup';
import { startLocalStack } from './stack';

const LAMBDA = { getRemainingTimeInMillis: () => 15 * 60_000, awsRequestId: 'demo' };

async function run(): Promise<void> {
  out('consul-ops demo: every job once, with the real handler code, against a local Consul simulator, Ceph radosgw (S3),');
  out('a Secrets Manager fake and fauxqs (SNS).');
  const stack = await startLocalStack({ log: (line) => out(`  ${line}`) });
  const stop = () => void stack.stop().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // However the demo ends (a closed pipe with `| head`, an uncaught error), radosgw must not outlive it.
  process.once('exit', () => stack.s3.stopSync());
  process.stdout.on('error', () => process.exit(0));
  const mails = async () => stack.inbox.receive(2);
  try {
    const seeded = await seedCluster(stack);
    const operator = configureJobs(stack, seeded);

    step(1, 'Scheduled backup with retention: the take-snapshot Lambda, invoked as EventBridge Scheduler invokes it');
    // Handlers are loaded after the environment is set, as the Lambda runtime would load them.
    const { handler: takeSnapshot } = await import('../functions/handlers/take-snapshot');
    const { backup, prune } = await takeSnapshot({ trigger: 'schedule' }, LAMBDA);
    out(`  stored s3://${stack.bucket}/${backup.key}`);
    out(`  ${formatBytes(backup.sizeBytes)} · raft index ${backup.consulIndex} · Consul ${backup.consulVersion} · verified in the same pass as the upload (sha256 ${backup.sha256.slice(0, 16)}…)`);
    if (backup.contents.summary) out(`  decoded in the same pass: ${describeContents(backup.contents.summary)}`);
    out(`  retention ${prune.policy}: kept ${prune.kept.length}, deleted ${prune.deleted.length}`);
    out('  The report on the SNS topic (an e-mail subscriber gets this):');
    for (const m of await mails()) printMail(m);

    step(2, 'What an operator sees: consul-ops list');
    out(await runCli(['list', '--bucket', stack.bucket, '--cluster', CLUSTER], operator));

    step(3, 'What is inside a stored backup: consul-ops inspect (the layout of consul snapshot inspect, byte for byte)');
    out(await runCli(['inspect', '--bucket', stack.bucket, '--key', backup.key, '--kvdetails', '--kvdepth', '1'], operator));

    step(4, 'Someone deletes config/payments/, and on-call restores the backup: the restore Lambda, confirmed');
    for (const entry of stack.consul.state.kvList('config/payments/')) stack.consul.state.kvDelete(entry.Key);
    out(`  config/payments/ keys now: ${stack.consul.state.kvList('config/payments/').length}`);
    const { handler: restore } = await import('../functions/handlers/restore');
    const restored = await restore({ cluster: CLUSTER, latest: true, dryRun: false, confirm: CLUSTER, requestedBy: 'demo on-call' }, LAMBDA);
    // The same function answers a restore-kv event (`kvPrefix`) with another shape.
    if ('kvPrefix' in restored) throw new Error('a full restore answered as a restore-kv');
    out(`  ${restored.summary}`);
    out(`  safety snapshot of the state before: ${restored.safetySnapshot?.key}`);
    out(`  checks: ${restored.checks.map((c) => `${c.id} ${c.status}`).join(', ')}`);
    out(`  config/payments/ keys now: ${stack.consul.state.kvList('config/payments/').length}`);
    for (const m of await mails()) printMail(m, false);

    step(5, 'Token rotation: consul-ops rotate-token (the same four steps the rotation Lambda runs)');
    out(await runCli(['rotate-token', '--secret-id', seeded.webTokenSecretArn], operator));

    step(6, 'Intention audit: the audit-intentions Lambda against the cluster\'s baseline');
    const { handler: audit } = await import('../functions/handlers/audit-intentions');
    const audited = await audit({ trigger: 'schedule' }, LAMBDA);
    out(`  effective default ${audited.effectiveDefault}, ${audited.findings} finding(s); full document ${audited.documentUrl}`);
    for (const m of await mails()) printMail(m, false);

    step(7, 'Certificate check: the check-certs Lambda, with a sidecar still serving an expired leaf');
    const sidecar = await startExpiredSidecar(stack);
    out(`  payments-sidecar-proxy on ${sidecar.address} serves leaf ${sidecar.serialNumber}, expired a day ago`);
    const { handler: checkCerts } = await import('../functions/handlers/check-certs');
    const checked = await checkCerts({ trigger: 'schedule' }, LAMBDA);
    out(`  ${checked.certs.length} certificates, ${checked.metrics.proxiesChecked} sidecar(s) answered`);
    const [certMail] = await mails();
    if (certMail) printMail(certMail, false);

    step(8, 'The same finding in Slack: what the Slack forwarder posts to the webhook');
    const posted: unknown[] = [];
    const forward = createSlackForwarder({ webhookUrl: { get: async () => 'https://hooks.slack.com/services/DEMO', invalidate: () => undefined }, post: async (_url, payload) => posted.push(payload), logger: { info: () => undefined, error: () => undefined } });
    if (certMail) await forward({ Records: [{ Sns: { ...certMail, MessageAttributes: certMail.MessageAttributes ?? {} } }] } as never);
    for (const line of slackLines(posted[0])) out(`  ${line}`);

    step(9, 'An hour later someone wipes config/ and the db intentions: the next scheduled backup raises a content-drop finding');
    const before = await takeSnapshot({ trigger: 'schedule' }, LAMBDA);
    out(`  the hourly backup before: ${before.backup.key} (${before.backup.contents.summary?.kv.entries} KV entries), quiet`);
    await mails(); // nothing new: dedupe keeps a quiet hour quiet
    stack.consul.state.deleteConfigEntry('service-intentions', 'db');
    for (const entry of stack.consul.state.kvList('config/')) stack.consul.state.kvDelete(entry.Key);
    const next = await takeSnapshot({ trigger: 'schedule' }, LAMBDA);
    for (const f of next.contents?.findings ?? []) out(`  ${f.severity.toUpperCase()} ${f.message}`);
    if (next.contents?.hold.held) out(`  kept whatever retention says: ${next.contents.hold.held.key}, the last backup before the drop`);
    for (const m of await mails()) printMail(m, false);

    step(10, 'What went, and the keys back without rolling the cluster back: consul-ops diff, restore-kv, ack-drop');
    out(await runCli(['diff', '--bucket', stack.bucket, before.backup.key, next.backup.key, '--max-listed', '5'], operator));
    out(await runCli(['restore-kv', '--bucket', stack.bucket, '--key', before.backup.key, '--prefix', 'config/'], operator));
    out(await runCli(['restore-kv', '--bucket', stack.bucket, '--key', before.backup.key, '--prefix', 'config/', '--yes'], operator));
    out(await runCli(['ack-drop', '--bucket', stack.bucket, '--cluster', CLUSTER], operator));

    out('\nWhere to look next in README.md: "Deploying" (cdk deploy for your clusters), "Restore runbook", "Restoring one KV prefix", "Token rotation"');
    out('(and "A token leaked"), "Intention audit", "Certificate checks", "Reports, alerts and dashboards", "Architecture".');
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    out('\nstopping the local stack…');
    await stack.stop();
  }
}

/** A Slack payload as the channel shows it: the header, the field pairs and each section's text (mrkdwn as is). */
function slackLines(payload: unknown): string[] {
  type Block = { type: string; text?: { text: string }; fields?: { text: string }[] };
  const blocks = (payload as { attachments?: { color?: string; blocks?: Block[] }[] } | undefined)?.attachments?.[0];
  const lines = [`(colour ${blocks?.color ?? 'none'})`];
  for (const b of blocks?.blocks ?? []) {
    if (b.fields) lines.push(b.fields.map((f) => f.text.replace('\n', ': ')).join(' · '));
    if (b.text) lines.push(...b.text.text.split('\n').slice(0, 8));
  }
  return lines.map((l) => `│ ${l}`);
}

run().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
