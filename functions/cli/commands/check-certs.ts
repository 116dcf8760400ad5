import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import type { CliContext, CommandResult, CommandSpec, CommonOptions } from '../command';
import { ConsulApi } from '../../adapters/consul/api';
import { ConsulCertificateSource } from '../../adapters/consul/cert-source';
import { ConsulHttpClient } from '../../adapters/consul/client';
import { consulSettingsFromEnv, type ConsulConnectionSettings } from '../../adapters/consul/settings';
import { createTlsProbe, systemRootPems } from '../../adapters/tls-probe';
import type { CertificateSource, TlsProbe } from '../../core/certs/ports';
import { runCertificateCheckJob } from '../../core/certs/job';
import { checkCaBundle } from '../../core/certs/endpoints';
import { DEFAULT_AUDITOR_SERVICE, parseHostPort, type CertCheckResult } from '../../core/certs/workflow';
import { settleJob } from '../report-option';
import type { CertEntry } from '../../core/certs/observations';
import { DEFAULT_CERT_THRESHOLDS } from '../../core/certs/thresholds';
import { withPermissionHelp } from '../../core/shared/acl-policies';
import { CONSUL_ERROR_CODES } from '../../core/shared/consul-errors';
import { InvalidInputError, isErrorCode, summarizeError } from '../../core/shared/errors';
import { sortFindings } from '../../core/report/report';
import { severityRank } from '../../core/shared/severity';
import { integerFlag, resolveClusterName } from '../wiring';

/** One `--endpoint`, with the `--endpoint-ca` that followed it. */
interface EndpointFlag {
  readonly address: string;
  caFile?: string;
}

interface CheckCertsOptions extends CommonOptions {
  readonly endpoint: EndpointFlag[];
  readonly cluster?: string;
  readonly bucket?: string;
  readonly warnDays?: number;
  readonly criticalDays?: number;
  readonly auditorService: string;
}

/** What `consul-ops check-certs` talks to; tests may replace the probe and the clock. */
export interface CheckCertsDeps {
  connect(context: CliContext): { readonly source: CertificateSource; readonly settings: ConsulConnectionSettings; close(): Promise<void> };
  readonly probe: TlsProbe;
  readonly now: () => Date;
  /** Reads an `--endpoint-ca` file. @default readFileSync (utf8) */
  readonly readFile: (path: string) => string;
}

const DEFAULT_DEPS: CheckCertsDeps = {
  connect(context) {
    const settings = consulSettingsFromEnv(context.env, (path) => readFileSync(path, 'utf8'));
    const http = new ConsulHttpClient({ settings, token: settings.token });
    return { source: new ConsulCertificateSource(new ConsulApi(http)), settings, close: () => http.close() };
  },
  probe: createTlsProbe(),
  now: () => new Date(),
  readFile: (path) => readFileSync(path, 'utf8'),
};

/**
 * `consul-ops check-certs`: the scheduled certificate check, run from this host: CA roots, every sidecar's served
 * leaf (mTLS as the auditor identity), Consul's HTTPS and gRPC TLS endpoints (judged against CONSUL_CACERT) and any
 * `--endpoint` (judged against the `--endpoint-ca` that follows it, else the system trust store). Prints
 * `{ certs, findings }` with `--json`; exits 1 when a finding reaches `--fail-on`, 2 when the check cannot run (e.g. a
 * permission of its policy is missing).
 */
