/**
 * Bearer token extraction and JWT access-token verification (RFC 6750, RFC 7515, RFC 7519, RFC 8725, RFC 9068).
 *
 * Order of checks: size and shape of the Authorization value; the JOSE header (canonical base64url, UTF-8
 * JSON object, algorithm on the global allow-list, no header that lets a token pick its own key or change
 * processing); the payload (canonical base64url, a UTF-8 JSON object) decoded only to pick the issuer by
 * exact `iss`; the issuer's own algorithm allow-list and `typ` (the required one, else an access-token type
 * or none: RFC 8725 section 3.11); the `kid`; the key from the issuer's own key set; the signature (canonical
 * base64url, the exact length of the algorithm and key) verified with `node:crypto` over the exact signing
 * input; then the claims of the verified payload, in the order `jose`'s `jwtVerify` checks them (presence of
 * `iss`, `sub`, `aud`, `iat` and `exp`; exact `iss`; `aud`; `iat`, `nbf` and `exp` as finite numbers and
 * against the clock with the skew; maximum age), and the checks beyond it (`iat` not in the future, lifetime
 * `exp - iat`, claim types, Cognito `token_use`, the client claim). Nothing is fetched for a token that fails
 * an earlier check.
 *
 * The signature check is synchronous `crypto.verify` with a `KeyObject` built once per key and algorithm,
 * and the parameters `jose` uses through WebCrypto: PKCS#1 v1.5 for RS*, PSS with a salt as long as the hash
 * for PS*, IEEE P1363 `r || s` on the algorithm's own curve for ES*, Ed25519 for EdDSA. A differential test
 * holds it to `jose`'s `jwtVerify` on the same fuzzed and hostile tokens. A warm request (key at hand, JOSE
 * header seen before) verifies without a promise, a header parse or a key lookup string.
 */
import { constants, KeyObject, verify as verifySignature, type VerifyKeyObjectInput } from 'node:crypto';
import type { IssuerConfig, JwsAlgorithm } from './contract/config-types';
import { CONFIG_DEFAULTS, isPlainObject, SUPPORTED_ALGORITHMS } from './contract/config';
import type { ReasonCode } from './contract/decision-log';
import { KeyNotFoundError, TokenRejectedError } from './errors';
import { keyObjectFitsAlgorithm, type KeySet } from './keys';
import { TERSE } from './terse';

/** Longest accepted token, in characters; longer Authorization values are refused before any parsing. */
export const MAX_TOKEN_LENGTH = 8192;

// RFC 6750 section 2.1: "Bearer" 1*SP b64token. The scheme is case-insensitive (RFC 7235 section 2.1);
// exactly one space, and nothing before or after, so a second token or an injected line never passes.
// The b64token a JWS can be is the compact serialization below, so the scheme is checked on its own
// seven characters and the token with one linear pattern.
const BEARER_SCHEME = /^bearer $/i;
// JWS compact serialization with base64url segments and no padding (RFC 7515 section 2). An empty
// signature is let through here only so that `alg: none` is reported as the algorithm problem it is.
const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
// Headers that would let a token choose its own key (RFC 8725 section 3.10) or change how it is
// processed (crit extensions, RFC 7797 unencoded payloads). None has a legitimate use here.
const FORBIDDEN_HEADERS = ['jku', 'x5u', 'jwk', 'x5c', 'crit', 'b64'];
const MAX_KID_LENGTH = 256;

const reject = (reason: ReasonCode, message: string, options?: ConstructorParameters<typeof TokenRejectedError>[2]): never => {
  throw new TokenRejectedError(reason, message, options);
};

/**
 * The token of an `Authorization` value of the form `Bearer <JWS compact>`.
 * @throws TokenRejectedError `MISSING_TOKEN`, `TOKEN_TOO_LARGE` or `MALFORMED_TOKEN`
 */
