import type { Duration } from 'aws-cdk-lib';

/**
 * The one error class the constructs throw for invalid configuration.
 *
 * Messages name the property, the rule and the value received, so a reader can fix the
 * configuration without opening the source: `'authorizerCacheTtl' must be at most 3600 seconds (received: 7200)`.
 */
export class SecureApiValidationError extends Error {
  /** Stable code of this error class, as jose does with `JOSEError.code`. */
  public static readonly code = 'ERR_SECURE_API_VALIDATION';

  /** Stable code of this error, for callers that branch on errors without parsing messages. */
  public readonly code = SecureApiValidationError.code;

  /**
   * @param message what is wrong: the property, the rule and the value received
   */
  constructor(message: string) {
    super(message);
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
 * @param prop name of the property, for the message
 * @param value the duration received, or undefined when not set
 * @param rule the unit and bounds
 * @returns the value in `unit`, or undefined when not set or a token
 * @throws SecureApiValidationError when the value is fractional or out of bounds
 */
export function validateDuration(prop: string, value: Duration | undefined, rule: DurationRule): number | undefined {
  if (value === undefined || value.isUnresolved()) {
    return undefined;
  }
  const millis = value.toMilliseconds();
  const amount = rule.unit === 'seconds' ? millis / 1000 : millis;
  if (!Number.isInteger(amount)) {
    throw new SecureApiValidationError(`'${prop}' must be a whole number of ${rule.unit} (received: ${amount})`);
  }
  const min = rule.min ?? 0;
  if (amount < min) {
    throw new SecureApiValidationError(`'${prop}' must be at least ${min} ${rule.unit} (received: ${amount})`);
  }
  if (rule.max !== undefined && amount > rule.max) {
    throw new SecureApiValidationError(`'${prop}' must be at most ${rule.max} ${rule.unit} (received: ${amount})`);
  }
  return amount;
}
