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

/** What a token grants: the fields `PUT /v1/acl/token/:id/clone` copies. */
export interface TokenLinks {
  readonly policies: readonly TokenLink[];
  readonly roles: readonly TokenLink[];
  readonly serviceIdentities: readonly { readonly serviceName: string; readonly datacenters?: readonly string[] }[];
  readonly nodeIdentities: readonly { readonly nodeName: string; readonly datacenter: string }[];
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
}

/** What Consul shows instead of a SecretID to a token without `acl:write`. */
export const HIDDEN_SECRET_ID = '<hidden>';

/** The Consul ACL token API, as rotation needs it. Calls use the management token unless said otherwise. */
export interface RotationConsul {
  /**
   * `GET /v1/acl/token/:AccessorID` (`acl:read`).
   * @param asSecret present this secret instead of the management token (tests a pending management token)
   * @returns `undefined` when no such token exists
   */
  readToken(accessorId: string, asSecret?: string): Promise<ConsulTokenInfo | undefined>;
  /**
   * `GET /v1/acl/token/self` presenting `secretId`.
   * @returns `undefined` when Consul does not know the secret
   */
  readSelf(secretId: string): Promise<ConsulTokenInfo | undefined>;
  /** `PUT /v1/acl/token` with caller-chosen AccessorID and SecretID (`acl:write`). */
  createToken(token: { readonly accessorId: string; readonly secretId: string; readonly description: string; readonly links: TokenLinks }): Promise<void>;
  /** `DELETE /v1/acl/token/:AccessorID` (`acl:write`). */
  deleteToken(accessorId: string): Promise<'deleted' | 'not-found'>;
}

/**
 * The differences between two tokens' links, one line each (IDs and names only, nothing secret); empty when they
 * grant the same. Order does not matter.
 *
 * @example
 * diffTokenLinks(current.links, pending.links); // ['policies: missing 1a2b… (web-read)']
 */
export function diffTokenLinks(expected: TokenLinks, actual: TokenLinks): string[] {
  const diffs: string[] = [];
  // Keys are compared; labels (with names) are only shown.
  const compare = (what: string, want: ReadonlyMap<string, string>, got: ReadonlyMap<string, string>) => {
    const missing = [...want].filter(([k]) => !got.has(k)).map(([, label]) => label);
    const extra = [...got].filter(([k]) => !want.has(k)).map(([, label]) => label);
    if (missing.length > 0) diffs.push(`${what}: missing ${missing.join(', ')}`);
    if (extra.length > 0) diffs.push(`${what}: unexpected ${extra.join(', ')}`);
  };
  const links = (list: readonly TokenLink[]) => new Map(list.map((l) => [l.id, l.name ? `${l.id} (${l.name})` : l.id]));
  const keyed = <T>(list: readonly T[], key: (item: T) => string) => new Map(list.map((item) => [key(item), key(item)]));
  const service = (s: TokenLinks['serviceIdentities'][number]) => `${s.serviceName}${s.datacenters?.length ? `@${[...s.datacenters].sort().join('+')}` : ''}`;
  const node = (n: TokenLinks['nodeIdentities'][number]) => `${n.nodeName}@${n.datacenter}`;
  compare('policies', links(expected.policies), links(actual.policies));
  compare('roles', links(expected.roles), links(actual.roles));
  compare('service identities', keyed(expected.serviceIdentities, service), keyed(actual.serviceIdentities, service));
  compare('node identities', keyed(expected.nodeIdentities, node), keyed(actual.nodeIdentities, node));
  if (expected.local !== actual.local) diffs.push(`local: expected ${expected.local}, got ${actual.local}`);
  return diffs;
}

/** What every rotation workflow gets from its shell. */
export interface RotationDeps {
  readonly secrets: RotationSecrets;
  readonly consul: RotationConsul;
  readonly now: () => Date;
  /** Generates the new AccessorID and SecretID (`crypto.randomUUID` in the shells). */
  readonly newUuid: () => string;
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
