/**
 * Bearer token extraction and JWT access-token verification (RFC 6750, RFC 7519, RFC 8725, RFC 9068).
 *
 * Order of checks: size and shape of the Authorization value; the JOSE header (algorithm on the global
 * allow-list, no header that lets a token pick its own key or change processing); the payload decoded
 * only to pick the issuer by exact `iss`; the issuer's own algorithm allow-list and `typ` (the required one,
 * else an access-token type or none: RFC 8725 section 3.11); the key from the issuer's own key set; then
 * `jose`'s `compactVerify` (JWS structure, `crit`, algorithm, key type and size, signature); then the claims
 * of the verified payload, in the order `jose`'s `jwtVerify` checks them (presence of `iss`, `sub`, `aud`,
 * `iat` and `exp`; exact `iss`; `aud`; `iat`, `nbf` and `exp` as finite numbers and against the clock with
 * the skew; maximum age), and the checks beyond it (`iat` not in the future, lifetime `exp - iat`, claim
 * types, Cognito `token_use`, the client claim). Nothing is fetched for a token that fails an earlier check.
 *
 * `compactVerify` rather than `jwtVerify`: the claims are checked here anyway, and `jwtVerify` would pull
 * a second claims validator (with duration parsing we never use) into the Lambda bundle.
 */
import { compactVerify } from 'jose';
import type { IssuerConfig, JwsAlgorithm } from './contract/config-types';
import { CONFIG_DEFAULTS, isPlainObject, SUPPORTED_ALGORITHMS } from './contract/config';
import type { ReasonCode } from './contract/decision-log';
import { TokenRejectedError } from './errors';
import type { KeySet } from './keys';

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
    reject('MISSING_TOKEN', 'no Authorization value');
  }
  if (authorization!.length > MAX_TOKEN_LENGTH + 7) {
    reject('TOKEN_TOO_LARGE', `the Authorization value exceeds ${MAX_TOKEN_LENGTH} characters`);
  }
  const token = authorization!.slice(7);
  if (!BEARER_SCHEME.test(authorization!.slice(0, 7)) || !JWS_COMPACT.test(token)) {
    reject('MALFORMED_TOKEN', "the Authorization value is not exactly 'Bearer <JWS compact>'");
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

const utf8 = new TextDecoder('utf-8', { fatal: true });

function parseJsonObject(bytes: Uint8Array, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(bytes));
  } catch (cause) {
    reject('MALFORMED_TOKEN', `the ${what} is not UTF-8 JSON`, { cause });
  }
  return isPlainObject(value) ? value : reject('MALFORMED_TOKEN', `the ${what} is not a JSON object`);
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

// The errors `compactVerify` raises for a token (rather than for a key or the runtime), by stable code.
const JOSE_REASONS: Readonly<Record<string, ReasonCode>> = {
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'BAD_SIGNATURE',
  ERR_JOSE_ALG_NOT_ALLOWED: 'UNSUPPORTED_ALG',
  ERR_JOSE_NOT_SUPPORTED: 'UNSUPPORTED_ALG',
  ERR_JWS_INVALID: 'MALFORMED_TOKEN',
};

