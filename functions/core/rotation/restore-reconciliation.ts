/**
 * Token secrets across a Consul restore (consul-api.md correction 8: a restore replaces ACLs too). Before the
 * snapshot is sent, {@link TokenSecretReconciler.preflight} lists the secrets whose AWSCURRENT token was created after
 * the backup (the restore will remove it) and remembers each token as it is now. After the snapshot was applied,
 * {@link TokenSecretReconciler.reconcile}:
 *
 * 1. handles consul-ops' own management secret first: when its AWSCURRENT token is gone, it authenticates with the
 *    token that is valid in the restored state (AWSPREVIOUS, else the caller's own token) and re-creates AWSCURRENT,
 *    so consul-ops never locks itself out; from then on it presents the management token it has proven;
 * 2. re-creates every other missing AWSCURRENT token with the same AccessorID and SecretID and the links of the token
 *    it replaced (which exists in the restored state; else an older retired token of the chain; else the token as it
 *    was before the restore);
 * 3. deletes again the retired tokens (ledger) whose grace period is over and that the backup brought back.
 *
 * A token that cannot be re-created is reported with the exact command that does it by hand. Only AccessorIDs are
 * reported, never a secret. Pure: all I/O goes through the ports.
 */
import type { RestoreTokens, TokenSecretPreflight, TokenSecretReconciliation, TokenSecretRole } from '../restore/ports';
import { summarizeError } from '../shared/errors';
import { deleteTokenCommand, RotationCurrentMissingError } from './errors';
import { HIDDEN_SECRET_ID, STAGE, type ConsulTokenInfo, type RotationDeps, type SecretDescription } from './ports';
import { planRetiredDeletion, retiredLedgerOf } from './retired-ledger';
import { parseRotationSecret, type RotationSecretValue } from './secret-value';
import { rotationDescription } from './steps';
import { deleteRetiredTokens } from './sweep';
import { recreateTokenCommand } from './token-body';
import { CONSUL_TOKEN_LIFETIME_BOUNDS, planTokenLifetime } from './token-links';

/** Which secrets a restore reconciles. */
export interface TokenSecretReconcilerInput {
  /** consul-ops' own management token secret (handled first). @default - none */
  readonly managementSecretId?: string;
  /** The application token secrets of the cluster. */
  readonly secretIds: readonly string[];
  /** The grace period the rotation uses (for ledgers written before `retired` existed). */
  readonly gracePeriodMs: number;
  /**
   * A last token to act with when neither AWSCURRENT nor AWSPREVIOUS of the management secret exists in the restored
   * state (the CLI: CONSUL_HTTP_TOKEN, e.g. a management token of the backup).
   * @default - none
   */
  readonly fallbackSecret?: () => Promise<string | undefined>;
}

/** A secret value as the reconciler reads it: the rotation schema, or a bare SecretID (management secrets only). */
interface ReadSecret {
  readonly d: SecretDescription;
  readonly value: Pick<RotationSecretValue, 'secretId'> & Partial<RotationSecretValue>;
  readonly bare: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DEFAULT_DESCRIPTION = 'consul-ops: re-created after a restore';

/**
 * The {@link RestoreTokens} of one cluster, for one restore (it remembers the tokens between preflight and reconcile).
 *
 * @example
 * const tokens = new TokenSecretReconciler({ secrets, consul, now }, { managementSecretId, secretIds, gracePeriodMs });
 * await runRestoreJob({ consul: target, store, now, tokens }, input);
 */
export class TokenSecretReconciler implements RestoreTokens {
  /** Each AWSCURRENT token as it was before the restore, by secret. */
  private readonly before = new Map<string, ConsulTokenInfo>();
  /** The secrets that hold a bare SecretID. */
  private readonly bare = new Set<string>();

  constructor(
    private readonly deps: Pick<RotationDeps, 'secrets' | 'consul' | 'now'>,
    private readonly input: TokenSecretReconcilerInput,
  ) {}

  private get all(): { id: string; role: TokenSecretRole }[] {
    const management = this.input.managementSecretId === undefined ? [] : [{ id: this.input.managementSecretId, role: 'management' as const }];
    return [...management, ...this.input.secretIds.filter((id) => id !== this.input.managementSecretId).map((id) => ({ id, role: 'application' as const }))];
  }

  async preflight(backup: { readonly takenAt: string }): Promise<readonly TokenSecretPreflight[]> {
    const out: TokenSecretPreflight[] = [];
    for (const { id, role } of this.all) {
      try {
        out.push(await this.preflightOne(id, role, backup.takenAt));
      } catch (err) {
        const e = summarizeError(err);
        out.push({ secret: id, role, status: 'check', detail: `cannot be read (${e.code}: ${e.message}); it is checked after the restore` });
      }
    }
    return out;
  }

