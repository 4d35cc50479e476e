/**
 * Differential test: the runtime's verifier (synchronous `node:crypto`) against `jose`'s `jwtVerify`, the
 * verifier it replaced, configured alike: the same keys (a local JWK set, selected by kid and alg), the same
 * algorithms, issuer, audience, clock, skew and required claims, and the same `typ` where the issuer requires
 * one. Every algorithm family is covered with real keys.
 *
 * Every token, from a fixed list of hostile cases and from fast-check (fixed seed), must get the same answer
 * from both, or be refused by ours only for one of the reasons in {@link STRICTER}, each checked on the token
 * itself. Ours accepting a token `jose` refuses fails the test, whatever the reason.
 */
import fc from 'fast-check';
import { constants, generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { base64url, createLocalJWKSet, jwtVerify, type JWTVerifyOptions } from 'jose';
import type { IssuerConfig, JwsAlgorithm, PublicJwk } from '../../lambda/contract/config-types';
import { SUPPORTED_ALGORITHMS } from '../../lambda/contract/config';
import { AuthorizerError } from '../../lambda/errors';
import { createKeySet } from '../../lambda/keys';
import { MAX_TOKEN_LENGTH, TokenVerifier } from '../../lambda/verify';
import { testKey, type TestKey } from '../fixtures/keys';
import { b64url, hmacJws, RawJson, signEncoded, signJws, unsignedJws, type Members, type Segment } from '../fixtures/tokens';

const SEED = 0xd1ff;
const SIGNED_RUNS = 1500;
const MUTATED_RUNS = 1500;
const NOW_MS = Date.UTC(2030, 0, 15, 12, 0, 0);
const NOW = NOW_MS / 1000;
const SKEW = 60;
/** Every algorithm, no `typ` required. */
const ISS = 'https://diff.example.test';
/** ES256 and EdDSA, `typ: at+jwt` required. */
const TYPED_ISS = 'https://typed.example.test';
const AUDIENCE = 'api://diff';
const ACCESS_TYPES = new Set(['application/jwt', 'application/at+jwt']);

/**
 * Where ours refuses what `jose` accepts, and why. A token `jose` accepts and ours refuses must show one of
 * these on its face (see {@link stricterReasons}); no other difference is allowed.
 */
const STRICTER = {
  size: `a token over ${MAX_TOKEN_LENGTH} characters: refused before any parsing`,
  encoding:
    "segments that are not exactly canonical base64url (RFC 7515 section 2): jose's decoder (atob) skips whitespace and '=' padding and ignores the unused low bits of the last character, so one signature would have several spellings",
  forbiddenHeader:
    "jku, x5u, jwk, x5c, crit or b64 in the JOSE header (RFC 8725 section 3.10): jose ignores the first four, honours crit ['b64'] with b64: true, and ignores b64 outside crit",
  kid: "no kid, or a kid that is not a string of 1 to 256 characters: jose's local key set then takes the one key that fits the alg",
  rsaLength:
    'an RSA signature shorter than the modulus (RFC 8017 section 8.2.2: exactly as long): jose accepts a PS* signature whose leading zero byte was dropped',
  typ: 'a typ that is not a string, or that names another kind of JWT than an access token (RFC 8725 section 3.11), where the issuer requires no typ',
  claims:
    'claims jose leaves alone: iat, nbf and exp finite; iat not in the future; lifetime exp - iat at most one day; string claims as strings; a non-empty sub and client_id (RFC 9068 section 2.2)',
} as const;
type Stricter = keyof typeof STRICTER;

const STRING_CLAIMS = ['sub', 'client_id', 'azp', 'scope', 'token_use', 'username', 'cognito:username', 'jti'];

let keys: Record<JwsAlgorithm, TestKey>;
let stranger: TestKey;
let shortRsa: TestKey;
let paddedRsa: TestKey;
let verifier: TokenVerifier;
let oracles: { keys: PublicJwk[]; options: JWTVerifyOptions }[];

/** A 1024-bit RSA key, as a test key; `padded` writes its modulus with leading zero bytes to 2048 bits' length. */
function weakRsa(kid: string, padded: boolean): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const jwk = publicKey.export({ format: 'jwk' });
  const n = padded ? b64url(Buffer.concat([Buffer.alloc(128), Buffer.from(jwk.n ?? '', 'base64url')])) : jwk.n;
  return { alg: 'RS256', kid, label: kid, privateKeyObject: privateKey, publicJwk: { kty: 'RSA', n, e: jwk.e, kid, alg: 'RS256', use: 'sig' } } as unknown as TestKey;
}