export function extractBearerToken(authorization: string | undefined): string {
  if (!authorization) {
    reject('MISSING_TOKEN', TERSE ? '' : 'no Authorization value');
  }
  if (authorization!.length > MAX_TOKEN_LENGTH + 7) {
    reject('TOKEN_TOO_LARGE', TERSE ? '' : `the Authorization value exceeds ${MAX_TOKEN_LENGTH} characters`);
  }
  const token = authorization!.slice(7);
  if (!BEARER_SCHEME.test(authorization!.slice(0, 7)) || !JWS_COMPACT.test(token)) {
    reject('MALFORMED_TOKEN', TERSE ? '' : "the Authorization value is not exactly 'Bearer <JWS compact>'");
  }
  return token!;
}

/** An issuer ready for verification: its validated configuration and its own key set. */
export interface ResolvedIssuer {
  /** The validated issuer configuration. */
  readonly config: IssuerConfig;
  /** The issuer's algorithm allow-list, defaults applied. */
  readonly algorithms: readonly JwsAlgorithm[];
  /** The issuer's own key set. */
  readonly keySet: KeySet;
}

/** Settings of {@link TokenVerifier}. */
export interface VerifierOptions {
  /** Allowed clock skew, in seconds. */
  readonly clockSkewSeconds: number;
  /** Maximum token age from `iat`, in seconds. */
  readonly maxTokenAgeSeconds?: number;
  /**
   * Maximum token lifetime `exp - iat`, in seconds.
   * @default - CONFIG_DEFAULTS.maxTokenLifetimeSeconds (one day)
   */
  readonly maxTokenLifetimeSeconds?: number;
  /** Clock, epoch milliseconds. */
  readonly now: () => number;
}

/** A verified access token. */
export interface VerifiedToken {
  /** The verified claims (frozen; read with own-property checks only). */
  readonly claims: Readonly<Record<string, unknown>>;
  /** The issuer that signed it. */
  readonly issuer: ResolvedIssuer;
  /** `sub` (required, non-empty). */
  readonly sub: string;
  /** The client: `client_id`, or the OIDC issuer's `clientIdClaim` (required, non-empty). */
  readonly clientId: string;
  /** Granted scopes: `scope` split on spaces, plus, for OIDC issuers, `scp` (an array, or a space-separated string). */
  readonly scopes: ReadonlySet<string>;
  /** `token_use`, when present. */
  readonly tokenUse?: string;
  /** `username` or `cognito:username`, when present. */
  readonly username?: string;
  /** `cognito:groups`, when present. */
  readonly groups?: readonly string[];
}

/** What the verifier learnt before failing, for the decision log. */
export interface VerifyTrace {
  /** The configured issuer the token names, once matched (never an unconfigured value). */
  issuer?: IssuerConfig;
}

/** Reads an own property only: inherited members such as `constructor` or `__proto__` never count. */
export function ownClaim(claims: Readonly<Record<string, unknown>>, name: string): unknown {
  return Object.hasOwn(claims, name) ? claims[name] : undefined;
}

// Fatal on malformed UTF-8, and a leading byte order mark dropped, as `jose` decodes.
const utf8 = new TextDecoder('utf-8', { fatal: true });

// Decoded segments and the signing input, written here rather than into a new buffer per token: every use
// is synchronous, and a segment never decodes to more bytes than the token has characters.
const scratch = Buffer.allocUnsafe(MAX_TOKEN_LENGTH);

/**
 * Whether a base64url segment (characters already checked) is canonical (RFC 7515 section 2, RFC 4648
 * section 3.5): not one character past a whole group, and the unused low bits of its last character zero,
 * so that no two encodings of one header, payload or signature exist.
 */
function isCanonicalBase64url(segment: string): boolean {
  const tail = segment.length % 4;
  if (tail === 0) {
    return true;
  }
  const c = segment.charCodeAt(segment.length - 1);
  // The value of the last character (A-Z a-z 0-9 - _), of which 2 + 2 x (3 - tail) low bits are unused.
  const value = c === 95 ? 63 : c === 45 ? 62 : c >= 97 ? c - 71 : c >= 65 ? c - 65 : c + 4;
  return tail !== 1 && (value & (tail === 2 ? 15 : 3)) === 0;
}