// One options object per algorithm, made once: `compactVerify` only reads it.
const VERIFY_OPTIONS = new Map(SUPPORTED_ALGORITHMS.map((alg) => [alg, Object.freeze({ algorithms: [alg] })]));

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
  return value === undefined || Number.isFinite(value) ? (value as number) : failClaims(claims, 'INVALID_CLAIM', `the token '${name}' is not a finite number`);
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
  private readonly byIssuer: ReadonlyMap<string, ResolvedIssuer>;

  /**
   * @param issuers the trusted issuers, each with its own key set
   * @param options clock, skew and maximum age
   */
  constructor(
    issuers: readonly ResolvedIssuer[],
    private readonly options: VerifierOptions,
  ) {
    this.byIssuer = new Map(issuers.map((issuer) => [issuer.config.issuer, issuer]));
  }

  /**
   * Verifies a token as returned by {@link extractBearerToken}.
   * @param token the JWS compact serialization
   * @param trace receives the matched issuer, for the decision log
   * @throws TokenRejectedError, KeyNotFoundError or KeysUnavailableError, each with its reason code
   */
  async verify(token: string, trace: VerifyTrace = {}): Promise<VerifiedToken> {
    const [encodedHeader, encodedPayload, signature] = token.split('.');
    const header = parseJsonObject(Buffer.from(encodedHeader ?? '', 'base64url'), 'JOSE header');
    const alg = ownClaim(header, 'alg') as JwsAlgorithm;
    if (typeof alg !== 'string') {
      reject('MALFORMED_TOKEN', 'the JOSE header has no alg');
    }
    if (!SUPPORTED_ALGORITHMS.includes(alg)) {
      reject('UNSUPPORTED_ALG', 'the token alg is not an accepted asymmetric algorithm');
    }
    for (const name of FORBIDDEN_HEADERS) {
      if (Object.hasOwn(header, name)) {
        reject('FORBIDDEN_HEADER', `the JOSE header carries '${name}'`);
      }
    }
    if (!signature) {
      reject('MALFORMED_TOKEN', 'the token has no signature');
    }

    // The payload is decoded before verification to choose the issuer (and so the key set); its claims
    // are used afterwards only if the payload `jose` verifies is these very bytes (checked below).
    const payloadBytes = Buffer.from(encodedPayload ?? '', 'base64url');
    const claims = parseJsonObject(payloadBytes, 'JWT claims set');
    const iss = ownClaim(claims, 'iss');
    if (iss === undefined) {
      reject('MISSING_CLAIM', "the token has no 'iss'");
    }
    const issuer = this.byIssuer.get(iss as string);
    if (typeof iss !== 'string' || !issuer) {
      return reject(typeof iss === 'string' ? 'UNKNOWN_ISSUER' : 'INVALID_CLAIM', "the token 'iss' is not a configured issuer");
    }
    const config = issuer.config;
    trace.issuer = config;
    if (!issuer.algorithms.includes(alg)) {
      reject('UNSUPPORTED_ALG', `the issuer does not accept ${alg}`);
    }
    const typ = ownClaim(header, 'typ');
    if (typ !== undefined && typeof typ !== 'string') {
      reject('MALFORMED_TOKEN', 'the token typ is not a string');
    }
    if (config.requiredTyp !== undefined) {
      if (typ === undefined || mediaType(typ as string) !== mediaType(config.requiredTyp)) {
        reject('WRONG_TYP', `the token typ is not ${config.requiredTyp}`);
      }
    } else if (typ !== undefined && typ !== 'JWT' && typ !== 'at+jwt' && !ACCESS_TOKEN_TYPES.has(mediaType(typ as string))) {
      // RFC 8725 section 3.11: a JWT of another kind (a DPoP proof, a logout or security event token, an
      // ID token typed as such) must never pass as an access token.
      reject('UNEXPECTED_TYP', 'the token typ names another kind of JWT than an access token');
    }
    const kid = ownClaim(header, 'kid');
    if (kid === undefined) {
      // Refused rather than guessed: every issuer we trust names its keys, and trying each key in turn
      // would turn one bad token into several verifications.
      reject('UNKNOWN_KID', 'the token has no kid');
    }
    if (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH) {
      reject('MALFORMED_TOKEN', 'the token kid is not a short non-empty string');
    }

    const key = await issuer.keySet.getKey(kid as string, alg);
    let verified: Uint8Array;
    try {
      ({ payload: verified } = await compactVerify(token, key, VERIFY_OPTIONS.get(alg)));
    } catch (error) {
      // Mapped by stable code, never by message; anything else (a TypeError about a key) is no token rejection.
      const code = String((error as { code?: unknown } | undefined)?.code);
      const reason = Object.hasOwn(JOSE_REASONS, code) ? JOSE_REASONS[code] : undefined;
      throw reason !== undefined ? new TokenRejectedError(reason, `jose rejected the token (${code})`, { cause: error }) : error;
    }
    // Parsing the verified payload again would give the same claims only if the bytes are the same; a
    // byte comparison costs far less than a second parse, and any difference refuses the token.
    if (!payloadBytes.equals(verified)) {
      reject('MALFORMED_TOKEN', 'the verified payload differs from the decoded one');
    }
    return this.checkClaims(Object.freeze(claims), issuer);
  }

  /** Every claim check; the signature has verified, so a rejection carries the claims for the log. */
  private checkClaims(claims: Readonly<Record<string, unknown>>, issuer: ResolvedIssuer): VerifiedToken {
    const config = issuer.config;
    const { clockSkewSeconds: skew, maxTokenAgeSeconds: maxAge, maxTokenLifetimeSeconds: maxLifetime = CONFIG_DEFAULTS.maxTokenLifetimeSeconds } = this.options;
    const audiences = config.kind === 'oidc' && config.audienceCheck !== false ? config.audiences : undefined;

    for (const name of audiences ? REQUIRED_CLAIMS_WITH_AUD : REQUIRED_CLAIMS) {
      if (!Object.hasOwn(claims, name)) {
        failClaims(claims, 'MISSING_CLAIM', `the token has no '${name}'`);
      }
    }
    if (ownClaim(claims, 'iss') !== config.issuer) {
      failClaims(claims, 'UNKNOWN_ISSUER', "the token 'iss' is not the issuer whose key verified it");
    }
    const aud = ownClaim(claims, 'aud');
    if (audiences && !(typeof aud === 'string' ? audiences.includes(aud) : Array.isArray(aud) && audiences.some((a) => aud.includes(a)))) {
      failClaims(claims, 'WRONG_AUDIENCE', 'the token audience is not accepted');
    }
    const nowMs = this.options.now();
    const now = Math.floor(nowMs / 1000);
    const iat = numericClaim(claims, 'iat');
    const nbf = numericClaim(claims, 'nbf');
    if (nbf > now + skew) {
      failClaims(claims, 'NOT_YET_VALID', "the token 'nbf' is in the future");
    }
    const exp = numericClaim(claims, 'exp');
    if (exp <= now - skew) {
      failClaims(claims, 'EXPIRED', 'the token has expired');
    }
    if (maxAge !== undefined && now - iat - skew > maxAge) {
      failClaims(claims, 'TOO_OLD', "the token 'iat' is older than maxTokenAgeSeconds");
    }
    // With a maximum age the whole-second clock decides, as in jose; without one, the exact clock.
    if (iat > (maxAge === undefined ? nowMs / 1000 : now) + skew) {
      failClaims(claims, 'ISSUED_IN_FUTURE', "the token 'iat' is in the future");
    }
    // The issuer's own two clocks, no skew: a token minted to live longer than allowed is refused even
    // while young, so a leaked one cannot be used for days.
    if (exp - iat > maxLifetime) {
      failClaims(claims, 'LIFETIME_TOO_LONG', "the token lifetime 'exp - iat' exceeds maxTokenLifetimeSeconds");
    }
    for (const name of STRING_CLAIMS) {
      const value = ownClaim(claims, name);
      if (value !== undefined && typeof value !== 'string') {
        failClaims(claims, 'INVALID_CLAIM', `the token '${name}' has the wrong type`);
      }
    }
    for (const name of STRING_ARRAY_CLAIMS) {
      const value = ownClaim(claims, name);
      if (value !== undefined && !isStringArray(value)) {
        failClaims(claims, 'INVALID_CLAIM', `the token '${name}' has the wrong type`);
      }
    }
    if (aud !== undefined && typeof aud !== 'string' && !isStringArray(aud)) {
      failClaims(claims, 'INVALID_CLAIM', "the token 'aud' has the wrong type");
    }
    // Entra ID and Okta send `scp` as an array, others as a space-separated string, like `scope`.
    const scp = ownClaim(claims, 'scp');
    if (scp !== undefined && typeof scp !== 'string' && !isStringArray(scp)) {
      failClaims(claims, 'INVALID_CLAIM', "the token 'scp' is neither an array of strings nor a string");
    }

    const sub = ownClaim(claims, 'sub') as string;
    if (sub === '') {
      failClaims(claims, 'INVALID_CLAIM', "the token 'sub' is empty");
    }
    const tokenUse = ownClaim(claims, 'token_use') as string | undefined;
    if (config.kind === 'cognito' && tokenUse !== 'access') {
      failClaims(claims, tokenUse === undefined ? 'MISSING_CLAIM' : 'WRONG_TOKEN_USE', "the Cognito token is not an access token ('token_use' is not 'access')");
    }
    // RFC 9068 section 2.2: the client is required too; one configured claim names it, never a fallback.
    const clientClaim = clientIdClaimOf(config);
    const clientId = ownClaim(claims, clientClaim);
    if (clientId === undefined) {
      failClaims(claims, 'MISSING_CLAIM', `the token has no '${clientClaim}'`);
    }
    if (typeof clientId !== 'string' || clientId === '') {
      failClaims(claims, 'INVALID_CLAIM', `the token '${clientClaim}' is not a non-empty string`);
    }
    if (config.clientIds && !config.clientIds.includes(clientId as string)) {
      failClaims(claims, 'WRONG_CLIENT', 'the token client is not accepted');
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
