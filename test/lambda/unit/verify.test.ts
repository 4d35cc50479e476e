import { SignJWT, type JWTPayload } from 'jose';
import type { IssuerConfig, JwsAlgorithm } from '../../../lambda/config-types';
import { AuthorizerError, KeyNotFoundError, TokenRejectedError } from '../../../lambda/errors';
import { createKeySet } from '../../../lambda/keys';
import { extractBearerToken, MAX_TOKEN_LENGTH, TokenVerifier, type VerifyTrace } from '../../../lambda/verify';
import { testKey, type TestKey } from '../../fixtures/keys';
import { RawJson, signJws } from '../../fixtures/tokens';

const NOW_MS = Date.UTC(2030, 0, 15, 12, 0, 0);
const NOW = NOW_MS / 1000;
const COGNITO_ISS = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Verify1';
const OIDC_ISS = 'https://login.example.test/realms/api';
const EDDSA_ISS = 'https://edge.example.test';

let rsa: TestKey;
let rsaOther: TestKey;
let ec: TestKey;
let ed: TestKey;

beforeAll(async () => {
  [rsa, rsaOther, ec, ed] = await Promise.all([testKey('RS256'), testKey('RS256', 'other'), testKey('ES256'), testKey('EdDSA')]);
});

function issuers(): IssuerConfig[] {
  return [
    { kind: 'cognito', issuer: COGNITO_ISS, clientIds: ['app-client'], keys: [rsa.publicJwk] },
    { kind: 'oidc', issuer: OIDC_ISS, algorithms: ['ES256'], audiences: ['https://api.example.test'], requiredTyp: 'at+jwt', keys: [ec.publicJwk] },
    { kind: 'oidc', issuer: EDDSA_ISS, algorithms: ['EdDSA'], audienceCheck: false, clientIds: ['edge-client'], keys: [ed.publicJwk] },
  ];
}

function verifier(options: { clockSkewSeconds?: number; maxTokenAgeSeconds?: number } = {}): TokenVerifier {
  const keyOptions = { fetch: () => Promise.reject(new Error('no network in unit tests')), now: () => NOW_MS, fetchTimeoutMs: 100, maxAgeSeconds: 900, cooldownSeconds: 30, graceSeconds: 3600 };
  return new TokenVerifier(
    issuers().map((config) => ({ config, algorithms: config.algorithms ?? ['RS256'], keySet: createKeySet(config, keyOptions) })),
    { clockSkewSeconds: options.clockSkewSeconds ?? 60, maxTokenAgeSeconds: options.maxTokenAgeSeconds, now: () => NOW_MS },
  );
}

function sign(key: TestKey, claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, ...header } as { alg: JwsAlgorithm }).sign(key.privateKey);
}

const cognitoClaims = (overrides: JWTPayload = {}): JWTPayload => ({
  iss: COGNITO_ISS,
  sub: 'user-123',
  client_id: 'app-client',
  token_use: 'access',
  scope: 'items:read items:write',
  username: 'alice',
  'cognito:groups': ['admins', 'ops'],
  iat: NOW - 10,
  exp: NOW + 3600,
  ...overrides,
});

const oidcClaims = (overrides: JWTPayload = {}): JWTPayload => ({
  iss: OIDC_ISS,
  sub: 'svc-7',
  aud: ['https://other.example.test', 'https://api.example.test'],
  client_id: 'svc-client',
  scope: 'items:read',
  scp: ['parts:read'],
  iat: NOW,
  exp: NOW + 300,
  ...overrides,
});

/** Verifies and returns the rejection, asserting its class and code. */
async function rejection(token: string, v: TokenVerifier = verifier(), trace: VerifyTrace = {}): Promise<AuthorizerError> {
  const error = await v.verify(token, trace).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuthorizerError);
  return error as AuthorizerError;
}

async function tokenRejection(token: string, v?: TokenVerifier, trace?: VerifyTrace): Promise<TokenRejectedError> {
  const error = await rejection(token, v, trace);
  expect(error).toBeInstanceOf(TokenRejectedError);
  expect(error.code).toBe('ERR_TOKEN_REJECTED');
  expect(TokenRejectedError.code).toBe('ERR_TOKEN_REJECTED');
  return error as TokenRejectedError;
}

