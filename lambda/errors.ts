/**
 * The authorizer's error model. Every error carries a stable `code` (as a static member and on the
 * instance, as `jose` does) and the decision-log {@link ReasonCode} it maps to, so callers branch on
 * codes and never on message text. Messages are for operators: they never contain token material.
 */
import type { ReasonCode } from './contract/decision-log';
import type { KeyRefreshCause } from './contract/key-refresh-log';

import { AuthorizerError } from './contract/errors';

export { AuthorizerError, ConfigError } from './contract/errors';

/** The API Gateway event does not have the shape of a TOKEN or REQUEST authorizer event. */
export class MalformedEventError extends AuthorizerError {
  static override code = 'ERR_MALFORMED_EVENT';

  /** @param message which part of the event is malformed */
  constructor(message: string) {
    super('MALFORMED_EVENT', message);
  }
}

/** The bearer token is missing, malformed, or fails a check; always answered with 401. */
export class TokenRejectedError extends AuthorizerError {
  static override code = 'ERR_TOKEN_REJECTED';
  /**
   * The verified claims when the token was rejected after its signature verified (for example an
   * expired token), so the decision log may name its subject; undefined before that point.
   */
  readonly verifiedClaims?: Readonly<Record<string, unknown>>;

  /**
   * @param reason the decision-log reason code
   * @param message which check failed (never token material)
   * @param options `cause`, and the claims when the signature had already been verified
   */
  constructor(reason: ReasonCode, message: string, options?: { cause?: unknown; verifiedClaims?: Readonly<Record<string, unknown>> }) {
    super(reason, message, options);
    this.verifiedClaims = options?.verifiedClaims;
  }
}

/** No usable key of the token's issuer has the token's `kid` (after at most one refetch). */
export class KeyNotFoundError extends AuthorizerError {
  static override code = 'ERR_KEY_NOT_FOUND';

  /** @param message why no key was found */
  constructor(message: string) {
    super('UNKNOWN_KID', message);
  }
}

/** The issuer's keys could not be fetched and no keys within the grace period are at hand. */
export class KeysUnavailableError extends AuthorizerError {
  static override code = 'ERR_KEYS_UNAVAILABLE';

  /** @param message why the keys are unavailable; `cause` holds the fetch error */
  constructor(message: string, options?: { cause?: unknown }) {
    super('KEYS_UNAVAILABLE', message, options);
  }
}

/** Options of a {@link FetchError}. */
export interface FetchErrorOptions {
  /** The underlying error (a Node.js system error, a parse error...). */
  readonly cause?: unknown;
  /**
   * Why the fetch failed.
   * @default - classified from the Node.js error code of `cause` (see {@link fetchFailureCauseOf}), else `CONNECT`
   */
  readonly failureCause?: KeyRefreshCause;
  /** The HTTP status, for `HTTP_STATUS`. */
  readonly status?: number;
}

/** A JWKS or discovery document could not be fetched or is not acceptable. */
export class FetchError extends AuthorizerError {
  static override code = 'ERR_FETCH_FAILED';
  /**
   * The classification of the failure, from a fixed set (the `cause` of the key-refresh log line). Named
   * apart from the standard `Error.cause`, which keeps the underlying error.
   */
  readonly failureCause: KeyRefreshCause;
  /** The HTTP status of an `HTTP_STATUS` failure, else undefined. */
  readonly status?: number;

  /**
   * @param message what went wrong, naming the URL (never a document body)
   * @param options the underlying error, the classification and the HTTP status
   */
  constructor(message: string, options: FetchErrorOptions = {}) {
    super('KEYS_UNAVAILABLE', message, 'cause' in options ? { cause: options.cause } : undefined);
    this.failureCause = options.failureCause ?? fetchFailureCauseOf(options.cause) ?? 'CONNECT';
    this.status = options.status;
  }
}

/** A JWKS or discovery fetch did not complete within `keys.fetchTimeoutMs`. */
export class FetchTimeoutError extends FetchError {
  static override code = 'ERR_FETCH_TIMEOUT';

  /** @param message which URL did not answer in time */
  constructor(message: string) {
    super(message, { failureCause: 'TIMEOUT' });
  }
}

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EAI_NODATA', 'EAI_ADDRFAMILY']);
const CONNECT_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EHOSTDOWN', 'EPIPE', 'ECONNABORTED', 'EADDRNOTAVAIL',
  'UND_ERR_SOCKET', 'UND_ERR_CLOSED',
]);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'ABORT_ERR', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
// OpenSSL certificate verification results as Node.js reports them, besides the ERR_TLS_* / ERR_SSL_* / CERT_* families.
const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'HOSTNAME_MISMATCH', 'INVALID_CA', 'PATH_LENGTH_EXCEEDED', 'INVALID_PURPOSE', 'EPROTO',
]);

/**
 * Classifies a transport failure by its Node.js error code (never by its message), looking through up to
 * three levels of `cause` (as `fetch` wraps socket errors): DNS, CONNECT, TLS or TIMEOUT; a
 * {@link FetchError} keeps its own classification.
 * @param error anything a transport rejected with
 * @returns the cause, or undefined when no known code is found
 */
export function fetchFailureCauseOf(error: unknown): KeyRefreshCause | undefined {
  let current = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    if (current instanceof FetchError) {
      return current.failureCause;
    }
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (DNS_CODES.has(code)) return 'DNS';
      if (CONNECT_CODES.has(code)) return 'CONNECT';
      if (TIMEOUT_CODES.has(code)) return 'TIMEOUT';
      if (TLS_CODES.has(code) || /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_)/.test(code)) return 'TLS';
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * The policy built for a request would not give API Gateway the decision the authorizer reached.
 * Cannot happen for a validated configuration; if it ever does, the request fails closed (401).
 */
export class PolicyInvariantError extends AuthorizerError {
  static override code = 'ERR_POLICY_INVARIANT';

  /** @param message which route's policy failed the check */
  constructor(message: string) {
    super('INTERNAL_ERROR', message);
  }
}

/**
 * The called method is not in the route table: the deployed API and the authorizer's configuration have
 * drifted apart (or a TOKEN event's path matches no route). Answered with 401: no policy built from the
 * request's own path could be cached safely, and a 401 is never cached.
 */
export class NoRouteError extends AuthorizerError {
  static override code = 'ERR_NO_ROUTE';

  /** @param message which method and path missed */
  constructor(message: string) {
    super('NO_ROUTE', message);
  }
}
