/**
 * Hostile and malformed requests against the real authorizer, with real keys and a real JWKS endpoint.
 * Each case states the exact outcome the client must see (401 through a rejection with exactly
 * `Unauthorized`, 403 through a policy that denies the called method ARN, or 200 for the few controls that
 * prove the table is not vacuous), the decision-log reason, and that no fragment of the token or the
 * Authorization header reached the log. Every case runs as a TOKEN and as a REQUEST event unless it only
 * makes sense for one of them.
 */
import { createAuthorizer, type ReasonCode } from '../../lambda';
import type { AuthorizerConfig } from '../../lambda/contract/config-types';
import { cognitoIssuerConfig, oidcIssuerConfig, testConfig } from '../fixtures/config';
import { answerProblems, evaluatePolicy, methodArn, requestEvent, tokenEvent, type AuthorizerEvent, type PolicyDecision } from '../fixtures/events';
import { startJwksServer, type JwksServer } from '../fixtures/jwks-server';
import { jwksOf, testKey, type TestKey } from '../fixtures/keys';
import { findLeaks, LogCapture } from '../fixtures/logs';
import {
  COGNITO_ISSUER,
  RawJson,
  TEST_AUDIENCE,
  cognitoAccessToken,
  cognitoAccessTokenClaims,
  cognitoIdToken,
  encodeSegment,
  hmacJws,
  jwtAccessToken,
  signEncoded,
  signJws,
  unsignedJws,
  type CognitoTokenOptions,
  type JwtAccessTokenOptions,
  type Members,
} from '../fixtures/tokens';

/** The authorizer's clock for this file: tokens are minted relative to it, never to the wall clock. */
const NOW_MS = Date.UTC(2030, 0, 15, 12, 0, 0);
const NOW = NOW_MS / 1000;
const PARTNER_ISSUER = 'https://login.partner.example.test';

interface Ctx {
  /** The Cognito pool's RS256 key (served by the JWKS server). */
  cognito: TestKey;
  /** An ES256 key the Cognito JWKS also serves, although the issuer accepts RS256 only. */
  cognitoEc: TestKey;
  /** The second trusted issuer's key (static `keys`, ES256). */
  partner: TestKey;
  /** A key nobody trusts. */
  attacker: TestKey;
  /** Serves the attacker's key: the authorizer must never call it. */
  attackerServer: JwksServer;
}

type Expected = 200 | 401 | 403;

interface HostileCase {
  /** Completes 'error flow: <name>' / 'happy flow: <name>'. */
  readonly name: string;
  readonly expected: Expected;
  /** Acceptable decision-log reasons (several where the order of checks legitimately decides). */
  readonly reason: ReasonCode | ReasonCode[];
  /** The Authorization header value. */
  readonly authorization: (ctx: Ctx) => string;
  /** The request; defaults to GET /items/{id}. */
  readonly route?: { method: string; resource: string };
  /** Restricts the case to one event type. */
  readonly only?: 'TOKEN' | 'REQUEST';
  /** Builds the event from the Authorization value instead of the default builder. */
  readonly event?: (authorization: string, ctx: Ctx) => AuthorizerEvent;
  /** Extra assertion after the outcome. */
  readonly after?: (ctx: Ctx) => void;
}

const bearer = (token: string): string => `Bearer ${token}`;
const claims = (options: CognitoTokenOptions = {}): Members => cognitoAccessTokenClaims({ now: NOW, ...options });
const access = (ctx: Ctx, options: CognitoTokenOptions = {}): string => cognitoAccessToken(ctx.cognito, { now: NOW, ...options });
const header = (key: TestKey, extra: Members = {}): Members => ({ alg: key.alg, kid: key.kid, ...extra });
const partnerToken = (ctx: Ctx, options: Partial<JwtAccessTokenOptions> = {}): string =>
  jwtAccessToken(ctx.partner, { issuer: PARTNER_ISSUER, now: NOW, ...options });
const withClaims = (ctx: Ctx, json: string): string => bearer(signJws(ctx.cognito, header(ctx.cognito), new RawJson(json)));
/** The valid claims as JSON text without the closing brace, to append hand-written members to. */
const openClaims = (overrides: Members = {}): string => JSON.stringify(claims({ claims: overrides })).slice(0, -1);
const replacePayload = (token: string, payload: Members): string => {
  const [h, , s] = token.split('.');
  return `${h}.${encodeSegment(payload)}.${s}`;
};
const issuerLookAlike = (name: string, issuer: string): HostileCase => ({
  name: `an issuer look-alike (${name}) is unauthorized`,
  expected: 401,
  reason: 'UNKNOWN_ISSUER',
  authorization: (ctx) => bearer(access(ctx, { issuer })),
});

