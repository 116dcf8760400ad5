import { createHash } from 'node:crypto';
import { redactSecrets } from '../shared/errors';
import { severityRank, worstSeverity, type Severity } from '../shared/severity';

/**
 * The one report shape every consul-ops job produces (backup, retention, restore, rotation, intentions, certificates),
 * and its rendering as an SNS notification that reads well as e-mail and that the Slack forwarder can re-shape.
 *
 * Invariant: every string that leaves through {@link formatNotification} has passed {@link redactSecrets}; the
 * subject is printable ASCII under 100 characters and the body stays under {@link MAX_BODY_BYTES} UTF-8 bytes
 * whatever the number and size of the findings.
 */

/** The jobs that report. */
export const REPORT_FEATURES = ['backup', 'retention', 'restore', 'rotation', 'intentions', 'certificates'] as const;
/** One of {@link REPORT_FEATURES}. */
export type ReportFeature = (typeof REPORT_FEATURES)[number];
/** Features whose reports are scoped (one dedupe state per scope, e.g. per rotated secret). */
export const SCOPED_REPORT_FEATURES: readonly ReportFeature[] = ['rotation'];

/** Whether the job itself ran to its end; a failed run is always announced. */
export const REPORT_OUTCOMES = ['succeeded', 'failed'] as const;
/** One of {@link REPORT_OUTCOMES}. */
export type ReportOutcome = (typeof REPORT_OUTCOMES)[number];

/** Why a notification goes out (or, for `quiet`, does not); see `decideNotification`. */
export const NOTIFICATION_REASONS = ['new', 'changed', 'resolved', 'reminder', 'failure', 'event', 'digest', 'quiet'] as const;
/** One of {@link NOTIFICATION_REASONS}. */
export type NotificationReason = (typeof NOTIFICATION_REASONS)[number];

/** One thing a check found. `id` is stable across runs: it is what dedupe compares. */
export interface Finding {
  /** Stable identity, e.g. `intention:web->db` or `backup-failed`; never a secret. */
  readonly id: string;
  /** The check that produced it, e.g. `intention-drift`. */
  readonly check: string;
  readonly severity: Severity;
  /** What it is about: a service pair, a certificate, an accessor ID, the cluster. */
  readonly subject: string;
  readonly message: string;
  /** What the operator should do. */
  readonly remedy?: string;
}

/** What one job run reports. */
export interface Report {
  readonly feature: ReportFeature;
  readonly cluster: string;
  /**
   * What the report covers within its feature when a feature reports on several independent things, e.g. one token
   * secret of the rotation feature. Each scope keeps its own dedupe state, so a failure of one secret is not
   * "resolved" by the success of another.
   * @default - the whole feature of the cluster
   */
  readonly scope?: string;
  /**
   * A one-off event (a restore): announced every time (`event`), whatever the dedupe state says.
   * @default false
   */
  readonly alwaysNotify?: boolean;
  /** The worst finding's severity, or `info` without findings (see {@link createReport}). */
  readonly severity: Severity;
  /** Short headline, e.g. `2 intention drifts` or `backup failed`. */
  readonly title: string;
  /** A few lines saying what happened. */
  readonly summary: readonly string[];
  readonly findings: readonly Finding[];
  /** `s3://…` of the full JSON report, once stored. */
  readonly reportUrl?: string;
  /** ISO-8601 time the run finished. */
  readonly occurredAt: string;
  /** @default 'succeeded' */
  readonly outcome?: ReportOutcome;
  /**
   * Identifiers printed on purpose (e.g. token accessor IDs): {@link redactSecrets} keeps them readable.
   * @default - none: every UUID-shaped string is masked
   */
  readonly publicIds?: readonly string[];
}

/** A report before its severity is derived. */
export type ReportInput = Omit<Report, 'severity'> & { readonly severity?: Severity };

