import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const MANIFEST = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  main: string;
  types: string;
  files: string[];
  bin: Record<string, string>;
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  exports: Record<string, string | Record<string, string>>;
  typesVersions: Record<string, Record<string, string[]>>;
};

function installedVersion(name: string): string {
  return (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Source files of a folder, recursively. */
function sources(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(path.join(dir, entry.name)) : entry.name.endsWith('.ts') ? [path.join(dir, entry.name)] : [],
  );
}

describe('package.json', () => {
  test('aws-cdk-lib and constructs are peer dependencies, and dev dependencies pinned to the installed versions', () => {
    for (const name of ['aws-cdk-lib', 'constructs']) {
      expect([name, MANIFEST.dependencies[name], MANIFEST.peerDependencies?.[name]]).toEqual([name, undefined, expect.stringMatching(/^\^\d+\.\d+\.\d+$/)]);
      expect([name, MANIFEST.devDependencies[name]]).toEqual([name, installedVersion(name)]);
    }
  });

  test('cdk-nag is a dev dependency and an optional peer: only the cdk-secure-api/nag entry point imports it', () => {
    expect([MANIFEST.dependencies['cdk-nag'], MANIFEST.devDependencies['cdk-nag']]).toEqual([undefined, installedVersion('cdk-nag')]);
    expect([MANIFEST.peerDependencies?.['cdk-nag'], MANIFEST.peerDependenciesMeta?.['cdk-nag']]).toEqual([expect.stringMatching(/^\^3\.\d+\.\d+$/), { optional: true }]);
    const shipped = [...sources('lib'), ...sources('lambda'), path.join('bin', 'secure-api.ts')];
    const importing = shipped.filter((file) => /from 'cdk-nag'|require\('cdk-nag'\)/.test(fs.readFileSync(path.join(ROOT, file), 'utf8')));
    expect(importing).toEqual([path.join('lib', 'nag', 'secure-api-checks.ts')]);
  });

  test('every entry point is built by prepare and listed in files, the operator command included', () => {
    // prepare (run by npm pack, npm publish and git installs) is the one build: bundle, then tsc into dist/.
    expect(MANIFEST.scripts.prepare).toBe('node scripts/build.mjs');
    expect(MANIFEST.scripts.prepack).toBeUndefined();
    const build = JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.build.json'), 'utf8')) as { compilerOptions: { outDir: string } };
    const entryPoints = [
      MANIFEST.main,
      MANIFEST.types,
      ...Object.values(MANIFEST.bin),
      ...Object.values(MANIFEST.exports).flatMap((target) => (typeof target === 'string' ? [target] : Object.values(target))),
      ...Object.values(MANIFEST.typesVersions['*'] ?? {}).flat(),
    ]
      .map((file) => path.normalize(file))
      .filter((file) => file !== 'package.json');
    for (const file of entryPoints) {
      const listed = MANIFEST.files.some((entry) => file === path.normalize(entry) || file.startsWith(`${path.normalize(entry)}${path.sep}`));
      const source = path.join(ROOT, path.relative(build.compilerOptions.outDir, file).replace(/\.d\.ts$|\.js$/, '.ts'));
      expect([file, listed, fs.existsSync(source)]).toEqual([file, true, true]);
    }
  });
});
