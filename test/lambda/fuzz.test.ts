/**
 * Property tests over whole authorizer events: random and mutated TOKEN and REQUEST events, header sets,
 * method ARNs, and byte-level mutations of valid tokens, against the real authorizer with real keys.
 *
 * Whatever comes in, only three things may come out: a well-formed policy, or a rejection with exactly
 * `Unauthorized`; never another error, never a second decision line, never a fragment of a token in the log,
 * and never an Allow that a genuine token with the route's scopes would not get. A second property drives
 * random request sequences through the API Gateway simulator, authorizer cache included, and checks every
 * status against an oracle.
 *
 * The seed is fixed, so every run explores the same cases; fast-check prints it (and the shrunk
 * counterexample) on failure. Key pairs are generated per run, so a failing token is reproduced from the
 * printed mutation path rather than from its bytes.
 */
import fc from 'fast-check';
import { createAuthorizer } from '../../lambda';
import type { AuthorizerConfig, RouteConfig } from '../../lambda/contract/config-types';
import { evaluateStatements, type PolicyStatement } from '../../lambda/policy';
import { arnPatternMatches, arnPatternMatchesWithinSegments, cacheKeyScopeFor, routeKey } from '../../lambda/contract/routes';
import { TEST_REQUESTS, TEST_ROUTES, cognitoIssuerConfig, oidcIssuerConfig, testConfig } from '../fixtures/config';
import {
  ApiGatewaySimulator,
  answerProblems,
  evaluatePolicy,
  methodArn,
  requestEvent,
  type AuthorizerAnswer,
  type AuthorizerEvent,
  type GatewayResponse,
} from '../fixtures/events';
import { startJwksServer, type JwksServer } from '../fixtures/jwks-server';
import { jwksOf, testKey } from '../fixtures/keys';
import { IAM_READINGS, concretePaths, hostileValue, iamDecision, routeTableArb, sentVerbs } from '../fixtures/iam-match';
import { findLeaks, LogCapture } from '../fixtures/logs';
import { cognitoAccessToken, jwtAccessToken } from '../fixtures/tokens';

/** Fixed seed: the same cases on every run and machine. */
const SEED = 0x5ec0a91;
const NOW_MS = Date.UTC(2030, 0, 15, 12, 0, 0);
const NOW = NOW_MS / 1000;
const PARTNER_ISSUER = 'https://login.partner.example.test';
const EVENT_RUNS = 6000;
const SEQUENCE_RUNS = 300;

/** A genuine token and the scopes it carries. */
interface ValidToken {
  readonly token: string;
  readonly scopes: string[];
}

let server: JwksServer;
let tokens: ValidToken[];
let foreignTokens: string[];
const configs: Record<'token' | 'route', AuthorizerConfig> = {} as Record<'token' | 'route', AuthorizerConfig>;

beforeAll(async () => {
  const [cognito, partner, stranger] = await Promise.all([testKey('RS256'), testKey('ES256', 'partner'), testKey('EdDSA', 'stranger')]);
  server = await startJwksServer({ keys: jwksOf(cognito).keys });
  const issuers = [cognitoIssuerConfig({ jwksUri: server.jwksUri }), oidcIssuerConfig(PARTNER_ISSUER, { keys: [partner.publicJwk] })];
  configs.token = testConfig(issuers, { cacheKeyScope: 'token' });
  configs.route = testConfig(issuers, { cacheKeyScope: 'route' });
  const scopeSets = [[], ['items:read'], ['items:write'], ['items:read', 'items:write'], ['items:read', 'items:write', 'items:delete'], ['items:delete', 'openid']];
  tokens = [
    ...scopeSets.map((scopes) => ({ token: cognitoAccessToken(cognito, { now: NOW, scopes, claims: { jti: `cognito-${scopes.join('+')}` } }), scopes })),
    ...[['items:read'], ['items:write', 'items:delete']].map((scopes) => ({
      token: jwtAccessToken(partner, { issuer: PARTNER_ISSUER, now: NOW, scopes, claims: { jti: `partner-${scopes.join('+')}` } }),
      scopes,
    })),
  ];
  // Well-formed and signed, but never acceptable: an untrusted key, and an expired token.
  foreignTokens = [
    cognitoAccessToken(stranger, { now: NOW, scopes: ['items:read'] }),
    cognitoAccessToken(cognito, { now: NOW - 7200, scopes: ['items:read'] }),
  ];
});

