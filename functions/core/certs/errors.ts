/**
 * Errors of the certificate check that are not findings: configuration the check cannot run with.
 */
import { ConsulOpsError } from '../shared/errors';

/** Stable codes of the certificate-check errors. */
export const CERT_ERROR_CODES = {
  endpointCaUnreadable: 'CERT_ENDPOINT_CA_UNREADABLE',
} as const;

/** The CA bundle configured for an endpoint could not be read, so its chain cannot be judged. */
export class EndpointCaUnreadableError extends ConsulOpsError {
  constructor(address: string, secretArn: string, cause: unknown) {
    super(
      CERT_ERROR_CODES.endpointCaUnreadable,
      `cannot read the CA bundle of endpoint ${address} from ${secretArn}: ${cause instanceof Error ? cause.message : String(cause)}`,
      'Check that the secret exists and holds a PEM bundle, and that the check-certs function may read it (secretsmanager:GetSecretValue, and kms:Decrypt for a customer-managed key).',
      { context: { address, secretArn }, cause },
    );
  }
}
