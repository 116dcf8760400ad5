import * as path from 'node:path';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { VERIFY_WORKER_FILE } from '../../functions/adapters/verify-worker-file';

/** The repository root: entry files, `package-lock.json` and the local esbuild live here. */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/**
 * esbuild options shared by all consul-ops functions: one minified, tree-shaken CommonJS file per handler with the
 * AWS SDK v3 clients bundled in (so the code runs against the SDK versions we tested, not the runtime's), no source
 * map. Bundling always runs with the local esbuild; if it is missing this throws instead of falling back to Docker.
 *
 * @throws Error when esbuild is not installed
 */
export function snapshotBundling(options: { readonly verifyWorker?: boolean } = {}): nodejs.BundlingOptions {
  assertLocalEsbuild();
  return {
    ...(options.verifyWorker ? { commandHooks: verifyWorkerHooks() } : {}),
    minify: true,
    sourceMap: false,
    target: 'node22',
    format: nodejs.OutputFormat.CJS,
    // ESM builds of the modular SDK clients tree-shake much better than their CJS builds.
    mainFields: ['module', 'main'],
    bundleAwsSDK: true,
    externalModules: [],
    esbuildArgs: { '--tree-shaking': 'true' },
    forceDockerBundling: false,
    logLevel: nodejs.LogLevel.WARNING,
  };
}

let esbuildChecked = false;

function assertLocalEsbuild(): void {
  if (esbuildChecked) return;
  try {
    require.resolve('esbuild', { paths: [PROJECT_ROOT] });
    esbuildChecked = true;
  } catch {
    throw new Error('esbuild is not installed in node_modules; run `npm ci` (consul-ops never bundles with Docker).');
  }
}

/**
 * Adds the backup's verifying thread (`functions/adapters/verify-thread-worker.ts`) to a function's asset as
 * `verify-worker.js`, next to its `index.js`. The handler starts it only with two vCPUs' worth of memory (3538 MB and
 * more, see `verifyingPassFactory`); smaller functions verify inline.
 */
function verifyWorkerHooks(): nodejs.ICommandHooks {
  const esbuild = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'esbuild');
  const entry = path.join(PROJECT_ROOT, 'functions', 'adapters', 'verify-thread-worker.ts');
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_inputDir: string, outputDir: string) => [
      `"${esbuild}" "${entry}" --bundle --platform=node --format=cjs --target=node22 --minify --main-fields=module,main --log-level=warning --outfile="${path.join(outputDir, VERIFY_WORKER_FILE)}"`,
    ],
  };
}