/** Decodes a canonical base64url segment into `scratch` at `offset`; returns the number of bytes. */
function decodeSegment(segment: string, offset: number, what: string): number {
  if (!isCanonicalBase64url(segment)) {
    reject('MALFORMED_TOKEN', TERSE ? '' : `the ${what} is not canonical base64url`);
  }
  return scratch.write(segment, offset, 'base64url');
}

const REPLACEMENT_CHARACTER = '\ufffd';
const BYTE_ORDER_MARK = 0xfeff;

/**
 * The `length` bytes at the start of `scratch` as UTF-8 text, decoded as {@link utf8} decodes them. Buffer's
 * own decoder, which needs no view of the bytes, decodes valid UTF-8 without a byte order mark the same way
 * and writes U+FFFD for invalid bytes; any text holding U+FFFD or starting with a byte order mark is decoded
 * again, strictly.
 */
function utf8Text(length: number): string {
  const text = scratch.toString('utf8', 0, length);
  return text.charCodeAt(0) === BYTE_ORDER_MARK || text.includes(REPLACEMENT_CHARACTER) ? utf8.decode(scratch.subarray(0, length)) : text;
}

function parseJsonObject(segment: string, what: string): Record<string, unknown> {
  const length = decodeSegment(segment, 0, what);
  let value: unknown;
  try {
    value = JSON.parse(utf8Text(length));
  } catch (cause) {
    reject('MALFORMED_TOKEN', TERSE ? '' : `the ${what} is not UTF-8 JSON`, { cause });
  }
  return isPlainObject(value) ? value : reject('MALFORMED_TOKEN', TERSE ? '' : `the ${what} is not a JSON object`);
}

// RFC 7515 section 4.1.9, as jose compares it: case-insensitive, `application/` implied when the value
// has no other `/`.
const mediaType = (typ: string): string => (typ.toLowerCase().includes('/') ? typ.toLowerCase() : `application/${typ.toLowerCase()}`);

// Without a required type, the types of an access token (RFC 9068 section 4, RFC 7519 section 5.1), as
// compared by `mediaType`. Every other kind of JWT names itself (`dpop+jwt`, `logout+jwt`...) and is refused.
const ACCESS_TOKEN_TYPES: ReadonlySet<string> = new Set(['application/jwt', 'application/at+jwt']);

/** The claim that names the client of an issuer's tokens: `client_id`, or an OIDC issuer's `clientIdClaim`. */
export function clientIdClaimOf(config: IssuerConfig): string {
  return (config.kind === 'oidc' && config.clientIdClaim) || CONFIG_DEFAULTS.clientIdClaim;
}

/** A JOSE header that passed the checks that depend on it alone; remembered per encoded header. */
interface JoseHeader {
  readonly alg: JwsAlgorithm;
  /** `typ` as sent (checked per issuer). */
  readonly typ: unknown;
  /** `typ` as a media type, when it is a string. */
  readonly mediaType: string | undefined;
  /** `kid` as sent (checked after the issuer, as before a key lookup). */
  readonly kid: unknown;
}

/** Most JOSE headers remembered per verifier (an issuer has a handful of keys; a flood only evicts). */
const MAX_CACHED_HEADERS = 64;
/** Longest encoded header remembered: a few hundred characters in practice; the cache stays under 64 KB. */
const MAX_CACHED_HEADER_LENGTH = 1024;

/** How to verify signatures with one key and algorithm, worked out once per key. */
interface KeyUse {
  readonly alg: JwsAlgorithm;
  /** The digest `crypto.verify` takes: `sha256`... for RS, PS and ES algorithms, null for EdDSA. */
  readonly digest: string | null;
  /** The key, with the RSA padding and salt length or the ECDSA signature encoding of the algorithm. */
  readonly key: KeyObject | VerifyKeyObjectInput;
  /** The only signature length the algorithm and key can produce, in bytes. */
  readonly signatureLength: number;
}