afterAll(async () => {
  await server?.close();
});

// ---------------------------------------------------------------------------------------------------
// Arbitraries. Built lazily: the tokens exist only after beforeAll.

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const mutationChar = fc.oneof(
  fc.constantFrom(...BASE64URL.split('')),
  fc.constantFrom('.', '=', '+', '/', ' ', '\t', '\r', '\n', ',', '\u0000', '"', '%', '\u00e9', '\u200b'),
);

/** One edit of a token string. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), char: mutationChar }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.string({ minLength: 1, maxLength: 4, unit: mutationChar }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swap-segments' as const), a: fc.nat(2), b: fc.nat(2) }),
  fc.record({ kind: fc.constant('splice-segment' as const), segment: fc.nat(2), from: fc.nat() }),
  fc.record({ kind: fc.constant('flip-case' as const), at: fc.nat() }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(token: string, edit: Mutation): string {
  const at = (n: number): number => n % (token.length + 1);
  switch (edit.kind) {
    case 'replace':
      return token.slice(0, at(edit.at)) + edit.char + token.slice(at(edit.at) + 1);
    case 'insert':
      return token.slice(0, at(edit.at)) + edit.text + token.slice(at(edit.at));
    case 'delete':
      return token.slice(0, at(edit.at)) + token.slice(at(edit.at) + edit.length);
    case 'truncate':
      return token.slice(0, at(edit.at));
    case 'flip-case': {
      const c = token.charAt(at(edit.at));
      const flipped = c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase();
      return token.slice(0, at(edit.at)) + flipped + token.slice(at(edit.at) + 1);
    }
    case 'swap-segments': {
      const parts = token.split('.');
      [parts[edit.a], parts[edit.b]] = [parts[edit.b] ?? '', parts[edit.a] ?? ''];
      return parts.join('.');
    }
    case 'splice-segment': {
      const parts = token.split('.');
      const donor = [...tokens, ...foreignTokens.map((t) => ({ token: t }))][edit.from % (tokens.length + foreignTokens.length)];
      parts[edit.segment] = donor?.token.split('.')[edit.segment] ?? '';
      return parts.join('.');
    }
  }
}

const validToken = (): fc.Arbitrary<ValidToken> => fc.constantFrom(...tokens);
const mutatedToken = (): fc.Arbitrary<string> =>
  fc.tuple(validToken(), fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([valid, edits]) => edits.reduce(mutate, valid.token));
const anyToken = (): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: validToken().map((t) => t.token) },
    { weight: 6, arbitrary: mutatedToken() },
    { weight: 1, arbitrary: fc.constantFrom(...foreignTokens) },
    { weight: 1, arbitrary: fc.base64String({ maxLength: 200 }) },
    { weight: 1, arbitrary: fc.string({ maxLength: 120 }) },
  );

/** Authorization header values: mostly `Bearer <token>`, with scheme, spacing and multiplicity variants. */
const authorizationValue = (): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 8, arbitrary: anyToken().map((t) => `Bearer ${t}`) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom('bearer', 'BEARER', 'Bearer', 'Basic', 'Token', 'JWT', 'DPoP', ''), fc.constantFrom(' ', '  ', '\t', ' \r\n ', ''), anyToken()).map(([s, sp, t]) => `${s}${sp}${t}`) },
    { weight: 1, arbitrary: fc.tuple(anyToken(), anyToken(), fc.constantFrom(', ', ',', ' ', ';')).map(([a, b, sep]) => `Bearer ${a}${sep}Bearer ${b}`) },
    { weight: 1, arbitrary: fc.string({ maxLength: 300, unit: 'binary' }) },
    { weight: 1, arbitrary: fc.constantFrom('', ' ', 'Bearer', 'Bearer ', 'Bearer null', 'Bearer undefined', 'Bearer ..', 'Bearer a.b.c') },
  );

