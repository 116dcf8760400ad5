/**
 * Every endpoint the simulator serves, in one list: the server's router and the ACL contract test (every route
 * needs a row in `ENDPOINT_ACL`) read it from here.
 */
import { aclPolicyRoutes } from './acl-policies';
import { aclTokenRoutes } from './acl-tokens';
import { agentRoutes } from './agent-routes';
import { caRoutes } from './ca-routes';
import { catalogRoutes } from './catalog';
import { configEntryRoutes } from './config-entries';
import { intentionRoutes } from './intention-routes';
import { kvRoutes } from './kv-routes';
import { Route, Router } from './router';
import { snapshotRoutes } from './snapshot';
import { txnRoutes } from './txn-routes';

/** All routes, in registration order. */
export function simulatorRoutes(): Route[] {
  return [
    ...snapshotRoutes,
    ...aclTokenRoutes,
    ...aclPolicyRoutes,
    ...configEntryRoutes,
    ...intentionRoutes,
    ...caRoutes,
    ...catalogRoutes,
    ...kvRoutes,
    ...txnRoutes,
    ...agentRoutes,
  ];
}

/** The router of a simulator. */
export function buildRouter(): Router {
  return new Router().add(...simulatorRoutes());
}
