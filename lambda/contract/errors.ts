/**
 * The root of the authorizer's error model, shared with the constructs: {@link AuthorizerError} (a stable
 * `code` as a static member and on the instance, as `jose` does, plus the decision-log reason it maps to)
 * and {@link ConfigError}, which configuration validation throws.
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
