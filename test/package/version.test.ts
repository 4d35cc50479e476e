import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { nodeCliContext, runCli } from '../../lib/cli/program';
import { packageVersion } from '../../lib/cli/version';

const PACKAGE = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };

describe('secure-api --version', () => {
  test.each([['--version'], ['-V']])('%s prints the package version and exits 0', async (flag) => {
    let out = '';
    let err = '';
    const stdout = new PassThrough().on('data', (chunk: Buffer) => (out += chunk.toString()));
    const stderr = new PassThrough().on('data', (chunk: Buffer) => (err += chunk.toString()));
    const code = await runCli([flag], { ...nodeCliContext(), streams: { stdin: new PassThrough(), stdout, stderr } as never });
    expect({ code, out, err }).toEqual({ code: 0, out: `${PACKAGE.version}\n`, err: '' });
  });

  test('the version is read from the nearest cdk-secure-api package.json above, as in the published dist/lib/cli', () => {
    const root = mkdtempSync(join(tmpdir(), 'secure-api-version-'));
    try {
      const cli = join(root, 'node_modules', 'cdk-secure-api', 'dist', 'lib', 'cli');
      mkdirSync(cli, { recursive: true });
      writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'consumer-app', version: '1.0.0' }));
      writeFileSync(join(root, 'node_modules', 'cdk-secure-api', 'package.json'), JSON.stringify({ name: 'cdk-secure-api', version: '7.8.9' }));
      // A package.json of another package on the way up (here a folder's stray one) is skipped.
      writeFileSync(join(cli, '..', 'package.json'), JSON.stringify({ name: 'something-else', version: '0.0.1' }));
      expect(packageVersion(cli)).toBe('7.8.9');
      expect(packageVersion(join(root))).toBe('unknown');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
