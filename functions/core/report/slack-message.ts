import { redactSecrets } from '../shared/errors';
import { BODY_SECTIONS } from './report';
import { isSeverity, type Severity } from '../shared/severity';

/**
 * Turns what SNS hands the Slack forwarder (a consul-ops report notification, or a CloudWatch alarm notification from
 * the alarm topic) into a Slack incoming-webhook payload: a top-level `text` for push notifications and one
 * attachment whose colour is the severity, holding Block Kit blocks (header, cluster/feature/severity fields, what
 * happened, top findings, what to do, where the full report is).
 */

/** The parts of an SNS record the forwarder reads. */
export interface SnsMessageInput {
  readonly subject?: string;
  readonly message: string;
  /** String message attributes (`severity`, `feature`, `cluster`, `dedupeKey`, `reason`). */
  readonly attributes: Readonly<Record<string, string>>;
}

/** A Block Kit block (only the shapes built here). */
export type SlackBlock =
  | { readonly type: 'header'; readonly text: { readonly type: 'plain_text'; readonly text: string } }
  | { readonly type: 'section'; readonly text?: SlackText; readonly fields?: readonly SlackText[] }
  | { readonly type: 'context'; readonly elements: readonly SlackText[] };

/** Slack mrkdwn text. */
export interface SlackText {
  readonly type: 'mrkdwn';
  readonly text: string;
}

/** The webhook payload. */
export interface SlackPayload {
  readonly text: string;
  readonly attachments: readonly [{ readonly color: string; readonly fallback: string; readonly blocks: readonly SlackBlock[] }];
}

/** Attachment colour per severity (and for resolutions and alarm states). */
export const SLACK_COLORS: Readonly<Record<Severity | 'resolved' | 'unknown', string>> = {
  critical: '#8B0000',
  high: '#E01E5A',
  medium: '#ECB22E',
  low: '#36C5F0',
  info: '#9E9E9E',
  resolved: '#2EB67D',
  unknown: '#9E9E9E',
};

/** Slack limits: header text 150 characters, section text 3000, 10 fields of 2000. */
const LIMITS = { header: 150, section: 3000, field: 2000, fallback: 300 } as const;

/**
 * Builds the Slack payload for one SNS message.
 *
 * @example
 * const payload = buildSlackMessage({ subject: record.Sns.Subject, message: record.Sns.Message, attributes });
 */
export function buildSlackMessage(input: SnsMessageInput): SlackPayload {
  return parseAlarm(input.message) ?? reportMessage(input);
}

function reportMessage(input: SnsMessageInput): SlackPayload {
  const a = input.attributes;
  const severity = a.severity && isSeverity(a.severity) ? a.severity : undefined;
  const title = redact(input.subject ?? firstLine(input.message));
  const sections = splitSections(input.message);
  const fields = [
    ['Cluster', a.cluster],
    ['Feature', a.feature],
    ['Severity', severity],
    ['Why now', a.reason],
  ].filter((f): f is [string, string] => f[1] !== undefined && f[1] !== '');
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(title, LIMITS.header) } },
    ...(fields.length > 0 ? [{ type: 'section' as const, fields: fields.map(([k, v]) => mrkdwn(`*${k}*\n${escape(v)}`, LIMITS.field)) }] : []),
  ];
  for (const heading of [BODY_SECTIONS.happened, BODY_SECTIONS.findings, BODY_SECTIONS.resolved, BODY_SECTIONS.todo] as const) {
    const text = sections.get(heading);
    if (text) blocks.push({ type: 'section', text: mrkdwn(`*${escape(text.heading)}*\n${escape(text.body)}`, LIMITS.section) });
  }
  if (sections.size === 0) blocks.push({ type: 'section', text: mrkdwn(escape(input.message), LIMITS.section) });
  const footer = [sections.get(BODY_SECTIONS.report)?.heading, a.dedupeKey ? `dedupe key ${a.dedupeKey}` : undefined].filter((x): x is string => !!x);
  if (footer.length > 0) blocks.push({ type: 'context', elements: [mrkdwn(escape(footer.join(' | ')), LIMITS.section)] });
  const color = a.reason === 'resolved' ? SLACK_COLORS.resolved : SLACK_COLORS[severity ?? 'unknown'];
  return payload(title, color, blocks);
}

/** A CloudWatch alarm state change, as CloudWatch publishes it to SNS. */
interface AlarmMessage {
  readonly AlarmName: string;
  readonly AlarmDescription?: string | null;
  readonly NewStateValue: string;
  readonly OldStateValue?: string;
  readonly NewStateReason?: string;
  readonly StateChangeTime?: string;
  readonly Region?: string;
}

function parseAlarm(message: string): SlackPayload | undefined {
  let alarm: Partial<AlarmMessage>;
  try {
    alarm = JSON.parse(message) as Partial<AlarmMessage>;
  } catch {
    return undefined;
  }
  if (typeof alarm?.AlarmName !== 'string' || typeof alarm.NewStateValue !== 'string') return undefined;
  const state = alarm.NewStateValue;
  const color = state === 'ALARM' ? SLACK_COLORS.critical : state === 'OK' ? SLACK_COLORS.resolved : SLACK_COLORS.unknown;
  const title = redact(`${state}: ${alarm.AlarmName}`);
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(title, LIMITS.header) } },
    {
      type: 'section',
      fields: [
        mrkdwn(`*State*\n${escape(`${alarm.OldStateValue ?? '?'} -> ${state}`)}`, LIMITS.field),
        mrkdwn(`*When*\n${escape(alarm.StateChangeTime ?? '?')}`, LIMITS.field),
      ],
    },
    ...(alarm.AlarmDescription ? [{ type: 'section' as const, text: mrkdwn(escape(redact(alarm.AlarmDescription)), LIMITS.section) }] : []),
    ...(alarm.NewStateReason ? [{ type: 'context' as const, elements: [mrkdwn(escape(redact(alarm.NewStateReason)), LIMITS.section)] }] : []),
  ];
  return payload(title, color, blocks);
}

function payload(title: string, color: string, blocks: readonly SlackBlock[]): SlackPayload {
  const fallback = clip(escape(title), LIMITS.fallback);
  return { text: fallback, attachments: [{ color, fallback, blocks }] };
}

/** The body's paragraphs keyed by the section heading they start with (`Findings: 3 (…)` → `Findings`). */
function splitSections(body: string): Map<string, { heading: string; body: string }> {
  const known = Object.values(BODY_SECTIONS) as string[];
  const sections = new Map<string, { heading: string; body: string }>();
  for (const paragraph of redact(body).split(/\n{2,}/)) {
    const [first, ...rest] = paragraph.split('\n');
    const key = known.find((k) => first === k || first.startsWith(`${k}:`));
    if (key !== undefined && !sections.has(key)) sections.set(key, { heading: first, body: rest.join('\n') });
  }
  return sections;
}

function mrkdwn(text: string, max: number): SlackText {
  return { type: 'mrkdwn', text: clip(text, max) };
}

/** Slack's three control characters; escaping them also defuses `<!channel>` and `<url|label>` injection. */
function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function redact(text: string): string {
  return redactSecrets(text);
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? '';
}

function clip(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}