describe('extractBearerToken', () => {
  const jws = 'aGVhZGVy.cGF5bG9hZA.c2ln';

  test.each([
    ['the canonical scheme', `Bearer ${jws}`],
    ['a lower-case scheme (RFC 7235: case-insensitive)', `bearer ${jws}`],
    ['an upper-case scheme', `BEARER ${jws}`],
  ])('happy flow: %s yields the token', (_name, value) => {
    expect(extractBearerToken(value)).toBe(jws);
  });

  test.each<[string, string | undefined, string]>([
    ['no value', undefined, 'MISSING_TOKEN'],
    ['an empty value', '', 'MISSING_TOKEN'],
    ['a bare scheme', 'Bearer', 'MALFORMED_TOKEN'],
    ['two spaces', `Bearer  ${jws}`, 'MALFORMED_TOKEN'],
    ['a tab', `Bearer\t${jws}`, 'MALFORMED_TOKEN'],
    ['a leading space', ` Bearer ${jws}`, 'MALFORMED_TOKEN'],
    ['a trailing newline', `Bearer ${jws}\n`, 'MALFORMED_TOKEN'],
    ['two tokens', `Bearer ${jws} ${jws}`, 'MALFORMED_TOKEN'],
    ['a comma list', `Bearer ${jws}, Bearer ${jws}`, 'MALFORMED_TOKEN'],
    ['another scheme', `Basic ${jws}`, 'MALFORMED_TOKEN'],
    ['no scheme', jws, 'MALFORMED_TOKEN'],
    ['base64 padding', `Bearer ${jws}==`, 'MALFORMED_TOKEN'],
    ['two segments', 'Bearer aGVhZGVy.cGF5bG9hZA', 'MALFORMED_TOKEN'],
    ['five segments (JWE)', 'Bearer a.b.c.d.e', 'MALFORMED_TOKEN'],
    ['a token over the size cap', `Bearer ${'a'.repeat(MAX_TOKEN_LENGTH)}.b.c`, 'TOKEN_TOO_LARGE'],
  ])('error flow: %s is rejected', (_name, value, reason) => {
    let error: unknown;
    try {
      extractBearerToken(value);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TokenRejectedError);
    expect((error as TokenRejectedError).code).toBe('ERR_TOKEN_REJECTED');
    expect((error as TokenRejectedError).reason).toBe(reason);
  });
});

