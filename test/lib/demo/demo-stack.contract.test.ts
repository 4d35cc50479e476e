/**
 * Contract between what the demo stack declares and what its authorizer decides.
 *
 * The demo stack is synthesized into a temporary cloud assembly; the authorizer asset (index.js and
 * config.json) is taken out of it as CloudFormation would upload it, and the function's environment is
 * taken out of the template with its deploy-time tokens resolved against a stand-in user pool whose keys
 * are served on 127.0.0.1. The bundle then answers real REQUEST events carrying real signed tokens, and
 * every route's decision must match the scopes and conditions below, which restate the stack's design.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { CONFIG_ENV_VAR, CONFIG_FILE_NAME } from '../../../lambda/contract/config-types';
import type { AuthorizerConfig, IssuerConfig } from '../../../lambda/contract/config-types';
import { SecureApiStack } from '../../../lib/demo/secure-api-stack';
import { removeDir, runBundle, stageBundle } from '../../fixtures/bundle';
import { AuthorizerAnswer, evaluatePolicy, methodArn, requestEvent } from '../../fixtures/events';
import { startJwksServer, JwksServer } from '../../fixtures/jwks-server';
import { jwksOf, testKey, TestKey } from '../../fixtures/keys';
import { cognitoAccessToken, cognitoIdToken, TEST_REGION, TEST_USER_POOL_ID } from '../../fixtures/tokens';

type Template = { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };

const MACHINE_CLIENT_ID = '1machine2client3id4abcdefgh';
const WEB_CLIENT_ID = '5web6client7id8abcdefghijkl';
const ACCOUNT_ID = '123456789012';

/** The demo's routes and who may call them: the stack's declared design, written out independently. */
const ROUTES = ['GET /items', 'GET /items/{id}', 'POST /items', 'DELETE /items/{id}', 'GET /admin/stats'] as const;
type Route = (typeof ROUTES)[number];

interface Caller {
  readonly name: string;
  readonly token: (key: TestKey) => string;
  /** Routes this caller may call; every other route must be denied (403). */
  readonly allowed: readonly Route[];
}

const READ_ROUTES: Route[] = ['GET /items', 'GET /items/{id}'];
const WRITE_ROUTES: Route[] = ['POST /items', 'DELETE /items/{id}'];

const CALLERS: Caller[] = [
  { name: 'a reader machine', token: (key) => cognitoAccessToken(key, { clientId: MACHINE_CLIENT_ID, scopes: ['items/read'] }), allowed: READ_ROUTES },
  { name: 'a writer machine', token: (key) => cognitoAccessToken(key, { clientId: MACHINE_CLIENT_ID, scopes: ['items/write'] }), allowed: WRITE_ROUTES },
  {
    name: 'a reader-writer machine',
    token: (key) => cognitoAccessToken(key, { clientId: MACHINE_CLIENT_ID, scopes: ['items/read', 'items/write'] }),
    allowed: [...READ_ROUTES, ...WRITE_ROUTES],
  },
  {
    name: 'an admin user',
    token: (key) => userToken(key, ['openid', 'email', 'items/read'], ['admin']),
    allowed: [...READ_ROUTES, 'GET /admin/stats'],
  },
  {
    name: 'a user in another group',
    token: (key) => userToken(key, ['openid', 'email', 'items/read', 'items/write'], ['staff']),
    allowed: [...READ_ROUTES, ...WRITE_ROUTES],
  },
  { name: 'a user with no API scope', token: (key) => userToken(key, ['openid', 'email'], ['admin']), allowed: [] },
];

/** Tokens the stack's issuers never accept: every route answers 401. */
const STRANGERS: { name: string; token: (key: TestKey, other: TestKey) => string }[] = [
  { name: 'an unknown client', token: (key) => cognitoAccessToken(key, { clientId: 'unknownclient', scopes: ['items/read'] }) },
  { name: 'an ID token', token: (key) => cognitoIdToken(key, { clientId: WEB_CLIENT_ID }) },
  { name: 'a key the pool does not publish', token: (_key, other) => cognitoAccessToken(other, { clientId: MACHINE_CLIENT_ID, scopes: ['items/read'] }) },
];

function userToken(key: TestKey, scopes: string[], groups: string[]): string {
  return cognitoAccessToken(key, {
    clientId: WEB_CLIENT_ID,
    scopes,
    claims: { sub: '11111111-2222-3333-4444-555555555555', username: 'alice', 'cognito:groups': groups },
  });
}

let outdir: string;
let template: Template;
let assetDir: string;
let environment: string;
let fileConfig: AuthorizerConfig;
let jwks: JwksServer;
let key: TestKey;
let other: TestKey;

