/**
 * Runs `bin/secure-api.ts` for real, as a child process with a clean environment: proves the entry point,
 * the standard AWS credential chain and endpoint settings, and process exit codes. The entry point is
 * compiled once with esbuild (dependencies stay `require`s of node_modules, as in the published package),
 * so each run costs a Node start rather than a ts-node compilation.
 */
import { execFile, spawn } from 'node:child_process';
import { buildSync } from 'esbuild';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ExitCode } from '../../../lib/cli/errors';
import { TestDeployment, startTestDeployment } from './fixtures/deployment';
import { TEST_CREDENTIALS } from './fixtures/fake-cognito';
import { closerOf, listenLocally } from './fixtures/servers';

const ROOT = resolve(__dirname, '..', '..', '..');
const SOURCE = join(ROOT, 'bin', 'secure-api.ts');
let binDir: string;
let BIN: string;

interface ChildRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI in `cwd` with exactly `env` (plus PATH), never the test runner's AWS settings. */
function runBin(args: string[], cwd: string, env: Record<string, string>): Promise<ChildRun> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd, env: { PATH: process.env.PATH ?? '', NODE_PATH: join(ROOT, 'node_modules'), ...env }, timeout: 30_000 },
      (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Runs the CLI like {@link runBin}, with standard output redirected to `/dev/full` (every write fails with ENOSPC). */
function runBinIntoFullDisk(args: string[], cwd: string, env: Record<string, string>): Promise<ChildRun> {
  const full = openSync('/dev/full', 'w');
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', NODE_PATH: join(ROOT, 'node_modules'), ...env },
      stdio: ['ignore', full, 'pipe'],
      timeout: 30_000,
    });
    closeSync(full);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('close', (code) => done({ code: code ?? 1, stdout: '', stderr }));
  });
}

/** The last line the CLI printed, about the failure (after its notes; the AWS SDK may add its own warnings around it). */
function cliLine(stderr: string): string | undefined {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('secure-api: '))
    .at(-1);
}

let deployment: TestDeployment;
let home: string;

beforeAll(async () => {
  binDir = mkdtempSync(join(tmpdir(), 'secure-api-bin-'));
  BIN = join(binDir, 'secure-api.js');
  buildSync({ entryPoints: [SOURCE], outfile: BIN, bundle: true, packages: 'external', platform: 'node', target: 'node20', logLevel: 'error' });
  deployment = await startTestDeployment();
});

afterAll(async () => {
  await deployment.close();
  rmSync(binDir, { recursive: true, force: true });
});

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'secure-api-home-'));
});

afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

/** An environment with no AWS configuration at all: no profile files, no instance metadata. */
function isolatedEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    HOME: home,
    XDG_CACHE_HOME: join(home, 'cache'),
    AWS_CONFIG_FILE: join(home, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  };
}

describe('bin/secure-api.ts', () => {
  test('--help prints every command and the exit codes, and exits 0', async () => {
    const result = await runBin(['--help'], home, isolatedEnv());

    expect(result.code).toBe(ExitCode.Ok);
    for (const command of ['token', 'smoke', 'users', 'report']) {
      expect(result.stdout).toContain(`  ${command} `);
    }
    expect(result.stdout).toContain('Exit codes:\n   0  success\n   1  a smoke or probe check failed');
  });

  test('an unknown option exits 2 with commander’s message', async () => {
    const result = await runBin(['token', '--bogus'], home, isolatedEnv());

    expect(result.code).toBe(ExitCode.Usage);
    expect(result.stderr).toContain("error: unknown option '--bogus'");
  });

  test('happy flow: token with credentials and endpoint from the standard AWS environment variables', async () => {
    const env = isolatedEnv({
      AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: deployment.cognito.url,
    });

    const result = await runBin(['token', '--scope', 'items/read', '--format', 'header'], deployment.dir, env);

    expect(result.code).toBe(ExitCode.Ok);
    expect(result.stdout).toMatch(/^Authorization: Bearer [\w-]+\.[\w-]+\.[\w-]+\n$/);
    expect(deployment.cognito.requests.at(-1)).toMatchObject({ action: 'DescribeUserPoolClient', signatureValid: true });
    expect(readdirSync(join(home, 'cache', 'cdk-secure-api'))).toHaveLength(1);
  });

  (existsSync('/dev/full') ? test : test.skip)('error flow: a token that cannot be written to standard output is exit 73, not a stack trace', async () => {
    const env = isolatedEnv({
      AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: deployment.cognito.url,
    });

    const result = await runBinIntoFullDisk(['token', '--scope', 'items/read', '--no-cache'], deployment.dir, env);

    expect(result.code).toBe(ExitCode.CannotWrite);
    expect(cliLine(result.stderr)).toBe(
      'secure-api: Could not write to standard output: no space is left on the device (ENOSPC). Check where it is redirected.',
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  test('error flow: no AWS credentials anywhere is exit 4 with what to do', async () => {
    const env = isolatedEnv({ AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: deployment.cognito.url });
    const before = deployment.cognito.requests.length;

    const result = await runBin(['token', '--no-cache'], deployment.dir, env);

    expect(result.code).toBe(ExitCode.AwsAuth);
    expect(cliLine(result.stderr)).toBe(
      'secure-api: No AWS credentials were found. Pass --profile (or set AWS_PROFILE), run `aws sso login`, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.',
    );
    expect(deployment.cognito.requests).toHaveLength(before);
  });

  test('error flow: an unreachable Cognito endpoint is exit 6', async () => {
    const server = createServer();
    const port = await listenLocally(server);
    await closerOf(server)();
    const env = isolatedEnv({
      AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: `http://127.0.0.1:${port}`,
    });

    const result = await runBin(['token', '--no-cache'], deployment.dir, env);

    expect(result.code).toBe(ExitCode.Network);
    expect(cliLine(result.stderr)).toBe(
      'secure-api: Could not reach Cognito in eu-west-1: the connection was refused. Check your network and proxy settings, then retry.',
    );
  });
});
