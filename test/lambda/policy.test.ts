/**
 * The answer API Gateway caches must be right for every route it is reused on, under both readings of IAM
 * Resource wildcards ((a) `*` matches any run of characters; (b) a `*` inside the pattern does not cross
 * the `:` between ARN segments). Checked exhaustively over permitted sets for random route tables (pure
 * policy construction, evaluated by independent regular-expression models of both readings), on the table
 * that escaped before prefix patterns, and end to end by replaying one cached answer of the real authorizer
 * against every route through the shared API Gateway simulator.
 */
import fc from 'fast-check';
import { createAuthorizer } from '../../lambda/authorizer';
import type { RouteConfig } from '../../lambda/contract/config-types';
import { parseConfig } from '../../lambda/contract/config';
import { evaluateStatements, routeScopedStatements, tokenScopedStatements, wholeApiPattern, type PolicyStatement } from '../../lambda/policy';
import { arnPatternMatches, arnPatternMatchesWithinSegments, cacheKeyScopeFor, compileRouteTable, isPrefixPattern, parseMethodArn, type HttpVerb } from '../../lambda/contract/routes';
import { cognitoIssuerConfig, testConfig } from '../fixtures/config';
import { ApiGatewaySimulator, methodArn, requestEvent } from '../fixtures/events';
import { IAM_READINGS, concretePaths, iamDecision, routeTableArb, sentVerbs, verbsOf } from '../fixtures/iam-match';
import { testKey, type TestKey } from '../fixtures/keys';
import { cognitoAccessToken } from '../fixtures/tokens';

const NOW_MS = Date.UTC(2030, 0, 15, 12, 0, 0);
const NOW = NOW_MS / 1000;

/** Parameter values for the exhaustive check: plain, and the characters IAM or ARNs give meaning to. */
const VALUES = ['a', 'a:b', '*', 'b/a', 'x?:*/a'];

/**
 * Concrete requests of a route: every verb API Gateway sends it (an ANY route does not receive a verb that
 * an exact route of its resource takes), parameters drawn from {@link VALUES}.
 */
function concreteRequests(route: RouteConfig, routes: readonly RouteConfig[]): Array<{ verb: HttpVerb; path: string }> {
  return sentVerbs(route, routes).flatMap((verb) => concretePaths(route.path, VALUES).map((path) => ({ verb: verb as HttpVerb, path })));
}

/** Checks the token-scoped answer of every permitted set against every concrete request of every route, under both readings. */
function expectExactForEveryPermittedSet(routes: readonly RouteConfig[]): void {
  const table = compileRouteTable(routes);
  const requests = routes.flatMap((route, index) => concreteRequests(route, routes).map((request) => ({ ...request, index })));
  const arn = parseMethodArn(methodArn('GET', '/a'))!;
  for (let mask = 0; mask < 1 << routes.length; mask++) {
    const allowed = routes.map((_, i) => (mask & (1 << i)) !== 0);
    const statements = tokenScopedStatements(table, allowed, arn);
    expect(statements.flatMap((st) => st.Resource).every(isPrefixPattern)).toBe(true);
    for (const request of requests) {
      for (const reading of IAM_READINGS) {
        const decision = iamDecision(statements, methodArn(request.verb, request.path), reading);
        expect({ routes, allowed, request, reading, decision }).toEqual({ routes, allowed, request, reading, decision: allowed[request.index] ? 'allow' : 'deny' });
      }
    }
  }
}

