/**
 * Bearer token extraction and JWT access-token verification (RFC 6750, RFC 7519, RFC 8725, RFC 9068).
 *
 * Order of checks: size and shape of the Authorization value; the JOSE header (algorithm on the global
 * allow-list, no header that lets a token pick its own key or change processing); the payload decoded
 * only to pick the issuer by exact `iss`; the issuer's own algorithm allow-list and `typ`; the key from
 * the issuer's own key set; then `jose`'s `jwtVerify` (signature, `exp`, `nbf`, `iat` age, `aud`, `typ`);
 * then the checks `jose` leaves to the caller (`iat` not in the future, claim types, Cognito `token_use`
 * and `client_id`). Nothing is fetched for a token that fails an earlier check.
 */
import { jwtVerify, type JWTVerifyOptions } from 'jose';
import type { IssuerConfig, JwsAlgorithm } from './config-types';
import { isPlainObject, SUPPORTED_ALGORITHMS } from './config';
import type { ReasonCode } from './decision-log';
import { TokenRejectedError } from './errors';
import type { KeySet } from './keys';

/** Longest accepted token, in characters; longer Authorization values are refused before any parsing. */
export const MAX_TOKEN_LENGTH = 8192;

// RFC 6750 section 2.1: "Bearer" 1*SP b64token. The scheme is case-insensitive (RFC 7235 section 2.1);
// exactly one space, and nothing before or after, so a second token or an injected line never passes.
const BEARER = /^bearer ([A-Za-z0-9._~+/-]+=*)$/i;
// JWS compact serialization with base64url segments and no padding (RFC 7515 section 2). An empty
// signature is let through here only so that `alg: none` is reported as the algorithm problem it is.
const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
// Headers that would let a token choose its own key (RFC 8725 section 3.10) or change how it is
// processed (crit extensions, RFC 7797 unencoded payloads). None has a legitimate use here.
const FORBIDDEN_HEADERS = ['jku', 'x5u', 'jwk', 'x5c', 'crit', 'b64'];
const MAX_KID_LENGTH = 256;

/**
 * The token of an `Authorization` value of the form `Bearer <JWS compact>`.
 * @throws TokenRejectedError `MISSING_TOKEN`, `TOKEN_TOO_LARGE` or `MALFORMED_TOKEN`
 */
export function extractBearerToken(authorization: string | undefined): string {
  if (authorization === undefined || authorization === '') {
    throw new TokenRejectedError('MISSING_TOKEN', 'no Authorization value');
  }
  if (authorization.length > MAX_TOKEN_LENGTH + 'Bearer '.length) {
    throw new TokenRejectedError('TOKEN_TOO_LARGE', `the Authorization value exceeds ${MAX_TOKEN_LENGTH} characters`);
  }
  const match = BEARER.exec(authorization);
  if (!match) {
    throw new TokenRejectedError('MALFORMED_TOKEN', "the Authorization value is not exactly 'Bearer <token>'");
  }
  if (!JWS_COMPACT.test(match[1])) {
    throw new TokenRejectedError('MALFORMED_TOKEN', 'the token is not a JWS in compact serialization with base64url segments');
  }
  return match[1];
}

/** An issuer ready for verification: its validated configuration and its own key set. */
export interface ResolvedIssuer {
  /** The validated issuer configuration. */
  readonly config: IssuerConfig;
  /** The issuer's algorithm allow-list, defaults applied. */
  readonly algorithms: readonly JwsAlgorithm[];
  readonly keySet: KeySet;
}

/** Settings of {@link TokenVerifier}. */
export interface VerifierOptions {
  /** Allowed clock skew, in seconds. */
  readonly clockSkewSeconds: number;
  /** Maximum token age from `iat`, in seconds. */
  readonly maxTokenAgeSeconds?: number;
  /** Clock, epoch milliseconds. */
  readonly now: () => number;
}

/** A verified access token. */
export interface VerifiedToken {
  /** The verified claims (frozen; read with own-property checks only). */
  readonly claims: Readonly<Record<string, unknown>>;
  /** The issuer that signed it. */
  readonly issuer: ResolvedIssuer;
  /** `sub`, when present. */
  readonly sub?: string;
  /** `client_id` (or, for OIDC issuers, `azp`), when present. */
  readonly clientId?: string;
  /** Granted scopes: `scope` split on spaces, plus `scp` (array) for OIDC issuers. */
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

function decodeJsonSegment(segment: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(segment, 'base64url')));
  } catch (cause) {
    throw new TokenRejectedError('MALFORMED_TOKEN', `the ${what} is not base64url-encoded UTF-8 JSON`, { cause });
  }
  if (!isPlainObject(value)) {
    throw new TokenRejectedError('MALFORMED_TOKEN', `the ${what} is not a JSON object`);
  }
  return value;
}

function normalizeTyp(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}