beforeAll(async () => {
  const generated = await Promise.all(SUPPORTED_ALGORITHMS.map((alg) => testKey(alg, 'diff')));
  keys = Object.fromEntries(generated.map((key) => [key.alg, key])) as Record<JwsAlgorithm, TestKey>;
  stranger = await testKey('RS256', 'stranger');
  shortRsa = weakRsa('short-rsa', false);
  paddedRsa = weakRsa('padded-rsa', true);
  const allKeys = [...generated.map((key) => key.publicJwk), shortRsa.publicJwk, paddedRsa.publicJwk];
  const typedKeys = [keys.ES256.publicJwk, keys.EdDSA.publicJwk];
  const issuers: IssuerConfig[] = [
    { kind: 'oidc', issuer: ISS, algorithms: [...SUPPORTED_ALGORITHMS], audiences: [AUDIENCE], keys: allKeys },
    { kind: 'oidc', issuer: TYPED_ISS, algorithms: ['ES256', 'EdDSA'], audiences: [AUDIENCE], requiredTyp: 'at+jwt', keys: typedKeys },
  ];
  const keyOptions = { fetch: () => Promise.reject(new Error('no network')), now: () => NOW_MS, fetchTimeoutMs: 100, maxAgeSeconds: 900, cooldownSeconds: 30, graceSeconds: 3600 };
  verifier = new TokenVerifier(
    issuers.map((config) => ({ config, algorithms: config.algorithms ?? [], keySet: createKeySet(config, keyOptions) })),
    { clockSkewSeconds: SKEW, now: () => NOW_MS },
  );
  const common: JWTVerifyOptions = { audience: AUDIENCE, clockTolerance: SKEW, currentDate: new Date(NOW_MS), requiredClaims: ['iss', 'sub', 'aud', 'iat', 'exp'] };
  oracles = [
    { keys: allKeys, options: { ...common, issuer: ISS, algorithms: [...SUPPORTED_ALGORITHMS] } },
    { keys: typedKeys, options: { ...common, issuer: TYPED_ISS, algorithms: ['ES256', 'EdDSA'], typ: 'at+jwt' } },
  ];
});

/** Our answer; a refusal must be one of the authorizer's own errors (never a TypeError or the like). */
async function ours(token: string): Promise<boolean> {
  try {
    await verifier.verify(token);
    return true;
  } catch (error) {
    if (!(error instanceof AuthorizerError)) {
      throw new Error(`not an AuthorizerError: ${String(error)}`, { cause: error });
    }
    return false;
  }
}

/** `jose`'s answer: accepted under the configuration of one of the issuers. */
async function jose(token: string): Promise<boolean> {
  for (const { keys: jwks, options } of oracles) {
    if (await jwtVerify(token, createLocalJWKSet({ keys: jwks as never[] }), options).then(() => true, () => false)) {
      return true;
    }
  }
  return false;
}