const keyUses = new WeakMap<KeyObject, KeyUse>();
// A key set with only `getKey` hands out `CryptoKey`s: each is converted once.
const keyObjects = new WeakMap<CryptoKey, KeyObject>();

/** ECDSA signatures are `r || s`, each as long as the curve order (RFC 7518 section 3.4). */
const ECDSA_SIGNATURE_LENGTHS: Partial<Record<JwsAlgorithm, number>> = { ES256: 64, ES384: 96, ES512: 132 };

/** The verification parameters of a key for `alg`, after checking that the key fits it. */
function keyUseOf(key: KeyObject | CryptoKey, alg: JwsAlgorithm, kid: string): KeyUse {
  let keyObject = key instanceof KeyObject ? key : keyObjects.get(key);
  if (!keyObject) {
    // A `CryptoKey` from a key set of another kind; anything else is a TypeError, not a token problem.
    keyObject = KeyObject.from(key as CryptoKey);
    keyObjects.set(key as CryptoKey, keyObject);
  }
  const known = keyUses.get(keyObject);
  if (known?.alg === alg) {
    return known;
  }
  if (!keyObjectFitsAlgorithm(keyObject, alg)) {
    throw new KeyNotFoundError(TERSE ? '' : `the key with kid '${kid}' does not fit ${alg}`);
  }
  const family = alg[0];
  const bits = Number(alg.slice(2));
  const use: KeyUse =
    alg === 'EdDSA'
      ? { alg, digest: null, key: keyObject, signatureLength: 64 }
      : family === 'E'
        ? { alg, digest: `sha${bits}`, key: { key: keyObject, dsaEncoding: 'ieee-p1363' }, signatureLength: ECDSA_SIGNATURE_LENGTHS[alg]! }
        : {
            alg,
            digest: `sha${bits}`,
            // RFC 7518 section 3.5: PSS with MGF1 on the same hash and a salt as long as the hash, as WebCrypto verifies it.
            key: family === 'P' ? { key: keyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: bits / 8 } : keyObject,
            // RFC 8017 section 8.2.2: the signature is exactly as long as the modulus.
            signatureLength: Math.ceil((keyObject.asymmetricKeyDetails?.modulusLength ?? 0) / 8),
          };
  keyUses.set(keyObject, use);
  return use;
}

const STRING_CLAIMS = ['sub', 'client_id', 'azp', 'scope', 'token_use', 'username', 'cognito:username', 'jti'];
const STRING_ARRAY_CLAIMS = ['cognito:groups'];

// RFC 9068 section 2.2: `sub` on every access token, client credentials or not.
const REQUIRED_CLAIMS = ['iss', 'sub', 'iat', 'exp'];
const REQUIRED_CLAIMS_WITH_AUD = ['iss', 'sub', 'aud', 'iat', 'exp'];

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/** Rejects a token whose signature has verified: the claims go along, for the decision log. */
function failClaims(claims: Readonly<Record<string, unknown>>, reason: ReasonCode, message: string): never {
  throw new TokenRejectedError(reason, message, { verifiedClaims: claims });
}

/**
 * A time claim: a finite number, or undefined when absent; anything else is an invalid claim. JSON numbers
 * such as `1e309` parse to Infinity, which would never expire (RFC 7519 section 2: NumericDate is finite).
 */
function numericClaim(claims: Readonly<Record<string, unknown>>, name: string): number {
  const value = ownClaim(claims, name);
  return value === undefined || Number.isFinite(value) ? (value as number) : failClaims(claims, 'INVALID_CLAIM', TERSE ? '' : `the token '${name}' is not a finite number`);
}