/**
 * Builds a {@link Report}, deriving `severity` from the worst finding (`info` when there is none) unless given.
 *
 * @example
 * const report = createReport({ feature: 'intentions', cluster: 'prod-east', title: '2 intention drifts', summary: [], findings, occurredAt: now.toISOString() });
 */
export function createReport(input: ReportInput): Report {
  return { ...input, severity: input.severity ?? worstSeverity(input.findings.map((f) => f.severity)) ?? 'info' };
}

/** The message attributes every report publish carries; e-mail subscriptions filter on `severity`. */
export interface NotificationAttributes {
  readonly severity: Severity;
  readonly feature: ReportFeature;
  readonly cluster: string;
  /** `<feature>/<cluster>/<fingerprint of the finding set>`: equal for equal finding sets. */
  readonly dedupeKey: string;
  /** Why it was sent, when known. */
  readonly reason?: NotificationReason;
}

/** An SNS-ready notification. */
export interface Notification {
  /** Printable ASCII, no line breaks, at most {@link MAX_SUBJECT_CHARS} characters. */
  readonly subject: string;
  /** Plain text, at most {@link MAX_BODY_BYTES} UTF-8 bytes. */
  readonly body: string;
  readonly attributes: NotificationAttributes;
}

/** How to render a notification; the dedupe decision supplies these. */
export interface NotificationContext {
  readonly reason?: NotificationReason;
  /**
   * The `severity` attribute subscribers filter on. A resolution is routed at the severity of what resolved, so it
   * reaches the people who got the alert.
   * @default - the report's severity
   */
  readonly routingSeverity?: Severity;
  /** Findings open last time and gone now. @default [] */
  readonly resolved?: readonly { readonly id: string; readonly severity: Severity }[];
  /** How many findings the body lists. @default 10 */
  readonly maxFindings?: number;
}

/** SNS: the subject must be under 100 characters. */
export const MAX_SUBJECT_CHARS = 99;
/** SNS allows 256 KiB for body plus attributes; the body keeps well clear of it. */
export const MAX_BODY_BYTES = 240 * 1024;
/** Section headings of the body; the Slack forwarder splits the body on them. */
export const BODY_SECTIONS = {
  happened: 'What happened',
  findings: 'Findings',
  resolved: 'Resolved since the last report',
  todo: 'What to do',
  report: 'Full report',
} as const;

const DEFAULT_MAX_FINDINGS = 10;
/** Hard cap on `maxFindings`: more is unreadable in a mail anyway. */
const MAX_LISTED_FINDINGS = 200;
const MAX_SUMMARY_LINES = 20;
const MAX_REMEDIES = 5;
const FIELD_CHARS = { title: 200, line: 500, subject: 200, message: 1000, remedy: 500 } as const;

/**
 * Renders a report as an SNS notification: a subject like `[CRITICAL] prod-east: 2 intention drifts`, a plain-text
 * body (what happened, the worst findings up to `maxFindings` with "… and M more", what to do, where the full report
 * is) and the attributes `severity`, `feature`, `cluster`, `dedupeKey` (and `reason`).
 *
 * @example
 * const { subject, body, attributes } = formatNotification(report, { reason: 'new' });
 */
