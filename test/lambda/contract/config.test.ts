import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../lambda/errors';
import { CONFIG_ENV_VAR, type AuthorizerConfig, type IssuerConfig, type RouteConfig } from '../../../lambda/contract/config-types';
import { parseConfig } from '../../../lambda/contract/config';
import { loadConfig, readConfigSources } from '../../../lambda/config';
import { parseRuntimeConfig } from '../../../lambda/contract/runtime-config';
import { cacheKeyScopeFor } from '../../../lambda/contract/routes';
import { serviceRoutes } from '../../fixtures/config';

const COGNITO: IssuerConfig = { kind: 'cognito', issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC', clientIds: ['client-a'] };
const OIDC: IssuerConfig = { kind: 'oidc', issuer: 'https://login.example.com', discovery: true, audiences: ['https://api.example.com'] };
const ROUTES: RouteConfig[] = [
  { method: 'GET', path: '/items', scopes: ['items:read'] },
  { method: 'POST', path: '/items', scopes: ['items:write'] },
];

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:pseudonym-key-AbCdEf';

function base(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { version: 1, issuers: [COGNITO], routes: ROUTES, ...overrides };
}

function issuer(overrides: Record<string, unknown>): Record<string, unknown> {
  return base({ issuers: [COGNITO, { ...OIDC, ...overrides }] });
}

/**
 * Runs `parseConfig` and returns the ConfigError it throws, failing the test if it throws nothing else.
 * The bundle's lean `parseRuntimeConfig` must refuse the same configuration, naming the same setting.
 */
function configError(input: unknown): ConfigError {
  try {
    parseConfig(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('ERR_CONFIG');
    expect(ConfigError.code).toBe('ERR_CONFIG');
    expect((error as ConfigError).reason).toBe('CONFIG_ERROR');
    const { message } = error as ConfigError;
    expect(() => parseRuntimeConfig(input)).toThrow(new ConfigError(`${message.slice(0, message.indexOf(': '))}: invalid setting`));
    return error as ConfigError;
  }
  throw new Error('parseConfig accepted an invalid configuration');
}

/** Parses with both validators, which must agree: the same deep-frozen result. */
function parseBoth(input: unknown): AuthorizerConfig {
  const config = parseConfig(input);
  const lean = parseRuntimeConfig(input);
  expect(lean).toEqual(config);
  expect(Object.isFrozen(lean) && Object.isFrozen(lean.issuers[0]) && Object.isFrozen(lean.routes)).toBe(true);
  return config;
}

describe('parseConfig', () => {
  test('happy flow: a minimal cognito configuration is accepted and returned as a frozen copy', () => {
    const input = base();
    const config = parseBoth(input);
    expect(config).toEqual({ version: 1, issuers: [COGNITO], routes: ROUTES.map((r) => ({ ...r, conditions: [] })) });
    expect(config).not.toBe(input);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.issuers[0]!.clientIds)).toBe(true);
    expect(Object.isFrozen(config.routes[0]!.scopes)).toBe(true);
  });

  test('happy flow: a configuration this function returned is returned again as is', () => {
    const config = parseConfig(base());
    expect(parseConfig(config)).toBe(config);
    expect(parseConfig({ ...config })).not.toBe(config);
  });

  test('happy flow: every setting specified is accepted', () => {
    const config: AuthorizerConfig = {
      version: 1,
      issuers: [
        { ...COGNITO, algorithms: ['RS256', 'ES256'], jwksUri: 'https://keys.example.com/jwks.json?v=2' },
        { ...OIDC, algorithms: ['EdDSA', 'PS256'], clientIds: ['svc'], clientIdClaim: 'azp', requiredTyp: 'application/at+jwt' },
        { kind: 'oidc', issuer: 'http://127.0.0.1:8080/realm', audienceCheck: false, keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'abc_-', kid: 'k1', use: 'sig' }], algorithms: ['EdDSA'] },
      ],
      routes: [
        { method: 'ANY', path: '/', scopes: [] },
        { method: 'DELETE', path: '/items/{id}', scopes: ['items:delete'], conditions: [{ claim: 'cognito:groups', contains: 'admin' }, { claim: 'tenant', equals: 'acme' }] },
        { method: 'GET', path: '/files/{proxy+}' },
      ],
      clockSkewSeconds: 0,
      maxTokenAgeSeconds: 3600,
      maxTokenLifetimeSeconds: 7200,
      keys: { fetchTimeoutMs: 800, maxAgeSeconds: 600, cooldownSeconds: 10, graceSeconds: 0 },
      cacheKeyScope: 'route',
    };
    const parsed = parseBoth(config);
    expect(parsed).toMatchObject({ clockSkewSeconds: 0, maxTokenAgeSeconds: 3600, maxTokenLifetimeSeconds: 7200, cacheKeyScope: 'route', keys: config.keys });
    expect(parsed.issuers[1]!.clientIdClaim).toBe('azp');
  });

  test.each<[string, unknown, string]>([
    ['a non-object', [], 'configuration: must be a JSON object (received: [])'],
    ['an unknown top-level key', base({ issuer: 'x' }), 'issuer: unknown setting; expected one of version, issuers, routes, clockSkewSeconds, maxTokenAgeSeconds, maxTokenLifetimeSeconds, keys, cacheKeyScope, logProfile, pseudonymKey, denyList (received: "x")'],
    ['a __proto__ key from JSON', JSON.parse('{"version":1,"issuers":[],"routes":[],"__proto__":{"admin":true}}'), '__proto__: unknown setting; expected one of version, issuers, routes, clockSkewSeconds, maxTokenAgeSeconds, maxTokenLifetimeSeconds, keys, cacheKeyScope, logProfile, pseudonymKey, denyList (received: {"admin":true})'],
    ['another version', base({ version: 2 }), 'version: must be 1 (received: 2)'],
    ['no issuers', base({ issuers: [] }), 'issuers: must be a non-empty array of at most 20 issuers (received: [])'],
    ['routes that are not an array', base({ routes: {} }), 'routes: must be an array of at most 1000 routes (received: {})'],
    ['a skew above 300 seconds', base({ clockSkewSeconds: 301 }), 'clockSkewSeconds: must be an integer from 0 to 300 seconds (received: 301)'],
    ['a negative skew', base({ clockSkewSeconds: -1 }), 'clockSkewSeconds: must be an integer from 0 to 300 seconds (received: -1)'],
    ['a fractional skew', base({ clockSkewSeconds: 1.5 }), 'clockSkewSeconds: must be an integer from 0 to 300 seconds (received: 1.5)'],
    ['a zero token age', base({ maxTokenAgeSeconds: 0 }), 'maxTokenAgeSeconds: must be an integer from 1 to 31536000 seconds (received: 0)'],
    ['a zero token lifetime', base({ maxTokenLifetimeSeconds: 0 }), 'maxTokenLifetimeSeconds: must be an integer from 1 to 31536000 seconds (received: 0)'],
    ['a token lifetime over a year', base({ maxTokenLifetimeSeconds: 31_536_001 }), 'maxTokenLifetimeSeconds: must be an integer from 1 to 31536000 seconds (received: 31536001)'],
    ['a token lifetime as a string', base({ maxTokenLifetimeSeconds: '86400' }), 'maxTokenLifetimeSeconds: must be an integer from 1 to 31536000 seconds (received: "86400")'],
    ['an unknown key option', base({ keys: { ttl: 5 } }), 'keys.ttl: unknown setting; expected one of fetchTimeoutMs, maxAgeSeconds, cooldownSeconds, graceSeconds (received: 5)'],
    ['a fetch timeout above 10 s', base({ keys: { fetchTimeoutMs: 30000 } }), 'keys.fetchTimeoutMs: must be an integer from 100 to 10000 milliseconds (received: 30000)'],
    ['an unknown cache key scope', base({ cacheKeyScope: 'method' }), "cacheKeyScope: must be 'token' or 'route' (received: \"method\")"],
  ])('throws when the configuration has %s', (_name, input, message) => {
    expect(configError(input).message).toBe(message);
  });

  test.each<[string, Record<string, unknown>, string]>([
    ['an unknown issuer setting', { audience: 'x' }, 'issuers[1].audience: unknown setting; expected one of kind, issuer, algorithms, jwksUri, discovery, keys, clientIds, clientIdClaim, audiences, audienceCheck, requiredTyp (received: "x")'],
    ['an unknown kind', { kind: 'saml' }, "issuers[1].kind: must be 'cognito' or 'oidc' (received: \"saml\")"],
    ['an http issuer', { issuer: 'http://login.example.com' }, 'issuers[1].issuer: must be an https URL (http only for localhost or 127.0.0.1) without credentials, query or fragment (received: "http://login.example.com")'],
    ['an issuer with a query', { issuer: 'https://login.example.com/?tenant=a' }, 'issuers[1].issuer: must be an https URL (http only for localhost or 127.0.0.1) without credentials, query or fragment (received: "https://login.example.com/?tenant=a")'],
    ['an issuer with credentials', { issuer: 'https://user:pw@login.example.com' }, 'issuers[1].issuer: must be an https URL (http only for localhost or 127.0.0.1) without credentials, query or fragment (received: "https://user:pw@login.example.com")'],
    ['an issuer with a tab the URL parser would drop', { issuer: 'https://login.example.com/\tx' }, 'issuers[1].issuer: must be an https URL (http only for localhost or 127.0.0.1) without credentials, query or fragment (received: "https://login.example.com/\\tx")'],
    ['HS256', { algorithms: ['RS256', 'HS256'] }, "issuers[1].algorithms[1]: HMAC and 'none' are never accepted: a public key must never serve as a shared secret (received: \"HS256\")"],
    ['none', { algorithms: ['none'] }, "issuers[1].algorithms[0]: HMAC and 'none' are never accepted: a public key must never serve as a shared secret (received: \"none\")"],
    ['an unknown algorithm', { algorithms: ['RS1'] }, 'issuers[1].algorithms[0]: must be one of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA (received: "RS1")'],
    ['an empty algorithm list', { algorithms: [] }, 'issuers[1].algorithms: must be a non-empty array of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA (received: [])'],
    ['two key sources', { jwksUri: 'https://login.example.com/jwks' }, 'issuers[1]: must set exactly one key source of jwksUri, discovery or keys (received: ["jwksUri","discovery"])'],
    ['no key source', { discovery: false }, "issuers[1]: an 'oidc' issuer needs a key source: jwksUri, discovery: true or keys (received: [])"],
    ['a discovery flag that is not a boolean', { discovery: 'yes' }, 'issuers[1].discovery: must be a boolean (received: "yes")'],
    ['an http JWKS URI', { discovery: undefined, jwksUri: 'http://keys.example.com/jwks' }, 'issuers[1].jwksUri: must be an https URL (http only for localhost or 127.0.0.1) without credentials or fragment (received: "http://keys.example.com/jwks")'],
    ['no audiences', { audiences: undefined }, "issuers[1].audiences: required for an 'oidc' issuer unless audienceCheck is false (received: undefined)"],
    ['empty audiences', { audiences: [] }, 'issuers[1].audiences: must be a non-empty array of at most 100 strings (received: [])'],
    ['audiences with the check off', { audienceCheck: false }, 'issuers[1].audiences: must be omitted when audienceCheck is false (received: ["https://api.example.com"])'],
    ['a required typ that is not a media type', { requiredTyp: 'at jwt' }, "issuers[1].requiredTyp: must be a media type such as 'at+jwt' (received: \"at jwt\")"],
    ['an unknown client id claim', { clientIdClaim: 'appid' }, 'issuers[1].clientIdClaim: must be one of client_id, azp, cid (received: "appid")'],
    ['an empty client id', { clientIds: [''] }, 'issuers[1].clientIds[0]: must be a non-empty string of at most 1024 characters (received: "")'],
  ])('throws when an oidc issuer has %s', (_name, overrides, message) => {
    expect(configError(issuer(overrides)).message).toBe(message);
  });

  test.each<[string, Record<string, unknown>, string]>([
    ['no client ids', { clientIds: undefined }, "issuers[0].clientIds: required for a 'cognito' issuer: a non-empty array of app client ids (received: undefined)"],
    ['audiences', { audiences: ['x'] }, "issuers[0].audiences: not used by a 'cognito' issuer: Cognito access tokens carry no aud; list app clients in clientIds (received: [\"x\"])"],
    ['a client id claim', { clientIdClaim: 'azp' }, "issuers[0].clientIdClaim: not used by a 'cognito' issuer: its tokens always carry client_id (received: \"azp\")"],
    ['an audience check setting', { audienceCheck: false }, "issuers[0].audienceCheck: not used by a 'cognito' issuer: its tokens are checked by client_id (received: false)"],
  ])('throws when a cognito issuer has %s', (_name, overrides, message) => {
    expect(configError(base({ issuers: [{ ...COGNITO, ...overrides }] })).message).toBe(message);
  });

  test('throws when two issuers have the same issuer URL', () => {
    expect(configError(base({ issuers: [COGNITO, { ...COGNITO, clientIds: ['b'] }] })).message).toBe(
      `issuers[1].issuer: duplicates issuers[0].issuer (received: "${COGNITO.issuer}")`,
    );
  });

  test.each<[string, Record<string, unknown>, string]>([
    ['private key material, without echoing it', { kty: 'RSA', kid: 'k', n: 'abc', e: 'AQAB', d: 'secret-exponent' }, "issuers[1].keys[0].d: private or symmetric key material must never be configured (received: \"[redacted]\")"],
    ['a symmetric key', { kty: 'oct', kid: 'k', k: 'c2VjcmV0' }, "issuers[1].keys[0].k: private or symmetric key material must never be configured (received: \"[redacted]\")"],
    ['no kid', { kty: 'EC', crv: 'P-256', x: 'a', y: 'b' }, 'issuers[1].keys[0].kid: required, because tokens without a kid are refused: a non-empty string of at most 1024 characters (received: undefined)'],
    ['an encryption key', { kty: 'EC', crv: 'P-256', x: 'a', y: 'b', kid: 'k', use: 'enc' }, "issuers[1].keys[0].use: must be 'sig' when present (received: \"enc\")"],
    ['an alg outside the issuer list', { kty: 'EC', crv: 'P-256', x: 'a', y: 'b', kid: 'k', alg: 'ES384' }, "issuers[1].keys[0].alg: must be one of the issuer's algorithms (RS256) when present (received: \"ES384\")"],
    ['an unknown curve', { kty: 'EC', crv: 'secp256k1', x: 'a', y: 'b', kid: 'k' }, 'issuers[1].keys[0].crv: must be one of P-256, P-384, P-521 for an EC key (received: "secp256k1")'],
    ['a missing modulus', { kty: 'RSA', kid: 'k', e: 'AQAB' }, 'issuers[1].keys[0].n: required for an RSA key: a base64url string (received: undefined)'],
    ['an unknown member', { kty: 'RSA', kid: 'k', n: 'a', e: 'AQAB', x5u: 'https://evil.example' }, 'issuers[1].keys[0].x5u: unknown setting; expected one of kty, kid, use, alg, key_ops, n, e, crv, x, y (received: "https://evil.example")'],
  ])('throws when a static key has %s', (_name, jwk, message) => {
    const error = configError(issuer({ discovery: undefined, keys: [jwk] }));
    expect(error.message).toBe(message);
    expect(error.message).not.toContain('secret-exponent');
  });

  test('throws when two static keys share a kid', () => {
    const jwk = { kty: 'OKP', crv: 'Ed25519', x: 'abc', kid: 'same' };
    expect(configError(issuer({ discovery: undefined, algorithms: ['EdDSA'], keys: [jwk, jwk] })).message).toBe(
      'issuers[1].keys[1].kid: duplicates issuers[1].keys[0].kid (received: "same")',
    );
  });

  test.each<[string, Record<string, unknown>, string]>([
    ['a lower-case method', { method: 'get', path: '/a' }, 'routes[1].method: must be one of DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT, ANY (received: "get")'],
    ['a relative path', { method: 'GET', path: 'items' }, "routes[1].path: must start with '/' (received: \"items\")"],
    ['an empty segment', { method: 'GET', path: '/items//x' }, 'routes[1].path: must not have empty segments (received: "/items//x")'],
    ['a trailing slash', { method: 'GET', path: '/items/' }, 'routes[1].path: must not have empty segments (received: "/items/")'],
    ['a greedy segment before the end', { method: 'GET', path: '/{proxy+}/x' }, 'routes[1].path: may have a greedy {name+} segment only as its last segment (received: "/{proxy+}/x")'],
    ['a parameter with a dash', { method: 'GET', path: '/items/{item-id}' }, "routes[1].path: segment '{item-id}' must be a literal or a whole {param} with a name of [A-Za-z0-9_]+ (received: \"/items/{item-id}\")"],
    ['a partial parameter', { method: 'GET', path: '/items/id-{id}' }, "routes[1].path: segment 'id-{id}' must be a literal or a whole {param} with a name of [A-Za-z0-9_]+ (received: \"/items/id-{id}\")"],
    ['a wildcard in a literal', { method: 'GET', path: '/items/*' }, "routes[1].path: segment '*' may only hold [A-Za-z0-9:._$-] (received: \"/items/*\")"],
    ['a scope with a space', { method: 'GET', path: '/a', scopes: ['a b'] }, "routes[1].scopes[0]: must be a scope token (RFC 6749: visible ASCII without space, '\"' or '\\') (received: \"a b\")"],
    ['a condition with both operators', { method: 'GET', path: '/a', conditions: [{ claim: 'c', contains: 'x', equals: 'y' }] }, 'routes[1].conditions[0]: must set exactly one of contains or equals (received: {"claim":"c","contains":"x","equals":"y"})'],
    ['a condition with an unknown operator', { method: 'GET', path: '/a', conditions: [{ claim: 'c', matches: 'x' }] }, 'routes[1].conditions[0].matches: unknown setting; expected one of claim, contains, equals (received: "x")'],
    ['an unknown route setting', { method: 'GET', path: '/a', scope: 'x' }, 'routes[1].scope: unknown setting; expected one of method, path, scopes, conditions (received: "x")'],
  ])('throws when a route has %s', (_name, route, message) => {
    expect(configError(base({ routes: [ROUTES[0], route] })).message).toBe(message);
  });

  test('throws when two routes differ only in parameter names', () => {
    const routes = [{ method: 'GET', path: '/items/{id}' }, { method: 'POST', path: '/items/{id}' }, { method: 'GET', path: '/items/{name}' }];
    expect(configError(base({ routes })).message).toBe('routes[2]: duplicates routes[0] (GET /items/{id}) (received: "GET /items/{name}")');
  });

  test('throws when token cache scope cannot be exact for the route table', () => {
    const routes: RouteConfig[] = [
      { method: 'GET', path: '/a/{id}', scopes: ['a'] },
      { method: 'GET', path: '/a/{id}/b', scopes: ['b'] },
      { method: 'GET', path: '/a/{id}/b/{c}', scopes: ['c'] },
    ];
    expect(cacheKeyScopeFor(routes)).toBe('route');
    expect(configError(base({ routes })).message).toBe(
      "cacheKeyScope: 'token' cannot answer every route exactly: the ARN pattern of GET /a/{id} matches paths of GET /a/{id}/b and the ARN pattern of GET /a/{id}/b matches paths of GET /a/{id}; use 'route' (received: undefined)",
    );
    expect(parseBoth(base({ routes, cacheKeyScope: 'route' })).cacheKeyScope).toBe('route');
  });

  test('happy flow: 300 routes and 5 issuers validate', () => {
    const routes = serviceRoutes(60, [{ claim: 'cognito:groups', contains: 'admins' }]);
    const issuers = [COGNITO, ...[1, 2, 3, 4].map((i) => ({ ...OIDC, issuer: `https://login${i}.example.com` }))];
    const config = parseBoth(base({ issuers, routes }));
    expect(config.routes).toHaveLength(300);
    expect(config.issuers).toHaveLength(5);
  });
});

