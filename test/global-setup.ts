/**
 * Jest global setup of the `integration` project: starts one local radosgw for the whole run and hands its
 * endpoint to the test workers through `process.env` (workers inherit the environment of this process).
 */
import { isRadosgwInstalled, startRadosgw, type RadosgwHandle } from '../local/radosgw';

/** Where global setup leaves the running cluster for {@link ./global-teardown}. */
export const RADOSGW_GLOBAL = '__consulOpsRadosgw';

/** An error that jest prints as one line (no stack): the operator only needs the command to run. */
function oneLineError(message: string): Error {
  const error = new Error(message);
  error.stack = message;
  return error;
}

/**
 * Starts radosgw and exports `CONSUL_OPS_TEST_S3_ENDPOINT`, the test credentials, `AWS_REGION=us-east-1` and the
 * `WHEN_REQUIRED` checksum switches (also `AWS_ENDPOINT_URL_S3`, so product clients from `createS3Client()` reach
 * it too). Fails the run with the install command when Ceph is missing.
 */
export default async function globalSetup(): Promise<void> {
  if (!isRadosgwInstalled()) {
    throw oneLineError('radosgw is not installed; the integration tests need it. Run (as root): bash local/radosgw.sh install');
  }
  const startedAt = Date.now();
  let rgw: RadosgwHandle;
  try {
    rgw = await startRadosgw();
  } catch (error) {
    throw oneLineError(`radosgw did not start: ${(error as Error).message.replace(/\s*\n\s*/g, ' | ')}`);
  }
  (globalThis as Record<string, unknown>)[RADOSGW_GLOBAL] = rgw;
  // Safety nets for runs that end without global teardown (jest exits early, Ctrl-C): no daemon may outlive jest.
  process.once('exit', () => rgw.stopSync());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      rgw.stopSync();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }

  delete process.env.AWS_SESSION_TOKEN;
  Object.assign(process.env, {
    CONSUL_OPS_TEST_S3_ENDPOINT: rgw.endpoint,
    AWS_ENDPOINT_URL_S3: rgw.endpoint,
    AWS_ACCESS_KEY_ID: rgw.accessKeyId,
    AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey,
    AWS_REGION: rgw.region,
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
  });
  console.log(`\nradosgw ready at ${rgw.endpoint} in ${((Date.now() - startedAt) / 1000).toFixed(1)}s (logs: ${rgw.dir}/log)`);
}
