/**
 * A before/after pair of snapshots for diff tests: keys, tokens, policies, roles, intentions and services added,
 * removed and changed.
 */
import type { SnapshotContents } from '../../functions/core/snapshot-contents/state-bin-decoder';
import { aclPolicy, aclRole, aclToken, decodeWhole, kvs, registerNode, registerService, serviceIntentions, stateBin, type RecordSpec } from './state-bin';

/** Decodes fixture records into the contents a diff compares. */
export function contentsOf(records: readonly RecordSpec[], keepValues = false): SnapshotContents {
  const contents = decodeWhole(stateBin(1, records), { index: { keepValues } }).contents;
  if (contents === undefined) throw new Error('no contents');
  return contents;
}

/** Token secrets of the scenario: they must never appear in a diff. */
export const SECRETS = ['5ec2e7-0001', '5ec2e7-0002', '5ec2e7-0003'];

/** Before: the state an operator had. */
export const BEFORE: readonly RecordSpec[] = [
  registerNode('n'), registerService('n', 'web'), registerService('n', 'db'),
  aclToken('acc-1', SECRETS[0], 'CI', ['read']), aclToken('acc-2', SECRETS[1], 'old laptop'),
  aclPolicy('p1', 'read', 'key_prefix "" { policy = "read" }'), aclPolicy('p2', 'write', 'key_prefix "" { policy = "write" }'),
  aclRole('r1', 'readers', ['read']),
  kvs('app/x', 'gone'), kvs('config/a', '1'), kvs('config/b', '2'), kvs('config/c', '3'), kvs('config/lock', 'l'),
  serviceIntentions('db', [{ name: 'web', action: 'allow' }, { name: 'api', permissions: [{ Action: 'allow', HTTP: { PathPrefix: '/v1' } }] }]),
  serviceIntentions('web', [{ name: '*', action: 'deny' }]),
];

/** After: some deleted, some changed, some added. */
export const AFTER: readonly RecordSpec[] = [
  registerNode('n'), registerService('n', 'web'), registerService('n', 'cache'),
  aclToken('acc-1', SECRETS[0], 'CI', ['read', 'write']), aclToken('acc-3', SECRETS[2], 'new robot'),
  aclPolicy('p1', 'read', 'key_prefix "" { policy = "list" }'), aclPolicy('p3', 'admin', 'acl = "write"'),
  aclRole('r1', 'readers', ['read', 'admin']),
  kvs('config/a', '1'), kvs('config/b', '22'), kvs('config/c', '3', { flags: 7 }), kvs('config/d', 'new'), kvs('config/lock', 'l', { session: 's', lockIndex: 1 }),
  serviceIntentions('cache', [{ name: 'web', action: 'allow' }]),
  serviceIntentions('db', [{ name: 'web', action: 'deny' }, { name: 'batch', action: 'allow' }]),
];

