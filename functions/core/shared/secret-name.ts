/**
 * The secret's name, used as the `Secret` metric dimension by rotate-token and by the dashboard: the name part of a
 * Secrets Manager ARN (without the 6-character suffix Secrets Manager appends), or `secretId` itself when it is not an
 * ARN. Never a secret value.
 *
 * @example
 * secretNameOf('arn:aws:secretsmanager:eu-west-1:123456789012:secret:consul/prod/web-AbCdEf'); // 'consul/prod/web'
 */
export function secretNameOf(secretId: string): string {
  return /^arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:(.+)-[A-Za-z0-9]{6}$/.exec(secretId)?.[1] ?? secretId;
}