describe('TokenVerifier with a Cognito issuer (RS256)', () => {
  test('happy flow: an access token verifies and exposes its identity', async () => {
    const verified = await verifier().verify(await sign(rsa, cognitoClaims()));
    expect(verified).toMatchObject({ sub: 'user-123', clientId: 'app-client', tokenUse: 'access', username: 'alice', groups: ['admins', 'ops'] });
    expect([...verified.scopes]).toEqual(['items:read', 'items:write']);
    expect(verified.issuer.config.issuer).toBe(COGNITO_ISS);
    expect(Object.isFrozen(verified.claims)).toBe(true);
  });

  test('happy flow: a client-credentials token (sub is the client id, no username) verifies', async () => {
    const verified = await verifier().verify(await sign(rsa, cognitoClaims({ sub: 'app-client', username: undefined, 'cognito:groups': undefined })));
    expect(verified).toMatchObject({ sub: 'app-client', clientId: 'app-client' });
    expect(verified.username).toBeUndefined();
    expect(verified.groups).toBeUndefined();
  });

  test("happy flow: 'cognito:username' is the username when 'username' is absent", async () => {
    expect((await verifier().verify(await sign(rsa, cognitoClaims({ username: undefined, 'cognito:username': 'bob' })))).username).toBe('bob');
  });

  test('happy flow: exp and nbf within the clock skew are accepted', async () => {
    await expect(verifier().verify(await sign(rsa, cognitoClaims({ exp: NOW - 59, nbf: NOW + 59 })))).resolves.toBeDefined();
  });

  test("happy flow: scopes hidden under '__proto__' grant nothing and pollute nothing", async () => {
    const token = signJws(rsa, { alg: 'RS256', kid: rsa.kid }, new RawJson(JSON.stringify(cognitoClaims({ scope: undefined })).replace(/}$/, ',"__proto__":{"scope":"admin"}}')));
    const verified = await verifier().verify(token);
    expect(verified.scopes.size).toBe(0);
    expect(({} as Record<string, unknown>).scope).toBeUndefined();
  });

  test.each<[string, JWTPayload, string]>([
    ['an expired token', { exp: NOW - 61 }, 'EXPIRED'],
    ['a token not yet valid', { nbf: NOW + 61 }, 'NOT_YET_VALID'],
    ['a token issued in the future', { iat: NOW + 61 }, 'ISSUED_IN_FUTURE'],
    ['a token without exp', { exp: undefined }, 'MISSING_CLAIM'],
    ['a token without iat', { iat: undefined }, 'MISSING_CLAIM'],
    ['an exp that is a string', { exp: String(NOW + 60) as unknown as number }, 'INVALID_CLAIM'],
    ['a scope that is an array', { scope: ['items:read'] as unknown as string }, 'INVALID_CLAIM'],
    ['groups that are a string', { 'cognito:groups': 'admins' }, 'INVALID_CLAIM'],
    ['a sub that is a number', { sub: 42 as unknown as string }, 'INVALID_CLAIM'],
    ['an ID token', { token_use: 'id', aud: 'app-client' }, 'WRONG_TOKEN_USE'],
    ['no token_use', { token_use: undefined }, 'MISSING_CLAIM'],
    ['a foreign client', { client_id: 'other-client' }, 'WRONG_CLIENT'],
    ['no client_id', { client_id: undefined }, 'MISSING_CLAIM'],
  ])('error flow: %s is rejected', async (_name, overrides, reason) => {
    const error = await tokenRejection(await sign(rsa, cognitoClaims(overrides)));
    expect(error.reason).toBe(reason);
    // Every one of these was found after the signature verified: the claims are there for the log.
    expect(error.verifiedClaims?.sub).toBe(overrides.sub ?? 'user-123');
  });

  test('error flow: with no clock skew, a token expiring now is expired', async () => {
    expect((await tokenRejection(await sign(rsa, cognitoClaims({ exp: NOW })), verifier({ clockSkewSeconds: 0 }))).reason).toBe('EXPIRED');
  });

  test('error flow: a token older than maxTokenAgeSeconds is too old', async () => {
    const v = verifier({ maxTokenAgeSeconds: 300 });
    await expect(v.verify(await sign(rsa, cognitoClaims({ iat: NOW - 300 })))).resolves.toBeDefined();
    expect((await tokenRejection(await sign(rsa, cognitoClaims({ iat: NOW - 400 })), v)).reason).toBe('TOO_OLD');
  });

  test('error flow: a signature by another key under the trusted kid is a bad signature, with no claims exposed', async () => {
    const error = await tokenRejection(await sign(rsaOther, cognitoClaims(), { kid: rsa.kid }));
    expect(error.reason).toBe('BAD_SIGNATURE');
    expect(error.verifiedClaims).toBeUndefined();
  });

  test('error flow: an unknown kid is a KeyNotFoundError', async () => {
    const trace: VerifyTrace = {};
    const error = await rejection(await sign(rsaOther, cognitoClaims()), verifier(), trace);
    expect(error).toBeInstanceOf(KeyNotFoundError);
    expect(error.code).toBe('ERR_KEY_NOT_FOUND');
    expect(error.reason).toBe('UNKNOWN_KID');
    expect(trace.issuer?.issuer).toBe(COGNITO_ISS);
  });

  test('error flow: a token without kid is refused', async () => {
    expect((await tokenRejection(await sign(rsa, cognitoClaims(), { kid: undefined }))).reason).toBe('UNKNOWN_KID');
  });

  test.each(['jku', 'x5u', 'jwk', 'x5c', 'crit', 'b64'])("error flow: a '%s' header is forbidden before any key lookup", async (name) => {
    const token = signJws(rsa, { alg: 'RS256', kid: rsa.kid, [name]: name === 'crit' ? ['exp'] : name === 'b64' ? false : name === 'x5c' ? ['MIIB'] : 'https://evil.example' }, cognitoClaims());
    expect((await tokenRejection(token)).reason).toBe('FORBIDDEN_HEADER');
  });

  test.each(['none', 'HS256', 'RS1', 'hs256'])("error flow: alg '%s' is unsupported", async (alg) => {
    const token = signJws(rsa, { alg, kid: rsa.kid }, cognitoClaims(), { signingAlg: 'RS256' });
    expect((await tokenRejection(token)).reason).toBe('UNSUPPORTED_ALG');
  });

  test('error flow: an allowed algorithm of another issuer is unsupported for this one, after the issuer is known', async () => {
    const trace: VerifyTrace = {};
    expect((await tokenRejection(await sign(ec, cognitoClaims()), verifier(), trace)).reason).toBe('UNSUPPORTED_ALG');
    expect(trace.issuer?.issuer).toBe(COGNITO_ISS);
  });

  test.each<[string, unknown, string]>([
    ['a JSON array', [cognitoClaims()], 'MALFORMED_TOKEN'],
    ['a JSON string', 'claims', 'MALFORMED_TOKEN'],
    ['JSON null', null, 'MALFORMED_TOKEN'],
    ['not JSON', new RawJson('{"iss":'), 'MALFORMED_TOKEN'],
  ])('error flow: a payload that is %s is malformed', async (_name, payload, reason) => {
    expect((await tokenRejection(signJws(rsa, { alg: 'RS256', kid: rsa.kid }, payload as RawJson))).reason).toBe(reason);
  });

  test('error flow: an unconfigured issuer is rejected before any key lookup and leaves no issuer in the trace', async () => {
    const trace: VerifyTrace = {};
    expect((await tokenRejection(await sign(rsa, cognitoClaims({ iss: `${COGNITO_ISS}/` })), verifier(), trace)).reason).toBe('UNKNOWN_ISSUER');
    expect(trace.issuer).toBeUndefined();
  });

  test('error flow: a token without iss is missing a claim', async () => {
    expect((await tokenRejection(await sign(rsa, cognitoClaims({ iss: undefined })))).reason).toBe('MISSING_CLAIM');
  });
});