export function formatNotification(report: Report, context: NotificationContext = {}): Notification {
  // Pre-cut far beyond `max` before redacting (speed); a secret cut there is dropped by the final cut, never shown.
  const clean = (text: string, max: number) => clip(oneLine(redactSecrets(text.slice(0, 2 * max + 200), report.publicIds ?? [])), max);
  const findings = sortFindings(report.findings);
  const shown = findings.slice(0, Math.min(MAX_LISTED_FINDINGS, Math.max(0, context.maxFindings ?? DEFAULT_MAX_FINDINGS)));
  const resolved = context.resolved ?? [];
  const sections = [
    headline(report, context.reason, clean),
    section(BODY_SECTIONS.happened, report.summary.slice(0, MAX_SUMMARY_LINES).map((l) => `- ${clean(l, FIELD_CHARS.line)}`), report.summary.length - MAX_SUMMARY_LINES),
    findings.length === 0 ? `${BODY_SECTIONS.findings}: none` : findingsSection(findings, shown, clean),
    resolved.length === 0 ? undefined : section(BODY_SECTIONS.resolved, resolved.slice(0, 20).map((r) => `- [${r.severity.toUpperCase()}] ${clean(r.id, FIELD_CHARS.subject)}`), resolved.length - 20),
    todoSection(shown, report, clean),
    `${BODY_SECTIONS.report}: ${report.reportUrl ? clean(report.reportUrl, FIELD_CHARS.line) : 'not stored (see the job logs)'}`,
    `-- consul-ops | dedupe key ${dedupeKeyOf(report)}${context.reason ? ` | reason: ${context.reason}` : ''}`,
  ];
  return {
    subject: formatSubject(report, context.reason),
    body: capUtf8(sections.filter((s): s is string => s !== undefined).join('\n\n'), MAX_BODY_BYTES),
    attributes: {
      severity: context.routingSeverity ?? report.severity,
      feature: report.feature,
      cluster: ascii(redactSecrets(report.cluster)),
      dedupeKey: dedupeKeyOf(report),
      ...(context.reason ? { reason: context.reason } : {}),
    },
  };
}

/**
 * The subject line: `[SEVERITY] cluster: title`, with a `(reminder)` or `(daily digest)` suffix and `[RESOLVED]`
 * for resolutions. Printable ASCII only (SNS refuses control characters; some mail paths mangle the rest), no line
 * breaks, cut to {@link MAX_SUBJECT_CHARS} with "...".
 */
export function formatSubject(report: Report, reason?: NotificationReason): string {
  const tag = reason === 'resolved' ? 'RESOLVED' : report.severity.toUpperCase();
  const suffix = reason === 'reminder' ? ' (reminder)' : reason === 'digest' ? ' (daily digest)' : '';
  const text = ascii(redactSecrets(`[${tag}] ${report.cluster}: ${report.title}`, report.publicIds ?? []));
  const room = MAX_SUBJECT_CHARS - suffix.length;
  return (text.length > room ? `${text.slice(0, room - 3).trimEnd()}...` : text) + suffix;
}

/**
 * The fingerprint of a finding set: equal sets (same ids at the same severities, in any order) give equal
 * fingerprints; `clear` for no findings.
 */
export function fingerprintFindings(findings: readonly Pick<Finding, 'id' | 'severity'>[]): string {
  if (findings.length === 0) return 'clear';
  // A repeated id counts once, at its worst severity (as dedupe sees it).
  const worst = new Map<string, Severity>();
  for (const f of findings) {
    const seen = worst.get(f.id);
    if (seen === undefined || severityRank(f.severity) > severityRank(seen)) worst.set(f.id, f.severity);
  }
  const pairs = [...worst].map(([id, severity]) => `${id}\u0000${severity}`).sort();
  return createHash('sha256').update(pairs.join('\n')).digest('hex').slice(0, 16);
}

/** `<feature>/<cluster>/<fingerprint>`, or `<feature>/<cluster>/<scope>/<fingerprint>` for a scoped report. */
export function dedupeKeyOf(report: Pick<Report, 'feature' | 'cluster' | 'findings' | 'scope'>): string {
  const scope = report.scope === undefined ? '' : `${ascii(report.scope)}/`;
  return `${report.feature}/${ascii(report.cluster)}/${scope}${fingerprintFindings(report.findings)}`;
}

/** Findings worst first, then by id, so the body and Slack list the same top N. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * A copy of the report with every string passed through {@link redactSecrets}, for storing the full JSON report.
 */
