/**
 * Cached authorizer answers, proven from the synthesized templates rather than from the route table.
 *
 * Several apps are synthesized into a real cloud assembly: the demo stack, SecureApis over generated route
 * tables (and the table that used to escape), and a standalone JwtAuthorizer on a hand-built RestApi. For
 * each authorizer the test enumerates every `AWS::ApiGateway::Method` whose `AuthorizerId` is that
 * authorizer, rebuilds each method's resource path from the `AWS::ApiGateway::Resource` parent chain, takes
 * the `config.json` its staged asset really ships, and runs the real bundle of that asset on REQUEST events
 * for every method, with tokens of varied scopes and groups and hostile concrete paths. Each answer is then
 * replayed wherever API Gateway reuses it (every method for the `token` identity source; the same method,
 * resource and verb when the identity source adds `context.httpMethod` and `context.resourcePath`) under
 * both readings of IAM wildcards, and must give exactly the decision the route's scopes and conditions state.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import fc from 'fast-check';
import { CONFIG_ENV_VAR, CONFIG_FILE_NAME, type AuthorizerConfig, type RouteConfig } from '../../../lambda/contract/config-types';
import { cacheKeyScopeFor, templateKey } from '../../../lambda/contract/routes';
import { ApiScope, JwtAuthorizer, SecureApi, TokenIssuer } from '../../../lib';
import { readCloudAssembly, type AssemblyStack, type CfnResource } from '../../../lib/cli/cloud-assembly';
import { SecureApiStack } from '../../../lib/demo/secure-api-stack';
import { runBundle, type BundleResult } from '../../fixtures/bundle';
import { cognitoIssuerConfig } from '../../fixtures/config';
import { methodArn, requestEvent, type AuthorizerAnswer } from '../../fixtures/events';
import { IAM_READINGS, concretePaths, iamDecision, routeTableArb } from '../../fixtures/iam-match';
import { testKey, type TestKey } from '../../fixtures/keys';
import { cognitoAccessToken, epochSeconds } from '../../fixtures/tokens';

const ENV = { account: '123456789012', region: 'eu-west-1' };
const ISSUER = () => TokenIssuer.oidc({ issuerUrl: 'https://login.example.com', audiences: ['api://items'] });
const scopeNamed = (name: string): ApiScope => ApiScope.of('https://api.example.com', name, name);
const mock = (): apigw.Integration => new apigw.MockIntegration();

/** Path parameter values: one plain, then the characters IAM or ARNs give meaning to, an encoded slash, unicode. */
const VALUES = ['v', 'a:b', '*', 'x?y', '%2F', 'a/b/secret', '..', 'a;b', '\\', ':*:', 'é'];
const VERBS_OF_ANY = ['GET', 'PATCH', 'DELETE'];

/** One JWT authorizer as the template and its asset show it. */
interface DeployedAuthorizer {
  readonly stack: string;
  readonly logicalId: string;
  readonly identitySource: string;
  readonly assetDir: string;
  readonly config: AuthorizerConfig;
  /** Every method whose AuthorizerId is this authorizer: verb and rebuilt resource path. */
  readonly methods: Array<{ readonly httpMethod: string; readonly path: string }>;
}

const refOf = (value: unknown): string | undefined => (typeof (value as { Ref?: unknown })?.Ref === 'string' ? (value as { Ref: string }).Ref : undefined);

/** The resource path of a method, from the `ParentId`/`PathPart` chain of `AWS::ApiGateway::Resource`s. */
function resourcePath(resources: Record<string, CfnResource>, resourceId: unknown): string {
  const parts: string[] = [];
  let current = resourceId;
  for (let depth = 0; refOf(current) !== undefined; depth++) {
    const resource = resources[refOf(current)!];
    expect(resource?.Type).toBe('AWS::ApiGateway::Resource');
    parts.unshift(String(resource!.Properties?.PathPart));
    current = resource!.Properties?.ParentId;
    expect(depth).toBeLessThan(64);
  }
  expect((current as { 'Fn::GetAtt'?: unknown[] })['Fn::GetAtt']?.[1]).toBe('RootResourceId');
  return `/${parts.join('/')}`;
}