/** Method ARNs: routes in and out of the table, other APIs and stages, odd paths, and non-ARNs. */
const methodArnValue = (): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...TEST_REQUESTS).map((r) => methodArn(r.method, r.path)) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'get', '*'), fc.webPath()).map(([m, p]) => methodArn(m, p.startsWith('/') ? p : `/${p}`)) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...TEST_REQUESTS), fc.stringMatching(/^[a-z0-9]{1,10}$/)).map(([r, api]) => methodArn(r.method, r.path, { apiId: api, stage: 'dev' })) },
    { weight: 1, arbitrary: fc.string({ maxLength: 120 }) },
    { weight: 1, arbitrary: fc.constantFrom('', '*', 'arn:aws:execute-api:eu-west-1:123456789012:abc123defg/prod', 'arn:aws:execute-api:eu-west-1:123456789012:abc123defg/prod/GET/items/*', 'arn:aws:execute-api:::/') },
  );

const authorizationHeaderName = fc.constantFrom('Authorization', 'authorization', 'AUTHORIZATION', 'AuThOrIzAtIoN', 'X-Authorization');

/** REQUEST events: consistent method, resource and ARN, with fuzzed single- and multi-value headers. */
const requestEventValue = (): fc.Arbitrary<AuthorizerEvent> =>
  fc
    .record({
      route: fc.constantFrom(...TEST_REQUESTS),
      headers: fc.array(fc.tuple(authorizationHeaderName, authorizationValue()), { maxLength: 3 }),
      extraHeaders: fc.dictionary(fc.stringMatching(/^[A-Za-z-]{1,20}$/), fc.string({ maxLength: 40 }), { maxKeys: 3 }),
      multi: fc.constantFrom('derived', 'null', 'duplicated', 'absent-authorization'),
    })
    .map(({ route, headers, extraHeaders, multi }) => {
      const single = Object.fromEntries([...Object.entries(extraHeaders), ...headers]);
      const base = requestEvent({ method: route.method, resource: route.resource, path: route.path, headers: single });
      const multiValueHeaders =
        multi === 'null'
          ? null
          : multi === 'duplicated'
            ? Object.fromEntries(Object.entries(base.headers ?? {}).map(([k, v]) => [k, [v, v]]))
            : multi === 'absent-authorization'
              ? Object.fromEntries(Object.entries(base.multiValueHeaders ?? {}).filter(([k]) => k.toLowerCase() !== 'authorization'))
              : base.multiValueHeaders;
      return { ...base, multiValueHeaders };
    });

/** TOKEN events, with an occasional broken member. */
const tokenEventValue = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 8, arbitrary: fc.record({ type: fc.constant('TOKEN'), authorizationToken: authorizationValue(), methodArn: methodArnValue() }) },
    {
      weight: 1,
      arbitrary: fc.record(
        { type: fc.constantFrom('TOKEN', 'REQUEST', 'token', undefined), authorizationToken: fc.oneof(authorizationValue(), fc.anything()), methodArn: fc.oneof(methodArnValue(), fc.anything()) },
        { requiredKeys: [] },
      ),
    },
  );

/** Any event at all: the authorizer must survive what API Gateway would never send. */
const anyEvent = (): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 5, arbitrary: tokenEventValue() }, { weight: 5, arbitrary: requestEventValue() }, { weight: 1, arbitrary: fc.anything() });

// ---------------------------------------------------------------------------------------------------
// Oracle: what a correct authorizer may allow.

/**
 * Authorization values of an event: the TOKEN identity source, and every header named `authorization` in any
 * case (`loose` also takes look-alike names such as `X-Authorization`, for the leak check).
 */
function authorizationValues(event: unknown, loose = false): string[] {
  if (typeof event !== 'object' || event === null) return [];
  const e = event as Record<string, unknown>;
  const values: string[] = [];
  if (typeof e.authorizationToken === 'string') values.push(e.authorizationToken);
  for (const key of ['headers', 'multiValueHeaders']) {
    const headers = e[key];
    if (typeof headers !== 'object' || headers === null) continue;
    for (const [name, value] of Object.entries(headers)) {
      const lower = name.toLowerCase();
      if (loose ? lower.includes('authorization') : lower === 'authorization') values.push(...[value].flat().filter((v): v is string => typeof v === 'string'));
    }
  }
  return values;
}