describe('token-scoped policies', () => {
  test('whenever cacheKeyScopeFor says token, every permitted set gives an answer exact for every concrete request under both readings', () => {
    let tokenTables = 0;
    let sharedResources = 0;
    fc.assert(
      fc.property(routeTableArb, (routes) => {
        if (cacheKeyScopeFor(routes) !== 'token') return;
        tokenTables++;
        if (routes.some((route) => route.method === 'ANY' && sentVerbs(route, routes).length < verbsOf('ANY').length)) sharedResources++;
        expectExactForEveryPermittedSet(routes);
      }),
      { numRuns: 100, seed: 4242 },
    );
    expect(tokenTables).toBeGreaterThan(10);
    // Tables where an ANY route shares its resource with an exact verb, which only verb precedence makes token-exact.
    expect(sharedResources).toBeGreaterThan(0);
  });

  // API Gateway sends a verb to the exact method of a resource before its ANY method, so the ANY route's
  // answer names only the verbs it receives, and the pair is exact per token.
  test.each<[string, RouteConfig[]]>([
    ['ANY and GET on one parameter resource', [{ method: 'ANY', path: '/items/{id}' }, { method: 'GET', path: '/items/{id}' }, { method: 'GET', path: '/items' }]],
    ['ANY and GET on one resource, parameters named differently', [{ method: 'ANY', path: '/items/{id}' }, { method: 'GET', path: '/items/{itemId}' }, { method: 'DELETE', path: '/items/{id}' }]],
    ['ANY and GET on a greedy resource, beside its parent', [{ method: 'ANY', path: '/files/{proxy+}' }, { method: 'GET', path: '/files/{proxy+}' }, { method: 'GET', path: '/files' }]],
    ['ANY and POST on a literal resource, with a trailing slash form', [{ method: 'ANY', path: '/items' }, { method: 'POST', path: '/items' }, { method: 'GET', path: '/items/{id}' }]],
    ['ANY and GET on one deeper resource', [{ method: 'ANY', path: '/a/{x}/b' }, { method: 'GET', path: '/a/{x}/b' }, { method: 'GET', path: '/a/c' }]],
  ])('verb precedence: %s is token-scoped and exact for every permitted set under both readings', (_name, routes) => {
    expect(cacheKeyScopeFor(routes)).toBe('token');
    expectExactForEveryPermittedSet(routes);
  });

  test('an ANY route whose resource has an exact GET names every verb but GET in its answer', () => {
    const table = compileRouteTable([
      { method: 'ANY', path: '/items/{id}' },
      { method: 'GET', path: '/items/{id}' },
    ]);
    const arn = parseMethodArn(methodArn('PUT', '/items/1'))!;
    const prefix = arn.apiArnPrefix;
    expect(table.routes[0]!.verbs).toEqual(['DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT']);
    expect(tokenScopedStatements(table, [true, false], arn)).toEqual([
      { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: ['DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'].map((verb) => `${prefix}/${verb}/items/*`) },
      { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [`${prefix}/GET/items/*`] },
    ]);
  });

  test('a route the token may not call is denied explicitly unless its pattern would hit a permitted route', () => {
    const table = compileRouteTable([
      { method: 'GET', path: '/items/{id}' },
      { method: 'GET', path: '/parts/{id}' },
      { method: 'GET', path: '/parts' },
      { method: 'POST', path: '/items' },
    ]);
    const arn = parseMethodArn(methodArn('GET', '/items/1'))!;
    const prefix = arn.apiArnPrefix;
    expect(tokenScopedStatements(table, [false, true, false, false], arn)).toEqual([
      { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: [`${prefix}/GET/parts/*`] },
      { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [`${prefix}/GET/items/*`, `${prefix}/GET/parts`, `${prefix}/GET/parts/`, `${prefix}/POST/items`, `${prefix}/POST/items/`] },
    ]);
    expect(tokenScopedStatements(table, [true, false, false, true], arn)).toEqual([
      { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: [`${prefix}/GET/items/*`, `${prefix}/POST/items`, `${prefix}/POST/items/`] },
      { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [`${prefix}/GET/parts/*`, `${prefix}/GET/parts`, `${prefix}/GET/parts/`] },
    ]);
  });

  test('a token that may call no route gets one explicit Deny on the whole stage, as a prefix pattern', () => {
    const table = compileRouteTable([{ method: 'GET', path: '/items' }]);
    const arn = parseMethodArn(methodArn('GET', '/items'))!;
    expect(tokenScopedStatements(table, [false], arn)).toEqual([{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [`${arn.apiArnPrefix}/*`] }]);
    expect(isPrefixPattern(wholeApiPattern(arn))).toBe(true);
    for (const reading of IAM_READINGS) {
      expect(iamDecision(tokenScopedStatements(table, [false], arn), methodArn('GET', '/items/a:b/c'), reading)).toBe('deny');
    }
  });

  test('route-scoped statements name the called route\'s prefix pattern with the request verb', () => {
    const table = compileRouteTable([{ method: 'ANY', path: '/items/{id}/parts/{part}' }]);
    const arn = parseMethodArn(methodArn('PATCH', '/items/9/parts/a:b'))!;
    expect(routeScopedStatements(true, arn, table.routes[0]!)).toEqual([{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: [`${arn.apiArnPrefix}/PATCH/items/*`] }]);
    expect(routeScopedStatements(false, arn, table.routes[0]!)).toEqual([{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [`${arn.apiArnPrefix}/PATCH/items/*`] }]);
  });
});