/** The members of a `jose` error this module reads (`JOSEError`, `JWTClaimValidationFailed`, `JWTExpired`). */
interface JoseErrorShape {
  readonly code?: unknown;
  readonly claim?: unknown;
  readonly reason?: unknown;
  readonly payload?: unknown;
}

const CLAIM_REASONS: Readonly<Record<string, ReasonCode>> = { nbf: 'NOT_YET_VALID', iat: 'ISSUED_IN_FUTURE', aud: 'WRONG_AUDIENCE', typ: 'WRONG_TYP', iss: 'UNKNOWN_ISSUER' };
const CODE_REASONS: Readonly<Record<string, ReasonCode>> = {
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'BAD_SIGNATURE',
  ERR_JOSE_ALG_NOT_ALLOWED: 'UNSUPPORTED_ALG',
  ERR_JOSE_NOT_SUPPORTED: 'UNSUPPORTED_ALG',
  ERR_JWKS_NO_MATCHING_KEY: 'UNKNOWN_KID',
  ERR_JWS_INVALID: 'MALFORMED_TOKEN',
  ERR_JWT_INVALID: 'MALFORMED_TOKEN',
};

/**
 * Maps a `jose` error to a rejection by its stable `code` (and, for claim errors, `claim` and `reason`),
 * never by its message. Other errors (a `TypeError` from a key, say) are not token rejections.
 */
function fromJoseError(error: unknown): TokenRejectedError | undefined {
  if (!(error instanceof Error)) {
    return undefined;
  }
  const { code, claim, reason: why, payload } = error as JoseErrorShape;
  let reason: ReasonCode | undefined;
  let verifiedClaims: Record<string, unknown> | undefined;
  if (code === 'ERR_JWT_EXPIRED') {
    reason = claim === 'iat' ? 'TOO_OLD' : 'EXPIRED';
  } else if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
    reason = why === 'missing' ? 'MISSING_CLAIM' : why === 'invalid' ? 'INVALID_CLAIM' : (CLAIM_REASONS[String(claim)] ?? 'INVALID_CLAIM');
  } else if (typeof code === 'string' && Object.hasOwn(CODE_REASONS, code)) {
    reason = CODE_REASONS[code];
  }
  if (reason === undefined) {
    return undefined;
  }
  // jose attaches the claims set to claim errors only, which it raises after the signature verified.
  if ((code === 'ERR_JWT_EXPIRED' || code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') && isPlainObject(payload)) {
    verifiedClaims = payload;
  }
  return new TokenRejectedError(reason, `jose rejected the token (${String(code)})`, { cause: error, verifiedClaims });
}

