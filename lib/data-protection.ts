/**
 * Data protection of the audit logs: the log profiles (what the logs keep about callers) and the
 * retention of each kind of log.
 */
import * as logs from 'aws-cdk-lib/aws-logs';
import type { IConstruct } from 'constructs';
import { describeValue, SecureApiValidationError, validateLogRetention } from './errors';

/** What the audit logs keep about callers. */
export type LogProfile = 'full' | 'minimal' | 'pseudonymous';

/** Every log profile, from the one that keeps most to the one that keeps least. */
export const LOG_PROFILES: readonly LogProfile[] = Object.freeze(['full', 'minimal', 'pseudonymous'] as const);

/**
 * The `$context` variables each profile leaves out of the access log. API Gateway writes what the format
 * names and nothing else, so leaving a variable out is all the access log can do; it cannot hash a value.
 *
 * - `full` keeps every field of the format.
 * - `minimal` leaves out the caller's IP address and user agent, and the concrete path (whose path parameters
 *   can be personal data; the resource template `$context.resourcePath` stays).
 * - `pseudonymous` also leaves out the `sub` and client id the authorizer returns in clear for the backend:
 *   its `principalId`, which the access log keeps, is then the keyed pseudonym of `sub`.
 */
export const ACCESS_LOG_VARIABLES_LEFT_OUT: Readonly<Record<LogProfile, readonly string[]>> = Object.freeze({
  full: Object.freeze([]),
  minimal: Object.freeze(['$context.identity.sourceIp', '$context.identity.userAgent', '$context.path']),
  pseudonymous: Object.freeze([
    '$context.identity.sourceIp',
    '$context.identity.userAgent',
    '$context.path',
    '$context.authorizer.sub',
    '$context.authorizer.clientId',
  ]),
});

/**
 * The access-log variables that carry personal data, each with the name of what it holds. The report and
 * the documentation name the personal fields of a log with these names.
 */
export const PERSONAL_ACCESS_LOG_VARIABLES: Readonly<Record<string, string>> = Object.freeze({
  '$context.identity.sourceIp': 'IP address',
  '$context.identity.userAgent': 'user agent',
  '$context.path': 'concrete path',
  '$context.authorizer.principalId': 'principal',
  '$context.authorizer.sub': 'sub',
  '$context.authorizer.clientId': 'client id',
  '$context.authorizer.claims.sub': 'sub',
  '$context.identity.caller': 'principal',
  '$context.identity.user': 'principal',
  '$context.identity.userArn': 'principal',
  '$context.identity.cognitoIdentityId': 'principal',
  '$context.identity.clientCert.subjectDN': 'client certificate subject',
});

/**
 * The personal data the authorizer's decision log holds under each profile: `full` writes `sub`, the client
 * id, and for a request that matches no route the concrete path; `minimal` writes no concrete path;
 * `pseudonymous` writes keyed pseudonyms (`ps1_...`) instead of `sub` and the client id.
 */
export const DECISION_LOG_PERSONAL_FIELDS: Readonly<Record<LogProfile, readonly string[]>> = Object.freeze({
  full: Object.freeze(['sub', 'client id', 'concrete path (requests that match no route)']),
  minimal: Object.freeze(['sub', 'client id']),
  pseudonymous: Object.freeze(['sub pseudonym', 'client id pseudonym']),
});

/**
 * The access-log fields a profile keeps: the given fields without the variables the profile leaves out.
 *
 * @param profile the log profile
 * @param fields field name to `$context` variable, e.g. `SECURE_API_DEFAULTS.accessLogFields`
 * @returns the fields the profile keeps, in their order
 */
export function accessLogFieldsFor(profile: LogProfile, fields: Readonly<Record<string, string>>): Record<string, string> {
  const leftOut = ACCESS_LOG_VARIABLES_LEFT_OUT[profile];
  return Object.fromEntries(Object.entries(fields).filter(([, variable]) => !leftOut.includes(variable)));
}

/**
 * Checks a log profile.
 *
 * @param scope the construct that takes the property, named in the message
 * @param prop name of the property, for the message
 * @param value the value received
 * @returns the profile
 * @throws SecureApiValidationError when the value is not one of {@link LOG_PROFILES}
 */
export function validateLogProfile(scope: IConstruct, prop: string, value: unknown): LogProfile {
  if (typeof value === 'string' && (LOG_PROFILES as readonly string[]).includes(value)) {
    return value as LogProfile;
  }
  throw new SecureApiValidationError(
    `'${prop}' must be one of ${LOG_PROFILES.map((profile) => `'${profile}'`).join(', ')} (received: ${describeValue(value)})`,
    scope,
  );
}

/** The kinds of log of a secure API, each with its own retention. */
export type LogKind = 'access' | 'decision' | 'waf' | 'execution';

/** Every log kind, in the order the report and the documentation list them. */
export const LOG_KINDS: readonly LogKind[] = Object.freeze(['access', 'decision', 'waf', 'execution'] as const);

/** Retention per kind of log; each is bounded (`RetentionDays.INFINITE` is refused). */
export interface LogRetentionByKind {
  /**
   * The stage's access log.
   * @default - SECURE_API_DEFAULTS.logRetention
   */
  readonly access?: logs.RetentionDays;
  /**
   * The authorizer's log (its decision log).
   * @default - SECURE_API_DEFAULTS.logRetention
   */
  readonly decision?: logs.RetentionDays;
  /**
   * The log of the web ACL the API creates.
   * @default - WEB_ACL_DEFAULTS.logging.retention
   */
  readonly waf?: logs.RetentionDays;
  /**
   * The stage's execution log.
   * @default - SECURE_API_DEFAULTS.logRetention
   */
  readonly execution?: logs.RetentionDays;
}

/**
 * Reads a retention given for every log at once or per kind, and checks each one.
 *
 * @param scope the construct that takes the property, named in the message
 * @param prop name of the property, for the message
 * @param value one retention for every log, a retention per kind, or undefined
 * @returns the retention of each kind that was given (kinds not given are absent)
 * @throws SecureApiValidationError on an unknown kind, a value of the wrong type, or a retention that is unbounded or not offered
 */
export function resolveLogRetention(
  scope: IConstruct,
  prop: string,
  value: logs.RetentionDays | LogRetentionByKind | undefined,
): Partial<Record<LogKind, logs.RetentionDays>> {
  if (value === undefined) {
    return {};
  }
  if (typeof value === 'number') {
    const retention = validateLogRetention(scope, prop, value);
    return Object.fromEntries(LOG_KINDS.map((kind) => [kind, retention]));
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SecureApiValidationError(
      `'${prop}' must be a RetentionDays value or an object with ${LOG_KINDS.join(', ')} (received: ${describeValue(value)})`,
      scope,
    );
  }
  const unknownKind = Object.keys(value).find((key) => !(LOG_KINDS as readonly string[]).includes(key));
  if (unknownKind !== undefined) {
    throw new SecureApiValidationError(
      `'${prop}.${unknownKind}' is not a kind of log; the kinds are ${LOG_KINDS.join(', ')} (received: ${describeValue(value)})`,
      scope,
    );
  }
  const byKind: Partial<Record<LogKind, logs.RetentionDays>> = {};
  for (const kind of LOG_KINDS) {
    const retention = validateLogRetention(scope, `${prop}.${kind}`, value[kind]);
    if (retention !== undefined) {
      byKind[kind] = retention;
    }
  }
  return byKind;
}
