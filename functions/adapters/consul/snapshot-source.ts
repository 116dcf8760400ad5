import type { Readable } from 'node:stream';
import type { ClusterIdentity, OpenedSnapshot, SnapshotTarget } from '../../core/backup/ports';
import type { ConsulApi } from './api';

/**
 * The Consul HTTP implementation of the snapshot ports: `GET /v1/agent/self`, `GET /v1/snapshot`,
 * `PUT /v1/snapshot` and `GET /v1/status/leader`. It only translates; retries and typed errors come from the client.
 */
export class ConsulSnapshotSource implements SnapshotTarget {
  constructor(
    private readonly api: ConsulApi,
    private readonly options: { readonly dc?: string; readonly signal?: AbortSignal } = {},
  ) {}

  /** @inheritdoc */
  async describeCluster(): Promise<ClusterIdentity> {
    const { body } = await this.api.agentSelf();
    return { datacenter: body.Config.Datacenter, consulVersion: body.Config.Version };
  }

  /** @inheritdoc */
  async openSnapshot(options: { readonly stale: boolean }): Promise<OpenedSnapshot> {
    const stream = await this.api.snapshotSave({ stale: options.stale, dc: this.options.dc, signal: this.options.signal });
    return {
      body: stream.body,
      index: stream.meta.index,
      knownLeader: stream.meta.knownLeader,
      lastContactMs: stream.meta.lastContactMs,
    };
  }

  /** @inheritdoc */
  async restoreSnapshot(body: Readable): Promise<void> {
    await this.api.snapshotRestore(body, { dc: this.options.dc });
  }

  /** @inheritdoc */
  async leader(): Promise<string> {
    return (await this.api.statusLeader({ dc: this.options.dc })).body;
  }
}
