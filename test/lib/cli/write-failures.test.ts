/**
 * Every file the CLI writes: a failure is one sentence naming the path and the cause, with exit code 73
 * (or, for the token cache, a warning: the token is good), never an internal error with a stack trace.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from '../../../lib/cli/errors';
import { describeFileError } from '../../../lib/cli/files';
import { decodePayload } from '../../fixtures/tokens';
import { runOffline, startTestDeployment } from './fixtures/deployment';

describe('report --out', () => {
  let cdkOut: string;
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'secure-api-write-'));
    // The smallest cloud assembly `cdk synth` could write: one stack with one log group. What the
    // report says is tested elsewhere; here only where it goes.
    cdkOut = join(dir, 'cdk.out');
    mkdirSync(cdkOut);
    writeFileSync(join(cdkOut, 'manifest.json'), JSON.stringify({ version: '48.0.0', artifacts: { Tiny: { type: 'aws:cloudformation:stack', properties: { templateFile: 'Tiny.template.json' } } } }));
    writeFileSync(join(cdkOut, 'Tiny.template.json'), JSON.stringify({ Resources: { Logs: { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 } } } }));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('happy flow: --out writes the file', async () => {
    const result = await runOffline(['report', '--cdk-out', cdkOut, '--out', 'r.md'], dir);

    expect(result).toEqual({ code: ExitCode.Ok, stdout: '', stderr: 'Wrote the report of Tiny to r.md.\n' });
    expect(readFileSync(join(dir, 'r.md'), 'utf8')).toContain('Tiny');
  });

  test('error flow: a missing directory is exit 73, naming the path and the cause', async () => {
    const result = await runOffline(['report', '--cdk-out', cdkOut, '--out', '/missing/dir/r.md'], dir);

    expect(result).toEqual({
      code: ExitCode.CannotWrite,
      stdout: '',
      stderr: 'secure-api: Could not write the report to /missing/dir/r.md: the directory /missing/dir does not exist (ENOENT). Create the directory, or choose another --out.\n',
    });
  });

  test('error flow: a relative --out is named by its full path; a directory in the way is exit 73', async () => {
    mkdirSync(join(dir, 'SECURITY.md'));

    const result = await runOffline(['report', '--cdk-out', cdkOut, '--out', 'SECURITY.md'], dir);

    expect(result.code).toBe(ExitCode.CannotWrite);
    expect(result.stderr).toBe(`secure-api: Could not write the report to ${join(dir, 'SECURITY.md')}: it is a directory (EISDIR). Create the directory, or choose another --out.\n`);
  });

  test('error flow: a file where a directory should be is exit 73', async () => {
    writeFileSync(join(dir, 'reports'), '');

    const result = await runOffline(['report', '--cdk-out', cdkOut, '--format', 'json', '--out', 'reports/r.json'], dir);

    expect(result.code).toBe(ExitCode.CannotWrite);
    expect(result.stderr).toBe(
      `secure-api: Could not write the report to ${join(dir, 'reports', 'r.json')}: a part of ${join(dir, 'reports')} is a file, not a directory (ENOTDIR). Create the directory, or choose another --out.\n`,
    );
    expect(result.stderr).not.toContain('internal error');
  });
});

describe('token cache', () => {
  test('a cache that cannot be written is a warning naming the path and the cause: the token is still printed (exit 0)', async () => {
    const deployment = await startTestDeployment();
    try {
      // A file where the cache directory should be.
      writeFileSync(deployment.cacheDir, 'not a directory');

      const result = await deployment.run(['token', '--scope', 'items/read']);

      expect(result.code).toBe(ExitCode.Ok);
      expect(decodePayload(result.stdout.trim())).toMatchObject({ scope: 'items/read' });
      expect(result.stderr).toBe(
        deployment.outputsNote('TokenEndpoint', 'MachineClientId', 'UserPoolId') +
          `secure-api: warning: Could not write the token cache to ${deployment.cacheDir}: a file of that name is in the way (EEXIST). ` +
          'Check that directory, set XDG_CACHE_HOME, or pass --no-cache. The token is printed anyway; the next call will request a new one.\n',
      );
    } finally {
      await deployment.close();
    }
  });
});

describe('describeFileError', () => {
  test.each([
    [{ code: 'ENOENT' }, '/a/b/c', 'the directory /a/b does not exist (ENOENT)'],
    [{ code: 'EACCES' }, '/a/b', 'permission denied (EACCES)'],
    [{ code: 'ENOSPC' }, '/a/b', 'no space is left on the device (ENOSPC)'],
    [{ code: 'EWHATEVER', message: 'EWHATEVER: something odd, open' }, '/a', 'something odd, open (EWHATEVER)'],
  ])('describes %j', (error, path, text) => {
    expect(describeFileError(error, path)).toBe(text);
  });

  test('returns undefined for errors without a file-system code', () => {
    expect(describeFileError(new Error('boom'), '/a')).toBeUndefined();
  });
});
