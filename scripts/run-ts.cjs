// Runs a TypeScript entry point (the CDK app of cdk.json) with esbuild's per-file transform as the
// require hook for .ts files: type-stripping only, like `ts-node --transpile-only`, but several times
// faster to start. Type checking is `npm run typecheck`'s job. Usage: node scripts/run-ts.cjs bin/app.ts
'use strict';
const { createHash, randomBytes } = require('node:crypto');
const { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } = require('node:fs');
const { join, resolve } = require('node:path');

const ESBUILD_VERSION = require('esbuild/package.json').version;
const TRANSFORM_OPTIONS = { loader: 'ts', format: 'cjs', target: 'node20', sourcemap: 'inline' };
// Transpiled files are kept by content, so a synth whose sources did not change since the last one loads
// them without starting esbuild. The key covers everything the output depends on: esbuild's version,
// the options, the file name (in the source map) and the source; an edit or an upgrade is a new entry.
// SECURE_API_RUN_TS_CACHE moves it (the tests use a folder of their own).
const CACHE_DIR = process.env.SECURE_API_RUN_TS_CACHE || join(__dirname, '..', 'node_modules', '.cache', 'cdk-secure-api-run-ts');
// Every edit adds an entry, so a run that added one removes the entries no run has used for this long. A run
// marks what it reads as used at most once a day, so a cache hit stays a single read.
const UNUSED_FOR_MS = 7 * 24 * 3600 * 1000;
const MARK_EVERY_MS = 24 * 3600 * 1000;
const usedThisRun = new Set();
let addedThisRun = false;

let esbuild;

function transpile(source, filename) {
  const key = createHash('sha256').update(JSON.stringify([ESBUILD_VERSION, TRANSFORM_OPTIONS, filename])).update('\0').update(source).digest('hex');
  const cached = join(CACHE_DIR, `${key}.js`);
  usedThisRun.add(`${key}.js`);
  try {
    const code = readFileSync(cached, 'utf8');
    markUsed(cached);
    return code;
  } catch {
    // Not transpiled yet: below.
  }
  esbuild ??= require('esbuild');
  const { code } = esbuild.transformSync(source, { ...TRANSFORM_OPTIONS, sourcefile: filename });
  try {
    // Write aside, then rename: a parallel synth never reads a half-written file.
    mkdirSync(CACHE_DIR, { recursive: true });
    const partial = `${cached}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(partial, code);
    try {
      renameSync(partial, cached);
      addedThisRun = true;
    } catch {
      rmSync(partial, { force: true });
    }
  } catch {
    // A cache that cannot be written (read-only or full disk) only costs the next run the transform.
  }
  return code;
}

function markUsed(file) {
  try {
    const now = Date.now();
    if (now - statSync(file).mtimeMs > MARK_EVERY_MS) {
      utimesSync(file, now / 1000, now / 1000);
    }
  } catch {
    // Only pruning depends on it.
  }
}

function pruneUnused() {
  if (!addedThisRun) {
    return;
  }
  try {
    const oldest = Date.now() - UNUSED_FOR_MS;
    for (const name of readdirSync(CACHE_DIR)) {
      const file = join(CACHE_DIR, name);
      if (!usedThisRun.has(name) && statSync(file).mtimeMs < oldest) {
        rmSync(file, { force: true });
      }
    }
  } catch {
    // A cache that cannot be pruned only grows.
  }
}
process.on('exit', pruneUnused);

require.extensions['.ts'] = (module, filename) => {
  module._compile(transpile(readFileSync(filename, 'utf8'), filename), filename);
};

const entry = process.argv[2];
if (entry === undefined) {
  process.stderr.write('usage: node scripts/run-ts.cjs <entry.ts>\n');
  process.exit(2);
}
// The entry point sees the command line it would see if run directly: [node, entry, ...arguments].
process.argv.splice(1, 1);
require(resolve(entry));
