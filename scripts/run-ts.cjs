// Runs a TypeScript entry point (the CDK app of cdk.json) with esbuild's per-file transform as the
// require hook for .ts files: type-stripping only, like `ts-node --transpile-only`, but several times
// faster to start. Type checking is `npm run typecheck`'s job. Usage: node scripts/run-ts.cjs bin/app.ts
'use strict';
const { createHash, randomBytes } = require('node:crypto');
const { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } = require('node:fs');
const { join, resolve } = require('node:path');

const ESBUILD_VERSION = require('esbuild/package.json').version;
const TRANSFORM_OPTIONS = { loader: 'ts', format: 'cjs', target: 'node20', sourcemap: 'inline' };
// Transpiled files are kept by content, so a synth whose sources did not change since the last one loads
// them without starting esbuild. The key covers everything the output depends on: esbuild's version,
// the options, the file name (in the source map) and the source; an edit or an upgrade is a new entry.
const CACHE_DIR = join(__dirname, '..', 'node_modules', '.cache', 'cdk-secure-api-run-ts');

let esbuild;

function transpile(source, filename) {
  const key = createHash('sha256').update(JSON.stringify([ESBUILD_VERSION, TRANSFORM_OPTIONS, filename])).update('\0').update(source).digest('hex');
  const cached = join(CACHE_DIR, `${key}.js`);
  try {
    return readFileSync(cached, 'utf8');
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
    } catch {
      rmSync(partial, { force: true });
    }
  } catch {
    // A cache that cannot be written (read-only or full disk) only costs the next run the transform.
  }
  return code;
}

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