  async reconcile(): Promise<readonly TokenSecretReconciliation[]> {
    const out: TokenSecretReconciliation[] = [];
    let admin: string | undefined;
    for (const { id, role } of this.all) {
      if (role === 'management') {
        const management = await this.reconcileManagement(id);
        admin = management.admin;
        out.push(management.result);
      } else {
        out.push((await this.guarded(id, role, (known) => this.reconcileOne(id, role, known, admin))).result);
      }
    }
    return out;
  }

  private async preflightOne(id: string, role: TokenSecretRole, takenAt: string): Promise<TokenSecretPreflight> {
    const { d, value } = await this.read(id, role);
    // A bare SecretID names no accessor: the token behind it tells (remembered for the re-creation).
    const live = value.accessorId === undefined ? await this.deps.consul.readSelf(value.secretId) : await this.deps.consul.readToken(value.accessorId);
    const accessorId = value.accessorId ?? live?.accessorId;
    const base = { secret: d.arn, role, ...(accessorId ? { accessorId } : {}) };
    if (live === undefined) return { ...base, status: 'check', detail: 'its AWSCURRENT token does not exist in Consul now; it is checked after the restore' };
    this.before.set(id, live);
    const due = planRetiredDeletion(retiredLedgerOf(value as RotationSecretValue, d.lastRotatedDate, this.input.gracePeriodMs), this.deps.now()).due.length;
    const ledger = due > 0 ? `; ${due} retired token(s) past their grace period are deleted again if the backup brings them back` : '';
    if (!after(live, takenAt)) return { ...base, status: 'in-backup', detail: `AWSCURRENT token created ${live.createTime ?? 'at an unknown time'}, before the backup${ledger}` };
    const lockout = role === 'management' ? await this.lockoutWarning(d, takenAt) : '';
    return { ...base, status: 'reconcile', detail: `AWSCURRENT token created ${live.createTime}, after the backup (${takenAt}): the restore removes it, and it is re-created with the same AccessorID and SecretID${ledger}${lockout}` };
  }

  /** Says when no token consul-ops could act with after the restore is older than the backup. */
  private async lockoutWarning(d: SecretDescription, takenAt: string): Promise<string> {
    const previous = await this.readStage(d, STAGE.previous).catch(() => undefined);
    const previousToken = previous === undefined ? undefined : await this.deps.consul.readSelf(previous.secretId);
    if (previousToken !== undefined && !after(previousToken, takenAt)) return '; consul-ops acts with AWSPREVIOUS, which is in the backup';
    const fallback = await this.input.fallbackSecret?.();
    const fallbackToken = fallback === undefined ? undefined : await this.deps.consul.readSelf(fallback);
    if (fallbackToken !== undefined && !after(fallbackToken, takenAt)) return '; consul-ops acts with CONSUL_HTTP_TOKEN, which is in the backup';
    return '; WARNING: neither AWSPREVIOUS nor another token consul-ops was given is in the backup, so after the restore it cannot act: set CONSUL_HTTP_TOKEN to a management token of the backup';
  }

  /** The management secret: prove AWSCURRENT, else re-create it with a token valid in the restored state. */
  private async reconcileManagement(id: string): Promise<{ result: TokenSecretReconciliation; admin?: string }> {
    let known: ReadSecret;
    try {
      known = await this.read(id, 'management');
    } catch (err) {
      return { result: this.failed(id, 'management', 'cannot be read', err) };
    }
    if (await this.works(known.value)) {
      const result = await this.guarded(id, 'management', () => this.reconcileOne(id, 'management', known, known.value.secretId));
      return { result: result.result, admin: known.value.secretId };
    }
    // AWSCURRENT is gone: act with a token valid in the restored state: AWSPREVIOUS, else the caller's fallback.
    const previous = await this.readStage(known.d, STAGE.previous).catch(() => undefined);
    const candidates = [previous?.secretId, await this.input.fallbackSecret?.()];
    let actor: string | undefined;
    for (const candidate of candidates) {
      if (candidate !== undefined && (await this.works({ secretId: candidate }))) {
        actor = candidate;
        break;
      }
    }
    const result = await this.guarded(id, 'management', () => this.reconcileOne(id, 'management', known, actor));
    return { result: result.result, admin: result.result.outcome === 'failed' ? actor : known.value.secretId };
  }