describe('resource precedence', () => {
  // API Gateway picks the resource from the path as sent: a literal segment before {param}, before {proxy+}.
  // The method ARN holds the path decoded, so a request that precedence sends to the less specific route
  // can carry the very method ARN of a request of the more specific one. Each pair below is two such
  // requests: one policy cannot tell them apart, so these tables stay route-scoped.
  test.each<[string, RouteConfig[], HttpVerb, string, string]>([
    ['a parameter next to a literal sibling', [{ method: 'GET', path: '/items/{id}' }, { method: 'GET', path: '/items/special' }], 'GET', '/items/special%2F', '/items/special/'],
    ['a greedy parameter next to a literal sibling', [{ method: 'GET', path: '/files/{proxy+}' }, { method: 'GET', path: '/files/readme' }], 'GET', '/files/readme%2F', '/files/readme/'],
    ['a greedy root next to a parameter route', [{ method: 'ANY', path: '/{proxy+}' }, { method: 'GET', path: '/items/{id}' }], 'GET', '/items%2Fa', '/items/a'],
    ['ANY on a parameter next to a literal GET', [{ method: 'ANY', path: '/items/{id}' }, { method: 'GET', path: '/items/special' }], 'GET', '/items/special%2F', '/items/special/'],
    ['two levels, literal first at different depths', [{ method: 'GET', path: '/a/{x}/b' }, { method: 'GET', path: '/a/c/{y}' }], 'GET', '/a/c%2Fb/b', '/a/c/b%2Fb'],
  ])('%s: two requests precedence sends to different routes share a method ARN, so the table is route-scoped', (_name, routes, verb, sentToFirst, sentToSecond) => {
    const table = compileRouteTable(routes);
    // The gateway routes on the segments as sent (an encoded '/' stays inside its segment)...
    expect([table.match(verb, sentToFirst)?.index, table.match(verb, sentToSecond)?.index]).toEqual([0, 1]);
    // ...and both method ARNs hold the same decoded path.
    expect(decodeURIComponent(sentToFirst)).toBe(decodeURIComponent(sentToSecond));
    const shared = methodArn(verb, decodeURIComponent(sentToFirst));
    // A token-scoped answer for a token allowed only the second route would let the first route through.
    const statements = tokenScopedStatements(table, [false, true], parseMethodArn(shared)!);
    for (const reading of IAM_READINGS) {
      expect(iamDecision(statements, shared, reading)).toBe('allow');
    }
    expect(cacheKeyScopeFor(routes)).toBe('route');
  });
});

describe('evaluateStatements', () => {
  test('reads a policy under either reading, so the runtime invariant check can require both', () => {
    // The old answer of a read-only token: its Deny has an inner `*`, which reading (b) does not let cross ':'.
    const prefix = parseMethodArn(methodArn('GET', '/items/1'))!.apiArnPrefix;
    const statements: PolicyStatement[] = [
      { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: [`${prefix}/GET/items/*`] },
      { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [`${prefix}/GET/items/*/secret`] },
    ];
    const secret = methodArn('GET', '/items/a:b/secret');
    expect(evaluateStatements(statements, secret)).toBe('deny');
    expect(evaluateStatements(statements, secret, arnPatternMatches)).toBe('deny');
    expect(evaluateStatements(statements, secret, arnPatternMatchesWithinSegments)).toBe('allow');
    expect(evaluateStatements(statements, methodArn('GET', '/items/ab/secret'), arnPatternMatchesWithinSegments)).toBe('deny');
  });
});

