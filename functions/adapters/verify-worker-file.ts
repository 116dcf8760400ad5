/**
 * The bundled verifying thread's file name, next to the bundle that starts it (`dist/cli/`, a Lambda's `/var/task`).
 * Its own module so that the builds (the CDK's bundling, the bench) name the file without loading the verifier.
 */
export const VERIFY_WORKER_FILE = 'verify-worker.js';
