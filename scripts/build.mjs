// Builds what the package ships, from a clean dist/: the prebundled Lambda assets (assets/, see
// bundle.mjs) and the compiled library, runtime API and CLI (dist/, tsconfig.build.json).
// `npm run build`, and `prepare`, which npm runs on `npm pack`, `npm publish` and when the package
// is installed from git (`npm i git+https://...`), so a git install gets a working dist/ as well.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleAuthorizer, bundleDemoItems } from './bundle.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// A module deleted from lib/ must not live on in the package as a stale dist/ file.
rmSync(join(root, 'dist'), { recursive: true, force: true });
await bundleAuthorizer();
await bundleDemoItems();

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) {
  process.exitCode = result.status ?? 1;
}