/** A genuine token found in Authorization values; `exact` when byte-identical, else same decoded bytes. */
interface Genuine extends ValidToken {
  readonly exact: boolean;
}

/**
 * The genuine token carried by Authorization values, if they carry exactly one `Bearer <JWS>` (scheme in any
 * case, RFC 7235) whose segments decode to the bytes of a genuine token. `lenient` also tolerates
 * surrounding whitespace, for use as an upper bound of what may ever be allowed.
 */
function genuineToken(values: string[], lenient = false): Genuine | undefined {
  const distinct = [...new Set(values)];
  if (distinct.length !== 1) return undefined;
  const shape = lenient ? /^\s*bearer\s+([A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)\s*$/i : /^bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/i;
  const candidate = shape.exec(distinct[0] ?? '')?.[1];
  if (candidate === undefined) return undefined;
  const decoded = (token: string): string[] => token.split('.').map((s) => Buffer.from(s, 'base64url').toString('hex'));
  const bytes = decoded(candidate);
  const found = tokens.find((t) => decoded(t.token).every((segment, i) => segment === bytes[i]));
  return found && { ...found, exact: found.token === candidate };
}

/** The table route a method ARN names, if any (matching the resource templates of TEST_ROUTES). */
function routeOf(arn: unknown): { scopes: string[] } | undefined {
  if (typeof arn !== 'string') return undefined;
  const match = /^arn:aws:execute-api:[a-z0-9-]+:\d{12}:[A-Za-z0-9]+\/[^/]+\/([A-Z]+)(\/.*)$/.exec(arn);
  if (!match) return undefined;
  const [, method, path] = match;
  return TEST_ROUTES.map((r) => ({ method: r.method, pattern: new RegExp(`^${r.path.replace(/\{[^}]+\}/g, '[^/]+')}$`), scopes: r.scopes ?? [] })).find(
    (r) => r.method === method && r.pattern.test(path ?? ''),
  );
}

/** Whether a correct authorizer could allow this event at all (an upper bound, lenient on spacing). */
function mayAllow(event: unknown): boolean {
  const token = genuineToken(authorizationValues(event), true);
  const route = routeOf((event as { methodArn?: unknown } | null)?.methodArn);
  return token !== undefined && route !== undefined && route.scopes.every((s) => token.scopes.includes(s));
}

// ---------------------------------------------------------------------------------------------------

describe(`authorizer fuzzing (fast-check seed ${SEED})`, () => {
  test(`only a well-formed policy or exactly 'Unauthorized' comes out of ${EVENT_RUNS} random events, and nothing leaks`, async () => {
    const logs = new LogCapture();
    const authorizers = { token: createAuthorizer(configs.token, { now: () => NOW_MS, log: logs.log }), route: createAuthorizer(configs.route, { now: () => NOW_MS, log: logs.log }) };
    const outcomes = { allow: 0, deny: 0, unauthorized: 0 };

    await fc.assert(
      fc.asyncProperty(anyEvent(), fc.constantFrom('token' as const, 'route' as const), async (event, scope) => {
        logs.clear();
        const outcome = await authorizers[scope].handle(event as AuthorizerEvent, { awsRequestId: 'req-fuzz' }).then(
          (answer: unknown) => ({ answer }),
          (error: unknown) => ({ error }),
        );
        let decision: 'allow' | 'deny' | 'unauthorized';
        if ('error' in outcome) {
          expect(outcome.error).toBeInstanceOf(Error);
          expect((outcome.error as Error).message).toBe('Unauthorized');
          decision = 'unauthorized';
        } else {
          expect(answerProblems(outcome.answer)).toEqual([]);
          const arn = String((event as { methodArn: unknown }).methodArn);
          const evaluated = evaluatePolicy((outcome.answer as AuthorizerAnswer).policyDocument, arn);
          // A refusal is an explicit Deny of the called ARN, never an Allow that merely misses it.
          expect(evaluated).not.toBe('implicit-deny');
          decision = evaluated === 'allow' ? 'allow' : 'deny';
          if (decision === 'allow') expect(mayAllow(event)).toBe(true);
        }
        outcomes[decision] += 1;
        const decisions = logs.decisions();
        expect(decisions).toHaveLength(1);
        expect(decisions[0]?.decision).toBe(decision);
        expect(logs.unstructured()).toEqual([]);
        expect(findLeaks(logs.lines, authorizationValues(event, true))).toEqual([]);
      }),
      { seed: SEED, numRuns: EVENT_RUNS },
    );
    // The generators must reach all three outcomes, or the property proves little.
    expect(Math.min(outcomes.allow, outcomes.deny)).toBeGreaterThan(EVENT_RUNS / 50);
    expect(outcomes.unauthorized).toBeGreaterThan(EVENT_RUNS / 10);
  });

  test.each(['token', 'route'] as const)(
    `behind the simulated API Gateway cache (%s-scoped keys), every status matches the oracle over ${SEQUENCE_RUNS} request sequences`,
    async (scope) => {
      const seen = { 200: 0, 401: 0, 403: 0, 500: 0, cached: 0 };
      const request = fc.record({
        token: fc.oneof({ weight: 4, arbitrary: validToken().map((t) => t.token) }, { weight: 1, arbitrary: mutatedToken() }, { weight: 1, arbitrary: fc.constantFrom(...foreignTokens) }),
        route: fc.constantFrom(...TEST_REQUESTS),
        id: fc.constantFrom('42', '7', 'a-b'),
      });
      await fc.assert(
        fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 12 }), fc.constantFrom('TOKEN' as const, 'REQUEST' as const), async (requests, type) => {
          const authorizer = createAuthorizer(configs[scope], { now: () => NOW_MS, log: () => undefined });
          const gateway = new ApiGatewaySimulator((event) => authorizer.handle(event, { awsRequestId: 'req-sim' }), {
            type: scope === 'route' ? 'REQUEST' : type,
            cacheKeyScope: scope,
            now: () => NOW_MS,
          });
          for (const r of requests) {
            const path = r.route.resource.replace(/\{[^}]+\}/g, r.id);
            const response: GatewayResponse = await gateway.request({ method: r.route.method, resource: r.route.resource, path, authorization: `Bearer ${r.token}` });
            const genuine = genuineToken([`Bearer ${r.token}`]);
            const granted = genuine !== undefined && r.route.scopes !== undefined && r.route.scopes.every((s) => genuine.scopes.includes(s));
            // A token that only decodes to genuine bytes (non-canonical base64url) may be refused or honoured.
            // A route not in the table is a 401 (NO_ROUTE) when the authorizer is asked, or a 403 when a token's
            // cached answer for another route is reused on it: never a 200.
            const expected =
              genuine === undefined ? [401] : r.route.scopes === undefined ? [401, 403] : genuine.exact ? [granted ? 200 : 403] : [401, granted ? 200 : 403];
            const observed = { request: `${r.route.method} ${path}`, token: r.token, status: response.status, expected, detail: response.detail };
            expect({ ...observed, ok: expected.includes(response.status) }).toEqual({ ...observed, ok: true });
            seen[response.status] += 1;
            if (response.cached) seen.cached += 1;
          }
        }),
        { seed: SEED, numRuns: SEQUENCE_RUNS },
      );
      // Every status and the cache itself must have been exercised, or the property proves little.
      expect(seen).toMatchObject({ 500: 0 });
      expect(Math.min(seen[200], seen[401], seen[403], seen.cached)).toBeGreaterThan(SEQUENCE_RUNS / 10);
    },
  );
});