const CASES: HostileCase[] = [
  // Controls: the same setup lets a good token through, so every refusal below is the check's doing.
  { name: 'a valid Cognito access token with the route scope is allowed', expected: 200, reason: 'ALLOW', authorization: (ctx) => bearer(access(ctx)) },
  { name: 'a valid RFC 9068 token of the second issuer is allowed', expected: 200, reason: 'ALLOW', authorization: (ctx) => bearer(partnerToken(ctx)) },
  { name: "the scheme 'bearer' in lower case is accepted (RFC 7235: schemes are case-insensitive)", expected: 200, reason: 'ALLOW', authorization: (ctx) => `bearer ${access(ctx)}` },
  { name: "typ 'application/at+jwt' satisfies a required 'at+jwt'", expected: 200, reason: 'ALLOW', authorization: (ctx) => bearer(partnerToken(ctx, { header: { typ: 'application/at+jwt' } })) },
  { name: "typ 'AT+JWT' satisfies a required 'at+jwt' (media types are case-insensitive)", expected: 200, reason: 'ALLOW', authorization: (ctx) => bearer(partnerToken(ctx, { header: { typ: 'AT+JWT' } })) },
  { name: 'an audience array that contains the API is accepted', expected: 200, reason: 'ALLOW', authorization: (ctx) => bearer(partnerToken(ctx, { audience: ['https://other.example.test', TEST_AUDIENCE] })) },

  // Algorithms (RFC 8725 section 3.1): the allow-list is the issuer's, never the token's.
  { name: 'alg none without a signature is unauthorized', expected: 401, reason: 'UNSUPPORTED_ALG', authorization: (ctx) => bearer(unsignedJws({ alg: 'none', kid: ctx.cognito.kid }, claims())) },
  {
    name: 'alg none keeping a valid signature is unauthorized',
    expected: 401,
    reason: 'UNSUPPORTED_ALG',
    authorization: (ctx) => {
      const [, payload, signature] = access(ctx).split('.');
      return bearer(`${encodeSegment({ alg: 'none', kid: ctx.cognito.kid })}.${payload}.${signature}`);
    },
  },
  { name: 'HS256 keyed with the issuer public key PEM is unauthorized', expected: 401, reason: 'UNSUPPORTED_ALG', authorization: (ctx) => bearer(hmacJws(ctx.cognito.publicPem, header(ctx.cognito, { alg: 'HS256' }), claims())) },
  {
    name: 'HS256 keyed with the issuer public JWK JSON is unauthorized',
    expected: 401,
    reason: 'UNSUPPORTED_ALG',
    authorization: (ctx) => bearer(hmacJws(JSON.stringify(ctx.cognito.publicJwk), header(ctx.cognito, { alg: 'HS256' }), claims())),
  },
  {
    name: 'HS256 keyed with the issuer RSA modulus bytes is unauthorized',
    expected: 401,
    reason: 'UNSUPPORTED_ALG',
    authorization: (ctx) => bearer(hmacJws(Buffer.from(String(ctx.cognito.publicJwk.n), 'base64url'), header(ctx.cognito, { alg: 'HS256' }), claims())),
  },
  {
    name: 'ES256 with a key the JWKS serves but the issuer does not allow is unauthorized',
    expected: 401,
    reason: 'UNSUPPORTED_ALG',
    authorization: (ctx) => bearer(cognitoAccessToken(ctx.cognitoEc, { now: NOW })),
  },
  { name: 'PS256 by the trusted RSA key is unauthorized when only RS256 is allowed', expected: 401, reason: 'UNSUPPORTED_ALG', authorization: (ctx) => bearer(access(ctx, { header: { alg: 'PS256' } })) },
  {
    name: 'an RS256 header over a PS256 signature is unauthorized',
    expected: 401,
    reason: 'BAD_SIGNATURE',
    authorization: (ctx) => bearer(signJws(ctx.cognito, header(ctx.cognito), claims(), { signingAlg: 'PS256' })),
  },

  // Keys (RFC 8725 section 3.10): only the issuer's configured key source, never keys named by the token.
  { name: 'an unknown kid is unauthorized', expected: 401, reason: 'UNKNOWN_KID', authorization: (ctx) => bearer(signJws(ctx.attacker, header(ctx.attacker), claims())) },
  { name: "the trusted kid over an attacker's signature is unauthorized", expected: 401, reason: 'BAD_SIGNATURE', authorization: (ctx) => bearer(signJws(ctx.attacker, header(ctx.cognito), claims())) },
  {
    name: "a missing kid over an attacker's signature is unauthorized",
    expected: 401,
    reason: ['UNKNOWN_KID', 'BAD_SIGNATURE', 'MALFORMED_TOKEN'],
    authorization: (ctx) => bearer(signJws(ctx.attacker, { alg: 'RS256' }, claims())),
  },
  {
    name: 'a kid with a path traversal is an unknown kid',
    expected: 401,
    reason: 'UNKNOWN_KID',
    authorization: (ctx) => bearer(signJws(ctx.attacker, header(ctx.attacker, { kid: '../../../../.well-known/jwks.json' }), claims())),
    after: (ctx) => expect(ctx.attackerServer.totalHits).toBe(0),
  },
  { name: 'a numeric kid is unauthorized', expected: 401, reason: 'MALFORMED_TOKEN', authorization: (ctx) => bearer(signJws(ctx.cognito, header(ctx.cognito, { kid: 1 }), claims())) },
  {
    name: 'a jku header pointing at an attacker key set is unauthorized and never fetched',
    expected: 401,
    reason: 'FORBIDDEN_HEADER',
    authorization: (ctx) => bearer(signJws(ctx.attacker, header(ctx.attacker, { jku: ctx.attackerServer.jwksUri }), claims())),
    after: (ctx) => expect(ctx.attackerServer.totalHits).toBe(0),
  },
  {
    name: 'an x5u header pointing at an attacker certificate is unauthorized and never fetched',
    expected: 401,
    reason: 'FORBIDDEN_HEADER',
    authorization: (ctx) => bearer(signJws(ctx.attacker, header(ctx.attacker, { x5u: `${ctx.attackerServer.url}/cert.pem` }), claims())),
    after: (ctx) => expect(ctx.attackerServer.totalHits).toBe(0),
  },
  {
    name: "an embedded jwk header with the attacker's key is unauthorized",
    expected: 401,
    reason: 'FORBIDDEN_HEADER',
    authorization: (ctx) => bearer(signJws(ctx.attacker, header(ctx.attacker, { jwk: ctx.attacker.publicJwk }), claims())),
  },
  {
    name: "an x5c header with the attacker's key is unauthorized",
    expected: 401,
    reason: 'FORBIDDEN_HEADER',
    authorization: (ctx) => {
      const der = ctx.attacker.publicPem.replace(/-----[A-Z ]+-----|\s/g, '');
      return bearer(signJws(ctx.attacker, header(ctx.attacker, { x5c: [der] }), claims()));
    },
  },
  {
    name: 'an unknown crit extension is unauthorized even when correctly signed',
    expected: 401,
    reason: 'FORBIDDEN_HEADER',
    authorization: (ctx) => bearer(signJws(ctx.cognito, header(ctx.cognito, { crit: ['urn:example:must-understand'], 'urn:example:must-understand': true }), claims())),
  },
  {
    name: 'b64 false (RFC 7797 unencoded payload) is unauthorized even when correctly signed',
    expected: 401,
    reason: 'FORBIDDEN_HEADER',
    authorization: (ctx) => bearer(signJws(ctx.cognito, header(ctx.cognito, { b64: false, crit: ['b64'] }), claims())),
  },
  {
    name: 'a token naming the second issuer but signed with the first issuer key is unauthorized',
    expected: 401,
    reason: ['UNKNOWN_KID', 'UNSUPPORTED_ALG', 'BAD_SIGNATURE'],
    authorization: (ctx) => bearer(jwtAccessToken(ctx.cognito, { issuer: PARTNER_ISSUER, now: NOW })),
  },
  {
    name: 'a token naming the second issuer, signed by the first issuer key under the second issuer kid, is unauthorized',
    expected: 401,
    reason: 'BAD_SIGNATURE',
    authorization: (ctx) => bearer(jwtAccessToken(ctx.cognitoEc, { issuer: PARTNER_ISSUER, now: NOW, header: { kid: ctx.partner.kid } })),
  },

  // Structure and encoding.
  {
    name: 'a tampered payload under the original signature is unauthorized',
    expected: 401,
    reason: 'BAD_SIGNATURE',
    route: { method: 'DELETE', resource: '/items/{id}' },
    authorization: (ctx) => bearer(replacePayload(access(ctx), claims({ scopes: ['items:read', 'items:delete'] }))),
  },
  { name: 'a truncated signature is unauthorized', expected: 401, reason: ['BAD_SIGNATURE', 'MALFORMED_TOKEN'], authorization: (ctx) => bearer(access(ctx).slice(0, -10)) },
  { name: 'a token without its signature segment is unauthorized', expected: 401, reason: 'MALFORMED_TOKEN', authorization: (ctx) => bearer(access(ctx).split('.').slice(0, 2).join('.')) },
  { name: 'a token with four segments is unauthorized', expected: 401, reason: 'MALFORMED_TOKEN', authorization: (ctx) => bearer(`${access(ctx)}.AAAA`) },
  {
    name: 'a 1 MB token is unauthorized',
    expected: 401,
    reason: 'TOKEN_TOO_LARGE',
    authorization: (ctx) => bearer(signJws(ctx.cognito, header(ctx.cognito), claims({ claims: { pad: 'x'.repeat(1024 * 1024) } }))),
  },
  {
    name: 'base64 with + and / instead of base64url is unauthorized even when correctly signed',
    expected: 401,
    reason: 'MALFORMED_TOKEN',
    authorization: (ctx) => {
      // Vary jti until the standard base64 of the payload holds '+' or '/', then sign exactly those bytes.
      for (let i = 0; ; i += 1) {
        const payload = Buffer.from(JSON.stringify(claims({ claims: { jti: `jti-${i}~?>` } }))).toString('base64').replace(/=+$/, '');
        if (/[+/]/.test(payload)) return bearer(signEncoded(ctx.cognito, `${encodeSegment(header(ctx.cognito))}.${payload}`));
      }
    },
  },
  {
    name: 'base64url with = padding is unauthorized even when correctly signed (RFC 7515 section 2)',
    expected: 401,
    reason: 'MALFORMED_TOKEN',
    authorization: (ctx) => {
      for (let i = 0; ; i += 1) {
        const payload = encodeSegment(claims({ claims: { jti: `pad-${i}` } }));
        if (payload.length % 4 !== 0) return bearer(signEncoded(ctx.cognito, `${encodeSegment(header(ctx.cognito))}.${payload}${'='.repeat(4 - (payload.length % 4))}`));
      }
    },
  },
  { name: 'a character outside base64url in the payload is unauthorized', expected: 401, reason: ['MALFORMED_TOKEN', 'BAD_SIGNATURE'], authorization: (ctx) => bearer(access(ctx).replace('.', '.!')) },
  { name: 'a header that is not JSON is unauthorized', expected: 401, reason: 'MALFORMED_TOKEN', authorization: (ctx) => bearer(`${encodeSegment(new RawJson('{"alg":"RS256",'))}.${access(ctx).split('.')[1]}.AAAA`) },
  { name: 'a JSON array payload is unauthorized', expected: 401, reason: ['MALFORMED_TOKEN', 'INVALID_CLAIM'], authorization: (ctx) => bearer(signJws(ctx.cognito, header(ctx.cognito), [claims()])) },
  { name: 'a JSON string payload is unauthorized', expected: 401, reason: ['MALFORMED_TOKEN', 'INVALID_CLAIM'], authorization: (ctx) => bearer(signJws(ctx.cognito, header(ctx.cognito), JSON.stringify(claims()))) },
  { name: 'a JSON number payload is unauthorized', expected: 401, reason: ['MALFORMED_TOKEN', 'INVALID_CLAIM'], authorization: (ctx) => bearer(signJws(ctx.cognito, header(ctx.cognito), 1893456000)) },
  { name: 'a JSON null payload is unauthorized', expected: 401, reason: ['MALFORMED_TOKEN', 'INVALID_CLAIM'], authorization: (ctx) => bearer(signJws(ctx.cognito, header(ctx.cognito), null)) },
  {
    name: 'duplicate client_id claims where the last one is foreign are unauthorized (RFC 7519 section 4)',
    expected: 401,
    reason: ['WRONG_CLIENT', 'MALFORMED_TOKEN', 'INVALID_CLAIM'],
    authorization: (ctx) => withClaims(ctx, `${openClaims()},"client_id":"attacker-client"}`),
  },
  {
    name: 'duplicate alg header members are unauthorized',
    expected: 401,
    reason: ['UNSUPPORTED_ALG', 'MALFORMED_TOKEN'],
    authorization: (ctx) => bearer(unsignedJws(new RawJson(`{"alg":"RS256","kid":"${ctx.cognito.kid}","alg":"none"}`), claims())),
  },

  // Time (RFC 8725 section 3.10 and RFC 7519): a bounded skew of 60 seconds.
  { name: 'an expired token is unauthorized', expected: 401, reason: 'EXPIRED', authorization: (ctx) => bearer(access(ctx, { now: NOW - 7200 })) },
  { name: 'a token expired just beyond the clock skew is unauthorized', expected: 401, reason: 'EXPIRED', authorization: (ctx) => bearer(access(ctx, { claims: { exp: NOW - 61 } })) },
  { name: 'a token with nbf in the future is unauthorized', expected: 401, reason: 'NOT_YET_VALID', authorization: (ctx) => bearer(access(ctx, { claims: { nbf: NOW + 3600 } })) },
  { name: 'a token with iat in the future is unauthorized', expected: 401, reason: 'ISSUED_IN_FUTURE', authorization: (ctx) => bearer(access(ctx, { claims: { iat: NOW + 3600, exp: NOW + 7200 } })) },
  { name: 'a token without exp is unauthorized', expected: 401, reason: 'MISSING_CLAIM', authorization: (ctx) => bearer(access(ctx, { claims: { exp: undefined } })) },
  { name: 'a token without iat is unauthorized', expected: 401, reason: 'MISSING_CLAIM', authorization: (ctx) => bearer(access(ctx, { claims: { iat: undefined } })) },
  { name: 'a token without sub and client_id is unauthorized', expected: 401, reason: ['MISSING_CLAIM', 'WRONG_CLIENT'], authorization: (ctx) => bearer(access(ctx, { claims: { sub: undefined, client_id: undefined } })) },
  { name: 'a client-credentials token without sub is unauthorized (RFC 9068 section 2.2)', expected: 401, reason: 'MISSING_CLAIM', authorization: (ctx) => bearer(access(ctx, { claims: { sub: undefined } })) },
  { name: 'an OIDC token without sub is unauthorized', expected: 401, reason: 'MISSING_CLAIM', authorization: (ctx) => bearer(partnerToken(ctx, { claims: { sub: undefined } })) },
  { name: "an OIDC token naming its client only in 'azp' is unauthorized", expected: 401, reason: 'MISSING_CLAIM', authorization: (ctx) => bearer(partnerToken(ctx, { claims: { client_id: undefined, azp: 'rfc9068-client' } })) },
  { name: 'a sub one character over the cap is unauthorized, never cut', expected: 401, reason: 'INVALID_CLAIM', authorization: (ctx) => bearer(access(ctx, { claims: { sub: 'a'.repeat(257) } })) },
  { name: 'a token without client_id is unauthorized', expected: 401, reason: ['MISSING_CLAIM', 'WRONG_CLIENT'], authorization: (ctx) => bearer(access(ctx, { claims: { client_id: undefined } })) },
  { name: 'exp as a string is unauthorized', expected: 401, reason: 'INVALID_CLAIM', authorization: (ctx) => bearer(access(ctx, { claims: { exp: String(NOW + 3600) } })) },
  { name: 'iat as a string is unauthorized', expected: 401, reason: 'INVALID_CLAIM', authorization: (ctx) => bearer(access(ctx, { claims: { iat: String(NOW) } })) },
  { name: 'nbf as a string is unauthorized', expected: 401, reason: 'INVALID_CLAIM', authorization: (ctx) => bearer(access(ctx, { claims: { nbf: String(NOW - 10) } })) },
  // JSON numbers beyond the double range parse to Infinity: such a token would never expire.
  { name: 'exp 1e309 (Infinity) is unauthorized', expected: 401, reason: 'INVALID_CLAIM', authorization: (ctx) => withClaims(ctx, `${openClaims({ exp: undefined })},"exp":1e309}`) },
  { name: 'iat -1e309 (-Infinity) is unauthorized', expected: 401, reason: 'INVALID_CLAIM', authorization: (ctx) => withClaims(ctx, `${openClaims({ iat: undefined })},"iat":-1e309}`) },
  { name: 'nbf -1e309 (-Infinity) is unauthorized', expected: 401, reason: 'INVALID_CLAIM', authorization: (ctx) => withClaims(ctx, `${openClaims()},"nbf":-1e309}`) },
  { name: 'a token minted to live 30 days is unauthorized while young', expected: 401, reason: 'LIFETIME_TOO_LONG', authorization: (ctx) => bearer(access(ctx, { claims: { exp: NOW + 30 * 86_400 } })) },
  { name: 'a token minted to live exactly one day is allowed', expected: 200, reason: 'ALLOW', authorization: (ctx) => bearer(access(ctx, { claims: { exp: NOW + 86_400 } })) },

  // Issuer: exact, byte for byte.
  issuerLookAlike('trailing slash', `${COGNITO_ISSUER}/`),
  issuerLookAlike('different case', COGNITO_ISSUER.replace('eu-west-1_AbCdEf123', 'eu-west-1_abcdef123')),
  issuerLookAlike('http scheme', COGNITO_ISSUER.replace('https:', 'http:')),
  issuerLookAlike('extra path', `${COGNITO_ISSUER}/extra`),
  issuerLookAlike('unicode look-alike', COGNITO_ISSUER.replace('amazonaws', 'amazon\u0430ws')),
  { name: 'an issuer given as an array is unauthorized', expected: 401, reason: ['UNKNOWN_ISSUER', 'INVALID_CLAIM'], authorization: (ctx) => bearer(access(ctx, { claims: { iss: [COGNITO_ISSUER] } })) },

  // Audience, client, token use and type.
  { name: 'a foreign client_id is unauthorized', expected: 401, reason: 'WRONG_CLIENT', authorization: (ctx) => bearer(access(ctx, { clientId: 'foreignclient0000000000000' })) },
  { name: 'a Cognito ID token used as an access token is unauthorized', expected: 401, reason: 'WRONG_TOKEN_USE', authorization: (ctx) => bearer(cognitoIdToken(ctx.cognito, { now: NOW })) },
  { name: 'a Cognito token without token_use is unauthorized', expected: 401, reason: ['WRONG_TOKEN_USE', 'MISSING_CLAIM'], authorization: (ctx) => bearer(access(ctx, { claims: { token_use: undefined } })) },
  { name: 'an OIDC token for another audience is unauthorized', expected: 401, reason: 'WRONG_AUDIENCE', authorization: (ctx) => bearer(partnerToken(ctx, { audience: 'https://other.example.test' })) },
  { name: 'an OIDC token without aud is unauthorized', expected: 401, reason: ['WRONG_AUDIENCE', 'MISSING_CLAIM'], authorization: (ctx) => bearer(partnerToken(ctx, { claims: { aud: undefined } })) },
  { name: "typ 'JWT' where 'at+jwt' is required is unauthorized", expected: 401, reason: 'WRONG_TYP', authorization: (ctx) => bearer(partnerToken(ctx, { header: { typ: 'JWT' } })) },
  { name: 'a missing typ where at+jwt is required is unauthorized', expected: 401, reason: 'WRONG_TYP', authorization: (ctx) => bearer(partnerToken(ctx, { header: { typ: undefined } })) },
  { name: 'a numeric typ where at+jwt is required is unauthorized', expected: 401, reason: 'MALFORMED_TOKEN', authorization: (ctx) => bearer(partnerToken(ctx, { header: { typ: 7 } })) },
  // Without a required type (RFC 8725 section 3.11): a correctly signed JWT of another kind is no access token.
  { name: "typ 'JWT' on a Cognito token (no type required) is allowed", expected: 200, reason: 'ALLOW', authorization: (ctx) => bearer(access(ctx, { header: { typ: 'JWT' } })) },
  { name: "typ 'dpop+jwt' (a DPoP proof) is unauthorized", expected: 401, reason: 'UNEXPECTED_TYP', authorization: (ctx) => bearer(access(ctx, { header: { typ: 'dpop+jwt' } })) },
  { name: "typ 'logout+jwt' (a logout token) is unauthorized", expected: 401, reason: 'UNEXPECTED_TYP', authorization: (ctx) => bearer(access(ctx, { header: { typ: 'logout+jwt' } })) },
  { name: "typ 'secevent+jwt' (a security event token) is unauthorized", expected: 401, reason: 'UNEXPECTED_TYP', authorization: (ctx) => bearer(access(ctx, { header: { typ: 'secevent+jwt' } })) },
  { name: "typ 'id_token+jwt' is unauthorized", expected: 401, reason: 'UNEXPECTED_TYP', authorization: (ctx) => bearer(access(ctx, { header: { typ: 'id_token+jwt' } })) },
  { name: 'a typ that is an array is unauthorized', expected: 401, reason: 'MALFORMED_TOKEN', authorization: (ctx) => bearer(access(ctx, { header: { typ: ['JWT'] } })) },

  // Scopes: exact, case-sensitive, from `scope` only.
  { name: "scope 'items:readwrite' does not satisfy 'items:read' (403)", expected: 403, reason: 'INSUFFICIENT_SCOPE', authorization: (ctx) => bearer(access(ctx, { scopes: ['items:readwrite'] })) },
  { name: "scope 'items:rea' does not satisfy 'items:read' (403)", expected: 403, reason: 'INSUFFICIENT_SCOPE', authorization: (ctx) => bearer(access(ctx, { scopes: ['items:rea'] })) },
  { name: "scope 'ITEMS:READ' does not satisfy 'items:read' (403)", expected: 403, reason: 'INSUFFICIENT_SCOPE', authorization: (ctx) => bearer(access(ctx, { scopes: ['ITEMS:READ'] })) },
  { name: 'comma-separated scopes are one unknown scope (403)', expected: 403, reason: 'INSUFFICIENT_SCOPE', authorization: (ctx) => bearer(access(ctx, { scopes: ['items:write,items:read'] })) },
  {
    name: "scopes in 'scp' instead of 'scope' grant nothing (403)",
    expected: 403,
    reason: 'INSUFFICIENT_SCOPE',
    authorization: (ctx) => bearer(access(ctx, { claims: { scope: undefined, scp: ['items:read'] } })),
  },
  {
    name: "scopes hidden in a '__proto__' member grant nothing and pollute nothing (403)",
    expected: 403,
    reason: 'INSUFFICIENT_SCOPE',
    authorization: (ctx) => withClaims(ctx, `${openClaims({ scope: undefined })},"__proto__":{"scope":"items:read","isAdmin":true}}`),
    after: () => expect(({} as Record<string, unknown>).scope).toBeUndefined(),
  },
  {
    name: "scopes hidden in 'constructor.prototype' grant nothing and pollute nothing (403)",
    expected: 403,
    reason: 'INSUFFICIENT_SCOPE',
    authorization: (ctx) => withClaims(ctx, `${openClaims({ scope: undefined })},"constructor":{"prototype":{"scope":"items:read"}}}`),
    after: () => expect(({} as Record<string, unknown>).scope).toBeUndefined(),
  },
  {
    name: 'a valid token on a route that needs another scope is denied (403)',
    expected: 403,
    reason: 'INSUFFICIENT_SCOPE',
    route: { method: 'POST', resource: '/items' },
    authorization: (ctx) => bearer(access(ctx)),
  },
  {
    name: 'a valid token on a route that is not in the table is unauthorized (401): nothing policy-shaped is cached',
    expected: 401,
    reason: 'NO_ROUTE',
    route: { method: 'GET', resource: '/admin' },
    authorization: (ctx) => bearer(access(ctx, { scopes: ['items:read', 'items:write', 'items:delete'] })),
  },

  // The Authorization header (RFC 6750 section 2.1): exactly one `Bearer <token>`.
  { name: "a token without the 'Bearer' scheme is unauthorized", expected: 401, reason: 'MALFORMED_TOKEN', authorization: (ctx) => access(ctx) },
  { name: 'Basic credentials are unauthorized', expected: 401, reason: 'MALFORMED_TOKEN', authorization: () => `Basic ${Buffer.from('admin:correct-horse-battery').toString('base64')}` },
  { name: "a bare 'Bearer' is unauthorized", expected: 401, reason: ['MALFORMED_TOKEN', 'MISSING_TOKEN'], authorization: () => 'Bearer' },
  { name: "'Bearer ' with an empty token is unauthorized", expected: 401, reason: ['MALFORMED_TOKEN', 'MISSING_TOKEN'], authorization: () => 'Bearer ' },
  { name: 'an empty Authorization value is unauthorized', expected: 401, reason: 'MISSING_TOKEN', authorization: () => '' },
  { name: 'two comma-separated bearer tokens are unauthorized', expected: 401, reason: 'MALFORMED_TOKEN', authorization: (ctx) => `${bearer(access(ctx))}, ${bearer(access(ctx))}` },
  { name: 'two space-separated tokens are unauthorized', expected: 401, reason: 'MALFORMED_TOKEN', authorization: (ctx) => `${bearer(access(ctx))} ${access(ctx)}` },
  { name: 'a CRLF-injected header after the token is unauthorized', expected: 401, reason: 'MALFORMED_TOKEN', authorization: (ctx) => `${bearer(access(ctx))}\r\nX-Scope: items:write` },
  { name: 'a token followed by a newline is unauthorized', expected: 401, reason: 'MALFORMED_TOKEN', authorization: (ctx) => `${bearer(access(ctx))}\n` },
  {
    name: 'two Authorization values in multiValueHeaders are unauthorized',
    expected: 401,
    reason: 'MALFORMED_TOKEN',
    only: 'REQUEST',
    authorization: (ctx) => bearer(access(ctx)),
    event: (authorization, ctx) => {
      const other = bearer(access(ctx, { scopes: ['items:read', 'items:delete'] }));
      return requestEvent({ authorization, multiValueHeaders: { Authorization: [other, authorization] } });
    },
  },
  {
    name: 'Authorization and authorization headers with different tokens are unauthorized',
    expected: 401,
    reason: 'MALFORMED_TOKEN',
    only: 'REQUEST',
    authorization: (ctx) => bearer(access(ctx)),
    event: (authorization, ctx) => requestEvent({ authorization, headers: { authorization: bearer(access(ctx, { scopes: ['items:delete'] })) } }),
  },
  {
    name: 'an authorization header name in lower case (HTTP/2) is read',
    expected: 200,
    reason: 'ALLOW',
    only: 'REQUEST',
    authorization: (ctx) => bearer(access(ctx)),
    event: (authorization) => requestEvent({ headers: { authorization } }),
  },
  {
    name: 'a REQUEST event without headers is unauthorized',
    expected: 401,
    reason: 'MISSING_TOKEN',
    only: 'REQUEST',
    authorization: () => '',
    event: () => ({ ...requestEvent(), headers: null, multiValueHeaders: null }),
  },

  // The event itself.
  {
    name: 'a malformed methodArn is unauthorized',
    expected: 401,
    reason: 'MALFORMED_EVENT',
    only: 'TOKEN',
    authorization: (ctx) => bearer(access(ctx)),
    event: (authorization) => tokenEvent(authorization, 'arn:aws:execute-api:eu-west-1:123456789012:abc123defg'),
  },
  {
    name: 'a methodArn of another service is unauthorized',
    expected: 401,
    reason: 'MALFORMED_EVENT',
    only: 'TOKEN',
    authorization: (ctx) => bearer(access(ctx)),
    event: (authorization) => tokenEvent(authorization, 'arn:aws:lambda:eu-west-1:123456789012:function:items/prod/GET/items/42'),
  },
];

