import { SignJWT, type JWTPayload } from 'jose';
import type { IssuerConfig, JwsAlgorithm } from '../../lambda/contract/config-types';
import { AuthorizerError, KeyNotFoundError, TokenRejectedError } from '../../lambda/errors';
import { createKeySet } from '../../lambda/keys';
import { extractBearerToken, MAX_TOKEN_LENGTH, TokenVerifier, type VerifyTrace } from '../../lambda/verify';
import { testKey, type TestKey } from '../fixtures/keys';
import { RawJson, signEncoded, signJws } from '../fixtures/tokens';

const NOW_MS = Date.UTC(2030, 0, 15, 12, 0, 0);
const NOW = NOW_MS / 1000;
const COGNITO_ISS = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Verify1';
const OIDC_ISS = 'https://login.example.test/realms/api';
const EDDSA_ISS = 'https://edge.example.test';
const OKTA_ISS = 'https://okta.example.test/oauth2/default';
const ENTRA_ISS = 'https://login.microsoftonline.example.test/tenant-1/v2.0';

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
    { kind: 'oidc', issuer: EDDSA_ISS, algorithms: ['EdDSA'], audienceCheck: false, clientIds: ['edge-client'], clientIdClaim: 'azp', keys: [ed.publicJwk] },
    // Okta names the client in `cid` and sends `scp` as an array; Entra ID names it in `azp`. No typ required.
    { kind: 'oidc', issuer: OKTA_ISS, algorithms: ['EdDSA'], audiences: ['api://default'], clientIdClaim: 'cid', keys: [ed.publicJwk] },
    { kind: 'oidc', issuer: ENTRA_ISS, algorithms: ['EdDSA'], audiences: ['api://orders'], clientIdClaim: 'azp', keys: [ed.publicJwk] },
  ];
}