// ---------------------------------------------------------------------------------------------------
// Cached answers over random route tables, under both readings of IAM wildcards.

const TABLE_SEED = 0x7ab1e5;
const TABLE_RUNS = 50;
const RUNTIME_MATCHERS = { a: arnPatternMatches, b: arnPatternMatchesWithinSegments } as const;

describe(`cached answers over random route tables (fast-check seed ${TABLE_SEED})`, () => {
  /** Verbs tried on an ANY route (those an exact route of the same resource takes are left out). */
  const ANY_VERBS = ['GET', 'PATCH', 'DELETE'];

  test(`every answer the real authorizer gives, replayed wherever API Gateway would reuse it, is the route's decision under both readings (${TABLE_RUNS} tables)`, async () => {
    const key = await testKey('RS256');
    const authorization = `Bearer ${cognitoAccessToken(key, { now: NOW, scopes: ['any'] })}`;
    const seen = { token: 0, route: 0, answers: 0, replays: 0, unauthorized: 0 };
    await fc.assert(
      fc.asyncProperty(
        routeTableArb,
        fc.array(fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }), { minLength: 2, maxLength: 3 }),
        fc.array(hostileValue, { minLength: 3, maxLength: 3 }),
        async (table, permittedSets, values) => {
          const routes: RouteConfig[] = table.map((route) => ({ ...route, scopes: [] }));
          const scope = cacheKeyScopeFor(routes);
          seen[scope] += 1;
          let permitted: boolean[] = [];
          const indexOf = new Map(routes.map((route, i) => [routeKey(route), i]));
          const authorizer = createAuthorizer(testConfig([cognitoIssuerConfig({ keys: [key.publicJwk] })], { routes, cacheKeyScope: scope }), {
            now: () => NOW_MS,
            log: () => undefined,
            // A custom check may refuse any route: it draws the permitted set.
            customCheck: ({ route }) => permitted[indexOf.get(routeKey(route!))!],
          });
          // Every concrete request of every route: its verbs, parameter values plain and hostile.
          const requests = routes.flatMap((route, index) =>
            sentVerbs(route, routes, ANY_VERBS).flatMap((verb) => concretePaths(route.path, ['v', ...values]).map((path) => ({ index, verb, path, arn: methodArn(verb, path) }))),
          );
          for (const set of permittedSets) {
            permitted = routes.map((_, i) => set[i]!);
            for (const request of requests) {
              const route = routes[request.index]!;
              let answer: AuthorizerAnswer;
              try {
                answer = (await authorizer.handle(requestEvent({ method: request.verb, resource: route.path, path: request.path, authorization }))) as AuthorizerAnswer;
              } catch (error) {
                // Only a method ARN the runtime does not parse (non-ASCII) may be refused, and nothing is cached then.
                expect({ request, error: String(error) }).toEqual({ request, error: 'Error: Unauthorized' });
                expect(/^[\x21-\x7e]*$/.test(request.path)).toBe(false);
                seen.unauthorized += 1;
                continue;
              }
              seen.answers += 1;
              // Where API Gateway reuses this answer: every request (token scope), or the requests of the
              // same route with the same verb (route scope).
              const reusedOn = requests.filter((other) => scope === 'token' || (other.index === request.index && other.verb === request.verb));
              for (const other of reusedOn) {
                for (const reading of IAM_READINGS) {
                  const decision = iamDecision(answer.policyDocument.Statement, other.arn, reading);
                  // The runtime's own matcher of that reading (its invariant check) agrees with the model.
                  expect(evaluateStatements(answer.policyDocument.Statement as PolicyStatement[], other.arn, RUNTIME_MATCHERS[reading])).toBe(decision);
                  const expected = permitted[other.index] ? 'allow' : 'deny';
                  if (decision !== expected) {
                    expect({ routes, scope, permitted, cachedFrom: request, replayedOn: other, reading, decision }).toEqual({
                      routes, scope, permitted, cachedFrom: request, replayedOn: other, reading, decision: expected,
                    });
                  }
                  seen.replays += 1;
                }
              }
            }
          }
        },
      ),
      { seed: TABLE_SEED, numRuns: TABLE_RUNS },
    );
    // Both scopes, and the hostile values, must have been exercised.
    expect(Math.min(seen.token, seen.route)).toBeGreaterThan(TABLE_RUNS / 8);
    expect(seen.unauthorized).toBeGreaterThan(0);
    expect(seen.replays).toBeGreaterThan(20_000);
  });
});
