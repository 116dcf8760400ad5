/**
 * Jest global teardown of the `integration` project: stops the radosgw that global setup started. Jest runs it
 * after failed tests too.
 */
import type { RadosgwHandle } from '../local/radosgw';
import { RADOSGW_GLOBAL } from './global-setup';

/** Stops the cluster and waits until every Ceph daemon has exited. */
export default async function globalTeardown(): Promise<void> {
  const rgw = (globalThis as Record<string, unknown>)[RADOSGW_GLOBAL] as RadosgwHandle | undefined;
  await rgw?.stop();
}
