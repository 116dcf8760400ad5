/**
 * In-memory rotation ports for core unit tests. The stage rules follow the Secrets Manager fake
 * (`local/secrets-manager-fake.ts`); the wire-level tests use the fake and the Consul simulator themselves.
 */
import { STAGE, type ConsulTokenInfo, type NewToken, type RotationConsul, type RotationSecrets, type SecretDescription, type SecretVersionValue, type TokenLinks } from '../../functions/core/rotation/ports';

interface Version {
  value?: string;
  readonly stages: Set<string>;
}

interface Secret {
  readonly arn: string;
  rotationEnabled: boolean;
  lastRotatedDate?: Date;
  readonly versions: Map<string, Version>;
}

/** An error shaped like the SDK's, for injected failures. */
export class InjectedError extends Error {
  constructor(message = 'injected failure') {
    super(message);
    this.name = 'InjectedError';
  }
}

/** Secrets Manager in memory. Secrets are addressed by ARN or name. */
export class InMemorySecrets implements RotationSecrets {
  readonly secrets = new Map<string, Secret>();
  readonly writes: string[] = [];
  private readonly failures = new Map<string, number>();

  /** Creates a secret with an AWSCURRENT version `v0`; returns its ARN. */
  create(name: string, value: string, opts: { rotationEnabled?: boolean } = {}): string {
    const arn = `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${name}-AbCdEf`;
    this.secrets.set(arn, { arn, rotationEnabled: opts.rotationEnabled ?? true, versions: new Map([['v0', { value, stages: new Set([STAGE.current]) }]]) });
    return arn;
  }

  /** What RotateSecret does first: an empty version labelled AWSPENDING (refused while another rotation is unfinished). */
  startRotation(secretId: string, versionId: string): void {
    const s = this.find(secretId);
    const pending = [...s.versions.values()].find((v) => v.stages.has(STAGE.pending));
    if (pending && !pending.stages.has(STAGE.current)) throw new Error("A previous rotation isn't complete. That rotation will be reattempted.");
    s.versions.set(versionId, s.versions.get(versionId) ?? { stages: new Set() });
    this.move(s, STAGE.pending, versionId);
  }

  /** Makes the next `times` calls of `operation` throw. */
  failNext(operation: 'describe' | 'getValue' | 'putPendingValue' | 'updateStage', times = 1): void {
    this.failures.set(operation, times);
  }

  /** The value of the version holding `stage`. */
  valueAt(secretId: string, stage: string): string | undefined {
    return [...this.find(secretId).versions.values()].find((v) => v.stages.has(stage))?.value;
  }

  async describe(secretId: string): Promise<SecretDescription> {
    this.maybeFail('describe');
    const s = this.find(secretId);
    const staged = [...s.versions].filter(([, v]) => v.stages.size > 0);
    return {
      arn: s.arn,
      name: s.arn.split(':secret:')[1].slice(0, -7),
      rotationEnabled: s.rotationEnabled,
      versionStages: Object.fromEntries(staged.map(([id, v]) => [id, [...v.stages]])),
      ...(s.lastRotatedDate ? { lastRotatedDate: s.lastRotatedDate } : {}),
    };
  }

  async getValue(secretId: string, version: { versionId?: string; stage: string }): Promise<SecretVersionValue | undefined> {
    this.maybeFail('getValue');
    const s = this.find(secretId);
    const entry = version.versionId !== undefined ? ([version.versionId, s.versions.get(version.versionId)] as const) : [...s.versions].find(([, v]) => v.stages.has(version.stage));
    if (!entry || !entry[1] || entry[1].value === undefined || !entry[1].stages.has(version.stage)) return undefined;
    return { versionId: entry[0], value: entry[1].value };
  }

  async putPendingValue(secretId: string, versionId: string, value: string): Promise<'created' | 'conflict'> {
    this.maybeFail('putPendingValue');
    const s = this.find(secretId);
    const existing = s.versions.get(versionId);
    if (existing?.value !== undefined) return existing.value === value ? 'created' : 'conflict';
    s.versions.set(versionId, { value, stages: existing?.stages ?? new Set() });
    this.move(s, STAGE.pending, versionId);
    this.writes.push(`put ${versionId}`);
    return 'created';
  }

  async updateStage(secretId: string, stage: string, move: { moveToVersionId?: string; removeFromVersionId?: string }): Promise<void> {
    this.maybeFail('updateStage');
    const s = this.find(secretId);
    const holder = [...s.versions].find(([, v]) => v.stages.has(stage))?.[0];
    if (move.removeFromVersionId !== undefined && holder !== move.removeFromVersionId) throw new Error(`The staging label ${stage} is not attached to ${move.removeFromVersionId}`);
    this.writes.push(`${stage} ${move.removeFromVersionId ?? '-'} -> ${move.moveToVersionId ?? '-'}`);
    if (move.moveToVersionId === undefined) {
      s.versions.get(holder!)?.stages.delete(stage);
      return;
    }
    if (holder !== undefined && holder !== move.moveToVersionId && move.removeFromVersionId === undefined) throw new Error('RemoveFromVersionId required');
    this.move(s, stage, move.moveToVersionId);
  }