beforeAll(async () => {
  outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'contract-'));
  const app = new App({ outdir });
  new SecureApiStack(app, 'SecureApiDemo');
  app.synth();
  template = JSON.parse(fs.readFileSync(path.join(outdir, 'SecureApiDemo.template.json'), 'utf8')) as Template;

  const [logicalId, fn] = Object.entries(template.Resources).find(
    ([, resource]) => resource.Type === 'AWS::Lambda::Function' && JSON.stringify(resource.Properties.Environment ?? {}).includes(CONFIG_ENV_VAR),
  )!;
  const s3Key = (fn.Properties.Code as { S3Key: string }).S3Key;
  const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'SecureApiDemo.assets.json'), 'utf8')) as {
    files: Record<string, { source: { path: string } }>;
  };
  const source = path.join(outdir, manifest.files[s3Key.replace(/\.zip$/, '')]!.source.path);
  expect(fs.readdirSync(source).sort()).toEqual([CONFIG_FILE_NAME, 'index.js']);
  fileConfig = JSON.parse(fs.readFileSync(path.join(source, CONFIG_FILE_NAME), 'utf8')) as AuthorizerConfig;
  assetDir = stageBundle(path.join(source, 'index.js'), fs.readFileSync(path.join(source, CONFIG_FILE_NAME), 'utf8'));
  expect(logicalId).toMatch(/^ApiJwtAuthorizer/);

  [key, other] = await Promise.all([testKey('RS256'), testKey('RS256', 'unpublished')]);
  jwks = await startJwksServer({ keys: jwksOf(key).keys });

  const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
  const resolved = JSON.parse(resolveTokens(variables[CONFIG_ENV_VAR])) as { issuers: IssuerConfig[] };
  // The stand-in pool: the same issuer URL the stack computed, with its keys served on 127.0.0.1.
  environment = JSON.stringify({ ...resolved, issuers: resolved.issuers.map((issuer) => ({ ...issuer, jwksUri: jwks.jwksUri })) });
}, 60_000);

afterAll(async () => {
  await jwks?.close();
  if (assetDir) removeDir(assetDir);
  if (outdir) removeDir(outdir);
});

/** Resolves the intrinsic functions the authorizer environment holds, with the stand-in pool's values. */
function resolveTokens(value: unknown): string {
  const clients = Object.entries(template.Resources).filter(([, resource]) => resource.Type === 'AWS::Cognito::UserPoolClient');
  const refs: Record<string, string> = { 'AWS::Region': TEST_REGION, 'AWS::AccountId': ACCOUNT_ID, 'AWS::Partition': 'aws', 'AWS::URLSuffix': 'amazonaws.com' };
  for (const [id, client] of clients) {
    refs[id] = (client.Properties.AllowedOAuthFlows as string[]).includes('client_credentials') ? MACHINE_CLIENT_ID : WEB_CLIENT_ID;
  }
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type === 'AWS::Cognito::UserPool') refs[id] = TEST_USER_POOL_ID;
  }
  const attributes: Record<string, string> = {
    ProviderName: `cognito-idp.${TEST_REGION}.amazonaws.com/${TEST_USER_POOL_ID}`,
    ProviderURL: `https://cognito-idp.${TEST_REGION}.amazonaws.com/${TEST_USER_POOL_ID}`,
    UserPoolId: TEST_USER_POOL_ID,
  };
  const resolve = (node: unknown): unknown => {
    if (typeof node === 'string' || typeof node === 'number') return node;
    if (Array.isArray(node)) return node.map(resolve);
    const record = node as Record<string, unknown>;
    if ('Ref' in record) {
      const ref = refs[record.Ref as string];
      if (ref === undefined) throw new Error(`unresolvable Ref ${String(record.Ref)}`);
      return ref;
    }
    if ('Fn::GetAtt' in record) {
      const [, attribute] = record['Fn::GetAtt'] as [string, string];
      if (attributes[attribute] === undefined) throw new Error(`unresolvable Fn::GetAtt ${attribute}`);
      return attributes[attribute];
    }
    if ('Fn::Join' in record) {
      const [separator, parts] = record['Fn::Join'] as [string, unknown[]];
      return parts.map((part) => resolve(part)).join(separator);
    }
    throw new Error(`unexpected intrinsic ${JSON.stringify(node)}`);
  };
  return String(resolve(value));
}

