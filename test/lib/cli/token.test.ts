import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from '../../../lib/cli/errors';
import { TOKEN_REFRESH_MARGIN_SECONDS } from '../../../lib/cli/token-cache';
import { decodePayload } from '../../fixtures/tokens';
import { MACHINE_CLIENT_ID, TestDeployment, WEB_CLIENT_ID, startTestDeployment } from './fixtures/deployment';
import { TEST_CREDENTIALS } from './fixtures/fake-cognito';

let deployment: TestDeployment;

beforeEach(async () => {
  deployment = await startTestDeployment();
});

afterEach(async () => {
  await deployment.close();
});

function cacheFiles(): string[] {
  try {
    return readdirSync(deployment.cacheDir).map((name) => join(deployment.cacheDir, name));
  } catch {
    return [];
  }
}

describe('secure-api token', () => {
  test('happy flow prints a raw token with the requested scope, read through a signed DescribeUserPoolClient', async () => {
    const result = await deployment.run(['token', '--scope', 'items/read']);

    expect(result).toMatchObject({ code: ExitCode.Ok, stderr: deployment.outputsNote('TokenEndpoint', 'MachineClientId', 'UserPoolId') });
    const token = result.stdout.trim();
    expect(decodePayload(token)).toMatchObject({ client_id: MACHINE_CLIENT_ID, scope: 'items/read', token_use: 'access' });

    // The token endpoint is checked against the pool's domains before the secret is even read.
    expect(deployment.cognito.requests.map((r) => r.action)).toEqual(['DescribeUserPool', 'DescribeUserPoolClient']);
    expect(deployment.cognito.requests[0]).toMatchObject({ body: { UserPoolId: deployment.cognito.userPoolId }, signatureValid: true });
    const describe = deployment.cognito.requests[1]!;
    expect(describe.action).toBe('DescribeUserPoolClient');
    expect(describe.body).toEqual({ UserPoolId: deployment.cognito.userPoolId, ClientId: MACHINE_CLIENT_ID });
    expect(describe.headers['x-amz-target']).toBe('AWSCognitoIdentityProviderService.DescribeUserPoolClient');
    expect(describe.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(describe.headers.authorization).toMatch(
      new RegExp(`^AWS4-HMAC-SHA256 Credential=${TEST_CREDENTIALS.accessKeyId}/\\d{8}/eu-west-1/cognito-idp/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$`),
    );
    expect(describe.signatureValid).toBe(true);

    expect(deployment.tokenEndpoint.requests).toHaveLength(1);
    const request = deployment.tokenEndpoint.requests[0]!;
    expect(request.form).toEqual({ grant_type: 'client_credentials', scope: 'items/read' });
    expect(request.contentType).toBe('application/x-www-form-urlencoded');
    expect(request.authorization).toBe(`Basic ${Buffer.from(`${MACHINE_CLIENT_ID}:${deployment.machineSecret}`).toString('base64')}`);
  });

  test('happy flow prints a ready header and json with the remaining lifetime', async () => {
    const header = await deployment.run(['token', '--scope', 'items/read', '--format', 'header']);
    expect(header.code).toBe(ExitCode.Ok);
    expect(header.stdout).toMatch(/^Authorization: Bearer [\w-]+\.[\w-]+\.[\w-]+\n$/);

    deployment.clock += 600_000;
    const json = await deployment.run(['token', '--scope', 'items/read', '--format', 'json']);
    expect(json.code).toBe(ExitCode.Ok);
    const parsed = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(parsed).toMatchObject({ token_type: 'Bearer', client_id: MACHINE_CLIENT_ID, cached: true, access_token: header.stdout.split(' ')[2]!.trim() });
    expect(parsed.expires_in).toBeGreaterThan(2990);
    expect(parsed.expires_in).toBeLessThanOrEqual(3000);
    expect(parsed).not.toHaveProperty('client_secret');
  });

  test('happy flow without --scope asks for every scope the client may have', async () => {
    const result = await deployment.run(['token']);

    expect(result.code).toBe(ExitCode.Ok);
    expect(deployment.tokenEndpoint.requests[0]!.form).toEqual({ grant_type: 'client_credentials' });
    expect(decodePayload(result.stdout.trim()).scope).toBe('items/read items/write');
  });

  test('happy flow caches the token: a second call reaches neither Cognito nor the token endpoint', async () => {
    const first = await deployment.run(['token', '--scope', 'items/read', '--scope', 'items/write']);
    const second = await deployment.run(['token', '--scope', 'items/write', '--scope', 'items/read']);

    expect(second.stdout).toBe(first.stdout);
    expect(deployment.cognito.requests).toHaveLength(2);
    expect(deployment.tokenEndpoint.requests).toHaveLength(1);
  });

  test('happy flow keys the cache by scopes: another scope set fetches another token', async () => {
    await deployment.run(['token', '--scope', 'items/read']);
    const write = await deployment.run(['token', '--scope', 'items/write']);

    expect(decodePayload(write.stdout.trim()).scope).toBe('items/write');
    expect(deployment.tokenEndpoint.requests).toHaveLength(2);
    expect(cacheFiles()).toHaveLength(2);
  });

  test('happy flow refetches once the cached token is within the refresh margin of its expiry', async () => {
    const first = await deployment.run(['token', '--scope', 'items/read']);
    deployment.clock += (3600 - TOKEN_REFRESH_MARGIN_SECONDS - 5) * 1000;
    const stillCached = await deployment.run(['token', '--scope', 'items/read']);
    deployment.clock += 10_000;
    const refreshed = await deployment.run(['token', '--scope', 'items/read']);

    expect(stillCached.stdout).toBe(first.stdout);
    expect(deployment.tokenEndpoint.requests).toHaveLength(2);
    expect(refreshed.code).toBe(ExitCode.Ok);
    expect(cacheFiles()).toHaveLength(1);
  });

  test('the cache file is private (0600 in a 0700 directory) and holds the token but never the secret', async () => {
    const result = await deployment.run(['token', '--scope', 'items/read']);

    const file = cacheFiles()[0]!;
    expect(statSync(deployment.cacheDir).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(deployment.machineSecret);
    expect(JSON.parse(text)).toMatchObject({
      version: 1,
      tokenEndpoint: deployment.tokenEndpoint.url,
      userPoolId: deployment.cognito.userPoolId,
      clientId: MACHINE_CLIENT_ID,
      scopes: ['items/read'],
      accessToken: result.stdout.trim(),
      tokenType: 'Bearer',
    });
  });

  test('a cache file that others can read is ignored and replaced', async () => {
    await deployment.run(['token', '--scope', 'items/read']);
    const file = cacheFiles()[0]!;
    chmodSync(file, 0o644);

    await deployment.run(['token', '--scope', 'items/read']);

    expect(deployment.tokenEndpoint.requests).toHaveLength(2);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  test('a corrupt cache file counts as a miss', async () => {
    await deployment.run(['token', '--scope', 'items/read']);
    const file = cacheFiles()[0]!;
    writeFileSync(file, '{ not json', { mode: 0o600 });

    const result = await deployment.run(['token', '--scope', 'items/read']);

    expect(result.code).toBe(ExitCode.Ok);
    expect(deployment.tokenEndpoint.requests).toHaveLength(2);
  });

  test('--no-cache neither reads nor writes the cache', async () => {
    await deployment.run(['token', '--no-cache']);
    await deployment.run(['token', '--no-cache']);

    expect(deployment.tokenEndpoint.requests).toHaveLength(2);
    expect(cacheFiles()).toHaveLength(0);
  });

  test('--show-secret prints the secret to stderr, or into the json, only when asked', async () => {
    const quiet = await deployment.run(['token']);
    expect(quiet.stdout + quiet.stderr).not.toContain(deployment.machineSecret);

    const raw = await deployment.run(['token', '--show-secret']);
    expect(raw.stdout).not.toContain(deployment.machineSecret);
    expect(raw.stderr).toBe(`${deployment.outputsNote('TokenEndpoint', 'MachineClientId', 'UserPoolId')}Client secret of ${MACHINE_CLIENT_ID}: ${deployment.machineSecret}\n`);

    const json = await deployment.run(['token', '--show-secret', '--format', 'json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ client_secret: deployment.machineSecret, cached: true });
    expect(deployment.tokenEndpoint.requests).toHaveLength(1);
  });

  test('every setting can come from flags, without an outputs file, and --region may repeat the pool region', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'secure-api-no-outputs-'));
    try {
      const flags = ['--user-pool-id', deployment.cognito.userPoolId, '--client-id', MACHINE_CLIENT_ID, '--token-endpoint', deployment.tokenEndpoint.url];
      const result = await deployment.run(['token', ...flags, '--region', 'eu-west-1'], { cwd: empty });
      const missing = await deployment.run(['token', ...flags.slice(2)], { cwd: empty });

      expect(result.code).toBe(ExitCode.Ok);
      expect(missing.code).toBe(ExitCode.Config);
      expect(missing.stderr).toBe(
        'secure-api: No UserPoolId given. Pass --user-pool-id, or --outputs with the file written by `cdk deploy --outputs-file`.\n',
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  test('happy flow retries a 500 from Cognito once and succeeds', async () => {
    deployment.cognito.failNext('DescribeUserPoolClient', { status: 500, type: 'InternalErrorException', message: 'Internal error' });

    const result = await deployment.run(['token']);

    expect(result.code).toBe(ExitCode.Ok);
    expect(deployment.cognito.requests.map((r) => r.action)).toEqual(['DescribeUserPool', 'DescribeUserPoolClient', 'DescribeUserPoolClient']);
  });

  test('happy flow retries a throttled call once and succeeds', async () => {
    deployment.cognito.failNext('DescribeUserPoolClient', { status: 400, type: 'TooManyRequestsException', message: 'Too many requests' });

    const result = await deployment.run(['token']);

    expect(result.code).toBe(ExitCode.Ok);
    expect(deployment.cognito.requests.filter((r) => r.action === 'DescribeUserPoolClient')).toHaveLength(2);
  });

  test('error flow: throttling that outlasts the retries is a sentence and exit 5', async () => {
    deployment.cognito.failNext('DescribeUserPoolClient', { status: 400, type: 'TooManyRequestsException', message: 'Too many requests' }, 3);

    const result = await deployment.run(['token']);

    expect(result.code).toBe(ExitCode.AwsOther);
    expect(result.stderr).toBe(
      `${deployment.outputsNote('TokenEndpoint', 'MachineClientId', 'UserPoolId')}secure-api: Cognito is throttling DescribeUserPoolClient (TooManyRequestsException), even after retries. Wait a minute and retry.\n`,
    );
    expect(deployment.cognito.requests.filter((r) => r.action === 'DescribeUserPoolClient')).toHaveLength(3);
  });

  test('error flow: a missing IAM permission is exit 4 and names the action', async () => {
    deployment.cognito.deniedActions.add('DescribeUserPoolClient');

    const result = await deployment.run(['token']);

    expect(result.code).toBe(ExitCode.AwsAuth);
    expect(result.stderr).toBe(
      `${deployment.outputsNote('TokenEndpoint', 'MachineClientId', 'UserPoolId')}secure-api: Your AWS identity may not call cognito-idp:DescribeUserPoolClient on user pool ${deployment.cognito.userPoolId} in eu-west-1. Grant that action in IAM, or use a --profile whose role has it.\n`,
    );
  });

  test('error flow: an unknown client id is ResourceNotFoundException, exit 5', async () => {
    const result = await deployment.run(['token', '--client-id', 'nosuchclient']);

    expect(result.code).toBe(ExitCode.AwsOther);
    expect(result.stderr).toBe(
      `${deployment.outputsNote('TokenEndpoint', 'UserPoolId')}secure-api: Cognito found no such resource in eu-west-1: User pool client nosuchclient does not exist. Check the user pool id, client id or group name, and that the stack is deployed there.\n`,
    );
  });

  test('error flow: the web client has no secret, so it cannot get client-credentials tokens (exit 3)', async () => {
    const result = await deployment.run(['token', '--client-id', WEB_CLIENT_ID]);

    expect(result.code).toBe(ExitCode.Config);
    expect(result.stderr).toContain(`App client ${WEB_CLIENT_ID} has no client secret`);
    expect(deployment.tokenEndpoint.requests).toHaveLength(0);
  });

  test('error flow: a scope the client may not request is refused before any token request (exit 2)', async () => {
    const result = await deployment.run(['token', '--scope', 'items/admin']);

    expect(result.code).toBe(ExitCode.Usage);
    expect(result.stderr).toBe(
      `${deployment.outputsNote('TokenEndpoint', 'MachineClientId', 'UserPoolId')}secure-api: App client ${MACHINE_CLIENT_ID} may not request items/admin (allowed: items/read, items/write). Pass only allowed scopes to --scope.\n`,
    );
    expect(deployment.tokenEndpoint.requests).toHaveLength(0);
  });

  test('error flow: a rotated secret makes the token endpoint answer invalid_client (exit 4)', async () => {
    const client = deployment.cognito.clients.get(MACHINE_CLIENT_ID)!;
    deployment.cognito.clients.set(MACHINE_CLIENT_ID, { ...client, ClientSecret: 'rotated-secret' });

    const result = await deployment.run(['token']);

    expect(result.code).toBe(ExitCode.AwsAuth);
    expect(result.stderr).toContain(`rejected client ${MACHINE_CLIENT_ID} (invalid_client)`);
    expect(result.stderr).not.toContain('rotated-secret');
    expect(cacheFiles()).toHaveLength(0);
  });

  test('error flow: a --region other than the pool region is refused before any call (exit 3)', async () => {
    const result = await deployment.run(['token', '--region', 'us-east-1']);

    expect(result.code).toBe(ExitCode.Config);
    expect(result.stderr).toBe(
      `secure-api: User pool ${deployment.cognito.userPoolId} lives in eu-west-1, but --region is us-east-1. Drop --region, or pass --region eu-west-1.\n`,
    );
    expect(deployment.cognito.requests).toHaveLength(0);
  });

  test('error flow: an outputs file that does not exist is exit 3 and says how to write it', async () => {
    const result = await deployment.run(['token', '--outputs', 'nope.json']);

    expect(result.code).toBe(ExitCode.Config);
    expect(result.stderr).toBe(
      'secure-api: The outputs file nope.json does not exist. Deploy with `npx cdk deploy --outputs-file nope.json`, or pass the values as flags.\n',
    );
  });

  test('error flow: an output key missing from the stack names the flag that replaces it', async () => {
    const { TokenEndpoint: _dropped, ...rest } = deployment.outputs;
    writeFileSync(join(deployment.dir, 'partial.json'), JSON.stringify({ Demo: rest }));

    const result = await deployment.run(['token', '--outputs', 'partial.json']);

    expect(result.code).toBe(ExitCode.Config);
    expect(result.stderr).toBe(
      'secure-api: Stack Demo in partial.json has no output TokenEndpoint. Pass --token-endpoint, or choose the stack that exports it with --stack.\n',
    );
  });

  test('error flow: a plain-http token endpoint off this machine is refused (exit 2)', async () => {
    const result = await deployment.run(['token', '--token-endpoint', 'http://auth.example.com/oauth2/token']);

    expect(result.code).toBe(ExitCode.Usage);
    expect(result.stderr).toBe(
      'secure-api: --token-endpoint must use https, because credentials and tokens travel over it (received: http://auth.example.com).\n',
    );
  });

  test('error flow: an unreachable token endpoint is a network error (exit 6)', async () => {
    await deployment.tokenEndpoint.close();

    const result = await deployment.run(['token']);

    expect(result.code).toBe(ExitCode.Network);
    expect(result.stderr).toMatch(/\nsecure-api: Could not reach http:\/\/127\.0\.0\.1:\d+: the connection was refused\./);
  });

  test('throws a usage error (exit 2) for an unknown format', async () => {
    const result = await deployment.run(['token', '--format', 'yaml']);

    expect(result.code).toBe(ExitCode.Usage);
    expect(result.stderr).toContain("error: option '--format <format>' argument 'yaml' is invalid. Allowed choices are raw, header, json.");
  });
});
