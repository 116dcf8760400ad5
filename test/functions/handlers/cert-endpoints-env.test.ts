import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { endpointCaReader, parseCertEndpoints } from '../../../functions/handlers/cert-endpoints-env';
import { createFixtureCa } from '../../helpers/cert-fixtures';

const ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:vault-ca-AbCdEf';
const NAME = 'environment variable CERT_ENDPOINTS';

describe('parseCertEndpoints', () => {
  it.each([
    { raw: undefined, expected: [] },
    { raw: '', expected: [] },
    { raw: 'consul-ui.internal:443, [fd00::5]:8443', expected: [{ address: 'consul-ui.internal:443' }, { address: '[fd00::5]:8443' }] },
    { raw: '[]', expected: [] },
    {
      raw: JSON.stringify([{ address: 'vault.internal:8200', caBundleSecretArn: ARN }, { address: 'consul-ui.internal:443' }]),
      expected: [{ address: 'vault.internal:8200', caBundleSecretArn: ARN }, { address: 'consul-ui.internal:443' }],
    },
  ])('reads $raw (the JSON array, and the older comma-separated form)', ({ raw, expected }) => {
    // Act / Assess
    expect(parseCertEndpoints(raw, NAME)).toEqual(expected);
  });

  it.each([
    { raw: '[{"address":', message: /^environment variable CERT_ENDPOINTS: is not valid JSON/ },
    { raw: '[1]', message: /^environment variable CERT_ENDPOINTS\[0\]: must be an object/ },
    { raw: '[{"address":"vault:8200","ca":"x"}]', message: /^environment variable CERT_ENDPOINTS\[0\]\.ca: is not a known field/ },
    { raw: '[{"address":"vault"}]', message: /^environment variable CERT_ENDPOINTS\[0\]\.address: "vault" is not host:port/ },
    { raw: '[{"address":"vault:8200","caBundleSecretArn":"vault-ca"}]', message: /^environment variable CERT_ENDPOINTS\[0\]\.caBundleSecretArn: must be a Secrets Manager secret ARN/ },
    { raw: 'a:1,b', message: /^environment variable CERT_ENDPOINTS\[1\]: "b" is not host:port/ },
  ])('refuses $raw with one line naming the entry', ({ raw, message }) => {
    // Act / Assess
    expect(() => parseCertEndpoints(raw, NAME)).toThrow(message);
  });
});

describe('endpointCaReader', () => {
  const sm = mockClient(SecretsManagerClient);
  afterEach(() => sm.reset());

  it('reads each CA bundle secret once per container and leaves endpoints without one on the system store', async () => {
    // Prepare
    const ca = await createFixtureCa('Vault CA');
    sm.on(GetSecretValueCommand, { SecretId: ARN }).resolves({ SecretString: ca.certPem });
    const read = endpointCaReader(new SecretsManagerClient({ region: 'eu-west-1' }), [{ address: 'vault.internal:8200', caBundleSecretArn: ARN }, { address: 'ui.internal:443' }], 'CERT_ENDPOINTS');

    // Act
    const first = await read();
    const second = await read();

    // Assess
    expect(first).toEqual([{ address: 'vault.internal:8200', caPem: ca.certPem, caSource: `the CA bundle in ${ARN}` }, { address: 'ui.internal:443' }]);
    expect(second).toEqual(first);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('fails with the endpoint and the secret named when the secret cannot be read, and tries again next time', async () => {
    // Prepare
    const ca = await createFixtureCa('Vault CA');
    sm.on(GetSecretValueCommand).rejectsOnce(Object.assign(new Error('User is not authorized to perform secretsmanager:GetSecretValue'), { name: 'AccessDeniedException' })).resolves({ SecretString: ca.certPem });
    const read = endpointCaReader(new SecretsManagerClient({ region: 'eu-west-1' }), [{ address: 'vault.internal:8200', caBundleSecretArn: ARN }], 'CERT_ENDPOINTS');

    // Act
    const failed = read();

    // Assess
    await expect(failed).rejects.toMatchObject({ code: 'CERT_ENDPOINT_CA_UNREADABLE', message: `cannot read the CA bundle of endpoint vault.internal:8200 from ${ARN}: User is not authorized to perform secretsmanager:GetSecretValue` });
    await expect(read()).resolves.toEqual([expect.objectContaining({ caPem: ca.certPem })]);
  });

  it('refuses a secret that holds no PEM certificate', async () => {
    // Prepare
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'not a certificate' });
    const read = endpointCaReader(new SecretsManagerClient({ region: 'eu-west-1' }), [{ address: 'vault.internal:8200', caBundleSecretArn: ARN }], 'CERT_ENDPOINTS');

    // Act / Assess
    await expect(read()).rejects.toMatchObject({ code: 'CERT_ENDPOINT_CA_UNREADABLE', message: expect.stringContaining(`the secret ${ARN} holds no PEM certificate`) });
  });
});
