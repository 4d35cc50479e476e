import { spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey, sign } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { App, Duration, Size, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { buildSync } from 'esbuild';
import { ApiScope } from '../../../lib/authorizer/api-scope';
import { TokenIssuer } from '../../../lib/authorizer/token-issuer';
import { validAccessToken } from '../../../lib/cli/probe/hostile-tokens';
import { ExitCode } from '../../../lib/cli/errors';
import { pathParameters } from '../../../lib/cli/serve/local-stage';
import { SecureApiStack } from '../../../lib/demo/secure-api-stack';
import { SecureApi } from '../../../lib/secure-api/secure-api';
import { runWithLoopback } from './fixtures/deployment';
import { testKey } from '../../fixtures/keys';

const ROOT = resolve(__dirname, '..', '..', '..');
let root: string;
let bin: string;

/** Synthesizes a SecureApi with MOCK backends; `breakChallenge` drops the WWW-Authenticate header of its 401 answer. */
function synth(name: string, breakChallenge = false): string {
  const outdir = join(root, name);
  const app = new App({ outdir });
  const stack = new Stack(app, 'Orders', { env: { account: '123456789012', region: 'eu-west-1' } });
  const api = new SecureApi(stack, 'Api', {
    issuers: [TokenIssuer.oidc({ issuerUrl: 'https://login.example.com/', audiences: ['https://api.example.com'] })],
    throttle: { rateLimit: 5, burstLimit: 60 },
  });
  const mock = () => new apigw.MockIntegration({ integrationResponses: [{ statusCode: '200', responseTemplates: { 'application/json': '{"ok":true}' } }], requestTemplates: { 'application/json': '{"statusCode": 200}' } });
  api.addRoute('GET /items', mock(), { scopes: [ApiScope.of('items', 'read', 'Read items')] });
  api.addRoute('DELETE /items/{id}', mock(), { scopes: [ApiScope.of('items', 'write', 'Write items')] });
  api.addRoute('GET /health', mock(), { public: true });
  api.addRoute('POST /ping', mock(), { public: true, throttle: { rateLimit: 1, burstLimit: 2 } });
  api.addRoute('PUT /orders', mock(), {
    public: true,
    requestModel: { type: apigw.JsonSchemaType.OBJECT, required: ['sku'], properties: { sku: { type: apigw.JsonSchemaType.STRING } } },
  });
  if (breakChallenge) {
    const unauthorized = api.restApi.node.findAll().find((construct) => construct instanceof apigw.CfnGatewayResponse && construct.responseType === 'UNAUTHORIZED') as apigw.CfnGatewayResponse;
    unauthorized.addPropertyDeletionOverride('ResponseParameters.gatewayresponse\\.header\\.WWW-Authenticate');
  }
  app.synth();
  return outdir;
}

/**
 * Starts `secure-api serve` in a child process (the authorizer bundle logs to its stdout, as in Lambda);
 * `stdout()` is what it wrote so far when `captureStdout` is set.
 */
function serve(cdkOut: string, issuerFile: string | undefined, extra: string[] = [], captureStdout = false): Promise<{ url: string; child: ChildProcess; stderr: string; stdout: () => string }> {
  const child = spawn(process.execPath, [bin, 'serve', '--cdk-out', cdkOut, ...(issuerFile === undefined ? [] : ['--issuer-out', issuerFile]), ...extra], {
    cwd: root,
    stdio: ['ignore', captureStdout ? 'pipe' : process.env.SERVE_DEBUG ? 'inherit' : 'ignore', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stdout = () => output;
  return new Promise((resolveStart, reject) => {
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const url = / at (http:\/\/127\.0\.0\.1:\d+\/\w+\/) /.exec(stderr)?.[1];
      if (url !== undefined) resolveStart({ url, child, stderr, stdout });
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
}

const cli = (args: string[]) => runWithLoopback(args, root);

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'secure-api-serve-'));
  bin = join(root, 'secure-api.js');
  buildSync({ entryPoints: [join(ROOT, 'bin', 'secure-api.ts')], outfile: bin, bundle: true, platform: 'node', target: 'node20', logLevel: 'error' });
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('secure-api serve, attacked by secure-api probe', () => {
  test('a synthesized SecureApi, served with its real authorizer bundle, passes every probe case', async () => {
    const cdkOut = synth('sound');
    const { url, child } = await serve(cdkOut, 'sound-issuer.json');
    try {
      const run = await cli(['probe', '--url', url, '--cdk-out', cdkOut, '--local-issuer', 'sound-issuer.json']);
      expect(run.stdout.split('\n').filter((line) => line.startsWith('FAIL'))).toEqual([]);
      expect(run.stderr).toBe(`Probe of ${url}: 53 passed, 0 failed, 0 skipped.\n`);
      expect(run.code).toBe(ExitCode.Ok);
      // The web ACL's body limit (8 KB by default) and the route's model, each with a valid token.
      expect(run.stdout).toMatch(/^PASS +413 +DELETE \/items\/\{id\} +protections\/body-too-large$/m);
      expect(run.stdout).toMatch(/^PASS +400 +PUT \/orders +protections\/request-validation$/m);
      // The template's own gateway response for an unknown route (SecureApi answers 404 there, not API Gateway's 403).
      const unknown = await fetch(new URL('nowhere', url));
      expect([unknown.status, await unknown.json(), unknown.headers.get('cache-control')]).toEqual([404, { message: 'Not Found', requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) }, 'no-store']);
      const health = await fetch(new URL('health', url));
      expect([health.status, await health.json()]).toEqual([200, { ok: true }]);
      // Request validation against the route's model, with the template's 400 answer.
      const put = (body: string) => fetch(new URL('orders', url), { method: 'PUT', headers: { 'content-type': 'application/json' }, body });
      expect((await put('{"sku":"ABC-1"}')).status).toBe(200);
      const invalid = await put('{"name":"no sku"}');
      expect([invalid.status, ((await invalid.json()) as { message: string }).message]).toEqual([400, 'Invalid request body']);
      expect((await put('not json')).status).toBe(400);
      // A route's own throttle (1 a second, bursts of 2) applies to it alone.
      const statuses = await Promise.all(Array.from({ length: 6 }, () => fetch(new URL('ping', url), { method: 'POST' }).then((answer) => answer.status)));
      expect([statuses.filter((status) => status === 200).length, statuses.filter((status) => status === 429).length]).toEqual([2, 4]);
      // The stage's throttle (5 a second, bursts of 60), as API Gateway's token bucket: a burst of 120 gets 429s.
      const burst = await cli(['probe', '--url', url, '--cdk-out', cdkOut, '--local-issuer', 'sound-issuer.json', '--rate-limit-burst', '120']);
      expect(burst.stdout).toMatch(/^PASS +429 +GET \/health +protections\/rate-limit$/m);
    } finally {
      child.kill('SIGTERM');
    }
  });

  test('a 401 answer stripped of its challenge in the template fails the probe for that reason', async () => {
    const cdkOut = synth('broken', true);
    const { url, child } = await serve(cdkOut, 'broken-issuer.json');
    try {
      const run = await cli(['probe', '--url', url, '--cdk-out', cdkOut, '--local-issuer', 'broken-issuer.json']);
      expect(run.code).toBe(ExitCode.CheckFailed);
      const problems = new Set(run.stdout.split('\n').filter((line) => line.startsWith('FAIL')).map((line) => line.replace(/^FAIL +401 +\S+ +\S+ +authentication\/[\w-]+: /, '')));
      expect([...problems]).toEqual(['the 401 has no WWW-Authenticate: Bearer challenge']);
    } finally {
      child.kill('SIGTERM');
    }
  });
  test('an authorizer deployed with a route stripped of its scopes and a method left out of its table fails the probe of the declared API for those reasons', async () => {
    const declared = synth('declared');
    // What was deployed: the same stage, with the authorizer's route table broken in its asset.
    const deployed = join(root, 'deployed');
    cpSync(declared, deployed, { recursive: true });
    const configFile = readdirSync(deployed)
      .map((entry) => join(deployed, entry, 'config.json'))
      .find((file) => existsSync(file))!;
    const config = JSON.parse(readFileSync(configFile, 'utf8')) as { routes: Array<{ method: string; path: string; scopes: string[] }> };
    config.routes = config.routes
      .filter((route) => !(route.method === 'DELETE' && route.path === '/items/{id}'))
      .map((route) => (route.method === 'GET' && route.path === '/items' ? { ...route, scopes: [] } : route));
    writeFileSync(configFile, JSON.stringify(config));

    const { url, child } = await serve(deployed, 'deployed-issuer.json');
    try {
      const run = await cli(['probe', '--url', url, '--cdk-out', declared, '--local-issuer', 'deployed-issuer.json']);
      expect(run.code).toBe(ExitCode.CheckFailed);
      const failed = run.stdout.split('\n').filter((line) => line.startsWith('FAIL')).map((line) => line.replace(/^FAIL +(\d+) +(\S+) +(\S+) +([\w/-]+).*$/, '$2 $3 $4 $1'));
      expect(failed.sort()).toEqual([
        // DELETE /items/{id} is outside the table: the authorizer refuses every token there (401), the right one too.
        'DELETE /items/{id} authorization/cache-trap-first 401',
        'DELETE /items/{id} authorization/with-scope 401',
        'DELETE /items/{id} authorization/without-scope 401',
        // GET /items takes any token now: the scope-less token and another route's token get 200, not 403.
        'GET /items authorization/cache-trap-reuse 200',
        'GET /items authorization/without-scope 200',
      ]);
    } finally {
      child.kill('SIGTERM');
    }
  });
});

describe('secure-api serve: an authorizer with a deny list and the pseudonymous profile', () => {
  /** A SecureApi that revokes within 2 s (cache) + 1 s (refresh) and logs pseudonyms. */
  function synthProtected(): string {
    const outdir = join(root, 'protected');
    const app = new App({ outdir });
    const stack = new Stack(app, 'Orders', { env: { account: '123456789012', region: 'eu-west-1' } });
    const api = new SecureApi(stack, 'Api', {
      issuers: [TokenIssuer.oidc({ issuerUrl: 'https://login.example.com/', audiences: ['https://api.example.com'] })],
      logProfile: 'pseudonymous',
      revocation: { refresh: Duration.seconds(1) },
      authorizerCacheTtl: Duration.seconds(2),
    });
    const mock = new apigw.MockIntegration({ integrationResponses: [{ statusCode: '200', responseTemplates: { 'application/json': '{"ok":true}' } }], requestTemplates: { 'application/json': '{"statusCode": 200}' } });
    api.addRoute('GET /items', mock, { scopes: [ApiScope.of('items', 'read', 'Read items')] });
    app.synth();
    return outdir;
  }

  test('local stand-ins for the table and the secret: the probe passes, a subject written to the deny-list file is refused within cache TTL + refresh, the log holds pseudonyms, and an unreadable file keeps the last snapshot', async () => {
    const cdkOut = synthProtected();
    const denyList = join(root, 'deny.json');
    writeFileSync(denyList, '{ "Items": [] }');
    const { url, child, stderr, stdout } = await serve(cdkOut, 'protected-issuer.json', ['--deny-list', 'deny.json'], true);
    try {
      expect(stderr).toContain(`local stand-ins: deny list (${denyList}, read at every refresh), pseudonym key (random, this run only)`);
      const run = await cli(['probe', '--url', url, '--cdk-out', cdkOut, '--local-issuer', 'protected-issuer.json']);
      expect(run.stdout.split('\n').filter((line) => line.startsWith('FAIL'))).toEqual([]);
      expect(run.code).toBe(ExitCode.Ok);

      const issuer = JSON.parse(readFileSync(join(root, 'protected-issuer.json'), 'utf8')) as { issuer: string; kid: string; privateKeyPem: string; clientId: string; audience: string };
      const probeIssuer = { issuer: issuer.issuer, kind: 'oidc' as const, clientId: issuer.clientId, audience: issuer.audience, signingKey: { kid: issuer.kid, privateKey: createPrivateKey(issuer.privateKeyPem) } };
      const [revoked, other] = [0, 1].map(() => validAccessToken(probeIssuer, ['items/read'], Math.floor(Date.now() / 1000)));
      const subOf = (token: string) => (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sub: string }).sub;
      const get = async (token: string) => (await fetch(new URL('items', url), { headers: { authorization: `Bearer ${token}` } })).status;
      expect([await get(revoked!), await get(other!)]).toEqual([200, 200]);

      writeFileSync(denyList, JSON.stringify({ Items: [{ pk: { S: `sub#${subOf(revoked!)}` }, reason: { S: 'test' } }] }));
      const written = Date.now();
      let status = 200;
      while (status === 200 && Date.now() - written < 10_000) {
        await new Promise((resolveWait) => setTimeout(resolveWait, 100));
        status = await get(revoked!);
      }
      const delay = Date.now() - written;
      expect(status).toBe(401);
      // The bound is the authorizer cache TTL (2 s) + refresh (1 s) + one Scan; the rest is slack for a busy machine.
      expect(delay).toBeLessThan(2000 + 1000 + 4000);
      expect(await get(other!)).toBe(200);

      // An unreadable file is a table that cannot be read: the snapshot that revokes the subject stays in force.
      writeFileSync(denyList, 'not json');
      await new Promise((resolveWait) => setTimeout(resolveWait, 3200));
      expect([await get(revoked!), await get(other!)]).toEqual([401, 200]);

      const lines = stdout().trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      const refusals = lines.filter((line) => line.reason === 'REVOKED');
      expect(refusals.length).toBeGreaterThan(0);
      expect(refusals.every((line) => typeof line.sub === 'string' && line.sub.startsWith('ps1_'))).toBe(true);
      expect(lines.some((line) => line.msg === 'deny list unavailable' && line.level === 'warn')).toBe(true);
      expect(stdout()).not.toContain(subOf(revoked!));
      expect(stdout()).not.toContain(subOf(other!));
    } finally {
      child.kill('SIGTERM');
    }
  });

  test('a deny-list file that holds no items is refused at startup, naming the file and the rule', async () => {
    writeFileSync(join(root, 'bad-deny.json'), '{ "items": [] }');
    const run = await cli(['serve', '--cdk-out', synth('plain'), '--deny-list', 'bad-deny.json']);
    expect(run.code).toBe(ExitCode.Config);
    expect(run.stderr).toContain(`The deny-list file ${join(root, 'bad-deny.json')} holds neither a list of DynamoDB items nor an object with "Items" (the output of \`aws dynamodb scan\`).`);
  });
});

describe('secure-api serve --issuers', () => {
  test("the JWT authorizer trusts the issuers of the file instead of the local one: their tokens pass, another issuer's do not", async () => {
    const cdkOut = synth('elsewhere');
    const key = await testKey('RS256');
    const mockIdp = 'http://127.0.0.1:9/realms/test';
    writeFileSync(join(root, 'issuers.json'), JSON.stringify({ issuers: [{ kind: 'oidc', issuer: mockIdp, keys: [key.publicJwk], clientIds: ['web'], audiences: ['https://api.example.com'] }] }));
    const { url, child, stderr } = await serve(cdkOut, undefined, ['--issuers', 'issuers.json']);
    try {
      expect(stderr).toMatch(/\(issuers of issuers\.json; Cognito user pool authorizers: local issuer http:\/\/127\.0\.0\.1:\d+\/\.secure-api-local\)/);
      const now = Math.floor(Date.now() / 1000);
      const header = Buffer.from(JSON.stringify({ alg: 'RS256', kid: key.publicJwk.kid, typ: 'at+jwt' })).toString('base64url');
      const claims = { iss: mockIdp, sub: 'user-1', aud: 'https://api.example.com', client_id: 'web', scope: 'items/read', iat: now, exp: now + 300, jti: 'j-1' };
      const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
      const token = `${header}.${payload}.${sign('sha256', Buffer.from(`${header}.${payload}`), key.privateKeyObject).toString('base64url')}`;
      const get = async (authorization: string) => (await fetch(new URL('items', url), { headers: { authorization } })).status;
      expect(await get(`Bearer ${token}`)).toBe(200);
      const stranger = Buffer.from(JSON.stringify({ ...claims, iss: 'http://127.0.0.1:9/realms/other' })).toString('base64url');
      expect(await get(`Bearer ${header}.${stranger}.${sign('sha256', Buffer.from(`${header}.${stranger}`), key.privateKeyObject).toString('base64url')}`)).toBe(401);
    } finally {
      child.kill('SIGTERM');
    }
  });

  test('error flow: issuers the authorizer would refuse, a file of something else, and --issuer-out beside --issuers are refused before serving', async () => {
    const cdkOut = synth('refused-issuers');
    writeFileSync(join(root, 'bad-issuers.json'), JSON.stringify([{ kind: 'oidc', issuer: 'https://login.example.com/', jwksUri: 'http://login.example.com/keys', audiences: ['a'] }]));
    writeFileSync(join(root, 'no-issuers.json'), JSON.stringify({ issuer: 'https://login.example.com/' }));
    const bad = await cli(['serve', '--cdk-out', cdkOut, '--issuers', 'bad-issuers.json']);
    expect(bad.code).toBe(ExitCode.Config);
    expect(bad.stderr).toContain(`The issuers file ${join(root, 'bad-issuers.json')} cannot be used: issuers[0].jwksUri: must be an https URL`);
    const none = await cli(['serve', '--cdk-out', cdkOut, '--issuers', 'no-issuers.json']);
    expect(none.stderr).toContain(`The issuers file ${join(root, 'no-issuers.json')} holds neither a list of issuers nor an object with "issuers".`);
    const both = await cli(['serve', '--cdk-out', cdkOut, '--issuers', 'bad-issuers.json', '--issuer-out', 'x.json']);
    expect(both.code).toBe(ExitCode.Usage);
    expect(both.stderr).toContain('--issuer-out writes the local issuer, which --issuers replaces: pass one of them.');
  });
});

describe('secure-api serve: access logs', () => {
  test("each request writes a line in the stage's own format: a SecureApi's parses as JSON with the request's fields and holds no token", async () => {
    const cdkOut = synth('logged');
    const { url, child } = await serve(cdkOut, 'logged-issuer.json', ['--access-log', 'access.log']);
    try {
      const issuer = JSON.parse(readFileSync(join(root, 'logged-issuer.json'), 'utf8')) as { issuer: string; kid: string; privateKeyPem: string; clientId: string; audience: string };
      const token = validAccessToken(
        { issuer: issuer.issuer, kind: 'oidc', clientId: issuer.clientId, audience: issuer.audience, signingKey: { kid: issuer.kid, privateKey: createPrivateKey(issuer.privateKeyPem) } },
        ['items/read'],
        Math.floor(Date.now() / 1000),
      );
      const allowed = await fetch(new URL('items', url), { headers: { authorization: `Bearer ${token}`, 'user-agent': 'probe "quoted" agent' } });
      const refused = await fetch(new URL('items', url), { headers: { authorization: `Bearer ${token.slice(0, -4)}AAAA` } });
      const unknown = await fetch(new URL('nowhere', url));
      expect([allowed.status, refused.status, unknown.status]).toEqual([200, 401, 404]);
      const logFile = join(root, 'access.log');
      let text = '';
      for (let i = 0; i < 50 && text.split('\n').length < 4; i += 1) {
        await new Promise((resolveWait) => setTimeout(resolveWait, 50));
        text = readFileSync(logFile, 'utf8');
      }
      expect(text).not.toContain(token.split('.')[1]);
      expect(text).not.toContain(token.split('.')[2]!.slice(0, 20));
      const [ok, unauthorized, missing] = text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, string>);
      expect(ok).toMatchObject({
        requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        requestTime: expect.stringMatching(/^\d{2}\/\w{3}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/),
        requestTimeEpoch: expect.stringMatching(/^\d{13}$/),
        ip: '127.0.0.1',
        httpMethod: 'GET',
        resourcePath: '/items',
        protocol: 'HTTP/1.1',
        stage: 'prod',
        status: '200',
        responseLength: '11',
        principalId: expect.stringMatching(/^secure-api-probe-/),
        scopes: 'items/read',
        authorizerStatus: '200',
        authorizerError: '-',
        wafResponseCode: 'WAF_ALLOW',
        wafStatus: '200',
        integrationStatus: '200',
        errorResponseType: '-',
      });
      expect(ok!.principalId).toBe(ok!.sub);
      expect(Number(ok!.authorizerLatency)).toBeGreaterThanOrEqual(0);
      expect(unauthorized).toMatchObject({ status: '401', resourcePath: '/items', authorizerStatus: '401', authorizerError: 'Unauthorized', errorResponseType: 'UNAUTHORIZED', principalId: '-', integrationStatus: '-' });
      expect(missing).toMatchObject({ status: '404', resourcePath: '-', authorizerStatus: '-', errorResponseType: 'MISSING_AUTHENTICATION_TOKEN' });
      expect(missing!.responseLength).toBe(String((await unknown.arrayBuffer()).byteLength));
    } finally {
      child.kill('SIGTERM');
    }
  });
});

describe('secure-api serve: the web ACL', () => {
  test("a SecureApi's web ACL: its rate limit, body size limit, IP deny list and a custom byte match apply in priority order; managed groups are listed", async () => {
    const outdir = join(root, 'waf');
    const app = new App({ outdir });
    const stack = new Stack(app, 'Guarded', { env: { account: '123456789012', region: 'eu-west-1' } });
    const api = new SecureApi(stack, 'Api', {
      issuers: [TokenIssuer.oidc({ issuerUrl: 'https://login.example.com/', audiences: ['https://api.example.com'] })],
      webAclOptions: { rateLimit: { limit: 10, window: Duration.minutes(1) }, maxBodySize: Size.bytes(100), blockedIps: ['192.0.2.0/24', '2001:db8::/32'] },
    });
    api.webAcl!.addRule({
      name: 'NoAdmin',
      priority: 5,
      action: { block: {} },
      statement: { byteMatchStatement: { fieldToMatch: { uriPath: {} }, searchString: '/admin', positionalConstraint: 'CONTAINS', textTransformations: [{ priority: 0, type: 'URL_DECODE' }, { priority: 1, type: 'LOWERCASE' }] } },
      visibilityConfig: { cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: 'NoAdmin' },
    });
    const mock = () => new apigw.MockIntegration({ integrationResponses: [{ statusCode: '200', responseTemplates: { 'application/json': '{"ok":true}' } }], requestTemplates: { 'application/json': '{"statusCode": 200}' } });
    api.addRoute('GET /items', mock(), { scopes: [ApiScope.of('items', 'read', 'Read items')] });
    api.addRoute('POST /notes', mock(), { public: true });
    api.addRoute('GET /health', mock(), { public: true });
    app.synth();
    const { url, child, stderr } = await serve(outdir, 'waf-issuer.json');
    try {
      expect(stderr).toContain(
        'not emulated: AWS-AWSManagedRulesAmazonIpReputationList (managed rule group), AWS-AWSManagedRulesKnownBadInputsRuleSet (managed rule group), AWS-AWSManagedRulesCommonRuleSet (managed rule group)\n',
      );
      // Priority 5, before the rate limit (40): its blocks are not counted there. Decoded and lower-cased, %2FAdmin is /admin.
      const admin = await fetch(new URL('%2FAdmin', url));
      expect([admin.status, await admin.json(), admin.headers.get('cache-control')]).toEqual([403, { message: 'Forbidden', requestId: expect.any(String) }, 'no-store']);
      // Body size (priority 60): one byte over answers the web ACL's own 413 body; both requests count for the rate limit.
      const post = (bytes: number) => fetch(new URL('notes', url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(bytes) });
      const over = await post(101);
      expect([over.status, over.headers.get('content-type'), await over.text()]).toEqual([413, 'application/json', '{"message":"Request Entity Too Large"}']);
      expect((await post(100)).status).toBe(200);
      // The rate limit: 10 a minute per IP, two used above; the eleventh request gets the rule's 429.
      const statuses: number[] = [];
      for (let i = 0; i < 9; i += 1) statuses.push((await fetch(new URL('health', url))).status);
      expect(statuses).toEqual([...Array.from({ length: 8 }, () => 200), 429]);
      const limited = await fetch(new URL('health', url));
      expect([limited.status, await limited.text()]).toEqual([429, '{"message":"Too Many Requests"}']);
    } finally {
      child.kill('SIGTERM');
    }
  });

  test('an IP deny list that holds the caller blocks every request with the WAF_FILTERED answer', async () => {
    const outdir = join(root, 'waf-deny');
    const app = new App({ outdir });
    const stack = new Stack(app, 'Denied', { env: { account: '123456789012', region: 'eu-west-1' } });
    const api = new SecureApi(stack, 'Api', {
      issuers: [TokenIssuer.oidc({ issuerUrl: 'https://login.example.com/', audiences: ['https://api.example.com'] })],
      webAclOptions: { blockedIps: ['127.0.0.0/8'] },
    });
    api.addRoute('GET /items', new apigw.MockIntegration(), { scopes: [ApiScope.of('items', 'read', 'Read items')] });
    api.addRoute('GET /health', new apigw.MockIntegration(), { public: true });
    app.synth();
    const { url, child } = await serve(outdir, 'waf-deny-issuer.json');
    try {
      const answers = await Promise.all(['health', 'items', 'nowhere'].map((path) => fetch(new URL(path, url)).then((answer) => answer.status)));
      expect(answers).toEqual([403, 403, 403]);
    } finally {
      child.kill('SIGTERM');
    }
  });
});

describe('secure-api serve: Cognito user pool and IAM authorization', () => {
  test('a hand-wired RestApi with a Cognito user pool authorizer: signature, expiry, token_use and scopes are checked against the local issuer; AWS_IAM answers 502 saying so', async () => {
    const outdir = join(root, 'cognito');
    const app = new App({ outdir });
    const stack = new Stack(app, 'Pooled', { env: { account: '123456789012', region: 'eu-west-1' } });
    const pool = new cognito.UserPool(stack, 'Pool');
    const authorizer = new apigw.CognitoUserPoolsAuthorizer(stack, 'PoolAuthorizer', { cognitoUserPools: [pool] });
    const api = new apigw.RestApi(stack, 'Api');
    const mock = () => new apigw.MockIntegration({ integrationResponses: [{ statusCode: '200', responseTemplates: { 'application/json': '{"ok":true}' } }], requestTemplates: { 'application/json': '{"statusCode": 200}' } });
    const ok = { methodResponses: [{ statusCode: '200' }] };
    api.root.addResource('profile').addMethod('GET', mock(), { ...ok, authorizer, authorizationType: apigw.AuthorizationType.COGNITO });
    api.root.addResource('orders').addMethod('GET', mock(), { ...ok, authorizer, authorizationType: apigw.AuthorizationType.COGNITO, authorizationScopes: ['orders/read'] });
    api.root.addResource('admin').addMethod('GET', mock(), { ...ok, authorizationType: apigw.AuthorizationType.IAM });
    app.synth();
    const { url, child, stderr } = await serve(outdir, 'cognito-issuer.json');
    try {
      expect(stderr).toContain('not emulated: AWS_IAM authorization of GET /admin (answers 502)\n');
      const issuer = JSON.parse(readFileSync(join(root, 'cognito-issuer.json'), 'utf8')) as { issuer: string; kind: string; kid: string; privateKeyPem: string };
      expect(issuer.kind).toBe('cognito');
      const key = createPrivateKey(issuer.privateKeyPem);
      const now = Math.floor(Date.now() / 1000);
      const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
      const token = (claims: Record<string, unknown>): string => {
        const input = `${b64({ alg: 'RS256', kid: issuer.kid })}.${b64({ iss: issuer.issuer, sub: 'alice', exp: now + 300, ...claims })}`;
        return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
      };
      const accessToken = token({ token_use: 'access', client_id: 'web', scope: 'orders/read' });
      const idToken = token({ token_use: 'id', aud: 'web' });
      const status = (path: string, authorization?: string) => fetch(new URL(path, url), { headers: authorization === undefined ? {} : { authorization } }).then((answer) => answer.status);
      expect([
        await status('profile', idToken),
        await status('profile', accessToken),
        await status('orders', accessToken),
        await status('orders', `Bearer ${accessToken}`),
        await status('orders', idToken),
        await status('orders', token({ token_use: 'access', scope: 'orders/write' })),
        await status('orders', token({ token_use: 'access', scope: 'orders/read', exp: now - 60 })),
        await status('orders', token({ token_use: 'access', scope: 'orders/read', iss: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_other' })),
        await status('orders', `${accessToken.slice(0, -4)}AAAA`),
        await status('orders'),
      ]).toEqual([200, 200, 200, 200, 401, 401, 401, 401, 401, 401]);
      const admin = await fetch(new URL('admin', url));
      expect([admin.status, await admin.json()]).toEqual([502, { message: 'secure-api serve does not emulate AWS_IAM authorization: call this method on a deployed stage' }]);
    } finally {
      child.kill('SIGTERM');
    }
  });
});

describe('secure-api serve: Lambda proxy integrations', () => {
  test('a function gets the proxy event with the authorizer context and path parameters, and its answer goes back', async () => {
    const outdir = join(root, 'lambda');
    const app = new App({ outdir });
    const stack = new Stack(app, 'Echo', { env: { account: '123456789012', region: 'eu-west-1' } });
    const api = new SecureApi(stack, 'Api', { issuers: [TokenIssuer.oidc({ issuerUrl: 'https://login.example.com/', audiences: ['https://api.example.com'] })] });
    const echo = new lambda.Function(stack, 'EchoFn', {
      runtime: lambda.Runtime.NODEJS_20_X,
      handler: 'index.handler',
      environment: { GREETING: 'hello' },
      code: lambda.Code.fromInline(
        'exports.handler = async (event) => ({ statusCode: 201, headers: { "x-echo": "yes" }, body: JSON.stringify({ greeting: process.env.GREETING, id: event.pathParameters.id, sub: event.requestContext.authorizer.sub, scopes: event.requestContext.authorizer.scopes, method: event.httpMethod, body: event.body }) });',
      ),
    });
    api.addRoute('POST /items/{id}', new apigw.LambdaIntegration(echo), { scopes: [ApiScope.of('items', 'write', 'Write items')] });
    app.synth();
    const { url, child } = await serve(outdir, 'echo-issuer.json');
    try {
      const issuer = JSON.parse(readFileSync(join(root, 'echo-issuer.json'), 'utf8')) as { issuer: string; kid: string; privateKeyPem: string; clientId: string; audience: string };
      const token = validAccessToken(
        { issuer: issuer.issuer, kind: 'oidc', clientId: issuer.clientId, audience: issuer.audience, signingKey: { kid: issuer.kid, privateKey: createPrivateKey(issuer.privateKeyPem) } },
        ['items/write'],
        Math.floor(Date.now() / 1000),
      );
      const answer = await fetch(new URL('items/42', url), { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"name":"x"}' });
      const body = (await answer.json()) as Record<string, unknown>;
      expect([answer.status, answer.headers.get('x-echo')]).toEqual([201, 'yes']);
      expect(body).toEqual({ greeting: 'hello', id: '42', sub: expect.stringMatching(/^secure-api-probe-/), scopes: 'items/write', method: 'POST', body: '{"name":"x"}' });
      expect((await fetch(new URL('items/42', url), { method: 'POST' })).status).toBe(401);
    } finally {
      child.kill('SIGTERM');
    }
  });
});

describe('secure-api serve: the demo app', () => {
  test('synth the demo, serve it, and every probe case passes', async () => {
    // Inside the project, so the demo function's own imports (the AWS SDK) resolve as they do from cdk.out.
    mkdirSync(join(ROOT, 'node_modules', '.cache'), { recursive: true });
    const outdir = mkdtempSync(join(ROOT, 'node_modules', '.cache', 'secure-api-serve-demo-'));
    try {
      const app = new App({ outdir });
      new SecureApiStack(app, 'SecureApiDemo');
      app.synth();
      const { url, child } = await serve(outdir, 'demo-issuer.json');
      try {
        const run = await cli(['probe', '--url', url, '--cdk-out', outdir, '--local-issuer', 'demo-issuer.json']);
        expect(run.stdout.split('\n').filter((line) => line.startsWith('FAIL'))).toEqual([]);
        expect(run.stderr).toMatch(/^Probe of http:\/\/127\.0\.0\.1:\d+\/prod\/: \d+ passed, 0 failed, 0 skipped\.\n$/);
        expect(run.code).toBe(ExitCode.Ok);
      } finally {
        child.kill('SIGTERM');
      }
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});

describe('pathParameters', () => {
  test.each([
    ['/items/{id}', '/items/42', { id: '42' }],
    ['/orgs/{org}/items/{id}', '/orgs/acme/items/7', { org: 'acme', id: '7' }],
    ['/files/{proxy+}', '/files/a/b/c.txt', { proxy: 'a/b/c.txt' }],
    ['/items', '/items', {}],
  ])('%s on %s', (template, path, expected) => {
    expect(pathParameters(template, path)).toEqual(expected);
  });
});