export function redactReport(report: Report): Report {
  const allow = report.publicIds ?? [];
  const r = (s: string) => redactSecrets(s, allow);
  return {
    ...report,
    title: r(report.title),
    summary: report.summary.map(r),
    findings: report.findings.map((f) => ({ ...f, id: r(f.id), check: r(f.check), subject: r(f.subject), message: r(f.message), ...(f.remedy === undefined ? {} : { remedy: r(f.remedy) }) })),
  };
}

type Clean = (text: string, max: number) => string;

function headline(report: Report, reason: NotificationReason | undefined, clean: Clean): string {
  const tag = reason === 'resolved' ? 'RESOLVED' : report.severity.toUpperCase();
  const lead = reason === 'reminder' ? 'Reminder, still open: ' : reason === 'digest' ? 'Daily digest: ' : '';
  const facts = [`cluster ${clean(report.cluster, 100)}`, `feature ${report.feature}`, report.occurredAt, `run ${report.outcome ?? 'succeeded'}`];
  return `${tag}: ${lead}${clean(report.title, FIELD_CHARS.title)}\n${facts.join(', ')}`;
}

function section(title: string, lines: readonly string[], more: number): string | undefined {
  if (lines.length === 0) return undefined;
  return [title, ...lines, ...(more > 0 ? [`… and ${more} more`] : [])].join('\n');
}

function findingsSection(all: readonly Finding[], shown: readonly Finding[], clean: Clean): string {
  const counts = countBySeverity(all);
  const head = `${BODY_SECTIONS.findings}: ${all.length} (${counts})${shown.length < all.length ? `, the ${shown.length} most severe below` : ''}`;
  const lines = shown.flatMap((f, i) => [
    `${i + 1}. [${f.severity.toUpperCase()}] ${clean(f.check, FIELD_CHARS.subject)}: ${clean(f.subject, FIELD_CHARS.subject)}`,
    `   ${clean(f.message, FIELD_CHARS.message)}`,
    ...(f.remedy ? [`   Fix: ${clean(f.remedy, FIELD_CHARS.remedy)}`] : []),
  ]);
  const more = all.length - shown.length;
  return [head, ...lines, ...(more > 0 ? [`… and ${more} more in the full report`] : [])].join('\n');
}

function todoSection(shown: readonly Finding[], report: Report, clean: Clean): string {
  const remedies = [...new Set(shown.map((f) => f.remedy).filter((r): r is string => !!r).map((r) => clean(r, FIELD_CHARS.remedy)))];
  if (remedies.length > 0) return [BODY_SECTIONS.todo, ...remedies.slice(0, MAX_REMEDIES).map((r) => `- ${r}`)].join('\n');
  const nothing = report.findings.length === 0 ? 'Nothing: no open findings.' : 'Review the findings above and the full report.';
  return `${BODY_SECTIONS.todo}\n- ${nothing}`;
}

function countBySeverity(findings: readonly Finding[]): string {
  const counts = new Map<Severity, number>();
  for (const f of findings) counts.set(f.severity, (counts.get(f.severity) ?? 0) + 1);
  return [...counts].sort(([a], [b]) => severityRank(b) - severityRank(a)).map(([s, n]) => `${n} ${s}`).join(', ');
}

/** Control characters and line breaks become spaces; runs of whitespace collapse. */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').replace(/\s{2,}/g, ' ').trim();
}

/** Printable ASCII: accents are stripped, anything else becomes `?`. */
function ascii(text: string): string {
  return oneLine(text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '')).replace(/[^\x20-\x7e]/g, '?');
}

function clip(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** Cuts a string to at most `maxBytes` UTF-8 bytes on a character boundary, saying so at the end. */
function capUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const marker = '\n… (cut to fit the SNS size limit; see the full report)';
  const room = maxBytes - Buffer.byteLength(marker, 'utf8');
  let cut = Buffer.from(text, 'utf8').subarray(0, room).toString('utf8');
  // A multi-byte character cut in half decodes to U+FFFD: drop it.
  if (cut.endsWith('\uFFFD')) cut = cut.slice(0, -1);
  return cut + marker;
}