/** Every Lambda REQUEST authorizer of a stack whose function ships a `config.json`, with its methods. */
function deployedAuthorizers(stack: AssemblyStack): DeployedAuthorizer[] {
  const resources = stack.template.Resources ?? {};
  return Object.entries(resources)
    .filter(([, resource]) => resource.Type === 'AWS::ApiGateway::Authorizer')
    .map(([logicalId, authorizer]) => {
      const functionId = Object.keys(resources).find(
        (id) => resources[id]!.Type === 'AWS::Lambda::Function' && JSON.stringify(authorizer.Properties?.AuthorizerUri).includes(`"${id}"`),
      )!;
      const assetDir = resolve(stack.assemblyDir, String(resources[functionId]!.Metadata?.['aws:asset:path']));
      const methods = Object.values(resources)
        .filter((method) => method.Type === 'AWS::ApiGateway::Method' && refOf(method.Properties?.AuthorizerId) === logicalId)
        .map((method) => ({ httpMethod: String(method.Properties?.HttpMethod), path: resourcePath(resources, method.Properties?.ResourceId) }));
      return {
        stack: stack.stackName,
        logicalId,
        identitySource: String(authorizer.Properties?.IdentitySource),
        assetDir,
        config: JSON.parse(readFileSync(join(assetDir, CONFIG_FILE_NAME), 'utf8')) as AuthorizerConfig,
        methods,
      };
    });
}

/** What a token carries that routes check. */
interface TokenClaims {
  readonly scopes: readonly string[];
  readonly groups: readonly string[];
}

/** The route API Gateway's method reaches in the table: the exact verb on the resource, else its ANY route. */
function routeFor(config: AuthorizerConfig, verb: string, path: string): RouteConfig {
  const onResource = config.routes.filter((route) => templateKey(route.path) === templateKey(path));
  const route = onResource.find((r) => r.method === verb) ?? onResource.find((r) => r.method === 'ANY');
  if (route === undefined) {
    throw new Error(`${verb} ${path} uses the authorizer but its config.json has no route for it`);
  }
  return route;
}

/** The decision the route table states for a token, computed here without the runtime. */
function intended(route: RouteConfig, token: TokenClaims): 'allow' | 'deny' {
  const claims: Record<string, unknown> = { scope: token.scopes.join(' '), 'cognito:groups': [...token.groups] };
  const holds = (route.conditions ?? []).every(({ claim, contains, equals }) => {
    const value = claims[claim];
    if (equals !== undefined) return value === equals;
    return Array.isArray(value) ? value.includes(contains) : typeof value === 'string' && value.split(' ').includes(contains!);
  });
  return (route.scopes ?? []).every((scope) => token.scopes.includes(scope)) && holds ? 'allow' : 'deny';
}

/** Builds a generated table's SecureApi: parameters named by depth, one scope per route from a small set. */
function generatedApi(stack: Stack, routes: readonly RouteConfig[]): void {
  const api = new SecureApi(stack, 'Api', { issuers: [ISSUER()] });
  routes.forEach((route, i) => {
    api.addRoute(`${route.method} ${route.path}`, mock(), { scopes: [scopeNamed(['s.read', 's.write', 's.admin'][i % 3]!)] });
  });
}

/** Route tables API Gateway accepts: parameters named by depth, and no `{param}` next to `{proxy+}` under one parent. */
function generatedTables(count: number): RouteConfig[][] {
  const candidates = fc.sample(routeTableArb, { seed: 0x7e3b1a7e, numRuns: 200 }).map((routes) =>
    routes.map((route) => ({ method: route.method, path: route.path.split('/').map((s, depth) => (s.startsWith('{') && !s.endsWith('+}') ? `{d${depth}}` : s)).join('/') })),
  );
  const acceptable = candidates.filter((routes) => {
    const variableChildren = new Map<string, Set<string>>();
    for (const route of routes) {
      const parts = route.path.split('/');
      parts.forEach((part, i) => {
        if (part.startsWith('{')) {
          const parent = parts.slice(0, i).join('/');
          variableChildren.set(parent, (variableChildren.get(parent) ?? new Set()).add(part));
        }
      });
    }
    return [...variableChildren.values()].every((children) => children.size === 1);
  });
  const token = acceptable.filter((routes) => cacheKeyScopeFor(routes) === 'token');
  const route = acceptable.filter((routes) => cacheKeyScopeFor(routes) === 'route');
  return [...token.slice(0, count / 2), ...route.slice(0, count / 2)];
}

let outDir: string;
let authorizers: DeployedAuthorizer[];
let key: TestKey;

