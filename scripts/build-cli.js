#!/usr/bin/env node
// Builds the `consul-ops` CLI bundle (dist/cli/main.js) with esbuild, its V8 code cache (main.js.cache) and the backup's
// verifying thread (dist/cli/verify-worker.js). npm runs it as the `prepare` script, so the
// bundle exists straight after `npm ci`: `bin/consul-ops.js` then starts without a TypeScript loader (about 10x
// faster than through tsx). Usage: node scripts/build-cli.js [outfile]
'use strict';
const { buildSync } = require('esbuild');
const { dirname, join } = require('node:path');

const ROOT = join(__dirname, '..');
const outfile = process.argv[2] || join(ROOT, 'dist', 'cli', 'main.js');

const options = {
  absWorkingDir: ROOT,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  mainFields: ['module', 'main'],
  // Whitespace and syntax only: identifiers (class names in errors and logs) stay as written.
  minifyWhitespace: true,
  minifySyntax: true,
  treeShaking: true,
  sourcemap: false,
  logLevel: 'warning',
};
buildSync({ ...options, entryPoints: [join(ROOT, 'functions', 'cli', 'main.ts')], outfile });
// The backup's verifying thread (functions/adapters/verify-thread.ts), found next to the CLI bundle at run time.
buildSync({ ...options, entryPoints: [join(ROOT, 'functions', 'adapters', 'verify-thread-worker.ts')], outfile: join(dirname(outfile), 'verify-worker.js') });
// The V8 code cache beside it (bin/load-bundle.js), made by loading the bundle once in this Node.
require('../bin/load-bundle').loadBundle(outfile, { writeCache: true });
