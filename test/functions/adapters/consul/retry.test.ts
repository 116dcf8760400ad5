import { DEFAULT_CONSUL_RETRY, planConsulRetry, type ConsulRetryInput } from '../../../../functions/adapters/consul/retry';
import { ConsulTimeoutError, ConsulTlsError, ConsulUnreachableError } from '../../../../functions/adapters/consul/transport-errors';
import { consulErrorFromResponse, type ConsulRequestError } from '../../../../functions/core/shared/consul-errors';

const req = { method: 'GET', path: '/v1/status/leader', address: 'http://a:8500' };
const refused = new ConsulUnreachableError(req, 'ECONNREFUSED', false);
const reset = new ConsulUnreachableError(req, 'ECONNRESET', true);
const noLeader = consulErrorFromResponse(500, 'No cluster leader', req);
const limited = consulErrorFromResponse(429, '', req);
const limitedHint = consulErrorFromResponse(429, '', req, 3_000);
const server500 = consulErrorFromResponse(500, 'Invalid Token: SecretID is already in use', req);
const denied = consulErrorFromResponse(403, 'ACL not found', req);
const headersTimeout = new ConsulTimeoutError(req, 'headers', 30_000);
const tls = new ConsulTlsError(req, 'untrusted', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');

function plan(error: ConsulRequestError, over: Partial<ConsulRetryInput> = {}): number | undefined {
  return planConsulRetry({
    error, attempt: 1, idempotent: true, replayable: true, addressCount: 1, elapsedMs: 0,
    policy: DEFAULT_CONSUL_RETRY, random: () => 0.5, ...over,
  });
}

describe('planConsulRetry', () => {
  const scenarios: Array<[string, ConsulRequestError, Partial<ConsulRetryInput>, number | undefined]> = [
    ['idempotent, no leader, first retry', noLeader, {}, 125],
    ['idempotent, no leader, third retry', noLeader, { attempt: 3 }, 500],
    ['random 0.999 stays under the cap', noLeader, { attempt: 3, random: () => 0.999 }, 999],
    ['random 1 reaches the exponential cap', noLeader, { attempt: 3, policy: { ...DEFAULT_CONSUL_RETRY, maxAttempts: 10 }, random: () => 1 }, 1000],
    ['long back-off capped', noLeader, { attempt: 9, policy: { ...DEFAULT_CONSUL_RETRY, maxAttempts: 10 }, random: () => 1 }, 4000],
    ['attempts exhausted', noLeader, { attempt: 4 }, undefined],
    ['total time exhausted', noLeader, { elapsedMs: 19_900 }, undefined],
    ['Retry-After hint', limitedHint, {}, 3000],
    ['non-idempotent 429', limited, { idempotent: false }, 125],
    ['non-idempotent no leader', noLeader, { idempotent: false }, 125],
    ['non-idempotent 500', server500, { idempotent: false }, undefined],
    ['idempotent 500', server500, {}, 125],
    ['non-idempotent reset after sending', reset, { idempotent: false }, undefined],
    ['idempotent reset', reset, {}, 125],
    ['refused, untried address left: no wait', refused, { idempotent: false, addressCount: 3, attempt: 2 }, 0],
    ['refused, all addresses tried: back off', refused, { addressCount: 2, attempt: 2 }, 250],
    ['refused, at least one attempt per address', refused, { addressCount: 6, attempt: 5 }, 0],
    ['stream body: never', noLeader, { replayable: false }, undefined],
    ['403 never', denied, {}, undefined],
    ['headers timeout never', headersTimeout, {}, undefined],
    ['TLS never', tls, {}, undefined],
  ];

  it.each(scenarios)('%s', (_name, error, over, expected) => {
    // Act
    const delay = plan(error, over);

    // Assess
    expect(delay).toBe(expected);
  });
});