const jsonCopy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

describe('parseConfig: data protection and revocation', () => {
  const DENY_LIST = { tableName: 'deny-list', region: 'eu-west-1' };

  test('happy flow: the log profiles, the pseudonym key and the deny list are accepted as given', () => {
    expect(parseBoth(base({ logProfile: 'minimal' })).logProfile).toBe('minimal');
    expect(parseBoth(base({ logProfile: 'full' })).logProfile).toBe('full');
    expect(parseBoth(base({ logProfile: 'pseudonymous', pseudonymKey: { secretArn: SECRET_ARN } })).pseudonymKey).toEqual({ secretArn: SECRET_ARN });
    expect(parseBoth(base({ denyList: DENY_LIST })).denyList).toEqual(DENY_LIST);
    const every = { ...DENY_LIST, refreshSeconds: 300, whenUnavailable: 'deny', endpoint: 'https://vpce-1.dynamodb.eu-west-1.vpce.amazonaws.com:8443/' };
    expect(parseBoth(base({ denyList: every })).denyList).toEqual(every);
    // A local stage (secure-api serve) or a test server: plain http on a loopback host only.
    for (const endpoint of ['http://127.0.0.1:8000', 'http://localhost:8000', 'http://[::1]:8000']) {
      expect(parseBoth(base({ denyList: { ...DENY_LIST, endpoint } })).denyList?.endpoint).toBe(endpoint);
    }
    expect(parseBoth(base({ denyList: { ...DENY_LIST, refreshSeconds: 1, whenUnavailable: 'allow', region: 'us-gov-west-1' } })).denyList?.refreshSeconds).toBe(1);
  });

  test.each([
    ['an unknown log profile', { logProfile: 'none' }, 'logProfile'],
    ['a log profile that is not a string', { logProfile: 1 }, 'logProfile'],
    ['pseudonymous without a key', { logProfile: 'pseudonymous' }, 'pseudonymKey'],
    ['a key without the pseudonymous profile', { pseudonymKey: { secretArn: SECRET_ARN } }, 'pseudonymKey'],
    ['a key with the minimal profile', { logProfile: 'minimal', pseudonymKey: { secretArn: SECRET_ARN } }, 'pseudonymKey'],
    ['a key that is not an object', { logProfile: 'pseudonymous', pseudonymKey: SECRET_ARN }, 'pseudonymKey'],
    ['a key with an unknown setting', { logProfile: 'pseudonymous', pseudonymKey: { secretArn: SECRET_ARN, versionId: 'v1' } }, 'pseudonymKey.versionId'],
    ['a key without an ARN', { logProfile: 'pseudonymous', pseudonymKey: {} }, 'pseudonymKey.secretArn'],
    ['a key ARN of another service', { logProfile: 'pseudonymous', pseudonymKey: { secretArn: 'arn:aws:ssm:eu-west-1:123456789012:parameter/k' } }, 'pseudonymKey.secretArn'],
    ['a key given by name', { logProfile: 'pseudonymous', pseudonymKey: { secretArn: 'pseudonym-key' } }, 'pseudonymKey.secretArn'],
    ['a deny list that is not an object', { denyList: 'deny-list' }, 'denyList'],
    ['a deny list with an unknown setting', { denyList: { ...DENY_LIST, cacheSeconds: 5 } }, 'denyList.cacheSeconds'],
    ['a deny list without a table', { denyList: { region: 'eu-west-1' } }, 'denyList.tableName'],
    ['a table name too short', { denyList: { ...DENY_LIST, tableName: 'ab' } }, 'denyList.tableName'],
    ['a table name with a slash', { denyList: { ...DENY_LIST, tableName: 'a/b/c' } }, 'denyList.tableName'],
    ['a table given by ARN', { denyList: { ...DENY_LIST, tableName: 'arn:aws:dynamodb:eu-west-1:123456789012:table/deny' } }, 'denyList.tableName'],
    ['a deny list without a region', { denyList: { tableName: 'deny-list' } }, 'denyList.region'],
    ['a region that is not one', { denyList: { ...DENY_LIST, region: 'Europe' } }, 'denyList.region'],
    ['a refresh of 0 seconds', { denyList: { ...DENY_LIST, refreshSeconds: 0 } }, 'denyList.refreshSeconds'],
    ['a refresh over five minutes', { denyList: { ...DENY_LIST, refreshSeconds: 301 } }, 'denyList.refreshSeconds'],
    ['a refresh that is not an integer', { denyList: { ...DENY_LIST, refreshSeconds: 1.5 } }, 'denyList.refreshSeconds'],
    ['an unknown unavailability choice', { denyList: { ...DENY_LIST, whenUnavailable: 'open' } }, 'denyList.whenUnavailable'],
    ['an http endpoint off the machine', { denyList: { ...DENY_LIST, endpoint: 'http://dynamodb.eu-west-1.amazonaws.com' } }, 'denyList.endpoint'],
    ['an http endpoint on a host named like loopback', { denyList: { ...DENY_LIST, endpoint: 'http://127.0.0.1.example.com:8000' } }, 'denyList.endpoint'],
    ['an endpoint with a path', { denyList: { ...DENY_LIST, endpoint: 'https://vpce.example.com/dynamodb' } }, 'denyList.endpoint'],
    ['an endpoint with a query', { denyList: { ...DENY_LIST, endpoint: 'https://vpce.example.com/?x=1' } }, 'denyList.endpoint'],
    ['an endpoint with a fragment', { denyList: { ...DENY_LIST, endpoint: 'https://vpce.example.com/#x' } }, 'denyList.endpoint'],
    ['an endpoint with credentials', { denyList: { ...DENY_LIST, endpoint: 'https://user:pass@vpce.example.com' } }, 'denyList.endpoint'],
    ['an endpoint with a line break', { denyList: { ...DENY_LIST, endpoint: 'https://vpce.example.com\n' } }, 'denyList.endpoint'],
  ])('throws on %s', (_what, overrides, path) => {
    expect(configError(base(overrides)).message.startsWith(`${path}: `)).toBe(true);
  });

  test('the full message names the rule and the value', () => {
    expect(configError(base({ logProfile: 'pseudonymous' })).message).toBe("pseudonymKey: required when logProfile is 'pseudonymous' (received: undefined)");
    expect(configError(base({ denyList: { ...DENY_LIST, refreshSeconds: 301 } })).message).toBe('denyList.refreshSeconds: must be an integer from 1 to 300 seconds (received: 301)');
  });
});

