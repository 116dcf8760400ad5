/**
 * How the demo prints what an operator would see: numbered steps, SNS mails (in full or as subject and findings),
 * and CLI output. Nothing secret reaches these functions: they get reports, CLI output and AccessorIDs only.
 */
import { PassThrough } from 'node:stream';
import { main as cli } from '../../functions/cli/main';
import type { SnsNotification } from '../sns';

/** One line to stdout. */
export const out = (line = ''): void => void process.stdout.write(`${line}\n`);

/** A numbered, bold step heading. */
export function step(n: number, title: string): void {
  out(`\n\x1b[1m${n}. ${title}\x1b[0m`);
}

/** A mail as its recipient sees it, boxed. */
export function printMail(m: SnsNotification, whole = true): void {
  const attributes = Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => `${k}=${v.Value}`).join(' ');
  out(`  ┌ Subject: ${m.Subject ?? ''}`);
  out(`  │ Attributes: ${attributes}`);
  const lines = m.Message.split('\n');
  // Without `whole`: the findings and what to do, which is what someone reading the alert acts on.
  const shown = whole ? lines : lines.slice(lines.findIndex((l) => l.startsWith('Findings')), lines.findIndex((l) => l.startsWith('Full report')));
  for (const line of shown) out(`  │ ${line}`);
  out('  └');
}

/** Runs the CLI in-process with the operator's environment and returns what it printed, indented. */
export async function runCli(args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (c: Buffer) => chunks.push(c));
  stderr.on('data', (c: Buffer) => chunks.push(c));
  await cli(['node', 'consul-ops', ...args], { stdout, stderr, env, interactive: false });
  const printed = Buffer.concat(chunks).toString('utf8').trimEnd();
  return `  $ consul-ops ${args.join(' ')}\n${printed.replace(/^/gm, '  ')}`;
}