describe('the table that escaped under reading (b)', () => {
  // With the old patterns this table was token-scoped, and a read-only token's cached answer was
  // Allow GET/items/* + Deny GET/items/*/secret. Under reading (b) the Deny's inner `*` does not cross the
  // ':' of /items/a:b/secret, so the Allow alone matched it: an admin-only route served to a reader.
  const ROUTES: RouteConfig[] = [
    { method: 'GET', path: '/items/{id}', scopes: ['read'] },
    { method: 'GET', path: '/items/{id}/secret', scopes: ['admin'] },
  ];
  let key: TestKey;

  beforeAll(async () => {
    key = await testKey('RS256');
  });

  test('a read-only token never reaches /items/a:b/secret, whichever answer is cached and whichever reading IAM applies', async () => {
    const scope = cacheKeyScopeFor(ROUTES);
    const authorizer = createAuthorizer(testConfig([cognitoIssuerConfig({ keys: [key.publicJwk] })], { routes: ROUTES, cacheKeyScope: scope }), { now: () => NOW_MS, log: () => undefined });
    const authorization = `Bearer ${cognitoAccessToken(key, { now: NOW, scopes: ['read'] })}`;
    const first = await authorizer.handle(requestEvent({ method: 'GET', resource: '/items/{id}', path: '/items/1', authorization }));
    const secret = methodArn('GET', '/items/a:b/secret');
    for (const reading of IAM_READINGS) {
      expect(iamDecision(first.policyDocument.Statement, methodArn('GET', '/items/1'), reading)).toBe('allow');
      // A token-scoped answer is reused for the secret route; a route-scoped one is not, and the secret
      // route gets its own answer.
      const reused = scope === 'token' ? first : await authorizer.handle(requestEvent({ method: 'GET', resource: '/items/{id}/secret', path: '/items/a:b/secret', authorization }));
      expect({ reading, decision: iamDecision(reused.policyDocument.Statement, secret, reading) }).toEqual({ reading, decision: 'deny' });
    }
    expect(scope).toBe('route');
  });

  test("throws when the configuration asks for 'token' on that table", () => {
    expect(() => parseConfig(testConfig([cognitoIssuerConfig({ keys: [key.publicJwk] })], { routes: ROUTES, cacheKeyScope: 'token' }))).toThrow(
      "cacheKeyScope: 'token' cannot answer every route exactly: the ARN pattern of GET /items/{id} matches paths of GET /items/{id}/secret and the ARN pattern of GET /items/{id}/secret matches paths of GET /items/{id}; use 'route' (received: \"token\")",
    );
  });
});

describe('a trailing slash on a route without parameters', () => {
  // API Gateway sends GET /items/ to the /items resource with /items/ in the method ARN. A token that may
  // read one item but not list them got Allow GET/items/* and Deny GET/items: the Allow matched /items/.
  const ROUTES: RouteConfig[] = [
    { method: 'GET', path: '/items', scopes: ['list'] },
    { method: 'GET', path: '/items/{id}', scopes: ['read'] },
  ];
  let key: TestKey;

  beforeAll(async () => {
    key = await testKey('RS256');
  });

  test('a cached answer never lets a token without the list scope reach GET /items/, and the same token with it does', async () => {
    expect(cacheKeyScopeFor(ROUTES)).toBe('token');
    const authorizer = createAuthorizer(testConfig([cognitoIssuerConfig({ keys: [key.publicJwk] })], { routes: ROUTES, cacheKeyScope: 'token' }), { now: () => NOW_MS, log: () => undefined });
    for (const [scopes, expected] of [[['read'], 'deny'], [['read', 'list'], 'allow']] as const) {
      const authorization = `Bearer ${cognitoAccessToken(key, { now: NOW, scopes: [...scopes] })}`;
      const cached = await authorizer.handle(requestEvent({ method: 'GET', resource: '/items/{id}', path: '/items/1', authorization }));
      const direct = await authorizer.handle(requestEvent({ method: 'GET', resource: '/items', path: '/items/', authorization }));
      for (const reading of IAM_READINGS) {
        for (const answer of [cached, direct]) {
          expect({ scopes, reading, decision: iamDecision(answer.policyDocument.Statement, methodArn('GET', '/items/'), reading) }).toEqual({ scopes, reading, decision: expected });
        }
      }
    }
  });
});