/** Every Authorization value an event carries, in any header spelling: none may reach the log. */
function authorizationValues(event: AuthorizerEvent): string[] {
  if (event.type === 'TOKEN') return [event.authorizationToken];
  const single = Object.entries(event.headers ?? {}).filter(([name]) => name.toLowerCase() === 'authorization').map(([, value]) => value);
  const multi = Object.entries(event.multiValueHeaders ?? {}).filter(([name]) => name.toLowerCase() === 'authorization').flatMap(([, values]) => values);
  return [...single, ...multi];
}

const ctx = {} as Ctx;
let cognitoServer: JwksServer;
let config: AuthorizerConfig;

beforeAll(async () => {
  const [cognito, cognitoEc, partner, attacker] = await Promise.all([testKey('RS256'), testKey('ES256', 'cognito-ec'), testKey('ES256', 'partner'), testKey('RS256', 'attacker')]);
  Object.assign(ctx, { cognito, cognitoEc, partner, attacker });
  cognitoServer = await startJwksServer({ keys: jwksOf(cognito, cognitoEc).keys });
  ctx.attackerServer = await startJwksServer({ keys: jwksOf(attacker).keys });
  config = testConfig([cognitoIssuerConfig({ jwksUri: cognitoServer.jwksUri }), oidcIssuerConfig(PARTNER_ISSUER, { keys: [partner.publicJwk] })]);
});