describe('parseRuntimeConfig', () => {
  /** A valid configuration using every kind of setting, to mutate. */
  // Cloned through JSON, as configurations arrive (structuredClone would build objects of another realm under jest).
  const FULL = (): Record<string, unknown> => jsonCopy({
    version: 1,
    issuers: [
      { ...COGNITO, algorithms: ['RS256', 'ES256'], jwksUri: 'https://keys.example.com/jwks.json?v=2' },
      { ...OIDC, clientIds: ['svc'], clientIdClaim: 'azp', requiredTyp: 'at+jwt' },
      { kind: 'oidc', issuer: 'http://127.0.0.1:8080/realm', audienceCheck: false, algorithms: ['EdDSA', 'ES256'], keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'abc', kid: 'k1', use: 'sig', key_ops: ['verify'] }, { kty: 'EC', crv: 'P-256', x: 'a', y: 'b', kid: 'k2', alg: 'ES256' }] },
    ],
    routes: [
      { method: 'GET', path: '/items', scopes: ['items:read'] },
      { method: 'DELETE', path: '/items/{id}', scopes: ['items:delete'], conditions: [{ claim: 'cognito:groups', contains: 'admin' }, { claim: 'tenant', equals: 'acme' }] },
      { method: 'ANY', path: '/files/{proxy+}' },
    ],
    clockSkewSeconds: 30,
    maxTokenAgeSeconds: 3600,
    maxTokenLifetimeSeconds: 7200,
    keys: { fetchTimeoutMs: 800, cooldownSeconds: 10 },
    cacheKeyScope: 'token',
    logProfile: 'pseudonymous',
    pseudonymKey: { secretArn: SECRET_ARN },
    denyList: { tableName: 'deny-list', region: 'eu-west-1', refreshSeconds: 30, whenUnavailable: 'deny', endpoint: 'https://vpce-1.dynamodb.eu-west-1.vpce.amazonaws.com' },
  });
  const VALUES: unknown[] = [
    undefined, null, true, false, 0, 1, -1, 1.5, 60, 100, 301, 1e4, 31_536_001, '', 'x', 'a b', 'sig', 'enc', 'verify', 'token', 'route',
    'cognito', 'oidc', 'RSA', 'EC', 'OKP', 'oct', 'P-256', 'Ed25519', 'RS256', 'ES256', 'EdDSA', 'HS256', 'none', 'azp', 'appid', 'at+jwt', 'GET', 'ANY', 'get',
    '/items', '/items/{id}', '/items/{name}', '/a//b', '/{proxy+}/x', 'https://login.example.com', 'https://login.example.com/?q=1', 'http://evil.example',
    'https://login.example.com#f', 'x'.repeat(1025), [], ['verify'], ['RS256'], ['HS256'], [''], ['a'], {}, { x: 1 }, [{}],
    'full', 'minimal', 'pseudonymous', 'allow', 'deny', 'eu-west-1', 'deny-list', SECRET_ARN, 'https://vpce.example.com', 'https://vpce.example.com/x', 'http://127.0.0.1:1',
  ];

  /** A small deterministic generator (mulberry32), so a failure names a reproducible seed. */
  function random(seed: number): () => number {
    let state = seed;
    return () => {
      state = (state + 0x6d2b79f5) | 0;
      let t = Math.imul(state ^ (state >>> 15), 1 | state);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  /** Every object and array of a value, with itself. */
  function containers(value: unknown, into: (Record<string, unknown> | unknown[])[] = []): (Record<string, unknown> | unknown[])[] {
    if (typeof value === 'object' && value !== null) {
      into.push(value as Record<string, unknown>);
      for (const member of Object.values(value)) containers(member, into);
    }
    return into;
  }

  test('refuses every configuration parseConfig refuses, naming the same setting, and accepts the rest with the same result', () => {
    let refused = 0;
    for (let seed = 1; seed <= 3000; seed++) {
      const next = random(seed);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
      const input = FULL();
      for (let mutations = 1 + Math.floor(next() * 3); mutations > 0; mutations--) {
        const target = pick(containers(input));
        const keys = Object.keys(target);
        const key = next() < 0.15 || keys.length === 0 ? pick(['scope', 'd', 'x5u', 'kind', 'keys', 'discovery', 'audiences', 'contains', 'equals', '0']) : pick(keys);
        const value = next() < 0.3 ? pick(containers(FULL())) : pick(VALUES);
        if (value === undefined && !Array.isArray(target)) delete (target as Record<string, unknown>)[key];
        else (target as Record<string, unknown>)[key] = value;
      }
      let full: AuthorizerConfig | ConfigError;
      try {
        full = parseConfig(input);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        full = error as ConfigError;
      }
      if (full instanceof ConfigError) {
        refused++;
        const path = full.message.slice(0, full.message.indexOf(': '));
        let lean: unknown;
        try {
          lean = parseRuntimeConfig(input);
        } catch (error) {
          lean = error;
        }
        // A static key holding both a private and another unknown member may be named by either.
        expect({ seed, refused: lean instanceof ConfigError }).toEqual({ seed, refused: true });
        if (!/\.keys\[\d+\]\.[a-z_]+$/.test(path)) {
          expect({ seed, message: (lean as ConfigError).message }).toEqual({ seed, message: `${path}: invalid setting` });
        }
      } else {
        expect({ seed, lean: parseRuntimeConfig(input) }).toEqual({ seed, lean: full });
      }
    }
    // Both outcomes are well represented, so the agreement is not vacuous.
    expect(refused).toBeGreaterThan(1000);
    expect(refused).toBeLessThan(2900);
  });

  test('never echoes a value, private key material included', () => {
    const input = issuer({ discovery: undefined, keys: [{ kty: 'RSA', kid: 'k', n: 'abc', e: 'AQAB', d: 'secret-exponent' }] });
    expect(() => parseRuntimeConfig(input)).toThrow(new ConfigError('issuers[1].keys[0].d: invalid setting'));
  });
});

