import {
  CONSUL_ERROR_CODES,
  ConsulAclNotFoundError,
  ConsulNoLeaderError,
  ConsulPermissionDeniedError,
  consulErrorFromResponse,
  parsePermissionDenied,
  ruleGranting,
  sanitizeConsulPath,
  stripRpcPrefix,
} from '../../../../functions/core/shared/consul-errors';
import { ConsulOpsError } from '../../../../functions/core/shared/errors';

const ACCESSOR = '6a1253d2-1785-24fd-91c2-f8e78c745511';
const req = { method: 'GET', path: '/v1/snapshot', address: 'https://10.0.0.5:8501' };

describe('consulErrorFromResponse', () => {
  // Bodies verbatim from reference/consul-api.md §0 / §1 / §2.3.
  const scenarios: Array<{
    name: string;
    status: number;
    body: string;
    path?: string;
    code: string;
    type: string;
    message: RegExp;
    context?: Record<string, unknown>;
    remedy?: RegExp;
  }> = [
    { name: 'unknown token', status: 403, body: 'ACL not found', code: CONSUL_ERROR_CODES.aclNotFound,
      type: 'ConsulAclNotFoundError', message: /does not know the token/, remedy: /CONSUL_HTTP_TOKEN/ },
    { name: 'unknown token via client agent', status: 403, body: 'rpc error making call: ACL not found',
      code: CONSUL_ERROR_CODES.aclNotFound, type: 'ConsulAclNotFoundError', message: /\(403 ACL not found\)/ },
    { name: 'missing acl:write', status: 403,
      body: `Permission denied: token with AccessorID '${ACCESSOR}' lacks permission 'acl:write'`,
      code: CONSUL_ERROR_CODES.permissionDenied, type: 'ConsulPermissionDeniedError', message: /lacks permission 'acl:write'/,
      context: { permission: 'acl:write', resource: 'acl', level: 'write', accessorId: ACCESSOR }, remedy: /acl = "write"/ },
    { name: 'missing service:write on a name', status: 403,
      body: `Permission denied: token with AccessorID '${ACCESSOR}' lacks permission 'service:write' on "web"`,
      code: CONSUL_ERROR_CODES.permissionDenied, type: 'ConsulPermissionDeniedError', message: /'service:write' on "web"/,
      context: { permission: 'service:write', resourceName: 'web' }, remedy: /service_prefix "web" \{ policy = "write" \}/ },
    { name: 'unknown accessor lacks permission', status: 403,
      body: "Permission denied: provided token lacks permission 'operator:write'",
      code: CONSUL_ERROR_CODES.permissionDenied, type: 'ConsulPermissionDeniedError', message: /'operator:write'/,
      context: { permission: 'operator:write', accessorId: undefined }, remedy: /operator = "write"/ },
    { name: 'bare permission denied (older)', status: 403, body: 'Permission denied',
      code: CONSUL_ERROR_CODES.permissionDenied, type: 'ConsulPermissionDeniedError', message: /permission denied \(Permission denied\)/,
      context: { consulMessage: 'Permission denied' } },
    { name: 'permission denied via client agent (#10222)', status: 403, body: 'rpc error making call: Permission denied',
      code: CONSUL_ERROR_CODES.permissionDenied, type: 'ConsulPermissionDeniedError', message: /\(Permission denied\)$/,
      context: { consulMessage: 'Permission denied' } },
    { name: 'blocked endpoint', status: 403, body: 'Endpoint is blocked by agent configuration',
      code: CONSUL_ERROR_CODES.endpointBlocked, type: 'ConsulEndpointBlockedError', message: /blocks this endpoint/ },
    { name: 'ACLs disabled', status: 401, body: 'ACL support disabled', path: '/v1/acl/tokens',
      code: CONSUL_ERROR_CODES.aclDisabled, type: 'ConsulAclDisabledError', message: /ACLs are disabled/ },
    { name: 'token read, accessor missing (>=1.15)', status: 404, body: 'Requested token does not exist: ACL not found',
      path: `/v1/acl/token/${ACCESSOR}`, code: CONSUL_ERROR_CODES.tokenNotFound, type: 'ConsulTokenNotFoundError',
      message: new RegExp(`no token with AccessorID ${ACCESSOR}`), context: { accessorId: ACCESSOR, status: 404 } },
    { name: 'token self, secret missing (>=1.15)', status: 404, body: 'Supplied token does not exist',
      path: '/v1/acl/token/self', code: CONSUL_ERROR_CODES.aclNotFound, type: 'ConsulAclNotFoundError', message: /Supplied token/ },
    { name: 'token delete, accessor missing', status: 404, body: 'Cannot find token to delete',
      path: `/v1/acl/token/${ACCESSOR}`, code: CONSUL_ERROR_CODES.tokenNotFound, type: 'ConsulTokenNotFoundError', message: /Cannot find token to delete/ },
    { name: 'token update, accessor missing (500)', status: 500, body: `Cannot find token "${ACCESSOR}"`,
      path: `/v1/acl/token/${ACCESSOR}`, code: CONSUL_ERROR_CODES.tokenNotFound, type: 'ConsulTokenNotFoundError', message: /Cannot find token/ },
    { name: 'unknown path', status: 404, body: 'Invalid URL path: not a recognized HTTP API endpoint\n', path: '/v1/nope',
      code: CONSUL_ERROR_CODES.endpointNotFound, type: 'ConsulEndpointNotFoundError', message: /not a recognized Consul HTTP API endpoint/,
      context: { consulMessage: 'Invalid URL path: not a recognized HTTP API endpoint' } },
    { name: 'other 404', status: 404, body: 'Config entry not found for "service-defaults" / "web"', path: '/v1/config/service-defaults/web',
      code: CONSUL_ERROR_CODES.notFound, type: 'ConsulNotFoundError', message: /Config entry not found/ },
    { name: 'no leader', status: 500, body: 'No cluster leader', code: CONSUL_ERROR_CODES.noLeader,
      type: 'ConsulNoLeaderError', message: /no leader/, remedy: /quorum.*stale/ },
    { name: 'no leader via client agent', status: 500, body: 'rpc error making call: No cluster leader',
      code: CONSUL_ERROR_CODES.noLeader, type: 'ConsulNoLeaderError', message: /no leader/ },
    { name: 'rate limited, empty body', status: 429, body: '', code: CONSUL_ERROR_CODES.rateLimited,
      type: 'ConsulRateLimitedError', message: /rate limited by Consul$/ },
    { name: 'restore of a non-gzip body', status: 500, body: 'failed to decompress snapshot: gzip: invalid header\n',
      code: CONSUL_ERROR_CODES.serverError, type: 'ConsulServerError',
      message: /Consul answered 500: failed to decompress snapshot: gzip: invalid header$/,
      context: { consulMessage: 'failed to decompress snapshot: gzip: invalid header', status: 500 } },
    { name: 'token validation (500)', status: 500, body: 'Invalid Token: AccessorID is already in use', path: '/v1/acl/token',
      code: CONSUL_ERROR_CODES.serverError, type: 'ConsulServerError', message: /already in use/ },
    { name: '503 from a balancer', status: 503, body: '  upstream connect error  ', code: CONSUL_ERROR_CODES.serverError,
      type: 'ConsulServerError', message: /503: upstream connect error$/ },
    { name: 'bad parameter', status: 400, body: 'Invalid wait time', code: CONSUL_ERROR_CODES.badRequest,
      type: 'ConsulBadRequestError', message: /rejected the request: Invalid wait time/ },
    { name: 'bad token body', status: 400, body: 'Token decoding failed: unexpected EOF', path: '/v1/acl/token',
      code: CONSUL_ERROR_CODES.badRequest, type: 'ConsulBadRequestError', message: /Token decoding failed/ },
    { name: 'method not allowed', status: 405, body: 'method PATCH not allowed', code: CONSUL_ERROR_CODES.httpError,
      type: 'ConsulHttpError', message: /unexpected status 405: method PATCH not allowed/ },
  ];

  it.each(scenarios)('maps $name ($status)', ({ status, body, path, code, type, message, context, remedy }) => {
    // Prepare
    const info = { ...req, path: path ?? req.path };

    // Act
    const err = consulErrorFromResponse(status, body, info);

    // Assess
    expect(err).toBeInstanceOf(ConsulOpsError);
    expect(err.name).toBe(type);
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
    expect(err.message.startsWith(`${info.method} ${info.path} on ${info.address}: `)).toBe(true);
    expect(err.context).toMatchObject({ method: 'GET', path: info.path, address: info.address, ...(context ?? {}) });
    if (remedy) expect(err.remedy).toMatch(remedy);
    expect(err.remedy.length).toBeGreaterThan(20);
  });

  it('hints at the pre-1.15 meaning of 403 ACL not found on a token read', () => {
    // Act
    const err = consulErrorFromResponse(403, 'ACL not found', { ...req, path: `/v1/acl/token/${ACCESSOR}` });

    // Assess
    expect(err).toBeInstanceOf(ConsulAclNotFoundError);
    expect(err.remedy).toMatch(/1\.14 and older/);
  });

  it('never shows a token= query value or a known secret', () => {
    // Prepare
    const secret = '45a3bd52-07c7-47a4-52fd-0745e0cfe967';
    const info = { ...req, path: `/v1/acl/token/self?token=${secret}&dc=dc1`, secrets: [secret] };

    // Act
    const errors = [
      consulErrorFromResponse(500, `boom ${secret}`, info),
      consulErrorFromResponse(403, 'ACL not found', info),
      consulErrorFromResponse(400, `bad ?token=${secret}`, { ...info, secrets: [] }),
    ];

    // Assess
    for (const err of errors) {
      const text = JSON.stringify({ m: err.message, r: err.remedy, c: err.context });
      expect(text).not.toContain(secret);
      expect(err.message).toContain('token=<redacted>&dc=dc1');
    }
  });

  it('returns the specific classes', () => {
    expect(consulErrorFromResponse(500, 'No cluster leader', req)).toBeInstanceOf(ConsulNoLeaderError);
    expect(consulErrorFromResponse(403, 'Permission denied', req)).toBeInstanceOf(ConsulPermissionDeniedError);
  });
});

