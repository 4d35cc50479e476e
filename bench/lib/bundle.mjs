// Bundles the baseline authorizers exactly as scripts/bundle.mjs bundles ours, so sizes and load times
// compare like for like, and measures what a deployment ships: the gzip -9 size of the bundle.
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { BUNDLE_OPTIONS } from '../../scripts/bundle.mjs';

/**
 * Bundles one baseline handler source into `outdir/index.js`.
 * @param {string} root repository root (esbuild's working directory, for node_modules resolution)
 * @param {string} entry handler source, relative to root
 * @param {string} outdir
 * @returns {Promise<{ path: string, metafile: import('esbuild').Metafile }>}
 */
export async function bundleBaseline(root, entry, outdir) {
  mkdirSync(outdir, { recursive: true });
  const outfile = join(outdir, 'index.js');
  const result = await build({ ...BUNDLE_OPTIONS, absWorkingDir: root, entryPoints: [entry], outfile });
  return { path: outfile, metafile: result.metafile };
}

/**
 * Copies a bundle into its own folder, so it runs without the `config.json` that may sit next to
 * the original and every implementation loads from a folder of the same shape.
 * @param {string} bundlePath
 * @param {string} outdir
 * @returns {string} the copy's path
 */
export function isolateBundle(bundlePath, outdir) {
  mkdirSync(outdir, { recursive: true });
  const copy = join(outdir, 'index.js');
  copyFileSync(bundlePath, copy);
  return copy;
}

/**
 * Raw and gzip -9 sizes of a file, in bytes.
 * @param {string} path
 * @returns {{ raw: number, gzip: number }}
 */
export function bundleSize(path) {
  const bytes = readFileSync(path);
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

/**
 * The inputs that contribute most to a bundle, largest first, with package names folded together
 * (`node_modules/jose/dist/...` counts as `jose`), so a size miss points at what to trim.
 * @param {import('esbuild').Metafile} metafile
 * @param {number} limit
 * @returns {{ input: string, bytes: number }[]}
 */
export function largestInputs(metafile, limit) {
  const totals = new Map();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const match = /.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      const name = match ? match[1] : input;
      totals.set(name, (totals.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...totals]
    .map(([input, bytes]) => ({ input, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, limit);
}