describe('TokenVerifier with OIDC issuers (ES256, EdDSA)', () => {
  test('happy flow: an RFC 9068 token with an audience array verifies; scope and scp are merged', async () => {
    const verified = await verifier().verify(await sign(ec, oidcClaims(), { typ: 'at+jwt' }));
    expect([...verified.scopes].sort()).toEqual(['items:read', 'parts:read']);
    expect(verified).toMatchObject({ sub: 'svc-7', clientId: 'svc-client' });
  });

  test("happy flow: typ 'application/AT+JWT' satisfies 'at+jwt'", async () => {
    await expect(verifier().verify(await sign(ec, oidcClaims(), { typ: 'application/AT+JWT' }))).resolves.toBeDefined();
  });

  test('happy flow: EdDSA with the audience check off and the client named by azp', async () => {
    const verified = await verifier().verify(await sign(ed, { iss: EDDSA_ISS, azp: 'edge-client', sub: 'device-1', iat: NOW, exp: NOW + 60 }));
    expect(verified).toMatchObject({ sub: 'device-1', clientId: 'edge-client' });
  });

  test.each<[string, JWTPayload, Record<string, unknown>, string]>([
    ['another audience', { aud: 'https://other.example.test' }, { typ: 'at+jwt' }, 'WRONG_AUDIENCE'],
    ['no audience', { aud: undefined }, { typ: 'at+jwt' }, 'MISSING_CLAIM'],
    ["typ 'JWT'", {}, { typ: 'JWT' }, 'WRONG_TYP'],
    ['no typ', {}, {}, 'WRONG_TYP'],
    ['scp that is a string', { scp: 'parts:read' as unknown as string[] }, { typ: 'at+jwt' }, 'INVALID_CLAIM'],
    ['an audience array with a number', { aud: ['https://api.example.test', 7 as unknown as string] }, { typ: 'at+jwt' }, 'INVALID_CLAIM'],
    ['neither sub nor client_id', { sub: undefined, client_id: undefined }, { typ: 'at+jwt' }, 'MISSING_CLAIM'],
  ])('error flow: %s is rejected', async (_name, overrides, header, reason) => {
    expect((await tokenRejection(await sign(ec, oidcClaims(overrides), header))).reason).toBe(reason);
  });

  test('error flow: a client outside clientIds is rejected', async () => {
    expect((await tokenRejection(await sign(ed, { iss: EDDSA_ISS, azp: 'intruder', sub: 'x', iat: NOW, exp: NOW + 60 }))).reason).toBe('WRONG_CLIENT');
  });

  test("error flow: a token naming one issuer cannot use another issuer's key", async () => {
    const claims = { iss: EDDSA_ISS, azp: 'edge-client', sub: 'x', iat: NOW, exp: NOW + 60 };
    // The kid of the Cognito key is not in the EdDSA issuer's own key set.
    const foreignKid = await rejection(signJws(rsa, { alg: 'EdDSA', kid: rsa.kid }, claims, { signingAlg: 'RS256' }));
    expect(foreignKid).toBeInstanceOf(KeyNotFoundError);
    // The EdDSA issuer's kid, but an ES256 signature by another issuer's key.
    expect((await tokenRejection(signJws(ec, { alg: 'EdDSA', kid: ed.kid }, claims, { signingAlg: 'ES256' }))).reason).toBe('BAD_SIGNATURE');
  });
});
