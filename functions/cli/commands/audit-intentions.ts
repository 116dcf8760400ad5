import type { CliContext, CommandResult, CommandSpec, CommonOptions } from '../command';
import { createS3Client } from '../../adapters/aws-clients';
import { ConsulIntentionSource } from '../../adapters/consul/intention-source';
import { loadIntentionBaselineFile } from '../../adapters/intention-baseline-file';
import { S3IntentionAuditStore } from '../../adapters/s3-intention-audit-store';
import type { IntentionBaseline } from '../../core/intentions/baseline';
import { runIntentionAuditJob } from '../../core/intentions/job';
import { withPermissionHelp } from '../../core/shared/acl-policies';
import { settleJob } from '../report-option';
import type { IntentionAuditDocument, IntentionAuditSource, IntentionAuditStore } from '../../core/intentions/ports';
import { consulFromEnv, resolveClusterName } from '../wiring';

interface AuditIntentionsOptions extends CommonOptions {
  readonly baseline?: string;
  readonly cluster?: string;
  readonly bucket?: string;
}

/** What `consul-ops audit-intentions` talks to; tests pass their own. */
export interface AuditIntentionsDeps {
  connect(context: CliContext): { readonly source: IntentionAuditSource; close(): Promise<void> };
  store(context: CliContext, bucket: string): IntentionAuditStore;
  loadBaseline(path: string): IntentionBaseline;
  readonly now: () => Date;
}

const DEFAULT_DEPS: AuditIntentionsDeps = {
  connect(context) {
    const consul = consulFromEnv(context);
    return { source: new ConsulIntentionSource(consul.api), close: () => consul.close() };
  },
  store: (context, bucket) => new S3IntentionAuditStore({ client: createS3Client(context.env), bucket }),
  loadBaseline: loadIntentionBaselineFile,
  now: () => new Date(),
};

/** The `--json` document: what CI pipelines read. */
export interface AuditIntentionsJson {
  readonly effectiveDefault: 'allow' | 'deny';
  readonly findings: readonly { readonly check: string; readonly severity: string; readonly subject: string; readonly message: string }[];
  readonly resultHash: string;
  /** Only with `--bucket`. */
  readonly documentUrl?: string;
}

/**
 * `consul-ops audit-intentions`: the scheduled intention audit, run from this host against CONSUL_HTTP_ADDR. Exits 1
 * when a finding reaches `--fail-on` (default high), so it can gate a pipeline.
 */
export function createAuditIntentionsCommand(deps: AuditIntentionsDeps = DEFAULT_DEPS): CommandSpec<AuditIntentionsOptions> {
  return {
    name: 'audit-intentions',
    summary: 'audit service-mesh intentions: default policy, wildcards, drift from a baseline, shadowing, permissive mTLS',
    configure: (c) =>
      c
        .option('--baseline <file>', 'JSON or YAML baseline of the intended intentions (drift checks only run with it)')
        .option('--cluster <name>', 'cluster name in the report (default: the datacenter name)')
        .option('--bucket <name>', 'also store the full JSON document under reports/<cluster>/intentions/ in this bucket'),
    async run(options, context) {
      // Validate the baseline before talking to Consul: a typo in it is the most likely mistake.
      const baseline = options.baseline === undefined ? undefined : deps.loadBaseline(options.baseline);
      const consul = deps.connect(context);
      try {
        // Read first: the cluster name defaults to the datacenter the state comes from.
        const state = await withPermissionHelp('audit-intentions', () => consul.source.readIntentionState());
        const cluster = await resolveClusterName(options.cluster, () => Promise.resolve(state.datacenter));
        const outcome = await runIntentionAuditJob(
          { consul: { readIntentionState: () => Promise.resolve(state) }, ...(options.bucket ? { store: deps.store(context, options.bucket) } : {}), now: deps.now },
          { cluster, baseline },
        );
        // Reported exactly as the scheduled audit reports (dedupe state in --bucket, when given).
        const { document, documentUrl } = await settleJob(outcome, context, { bucket: options.bucket, now: deps.now });
        return renderResult(document, documentUrl);
      } finally {
        await consul.close();
      }
    },
  };
}

/** The default `audit-intentions` command. */
export const auditIntentionsCommand = createAuditIntentionsCommand();

function renderResult(document: IntentionAuditDocument, documentUrl: string | undefined): CommandResult<AuditIntentionsJson> {
  const data: AuditIntentionsJson = {
    effectiveDefault: document.effectiveDefault,
    findings: document.findings.map((f) => ({ check: f.check, severity: f.severity, subject: f.subject, message: f.message })),
    resultHash: document.resultHash,
    ...(documentUrl ? { documentUrl } : {}),
  };
  const d = document.defaults;
  const counts = Object.entries(document.counts)
    .filter(([, n]) => n > 0)
    .reverse()
    .map(([s, n]) => `${n} ${s}`);
  const lines = [
    `Intention audit of ${document.cluster} (datacenter ${document.datacenter}, Consul ${document.consulVersion}): ${document.inputs.intentions} intention(s)${document.baseline ? `, baseline of ${document.baseline.intentions}` : ', no baseline'}.`,
    `Effective default: ${d.policy} (decided by ${d.decidedBy})${d.wildcardDeny ? '; a * -> * deny intention is present' : ''}.`,
    document.findings.length === 0 ? 'No findings.' : `${document.findings.length} finding(s): ${counts.join(', ')}.`,
    ...document.findings.flatMap((f) => [`  [${f.severity.toUpperCase()}] ${f.check}: ${f.subject}`, `      ${f.message}`, `      fix: ${f.fix}`]),
    ...(documentUrl ? [`Full report: ${documentUrl}`] : []),
    `Result hash: ${document.resultHash}`,
  ];
  return { data, text: lines.join('\n'), findings: document.findings };
}
