import * as fs from 'node:fs';
import * as path from 'node:path';

/** The package whose version `secure-api --version` prints. */
const PACKAGE_NAME = 'cdk-secure-api';

/**
 * The version of the installed cdk-secure-api, read from its `package.json`: the nearest one above this
 * file named `cdk-secure-api` (in the repository `lib/cli/`, in the package `dist/lib/cli/`).
 *
 * @param from the folder to start from
 * @returns the version, or `unknown` when no such `package.json` is found
 */
export function packageVersion(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    try {
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (manifest.name === PACKAGE_NAME && typeof manifest.version === 'string') {
        return manifest.version;
      }
    } catch {
      // No package.json here, or not JSON: keep looking upwards.
    }
    if (path.dirname(dir) === dir) {
      return 'unknown';
    }
  }
}