afterAll(async () => {
  await Promise.all([cognitoServer?.close(), ctx.attackerServer?.close()]);
});

test('the hostile table holds at least 40 distinct refusals', () => {
  expect(CASES.filter((c) => c.expected !== 200).length).toBeGreaterThanOrEqual(40);
  expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
});

describe.each(['TOKEN', 'REQUEST'] as const)('%s authorizer', (type) => {
  const cases = CASES.filter((c) => c.only === undefined || c.only === type).map((c) => [`${c.expected === 200 ? 'happy' : 'error'} flow: ${c.name}`, c] as const);

  test.each(cases)('%s', async (_title, c) => {
    const logs = new LogCapture();
    const authorizer = createAuthorizer(config, { now: () => NOW_MS, log: logs.log });
    const authorization = c.authorization(ctx);
    const route = c.route ?? { method: 'GET', resource: '/items/{id}' };
    const path = route.resource.replace(/\{[^}]+\}/g, '42');
    const event =
      c.event?.(authorization, ctx) ??
      (type === 'TOKEN' ? tokenEvent(authorization, methodArn(route.method, path)) : requestEvent({ method: route.method, resource: route.resource, path, authorization }));

    const outcome = await authorizer.handle(event, { awsRequestId: 'req-hostile-1' }).then(
      (answer: unknown) => ({ answer }),
      (error: unknown) => ({ error }),
    );

    let status: Expected | 500;
    let decision: PolicyDecision | undefined;
    if ('error' in outcome) {
      expect(outcome.error).toBeInstanceOf(Error);
      expect((outcome.error as Error).message).toBe('Unauthorized');
      status = 401;
    } else {
      expect(answerProblems(outcome.answer)).toEqual([]);
      decision = evaluatePolicy((outcome.answer as { policyDocument: Parameters<typeof evaluatePolicy>[0] }).policyDocument, event.methodArn);
      status = decision === 'allow' ? 200 : 403;
    }
    expect(status).toBe(c.expected);
    // A 403 is an explicit Deny of the called ARN ("Deny for the rest"), not an Allow that misses it.
    if (c.expected === 403) expect(decision).toBe('explicit-deny');

    const decisions = logs.decisions();
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({ requestId: 'req-hostile-1', decision: { 200: 'allow', 401: 'unauthorized', 403: 'deny' }[c.expected] });
    expect([c.reason].flat()).toContain(decisions[0]?.reason);
    expect(logs.unstructured()).toEqual([]);
    expect(findLeaks(logs.lines, [authorization, ...authorizationValues(event)])).toEqual([]);
    c.after?.(ctx);
  });
});
