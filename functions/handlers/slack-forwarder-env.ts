/**
 * Environment of the Slack forwarder Lambda. The CDK construct imports these names; this file stays free of CDK and
 * SDK imports (it is bundled into the handler).
 */
export const SLACK_FORWARDER_ENV = {
  /** ARN of the secret holding the Slack incoming-webhook URL. */
  webhookSecretArn: 'SLACK_WEBHOOK_SECRET_ARN',
} as const;
