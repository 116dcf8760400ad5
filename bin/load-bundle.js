// Loads a CommonJS bundle like `require` does, with a V8 code cache beside it (`<bundle>.cache`, written by
// scripts/build-cli.js): V8 then skips most parsing and compiling, which is most of the CLI's start-up on Node 20
// (Node 22 has its own compile cache, enabled in bin/consul-ops.js). A cache from another Node or V8 version is
// rejected by V8 and the bundle is compiled as usual.
'use strict';
const { existsSync, readFileSync, writeFileSync } = require('node:fs');
const { createRequire, wrap } = require('node:module');
const { dirname } = require('node:path');
const { Script } = require('node:vm');

/** Runs the bundle at `file` and returns its exports; with `writeCache`, (re)writes its code cache afterwards. */
function loadBundle(file, options = {}) {
  const cacheFile = `${file}.cache`;
  const cachedData = !options.writeCache && existsSync(cacheFile) ? readFileSync(cacheFile) : undefined;
  const script = new Script(wrap(readFileSync(file, 'utf8')), { filename: file, cachedData });
  const module = { exports: {}, filename: file, id: file, loaded: false };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
  module.loaded = true;
  if (options.writeCache) writeFileSync(cacheFile, script.createCachedData());
  return module.exports;
}

module.exports = { loadBundle };
