import fc from 'fast-check';
import type { RouteConfig } from '../../../lambda/contract/config-types';
import {
  arnPatternMatches,
  arnPatternMatchesWithinSegments,
  cacheKeyScopeFor,
  cacheKeyScopeReason,
  compileRouteTable,
  compileValidatedRouteTable,
  findInexactRoutes,
  isPrefixPattern,
  isRoutePath,
  parseMethodArn,
  receivedVerbs,
  routeArnPattern,
  routeArnPatterns,
  routePathPatterns,
  routePathProblem,
  type HttpVerb,
} from '../../../lambda/contract/routes';
import { TEST_ROUTES } from '../../fixtures/config';
import { apiArnPrefix, methodArn, wildcardMatch } from '../../fixtures/events';
import { iamMatches } from '../../fixtures/iam-match';

const route = (method: RouteConfig['method'], path: string): RouteConfig => ({ method, path });

describe('parseMethodArn', () => {
  test('happy flow: a method ARN is split into API coordinates, verb and concrete path', () => {
    expect(parseMethodArn('arn:aws:execute-api:eu-west-1:123456789012:abc123defg/prod/GET/items/42/parts')).toEqual({
      partition: 'aws',
      region: 'eu-west-1',
      accountId: '123456789012',
      apiId: 'abc123defg',
      stage: 'prod',
      verb: 'GET',
      path: '/items/42/parts',
      apiArnPrefix: 'arn:aws:execute-api:eu-west-1:123456789012:abc123defg/prod',
      suffix: 'GET/items/42/parts',
    });
  });

  test('happy flow: the root resource and other partitions parse', () => {
    expect(parseMethodArn('arn:aws-cn:execute-api:cn-north-1:123456789012:abc/v1_beta-2/POST/')).toMatchObject({ partition: 'aws-cn', stage: 'v1_beta-2', verb: 'POST', path: '/' });
    expect(parseMethodArn('arn:aws-us-gov:execute-api:us-gov-west-1:123456789012:abc/prod/DELETE/a')).toMatchObject({ partition: 'aws-us-gov', verb: 'DELETE' });
  });

  test.each([
    ['not a string', 42],
    ['a Lambda function ARN', 'arn:aws:lambda:eu-west-1:123456789012:function:items/prod/GET/items/42'],
    ['a lower-case verb', 'arn:aws:execute-api:eu-west-1:123456789012:abc/prod/get/items'],
    ['the ANY pseudo-verb', 'arn:aws:execute-api:eu-west-1:123456789012:abc/prod/ANY/items'],
    ['a wildcard verb', 'arn:aws:execute-api:eu-west-1:123456789012:abc/prod/*/items'],
    ['no path', 'arn:aws:execute-api:eu-west-1:123456789012:abc/prod/GET'],
    ['a short account id', 'arn:aws:execute-api:eu-west-1:12345:abc/prod/GET/items'],
    ['a space in the path', 'arn:aws:execute-api:eu-west-1:123456789012:abc/prod/GET/items/a b'],
    ['a newline in the path', 'arn:aws:execute-api:eu-west-1:123456789012:abc/prod/GET/items\n'],
    ['a stage with a slash injected', 'arn:aws:execute-api:eu-west-1:123456789012:abc/pr*d/GET/items'],
    ['an ARN over 2048 characters', `arn:aws:execute-api:eu-west-1:123456789012:abc/prod/GET/${'a'.repeat(2048)}`],
  ])('error flow: %s is not a method ARN', (_name, value) => {
    expect(parseMethodArn(value)).toBeUndefined();
  });
});

