/**
 * The two outside systems a token rotation talks to, as small interfaces (ports). Adapters:
 * `functions/adapters/secrets-manager-rotation.ts` (Secrets Manager) and `functions/adapters/consul/token-admin.ts`
 * (Consul ACL API). Core tests use in-memory implementations (`test/helpers/in-memory-rotation.ts`).
 */

/** Secrets Manager's staging labels. */
export const STAGE = { current: 'AWSCURRENT', pending: 'AWSPENDING', previous: 'AWSPREVIOUS' } as const;

/** What `DescribeSecret` says about a secret. */
export interface SecretDescription {
  /** The full ARN (Secrets Manager passes it as `SecretId` to the rotation function). */
  readonly arn: string;
  readonly name: string;
  readonly rotationEnabled: boolean;
  /** `VersionIdsToStages`: every version that carries a staging label. */
  readonly versionStages: Readonly<Record<string, readonly string[]>>;
  /** Set by Secrets Manager when a `RotateSecret`-started rotation finishes. @default - never rotated by Secrets Manager */
  readonly lastRotatedDate?: Date;
}

/** One read secret version. */
export interface SecretVersionValue {
  readonly versionId: string;
  /** `SecretString`; `undefined` for a binary or empty version. Never log it. */
  readonly value: string | undefined;
}

/** Secrets Manager, as rotation needs it. Errors other than "not found" are thrown as `ConsulOpsError`s. */
export interface RotationSecrets {
  describe(secretId: string): Promise<SecretDescription>;
  /**
   * `GetSecretValue`. Always pass both `versionId` and `stage` for the pending version (aws-sdk-js-v3#7701).
   * @returns `undefined` when no such version with a value exists
   */
  getValue(secretId: string, version: { readonly versionId?: string; readonly stage: string }): Promise<SecretVersionValue | undefined>;
  /**
   * `PutSecretValue(ClientRequestToken = versionId, VersionStages = [AWSPENDING])`.
   * @returns `conflict` when the version already holds a different value (a concurrent createSecret won)
   */
  putPendingValue(secretId: string, versionId: string, value: string): Promise<'created' | 'conflict'>;
  /** `UpdateSecretVersionStage`. */
  updateStage(secretId: string, stage: string, move: { readonly moveToVersionId?: string; readonly removeFromVersionId?: string }): Promise<void>;
}

/** A policy or role link, by ID (names are resolved by Consul and may change). */
export interface TokenLink {
  readonly id: string;
  readonly name?: string;
}

/**
 * A templated policy on a token (Consul ≥ 1.17, e.g. `builtin/service` for `web`). On the wire:
 * `{TemplateName, TemplateVariables: {name}, Datacenters}`; the variable's JSON key is lower-case `name`.
 */
export interface TemplatedPolicyLink {
  readonly templateName: string;
  /** `TemplateVariables.name`. @default - none (templates without variables, e.g. `builtin/dns`) */
  readonly name?: string;
  /** @default - every datacenter */
  readonly datacenters?: readonly string[];
}

/**
 * What a token grants: every link field Consul CE has on a token (`structs.ACLToken`: Policies, Roles,
 * ServiceIdentities, NodeIdentities, TemplatedPolicies, Local). Its lifetime (`ExpirationTime`) is kept separately
 * in {@link ConsulTokenInfo}.
 */
export interface TokenLinks {
  readonly policies: readonly TokenLink[];
  readonly roles: readonly TokenLink[];
  readonly serviceIdentities: readonly { readonly serviceName: string; readonly datacenters?: readonly string[] }[];
  readonly nodeIdentities: readonly { readonly nodeName: string; readonly datacenter: string }[];
  /** Consul ≥ 1.17; always empty on older servers. */
  readonly templatedPolicies: readonly TemplatedPolicyLink[];
  readonly local: boolean;
}

/** A Consul ACL token as rotation sees it. */
export interface ConsulTokenInfo {
  readonly accessorId: string;
  /** `<hidden>` when the reading token lacks `acl:write`. Never log it. */
  readonly secretId: string;
  readonly description: string;
  /** Tokens from an auth method (login) cannot be minted by consul-ops. @default - none */
  readonly authMethod?: string;
  readonly links: TokenLinks;
  /** `CreateTime` (RFC 3339). @default - unknown */
  readonly createTime?: string;
  /** `ExpirationTime` (RFC 3339). @default - the token never expires */
  readonly expirationTime?: string;
}

/** A token to create with caller-chosen IDs. */
export interface NewToken {
  readonly accessorId: string;
  /** Never log it. */
  readonly secretId: string;
  readonly description: string;
  readonly links: TokenLinks;
  /** The lifetime, sent as `ExpirationTTL` (Consul counts it from its own CreateTime). @default - never expires */
  readonly ttlMs?: number;
  /** An absolute `ExpirationTime` instead of a TTL (restore reconciliation). @default - none */
  readonly expirationTime?: string;
}

/** What Consul shows instead of a SecretID to a token without `acl:write`. */
export const HIDDEN_SECRET_ID = '<hidden>';

/**
 * The Consul ACL token API, as rotation needs it. Calls use the management token the adapter was built with, unless
 * `asSecret` names another secret to present (a pending management token, or after a restore the one that is valid in
 * the restored state).
 */
export interface RotationConsul {
  /**
   * `GET /v1/acl/token/:AccessorID` (`acl:read`).
   * @returns `undefined` when no such token exists
   */
  readToken(accessorId: string, asSecret?: string): Promise<ConsulTokenInfo | undefined>;
  /**
   * `GET /v1/acl/token/self` presenting `secretId`.
   * @returns `undefined` when Consul does not know the secret (404 `Supplied token does not exist`)
   */
  readSelf(secretId: string): Promise<ConsulTokenInfo | undefined>;
  /** `PUT /v1/acl/token` with caller-chosen AccessorID and SecretID (`acl:write`). */
  createToken(token: NewToken, asSecret?: string): Promise<void>;
  /** `DELETE /v1/acl/token/:AccessorID` (`acl:write`). */
  deleteToken(accessorId: string, asSecret?: string): Promise<'deleted' | 'not-found'>;
}

/** What every rotation workflow gets from its shell. */
export interface RotationDeps {
  readonly secrets: RotationSecrets;
  readonly consul: RotationConsul;
  readonly now: () => Date;
  /** Generates the new AccessorID and SecretID (`crypto.randomUUID` in the shells). */
  readonly newUuid: () => string;
  /** Waits between attempts (testSecret's wait for ACL replication); tests pass one that moves their clock. */
  readonly sleep: (ms: number) => Promise<void>;
}

/** How a rotation runs. */
export interface RotationSettings {
  /**
   * The cluster this rotation serves; a secret whose `cluster` differs is refused.
   * @default - any cluster (the CLI without --cluster)
   */
  readonly cluster?: string;
  /** How long a rotated-out token stays valid before a later run deletes it. */
  readonly gracePeriodMs: number;
  /**
   * How long testSecret waits for a new token to become known (ACL replication from the primary datacenter to a
   * secondary) before it fails.
   * @default 30 000
   */
  readonly replicationWaitMs?: number;
  /**
   * Refuse to run when DescribeSecret says rotation is off (what the Secrets Manager template does). The CLI, which
   * rotates on an operator's explicit request, turns it off.
   * @default true
   */
  readonly requireRotationEnabled?: boolean;
  /**
   * ARN of the secret holding the management token consul-ops authenticates with. When that secret itself is rotated,
   * testSecret reads ACLs with the pending token instead.
   * @default - none
   */
  readonly managementSecretArn?: string;
}
