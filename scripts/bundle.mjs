// Bundles the Lambda authorizer with esbuild at build time, into assets/authorizer/index.js.
// Constructs load that folder with lambda.Code.fromAsset, so library consumers need neither
// esbuild nor Docker at synth. The options below make the output byte-identical across builds,
// machines and Node versions (no absolute paths, no timestamps, no source maps, sorted inputs),
// so asset hashes and consumers' snapshots never churn.
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * @param {string} outdir folder to write index.js into
 * @returns {Promise<import('esbuild').Metafile>}
 */
export async function bundleAuthorizer(outdir = join(root, 'assets', 'authorizer')) {
  mkdirSync(outdir, { recursive: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: ['lambda/handler.ts'],
    outfile: join(outdir, 'index.js'),
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
  return result.metafile;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const outdir = process.argv[2] ?? join(root, 'assets', 'authorizer');
  await bundleAuthorizer(outdir);
}
