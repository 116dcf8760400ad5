import { consulTokenBody, recreateTokenCommand } from '../../../../functions/core/rotation/token-body';
import { links } from '../../../helpers/in-memory-rotation';

describe('consulTokenBody', () => {
  it('sends links by ID, no TemplatedPolicies field when there are none (Consul before 1.17 refuses it), and a TTL in whole seconds', () => {
    const body = consulTokenBody({ accessorId: 'a', secretId: 's', description: 'd', links: links(['p1'], { policies: [{ id: 'p1', name: 'web' }] }), ttlMs: 28_800_400 });
    expect(body).toEqual({ AccessorID: 'a', SecretID: 's', Description: 'd', Policies: [{ ID: 'p1' }], Roles: [], ServiceIdentities: [], NodeIdentities: [], Local: false, ExpirationTTL: '28800s' });
  });

  it('writes templated policies with the lower-case variable Consul expects, and names where asked', () => {
    const body = consulTokenBody(
      { description: 'd', links: links([], { roles: [{ id: 'r1', name: 'ops' }, { id: 'r2' }], templatedPolicies: [{ templateName: 'builtin/service', name: 'web', datacenters: ['dc1'] }, { templateName: 'builtin/dns' }] }) },
      { byName: true },
    );
    expect(body.Roles).toEqual([{ Name: 'ops' }, { ID: 'r2' }]);
    expect(body.TemplatedPolicies).toEqual([{ TemplateName: 'builtin/service', TemplateVariables: { name: 'web' }, Datacenters: ['dc1'] }, { TemplateName: 'builtin/dns' }]);
  });
});

describe('recreateTokenCommand', () => {
  it('reads the IDs from the secret into the body, quoting for the shell', () => {
    const command = recreateTokenCommand("consul/prod/o'brien", { description: "it's web", links: links(['p1']) });
    expect(command).toBe(
      "aws secretsmanager get-secret-value --secret-id 'consul/prod/o'\\''brien' --query SecretString --output text" +
        ` | jq -c '{AccessorID: .accessorId, SecretID: .secretId} + {"Description":"it'\\''s web","Policies":[{"ID":"p1"}],"Roles":[],"ServiceIdentities":[],"NodeIdentities":[],"Local":false}'` +
        ' | curl --fail-with-body -X PUT -H "X-Consul-Token: $CONSUL_HTTP_TOKEN" --data @- "$CONSUL_HTTP_ADDR/v1/acl/token"',
    );
  });

  it('takes a bare secret as the SecretID and the accessor from the body', () => {
    const command = recreateTokenCommand('consul/prod/bootstrap', { accessorId: 'acc-1', description: 'b', links: links(['00000000-0000-0000-0000-000000000001']) }, { bare: true });
    expect(command).toContain(`| jq -R -c '{SecretID: .} + {"AccessorID":"acc-1","Description":"b"`);
  });
});
