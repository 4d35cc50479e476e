/**
 * The authorizer against a real, non-Cognito issuer: panva's oidc-provider in a child process on
 * 127.0.0.1, issuing RFC 9068 JWT access tokens through the client-credentials grant. The authorizer finds
 * the keys through OIDC discovery, as it would for any issuer, and has never seen them before.
 */
import { createAuthorizer } from '../../lambda';
import type { AuthorizerConfig } from '../../lambda/contract/config-types';
import { cognitoIssuerConfig, oidcIssuerConfig, testConfig } from '../fixtures/config';
import { ApiGatewaySimulator } from '../fixtures/events';
import { testKey } from '../fixtures/keys';
import { findLeaks, LogCapture } from '../fixtures/logs';
import { DEFAULT_OIDC_CLIENT, startOidcIssuer, type OidcIssuer } from '../fixtures/oidc-issuer';
import { TEST_AUDIENCE, decodePayload } from '../fixtures/tokens';

const OTHER_AUDIENCE = 'https://other-api.example.test';
const READER = { client_id: 'reader-client', client_secret: 'reader-secret-0123456789abcdef', scope: 'items:read' };

let issuer: OidcIssuer;

beforeAll(async () => {
  issuer = await startOidcIssuer({ clients: [DEFAULT_OIDC_CLIENT, READER] });
});

afterAll(async () => {
  await issuer?.stop();
});

/** A gateway in front of a fresh authorizer for `config`, with its log. */
function gatewayFor(config: AuthorizerConfig) {
  const logs = new LogCapture();
  const authorizer = createAuthorizer(config, { log: logs.log });
  const gateway = new ApiGatewaySimulator((event) => authorizer.handle(event, { awsRequestId: 'req-oidc' }), { type: 'TOKEN', ttlSeconds: 0 });
  return { gateway, logs };
}

function trustingIssuer(overrides: Parameters<typeof oidcIssuerConfig>[2] = {}): AuthorizerConfig {
  return testConfig([oidcIssuerConfig(issuer.issuer, { discovery: true }, overrides)]);
}

test('oidc-provider issues RFC 9068 JWT access tokens with an audience', async () => {
  const token = await issuer.clientCredentialsToken({ scope: 'items:read', resource: TEST_AUDIENCE });
  const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  expect(header).toMatchObject({ typ: 'at+jwt', alg: 'ES256' });
  expect(decodePayload(token)).toMatchObject({ iss: issuer.issuer, aud: TEST_AUDIENCE, client_id: DEFAULT_OIDC_CLIENT.client_id, scope: 'items:read' });
});

test('happy flow: real oidc-provider tokens are allowed on the routes their scopes grant, keys found by discovery once', async () => {
  const { gateway, logs } = gatewayFor(trustingIssuer());
  const reader = await issuer.clientCredentialsToken({ scope: 'items:read', resource: TEST_AUDIENCE });
  const writer = await issuer.clientCredentialsToken({ scope: 'items:read items:write', resource: TEST_AUDIENCE });
  const before = await issuer.hits();

  const statuses = {
    readItem: (await gateway.request({ method: 'GET', resource: '/items/{id}', authorization: `Bearer ${reader}` })).status,
    readList: (await gateway.request({ method: 'GET', resource: '/items', authorization: `Bearer ${reader}` })).status,
    readerCreates: (await gateway.request({ method: 'POST', resource: '/items', authorization: `Bearer ${reader}` })).status,
    writerCreates: (await gateway.request({ method: 'POST', resource: '/items', authorization: `Bearer ${writer}` })).status,
    writerDeletes: (await gateway.request({ method: 'DELETE', resource: '/items/{id}', authorization: `Bearer ${writer}` })).status,
  };
  expect(statuses).toEqual({ readItem: 200, readList: 200, readerCreates: 403, writerCreates: 200, writerDeletes: 403 });

  const after = await issuer.hits();
  const fetched = (path: string): number => (after[path] ?? 0) - (before[path] ?? 0);
  expect({ discovery: fetched('/.well-known/openid-configuration'), jwks: fetched('/jwks') }).toEqual({ discovery: 1, jwks: 1 });

  const decisions = logs.decisions();
  expect(decisions.map((d) => d.decision)).toEqual(['allow', 'allow', 'deny', 'allow', 'deny']);
  expect(decisions[0]).toMatchObject({ issuer: issuer.issuer, clientId: DEFAULT_OIDC_CLIENT.client_id, reason: 'ALLOW' });
  expect(findLeaks(logs.lines, [reader, writer])).toEqual([]);
});

test('happy flow: the clientIds check of an OIDC issuer admits only the listed clients', async () => {
  const { gateway, logs } = gatewayFor(trustingIssuer({ clientIds: [READER.client_id] }));
  const reader = await issuer.clientCredentialsToken({ client: READER, scope: 'items:read', resource: TEST_AUDIENCE });
  const other = await issuer.clientCredentialsToken({ scope: 'items:read', resource: TEST_AUDIENCE });
  expect((await gateway.request({ method: 'GET', resource: '/items/{id}', authorization: `Bearer ${reader}` })).status).toBe(200);
  expect((await gateway.request({ method: 'GET', resource: '/items/{id}', authorization: `Bearer ${other}` })).status).toBe(401);
  expect(logs.decisions()[1]?.reason).toBe('WRONG_CLIENT');
});

