/**
 * The tokens `secure-api probe` attacks an API with: for an issuer the API trusts, a valid access token
 * for the positive cases, and the forged, stale, misdirected and malformed ones that every protected route
 * must answer with 401 and an RFC 6750 challenge. Each hostile token differs from a valid one in exactly
 * one way, so a route that accepts it shows which check is missing. All signing is `node:crypto` over the
 * exact bytes written: nothing normalises a token before it is sent.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8725 (JWT best current practices: the attacks below)
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3 (the challenge a 401 carries)
 */
import { createHmac, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';

/** The issuer a probe signs for: the API trusts its key (the local stage's, or a key the user supplies). */
export interface ProbeIssuer {
  /** `iss` of its tokens. */
  readonly issuer: string;
  /** `cognito` tokens carry `token_use` and `client_id`; `oidc` tokens `aud` and `client_id` (RFC 9068). */
  readonly kind: 'cognito' | 'oidc';
  /** A client id the API accepts. */
  readonly clientId: string;
  /** An audience the API accepts (OIDC issuers that check audiences). */
  readonly audience?: string;
  /** The RS256 signing key and its `kid`, as published in the issuer's key set. */
  readonly signingKey: { readonly kid: string; readonly privateKey: KeyObject };
}

/** What a hostile token must get. */
export interface HostileToken {
  /** A stable id, for reports and JUnit test names: `alg-none`, `expired`... */
  readonly id: string;
  /** What is wrong with it, in a sentence. */
  readonly description: string;
  /** The `Authorization` header sent, or undefined for none at all. */
  readonly authorization: string | undefined;
}

const base64url = (value: string | Buffer): string => Buffer.from(value).toString('base64url');

/** A compact JWS over exactly these header and claims, signed by `signer` (or unsigned). */
function jws(header: Record<string, unknown>, claims: Record<string, unknown>, signer: (input: string) => string): string {
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  return `${input}.${signer(input)}`;
}

const rs256 = (privateKey: KeyObject) => (input: string): string => sign('sha256', Buffer.from(input), privateKey).toString('base64url');

/**
 * The claims of a valid access token of `issuer` with `scopes`, issued at `now` (epoch seconds) for
 * five minutes.
 */
export function accessTokenClaims(issuer: ProbeIssuer, scopes: readonly string[], now: number): Record<string, unknown> {
  const common = { iss: issuer.issuer, sub: `secure-api-probe-${randomUUID()}`, client_id: issuer.clientId, scope: scopes.join(' '), iat: now, exp: now + 300, jti: randomUUID() };
  return issuer.kind === 'cognito' ? { ...common, token_use: 'access' } : { ...common, ...(issuer.audience !== undefined ? { aud: issuer.audience } : {}) };
}

/** A valid access token of `issuer` with `scopes`, issued at `now` (epoch seconds). */
export function validAccessToken(issuer: ProbeIssuer, scopes: readonly string[], now: number): string {
  const header = { alg: 'RS256', kid: issuer.signingKey.kid, ...(issuer.kind === 'oidc' ? { typ: 'at+jwt' } : {}) };
  return jws(header, accessTokenClaims(issuer, scopes, now), rs256(issuer.signingKey.privateKey));
}

/**
 * Every hostile token for `issuer`, each carrying `scopes` (those of the route under attack, so that
 * only the defect can be the reason for a refusal).
 * @param issuer the issuer whose valid tokens the hostile ones imitate
 * @param scopes the scopes every token carries
 * @param now epoch seconds
 * @param publicKeyPem the issuer's public key in PEM, for the key-confusion attack (HS256 keyed with it)
 */
export function hostileTokens(issuer: ProbeIssuer, scopes: readonly string[], now: number, publicKeyPem: string): HostileToken[] {
  const { kid, privateKey } = issuer.signingKey;
  const header = { alg: 'RS256', kid, ...(issuer.kind === 'oidc' ? { typ: 'at+jwt' } : {}) };
  const claims = accessTokenClaims(issuer, scopes, now);
  const signed = (h: Record<string, unknown>, c: Record<string, unknown>): string => jws(h, c, rs256(privateKey));
  const bearer = (token: string): string => `Bearer ${token}`;
  const valid = signed(header, claims);
  const [validHeader, , validSignature] = valid.split('.');
  const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const wrongClient = issuer.kind === 'cognito' ? { client_id: `${issuer.clientId}x` } : { aud: 'https://another-api.example', client_id: `${issuer.clientId}x` };
  return [
    { id: 'no-token', description: 'no Authorization header', authorization: undefined },
    { id: 'empty-bearer', description: 'the Bearer scheme without a token', authorization: 'Bearer ' },
    { id: 'not-a-jwt', description: 'a Bearer token that is not a JWS', authorization: 'Bearer secure-api-probe' },
    { id: 'basic-scheme', description: 'the valid token under the Basic scheme', authorization: `Basic ${valid}` },
    { id: 'two-tokens', description: 'two Bearer tokens in one header', authorization: `${bearer(valid)}, ${bearer(valid)}` },
    { id: 'alg-none', description: 'alg none, no signature (RFC 8725 section 2.1)', authorization: bearer(jws({ alg: 'none', kid }, claims, () => '')) },
    {
      id: 'hs256-public-key',
      description: "HS256 keyed with the issuer's public key (key confusion, RFC 8725 section 2.1)",
      authorization: bearer(jws({ ...header, alg: 'HS256' }, claims, (input) => createHmac('sha256', publicKeyPem).update(input).digest('base64url'))),
    },
    { id: 'foreign-key', description: "signed by another key under the issuer's kid", authorization: bearer(jws(header, claims, rs256(stranger))) },
    { id: 'unknown-kid', description: 'a kid the issuer does not publish', authorization: bearer(signed({ ...header, kid: `${kid}-unknown` }, claims)) },
    { id: 'tampered-payload', description: 'the valid signature over a payload with one more scope', authorization: bearer(`${validHeader}.${base64url(JSON.stringify({ ...claims, scope: `${claims.scope as string} admin`.trim() }))}.${validSignature}`) },
    { id: 'expired', description: 'expired an hour ago', authorization: bearer(signed(header, { ...claims, iat: now - 7200, exp: now - 3600 })) },
    { id: 'not-yet-valid', description: 'nbf an hour ahead', authorization: bearer(signed(header, { ...claims, nbf: now + 3600 })) },
    { id: 'issued-in-future', description: 'iat an hour ahead', authorization: bearer(signed(header, { ...claims, iat: now + 3600, exp: now + 3900 })) },
    { id: 'wrong-issuer', description: 'iss of another issuer, signed with the trusted key', authorization: bearer(signed(header, { ...claims, iss: `${issuer.issuer.replace(/\/$/, '')}-evil` })) },
    { id: 'wrong-client', description: issuer.kind === 'cognito' ? 'a client id the API does not accept' : 'an audience and client the API does not accept', authorization: bearer(signed(header, { ...claims, ...wrongClient })) },
    {
      id: 'id-token',
      description: issuer.kind === 'cognito' ? 'an ID token (token_use id) used as an access token' : 'an ID token (typ id_token+jwt) used as an access token',
      authorization: bearer(issuer.kind === 'cognito' ? signed(header, { ...claims, token_use: 'id', aud: issuer.clientId, client_id: undefined }) : signed({ ...header, typ: 'id_token+jwt' }, claims)),
    },
    { id: 'no-sub', description: 'no sub claim', authorization: bearer(signed(header, { ...claims, sub: undefined })) },
    { id: 'long-lived', description: 'a lifetime of a year', authorization: bearer(signed(header, { ...claims, exp: now + 365 * 86400 })) },
  ];
}

/** The hostile tokens that only the issuer's signing key (or, for key confusion, its public key) can make. */
export const SIGNING_KEY_TOKENS: ReadonlySet<string> = new Set([
  'hs256-public-key',
  'unknown-kid',
  'expired',
  'not-yet-valid',
  'issued-in-future',
  'wrong-issuer',
  'wrong-client',
  'id-token',
  'no-sub',
  'long-lived',
]);

const decodePart = (part: string | undefined): Record<string, unknown> => {
  try {
    const value: unknown = JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
};

/**
 * The hostile tokens a probe can make from a real access token of the issuer, without its signing key:
 * the malformed ones, the valid token under the wrong scheme or twice, `alg: none` and a foreign key over
 * its claims, and its signature over a payload with one more scope. Those of {@link SIGNING_KEY_TOKENS}
 * come back with `authorization` undefined and `needsSigningKey` set: they are not sent.
 * @param issued a real access token with the scopes of the route under attack
 */
export function hostileTokensFromIssued(issued: string): Array<HostileToken & { readonly needsSigningKey?: true }> {
  const [issuedHeader, issuedPayload, issuedSignature] = issued.split('.');
  const header = decodePart(issuedHeader);
  const claims = decodePart(issuedPayload);
  const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const keyless: Readonly<Record<string, string | undefined>> = {
    'no-token': undefined,
    'empty-bearer': 'Bearer ',
    'not-a-jwt': 'Bearer secure-api-probe',
    'basic-scheme': `Basic ${issued}`,
    'two-tokens': `Bearer ${issued}, Bearer ${issued}`,
    'alg-none': `Bearer ${jws({ alg: 'none', kid: header.kid }, claims, () => '')}`,
    'foreign-key': `Bearer ${jws(header, claims, rs256(stranger))}`,
    'tampered-payload': `Bearer ${issuedHeader}.${base64url(JSON.stringify({ ...claims, scope: `${typeof claims.scope === 'string' ? claims.scope : ''} admin`.trim() }))}.${issuedSignature}`,
  };
  // The descriptions and order of the signed set; the placeholder key signs nothing that is sent.
  const placeholder: ProbeIssuer = { issuer: typeof claims.iss === 'string' ? claims.iss : '', kind: 'cognito', clientId: '', signingKey: { kid: '', privateKey: stranger } };
  return hostileTokens(placeholder, [], 0, '').map((token) =>
    SIGNING_KEY_TOKENS.has(token.id) ? { ...token, authorization: undefined, needsSigningKey: true as const } : { ...token, authorization: keyless[token.id] },
  );
}