describe('parsePermissionDenied / ruleGranting', () => {
  it.each([
    ["lacks permission 'acl:read'", 'acl = "read"'],
    ["lacks permission 'key:write' on \"app/config\"", 'key_prefix "app/config" { policy = "write" }'],
    ["lacks permission 'intention:read' on \"db\"", 'service_prefix "db" { intentions = "read" }'],
    ['Permission denied', 'acl = "write"'],
  ])('suggests a rule for %s', (body, rule) => {
    expect(ruleGranting(parsePermissionDenied(`Permission denied: token with AccessorID '${ACCESSOR}' ${body}`))).toBe(rule);
  });
});

describe('sanitizeConsulPath / stripRpcPrefix', () => {
  it('masks token values only', () => {
    expect(sanitizeConsulPath('/v1/kv/a?token=abc&stale')).toBe('/v1/kv/a?token=<redacted>&stale');
    expect(sanitizeConsulPath('/v1/kv/a?dc=dc1&token=abc')).toBe('/v1/kv/a?dc=dc1&token=<redacted>');
    expect(sanitizeConsulPath('/v1/kv/token?x=1')).toBe('/v1/kv/token?x=1');
  });

  it('strips repeated rpc prefixes and whitespace', () => {
    expect(stripRpcPrefix('rpc error making call: rpc error making call: No cluster leader\n')).toBe('No cluster leader');
  });
});