beforeAll(async () => {
  key = await testKey('RS256');
  outDir = mkdtempSync(join(tmpdir(), 'secure-api-cached-answers-'));
  const app = new App({ outdir: join(outDir, 'cdk.out'), context: { 'aws:cdk:enable-asset-metadata': true } });

  new SecureApiStack(app, 'Demo');

  // The table that escaped under reading (b) with the old patterns, next to a plain collection route.
  const overlap = new SecureApi(new Stack(app, 'Overlap', { env: ENV }), 'Api', { issuers: [ISSUER()] });
  overlap.addRoute('GET /items', mock(), { scopes: [scopeNamed('read')] });
  overlap.addRoute('GET /items/{id}', mock(), { scopes: [scopeNamed('read')] });
  overlap.addRoute('GET /items/{id}/secret', mock(), { scopes: [scopeNamed('admin')] });

  // An ANY route sharing its resource with exact verbs: token-scoped, as API Gateway sends GET and DELETE
  // to their own methods, never to ANY.
  const verbs = new SecureApi(new Stack(app, 'Verbs', { env: ENV }), 'Api', { issuers: [ISSUER()] });
  verbs.addRoute('GET /items', mock(), { scopes: [scopeNamed('read')] });
  verbs.addRoute('GET /items/{id}', mock(), { scopes: [scopeNamed('read')] });
  verbs.addRoute('DELETE /items/{id}', mock(), { scopes: [scopeNamed('admin')] });
  verbs.addRoute('ANY /items/{id}', mock(), { scopes: [scopeNamed('write')] });

  generatedTables(4).forEach((routes, i) => generatedApi(new Stack(app, `Generated${i}`, { env: ENV }), routes));

  // A platform repo's own RestApi behind a standalone JwtAuthorizer, with a public method beside it.
  const standalone = new Stack(app, 'Standalone', { env: ENV });
  const jwt = new JwtAuthorizer(standalone, 'Jwt', { issuers: [ISSUER()] });
  const restApi = new apigw.RestApi(standalone, 'Api', { cloudWatchRole: false });
  const items = restApi.root.addResource('items');
  items.addMethod('GET', mock(), { authorizer: jwt.requestAuthorizer });
  items.addMethod('POST', mock(), { authorizer: jwt.requestAuthorizer });
  items.addResource('{itemId}').addMethod('GET', mock(), { authorizer: jwt.requestAuthorizer });
  restApi.root.addResource('files').addResource('{proxy+}').addMethod('ANY', mock(), { authorizer: jwt.requestAuthorizer });
  restApi.root.addResource('health').addMethod('GET', mock());
  jwt.addRoute({ method: 'GET', path: '/items', scopes: ['read'] });
  jwt.addRoute({ method: 'POST', path: '/items', scopes: ['write'] });
  jwt.addRoute({ method: 'GET', path: '/items/{id}', scopes: ['read'] });
  jwt.addRoute({ method: 'ANY', path: '/files/{proxy+}', scopes: ['files'] });

  app.synth();
  authorizers = readCloudAssembly(join(outDir, 'cdk.out')).flatMap(deployedAuthorizers);
}, 120_000);

