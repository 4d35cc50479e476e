import { type Duration, Token } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { IConstruct } from 'constructs';

/**
 * The one error class the constructs throw for invalid configuration.
 *
 * Messages name the property, the rule and the value received, so a reader can fix the
 * configuration without opening the source: `'authorizerCacheTtl' must be at most 3600 seconds (received: 7200)`.
 * A construct passes itself as `scope`, so the message starts with its path and says which of several
 * constructs holds the bad value: `MyStack/Api: 'throttle.rateLimit' must be greater than 0 (received: 0)`.
 */
export class SecureApiValidationError extends Error {
  /** Stable code of this error class, as jose does with `JOSEError.code`. */
  public static readonly code = 'ERR_SECURE_API_VALIDATION';

  /** Stable code of this error, for callers that branch on errors without parsing messages. */
  public readonly code = SecureApiValidationError.code;

  /**
   * @param message what is wrong: the property, the rule and the value received
   * @param scope the construct whose property is wrong, or the path of a construct about to be created; its
   * path prefixes the message. Left out by code that runs before any construct is involved (static factories).
   */
  constructor(message: string, scope?: IConstruct | string) {
    const path = typeof scope === 'string' ? scope : scope?.node.path;
    super(path ? `${path}: ${message}` : message);
    this.name = 'SecureApiValidationError';
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/**
 * Renders a received value for an error message: strings quoted, arrays and objects as compact JSON.
 *
 * @param value the value received
 * @returns a short, unambiguous rendering of the value
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    return `'${value}'`;
  }
  if (value === undefined) {
    return 'undefined';
  }
  const json = JSON.stringify(value);
  return json.length > 200 ? `${json.slice(0, 197)}...` : json;
}

/** Bounds of {@link validateDuration}. */
export interface DurationRule {
  /** Unit the value must be a whole number of, and the unit of the message. */
  readonly unit: 'seconds' | 'milliseconds';
  /** Smallest allowed value, in `unit`. @default 0 */
  readonly min?: number;
  /** Largest allowed value, in `unit`. @default - unbounded */
  readonly max?: number;
}

/**
 * Checks that a duration is a whole number of `unit` within bounds; skips unresolved tokens.
 *
 * @param scope the construct that takes the property, named in the message
 * @param prop name of the property, for the message
 * @param value the duration received, or undefined when not set
 * @param rule the unit and bounds
 * @returns the value in `unit`, or undefined when not set or a token
 * @throws SecureApiValidationError when the value is fractional or out of bounds
 */
export function validateDuration(scope: IConstruct, prop: string, value: Duration | undefined, rule: DurationRule): number | undefined {
  if (value === undefined || value.isUnresolved()) {
    return undefined;
  }
  const millis = value.toMilliseconds();
  const amount = rule.unit === 'seconds' ? millis / 1000 : millis;
  if (!Number.isInteger(amount)) {
    throw new SecureApiValidationError(`'${prop}' must be a whole number of ${rule.unit} (received: ${amount})`, scope);
  }
  const min = rule.min ?? 0;
  if (amount < min) {
    throw new SecureApiValidationError(`'${prop}' must be at least ${min} ${rule.unit} (received: ${amount})`, scope);
  }
  if (rule.max !== undefined && amount > rule.max) {
    throw new SecureApiValidationError(`'${prop}' must be at most ${rule.max} ${rule.unit} (received: ${amount})`, scope);
  }
  return amount;
}

/** The bounded CloudWatch Logs retention values, in days: every `RetentionDays` member but `INFINITE`. */
const BOUNDED_RETENTION_DAYS: readonly number[] = Object.values(logs.RetentionDays).filter(
  (value): value is number => typeof value === 'number' && value !== logs.RetentionDays.INFINITE,
);

/**
 * Checks that a log retention is one CloudWatch Logs accepts and is bounded: audit logs are kept long
 * enough for an audit, never forever. Skips unresolved tokens.
 *
 * @param scope the construct that takes the property, named in the message
 * @param prop name of the property, for the message
 * @param retention the retention received, or undefined when not set
 * @returns the retention
 * @throws SecureApiValidationError on `RetentionDays.INFINITE` or a number of days CloudWatch Logs does not offer
 */
export function validateLogRetention(
  scope: IConstruct,
  prop: string,
  retention: logs.RetentionDays | undefined,
): logs.RetentionDays | undefined {
  if (retention === undefined || Token.isUnresolved(retention) || BOUNDED_RETENTION_DAYS.includes(retention)) {
    return retention;
  }
  const received = retention === logs.RetentionDays.INFINITE ? 'RetentionDays.INFINITE' : describeValue(retention);
  throw new SecureApiValidationError(
    `'${prop}' must be a bounded retention, one of ${BOUNDED_RETENTION_DAYS.join(', ')} days (never RetentionDays.INFINITE) (received: ${received})`,
    scope,
  );
}