function leniently(segment: string | undefined): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(base64url.decode(segment ?? '')));
  } catch {
    return undefined;
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const own = (object: Record<string, unknown>, name: string): unknown => (Object.hasOwn(object, name) ? object[name] : undefined);
const mediaType = (typ: string): string => (typ.includes('/') ? typ.toLowerCase() : `application/${typ.toLowerCase()}`);

/** The length of a signature as jose decodes it (every RSA key trusted here has a 2048-bit modulus). */
function signatureLength(segment: string | undefined): number {
  try {
    return base64url.decode(segment ?? '').length;
  } catch {
    return -1;
  }
}

/** The claim checks ours adds to `jose`'s (see STRICTER.claims), on a decoded claims set. */
function claimsProblem(claims: Record<string, unknown>): boolean {
  const [iat, nbf, exp] = ['iat', 'nbf', 'exp'].map((name) => own(claims, name));
  if ([iat, nbf, exp].some((value) => value !== undefined && !Number.isFinite(value))) return true;
  if (typeof iat === 'number' && iat > NOW + SKEW) return true;
  if (typeof iat === 'number' && typeof exp === 'number' && exp - iat > 86400) return true;
  if (STRING_CLAIMS.some((name) => own(claims, name) !== undefined && typeof own(claims, name) !== 'string')) return true;
  const aud = own(claims, 'aud');
  if (Array.isArray(aud) && aud.some((entry) => typeof entry !== 'string')) return true;
  const clientId = own(claims, 'client_id');
  return own(claims, 'sub') === '' || typeof clientId !== 'string' || clientId === '';
}

/** The reasons of {@link STRICTER} a token shows on its face. */
function stricterReasons(token: string): Stricter[] {
  const reasons: Stricter[] = [];
  const segments = token.split('.');
  if (token.length > MAX_TOKEN_LENGTH) reasons.push('size');
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token) || segments.some((s) => b64url(Buffer.from(s, 'base64url')) !== s)) reasons.push('encoding');
  const header = leniently(segments[0]);
  const claims = leniently(segments[1]);
  if (isObject(header)) {
    if (['jku', 'x5u', 'jwk', 'x5c', 'crit', 'b64'].some((name) => Object.hasOwn(header, name))) reasons.push('forbiddenHeader');
    const kid = own(header, 'kid');
    if (typeof kid !== 'string' || kid.length === 0 || kid.length > 256) reasons.push('kid');
    const typ = own(header, 'typ');
    const typed = isObject(claims) && own(claims, 'iss') === TYPED_ISS;
    if (typ !== undefined && (typeof typ !== 'string' || (!typed && !ACCESS_TYPES.has(mediaType(typ))))) reasons.push('typ');
    const alg = own(header, 'alg');
    if (typeof alg === 'string' && /^[RP]S/.test(alg) && signatureLength(segments[2]) < 256) reasons.push('rsaLength');
  }
  if (isObject(claims) && claimsProblem(claims)) reasons.push('claims');
  return reasons;
}

/** Compares both verifiers on a token; returns which way they went. */
async function compare(token: string): Promise<'accepted' | 'refused' | Stricter[]> {
  const [mine, theirs] = [await ours(token), await jose(token)];
  const observed = { token, ours: mine, jose: theirs };
  if (mine) {
    // Never laxer than jose.
    expect(observed).toEqual({ ...observed, jose: true });
    return 'accepted';
  }
  if (!theirs) return 'refused';
  const reasons = stricterReasons(token);
  expect({ ...observed, reasons }).toEqual({ ...observed, reasons: expect.arrayContaining([expect.any(String)]) });
  return reasons;
}

// ---------------------------------------------------------------------------------------------------
// Token builders.

const claimsFor = (iss = ISS, overrides: Members = {}): Members => ({
  iss,
  sub: 'svc-1',
  aud: AUDIENCE,
  client_id: 'diff-client',
  scope: 'items:read',
  iat: NOW - 10,
  exp: NOW + 300,
  jti: 'jti-1',
  ...overrides,
});
const headerFor = (key: TestKey, overrides: Members = {}): Members => ({ alg: key.alg, kid: key.kid, ...overrides });
const token = (key: TestKey, header: Members = {}, claims: Members = {}, iss = ISS): string => signJws(key, headerFor(key, header), claimsFor(iss, claims));
/** Payload JSON text with `"__RAW__"` replaced by raw JSON (numbers JSON.stringify cannot write). */
const rawClaims = (raw: string, overrides: Members): RawJson => new RawJson(JSON.stringify(claimsFor(ISS, overrides)).replace('"__RAW__"', raw));

/** The signature segment with the unused low bits of its last character set (a non-canonical spelling). */
function dirtyTail(jws: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = jws.at(-1) ?? 'A';
  return `${jws.slice(0, -1)}${alphabet[alphabet.indexOf(last) | 1]}`;
}

/** A segment lengthened with `A`s to one character past a whole group of four (never valid base64). */
function pastWholeGroup(segment: string): string {
  return segment + 'A'.repeat((5 - (segment.length % 4)) % 4 || 4);
}

function replaceSegment(jws: string, index: number, value: string): string {
  const parts = jws.split('.');
  parts[index] = value;
  return parts.join('.');
}

function flipSignatureBit(jws: string, bit: number): string {
  const signature = Buffer.from(jws.split('.')[2] ?? '', 'base64url');
  const at = bit % (signature.length * 8);
  signature[at >> 3] = (signature[at >> 3] ?? 0) ^ (1 << (at & 7));
  return replaceSegment(jws, 2, b64url(signature));
}

