import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { ApiScope } from '../../../../lib/authorizer/api-scope';
import { TokenIssuer } from '../../../../lib/authorizer/token-issuer';
import { ExitCode } from '../../../../lib/cli/errors';
import { SIGNING_KEY_TOKENS } from '../../../../lib/cli/probe/hostile-tokens';
import { SecureApi } from '../../../../lib/secure-api/secure-api';
import { startTestDeployment, type TestDeployment } from '../fixtures/deployment';
import { DEMO_ROUTES } from '../fixtures/fake-api';

let deployment: TestDeployment;

beforeAll(async () => {
  deployment = await startTestDeployment({ withApi: true });
  // The synthesized app the probe reads the routes from: the fake API's routes and scopes, no web ACL body limit.
  const app = new App({ outdir: join(deployment.dir, 'cdk.out') });
  const stack = new Stack(app, 'Demo', { env: { account: '123456789012', region: 'eu-west-1' } });
  const api = new SecureApi(stack, 'Api', { issuers: [TokenIssuer.oidc({ issuerUrl: 'https://login.example.com/', audiences: ['https://api.example.com'] })], webAclOptions: { maxBodySize: false } });
  const scopes = { 'items/read': ApiScope.of('items', 'read', 'Read items'), 'items/write': ApiScope.of('items', 'write', 'Write items') } as const;
  for (const route of DEMO_ROUTES) {
    api.addRoute(`${route.method} ${route.path}` as 'GET /items', new apigw.MockIntegration(), { scopes: [scopes[route.scope as keyof typeof scopes]] });
  }
  app.synth();
});

afterAll(() => deployment.close());

describe('secure-api probe --client-credentials', () => {
  test("gets one real token per scope set from the machine client, sends real tokens to the API's host only, and skips the hostile tokens that need the signing key, saying so", async () => {
    const calls: Array<{ host: string; authorization?: string; body?: string }> = [];
    const realFetch = globalThis.fetch;
    const spy = jest.spyOn(globalThis, 'fetch').mockImplementation((input, init) => {
      const headers = new Headers(init?.headers);
      calls.push({ host: new URL(input instanceof Request ? input.url : String(input)).host, authorization: headers.get('authorization') ?? undefined, body: typeof init?.body === 'string' ? init.body : undefined });
      return realFetch(input, init);
    });
    let run: Awaited<ReturnType<TestDeployment['run']>>;
    try {
      run = await deployment.run(['probe', '--url', deployment.api!.url, '--client-credentials']);
    } finally {
      spy.mockRestore();
    }
    expect(deployment.tokenEndpoint.requests.map((request) => request.form.scope)).toEqual(['items/read', 'items/write']);
    // The token endpoint gets the client secret (Basic); every Bearer token goes to the API.
    const apiHost = new URL(deployment.api!.url).host;
    expect(calls.filter((call) => call.host !== apiHost).map((call) => [call.authorization?.split(' ')[0], /eyJ/.test(call.body ?? '')])).toEqual([
      ['Basic', false],
      ['Basic', false],
    ]);
    expect(calls.filter((call) => call.host === apiHost && call.authorization?.includes('eyJ')).length).toBeGreaterThan(0);

    const lines = run.stdout.split('\n');
    const skipped = lines.filter((line) => line.startsWith('SKIPPED'));
    expect(skipped).toHaveLength(SIGNING_KEY_TOKENS.size * DEMO_ROUTES.length);
    expect(skipped.every((line) => line.endsWith(": needs the issuer's signing key (--signing-key)"))).toBe(true);
    // Two tokens, one note of where their settings came from.
    expect(run.stderr.split('\n').filter((line) => line.startsWith('secure-api: Using '))).toHaveLength(1);
    expect(run.stderr).toContain(`Skipping ${SIGNING_KEY_TOKENS.size} hostile tokens on every protected route, which need the issuer's signing key (pass --signing-key to send them): hs256-public-key, unknown-kid, `);
    // The keyless attacks, made from the real tokens, and the positive cases pass on every route.
    for (const name of ['authentication/alg-none', 'authentication/foreign-key', 'authentication/tampered-payload', 'authentication/two-tokens', 'authorization/with-scope', 'authorization/without-scope']) {
      expect(lines.filter((line) => line.startsWith('PASS') && line.endsWith(` ${name}`))).toHaveLength(DEMO_ROUTES.length);
    }
    // The fake API's 401s lack the security headers: the only failures, for that reason.
    expect([...new Set(lines.filter((line) => line.startsWith('FAIL')).map((line) => line.replace(/^FAIL +\d+ +\S+ +\S+ +/, '')))]).toEqual([
      'protections/security-headers: the 401 lacks Cache-Control: no-store, X-Content-Type-Options: nosniff',
    ]);
    expect(run.code).toBe(ExitCode.CheckFailed);
  });

  test('a dry run asks the token endpoint for nothing and prints no token', async () => {
    const before = deployment.tokenEndpoint.requests.length;
    const run = await deployment.run(['probe', '--url', deployment.api!.url, '--client-credentials', '--dry-run', '--no-cache']);
    expect(run.code).toBe(ExitCode.Ok);
    expect(deployment.tokenEndpoint.requests.length).toBe(before);
    expect(run.stdout).toMatch(/\n\d+ requests would be sent to http:\/\/127\.0\.0\.1:\d+\n$/);
    expect(run.stdout).not.toMatch(/eyJ|placeholder/);
  });

  test('refuses --client-credentials together with --local-issuer', async () => {
    const run = await deployment.run(['probe', '--url', deployment.api!.url, '--client-credentials', '--local-issuer', 'issuer.json']);
    expect([run.code, run.stderr]).toEqual([ExitCode.Usage, 'secure-api: Pass either --client-credentials or --local-issuer, not both: both say where the valid tokens come from.\n']);
  });
});