describe('ARN patterns', () => {
  test.each<[RouteConfig['method'], string, string]>([
    ['GET', '/', 'GET/'],
    ['GET', '/items', 'GET/items'],
    ['GET', '/a:b/c', 'GET/a:b/c'],
    ['GET', '/items/{id}', 'GET/items/*'],
    ['GET', '/items/{id}/secret', 'GET/items/*'],
    ['DELETE', '/items/{id}/parts/{partId}', 'DELETE/items/*'],
    ['POST', '/files/{proxy+}', 'POST/files/*'],
    ['GET', '/{proxy+}', 'GET/*'],
    ['GET', '/v1.2/$x_y-z/{id}', 'GET/v1.2/$x_y-z/*'],
    ['PUT', '/{id}/x', 'PUT/*'],
  ])('%s %s becomes the prefix pattern %s', (method, path, suffix) => {
    expect(routeArnPattern(route(method, path), apiArnPrefix())).toBe(`${apiArnPrefix()}/${suffix}`);
    // A route without parameters also names its trailing-slash form, which API Gateway sends to it.
    const forms = suffix.endsWith('*') || suffix.endsWith('/') ? [suffix] : [suffix, `${suffix}/`];
    expect(routeArnPatterns(route(method, path), apiArnPrefix())).toEqual(forms.map((form) => `${apiArnPrefix()}/${form}`));
  });

  test('a route without parameters names its path with and without a trailing slash, the root only once', () => {
    expect(routePathPatterns(route('GET', '/items'))).toEqual(['/items', '/items/']);
    expect(routePathPatterns(route('GET', '/'))).toEqual(['/']);
    expect(routePathPatterns(route('GET', '/items/{id}'))).toEqual(['/items/*']);
  });

  test('an ANY route has one pattern per verb, never a wildcard verb', () => {
    expect(routeArnPatterns(route('ANY', '/files/{proxy+}'), 'p')).toEqual(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'].map((verb) => `p/${verb}/files/*`));
    expect(routeArnPattern(route('ANY', '/'), 'p', 'PATCH')).toBe('p/PATCH/');
  });

  test('throws when asked for the pattern of a verb the route does not receive', () => {
    expect(() => routeArnPattern(route('ANY', '/files'), 'p')).toThrow('ANY /files has no ARN pattern for verb undefined');
    expect(() => routeArnPattern(route('GET', '/files'), 'p', 'POST')).toThrow('GET /files has no ARN pattern for verb POST');
  });

  test.each<[string, string, boolean]>([
    ['GET/items/*', 'GET/items/42', true],
    ['GET/items/*', 'GET/items/42/secret', true],
    ['GET/items/*', 'GET/items/', true],
    ['GET/items/*', 'GET/items', false],
    ['GET/items/*/parts', 'GET/items/1/parts/parts', true],
    ['GET/items/*/parts', 'GET/items/1/parts/2', false],
    ['*/items', 'GET/x/items', true],
    ['*/*', 'GET/', true],
    ['GET/', 'GET/items', false],
    ['a*b*c', 'abxbyc', true],
    ['a*b*c', 'abxbyd', false],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['GET/items/*/secret', 'GET/items/a:b/secret', true],
  ])('pattern %s matching %s is %s under reading (a), as IAM evaluates it', (pattern, value, expected) => {
    expect(arnPatternMatches(pattern, value)).toBe(expected);
    expect(wildcardMatch(pattern, value)).toBe(expected);
    expect(iamMatches(pattern, value, 'a')).toBe(expected);
  });

  test.each<[string, string, boolean]>([
    // A `*` inside the pattern does not cross the `:` that separates ARN segments...
    ['GET/items/*/secret', 'GET/items/a:b/secret', false],
    ['GET/items/*/secret', 'GET/items/ab/secret', true],
    ['a*c', 'a:c', false],
    ['a?c', 'a:c', false],
    ['a:*:c', 'a:b:c', true],
    ['a:*:c', 'a:b:x:c', false],
    // ...but a final `*` matches any rest, colons included.
    ['GET/items/*', 'GET/items/a:b/secret', true],
    ['arn:aws:execute-api:r:1:api/prod/*', 'arn:aws:execute-api:r:1:api/prod/GET/a:b:c', true],
    ['arn:aws:execute-api:r:1:api/prod/GET/a', 'arn:aws:execute-api:r:1:api/prod/GET/a:b', false],
    ['a:b', 'a:b', true],
    ['a:b', 'a:b:', false],
    ['a:*', 'a:', true],
    ['a', 'a:', false],
    ['', '', true],
    ['*', ':::', true],
  ])('pattern %s matching %s is %s under reading (b), ARN segment by segment', (pattern, value, expected) => {
    expect(arnPatternMatchesWithinSegments(pattern, value)).toBe(expected);
    expect(iamMatches(pattern, value, 'b')).toBe(expected);
  });

  const text = fc.string({ unit: fc.constantFrom('a', 'b', '/', ':', 'G', '*', '?'), maxLength: 12 });
  const pattern = fc.string({ unit: fc.constantFrom('a', 'b', '/', ':', '*', '?'), maxLength: 8 });

  test('both matchers agree with independent regular-expression models of their reading on random inputs', () => {
    fc.assert(
      fc.property(pattern, text, (p, v) => {
        expect([arnPatternMatches(p, v), arnPatternMatchesWithinSegments(p, v)]).toEqual([iamMatches(p, v, 'a'), iamMatches(p, v, 'b')]);
      }),
      { numRuns: 4000, seed: 20300115 },
    );
  });

  test('for a prefix pattern (its only wildcard a final star) the two readings agree on every value', () => {
    const literal = fc.string({ unit: fc.constantFrom('a', 'b', '/', ':', '.'), maxLength: 8 });
    const prefixPattern = fc.tuple(literal, fc.boolean()).map(([l, open]) => (open ? `${l}*` : l));
    let seenDisagreementElsewhere = false;
    fc.assert(
      fc.property(prefixPattern, text, pattern, (p, v, other) => {
        expect(isPrefixPattern(p)).toBe(true);
        expect(arnPatternMatchesWithinSegments(p, v)).toBe(arnPatternMatches(p, v));
        expect(arnPatternMatchesWithinSegments(p, `${p.replace(/\*$/, '')}${v}`)).toBe(arnPatternMatches(p, `${p.replace(/\*$/, '')}${v}`));
        if (!isPrefixPattern(other) && arnPatternMatchesWithinSegments(other, v) !== arnPatternMatches(other, v)) seenDisagreementElsewhere = true;
      }),
      { numRuns: 4000, seed: 20300116 },
    );
    // The readings do differ for other patterns, so the agreement above is a property of prefix patterns.
    expect(seenDisagreementElsewhere).toBe(true);
  });

  test('every pattern a route table produces is a prefix pattern', () => {
    for (const path of ['/', '/a', '/a:b/{x}/c', '/{p}/x/{q}', '/files/{proxy+}', '/a/b/c/{d}']) {
      expect(isPrefixPattern(routeArnPattern(route('GET', path), apiArnPrefix()))).toBe(true);
    }
    expect(isPrefixPattern('a*b*')).toBe(false);
    expect(isPrefixPattern('a?')).toBe(false);
  });
});

describe('route matching', () => {
  const table = compileRouteTable([
    route('GET', '/'),
    route('GET', '/items'),
    route('GET', '/items/{id}'),
    route('GET', '/items/special'),
    route('POST', '/items/special'),
    route('ANY', '/items/{id}/parts'),
    route('GET', '/items/{id}/parts'),
    route('GET', '/a/b/c'),
    route('GET', '/a/{x}/d'),
    route('GET', '/files/{proxy+}'),
    route('GET', '/files/readme'),
    route('PUT', '/docs/{id}'),
  ]);
  const key = (verb: HttpVerb, path: string): string | undefined => table.match(verb, path)?.key;

  test('happy flow: a literal segment wins over a parameter', () => {
    expect(key('GET', '/items/special')).toBe('GET /items/special');
    expect(key('GET', '/items/42')).toBe('GET /items/{id}');
  });

  test('happy flow: an exact verb wins over ANY on the same resource', () => {
    expect(key('GET', '/items/7/parts')).toBe('GET /items/{id}/parts');
    expect(key('PATCH', '/items/7/parts')).toBe('ANY /items/{id}/parts');
  });

  test('happy flow: matching backtracks to a parameter when the literal branch has no such resource', () => {
    expect(key('GET', '/a/b/c')).toBe('GET /a/b/c');
    expect(key('GET', '/a/b/d')).toBe('GET /a/{x}/d');
  });

  test('happy flow: a greedy segment takes one or more segments, after literals and parameters', () => {
    expect(key('GET', '/files/readme')).toBe('GET /files/readme');
    expect(key('GET', '/files/a')).toBe('GET /files/{proxy+}');
    expect(key('GET', '/files/a/b/c')).toBe('GET /files/{proxy+}');
    expect(key('GET', '/files')).toBeUndefined();
  });

  test('happy flow: the root resource matches only the root path', () => {
    expect(key('GET', '/')).toBe('GET /');
    expect(key('POST', '/')).toBeUndefined();
  });

  test('error flow: a resource without the verb is a miss, not a fallback to a less specific resource', () => {
    expect(key('DELETE', '/items/special')).toBeUndefined();
    expect(key('POST', '/items/special')).toBe('POST /items/special');
    expect(key('GET', '/docs/1')).toBeUndefined();
  });

  test('happy flow: one trailing slash goes to the same route, as API Gateway sends it', () => {
    expect(key('GET', '/items/')).toBe('GET /items');
    expect(key('GET', '/items/42/')).toBe('GET /items/{id}');
    expect(table.routes.find((r) => r.key === 'GET /items')!.accepts('GET', '/items/')).toBe(true);
  });

  test('error flow: empty segments, two trailing slashes and unknown paths are misses', () => {
    expect(key('GET', '/items//')).toBeUndefined();
    expect(key('GET', '//')).toBeUndefined();
    expect(key('GET', '//items')).toBeUndefined();
    expect(key('GET', '/nowhere')).toBeUndefined();
    expect(key('GET', '/items/1/2')).toBeUndefined();
  });

  test('happy flow: a REQUEST resource template finds its route whatever its parameter names', () => {
    expect(table.byResource('GET', '/items/{id}')?.key).toBe('GET /items/{id}');
    expect(table.byResource('GET', '/items/{itemId}')?.key).toBe('GET /items/{id}');
    expect(table.byResource('DELETE', '/items/{id}/parts')?.key).toBe('ANY /items/{id}/parts');
    expect(table.byResource('GET', '/unknown')).toBeUndefined();
    expect(table.byResource('GET', 'items')).toBeUndefined();
  });

  test('happy flow: a route accepts exactly the concrete requests of its language, parameter values being any non-empty text', () => {
    const items = table.routes.find((r) => r.key === 'GET /items/{id}')!;
    const parts = table.routes.find((r) => r.key === 'GET /items/{id}/parts')!;
    expect(items.accepts('GET', '/items/42')).toBe(true);
    expect(items.accepts('GET', '/items/special')).toBe(true);
    expect(items.accepts('GET', '/items/a:b*?')).toBe(true);
    // An encoded slash reaches the method ARN decoded: /items/42%2Fparts is /items/42/parts.
    expect(items.accepts('GET', '/items/42/parts')).toBe(true);
    expect(items.accepts('POST', '/items/42')).toBe(false);
    expect(items.accepts('GET', '/items/')).toBe(false);
    expect(items.accepts('GET', '/items')).toBe(false);
    expect(parts.accepts('GET', '/items/x/y/parts')).toBe(true);
    expect(parts.accepts('GET', '/items/x/parts/y')).toBe(false);
  });

  test('happy flow: each of 3000 requests over 300 routes finds its route', () => {
    const routes: RouteConfig[] = [];
    for (let s = 0; s < 100; s++) routes.push(route('GET', `/svc${s}/items`), route('GET', `/svc${s}/items/{id}`), route('ANY', `/svc${s}/files/{proxy+}`));
    const big = compileRouteTable(routes);
    for (let i = 0; i < 3000; i++) expect(big.match('GET', `/svc${i % 100}/items/${i}`)?.key).toBe(`GET /svc${i % 100}/items/{id}`);
  });
});

describe('cacheKeyScopeFor', () => {
  test('default secure api table: token scope is exact', () => {
    expect(cacheKeyScopeFor(TEST_ROUTES)).toBe('token');
  });

  test('a parameter route next to a deeper route needs route scope: both have the prefix pattern GET/a/*', () => {
    expect(findInexactRoutes([route('GET', '/a/{id}'), route('GET', '/a/{id}/b'), route('POST', '/a')])).toEqual([0, 1, 1]);
    expect(cacheKeyScopeFor([route('GET', '/a/{id}'), route('GET', '/a/{id}/b'), route('POST', '/a')])).toBe('route');
    expect(cacheKeyScopeFor([route('GET', '/items/{id}'), route('GET', '/items/{id}/secret')])).toBe('route');
  });

  test('routes whose literal prefixes differ are token-exact, whatever their depth', () => {
    expect(cacheKeyScopeFor([route('GET', '/a/{id}'), route('GET', '/b/{id}/c/{d}'), route('GET', '/a'), route('GET', '/b')])).toBe('token');
    expect(cacheKeyScopeFor([route('GET', '/a/b/c'), route('GET', '/a/b'), route('GET', '/a/x/{y}')])).toBe('token');
  });

  test('a parameter can hold a slash, so a parameter route reaches a literal route below its prefix', () => {
    // GET/a/* matches /a/b/c; and /a/b/c is a concrete path of /a/{x} (x = "b/c", an encoded slash).
    expect(cacheKeyScopeFor([route('GET', '/a/{x}'), route('GET', '/a/b/c')])).toBe('route');
    // A parameter route whose pattern reaches a literal route that reaches nothing back stays token-exact.
    expect(cacheKeyScopeFor([route('GET', '/a/{x}/z'), route('GET', '/a/b/c')])).toBe('token');
  });

  test('the root resource and a first-segment parameter', () => {
    // GET/* matches every GET path, the root included; the root's exact pattern GET/ matches no path of /{p}.
    expect(cacheKeyScopeFor([route('GET', '/{p}'), route('GET', '/')])).toBe('token');
    expect(cacheKeyScopeFor([route('GET', '/{p}'), route('GET', '/'), route('GET', '/x/{q}')])).toBe('route');
  });

  test('a parameter route next to a literal sibling needs route scope', () => {
    // GET/items/* covers /items/special, and GET/items/special is a concrete path of /items/{id}.
    expect(findInexactRoutes([route('GET', '/items/{id}'), route('GET', '/items/special')])).toEqual([0, 1, 1]);
    expect(cacheKeyScopeFor([route('GET', '/items/{id}'), route('GET', '/items/special')])).toBe('route');
  });

  test('a parameter and a greedy route on the same resource need route scope', () => {
    expect(cacheKeyScopeFor([route('GET', '/a/{id}'), route('GET', '/a/{proxy+}')])).toBe('route');
  });

  test('ANY routes are analysed per verb, so their patterns never reach into other paths', () => {
    // With a wildcard verb, */svc0/files/* would match GET/svc1/files/a/svc0/files/b.
    expect(cacheKeyScopeFor([route('ANY', '/svc0/files/{proxy+}'), route('ANY', '/svc1/files/{proxy+}')])).toBe('token');
    expect(cacheKeyScopeFor([route('ANY', '/items/{id}'), route('GET', '/items/special')])).toBe('route');
    expect(cacheKeyScopeFor([route('ANY', '/items/{id}'), route('POST', '/other/{id}')])).toBe('token');
  });

  test('the reason names the scope and, for route, the overlapping routes and their patterns', () => {
    expect(cacheKeyScopeReason(TEST_ROUTES)).toMatch(/^one cached answer per token is exact for every route/);
    expect(cacheKeyScopeReason([route('GET', '/items/{id}'), route('GET', '/items/{id}/secret')])).toBe(
      'the ARN pattern GET/items/* of GET /items/{id}/secret matches paths of GET /items/{id}, whose own pattern GET/items/* matches paths of GET /items/{id}/secret: ' +
        'no single cached policy allows GET /items/{id}/secret but refuses GET /items/{id}, so each answer is cached per method and resource',
    );
  });

  test('a nested chain of parameter routes needs route scope', () => {
    expect(cacheKeyScopeFor([route('GET', '/a/{id}'), route('GET', '/a/{id}/b'), route('GET', '/a/{id}/b/{c}')])).toBe('route');
  });

  test('an ANY route next to an exact verb on the same resource is token-exact: it never receives that verb', () => {
    expect(receivedVerbs([route('ANY', '/items/{id}'), route('GET', '/items/{itemId}'), route('ANY', '/files')])).toEqual([
      ['DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'],
      ['GET'],
      ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'],
    ]);
    expect(findInexactRoutes([route('ANY', '/items/{id}'), route('GET', '/items/{id}')])).toBeUndefined();
    expect(cacheKeyScopeFor([route('ANY', '/files/{proxy+}'), route('GET', '/files/{proxy+}'), route('POST', '/files/{proxy+}')])).toBe('token');
    // Verb precedence holds on one resource only: an exact GET elsewhere still meets the ANY route's GET paths.
    expect(cacheKeyScopeFor([route('ANY', '/items/{id}'), route('GET', '/items/special')])).toBe('route');
  });

  test('resource precedence does not separate a literal from a parameter sibling: the method ARN holds the decoded path', () => {
    // /items/special%2F goes to /items/{id} by precedence, with the method ARN of GET /items/special/.
    expect(cacheKeyScopeFor([route('GET', '/items/{id}'), route('GET', '/items/special')])).toBe('route');
    expect(cacheKeyScopeFor([route('GET', '/files/{proxy+}'), route('GET', '/files/readme')])).toBe('route');
    expect(cacheKeyScopeFor([route('GET', '/a/{x}/b'), route('GET', '/a/c/{y}')])).toBe('route');
  });

  test('verbs keep otherwise overlapping routes apart', () => {
    expect(cacheKeyScopeFor([route('GET', '/items/{id}'), route('POST', '/items/special')])).toBe('token');
  });

  test('throws when a path is invalid', () => {
    expect(() => cacheKeyScopeFor([route('GET', 'items')])).toThrow("route path 'items' must start with '/'");
  });

  test('routePathProblem accepts the root and API Gateway literal characters', () => {
    expect(routePathProblem('/')).toBeUndefined();
    expect(routePathProblem('/v1.2/a:b/$c/d_e-f/{p_1}/{rest+}')).toBeUndefined();
  });

  test('isRoutePath accepts exactly the paths routePathProblem accepts', () => {
    const cases = ['', '/', '//', '/a/', 'a', '/a//b', '/{p}', '/{p+}', '/{p+}/a', '/{p+}/{q+}', '/{}', '/{+}', '/{p-q}', '/a{p}', '/{p}a', '/{{p}}'];
    cases.push('/a/{id}/{rest+}', '/a b', '/a*', '/a?', '/é', `/${'a'.repeat(1023)}`, `/${'a'.repeat(1024)}`, '/\n', '/a\n');
    for (const path of cases) {
      expect({ path, accepted: isRoutePath(path) }).toEqual({ path, accepted: routePathProblem(path) === undefined });
    }
    // Paths built from fragments near the grammar's edges: braces, plus signs, slashes, literal characters.
    const fragment = fc.constantFrom('/', '{', '}', '+', 'a', '_', ':', '.', '$', '-', '*', ' ', 'é', '{p}', '{p+}', '/{q}', '/x');
    fc.assert(
      fc.property(fc.array(fragment, { maxLength: 12 }), (parts) => {
        const path = parts.join('');
        expect({ path, accepted: isRoutePath(path) }).toEqual({ path, accepted: routePathProblem(path) === undefined });
      }),
      { numRuns: 5000 },
    );
  });

  test('error flow: a validated table still refuses a bad path, naming it', () => {
    expect(() => compileValidatedRouteTable([route('GET', '/items/{id+}/parts')])).toThrow("route path '/items/{id+}/parts' is invalid");
    expect(() => findInexactRoutes([route('GET', '/items//parts')])).toThrow("route path '/items//parts' is invalid");
  });

  test('error flow: the compiled table and the analysis refuse a path, saying why', () => {
    expect(() => compileRouteTable([route('GET', '/items/{id+}/parts')])).toThrow("route path '/items/{id+}/parts' may have a greedy {name+} segment only as its last segment");
    expect(() => cacheKeyScopeReason([route('GET', '/items//parts')])).toThrow("route path '/items//parts' must not have empty segments");
  });
});

describe('method ARN fixtures', () => {
  test('the fixture ARN builder produces ARNs this module parses', () => {
    expect(parseMethodArn(methodArn('GET', '/items/42'))?.suffix).toBe('GET/items/42');
  });
});