describe('cached answers replayed through API Gateway', () => {
  const TOKEN_TABLE: RouteConfig[] = [
    { method: 'GET', path: '/items', scopes: ['items:read'] },
    { method: 'GET', path: '/items/{id}', scopes: ['items:read'] },
    { method: 'POST', path: '/items', scopes: ['items:write'] },
    { method: 'DELETE', path: '/items/{id}', scopes: ['items:delete'] },
    { method: 'GET', path: '/parts/{id}', scopes: ['parts:read'] },
    { method: 'ANY', path: '/admin/{proxy+}', scopes: ['admin'] },
    { method: 'GET', path: '/', scopes: [] },
  ];
  const ROUTE_TABLE: RouteConfig[] = [
    { method: 'GET', path: '/items/{id}', scopes: ['items:read'] },
    { method: 'GET', path: '/items/special', scopes: ['special'] },
    { method: 'GET', path: '/items/{id}/parts', scopes: ['parts:read'] },
    { method: 'GET', path: '/items/{id}/parts/{part}', scopes: ['items:read'] },
    { method: 'ANY', path: '/{proxy+}', scopes: ['admin'] },
  ];
  const SCOPE_SETS = [[], ['items:read'], ['items:read', 'items:write'], ['items:delete', 'parts:read'], ['admin'], ['special', 'parts:read'], ['items:read', 'items:write', 'items:delete', 'parts:read', 'admin', 'special']];
  let key: TestKey;

  beforeAll(async () => {
    key = await testKey('RS256');
  });

  const expectedStatus = (route: RouteConfig, scopes: string[]): 200 | 403 => ((route.scopes ?? []).every((s) => scopes.includes(s)) ? 200 : 403);
  const concrete = (route: RouteConfig): { method: string; resource: string; path: string } => ({
    method: route.method === 'ANY' ? 'PUT' : route.method,
    resource: route.path,
    path: route.path.replace('{proxy+}', 'deep/er').replace(/\{[^}]+\}/g, '42'),
  });

  test('default secure api: one token-scoped answer, cached after any first route, is right for every route', async () => {
    expect(cacheKeyScopeFor(TOKEN_TABLE)).toBe('token');
    const authorizer = createAuthorizer(testConfig([cognitoIssuerConfig({ keys: [key.publicJwk] })], { routes: TOKEN_TABLE }), { now: () => NOW_MS, log: () => undefined });
    for (const type of ['TOKEN', 'REQUEST'] as const) {
      for (const scopes of SCOPE_SETS) {
        const authorization = `Bearer ${cognitoAccessToken(key, { now: NOW, scopes })}`;
        for (const first of TOKEN_TABLE) {
          const gateway = new ApiGatewaySimulator((event) => authorizer.handle(event), { type, cacheKeyScope: 'token', now: () => NOW_MS });
          const outcomes = [];
          for (const route of [first, ...TOKEN_TABLE]) {
            const response = await gateway.request({ ...concrete(route), authorization });
            outcomes.push({ route: `${route.method} ${route.path}`, status: response.status });
          }
          expect({ type, scopes, first: first.path, outcomes }).toEqual({
            type,
            scopes,
            first: first.path,
            outcomes: [first, ...TOKEN_TABLE].map((route) => ({ route: `${route.method} ${route.path}`, status: expectedStatus(route, scopes) })),
          });
          expect(gateway.invocations).toBe(1);
          // The one cached answer holds under reading (b) too, for hostile parameter values.
          const cached = (await gateway.request({ ...concrete(first), authorization })).answer!;
          for (const route of TOKEN_TABLE) {
            const verb = concrete(route).method;
            for (const path of concretePaths(route.path, ['a:b', '*:?', 'x/y:z'])) {
              expect({ route: route.path, path, decision: iamDecision(cached.policyDocument.Statement, methodArn(verb, path), 'b') }).toEqual({
                route: route.path,
                path,
                decision: expectedStatus(route, scopes) === 200 ? 'allow' : 'deny',
              });
            }
          }
        }
      }
    }
  });

  test('secure api with overlapping routes: route-scoped answers are right for every route, whatever was cached first', async () => {
    expect(cacheKeyScopeFor(ROUTE_TABLE)).toBe('route');
    const config = testConfig([cognitoIssuerConfig({ keys: [key.publicJwk] })], { routes: ROUTE_TABLE, cacheKeyScope: 'route' });
    const authorizer = createAuthorizer(config, { now: () => NOW_MS, log: () => undefined });
    for (const scopes of SCOPE_SETS) {
      const authorization = `Bearer ${cognitoAccessToken(key, { now: NOW, scopes })}`;
      for (const first of ROUTE_TABLE) {
        const gateway = new ApiGatewaySimulator((event) => authorizer.handle(event), { type: 'REQUEST', cacheKeyScope: 'route', now: () => NOW_MS });
        for (const route of [first, ...ROUTE_TABLE, first]) {
          const response = await gateway.request({ ...concrete(route), authorization });
          expect({ scopes, first: first.path, route: route.path, status: response.status }).toEqual({ scopes, first: first.path, route: route.path, status: expectedStatus(route, scopes) });
        }
        expect(gateway.invocations).toBe(ROUTE_TABLE.length);
      }
    }
  });
});