describe('readConfigSources', () => {
  test('happy flow: merges the sources without validating them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'authorizer-config-'));
    try {
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ version: 1, routes: 'not validated here' }));
      expect(readConfigSources({ [CONFIG_ENV_VAR]: JSON.stringify({ version: 2 }) }, dir)).toEqual({ version: 2, routes: 'not validated here' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('loadConfig', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'authorizer-config-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('happy flow: config.json and the environment variable are merged by top-level key, the environment winning', () => {
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ version: 1, routes: ROUTES, clockSkewSeconds: 10, issuers: [OIDC] }));
    const env = { [CONFIG_ENV_VAR]: JSON.stringify({ issuers: [COGNITO], clockSkewSeconds: 30 }) };
    expect(loadConfig(env, dir)).toMatchObject({ version: 1, routes: [{ path: '/items' }, { path: '/items' }], clockSkewSeconds: 30, issuers: [COGNITO] });
  });

  test('happy flow: the environment variable alone is enough', () => {
    expect(loadConfig({ [CONFIG_ENV_VAR]: JSON.stringify(base()) }, dir).issuers).toEqual([COGNITO]);
  });

  test('happy flow: config.json alone is enough', () => {
    writeFileSync(join(dir, 'config.json'), JSON.stringify(base()));
    expect(loadConfig({}, dir).routes).toHaveLength(2);
  });

  test('throws when neither source exists', () => {
    expect(() => loadConfig({}, dir)).toThrow(
      new ConfigError(`configuration: none found: neither ${join(dir, 'config.json')} nor the SECURE_API_AUTHORIZER_CONFIG environment variable is set`),
    );
  });

  test('throws when the environment variable is not JSON', () => {
    const error = (() => {
      try {
        loadConfig({ [CONFIG_ENV_VAR]: '{version:1}' }, dir);
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('accepted');
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.code).toBe('ERR_CONFIG');
    expect(error.message).toMatch(/^SECURE_API_AUTHORIZER_CONFIG: must be valid JSON \(/);
  });

  test('throws when config.json is a JSON array', () => {
    writeFileSync(join(dir, 'config.json'), '[1]');
    expect(() => loadConfig({}, dir)).toThrow(new ConfigError('config.json: must be a JSON object'));
  });

  test('throws with the merged setting path when the merged configuration is invalid', () => {
    writeFileSync(join(dir, 'config.json'), JSON.stringify(base()));
    expect(() => loadConfig({ [CONFIG_ENV_VAR]: JSON.stringify({ clockSkewSeconds: 900 }) }, dir)).toThrow(
      new ConfigError('clockSkewSeconds: must be an integer from 0 to 300 seconds (received: 900)'),
    );
  });
});