function isStringArray(value: unknown): value is string[] {
  if (!Array.isArray(value)) {
    return false;
  }
  for (const entry of value) {
    if (typeof entry !== 'string') {
      return false;
    }
  }
  return true;
}

/** Verifies access tokens against a fixed set of issuers. */
export class TokenVerifier {
  readonly #byIssuer: ReadonlyMap<string, ResolvedIssuer>;
  // The required `typ` of each issuer that has one, as a media type, worked out once.
  readonly #requiredTypes: ReadonlyMap<ResolvedIssuer, string>;
  private readonly headers = new Map<string, JoseHeader>();
  readonly #options: VerifierOptions;

  /**
   * @param issuers the trusted issuers, each with its own key set
   * @param options clock, skew and maximum age
   */
  constructor(
    issuers: readonly ResolvedIssuer[],
    options: VerifierOptions,
  ) {
    this.#options = options;
    this.#byIssuer = new Map(issuers.map((issuer) => [issuer.config.issuer, issuer]));
    this.#requiredTypes = new Map(issuers.flatMap((issuer) => (issuer.config.requiredTyp === undefined ? [] : [[issuer, mediaType(issuer.config.requiredTyp)]])));
  }

  /**
   * Verifies a token as returned by {@link extractBearerToken}.
   * @param token the JWS compact serialization
   * @param trace receives the matched issuer, for the decision log
   * @throws TokenRejectedError, KeyNotFoundError or KeysUnavailableError, each with its reason code
   */
  async verify(token: string, trace: VerifyTrace = {}): Promise<VerifiedToken> {
    return this.verifyNow(token, trace);
  }

  /**
   * {@link TokenVerifier.verify} without a promise when none is needed: when the issuer's key set has the
   * key at hand, the token is verified at once and the result returned (or the rejection thrown); only a key
   * set that must fetch first makes it return a promise.
   * @param token the JWS compact serialization
   * @param trace receives the matched issuer, for the decision log
   * @throws TokenRejectedError, KeyNotFoundError or KeysUnavailableError, each with its reason code (or a
   * promise rejected with one)
   */
  verifyNow(token: string, trace: VerifyTrace = {}): VerifiedToken | Promise<VerifiedToken> {
    // The verifier stands on its own: a token from elsewhere gets the size and shape checks of extractBearerToken.
    if (token.length > MAX_TOKEN_LENGTH) {
      reject('TOKEN_TOO_LARGE', TERSE ? '' : `the token exceeds ${MAX_TOKEN_LENGTH} characters`);
    }
    if (!JWS_COMPACT.test(token)) {
      reject('MALFORMED_TOKEN', TERSE ? '' : 'the token is not a JWS compact serialization');
    }
    return this.#verifyCompact(token, trace);
  }

  /**
   * {@link TokenVerifier.verifyNow} on the token of an `Authorization` value, taken with
   * {@link extractBearerToken}: its size and shape are checked once, there.
   * @param authorization the `Authorization` value
   * @param trace receives the matched issuer, for the decision log
   * @throws TokenRejectedError, KeyNotFoundError or KeysUnavailableError, each with its reason code (or a
   * promise rejected with one)
   */
  verifyBearer(authorization: string | undefined, trace: VerifyTrace = {}): VerifiedToken | Promise<VerifiedToken> {
    return this.#verifyCompact(extractBearerToken(authorization), trace);
  }

  /** Verifies a token whose size and JWS compact shape have been checked. */
  #verifyCompact(token: string, trace: VerifyTrace): VerifiedToken | Promise<VerifiedToken> {
    const headerEnd = token.indexOf('.');
    const payloadEnd = token.indexOf('.', headerEnd + 1);
    const { alg, typ, mediaType: typMedia, kid } = this.#header(token.slice(0, headerEnd));
    if (payloadEnd === token.length - 1) {
      reject('MALFORMED_TOKEN', TERSE ? '' : 'the token has no signature');
    }