  private async guarded(id: string, role: TokenSecretRole, work: (known?: ReadSecret) => Promise<TokenSecretReconciliation>): Promise<{ result: TokenSecretReconciliation }> {
    try {
      return { result: await work() };
    } catch (err) {
      return { result: this.failed(id, role, 'could not be checked or re-created', err) };
    }
  }

  /** A failure, with the command that re-creates the token as it was before the restore when that is known. */
  private failed(id: string, role: TokenSecretRole, what: string, err: unknown): TokenSecretReconciliation {
    const e = summarizeError(err);
    const before = this.before.get(id);
    const bare = this.bare.has(id);
    const fixCommand = before && recreateTokenCommand(id, { description: before.description, links: before.links, ...(bare ? { accessorId: before.accessorId } : {}) }, { bare });
    return { secret: id, role, ...(before ? { accessorId: before.accessorId } : {}), outcome: 'failed', detail: `${what}: ${e.code}: ${e.message}`, redeleted: [], error: e, ...(fixCommand ? { fixCommand } : {}) };
  }

  private async reconcileOne(id: string, role: TokenSecretRole, known: ReadSecret | undefined, asSecret: string | undefined): Promise<TokenSecretReconciliation> {
    const { d, value, bare } = known ?? (await this.read(id, role));
    // A bare SecretID: its accessor is the one the preflight saw behind it.
    const accessorId = value.accessorId ?? this.before.get(id)?.accessorId;
    const base = { secret: d.arn, role, ...(accessorId ? { accessorId } : {}) };
    if (accessorId === undefined) {
      if (await this.works(value)) return { ...base, outcome: 'present', detail: 'AWSCURRENT works', redeleted: [] };
      return { ...base, outcome: 'failed', detail: 'AWSCURRENT (a bare SecretID) is not known to Consul, and no token was behind it before the restore either', redeleted: [] };
    }
    const full = { ...value, accessorId } as RotationSecretValue;
    const existing = await this.deps.consul.readToken(accessorId, asSecret);
    let outcome: 'present' | 'recreated' = 'present';
    let detail = 'AWSCURRENT exists in the restored state';
    if (existing !== undefined && existing.secretId !== full.secretId && existing.secretId !== HIDDEN_SECRET_ID) {
      return { ...base, outcome: 'failed', detail: `token ${accessorId} exists in the restored state with another SecretID than AWSCURRENT`, redeleted: [] };
    }
    if (existing === undefined) {
      const recreated = await this.recreate(d, full, asSecret, this.before.get(id), bare);
      if (recreated.failure) return { ...base, redeleted: [], ...recreated.failure };
      outcome = 'recreated';
      detail = `re-created with the same AccessorID and SecretID and the links of ${recreated.linksFrom}`;
    }
    // From here the management token acts for itself: it has just proven to work.
    const actor = role === 'management' ? full.secretId : asSecret;
    const cleanup = await this.redelete(d, full, actor);
    if (cleanup.error === undefined) return { ...base, outcome, detail, redeleted: cleanup.redeleted };
    return { ...base, outcome: 'failed', detail: `${detail}, but its retired tokens past their grace period could not be deleted again: ${cleanup.error.code}: ${cleanup.error.message}`, ...cleanup };
  }

  /** Re-creates AWSCURRENT's token; `failure` (with the fix command) when it cannot. */
  private async recreate(d: SecretDescription, value: RotationSecretValue, asSecret: string | undefined, before: ConsulTokenInfo | undefined, bare: boolean) {
    const source = await this.linkSource(value, asSecret, before);
    const description = value.previousAccessorId !== undefined ? rotationDescription(currentVersion(d)) : (before?.description ?? DEFAULT_DESCRIPTION);
    if (source === undefined) {
      return { failure: { outcome: 'failed' as const, detail: 'cannot be re-created: neither the token it replaced, nor any retired token of its ledger, nor the token itself before the restore exists to copy the links from' } };
    }
    const lifetime = expirationOf(before, source.token, this.deps.now());
    const token = { description, links: source.token.links, ...lifetime };
    try {
      await this.deps.consul.createToken({ accessorId: value.accessorId, secretId: value.secretId, ...token }, asSecret);
      const self = await this.deps.consul.readSelf(value.secretId);
      if (self?.accessorId !== value.accessorId) throw new Error(`the re-created token is not known to Consul as ${value.accessorId}`);
      return { linksFrom: source.from };
    } catch (err) {
      const e = summarizeError(err);
      return {
        failure: {
          outcome: 'failed' as const,
          detail: `cannot be re-created with the links of ${source.from}: ${e.code}: ${e.message}`,
          error: e,
          fixCommand: recreateTokenCommand(d.arn, bare ? { ...token, accessorId: value.accessorId } : token, { bare }),
        },
      };
    }
  }