function verifier(options: { clockSkewSeconds?: number; maxTokenAgeSeconds?: number; maxTokenLifetimeSeconds?: number } = {}): TokenVerifier {
  const keyOptions = { fetch: () => Promise.reject(new Error('no network in unit tests')), now: () => NOW_MS, fetchTimeoutMs: 100, maxAgeSeconds: 900, cooldownSeconds: 30, graceSeconds: 3600 };
  return new TokenVerifier(
    issuers().map((config) => ({ config, algorithms: config.algorithms ?? ['RS256'], keySet: createKeySet(config, keyOptions) })),
    { clockSkewSeconds: options.clockSkewSeconds ?? 60, maxTokenAgeSeconds: options.maxTokenAgeSeconds, maxTokenLifetimeSeconds: options.maxTokenLifetimeSeconds, now: () => NOW_MS },
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
    ['scp that is a number', { scp: 7 as unknown as string[] }, { typ: 'at+jwt' }, 'INVALID_CLAIM'],
    ['scp that is an object', { scp: { 0: 'parts:read' } as unknown as string[] }, { typ: 'at+jwt' }, 'INVALID_CLAIM'],
    ['scp holding a number', { scp: ['parts:read', 7] as unknown as string[] }, { typ: 'at+jwt' }, 'INVALID_CLAIM'],
    ['no sub (RFC 9068 section 2.2)', { sub: undefined }, { typ: 'at+jwt' }, 'MISSING_CLAIM'],
    ['no client_id (RFC 9068 section 2.2)', { client_id: undefined }, { typ: 'at+jwt' }, 'MISSING_CLAIM'],
    ['an empty client_id', { client_id: '' }, { typ: 'at+jwt' }, 'INVALID_CLAIM'],
    ["typ 'at+jwt' as a number", {}, { typ: 7 }, 'MALFORMED_TOKEN'],
    ['an audience array with a number', { aud: ['https://api.example.test', 7 as unknown as string] }, { typ: 'at+jwt' }, 'INVALID_CLAIM'],
    ['neither sub nor client_id', { sub: undefined, client_id: undefined }, { typ: 'at+jwt' }, 'MISSING_CLAIM'],
  ])('error flow: %s is rejected', async (_name, overrides, header, reason) => {
    expect((await tokenRejection(await sign(ec, oidcClaims(overrides), header))).reason).toBe(reason);
  });

  test("error flow: a token naming its client only in 'azp' is missing 'client_id' where the issuer names no other claim", async () => {
    const error = await tokenRejection(await sign(ec, oidcClaims({ client_id: undefined, azp: 'svc-client' }), { typ: 'at+jwt' }));
    expect(error.reason).toBe('MISSING_CLAIM');
    expect(error.message).toBe("the token has no 'client_id'");
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

describe('TokenVerifier: finite times and a bounded lifetime', () => {
  /** A Cognito token whose payload is exactly `json` (JSON.stringify cannot write 1e309). */
  const rawToken = (json: string): string => signJws(rsa, { alg: 'RS256', kid: rsa.kid }, new RawJson(json));
  const withTime = (name: string, literal: string): string => {
    const claims = JSON.stringify(cognitoClaims({ [name]: undefined }));
    return rawToken(`${claims.slice(0, -1)},"${name}":${literal}}`);
  };

  test.each<[string, string, string]>([
    ['exp', '1e309', 'Infinity never expires'],
    ['iat', '-1e309', 'an iat of -Infinity would pass every age check'],
    ['nbf', '-1e309', 'an nbf of -Infinity'],
    ['exp', '1.7976931348623157e309', 'a larger overflow'],
  ])("error flow: '%s' %s is not a finite number (%s)", async (name, literal) => {
    expect(Number.isFinite(JSON.parse(literal))).toBe(false);
    const error = await tokenRejection(withTime(name, literal));
    expect(error.reason).toBe('INVALID_CLAIM');
    expect(error.message).toBe(`the token '${name}' is not a finite number`);
  });

  test('happy flow: the largest finite exp within the lifetime cap is a number like any other', async () => {
    await expect(verifier().verify(withTime('exp', String(NOW - 10 + 86_400)))).resolves.toBeDefined();
  });

  test('happy flow: by default a token may live one day (Cognito access tokens live at most one day)', async () => {
    await expect(verifier().verify(await sign(rsa, cognitoClaims({ iat: NOW - 10, exp: NOW - 10 + 86_400 })))).resolves.toBeDefined();
  });

  test('error flow: by default a token minted to live one day and a second is refused, however young', async () => {
    const error = await tokenRejection(await sign(rsa, cognitoClaims({ iat: NOW - 10, exp: NOW - 10 + 86_401 })));
    expect(error.reason).toBe('LIFETIME_TOO_LONG');
    expect(error.verifiedClaims?.sub).toBe('user-123');
  });

  test('error flow: a token minted to live ten years is refused (exp far in the future)', async () => {
    expect((await tokenRejection(await sign(rsa, cognitoClaims({ exp: NOW + 10 * 365 * 86_400 })))).reason).toBe('LIFETIME_TOO_LONG');
  });

  test('error flow: maxTokenLifetimeSeconds sets the cap', async () => {
    const v = verifier({ maxTokenLifetimeSeconds: 3600 });
    await expect(v.verify(await sign(rsa, cognitoClaims({ iat: NOW, exp: NOW + 3600 })))).resolves.toBeDefined();
    expect((await tokenRejection(await sign(rsa, cognitoClaims({ iat: NOW, exp: NOW + 3601 })), v)).reason).toBe('LIFETIME_TOO_LONG');
  });
});

describe('TokenVerifier: typ without a required type (RFC 8725 section 3.11)', () => {
  test.each<[string, unknown]>([
    ['no typ', undefined],
    ["'JWT'", 'JWT'],
    ["'jwt'", 'jwt'],
    ["'application/jwt'", 'application/jwt'],
    ["'at+jwt'", 'at+jwt'],
    ["'AT+JWT'", 'AT+JWT'],
    ["'application/at+jwt'", 'application/at+jwt'],
  ])('happy flow: %s is an access token type', async (_name, typ) => {
    await expect(verifier().verify(await sign(rsa, cognitoClaims(), { typ }))).resolves.toBeDefined();
  });

  test.each(['dpop+jwt', 'logout+jwt', 'secevent+jwt', 'id_token+jwt', 'application/dpop+jwt', 'DPoP+JWT', 'JOSE', 'JWS', 'token-introspection+jwt', ''])(
    "error flow: typ '%s' names another kind of JWT and is refused",
    async (typ) => {
      const error = await tokenRejection(await sign(rsa, cognitoClaims(), { typ }));
      expect(error.reason).toBe('UNEXPECTED_TYP');
      expect(error.verifiedClaims).toBeUndefined();
    },
  );

  test.each<[string, unknown]>([
    ['a number', 1],
    ['an array', ['JWT']],
    ['null', null],
    ['an object', { media: 'at+jwt' }],
  ])('error flow: a typ that is %s is malformed', async (_name, typ) => {
    expect((await tokenRejection(signJws(rsa, { alg: 'RS256', kid: rsa.kid, typ }, cognitoClaims()))).reason).toBe('MALFORMED_TOKEN');
  });
});

describe('TokenVerifier: sub and the client claim are required', () => {
  const edClaims = (iss: string, aud: string, overrides: JWTPayload = {}): JWTPayload => ({ iss, aud, sub: 'user-9', iat: NOW, exp: NOW + 300, ...overrides });

  test.each<[string, JWTPayload, string]>([
    ['a Cognito client-credentials token without sub', { sub: undefined }, 'MISSING_CLAIM'],
    ['a Cognito token with an empty sub', { sub: '' }, 'INVALID_CLAIM'],
  ])('error flow: %s is refused', async (_name, overrides, reason) => {
    expect((await tokenRejection(await sign(rsa, cognitoClaims(overrides)))).reason).toBe(reason);
  });

  test("happy flow: an Okta-style token names its client in 'cid' and its scopes in an 'scp' array", async () => {
    const verified = await verifier().verify(await sign(ed, edClaims(OKTA_ISS, 'api://default', { cid: '0oa1okta', scp: ['catalog.read', 'openid'] })));
    expect(verified).toMatchObject({ sub: 'user-9', clientId: '0oa1okta' });
    expect([...verified.scopes]).toEqual(['catalog.read', 'openid']);
  });

  test("happy flow: an Entra-style token names its client in 'azp' and its scopes in a space-separated 'scp' string", async () => {
    const verified = await verifier().verify(await sign(ed, edClaims(ENTRA_ISS, 'api://orders', { azp: 'entra-app', scp: 'Orders.Read  Orders.Write' })));
    expect(verified.clientId).toBe('entra-app');
    expect([...verified.scopes]).toEqual(['Orders.Read', 'Orders.Write']);
  });

  test("error flow: the configured client claim is the only one: 'client_id' does not stand in for a missing 'cid'", async () => {
    const error = await tokenRejection(await sign(ed, edClaims(OKTA_ISS, 'api://default', { client_id: '0oa1okta' })));
    expect(error.reason).toBe('MISSING_CLAIM');
    expect(error.message).toBe("the token has no 'cid'");
  });

  test.each<[string, unknown]>([
    ['a number', 7],
    ['an array', ['entra-app']],
    ['an empty string', ''],
  ])("error flow: an 'azp' client claim that is %s is invalid", async (_name, azp) => {
    expect((await tokenRejection(await sign(ed, edClaims(ENTRA_ISS, 'api://orders', { azp } as JWTPayload)))).reason).toBe('INVALID_CLAIM');
  });

  test("happy flow: a Cognito token's 'scp' grants nothing (Cognito scopes are in 'scope' only)", async () => {
    const verified = await verifier().verify(await sign(rsa, cognitoClaims({ scope: 'items:read', scp: 'admin' })));
    expect([...verified.scopes]).toEqual(['items:read']);
  });
});

describe('TokenVerifier: synchronous verification with node:crypto', () => {
  const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const edgeClaims = (): JWTPayload => ({ iss: EDDSA_ISS, sub: 'user-9', azp: 'edge-client', iat: NOW, exp: NOW + 300 });

  test('happy flow: with the key at hand, verifyNow answers without a promise', async () => {
    const v = verifier();
    const token = await sign(rsa, cognitoClaims());
    const first = v.verifyNow(token);
    expect(first).not.toBeInstanceOf(Promise);
    expect((first as Awaited<ReturnType<TokenVerifier['verify']>>).sub).toBe('user-123');
  });

  test('error flow: with the key at hand, verifyNow throws the rejection at once', async () => {
    const token = await sign(rsa, cognitoClaims({ exp: NOW - 3600, iat: NOW - 7200 }));
    expect(() => verifier().verifyNow(token)).toThrow(TokenRejectedError);
  });

  test('verifyBearer checks the Authorization value once and verifies its token as verifyNow does', async () => {
    const v = verifier();
    const token = await sign(rsa, cognitoClaims());
    expect(v.verifyBearer(`bEaReR ${token}`)).toMatchObject({ sub: 'user-123' });
    for (const [authorization, reason] of [
      [undefined, 'MISSING_TOKEN'],
      [`Bearer  ${token}`, 'MALFORMED_TOKEN'],
      [`Bearer ${token} `, 'MALFORMED_TOKEN'],
      [`Bearer ${token.replace('.', '+')}`, 'MALFORMED_TOKEN'],
      [`Bearer ${token}.x`, 'MALFORMED_TOKEN'],
      [`Bearer ${'a'.repeat(MAX_TOKEN_LENGTH)}.b.c`, 'TOKEN_TOO_LARGE'],
    ] as const) {
      let error: unknown;
      try {
        v.verifyBearer(authorization);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(TokenRejectedError);
      expect((error as TokenRejectedError).reason).toBe(reason);
    }
  });

  test('happy flow: a key set with only getKey (WebCrypto keys) still works, through a promise', async () => {
    const config = issuers()[0]!;
    const keySet = createKeySet(config, { fetch: () => Promise.reject(new Error('none')), now: () => NOW_MS, fetchTimeoutMs: 100, maxAgeSeconds: 900, cooldownSeconds: 30, graceSeconds: 3600 });
    const legacy = { getKey: (kid: string, alg: JwsAlgorithm) => keySet.getKey(kid, alg) };
    const v = new TokenVerifier([{ config, algorithms: ['RS256'], keySet: legacy }], { clockSkewSeconds: 60, now: () => NOW_MS });
    const pending = v.verifyNow(await sign(rsa, cognitoClaims()));
    expect(pending).toBeInstanceOf(Promise);
    expect((await pending).sub).toBe('user-123');
    expect((await tokenRejection(await sign(rsaOther, cognitoClaims(), { kid: rsa.kid }), v)).reason).toBe('BAD_SIGNATURE');
  });

  test('error flow: a key set handing out a key that does not fit the alg gets UNKNOWN_KID, not a crash', async () => {
    const config = issuers()[0]!;
    const wrong = createKeySet({ ...config, keys: [ec.publicJwk] }, { fetch: () => Promise.reject(new Error('none')), now: () => NOW_MS, fetchTimeoutMs: 100, maxAgeSeconds: 900, cooldownSeconds: 30, graceSeconds: 3600 });
    const v = new TokenVerifier([{ config, algorithms: ['RS256'], keySet: { getKey: () => wrong.getKey(ec.kid, 'ES256') } }], { clockSkewSeconds: 60, now: () => NOW_MS });
    const error = await rejection(await sign(rsa, cognitoClaims()), v);
    expect(error).toBeInstanceOf(KeyNotFoundError);
    expect(error.reason).toBe('UNKNOWN_KID');
  });

  test.each<[string, (token: string) => string, string]>([
    // The same bytes as the genuine signature, spelt another way: refused for the spelling.
    ['the unused bits of the last signature character set', (t) => `${t.slice(0, -1)}${B64URL[B64URL.indexOf(t.at(-1)!) | 1]}`, 'MALFORMED_TOKEN'],
    ['a signature one character past a whole group', (t) => `${t}AAA`, 'MALFORMED_TOKEN'],
    ['a signature one byte short', (t) => t.replace(/\.([^.]*)$/, (_m, s: string) => `.${Buffer.from(s, 'base64url').subarray(1).toString('base64url')}`), 'BAD_SIGNATURE'],
  ])('error flow: %s is refused', async (_name, edit, reason) => {
    const token = await sign(ed, edgeClaims());
    expect(verifier().verifyNow(token)).toMatchObject({ sub: 'user-9' });
    expect((await tokenRejection(edit(token))).reason).toBe(reason);
  });

  test('error flow: a JOSE header in non-canonical base64url is refused even when signed so', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'RS256', kid: rsa.kid })).toString('base64url');
    const tail = header.length % 4;
    expect(tail).not.toBe(0);
    const dirty = header.slice(0, -1) + B64URL[B64URL.indexOf(header.at(-1)!) | 1];
    const token = signEncoded(rsa, `${dirty}.${Buffer.from(JSON.stringify(cognitoClaims())).toString('base64url')}`, 'RS256');
    const error = await tokenRejection(token);
    expect(error.reason).toBe('MALFORMED_TOKEN');
    expect(error.message).toBe('the JOSE header is not canonical base64url');
  });

  test('happy flow: a flood of distinct headers is refused or verified alike and never outgrows the header cache', async () => {
    const v = verifier();
    for (let i = 0; i < 200; i++) {
      // Distinct headers: each a fresh, unknown kid; then a genuine token still verifies.
      expect((await rejection(await sign(rsa, cognitoClaims(), { kid: `flood-${i}` }), v)).reason).toBe('UNKNOWN_KID');
    }
    expect((v as unknown as { headers: Map<string, unknown> }).headers.size).toBeLessThanOrEqual(64);
    expect((await v.verify(await sign(rsa, cognitoClaims()))).sub).toBe('user-123');
  });

  test('happy flow: a remembered header still gets its issuer checks (alg allow-list, typ) on every token', async () => {
    const v = verifier();
    // The same ES256 header (kid of the OIDC key, typ at+jwt) for two issuers: accepted by the one that takes ES256 only.
    const header = { typ: 'at+jwt' };
    expect((await v.verify(await sign(ec, oidcClaims(), header))).sub).toBe('svc-7');
    expect((await tokenRejection(await sign(ec, cognitoClaims(), header), v)).reason).toBe('UNSUPPORTED_ALG');
  });
});