afterAll(() => {
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

describe('cached answers from the synthesized templates', () => {
  test('the apps hold authorizers in both cache key scopes, the demo in token scope, each identity source matching its config.json', () => {
    const scopes = Object.fromEntries(authorizers.map((a) => [a.stack, a.config.cacheKeyScope]));
    expect(scopes).toMatchObject({ Demo: 'token', Overlap: 'route', Standalone: 'token', Verbs: 'token' });
    expect(Object.values(scopes).filter((s) => s === 'token').length).toBeGreaterThanOrEqual(4);
    expect(Object.values(scopes).filter((s) => s === 'route').length).toBeGreaterThanOrEqual(2);
    for (const authorizer of authorizers) {
      expect(authorizer.identitySource).toBe(
        authorizer.config.cacheKeyScope === 'route' ? 'method.request.header.Authorization,context.httpMethod,context.resourcePath' : 'method.request.header.Authorization',
      );
    }
    expect(authorizers.find((a) => a.stack === 'Standalone')?.methods.map((m) => `${m.httpMethod} ${m.path}`).sort()).toEqual([
      'ANY /files/{proxy+}',
      'GET /items',
      'GET /items/{itemId}',
      'POST /items',
    ]);
  });

  test('every answer of the real bundle, replayed wherever API Gateway reuses it, is exactly the route decision under both readings', async () => {
    let replays = 0;
    for (const authorizer of authorizers) {
      const { config, methods } = authorizer;
      const scopeNames = [...new Set(config.routes.flatMap((route) => route.scopes ?? []))];
      const tokens: TokenClaims[] = [
        { scopes: [], groups: [] },
        ...scopeNames.map((scope) => ({ scopes: [scope], groups: [] })),
        { scopes: scopeNames, groups: [] },
        { scopes: scopeNames, groups: ['admin'] },
        { scopes: scopeNames.slice(0, 1), groups: ['admin'] },
      ];
      // Every concrete request API Gateway sends through this authorizer: each method, the verbs it receives
      // (an ANY method does not receive a verb its resource has a method of its own for), hostile paths.
      const requests = methods.flatMap((method) => {
        const verbs =
          method.httpMethod === 'ANY' ? VERBS_OF_ANY.filter((verb) => !methods.some((m) => m.path === method.path && m.httpMethod === verb)) : [method.httpMethod];
        return verbs.flatMap((verb) => concretePaths(method.path, VALUES).map((path) => ({ resource: method.path, verb, path, arn: methodArn(verb, path) })));
      });
      // The decision the table states for every token and request, computed once.
      const expectedFor = tokens.map((token) => requests.map((request) => intended(routeFor(config, request.verb, request.resource), token)));
      const now = epochSeconds();
      const events = tokens.flatMap((token, t) => {
        const authorization = `Bearer ${cognitoAccessToken(key, { now, scopes: [...token.scopes], claims: { 'cognito:groups': [...token.groups] } })}`;
        return requests.map((request, r) => ({ t, r, event: requestEvent({ method: request.verb, resource: request.resource, path: request.path, authorization }) }));
      });

      // The asset exactly as staged in the cloud assembly; issuers come from the environment, as they do for
      // issuers with deploy-time values, here one whose keys are the test key.
      const dir = mkdtempSync(join(tmpdir(), 'secure-api-asset-'));
      copyFileSync(join(authorizer.assetDir, 'index.js'), join(dir, 'index.js'));
      writeFileSync(join(dir, CONFIG_FILE_NAME), readFileSync(join(authorizer.assetDir, CONFIG_FILE_NAME)));
      let results: BundleResult[];
      try {
        ({ results } = await runBundle(dir, events.map((e) => e.event), { [CONFIG_ENV_VAR]: JSON.stringify({ issuers: [cognitoIssuerConfig({ keys: [key.publicJwk] })] }) }, 60_000));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }

            results.forEach((result, i) => {
        const { t, r } = events[i]!;
        const request = requests[r]!;
        if ('error' in result) {
          // Only a path the method ARN grammar refuses (non-ASCII) fails closed, and a 401 is never cached.
          expect({ stack: authorizer.stack, request, error: result.error, ascii: /^[\x21-\x7e]*$/.test(request.path) }).toEqual({
            stack: authorizer.stack,
            request,
            error: 'Unauthorized',
            ascii: false,
          });
          return;
        }
        const answer = result.answer as AuthorizerAnswer;
        requests.forEach((other, o) => {
          if (config.cacheKeyScope === 'route' && (other.resource !== request.resource || other.verb !== request.verb)) return;
          const expected = expectedFor[t]![o];
          for (const reading of IAM_READINGS) {
            const decision = iamDecision(answer.policyDocument.Statement, other.arn, reading);
            if (decision !== expected) {
              expect({ stack: authorizer.stack, token: tokens[t], cachedFrom: request, replayedOn: other, reading, decision }).toEqual({
                stack: authorizer.stack,
                token: tokens[t],
                cachedFrom: request,
                replayedOn: other,
                reading,
                decision: expected,
              });
            }
            replays++;
          }
        });
      });
    }
    expect(replays).toBeGreaterThan(50_000);
  }, 120_000);

  test('throws at synth when a method uses the authorizer without being in its route table', () => {
    const app = new App();
    const api = new SecureApi(new Stack(app, 'Undeclared', { env: ENV }), 'Api', { issuers: [ISSUER()] });
    const item = api.addRoute('GET /items/{id}', mock(), { scopes: [scopeNamed('read')] });
    item.resource.addResource('export').addMethod('GET', mock());
    expect(() => app.synth()).toThrow(
      "GET /items/{id}/export uses the JWT authorizer but is not in its route table: declare it with SecureApi.addRoute('GET /items/{id}/export', integration, { scopes }) or JwtAuthorizer.addRoute({ method: 'GET', path: '/items/{id}/export', scopes })",
    );
  });
});
