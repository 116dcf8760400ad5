#!/usr/bin/env node
// The `consul-ops` CLI entry. It runs the bundle that `npm ci` builds (the `prepare` script, scripts/build-cli.js),
// so `npx --no-install consul-ops` works straight after `npm ci` and starts without a TypeScript loader. Without the
// bundle (or with CONSUL_OPS_CLI_FROM_SOURCE=1, while developing) it runs the TypeScript sources through tsx.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

// Node 22's on-disk compile cache: later starts skip most of V8's parsing (no-op where unavailable).
try {
  require('node:module').enableCompileCache?.();
} catch {
  // Best effort only.
}
// `consul-ops list | head` closes stdout early: that is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err && err.code === 'EPIPE') process.exit(process.exitCode || 0);
    throw err;
  });
}
const bundle = join(__dirname, '..', 'dist', 'cli', 'main.js');
let main;
if (process.env.CONSUL_OPS_CLI_FROM_SOURCE !== '1' && existsSync(bundle)) {
  ({ main } = require('./load-bundle').loadBundle(bundle));
} else {
  require('tsx/cjs/api').register();
  ({ main } = require('../functions/cli/main.ts'));
}
main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`consul-ops: ${err && err.message ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
