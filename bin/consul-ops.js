#!/usr/bin/env node
// The `consul-ops` CLI entry. It runs the TypeScript sources through tsx, so `npx --no-install consul-ops` works
// straight after `npm ci`, with no build step.
'use strict';
require('tsx/cjs/api').register();
// `consul-ops list | head` closes stdout early: that is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err && err.code === 'EPIPE') process.exit(process.exitCode || 0);
    throw err;
  });
}
const { main } = require('../functions/cli/main.ts');
main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`consul-ops: ${err && err.message ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
