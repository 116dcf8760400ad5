import type { ClusterIdentity } from '../../core/backup/ports';
import type { KvCasSet, KvTarget, KvTxnOp, KvTxnOutcome, LiveKvEntry } from '../../core/restore/ports';
import type { ConsulApi } from './api';

/**
 * The Consul HTTP implementation of {@link KvTarget} (`restore-kv`): `GET /v1/kv/<prefix>?recurse`, `PUT /v1/txn`
 * and `PUT /v1/kv/<key>?cas=`. It only translates: values are base64 in the transaction body, `Flags` is written as
 * an exact decimal (JSON numbers above 2^53 would lose digits in `JSON.stringify`).
 */
export class ConsulKvTarget implements KvTarget {
  constructor(
    private readonly api: ConsulApi,
    private readonly options: { readonly dc?: string } = {},
  ) {}

  /** @inheritdoc */
  async describeCluster(): Promise<ClusterIdentity> {
    const { body } = await this.api.agentSelf();
    return { datacenter: body.Config.Datacenter, consulVersion: body.Config.Version };
  }

  /** @inheritdoc */
  async listKv(prefix: string): Promise<LiveKvEntry[]> {
    const entries = await this.api.kvList(prefix, { dc: this.options.dc });
    return entries.map((e) => ({
      key: e.Key,
      value: e.Value === null ? Buffer.alloc(0) : Buffer.from(e.Value, 'base64'),
      flags: e.Flags,
      modifyIndex: e.ModifyIndex,
      session: e.Session ?? '',
    }));
  }

  /** @inheritdoc */
  async applyKvTxn(ops: readonly KvTxnOp[]): Promise<KvTxnOutcome> {
    const { Errors } = await this.api.txn(txnBody(ops), { dc: this.options.dc });
    return Errors === null ? { applied: true } : { applied: false, errors: Errors.map((e) => ({ opIndex: e.OpIndex, what: e.What })) };
  }

  /** @inheritdoc */
  async putKvCas(op: KvCasSet): Promise<boolean> {
    return this.api.kvPutCas(op.key, op.value, { cas: op.index, flags: op.flags, dc: this.options.dc });
  }
}

/** `api.TxnOps` as JSON: `[{"KV":{"Verb":"cas","Key":…,"Value":<base64>,"Flags":<uint64>,"Index":…}}]`. */
export function txnBody(ops: readonly KvTxnOp[]): string {
  const parts = ops.map((op) =>
    op.verb === 'cas'
      ? `{"KV":{"Verb":"cas","Key":${JSON.stringify(op.key)},"Value":"${op.value.toString('base64')}","Flags":${op.flags.toString()},"Index":${op.index}}}`
      : `{"KV":{"Verb":"delete-cas","Key":${JSON.stringify(op.key)},"Index":${op.index}}}`,
  );
  return `[${parts.join(',')}]`;
}
