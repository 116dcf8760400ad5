import { z } from 'zod';
import { DEFAULT_TIME_ZONE } from '../../functions/core/shared/defaults';
import { scheduleExpressionProblem } from './schedule-expression';
import { expected } from './schema-messages';

/**
 * The field types of the deploy config schema, each with the one-line error it gives: `<what is expected>, e.g.
 * <a valid value>`. Shared by `cluster-schema.ts` and `deploy-config.ts`.
 */

/** Region names as they appear in ARNs, e.g. `eu-west-1`, `us-gov-west-1`. */
export const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
/** A 12-digit AWS account id. */
export const ACCOUNT = /^\d{12}$/;
export const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z]{2}(-[a-z]+)+-\d:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/;
export const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z]{2}(-[a-z]+)+-\d:\d{12}:key\/(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;
export const S3_BUCKET_ARN = /^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
export const PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[A-Za-z0-9/_+=,.@-]+$/;
export const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
export const DNS_NAME = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
export const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
export const AZ = /^[a-z]{2}(-[a-z]+)+-\d[a-z]$/;
/** `host:port` or `[v6]:port` of a TLS endpoint. */
export const HOST_PORT = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;
/** A Consul service name. */
export const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** An id of an EC2 resource, e.g. `vpc-0123456789abcdef0`. */
export const ec2Id = (prefix: string): RegExp => new RegExp(`^${prefix}-([0-9a-f]{8}|[0-9a-f]{17})$`);

/** Example values used in messages. */
export const EX = {
  secret: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:consul/prod/management-token-AbCdEf',
  kmsKey: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  url: 'https://consul.internal:8501',
  azs: '["eu-west-1a","eu-west-1b"]',
} as const;

/** A string matching `re`; both a wrong type and a mismatch say `expected <desc>`. */
export const pattern = (re: RegExp, desc: string) => z.string({ error: expected(desc) }).regex(re, { error: expected(desc) });

/** A full Secrets Manager secret ARN (with the 6-character suffix IAM needs for an exact match). */
export const secretArn = (what: string) =>
  pattern(SECRET_ARN, `a full Secrets Manager ARN of ${what} (with its 6-character suffix), e.g. ${EX.secret}`);

/** A KMS key ARN (not an alias: IAM statements and key policies name keys by key ARN). */
export const kmsKeyArn = (what: string) => pattern(KMS_KEY_ARN, `the ARN of the KMS key that ${what} (a key ARN, not an alias), e.g. ${EX.kmsKey}`);

/** A whole number from 0 to `max`. */
export const count = (desc: string, example: number, max = 100_000) =>
  z.number({ error: expected(`${desc}, e.g. ${example}`) })
    .int({ error: expected(`${desc}, e.g. ${example}`) })
    .min(0, { error: expected(`${desc}, e.g. ${example}`) })
    .max(max, { error: expected(`${desc} of at most ${max}, e.g. ${example}`) });

/** A retention count as restic reads it: 0 disables the rule, -1 keeps one snapshot of every period. */
export const keepCount = (period: string, example: number) =>
  z.number({ error: expected(`a whole number of ${period} snapshots to keep (-1 = all), e.g. ${example}`) })
    .int({ error: expected(`a whole number of ${period} snapshots to keep (-1 = all), e.g. ${example}`) })
    .min(-1, { error: expected(`a whole number of ${period} snapshots to keep (-1 = all), e.g. ${example}`) })
    .max(100_000, { error: expected(`at most 100000 ${period} snapshots (or -1 for all), e.g. ${example}`) });

/** A whole number from 1 to `max`. */
export const positiveInt = (desc: string, example: number, max: number) =>
  z.number({ error: expected(`${desc}, e.g. ${example}`) })
    .int({ error: expected(`${desc}, e.g. ${example}`) })
    .min(1, { error: expected(`${desc} of at least 1, e.g. ${example}`) })
    .max(max, { error: expected(`${desc} of at most ${max}, e.g. ${example}`) });

/** A list; too short says "expected a non-empty list of …". */
export const list = <T extends z.ZodType>(item: T, desc: string, min = 0) =>
  z.array(item, { error: expected(desc) }).min(min, {
    error: desc.startsWith('a list of') ? `expected ${desc.replace('a list of', 'a non-empty list of')}` : `expected at least one entry: ${desc}`,
  });

/** `true` or `false`. */
export const bool = () => z.boolean({ error: expected('true or false') });

/** True for an https URL without credentials, query or fragment (those would leak into the environment and logs). */
export function isHttpsUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && url.hostname !== '' && !url.username && !url.password && !url.search && !url.hash;
  } catch {
    return false;
  }
}

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

const SCHEDULE_EXAMPLE = 'a schedule expression, e.g. rate(1 hour) or cron(0 * * * ? *)';

/** A recurring EventBridge Scheduler expression, checked with the service's rules (see schedule-expression.ts). */
export const scheduleField = (fallback: string) =>
  z
    .string({ error: expected(SCHEDULE_EXAMPLE) })
    .superRefine((value, ctx) => {
      const problem = scheduleExpressionProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: `${problem} (EventBridge Scheduler would refuse it)` });
    })
    .default(fallback);

/** An IANA time zone for cron schedules. */
export const timeZoneField = () =>
  z
    .string({ error: expected('an IANA time zone, e.g. Europe/Berlin or UTC') })
    .refine(isTimeZone, { error: 'expected an IANA time zone, e.g. Europe/Berlin or UTC' })
    .default(DEFAULT_TIME_ZONE);

/** The Region and account of a regional ARN (`arn:partition:service:region:account:…`). */
export function arnLocation(arn: string): { readonly region: string; readonly account: string } {
  const [, , , region, account] = arn.split(':');
  return { region, account };
}