    // The payload is decoded before verification to choose the issuer (and so the key set); the signature
    // is then verified over these very bytes, so the claims are those the issuer signed.
    const claims = parseJsonObject(token.slice(headerEnd + 1, payloadEnd), 'JWT claims set');
    const iss = ownClaim(claims, 'iss');
    if (iss === undefined) {
      reject('MISSING_CLAIM', TERSE ? '' : "the token has no 'iss'");
    }
    const issuer = this.#byIssuer.get(iss as string);
    if (typeof iss !== 'string' || !issuer) {
      return reject(typeof iss === 'string' ? 'UNKNOWN_ISSUER' : 'INVALID_CLAIM', TERSE ? '' : "the token 'iss' is not a configured issuer");
    }
    const config = issuer.config;
    trace.issuer = config;
    if (!issuer.algorithms.includes(alg)) {
      reject('UNSUPPORTED_ALG', TERSE ? '' : `the issuer does not accept ${alg}`);
    }
    if (typ !== undefined && typeof typ !== 'string') {
      reject('MALFORMED_TOKEN', TERSE ? '' : 'the token typ is not a string');
    }
    const requiredType = this.#requiredTypes.get(issuer);
    if (requiredType !== undefined) {
      if (typMedia !== requiredType) {
        reject('WRONG_TYP', TERSE ? '' : `the token typ is not ${config.requiredTyp}`);
      }
    } else if (typMedia !== undefined && !ACCESS_TOKEN_TYPES.has(typMedia)) {
      // RFC 8725 section 3.11: a JWT of another kind (a DPoP proof, a logout or security event token, an
      // ID token typed as such) must never pass as an access token.
      reject('UNEXPECTED_TYP', TERSE ? '' : 'the token typ names another kind of JWT than an access token');
    }
    if (kid === undefined) {
      // Refused rather than guessed: every issuer we trust names its keys, and trying each key in turn
      // would turn one bad token into several verifications.
      reject('UNKNOWN_KID', TERSE ? '' : 'the token has no kid');
    }
    if (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH) {
      reject('MALFORMED_TOKEN', TERSE ? '' : 'the token kid is not a short non-empty string');
    }

    const keySet = issuer.keySet;
    const key = keySet.keyObject ? keySet.keyObject(kid as string, alg) : keySet.getKey(kid as string, alg);
    if (key instanceof KeyObject) {
      return this.#verified(token, payloadEnd, alg, kid as string, key, claims, issuer);
    }
    return key.then((resolved) => this.#verified(token, payloadEnd, alg, kid as string, resolved, claims, issuer));
  }