export function createCheckCertsCommand(overrides: Partial<CheckCertsDeps> = {}): CommandSpec<CheckCertsOptions> {
  const deps: CheckCertsDeps = { ...DEFAULT_DEPS, ...overrides };
  return {
    name: 'check-certs',
    summary: 'check Connect CA roots, sidecar leaves and TLS endpoints for expiry and stale certificates',
    configure: (c) => {
      // --endpoint-ca belongs to the --endpoint before it, so both flags fill one list in command-line order.
      const endpoints: EndpointFlag[] = [];
      c.option('--endpoint <host:port>', 'another TLS endpoint to check (repeatable)', (address: string) => (endpoints.push({ address }), endpoints), [])
        .option('--endpoint-ca <file>', 'PEM CA bundle the preceding --endpoint must chain to (default: the system trust store)', (file: string) => {
          const last = endpoints.at(-1);
          if (!last) throw new InvalidArgumentError('--endpoint-ca must follow the --endpoint it applies to, e.g. --endpoint vault.internal:8200 --endpoint-ca vault-ca.pem');
          if (last.caFile !== undefined) throw new InvalidArgumentError(`--endpoint ${last.address} already has --endpoint-ca ${last.caFile}; give one bundle file per endpoint`);
          last.caFile = file;
          return file;
        })
        .option('--warn-days <n>', `endpoint days left that warn (default ${DEFAULT_CERT_THRESHOLDS.endpoint.warning})`, integerFlag('--warn-days'))
        .option('--critical-days <n>', `endpoint days left that are critical (default ${DEFAULT_CERT_THRESHOLDS.endpoint.critical})`, integerFlag('--critical-days'))
        .option('--auditor-service <name>', 'service identity presented to sidecars (the token needs service:write on it)', DEFAULT_AUDITOR_SERVICE)
        .option('--cluster <name>', 'cluster name in the report (default: the datacenter name)')
        .option('--bucket <name>', 'with CONSUL_OPS_SNS_TOPIC_ARN: keep the report and its dedupe state in this bucket, shared with the scheduled check');
    },
    async run(options, context) {
      options.endpoint.forEach((e) => parseHostPort(e.address, '--endpoint'));
      const endpoints = options.endpoint.map((e) => (e.caFile === undefined ? { address: e.address } : { address: e.address, caPem: readCaFile(deps, e.caFile), caSource: `the CA bundle ${e.caFile}` }));
      const endpoint = endpointThresholds(options);
      if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(options.auditorService)) throw new InvalidInputError('--auditor-service', `"${options.auditorService}" is not a service name`, DEFAULT_AUDITOR_SERVICE);
      const consul = deps.connect(context);
      try {
        const cluster = await resolveClusterName(options.cluster, () =>
          withPermissionHelp('check-certs', () => consul.source.agentInfo(), { auditorService: options.auditorService }).then(
            (agent) => agent.datacenter,
            (err: unknown) => {
              if (isErrorCode(err, CONSUL_ERROR_CODES.permissionDenied)) throw err;
              throw new InvalidInputError('--cluster', `is needed: the datacenter name cannot be read from /v1/agent/self (${summarizeError(err).message})`, 'prod-east');
            },
          ),
        );
        const outcome = await runCertificateCheckJob(
          { consul: consul.source, probe: deps.probe, now: deps.now },
          cluster,
          {
            auditorService: options.auditorService,
            consulEndpoints: consulEndpoints(consul.settings),
            endpoints,
            consulCaPem: consul.settings.tls.caPem,
            systemCaPems: systemRootPems(),
            thresholds: endpoint ? { endpoint } : {},
          },
        );
        // Reported exactly as the scheduled check reports.
        return render(await settleJob(outcome, context, { bucket: options.bucket, now: deps.now }));
      } finally {
        await consul.close();
      }
    },
  };
}

function readCaFile(deps: CheckCertsDeps, file: string): string {
  let pem: string;
  try {
    pem = deps.readFile(file);
  } catch (err) {
    throw new InvalidInputError('--endpoint-ca', `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, 'the path of a PEM file with the endpoint\'s CA certificate(s)');
  }
  return checkCaBundle(pem, '--endpoint-ca', file);
}

/** `consul-ops check-certs` with the real Consul and TLS wiring. */
export const checkCertsCommand = createCheckCertsCommand();

function endpointThresholds(o: CheckCertsOptions): { warning: number; critical: number } | undefined {
  if (o.warnDays === undefined && o.criticalDays === undefined) return undefined;
  const warning = o.warnDays ?? Math.max(DEFAULT_CERT_THRESHOLDS.endpoint.warning, o.criticalDays ?? 0);
  const critical = o.criticalDays ?? Math.min(DEFAULT_CERT_THRESHOLDS.endpoint.critical, warning);
  if (warning < critical) throw new InvalidInputError('--warn-days', `(${warning}) must be at least --critical-days (${critical})`, `--warn-days 28 --critical-days 14`);
  return { warning, critical };
}

/** Consul's HTTPS addresses from CONSUL_HTTP_ADDR (plain-HTTP addresses have no certificate to check). */
function consulEndpoints(settings: ConsulConnectionSettings): { host: string; port: number; serverName?: string }[] {
  return settings.addresses
    .filter((a) => a.startsWith('https://'))
    .map((a) => new URL(a))
    .map((u) => ({ host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 443), ...(settings.tls.serverName ? { serverName: settings.tls.serverName } : {}) }));
}

function render(result: CertCheckResult): CommandResult {
  const certs = [...result.certs].sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.daysLeft - b.daysLeft);
  const findings = sortFindings(result.findings);
  const problems = findings.filter((f) => f.severity !== 'info');
  const lines = [
    `${result.certs.length} certificates of datacenter ${result.datacenter ?? '(unknown)'} (trust domain ${result.trustDomain}), ${result.metrics.proxiesChecked} of ${result.metrics.proxiesTotal} sidecars answered:`,
    `  ${'SEVERITY'.padEnd(9)} ${'KIND'.padEnd(9)} ${'DAYS LEFT'.padStart(9)}  ${'NOT AFTER'.padEnd(20)}  SUBJECT`,
    ...certs.map(certLine),
    '',
    problems.length === 0 ? 'No certificate problems.' : `${problems.length} finding(s) above info:`,
    ...problems.flatMap((f) => [`  [${f.severity.toUpperCase()}] ${f.subject}: ${f.message}`, ...(f.remedy ? [`      Fix: ${f.remedy}`] : [])]),
  ];
  return { data: { certs: result.certs, findings: result.findings }, text: lines.join('\n'), findings: result.findings };
}

function certLine(c: CertEntry): string {
  return `  ${c.severity.padEnd(9)} ${c.kind.padEnd(9)} ${c.daysLeft.toFixed(2).padStart(9)}  ${c.notAfter.slice(0, 19).padEnd(20)}  ${c.subject}`;
}
