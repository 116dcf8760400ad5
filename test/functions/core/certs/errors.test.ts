import { EndpointCaUnreadableError } from '../../../../functions/core/certs/errors';
import { summarizeError } from '../../../../functions/core/shared/errors';

describe('EndpointCaUnreadableError', () => {
  it('names the endpoint, the secret and the cause, and says what the function needs', () => {
    // Prepare
    const cause = Object.assign(new Error('User is not authorized to perform secretsmanager:GetSecretValue'), { name: 'AccessDeniedException' });

    // Act
    const summary = summarizeError(new EndpointCaUnreadableError('vault.internal:8200', 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:vault-ca-AbCdEf', cause));

    // Assess
    expect(summary).toEqual({
      code: 'CERT_ENDPOINT_CA_UNREADABLE',
      message: 'cannot read the CA bundle of endpoint vault.internal:8200 from arn:aws:secretsmanager:eu-west-1:111122223333:secret:vault-ca-AbCdEf: User is not authorized to perform secretsmanager:GetSecretValue',
      remedy: expect.stringContaining('secretsmanager:GetSecretValue, and kms:Decrypt for a customer-managed key'),
      context: { address: 'vault.internal:8200', secretArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:vault-ca-AbCdEf' },
    });
  });
});