  /**
   * The JOSE header of a token, checked on its own: a UTF-8 JSON object in canonical base64url, with an
   * accepted `alg` and none of the forbidden members. Remembered per encoded header (bounded), so the
   * tokens of one key share one parse.
   */
  #header(encoded: string): JoseHeader {
    const known = this.headers.get(encoded);
    if (known) {
      return known;
    }
    const header = parseJsonObject(encoded, 'JOSE header');
    const alg = ownClaim(header, 'alg') as JwsAlgorithm;
    if (typeof alg !== 'string') {
      reject('MALFORMED_TOKEN', TERSE ? '' : 'the JOSE header has no alg');
    }
    if (!SUPPORTED_ALGORITHMS.includes(alg)) {
      reject('UNSUPPORTED_ALG', TERSE ? '' : 'the token alg is not an accepted asymmetric algorithm');
    }
    for (const name of FORBIDDEN_HEADERS) {
      if (Object.hasOwn(header, name)) {
        reject('FORBIDDEN_HEADER', TERSE ? '' : `the JOSE header carries '${name}'`);
      }
    }
    const typ = ownClaim(header, 'typ');
    const parsed: JoseHeader = Object.freeze({ alg, typ, mediaType: typeof typ === 'string' ? mediaType(typ) : undefined, kid: ownClaim(header, 'kid') });
    if (encoded.length <= MAX_CACHED_HEADER_LENGTH) {
      if (this.headers.size >= MAX_CACHED_HEADERS) {
        // The oldest entry goes: a Map iterates in insertion order.
        this.headers.delete(this.headers.keys().next().value as string);
      }
      this.headers.set(encoded, parsed);
    }
    return parsed;
  }

  /** Verifies the signature with the issuer's key, then the claims. */
  #verified(
    token: string,
    payloadEnd: number,
    alg: JwsAlgorithm,
    kid: string,
    key: KeyObject | CryptoKey,
    claims: Record<string, unknown>,
    issuer: ResolvedIssuer,
  ): VerifiedToken {
    const use = keyUseOf(key, alg, kid);
    // The signing input is ASCII (checked above), so its latin1 bytes are its bytes; the signature follows it.
    scratch.write(token, 0, payloadEnd, 'latin1');
    const signatureLength = decodeSegment(token.slice(payloadEnd + 1), payloadEnd, 'signature');
    let valid = false;
    if (signatureLength === use.signatureLength) {
      try {
        valid = verifySignature(use.digest, scratch.subarray(0, payloadEnd), use.key, scratch.subarray(payloadEnd, payloadEnd + signatureLength));
      } catch {
        // OpenSSL refusing the signature outright is a bad signature like any other.
      }
    }
    if (!valid) {
      reject('BAD_SIGNATURE', TERSE ? '' : `the token signature does not verify with key '${kid}' and ${alg}`);
    }
    return this.#checkClaims(Object.freeze(claims), issuer);
  }

  /** Every claim check; the signature has verified, so a rejection carries the claims for the log. */
  #checkClaims(claims: Readonly<Record<string, unknown>>, issuer: ResolvedIssuer): VerifiedToken {
    const config = issuer.config;
    const { clockSkewSeconds: skew, maxTokenAgeSeconds: maxAge, maxTokenLifetimeSeconds: maxLifetime = CONFIG_DEFAULTS.maxTokenLifetimeSeconds } = this.#options;
    const audiences = config.kind === 'oidc' && config.audienceCheck !== false ? config.audiences : undefined;

    for (const name of audiences ? REQUIRED_CLAIMS_WITH_AUD : REQUIRED_CLAIMS) {
      if (!Object.hasOwn(claims, name)) {
        failClaims(claims, 'MISSING_CLAIM', TERSE ? '' : `the token has no '${name}'`);
      }
    }
    if (ownClaim(claims, 'iss') !== config.issuer) {
      failClaims(claims, 'UNKNOWN_ISSUER', TERSE ? '' : "the token 'iss' is not the issuer whose key verified it");
    }
    const aud = ownClaim(claims, 'aud');
    if (audiences && !(typeof aud === 'string' ? audiences.includes(aud) : Array.isArray(aud) && audiences.some((a) => aud.includes(a)))) {
      failClaims(claims, 'WRONG_AUDIENCE', TERSE ? '' : 'the token audience is not accepted');
    }
    const nowMs = this.#options.now();
    const now = Math.floor(nowMs / 1000);
    const iat = numericClaim(claims, 'iat');
    const nbf = numericClaim(claims, 'nbf');
    if (nbf > now + skew) {
      failClaims(claims, 'NOT_YET_VALID', TERSE ? '' : "the token 'nbf' is in the future");
    }
    const exp = numericClaim(claims, 'exp');
    if (exp <= now - skew) {
      failClaims(claims, 'EXPIRED', TERSE ? '' : 'the token has expired');
    }
    if (maxAge !== undefined && now - iat - skew > maxAge) {
      failClaims(claims, 'TOO_OLD', TERSE ? '' : "the token 'iat' is older than maxTokenAgeSeconds");
    }
    // With a maximum age the whole-second clock decides, as in jose; without one, the exact clock.
    if (iat > (maxAge === undefined ? nowMs / 1000 : now) + skew) {
      failClaims(claims, 'ISSUED_IN_FUTURE', TERSE ? '' : "the token 'iat' is in the future");
    }
    // The issuer's own two clocks, no skew: a token minted to live longer than allowed is refused even
    // while young, so a leaked one cannot be used for days.
    if (exp - iat > maxLifetime) {
      failClaims(claims, 'LIFETIME_TOO_LONG', TERSE ? '' : "the token lifetime 'exp - iat' exceeds maxTokenLifetimeSeconds");
    }
    for (const name of STRING_CLAIMS) {
      const value = ownClaim(claims, name);
      if (value !== undefined && typeof value !== 'string') {
        failClaims(claims, 'INVALID_CLAIM', TERSE ? '' : `the token '${name}' has the wrong type`);
      }
    }
    for (const name of STRING_ARRAY_CLAIMS) {
      const value = ownClaim(claims, name);
      if (value !== undefined && !isStringArray(value)) {
        failClaims(claims, 'INVALID_CLAIM', TERSE ? '' : `the token '${name}' has the wrong type`);
      }
    }
    if (aud !== undefined && typeof aud !== 'string' && !isStringArray(aud)) {
      failClaims(claims, 'INVALID_CLAIM', TERSE ? '' : "the token 'aud' has the wrong type");
    }
    // Entra ID and Okta send `scp` as an array, others as a space-separated string, like `scope`.
    const scp = ownClaim(claims, 'scp');
    if (scp !== undefined && typeof scp !== 'string' && !isStringArray(scp)) {
      failClaims(claims, 'INVALID_CLAIM', TERSE ? '' : "the token 'scp' is neither an array of strings nor a string");
    }

    const sub = ownClaim(claims, 'sub') as string;
    if (sub === '') {
      failClaims(claims, 'INVALID_CLAIM', TERSE ? '' : "the token 'sub' is empty");
    }
    const tokenUse = ownClaim(claims, 'token_use') as string | undefined;
    if (config.kind === 'cognito' && tokenUse !== 'access') {
      failClaims(claims, tokenUse === undefined ? 'MISSING_CLAIM' : 'WRONG_TOKEN_USE', TERSE ? '' : "the Cognito token is not an access token ('token_use' is not 'access')");
    }
    // RFC 9068 section 2.2: the client is required too; one configured claim names it, never a fallback.
    const clientClaim = clientIdClaimOf(config);
    const clientId = ownClaim(claims, clientClaim);
    if (clientId === undefined) {
      failClaims(claims, 'MISSING_CLAIM', TERSE ? '' : `the token has no '${clientClaim}'`);
    }
    if (typeof clientId !== 'string' || clientId === '') {
      failClaims(claims, 'INVALID_CLAIM', TERSE ? '' : `the token '${clientClaim}' is not a non-empty string`);
    }
    if (config.clientIds && !config.clientIds.includes(clientId as string)) {
      failClaims(claims, 'WRONG_CLIENT', TERSE ? '' : 'the token client is not accepted');
    }

    const scopes = new Set<string>();
    const scope = ownClaim(claims, 'scope') as string | undefined;
    if (scope) {
      for (const entry of scope.split(' ')) {
        if (entry) {
          scopes.add(entry);
        }
      }
    }
    if (config.kind === 'oidc' && scp !== undefined) {
      for (const entry of typeof scp === 'string' ? scp.split(' ') : (scp as string[])) {
        if (entry) {
          scopes.add(entry);
        }
      }
    }
    const username = (ownClaim(claims, 'username') ?? ownClaim(claims, 'cognito:username')) as string | undefined;
    const groups = ownClaim(claims, 'cognito:groups') as string[] | undefined;
    const token: Writable<VerifiedToken> = { claims, issuer, sub, clientId: clientId as string, scopes };
    if (tokenUse !== undefined) {
      token.tokenUse = tokenUse;
    }
    if (username !== undefined) {
      token.username = username;
    }
    if (groups !== undefined) {
      token.groups = groups;
    }
    return token;
  }
}