  /** Where the links come from: the token it replaced, an older retired one, else the token before the restore. */
  private async linkSource(value: RotationSecretValue, asSecret: string | undefined, before: ConsulTokenInfo | undefined): Promise<{ token: ConsulTokenInfo; from: string } | undefined> {
    const chain = [value.previousAccessorId, ...(value.retired ?? []).map((r) => r.accessorId).reverse()].filter((a): a is string => a !== undefined);
    for (const accessorId of [...new Set(chain)]) {
      const token = await this.deps.consul.readToken(accessorId, asSecret);
      if (token !== undefined) return { token, from: `token ${accessorId}${accessorId === value.previousAccessorId ? ' (the token it replaced)' : ' (a retired token of its ledger)'}` };
    }
    return before === undefined ? undefined : { token: before, from: 'the token itself as it was before the restore' };
  }

  /** Deletes again the retired tokens past their grace period that the backup brought back. */
  private async redelete(d: SecretDescription, value: RotationSecretValue, asSecret: string | undefined): Promise<Pick<TokenSecretReconciliation, 'redeleted' | 'fixCommand' | 'error'>> {
    const due = planRetiredDeletion(retiredLedgerOf(value, d.lastRotatedDate, this.input.gracePeriodMs), this.deps.now()).due.map((e) => e.accessorId);
    try {
      return { redeleted: (await deleteRetiredTokens(this.deps, d.arn, value, due, asSecret)).deleted };
    } catch (err) {
      return { redeleted: [], error: summarizeError(err), fixCommand: due.map(deleteTokenCommand).join(' && ') };
    }
  }

  private async works(value: { readonly secretId: string; readonly accessorId?: string }): Promise<boolean> {
    const self = await this.deps.consul.readSelf(value.secretId);
    return self !== undefined && (value.accessorId === undefined || self.accessorId === value.accessorId);
  }

  private async read(id: string, role: TokenSecretRole): Promise<ReadSecret> {
    const d = await this.deps.secrets.describe(id);
    const read = await this.readStage(d, STAGE.current, role === 'management');
    if (read === undefined) throw new RotationCurrentMissingError(d.arn);
    if (read.accessorId === undefined) this.bare.add(id);
    return { d, value: read, bare: read.accessorId === undefined };
  }

  /**
   * A stage's value: the rotation schema; or, for a management secret that is not rotated, the two forms the README
   * documents for it: a bare SecretID, or `{"accessorId","secretId"}` without a `cluster`.
   */
  private async readStage(d: SecretDescription, stage: string, allowBare = true): Promise<ReadSecret['value'] | undefined> {
    const read = await this.deps.secrets.getValue(d.arn, { stage });
    if (read === undefined) return undefined;
    const text = read.value?.trim() ?? '';
    if (allowBare && UUID.test(text)) return { secretId: text };
    const plain = allowBare ? plainTokenValue(text) : undefined;
    return plain ?? parseRotationSecret(read.value, d.arn, stage);
  }
}

/** `{"accessorId","secretId"}` (both UUIDs, nothing else): a management token secret that is not rotated. */
function plainTokenValue(text: string): { accessorId: string; secretId: string } | undefined {
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    const keys = v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.keys(v).sort().join(',') : '';
    return keys === 'accessorId,secretId' && UUID.test(String(v.accessorId)) && UUID.test(String(v.secretId)) ? { accessorId: String(v.accessorId), secretId: String(v.secretId) } : undefined;
  } catch {
    return undefined;
  }
}

/** True when the token was created after `takenAt`. */
function after(token: ConsulTokenInfo, takenAt: string): boolean {
  return token.createTime !== undefined && Date.parse(token.createTime) > Date.parse(takenAt);
}

function currentVersion(d: SecretDescription): string {
  return Object.entries(d.versionStages).find(([, stages]) => stages.includes(STAGE.current))?.[0] ?? 'unknown';
}

/** The token's own expiry when still within Consul's bounds, else the lifetime of the token its links come from. */
function expirationOf(before: ConsulTokenInfo | undefined, source: ConsulTokenInfo, now: Date): { expirationTime?: string; ttlMs?: number } {
  const left = before?.expirationTime === undefined ? undefined : Date.parse(before.expirationTime) - now.getTime();
  if (left !== undefined && left > CONSUL_TOKEN_LIFETIME_BOUNDS.minMs && left <= CONSUL_TOKEN_LIFETIME_BOUNDS.maxMs) return { expirationTime: before!.expirationTime };
  const plan = planTokenLifetime(source);
  return plan === undefined ? {} : { ttlMs: plan.ttlMs };
}
