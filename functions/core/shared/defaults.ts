/**
 * Product defaults, declared once: the deploy config schema (`lib/config`), the CDK constructs and the core read them
 * from here, so a default cannot differ between the config reference, the deployed functions and the CLI.
 * Plain data only (this file is bundled into the Lambdas).
 */

/** How often a scheduled job runs when its `schedule` is left out (EventBridge Scheduler syntax). */
export const DEFAULT_SCHEDULES = {
  backup: 'rate(1 hour)',
  intentions: 'rate(1 hour)',
  certificates: 'rate(1 hour)',
} as const;

/** IANA time zone of a cron schedule and of the retention periods. */
export const DEFAULT_TIME_ZONE = 'UTC';

/**
 * GFS retention counts (restic semantics, `-1` = unlimited): 24 hourly, 7 daily, 4 weekly, 6 monthly, no yearly,
 * never fewer than 3 verified backups.
 */
export const DEFAULT_RETENTION_COUNTS = Object.freeze({
  keepLast: 0,
  hourly: 24,
  daily: 7,
  weekly: 4,
  monthly: 6,
  yearly: 0,
  keepMin: 3,
});

/** The dedicated service identity the certificate check presents to sidecars (its token needs `service:write` on it). */
export const DEFAULT_AUDITOR_SERVICE = 'consul-ops-auditor';

/** ACL token rotation: days between rotations, and hours a replaced token keeps working before it is deleted. */
export const DEFAULT_ROTATION = Object.freeze({ intervalDays: 30, gracePeriodHours: 24 });

/**
 * Memory of the take-snapshot function, MB: 1769 MB is where Lambda gives one full vCPU. A backup is CPU-bound (one
 * verifying pass: inflate and SHA-256), so below this the time grows as memory shrinks while the cost per backup
 * (GB-seconds) stays about the same; above it the pass gains little and the cost rises. Peak memory stays under
 * 200 MB either way. Measured figures and the arithmetic: BENCHMARKS.md, "Choosing the snapshot function's memory".
 */
export const DEFAULT_BACKUP_MEMORY_MB = 1769;

/** Bucket defaults: how long pruned backups stay recoverable, and how long full JSON reports are kept. */
export const DEFAULT_BUCKET = Object.freeze({ noncurrentVersionExpirationDays: 30, reportRetentionDays: 90 });

/** Prefix of every CloudFormation stack (and alarm and dashboard name) of one deployment. */
export const DEFAULT_STACK_NAME_PREFIX = 'ConsulOps';
