/**
 * The answer API Gateway caches must be right for every route it is reused on.
 * Checked two ways: exhaustively over scope sets for random route tables (pure policy construction,
 * evaluated by the shared, independent IAM evaluator), and end to end by replaying one cached answer of
 * the real authorizer against every route through the shared API Gateway simulator.
 */
import fc from 'fast-check';
import { createAuthorizer } from '../../../lambda/authorizer';
import type { RouteConfig } from '../../../lambda/config-types';
import { routeScopedStatements, tokenScopedStatements } from '../../../lambda/policy';
import { cacheKeyScopeFor, compileRouteTable, parseMethodArn, type HttpVerb } from '../../../lambda/routes';
import { cognitoIssuerConfig, testConfig } from '../../fixtures/config';
import { ApiGatewaySimulator, evaluatePolicy, methodArn } from '../../fixtures/events';
import { testKey, type TestKey } from '../../fixtures/keys';
import { cognitoAccessToken } from '../../fixtures/tokens';

const NOW_MS = Date.UTC(2030, 0, 15, 12, 0, 0);
const NOW = NOW_MS / 1000;

/** Concrete requests of a route: every verb it receives, parameters drawn from a small alphabet. */
function concreteRequests(route: RouteConfig): Array<{ verb: HttpVerb; path: string }> {
  const verbs: HttpVerb[] = route.method === 'ANY' ? ['GET', 'POST', 'DELETE'] : [route.method];
  let paths = [''];
  for (const segment of route.path === '/' ? [] : route.path.slice(1).split('/')) {
    const values = segment.endsWith('+}') ? ['a', 'b/a', 'x/a/b'] : segment.startsWith('{') ? ['a', 'b', 'x'] : [segment];
    paths = paths.flatMap((prefix) => values.map((value) => `${prefix}/${value}`));
  }
  return verbs.flatMap((verb) => paths.map((path) => ({ verb, path: path || '/' })));
}

const segmentArb = fc.constantFrom('a', 'b', '{p}');
const routeArb = fc
  .tuple(fc.constantFrom<RouteConfig['method']>('GET', 'POST', 'ANY'), fc.array(segmentArb, { minLength: 0, maxLength: 3 }), fc.boolean())
  .map(([method, segments, greedy]): RouteConfig => ({ method, path: `/${[...segments, ...(greedy ? ['{proxy+}'] : [])].join('/')}`.replace(/^\/$/, '/') }));
const tableArb = fc
  .uniqueArray(routeArb, { minLength: 2, maxLength: 6, selector: (r) => `${r.method} ${r.path.replace(/\{[^}]*\}/g, '{}')}` })
  .filter((routes) => routes.every((r) => !r.path.includes('//')));

describe('token-scoped policies', () => {
  test('whenever cacheKeyScopeFor says token, every scope set gives an answer exact for every concrete request', () => {
    let tokenTables = 0;
    fc.assert(
      fc.property(tableArb, (routes) => {
        if (cacheKeyScopeFor(routes) !== 'token') return;
        tokenTables++;
        const table = compileRouteTable(routes);
        const requests = routes.flatMap(concreteRequests);
        for (let mask = 0; mask < 1 << routes.length; mask++) {
          const allowed = routes.map((_, i) => (mask & (1 << i)) !== 0);
          const first = parseMethodArn(methodArn(requests[0].verb, requests[0].path))!;
          const statements = tokenScopedStatements(table, allowed, first, table.match(first.verb, first.path));
          for (const request of requests) {
            const target = table.match(request.verb, request.path);
            if (!target) continue;
            const decision = evaluatePolicy({ Version: '2012-10-17', Statement: statements }, methodArn(request.verb, request.path));
            expect({ routes, allowed, request, decision: decision === 'allow' }).toEqual({ routes, allowed, request, decision: allowed[target.index] });
          }
        }
      }),
      { numRuns: 300, seed: 4242 },
    );
    expect(tokenTables).toBeGreaterThan(50);
  });

  test('a route the token may not call is denied explicitly unless its pattern would hit a permitted route', () => {
    const table = compileRouteTable([
      { method: 'GET', path: '/items/{id}' },
      { method: 'GET', path: '/items/{id}/parts' },
      { method: 'POST', path: '/items' },
    ]);
    const arn = parseMethodArn(methodArn('GET', '/items/1'))!;
    const prefix = arn.apiArnPrefix;
    expect(tokenScopedStatements(table, [false, true, false], arn, table.routes[0])).toEqual([
      { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: [`${prefix}/GET/items/*/parts`] },
      // GET/items/* would also deny /items/1/parts, so it is left out; POST/items stays.
      { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [`${prefix}/POST/items`] },
    ]);
    expect(tokenScopedStatements(table, [true, false, true], arn, table.routes[0])).toEqual([
      { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: [`${prefix}/GET/items/*`, `${prefix}/POST/items`] },
      { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [`${prefix}/GET/items/*/parts`] },
    ]);
  });

  test('a token that may call no route gets one explicit Deny on the whole stage', () => {
    const table = compileRouteTable([{ method: 'GET', path: '/items' }]);
    const arn = parseMethodArn(methodArn('GET', '/items'))!;
    expect(tokenScopedStatements(table, [false], arn, table.routes[0])).toEqual([{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [`${arn.apiArnPrefix}/*/*`] }]);
  });

  test('a route-table miss adds an explicit Deny of the exact method ARN', () => {
    const table = compileRouteTable([{ method: 'GET', path: '/items/{id}' }]);
    const arn = parseMethodArn(methodArn('GET', '/items/1/secret'))!;
    const statements = tokenScopedStatements(table, [true], arn, undefined);
    expect(evaluatePolicy({ Version: '2012-10-17', Statement: statements }, methodArn('GET', '/items/1/secret'))).toBe('explicit-deny');
    expect(evaluatePolicy({ Version: '2012-10-17', Statement: statements }, methodArn('GET', '/items/2'))).toBe('allow');
  });

  test('route-scoped statements name the called route with the request verb', () => {
    const table = compileRouteTable([{ method: 'ANY', path: '/items/{id}' }]);
    const arn = parseMethodArn(methodArn('PATCH', '/items/9'))!;
    expect(routeScopedStatements(true, arn, table.routes[0])).toEqual([{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: [`${arn.apiArnPrefix}/PATCH/items/*`] }]);
    expect(routeScopedStatements(false, arn, undefined)).toEqual([{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [`${arn.apiArnPrefix}/PATCH/items/9`] }]);
  });
});

describe('cached answers replayed through API Gateway', () => {
  const TOKEN_TABLE: RouteConfig[] = [
    { method: 'GET', path: '/items', scopes: ['items:read'] },
    { method: 'GET', path: '/items/{id}', scopes: ['items:read'] },
    { method: 'POST', path: '/items', scopes: ['items:write'] },
    { method: 'DELETE', path: '/items/{id}', scopes: ['items:delete'] },
    { method: 'GET', path: '/items/{id}/parts', scopes: ['parts:read'] },
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