/** The methods the template declares, as `METHOD /path`, rebuilt from the resource tree. */
function templateRoutes(): string[] {
  const resources = Object.entries(template.Resources);
  const restApiId = resources.find(([, resource]) => resource.Type === 'AWS::ApiGateway::RestApi')![0];
  const pathOf = (ref: unknown): string => {
    const record = ref as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
    if (record['Fn::GetAtt']?.[0] === restApiId) return '';
    const resource = template.Resources[record.Ref!]!;
    return `${pathOf(resource.Properties.ParentId)}/${String(resource.Properties.PathPart)}`;
  };
  return resources
    .filter(([, resource]) => resource.Type === 'AWS::ApiGateway::Method' && resource.Properties.HttpMethod !== 'OPTIONS')
    .map(([, resource]) => `${String(resource.Properties.HttpMethod)} ${pathOf(resource.Properties.ResourceId) || '/'}`)
    .sort();
}

function eventFor(route: Route, token: string) {
  const [method, resource] = route.split(' ');
  return requestEvent({ method, resource, authorization: `Bearer ${token}` });
}

function concreteArn(route: Route): string {
  const [method, resource] = route.split(' ');
  return methodArn(method!, resource!.replace(/\{[^}]+\}/g, '42'));
}

describe('demo stack contract', () => {
  test('the template declares exactly the routes the contract covers, all behind the authorizer', () => {
    expect(templateRoutes()).toEqual([...ROUTES].sort());
    const methods = Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::ApiGateway::Method' && resource.Properties.HttpMethod !== 'OPTIONS');
    expect(methods.map((method) => method.Properties.AuthorizationType)).toEqual(methods.map(() => 'CUSTOM'));
    expect(fileConfig.routes.map((route) => `${route.method} ${route.path}`).sort()).toEqual([...ROUTES].sort());
  });

  test.each(CALLERS.map((caller) => [caller.name, caller]))('every route decides as declared for %s', async (_name, caller) => {
    const token = caller.token(key);
    const run = await runBundle(assetDir, ROUTES.map((route) => eventFor(route, token)), { [CONFIG_ENV_VAR]: environment });
    const decisions = run.results.map((result, i) => {
      if (!('answer' in result)) return `${ROUTES[i]}: 401 (${result.error})`;
      const decision = evaluatePolicy((result.answer as AuthorizerAnswer).policyDocument, concreteArn(ROUTES[i]!));
      return `${ROUTES[i]}: ${decision === 'allow' ? 200 : 403}`;
    });
    expect(decisions).toEqual(ROUTES.map((route) => `${route}: ${caller.allowed.includes(route) ? 200 : 403}`));
  });

  test.each(CALLERS.map((caller) => [caller.name, caller]))('a cached answer for %s is right on every route, whichever route came first', async (_name, caller) => {
    // API Gateway reuses one answer per token for the cache TTL, on every route, when the cache key is the token alone.
    expect(fileConfig.cacheKeyScope ?? 'token').toBe('token');
    const token = caller.token(key);
    const run = await runBundle(assetDir, ROUTES.map((route) => eventFor(route, token)), { [CONFIG_ENV_VAR]: environment });
    for (const result of run.results) {
      expect(result).toHaveProperty('answer');
      const policy = ((result as { answer: AuthorizerAnswer }).answer).policyDocument;
      const replayed = ROUTES.map((route) => `${route}: ${evaluatePolicy(policy, concreteArn(route)) === 'allow' ? 200 : 403}`);
      expect(replayed).toEqual(ROUTES.map((route) => `${route}: ${caller.allowed.includes(route) ? 200 : 403}`));
    }
  });

  test.each(STRANGERS.map((stranger) => [stranger.name, stranger]))('every route answers 401 for %s', async (_name, stranger) => {
    const token = stranger.token(key, other);
    const run = await runBundle(assetDir, ROUTES.map((route) => eventFor(route, token)), { [CONFIG_ENV_VAR]: environment });
    expect(run.results).toEqual(ROUTES.map(() => ({ error: 'Unauthorized' })));
    expect(run.logLines.join('\n')).not.toContain(token.split('.')[2]);
  });

  test('the decision log names the route and the reason, never the token', async () => {
    const token = CALLERS[0]!.token(key);
    const run = await runBundle(assetDir, [eventFor('POST /items', token)], { [CONFIG_ENV_VAR]: environment });
    const decisions = run.logLines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.msg === 'authorizer decision');
    expect(decisions).toEqual([expect.objectContaining({ decision: 'deny', reason: 'INSUFFICIENT_SCOPE', clientId: MACHINE_CLIENT_ID })]);
    expect(run.logLines.join('\n')).not.toContain(token.split('.')[1]);
  });
});
