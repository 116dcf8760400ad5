/**
 * esbuild for the benchmark: the Lambda handlers with exactly the CDK's options (`snapshotBundling()` in
 * `lib/constructs/function-bundling.ts`, as `NodejsFunction` passes them to esbuild), and the benchmark's own child
 * programs (worker, simulator) as plain bundles so that no TypeScript loader runs inside a measured process.
 */
import { build, type BuildOptions } from 'esbuild';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { VERIFY_WORKER_FILE } from '../functions/adapters/verify-worker-file';

/** The repository root. */
export const ROOT = join(__dirname, '..');

/**
 * What `NodejsFunction` runs for consul-ops functions: `--bundle --target=node22 --platform=node --format=cjs
 * --minify --log-level=warning --main-fields=module,main --tree-shaking=true`, no externals (bundleAwsSDK), no source map.
 */
export const CDK_ESBUILD_OPTIONS: BuildOptions = {
  bundle: true,
  target: 'node22',
  platform: 'node',
  format: 'cjs',
  minify: true,
  sourcemap: false,
  mainFields: ['module', 'main'],
  treeShaking: true,
  external: [],
  logLevel: 'warning',
};

/** A Lambda entry found in `functions/handlers/`. */
export interface HandlerEntry {
  readonly name: string;
  readonly file: string;
  /** Whether a construct in `lib/` names this file as a function entry. */
  readonly deployed: boolean;
}

/** Every `functions/handlers/*.ts` that exports `handler`, the Lambda entry convention of this repository. */
export function discoverHandlers(): HandlerEntry[] {
  const dir = join(ROOT, 'functions', 'handlers');
  const libText = listTs(join(ROOT, 'lib')).map((f) => readFileSync(f, 'utf8')).join('\n');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    // At the start of a line: a doc comment's `@example` (handlers/job.ts) is not an export.
    .filter((f) => /^export\s+(async\s+)?function\s+handler\b|^export\s+(const|let)\s+handler\b/m.test(readFileSync(join(dir, f), 'utf8')))
    .sort()
    .map((f) => ({ name: f.replace(/\.ts$/, ''), file: join(dir, f), deployed: libText.includes(`functions/handlers/${f}`) }));
}

/** Bundles one handler as the CDK does into `outDir/<name>/index.js`; returns that path. */
export async function bundleHandler(entry: HandlerEntry, outDir: string): Promise<string> {
  const outfile = join(outDir, entry.name, 'index.js');
  await build({ ...CDK_ESBUILD_OPTIONS, entryPoints: [entry.file], outfile, absWorkingDir: ROOT });
  return outfile;
}

/** The benchmark's child programs, bundled for the running Node (not minified, for readable profiles). */
export async function bundleBenchPrograms(outDir: string): Promise<{ worker: string; replay: string }> {
  await build({
    ...CDK_ESBUILD_OPTIONS,
    target: `node${process.versions.node.split('.')[0]}`,
    minify: false,
    // verify-worker.js next to worker.js, as next to the CLI bundle: the worker finds it there (functions/adapters/verify-thread.ts).
    entryPoints: { worker: join(__dirname, 'worker.ts'), replay: join(__dirname, 'replay-process.ts'), [VERIFY_WORKER_FILE.replace(/\.js$/, '')]: join(ROOT, 'functions', 'adapters', 'verify-thread-worker.ts') },
    outdir: outDir,
    absWorkingDir: ROOT,
  });
  return { worker: join(outDir, 'worker.js'), replay: join(outDir, 'replay.js') };
}

/** Repository-relative path, for reports. */
export function repoPath(file: string): string {
  return relative(ROOT, file);
}

function listTs(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? listTs(p) : p.endsWith('.ts') ? [p] : [];
  });
}
