/**
 * Consul versions for tests, from the simulator's version profiles: run contract tests over every profile and product
 * integration tests over the oldest and the newest.
 *
 * @example
 * describe.each(ALL_CONSUL_PROFILES)('against Consul %s', (consulVersion) => {
 *   beforeAll(async () => (sim = await startConsulSimulator({ consulVersion })));
 * });
 */
import { CONSUL_PROFILE_VERSIONS } from '../../local/consul-simulator/version-profiles';

/** Every profiled Consul version (the last CE patch of each line), oldest first. */
export const ALL_CONSUL_PROFILES: readonly string[] = CONSUL_PROFILE_VERSIONS;

/** The oldest profiled Consul version (1.15.x). */
export const OLDEST_CONSUL: string = ALL_CONSUL_PROFILES[0];

/** The newest profiled Consul version, also the simulator's default. */
export const NEWEST_CONSUL: string = ALL_CONSUL_PROFILES[ALL_CONSUL_PROFILES.length - 1];

/** The oldest and the newest profile, for product integration tests. */
export const EDGE_CONSUL_PROFILES: readonly string[] = [OLDEST_CONSUL, NEWEST_CONSUL];
