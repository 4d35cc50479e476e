import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { generateKeyPairSync } from 'node:crypto';
import { ApiScope } from '../../../../lib/authorizer/api-scope';
import { TokenIssuer } from '../../../../lib/authorizer/token-issuer';
import { ExitCode } from '../../../../lib/cli/errors';
import { SecureApi } from '../../../../lib/secure-api/secure-api';
import { runWithLoopback } from '../fixtures/deployment';
import { PROBE_ISSUER, PROBE_PRIVATE_PEM, startProbeTarget, type ProbeTargetFaults } from './probe-target';

let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'secure-api-probe-'));
  // The synthesized app the probe reads its routes from: the same routes as the stage under test.
  const app = new App({ outdir: join(root, 'cdk.out') });
  const stack = new Stack(app, 'Orders', { env: { account: '123456789012', region: 'eu-west-1' } });
  // The stage under test has no web ACL, so the app declares no body limit (the probe would expect its 413).
  const api = new SecureApi(stack, 'Api', { issuers: [TokenIssuer.oidc({ issuerUrl: PROBE_ISSUER.issuer, audiences: [PROBE_ISSUER.audience!] })], webAclOptions: { maxBodySize: false } });
  const mock = () => new apigw.MockIntegration({ integrationResponses: [{ statusCode: '200' }], requestTemplates: { 'application/json': '{"statusCode": 200}' } });
  api.addRoute('GET /items', mock(), { scopes: [ApiScope.of('items', 'read', 'Read items')] });
  api.addRoute('DELETE /items/{id}', mock(), { scopes: [ApiScope.of('items', 'write', 'Write items')] });
  api.addRoute('GET /health', mock(), { public: true });
  app.synth();
  writeFileSync(join(root, 'issuer.pem'), PROBE_PRIVATE_PEM, { mode: 0o600 });
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

async function probe(args: string[], faults: ProbeTargetFaults = {}) {
  const target = await startProbeTarget(faults);
  try {
    const run = await runWithLoopback(
      ['probe', '--url', target.url.href, '--issuer', PROBE_ISSUER.issuer, '--client-id', PROBE_ISSUER.clientId, '--audience', PROBE_ISSUER.audience!, '--signing-key', 'issuer.pem', '--kid', 'probe-1', ...args],
      root,
    );
    return { ...run, requests: target.requests() };
  } finally {
    await target.close();
  }
}

describe('secure-api probe', () => {
  test('reads the routes from cdk.out and passes a sound stage, with JUnit XML for CI', async () => {
    const run = await probe(['--format', 'junit']);
    expect(run.stderr).toMatch(/^Probe of http:\/\/127\.0\.0\.1:\d+\/prod\/: 49 passed, 0 failed, 0 skipped\.\n$/);
    expect(run.code).toBe(ExitCode.Ok);
    expect(run.stdout).toContain('<testsuite name="authentication" tests="36" failures="0" skipped="0">');
    expect(run.requests).toBe(49);
  });

  test('exits 1 when a route lets hostile tokens through', async () => {
    const run = await probe([], { openRoute: 'GET /items' });
    expect(run.code).toBe(ExitCode.CheckFailed);
    expect(run.stdout.split('\n')[0]).toMatch(/^FAIL +200 +GET \/items +authentication\/no-token: expected 401, got 200$/);
  });

  test('--dry-run lists the requests and sends none, and never prints a token', async () => {
    const run = await probe(['--dry-run', '--budget', '10']);
    expect(run.code).toBe(ExitCode.Ok);
    expect(run.requests).toBe(0);
    expect(run.stdout).toContain('   1 GET /items authentication/no-token (challenge-401)');
    expect(run.stdout).toMatch(/49 requests would be sent to http:\/\/127\.0\.0\.1:\d+ \(the budget of 10 stops after the first 10\)\n$/);
    expect(run.stdout).not.toMatch(/eyJ/);
  });

  test('refuses a signing key that cannot sign RS256, and a budget that is not a count', async () => {
    writeFileSync(join(root, 'ec.pem'), generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    const ec = await probe(['--signing-key', 'ec.pem']);
    expect([ec.code, ec.stderr]).toEqual([ExitCode.Usage, `secure-api: --signing-key must be an RSA key, for RS256 (received: a key of type ec in ${join(root, 'ec.pem')}).\n`]);
    const budget = await probe(['--budget', '0']);
    expect([budget.code, budget.stderr]).toEqual([ExitCode.Usage, 'secure-api: --budget must be a whole number of requests, at least 1 (received: "0").\n']);
    expect(budget.requests).toBe(0);
  });
});