const STRING_CLAIMS = ['sub', 'client_id', 'azp', 'scope', 'token_use', 'username', 'cognito:username', 'jti'];
const STRING_ARRAY_CLAIMS = ['scp', 'cognito:groups'];

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((entry) => typeof entry === 'string');
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
    const header = decodeJsonSegment(encodedHeader, 'JOSE header');
    const alg = ownClaim(header, 'alg');
    if (typeof alg !== 'string') {
      throw new TokenRejectedError('MALFORMED_TOKEN', 'the JOSE header has no alg');
    }
    if (!SUPPORTED_ALGORITHMS.includes(alg as JwsAlgorithm)) {
      throw new TokenRejectedError('UNSUPPORTED_ALG', 'the token alg is not an accepted asymmetric algorithm');
    }
    const forbidden = FORBIDDEN_HEADERS.find((name) => Object.hasOwn(header, name));
    if (forbidden !== undefined) {
      throw new TokenRejectedError('FORBIDDEN_HEADER', `the JOSE header carries '${forbidden}'`);
    }
    if (signature === '') {
      throw new TokenRejectedError('MALFORMED_TOKEN', 'the token has no signature');
    }

    // The payload is decoded before verification only to choose the issuer (and so the key set).
    const unverified = decodeJsonSegment(encodedPayload, 'JWT claims set');
    const iss = ownClaim(unverified, 'iss');
    if (iss === undefined) {
      throw new TokenRejectedError('MISSING_CLAIM', "the token has no 'iss'");
    }
    if (typeof iss !== 'string') {
      throw new TokenRejectedError('INVALID_CLAIM', "the token 'iss' is not a string");
    }
    const issuer = this.byIssuer.get(iss);
    if (!issuer) {
      throw new TokenRejectedError('UNKNOWN_ISSUER', 'the token names an issuer that is not configured');
    }
    trace.issuer = issuer.config;
    const config = issuer.config;
    if (!issuer.algorithms.includes(alg as JwsAlgorithm)) {
      throw new TokenRejectedError('UNSUPPORTED_ALG', `the issuer does not accept ${alg}`);
    }
    const typ = ownClaim(header, 'typ');
    if (config.requiredTyp !== undefined && (typeof typ !== 'string' || normalizeTyp(typ) !== normalizeTyp(config.requiredTyp))) {
      throw new TokenRejectedError('WRONG_TYP', `the token typ is not ${config.requiredTyp}`);
    }
    const kid = ownClaim(header, 'kid');
    if (kid === undefined) {
      // Refused rather than guessed: every issuer we trust names its keys, and trying each key in turn
      // would turn one bad token into several verifications.
      throw new TokenRejectedError('UNKNOWN_KID', 'the token has no kid');
    }
    if (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH) {
      throw new TokenRejectedError('MALFORMED_TOKEN', 'the token kid is not a short non-empty string');
    }

    const key = await issuer.keySet.getKey(kid, alg as JwsAlgorithm);
    const options: JWTVerifyOptions = {
      algorithms: [alg],
      issuer: config.issuer,
      requiredClaims: ['exp', 'iat'],
      clockTolerance: this.options.clockSkewSeconds,
      currentDate: new Date(this.options.now()),
      ...(config.kind === 'oidc' && config.audienceCheck !== false && { audience: config.audiences }),
      ...(config.requiredTyp !== undefined && { typ: config.requiredTyp }),
      ...(this.options.maxTokenAgeSeconds !== undefined && { maxTokenAge: this.options.maxTokenAgeSeconds }),
    };
    let claims: Readonly<Record<string, unknown>>;
    try {
      claims = Object.freeze((await jwtVerify(token, key, options)).payload as Record<string, unknown>);
    } catch (error) {
      throw fromJoseError(error) ?? error;
    }
    return this.checkClaims(claims, issuer);
  }

  /** The checks `jose` leaves to the caller; the signature has verified. */
  private checkClaims(claims: Readonly<Record<string, unknown>>, issuer: ResolvedIssuer): VerifiedToken {
    const reject = (reason: ReasonCode, message: string): never => {
      throw new TokenRejectedError(reason, message, { verifiedClaims: claims });
    };
    const nowSeconds = this.options.now() / 1000;
    if ((claims.iat as number) > nowSeconds + this.options.clockSkewSeconds) {
      reject('ISSUED_IN_FUTURE', "the token 'iat' is in the future");
    }
    for (const name of STRING_CLAIMS) {
      const value = ownClaim(claims, name);
      if (value !== undefined && typeof value !== 'string') {
        reject('INVALID_CLAIM', `the token '${name}' is not a string`);
      }
    }
    for (const name of STRING_ARRAY_CLAIMS) {
      const value = ownClaim(claims, name);
      if (value !== undefined && !isStringArray(value)) {
        reject('INVALID_CLAIM', `the token '${name}' is not an array of strings`);
      }
    }
    const aud = ownClaim(claims, 'aud');
    if (aud !== undefined && typeof aud !== 'string' && !isStringArray(aud)) {
      reject('INVALID_CLAIM', "the token 'aud' is neither a string nor an array of strings");
    }

    const config = issuer.config;
    const sub = ownClaim(claims, 'sub') as string | undefined;
    const clientIdClaim = ownClaim(claims, 'client_id') as string | undefined;
    const tokenUse = ownClaim(claims, 'token_use') as string | undefined;
    if (config.kind === 'cognito') {
      if (tokenUse === undefined) {
        reject('MISSING_CLAIM', "the Cognito token has no 'token_use'");
      }
      if (tokenUse !== 'access') {
        reject('WRONG_TOKEN_USE', "the Cognito token is not an access token ('token_use' is not 'access')");
      }
    }
    const clientId = clientIdClaim ?? (config.kind === 'oidc' ? (ownClaim(claims, 'azp') as string | undefined) : undefined);
    if (config.kind === 'cognito' || config.clientIds !== undefined) {
      if (clientId === undefined) {
        reject('MISSING_CLAIM', "the token has no 'client_id'");
      }
      if (!config.clientIds!.includes(clientId!)) {
        reject('WRONG_CLIENT', 'the token client is not accepted');
      }
    }
    if ((sub === undefined || sub === '') && (clientId === undefined || clientId === '')) {
      reject('MISSING_CLAIM', "the token has neither 'sub' nor 'client_id'");
    }

    const scopes = new Set<string>();
    const scope = ownClaim(claims, 'scope') as string | undefined;
    scope?.split(' ').forEach((s) => s !== '' && scopes.add(s));
    if (config.kind === 'oidc') {
      (ownClaim(claims, 'scp') as string[] | undefined)?.forEach((s) => scopes.add(s));
    }
    const username = (ownClaim(claims, 'username') ?? ownClaim(claims, 'cognito:username')) as string | undefined;
    const groups = ownClaim(claims, 'cognito:groups') as string[] | undefined;
    return {
      claims,
      issuer,
      scopes,
      ...(sub !== undefined && sub !== '' && { sub }),
      ...(clientId !== undefined && clientId !== '' && { clientId }),
      ...(tokenUse !== undefined && { tokenUse }),
      ...(username !== undefined && { username }),
      ...(groups !== undefined && { groups }),
    };
  }
}
