// Bundles the Lambda authorizer with esbuild at build time, into assets/authorizer/index.js, and the
// demo items service (used by SecureApiStack only) into assets/demo-items/index.js.
// Constructs load those folders with lambda.Code.fromAsset, so library consumers need neither
// esbuild nor Docker at synth. The options below make the output byte-identical across builds,
// machines and Node versions (no absolute paths, no timestamps, no source maps, sorted inputs),
// so asset hashes and consumers' snapshots never churn.
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The esbuild options of every Lambda bundle, minus entry and output. The benchmark bundles its
 * baselines with the same options, so sizes and load times compare like for like.
 */
export const BUNDLE_OPTIONS = Object.freeze({
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  treeShaking: true,
  sourcemap: false,
  legalComments: 'none',
  charset: 'utf8',
  metafile: true,
  logLevel: 'warning',
  // The Lambda runtime provides these; nothing else is external.
  external: ['node:*'],
  define: { 'process.env.NODE_ENV': '"production"' },
});

/**
 * @param {string} outdir folder to write index.js into
 * @returns {Promise<import('esbuild').Metafile>}
 */
export async function bundleAuthorizer(outdir = join(root, 'assets', 'authorizer')) {
  // Per-request error messages are never logged (the decision log carries reason codes): the flag read by
  // lambda/terse.ts drops them from this bundle. Configuration errors keep their messages.
  return bundleEntry('lambda/handler.ts', outdir, { define: { ...BUNDLE_OPTIONS.define, 'process.env.SECURE_API_TERSE_ERRORS': '"1"' } });
}

/**
 * @param {string} outdir folder to write the demo items service's index.js into
 * @returns {Promise<import('esbuild').Metafile>}
 */
export async function bundleDemoItems(outdir = join(root, 'assets', 'demo-items')) {
  // The demo calls DynamoDB with the AWS SDK for JavaScript v3, which the Lambda Node.js runtime
  // provides: it stays out of the bundle, which then holds only the service's own code.
  return bundleEntry('lib/demo/items-handler/handler.ts', outdir, { external: [...BUNDLE_OPTIONS.external, '@aws-sdk/*'] });
}

/**
 * @param {string} entryPoint path of the handler, relative to the package root
 * @param {string} outdir folder to write index.js into
 * @param {import('esbuild').BuildOptions} [overrides] options of this bundle that differ from BUNDLE_OPTIONS
 * @returns {Promise<import('esbuild').Metafile>}
 */
async function bundleEntry(entryPoint, outdir, overrides = {}) {
  mkdirSync(outdir, { recursive: true });
  const result = await build({
    ...BUNDLE_OPTIONS,
    ...overrides,
    absWorkingDir: root,
    entryPoints: [entryPoint],
    outfile: join(outdir, 'index.js'),
  });
  return result.metafile;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // With an output folder, only the authorizer is bundled there (what the bundle tests compare);
  // without one, every asset goes to its place under assets/.
  if (process.argv[2]) {
    await bundleAuthorizer(process.argv[2]);
  } else {
    await bundleAuthorizer();
    await bundleDemoItems();
  }
}
