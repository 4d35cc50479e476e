// Runs a TypeScript entry point (the CDK app of cdk.json) with esbuild's per-file transform as the
// require hook for .ts files: type-stripping only, like `ts-node --transpile-only`, but several times
// faster to start. Type checking is `npm run typecheck`'s job. Usage: node scripts/run-ts.cjs bin/app.ts
'use strict';
const { readFileSync } = require('node:fs');
const { resolve } = require('node:path');
const { transformSync } = require('esbuild');

require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(readFileSync(filename, 'utf8'), {
    loader: 'ts',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'inline',
    sourcefile: filename,
  });
  module._compile(code, filename);
};

const entry = process.argv[2];
if (entry === undefined) {
  process.stderr.write('usage: node scripts/run-ts.cjs <entry.ts>\n');
  process.exit(2);
}
// The entry point sees the command line it would see if run directly: [node, entry, ...arguments].
process.argv.splice(1, 1);
require(resolve(entry));
