/**
 * The restore's checks about token secrets: before the snapshot is sent (`tokens`) and after the reconciliation
 * (`tokens-after-restore`). Pure.
 */
import type { RestoreCheck, TokenSecretPreflight, TokenSecretReconciliation } from './ports';

/** The preflight's verdict on the token secrets: `warn` when the restore will remove some of their tokens. */
export function tokensCheck(tokens: readonly TokenSecretPreflight[]): RestoreCheck {
  const reconcile = tokens.filter((t) => t.status === 'reconcile');
  const check = tokens.filter((t) => t.status === 'check');
  const names = (list: readonly TokenSecretPreflight[]) => list.map((t) => `${t.secret}${t.accessorId ? ` (${t.accessorId})` : ''}`).join(', ');
  const parts = [
    reconcile.length ? `${reconcile.length} created after the backup, re-created after the restore: ${names(reconcile)}` : '',
    check.length ? `${check.length} checked after the restore: ${names(check)}` : '',
    `${tokens.length - reconcile.length - check.length} in the backup`,
  ].filter((p) => p !== '');
  return { id: 'tokens', status: reconcile.length + check.length > 0 ? 'warn' : 'pass', detail: `${tokens.length} token secret(s): ${parts.join('; ')}` };
}

/** The verdict after the reconciliation: `fail` when a token secret's token could not be made to work. */
export function tokensAfterRestore(results: readonly TokenSecretReconciliation[]): RestoreCheck {
  const failed = results.filter((r) => r.outcome === 'failed');
  const recreated = results.filter((r) => r.outcome === 'recreated');
  const redeleted = results.flatMap((r) => r.redeleted);
  const detail = `${recreated.length} re-created, ${results.length - recreated.length - failed.length} present, ${failed.length} failed${failed.length ? ` (${failed.map((r) => r.secret).join(', ')})` : ''}; ${redeleted.length} retired token(s) deleted again`;
  return { id: 'tokens-after-restore', status: failed.length > 0 ? 'fail' : 'pass', detail };
}