/** A token signed with explicit `node:crypto` parameters over the given header and claims. */
function signedWith(key: TestKey, header: Members, claims: Members, digest: string | null, options: Partial<{ padding: number; saltLength: number; dsaEncoding: 'der' | 'ieee-p1363' }>): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${b64url(cryptoSign(digest, Buffer.from(input), { key: key.privateKeyObject as KeyObject, ...options }))}`;
}

/** The valid value most of the time, else one of the others: most tokens differ from a valid one in one place or two. */
function mostly<T>(valid: T, others: readonly T[]): fc.Arbitrary<T> {
  return fc.oneof({ weight: 12, arbitrary: fc.constant(valid) }, { weight: 1, arbitrary: fc.constantFrom(...others) });
}

type Expected = 'accept' | 'refuse' | Stricter;

/** Hostile and edge cases, each with the answer both must give, or the one reason ours alone refuses it. */
const CASES: [string, () => string, Expected][] = [
  ...SUPPORTED_ALGORITHMS.map((alg): [string, () => string, Expected] => [`a valid ${alg} token`, () => token(keys[alg]), 'accept']),
  ...SUPPORTED_ALGORITHMS.map((alg): [string, () => string, Expected] => [`a ${alg} token with one signature bit flipped`, () => flipSignatureBit(token(keys[alg]), 77), 'refuse']),
  ['a typed ES256 token for the issuer that requires at+jwt', () => token(keys.ES256, { typ: 'at+jwt' }, {}, TYPED_ISS), 'accept'],
  ['a typed EdDSA token spelling the type application/AT+JWT', () => token(keys.EdDSA, { typ: 'application/AT+JWT' }, {}, TYPED_ISS), 'accept'],
  ['an untyped token for the issuer that requires at+jwt', () => token(keys.ES256, {}, {}, TYPED_ISS), 'refuse'],
  ['a JWT-typed token for the issuer that requires at+jwt', () => token(keys.ES256, { typ: 'JWT' }, {}, TYPED_ISS), 'refuse'],
  ['an RS256 token for the typed issuer (alg not on its list)', () => token(keys.RS256, { typ: 'at+jwt' }, {}, TYPED_ISS), 'refuse'],
  ['a payload changed after signing', () => replaceSegment(token(keys.RS256), 1, b64url(JSON.stringify(claimsFor(ISS, { scope: 'items:write' })))), 'refuse'],
  ['a header changed after signing', () => replaceSegment(token(keys.ES256), 0, b64url(JSON.stringify(headerFor(keys.ES256, { typ: 'JWT' })))), 'refuse'],
  ['segments of two tokens spliced', () => replaceSegment(token(keys.PS256), 2, token(keys.PS256, {}, { jti: 'other' }).split('.')[2] ?? ''), 'refuse'],
  ['a token signed by a stranger under a trusted kid', () => signJws(stranger, headerFor(keys.RS256), claimsFor()), 'refuse'],
  ['an RS256 header over the kid of the PS256 key, signed RS256 with it', () => signJws(keys.PS256, { alg: 'RS256', kid: keys.PS256.kid }, claimsFor()), 'refuse'],
  ['an RS256 header over a PS256 signature', () => signJws(keys.RS256, headerFor(keys.RS256), claimsFor(), { signingAlg: 'PS256' }), 'refuse'],
  ['a PS256 header over an RS256 signature', () => signJws(keys.PS256, headerFor(keys.PS256), claimsFor(), { signingAlg: 'RS256' }), 'refuse'],
  ['a PS384 header over a PS256 signature', () => signJws(keys.PS384, headerFor(keys.PS384), claimsFor(), { signingAlg: 'PS256' }), 'refuse'],
  ['a PS256 signature with an empty salt', () => signedWith(keys.PS256, headerFor(keys.PS256), claimsFor(), 'sha256', { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 0 }), 'refuse'],
  ['a PS256 signature with the longest salt', () => signedWith(keys.PS256, headerFor(keys.PS256), claimsFor(), 'sha256', { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_MAX_SIGN }), 'refuse'],
  ['an ES256 signature in DER instead of r || s', () => signedWith(keys.ES256, headerFor(keys.ES256), claimsFor(), 'sha256', { dsaEncoding: 'der' }), 'refuse'],
  ['an ES256 header over the kid of the ES384 key', () => signJws(keys.ES384, { alg: 'ES256', kid: keys.ES384.kid }, claimsFor()), 'refuse'],
  ['an ES512 header over an ES256-hashed P-521 signature', () => signedWith(keys.ES512, headerFor(keys.ES512), claimsFor(), 'sha256', { dsaEncoding: 'ieee-p1363' }), 'refuse'],
  ['an Ed25519 alg name instead of EdDSA', () => signJws(keys.EdDSA, headerFor(keys.EdDSA, { alg: 'Ed25519' }), claimsFor()), 'refuse'],
  ['a 1024-bit RSA key', () => token(shortRsa), 'refuse'],
  ['a 1024-bit RSA modulus written with leading zeros to 2048 bits of length', () => token(paddedRsa), 'refuse'],
  ['alg none with no signature', () => unsignedJws({ alg: 'none', kid: keys.RS256.kid }, claimsFor()), 'refuse'],
  ['HS256 keyed with the public key (key confusion)', () => hmacJws(Buffer.from(String(keys.RS256.publicJwk.n), 'base64url'), { alg: 'HS256', kid: keys.RS256.kid }, claimsFor()), 'refuse'],
  ["crit ['exp'], an extension nobody understands", () => token(keys.ES256, { crit: ['exp'] }), 'refuse'],
  ["crit ['b64'] with b64: false (an unencoded payload)", () => token(keys.ES256, { crit: ['b64'], b64: false }), 'refuse'],
  ["crit ['b64'] with b64: true", () => token(keys.ES256, { crit: ['b64'], b64: true }), 'forbiddenHeader'],
  ['b64: false outside crit', () => token(keys.ES256, { b64: false }), 'forbiddenHeader'],
  ['a jku header', () => token(keys.RS256, { jku: 'https://attacker.example/jwks.json' }), 'forbiddenHeader'],
  ['an embedded jwk header', () => token(keys.EdDSA, { jwk: keys.EdDSA.publicJwk }), 'forbiddenHeader'],
  ['an x5u header', () => token(keys.RS256, { x5u: 'https://attacker.example/cert.pem' }), 'forbiddenHeader'],
  ['an x5c header', () => token(keys.RS256, { x5c: ['MIIB'] }), 'forbiddenHeader'],
  ['no kid', () => token(keys.RS512, { kid: undefined }), 'kid'],
  ['a typ of another kind of JWT (dpop+jwt)', () => token(keys.RS256, { typ: 'dpop+jwt' }), 'typ'],
  ['a typ that is not a string', () => token(keys.RS256, { typ: 42 }), 'typ'],
  ['typ JWT', () => token(keys.RS256, { typ: 'JWT' }), 'accept'],
  ['the unused bits of the last signature character set (RS256)', () => dirtyTail(token(keys.RS256)), 'encoding'],
  ['the unused bits of the last signature character set (ES256)', () => dirtyTail(token(keys.ES256)), 'encoding'],
  ['the unused bits of the last signature character set (EdDSA)', () => dirtyTail(token(keys.EdDSA)), 'encoding'],
  ['a header with the unused bits of its last character set, signed so', () => signEncoded(keys.ES256, `${dirtyTail(b64url(JSON.stringify(headerFor(keys.ES256))))}.${b64url(JSON.stringify(claimsFor()))}`), 'encoding'],
  ['a payload one character past a whole group, signed so', () => signEncoded(keys.ES256, `${b64url(JSON.stringify(headerFor(keys.ES256)))}.${pastWholeGroup(b64url(JSON.stringify(claimsFor())))}`), 'refuse'],
  ['= padding after the signature', () => `${token(keys.RS256)}==`, 'encoding'],
  ['a space inside the signature', () => token(keys.EdDSA).replace(/\.([^.]{10})([^.]*)$/, '.$1 $2'), 'encoding'],
  ['a line break inside the signature', () => token(keys.ES384).replace(/\.([^.]{10})([^.]*)$/, '.$1\n$2'), 'encoding'],
  ['whitespace inside the header and payload JSON, signed so', () => signJws(keys.PS512, new RawJson(` { "alg" : "PS512" ,\n"kid":${JSON.stringify(keys.PS512.kid)} } `), new RawJson(`\t${JSON.stringify(claimsFor(), null, 2)}\n`)), 'accept'],
  ['a byte order mark before the payload JSON', () => signJws(keys.RS384, headerFor(keys.RS384), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(claimsFor()))])), 'accept'],
  ['a duplicate alg in the header, the last one right', () => signJws(keys.ES256, new RawJson(`{"alg":"none","alg":"ES256","kid":${JSON.stringify(keys.ES256.kid)}}`), claimsFor(), { signingAlg: 'ES256' }), 'accept'],
  ['a duplicate iss in the payload, the last one trusted', () => signJws(keys.RS256, headerFor(keys.RS256), new RawJson(`{"iss":"https://evil.example",${JSON.stringify(claimsFor()).slice(1)}`)), 'accept'],
  ['a duplicate iss in the payload, the last one foreign', () => signJws(keys.RS256, headerFor(keys.RS256), new RawJson(`${JSON.stringify(claimsFor()).slice(0, -1)},"iss":"https://evil.example"}`)), 'refuse'],
  ['an own __proto__ member in the payload', () => signJws(keys.RS256, headerFor(keys.RS256), new RawJson(`{"__proto__":{"scope":"admin"},${JSON.stringify(claimsFor()).slice(1)}`)), 'accept'],
  ['invalid UTF-8 in the payload', () => signJws(keys.RS256, headerFor(keys.RS256), Buffer.concat([Buffer.from(JSON.stringify(claimsFor()).slice(0, -1)), Buffer.from(',"x":"\xff"}', 'latin1')])), 'refuse'],
  ['a valid U+FFFD in a payload claim', () => signJws(keys.RS256, headerFor(keys.RS256), { ...claimsFor(), name: 'a\ufffdb' }), 'accept'],
  ['a surrogate encoded as UTF-8 (CESU) in the payload', () => signJws(keys.RS256, headerFor(keys.RS256), Buffer.concat([Buffer.from(JSON.stringify(claimsFor()).slice(0, -1)), Buffer.from([0x2c, 0x22, 0x78, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d])])), 'refuse'],
  ['an overlong UTF-8 encoding in the payload', () => signJws(keys.RS256, headerFor(keys.RS256), Buffer.concat([Buffer.from(JSON.stringify(claimsFor()).slice(0, -1)), Buffer.from([0x2c, 0x22, 0x78, 0x22, 0x3a, 0x22, 0xc0, 0xaf, 0x22, 0x7d])])), 'refuse'],
  ['a payload that is a JSON array', () => signJws(keys.RS256, headerFor(keys.RS256), [claimsFor()]), 'refuse'],
  ['a header that is JSON null', () => signJws(keys.RS256, null, claimsFor(), { signingAlg: 'RS256' }), 'refuse'],
  ['a payload that is not JSON', () => signJws(keys.RS256, headerFor(keys.RS256), new RawJson('{"iss":')), 'refuse'],
  ['exp 1e309 (Infinity)', () => signJws(keys.RS256, headerFor(keys.RS256), rawClaims('1e309', { exp: '__RAW__' })), 'claims'],
  ['iat 1e309 (Infinity)', () => signJws(keys.RS256, headerFor(keys.RS256), rawClaims('1e309', { iat: '__RAW__' })), 'claims'],
  ['nbf 1e309 (Infinity)', () => signJws(keys.RS256, headerFor(keys.RS256), rawClaims('1e309', { nbf: '__RAW__' })), 'refuse'],
  ['exp -1e309', () => signJws(keys.RS256, headerFor(keys.RS256), rawClaims('-1e309', { exp: '__RAW__' })), 'refuse'],
  ['exp 1e20', () => token(keys.RS256, {}, { exp: 1e20 }), 'claims'],
  ['iat an hour in the future', () => token(keys.RS256, {}, { iat: NOW + 3600, exp: NOW + 7200 }), 'claims'],
  ['exp exactly at the skew', () => token(keys.RS256, {}, { exp: NOW - SKEW }), 'refuse'],
  ['exp one second within the skew', () => token(keys.RS256, {}, { exp: NOW - SKEW + 1 }), 'accept'],
  ['nbf beyond the skew', () => token(keys.ES256, {}, { nbf: NOW + SKEW + 1 }), 'refuse'],
  ['exp a string', () => token(keys.ES256, {}, { exp: String(NOW + 300) }), 'refuse'],
  ['no client_id', () => token(keys.ES256, {}, { client_id: undefined }), 'claims'],
  ['an empty sub', () => token(keys.ES256, {}, { sub: '' }), 'claims'],
  ['a scope that is not a string', () => token(keys.ES256, {}, { scope: ['items:read'] }), 'claims'],
  ['no sub', () => token(keys.ES256, {}, { sub: undefined }), 'refuse'],
  ['no aud', () => token(keys.ES256, {}, { aud: undefined }), 'refuse'],
  ['another audience', () => token(keys.ES256, {}, { aud: 'api://other' }), 'refuse'],
  ['the audience among others', () => token(keys.ES256, {}, { aud: ['api://other', AUDIENCE] }), 'accept'],
  ['an unknown issuer', () => token(keys.ES256, {}, {}, 'https://evil.example'), 'refuse'],
  ['an iss that is not a string', () => token(keys.ES256, {}, { iss: [ISS] }), 'refuse'],
  ['a token over the size cap', () => token(keys.ES256, {}, { pad: 'x'.repeat(MAX_TOKEN_LENGTH) }), 'size'],
];

describe('our verifier against jose jwtVerify', () => {
  test.each(CASES)('%s', async (_name, build, expected) => {
    const jws = build();
    const [mine, theirs] = [await ours(jws), await jose(jws)];
    if (expected === 'accept' || expected === 'refuse') {
      expect({ ours: mine, jose: theirs }).toEqual({ ours: expected === 'accept', jose: expected === 'accept' });
    } else {
      // A listed difference: real (jose accepts), on the strict side, and visible on the token.
      expect({ ours: mine, jose: theirs }).toEqual({ ours: false, jose: true });
      expect(stricterReasons(jws)).toContain(expected);
    }
  });

  test('every listed difference is shown by a case where jose accepts and ours refuses', () => {
    // rsaLength is shown by the leading-zero test below (it needs a signature that starts with a zero byte).
    const shown = new Set([...CASES.map(([, , expected]) => expected), 'rsaLength']);
    expect(Object.keys(STRICTER).filter((reason) => !shown.has(reason as Stricter))).toEqual([]);
  });

  test.each([
    ['RS256', 'refused'],
    ['PS256', ['rsaLength']],
  ] as const)('a %s signature without its leading zero byte: %j', async (alg, expected) => {
    // Vary jti until a signature starts with a zero byte (1 in 256), then drop that byte: the integer is the
    // same, only the length is wrong (RFC 8017 section 8.2.2: exactly as long as the modulus).
    let jws = '';
    for (let i = 0; i < 4096 && !jws; i++) {
      const candidate = token(keys[alg], {}, { jti: `zero-${i}` });
      if (Buffer.from(candidate.split('.')[2] ?? '', 'base64url')[0] === 0) jws = candidate;
    }
    expect(jws).not.toBe('');
    const short = replaceSegment(jws, 2, b64url(Buffer.from(jws.split('.')[2] ?? '', 'base64url').subarray(1)));
    expect(await compare(jws)).toBe('accepted');
    expect(await compare(short)).toEqual(expected);
  });

  test(`${SIGNED_RUNS} signed tokens with random headers, claims, keys and algorithms: never laxer, stricter only for a listed reason`, async () => {
    const seen = { accepted: 0, refused: 0, stricter: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          signer: fc.oneof({ weight: 10, arbitrary: fc.constantFrom(...SUPPORTED_ALGORITHMS) }, { weight: 1, arbitrary: fc.constantFrom('stranger' as const, 'short' as const) }),
          headerAlg: mostly(undefined, [...SUPPORTED_ALGORITHMS, 'none', 'HS256', 'Ed25519', 'RS1', '']),
          signingAlg: mostly(undefined, [...SUPPORTED_ALGORITHMS]),
          kid: mostly('own' as const, ['other', 'none', 'empty', 'long', 'number'] as const),
          typ: mostly(undefined, ['JWT', 'at+jwt', 'application/at+jwt', 'dpop+jwt', 'AT+JWT', 42, null]),
          extra: fc.oneof({ weight: 8, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.subarray(['crit', 'b64', 'jku', 'x5c', 'cty', 'zip'] as const, { minLength: 1, maxLength: 2 }) }),
          iss: mostly<unknown>(ISS, [TYPED_ISS, 'https://evil.example', 7]),
          aud: mostly<unknown>(AUDIENCE, [[AUDIENCE, 'x'], ['x', 7, AUDIENCE], 'api://other', undefined, 7]),
          iat: mostly<unknown>(NOW - 10, [NOW + 3600, NOW - 90000, undefined, 'now', '__RAW__']),
          exp: mostly<unknown>(NOW + 300, [NOW - SKEW, NOW - SKEW + 1, NOW + 90000, undefined, 1e20, '__RAW__']),
          nbf: mostly<unknown>(undefined, [NOW, NOW + SKEW, NOW + SKEW + 1, 'soon']),
          sub: mostly<unknown>('svc-1', ['', undefined, 42]),
          clientId: mostly<unknown>('diff-client', ['', undefined, ['diff-client']]),
          duplicate: fc.boolean(),
        }),
        async (t) => {
          const key = t.signer === 'stranger' ? stranger : t.signer === 'short' ? shortRsa : keys[t.signer];
          const kid = { own: key.kid, other: keys.ES384.kid, none: undefined, empty: '', long: 'k'.repeat(300), number: 42 }[t.kid];
          const header: Members = { alg: t.headerAlg ?? key.alg, kid };
          if (t.typ !== undefined) header.typ = t.typ;
          for (const name of t.extra) header[name] = { crit: ['b64'], b64: true, jku: 'https://attacker.example/jwks', x5c: ['MIIB'], cty: 'JWT', zip: 'DEF' }[name];
          const claims = claimsFor(t.iss as string, { aud: t.aud, iat: t.iat, exp: t.exp, nbf: t.nbf, sub: t.sub, client_id: t.clientId });
          let text = JSON.stringify(claims).replace('"__RAW__"', '1e309');
          if (t.duplicate) text = `{"iss":"https://evil.example","sub":"dup",${text.slice(1)}`;
          // The signature is computed with the header's alg, or another the key can compute (a key of the same
          // family; the 1024-bit key is too short for PS384 and PS512, so it signs RS256 only).
          const wanted = t.signingAlg ?? (typeof header.alg === 'string' && SUPPORTED_ALGORITHMS.includes(header.alg as JwsAlgorithm) ? (header.alg as JwsAlgorithm) : key.alg);
          const family = (alg: string): string => (alg === 'EdDSA' ? 'Ed' : alg[0] === 'E' ? 'EC' : 'RSA');
          const jws = signJws(key, header as Segment, new RawJson(text), { signingAlg: family(wanted) === family(key.alg) && key !== shortRsa ? wanted : key.alg });
          const outcome = await compare(jws);
          if (typeof outcome === 'string') seen[outcome] += 1;
          else seen.stricter += 1;
        },
      ),
      { seed: SEED, numRuns: SIGNED_RUNS },
    );
    // Every branch reached, or the property proves little.
    expect(Math.min(seen.accepted, seen.refused, seen.stricter)).toBeGreaterThan(SIGNED_RUNS / 50);
  });

  test(`${MUTATED_RUNS} byte-level mutations of valid tokens of every algorithm: never laxer, stricter only for a listed reason`, async () => {
    const seen = { accepted: 0, refused: 0, stricter: 0 };
    const char = fc.constantFrom(...'AQgw_-Zz09.= \t\n+/%'.split(''));
    const edit = fc.oneof(
      fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), char }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), char }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 4 }) }),
      fc.record({ kind: fc.constant('flip-bit' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('dirty-tail' as const) }),
      fc.record({ kind: fc.constant('pad' as const) }),
      fc.record({ kind: fc.constant('none' as const) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...SUPPORTED_ALGORITHMS), fc.array(edit, { minLength: 1, maxLength: 2 }), async (alg, edits) => {
        let jws = token(keys[alg], {}, { jti: `m-${alg}` });
        for (const e of edits) {
          const at = 'at' in e ? e.at % (jws.length + 1) : 0;
          if (e.kind === 'replace') jws = jws.slice(0, at) + e.char + jws.slice(at + 1);
          else if (e.kind === 'insert') jws = jws.slice(0, at) + e.char + jws.slice(at);
          else if (e.kind === 'delete') jws = jws.slice(0, at) + jws.slice(at + e.length);
          else if (e.kind === 'flip-bit') jws = flipSignatureBit(jws, e.at);
          else if (e.kind === 'dirty-tail') jws = dirtyTail(jws);
          else if (e.kind === 'pad') jws = `${jws}=`;
        }
        const outcome = await compare(jws);
        if (typeof outcome === 'string') seen[outcome] += 1;
        else seen.stricter += 1;
      }),
      { seed: SEED, numRuns: MUTATED_RUNS },
    );
    expect(Math.min(seen.accepted, seen.refused, seen.stricter)).toBeGreaterThan(MUTATED_RUNS / 100);
  });
});