test('happy flow: real tokens carry sub and client_id (RFC 9068 section 2.2); the principal is the sub, exactly', async () => {
  const { gateway, logs } = gatewayFor(trustingIssuer());
  const token = await issuer.clientCredentialsToken({ scope: 'items:read', resource: TEST_AUDIENCE });
  const claims = decodePayload(token);
  expect(claims).toMatchObject({ sub: expect.any(String), client_id: DEFAULT_OIDC_CLIENT.client_id });
  expect((await gateway.request({ method: 'GET', resource: '/items/{id}', authorization: `Bearer ${token}` })).status).toBe(200);
  expect(logs.decisions()[0]).toMatchObject({ sub: claims.sub, clientId: DEFAULT_OIDC_CLIENT.client_id });
});

test("happy flow: without a required typ, real 'at+jwt' tokens are access tokens", async () => {
  const { gateway, logs } = gatewayFor(trustingIssuer({ requiredTyp: undefined }));
  const token = await issuer.clientCredentialsToken({ scope: 'items:read', resource: TEST_AUDIENCE });
  expect((await gateway.request({ method: 'GET', resource: '/items/{id}', authorization: `Bearer ${token}` })).status).toBe(200);
  expect(logs.decisions()[0]?.reason).toBe('ALLOW');
});

test("error flow: an issuer whose client claim is set to 'azp' refuses real tokens that name their client in client_id only", async () => {
  const { gateway, logs } = gatewayFor(trustingIssuer({ clientIdClaim: 'azp' }));
  const token = await issuer.clientCredentialsToken({ scope: 'items:read', resource: TEST_AUDIENCE });
  expect(decodePayload(token).azp).toBeUndefined();
  expect((await gateway.request({ method: 'GET', resource: '/items/{id}', authorization: `Bearer ${token}` })).status).toBe(401);
  expect(logs.decisions()[0]).toMatchObject({ reason: 'MISSING_CLAIM', clientId: null });
});

test('error flow: a real token for another resource server is refused with WRONG_AUDIENCE', async () => {
  const { gateway, logs } = gatewayFor(trustingIssuer());
  const token = await issuer.clientCredentialsToken({ scope: 'items:read', resource: OTHER_AUDIENCE });
  expect(decodePayload(token).aud).toBe(OTHER_AUDIENCE);
  expect((await gateway.request({ method: 'GET', resource: '/items/{id}', authorization: `Bearer ${token}` })).status).toBe(401);
  expect(logs.decisions()[0]?.reason).toBe('WRONG_AUDIENCE');
  expect(findLeaks(logs.lines, [token])).toEqual([]);
});

test('error flow: an opaque access token (no resource indicator) is refused as malformed', async () => {
  const { gateway, logs } = gatewayFor(trustingIssuer());
  const opaque = await issuer.clientCredentialsToken({ scope: 'items:read' });
  expect(opaque.split('.')).toHaveLength(1);
  expect((await gateway.request({ method: 'GET', resource: '/items/{id}', authorization: `Bearer ${opaque}` })).status).toBe(401);
  expect(logs.decisions()[0]?.reason).toBe('MALFORMED_TOKEN');
  expect(findLeaks(logs.lines, [opaque])).toEqual([]);
});

test('error flow: real oidc-provider tokens are refused by a configuration that does not trust their issuer', async () => {
  const cognito = await testKey('RS256');
  const { gateway, logs } = gatewayFor(testConfig([cognitoIssuerConfig({ keys: [cognito.publicJwk] })]));
  const token = await issuer.clientCredentialsToken({ scope: 'items:read items:write', resource: TEST_AUDIENCE });
  const before = await issuer.hits();
  expect((await gateway.request({ method: 'GET', resource: '/items/{id}', authorization: `Bearer ${token}` })).status).toBe(401);
  expect(logs.decisions()[0]).toMatchObject({ reason: 'UNKNOWN_ISSUER', issuer: null });
  // An untrusted issuer is never contacted: its URL comes from the token.
  expect(await issuer.hits()).toEqual(before);
});

test('error flow: pinned keys that are not the issuer keys refuse its real tokens', async () => {
  const stale = await testKey('ES256', 'stale');
  const { gateway, logs } = gatewayFor(testConfig([oidcIssuerConfig(issuer.issuer, { keys: [stale.publicJwk] })]));
  const token = await issuer.clientCredentialsToken({ scope: 'items:read', resource: TEST_AUDIENCE });
  expect((await gateway.request({ method: 'GET', resource: '/items/{id}', authorization: `Bearer ${token}` })).status).toBe(401);
  expect(logs.decisions()[0]?.reason).toBe('UNKNOWN_KID');
});
