/**
 * The authorizer's error model. Every error carries a stable `code` (as a static member and on the
 * instance, as `jose` does) and the decision-log {@link ReasonCode} it maps to, so callers branch on
 * codes and never on message text. Messages are for operators: they never contain token material.
 */
import type { ReasonCode } from './decision-log';

/** Base class of every error the authorizer raises on purpose. */
export class AuthorizerError extends Error {
  /** Stable code of this error class. */
  static code: string = 'ERR_AUTHORIZER';
  /** Stable code of this error, equal to the static `code` of its class. */
  readonly code: string;
  /** The decision-log reason this error maps to. */
  readonly reason: ReasonCode;

  /**
   * @param reason the decision-log reason code
   * @param message what went wrong, for operators (never token material)
   * @param options standard error options (`cause`)
   */
  constructor(reason: ReasonCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
    // Each subclass declares only its static code; the instance takes it from the class it was made with.
    this.code = (new.target as typeof AuthorizerError).code;
    this.name = new.target.name;
  }
}

/** The configuration is invalid. The message names the setting path, the rule and the value received. */
export class ConfigError extends AuthorizerError {
  static override code = 'ERR_CONFIG';

  /** @param message `<setting path>: <rule> (received: <value>)` */
  constructor(message: string, options?: { cause?: unknown }) {
    super('CONFIG_ERROR', message, options);
  }
}

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

/** A JWKS or discovery document could not be fetched or is not acceptable. */
export class FetchError extends AuthorizerError {
  static override code = 'ERR_FETCH_FAILED';

  /** @param message what went wrong, naming the URL */
  constructor(message: string, options?: { cause?: unknown }) {
    super('KEYS_UNAVAILABLE', message, options);
  }
}

/** A JWKS or discovery fetch did not complete within `keys.fetchTimeoutMs`. */
export class FetchTimeoutError extends FetchError {
  static override code = 'ERR_FETCH_TIMEOUT';
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
