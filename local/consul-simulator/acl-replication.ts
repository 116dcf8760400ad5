/**
 * Global tokens in a secondary datacenter (consul-api.md correction 7): `TokenSet` forwards non-local tokens to the
 * primary, and a secondary serves them only after ACL replication. The simulator keeps the primary's pending writes
 * here and applies them to its own (secondary) store once the replication lag has passed; until then the token is
 * unknown locally (`/v1/acl/token/self` 404 `Supplied token does not exist`, as a request token 403 `ACL not found`).
 * Local tokens are written in the secondary itself, immediately. In the primary datacenter nothing is ever pending.
 */
import { AclTokenRecord, SimulatorStore } from './store';

interface PendingWrite {
  readonly visibleAt: number;
  readonly accessorId: string;
  /** The token as the primary now has it; `undefined` for a delete. */
  readonly token: AclTokenRecord | undefined;
}

/** Pending primary-side token writes of a secondary. */
export class AclReplication {
  private pending: PendingWrite[] = [];

  constructor(
    private readonly store: SimulatorStore,
    /** True when this datacenter is not the ACL primary. */
    readonly secondary: boolean,
    private readonly lagMs: number,
  ) {}

  /** True when a write of this token goes to the primary (a global token written in a secondary). */
  forwards(token: { Local: boolean }): boolean {
    return this.secondary && !token.Local;
  }

  /** Records a primary-side write (`token` undefined: delete); it reaches this datacenter after the lag. */
  enqueue(accessorId: string, token: AclTokenRecord | undefined, now: Date): void {
    this.pending.push({ visibleAt: now.getTime() + this.lagMs, accessorId, token });
    this.sync(now);
  }

  /** The token as the primary has it (a pending write wins over the replicated copy). */
  primaryToken(accessorId: string): AclTokenRecord | undefined {
    for (let i = this.pending.length - 1; i >= 0; i--) {
      if (this.pending[i].accessorId === accessorId) return this.pending[i].token;
    }
    return this.store.tokens.get(accessorId);
  }

  /** Every token of the primary's view (replicated copies overlaid with pending writes). */
  primaryTokens(): AclTokenRecord[] {
    const ids = new Set([...this.store.tokens.keys(), ...this.pending.map((p) => p.accessorId)]);
    return [...ids].map((id) => this.primaryToken(id)).filter((t): t is AclTokenRecord => t !== undefined);
  }

  /** Applies every pending write whose lag has passed (replication catching up). */
  sync(now: Date): void {
    const due = this.pending.filter((p) => p.visibleAt <= now.getTime());
    if (due.length === 0) return;
    this.pending = this.pending.filter((p) => p.visibleAt > now.getTime());
    for (const write of due) {
      if (write.token) this.store.tokens.set(write.accessorId, write.token);
      else this.store.tokens.delete(write.accessorId);
    }
    this.store.commit('acl-tokens');
  }

  /** Applies every pending write now, whatever the lag. */
  flush(): void {
    this.sync(new Date(8.64e15));
  }

  /** How many writes have not reached this datacenter yet. */
  get backlog(): number {
    return this.pending.length;
  }
}
