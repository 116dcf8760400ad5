/**
 * The parts of undici consul-ops uses, loaded from their own modules. `require('undici')` loads the whole package
 * (fetch, WebSocket, caches, mocks…): about 500 KiB in every Lambda bundle and slower cold starts. The types still
 * come from the package's public typings. undici (7.x) has no `exports` map, so these paths are reachable; the
 * undici-lite test pins that they keep working.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
import type * as Undici from 'undici';

const Dispatcher = require('undici/lib/dispatcher/dispatcher') as { prototype: object };
const api = require('undici/lib/api') as object;

// What undici's index does: give every dispatcher request()/stream()/pipeline().
Object.assign(Dispatcher.prototype, api);

/** undici's `Agent`. */
export const Agent = require('undici/lib/dispatcher/agent') as typeof Undici.Agent;
/** undici's `buildConnector`. */
export const buildConnector = require('undici/lib/core/connect') as typeof Undici.buildConnector;
/** undici's error classes. */
export const errors = require('undici/lib/core/errors') as typeof Undici.errors;

/** The `Agent` instance type. */
export type Agent = Undici.Agent;
/** Types of `buildConnector` (e.g. `buildConnector.connector`). */
// eslint-disable-next-line @typescript-eslint/no-namespace
export declare namespace buildConnector {
  type connector = Undici.buildConnector.connector;
  type BuildOptions = Undici.buildConnector.BuildOptions;
}