  private move(s: Secret, stage: string, to: string): void {
    const from = [...s.versions].find(([, v]) => v.stages.has(stage))?.[0];
    if (from === to) return;
    if (from !== undefined) s.versions.get(from)!.stages.delete(stage);
    s.versions.get(to)!.stages.add(stage);
    if (stage === STAGE.current && from !== undefined) this.move(s, STAGE.previous, from);
  }

  private find(secretId: string): Secret {
    const s = this.secrets.get(secretId) ?? [...this.secrets.values()].find((x) => x.arn.includes(`:secret:${secretId}-`));
    if (!s) throw new Error(`no secret ${secretId}`);
    return s;
  }

  private maybeFail(operation: string): void {
    const left = this.failures.get(operation) ?? 0;
    if (left <= 0) return;
    this.failures.set(operation, left - 1);
    throw new InjectedError(`injected ${operation} failure`);
  }
}

interface Token {
  secretId: string;
  description: string;
  links: TokenLinks;
  authMethod?: string;
  createTime?: string;
  expirationTime?: string;
}

/** An empty link set with the given policy IDs. */
export function links(policies: string[] = [], extra: Partial<TokenLinks> = {}): TokenLinks {
  return { policies: policies.map((id) => ({ id })), roles: [], serviceIdentities: [], nodeIdentities: [], templatedPolicies: [], local: false, ...extra };
}

/** Consul's ACL token table in memory. The management token can be limited to `acl:read`. */
export class InMemoryConsul implements RotationConsul {
  readonly tokens = new Map<string, Token>();
  readonly calls: string[] = [];
  /** Without `acl:write`, creates and deletes are refused and SecretIDs read back `<hidden>`. */
  aclWrite = true;
  /** `GET /v1/acl/token/self` answers "unknown" this many more times (ACL replication lag). */
  selfMisses = 0;
  /** The clock that stamps CreateTime and turns ExpirationTTL into ExpirationTime. */
  now: () => Date = () => new Date('2026-05-01T10:00:00.000Z');
  private readonly failures = new Map<string, number>();

  add(accessorId: string, secretId: string, tokenLinks: TokenLinks = links(['p1']), extra: Partial<Token> = {}): void {
    this.tokens.set(accessorId, { secretId, description: 'seeded', links: tokenLinks, ...extra });
  }

  failNext(operation: 'readToken' | 'readSelf' | 'createToken' | 'deleteToken', times = 1): void {
    this.failures.set(operation, times);
  }

  async readToken(accessorId: string, asSecret?: string): Promise<ConsulTokenInfo | undefined> {
    this.record('readToken', `${accessorId}${asSecret ? ' as-pending' : ''}`);
    this.requireKnown(asSecret);
    const t = this.tokens.get(accessorId);
    return t ? this.info(accessorId, t, !this.aclWrite) : undefined;
  }

  async readSelf(secretId: string): Promise<ConsulTokenInfo | undefined> {
    this.record('readSelf', '');
    if (this.selfMisses > 0) {
      this.selfMisses -= 1;
      return undefined;
    }
    const entry = [...this.tokens].find(([, t]) => t.secretId === secretId);
    return entry ? this.info(entry[0], entry[1], false) : undefined;
  }

  async createToken(token: NewToken, asSecret?: string): Promise<void> {
    this.record('createToken', `${token.accessorId}${asSecret ? ' as-given' : ''}`);
    this.requireKnown(asSecret);
    if (!this.aclWrite) throw new InjectedError("Permission denied: lacks permission 'acl:write'");
    if (this.tokens.has(token.accessorId)) throw new InjectedError('Invalid Token: AccessorID is already in use');
    const createTime = this.now();
    const expirationTime = token.expirationTime ?? (token.ttlMs === undefined ? undefined : new Date(createTime.getTime() + token.ttlMs).toISOString());
    this.tokens.set(token.accessorId, { secretId: token.secretId, description: token.description, links: token.links, createTime: createTime.toISOString(), ...(expirationTime ? { expirationTime } : {}) });
  }

  async deleteToken(accessorId: string, asSecret?: string): Promise<'deleted' | 'not-found'> {
    this.record('deleteToken', `${accessorId}${asSecret ? ' as-given' : ''}`);
    this.requireKnown(asSecret);
    return this.tokens.delete(accessorId) ? 'deleted' : 'not-found';
  }

  private requireKnown(asSecret: string | undefined): void {
    if (asSecret !== undefined && ![...this.tokens.values()].some((t) => t.secretId === asSecret)) throw new InjectedError('ACL not found');
  }

  private info(accessorId: string, t: Token, hidden: boolean): ConsulTokenInfo {
    return {
      accessorId,
      secretId: hidden ? '<hidden>' : t.secretId,
      description: t.description,
      links: t.links,
      ...(t.authMethod ? { authMethod: t.authMethod } : {}),
      ...(t.createTime ? { createTime: t.createTime } : {}),
      ...(t.expirationTime ? { expirationTime: t.expirationTime } : {}),
    };
  }

  private record(operation: string, detail: string): void {
    this.calls.push(`${operation} ${detail}`.trim());
    const left = this.failures.get(operation) ?? 0;
    if (left <= 0) return;
    this.failures.set(operation, left - 1);
    throw new InjectedError(`injected ${operation} failure`);
  }
}
