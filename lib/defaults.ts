import { Duration, RemovalPolicy, Size } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { CONFIG_DEFAULTS, CONFIG_LIMITS, type ConfigRange, type JwsAlgorithm } from '../lambda/contract';
import { describeValue, SecureApiValidationError, validateLogRetention } from './errors';
import type { LogProfile } from './data-protection';
import { newestNodeRuntime } from './authorizer/authorizer-runtime';
import { allowCloudWatchLogsToUseKey } from './log-encryption-key';
import { CONTROL_TOWER, NAG_REASONS, acknowledge } from './nag-acknowledgements';

/**
 * Every secure default of `SecureApi`, `JwtAuthorizer` and `ApiGatewayAccount`, in one place.
 *
 * Each `@default` in the construct props names the entry it comes from, and
 * `test/lib/defaults.test.ts` checks that each one reaches the synthesized template.
 * Other modules append their own exported default objects after this one.
 */
export const SECURE_API_DEFAULTS = deepFreeze({
  /** Stage name of the REST API deployment. */
  stageName: 'prod',
  /** Stage-wide throttling: steady-state requests per second and burst capacity. */
  throttle: { rateLimit: 100, burstLimit: 200 },
  /** How long API Gateway caches the authorizer's answer per identity source. */
  authorizerCacheTtl: Duration.minutes(5),
  /**
   * Retention of the access, execution and authorizer (decision) log groups: long enough for an audit (a year
   * covers the yearly review and most incident discoveries), bounded for data protection.
   */
  logRetention: logs.RetentionDays.ONE_YEAR,
  /**
   * Log groups outlive the stack so that an audit trail survives a `cdk destroy`; their retention still ends.
   * `RemovalPolicy.DESTROY` is an explicit choice.
   */
  logRemovalPolicy: RemovalPolicy.RETAIN,
  /** The audit logs keep what an investigation needs about callers: IP address, principal, `sub` and client id. */
  logProfile: 'full' as LogProfile,
  /** Execution logging level: errors only, never request or response bodies. */
  executionLogLevel: 'ERROR' as 'ERROR' | 'INFO' | 'OFF',
  /** X-Ray tracing on the stage. */
  tracingEnabled: true,
  /** Per-method CloudWatch metrics on the stage. */
  metricsEnabled: true,
  /** The account-level CloudWatch role of API Gateway is assumed to exist (there is one per account and region). */
  apiGatewayAccount: 'existing' as 'existing' | 'create',
  /** `Strict-Transport-Security` max-age on gateway (error) responses. */
  hstsMaxAge: Duration.days(365),
  /** CORS defaults when `cors` is set. */
  cors: {
    allowHeaders: ['Authorization', 'Content-Type'],
    maxAge: Duration.minutes(10),
  },
  /**
   * The JWT authorizer function and its verification settings. The verification settings are the
   * runtime's own defaults (`CONFIG_DEFAULTS` of the authorizer contract), as durations.
   */
  authorizer: {
    memorySize: Size.mebibytes(256),
    timeout: Duration.seconds(5),
    clockSkew: Duration.seconds(CONFIG_DEFAULTS.clockSkewSeconds),
    /** Longest accepted token lifetime `exp - iat`: one day, Cognito's longest access-token validity. */
    maxTokenLifetime: Duration.seconds(CONFIG_DEFAULTS.maxTokenLifetimeSeconds),
    keyFetchTimeout: Duration.millis(CONFIG_DEFAULTS.keys.fetchTimeoutMs),
    keyMaxAge: Duration.seconds(CONFIG_DEFAULTS.keys.maxAgeSeconds),
    keyCooldown: Duration.seconds(CONFIG_DEFAULTS.keys.cooldownSeconds),
    keyGracePeriod: Duration.seconds(CONFIG_DEFAULTS.keys.graceSeconds),
    algorithms: [...CONFIG_DEFAULTS.algorithms] as JwsAlgorithm[],
    tracing: true,
  },
  /**
   * The audit access-log record: field name to `$context` variable, one JSON object per request
   * (rendered by {@link renderAccessLogFormat}). Never a body, a header or a token, and only variables
   * whose every value is safe between JSON quotes ({@link ACCESS_LOG_VARIABLES}): whatever a client
   * sends, each line parses as JSON and holds exactly these fields. The client-controlled free text that
   * API Gateway inserts unescaped (User-Agent, raw path, Host, `X-Amzn-Trace-Id`, error messages) is left
   * out; the WAF log, which AWS WAF writes as proper JSON, holds the request's headers and URI, joined on
   * `extendedRequestId` = WAF `httpRequest.requestId`.
   */
  accessLogFields: {
    requestId: '$context.requestId',
    extendedRequestId: '$context.extendedRequestId',
    requestTime: '$context.requestTime',
    requestTimeEpoch: '$context.requestTimeEpoch',
    ip: '$context.identity.sourceIp',
    httpMethod: '$context.httpMethod',
    resourcePath: '$context.resourcePath',
    protocol: '$context.protocol',
    stage: '$context.stage',
    status: '$context.status',
    responseLength: '$context.responseLength',
    responseLatency: '$context.responseLatency',
    principalId: '$context.authorizer.principalId',
    clientId: '$context.authorizer.clientId',
    scopes: '$context.authorizer.scopes',
    sub: '$context.authorizer.sub',
    scopesTruncated: '$context.authorizer.scopesTruncated',
    authorizerStatus: '$context.authorizer.status',
    authorizerError: '$context.authorizer.error',
    authorizerLatency: '$context.authorizer.latency',
    authorizerIntegrationLatency: '$context.authorizer.integrationLatency',
    authorizerRequestId: '$context.authorizer.requestId',
    wafStatus: '$context.waf.status',
    wafError: '$context.waf.error',
    wafLatency: '$context.waf.latency',
    wafResponseCode: '$context.wafResponseCode',
    integrationStatus: '$context.integration.status',
    integrationLatency: '$context.integration.latency',
    integrationRequestId: '$context.integration.requestId',
    errorResponseType: '$context.error.responseType',
  } as Readonly<Record<string, string>>,
  /** Hard limits the constructs validate against. */
  limits: {
    /** API Gateway caps the authorizer cache TTL at one hour. */
    maxAuthorizerCacheTtl: Duration.hours(1),
    /** The runtime accepts at most five minutes of clock skew. */
    maxClockSkew: Duration.seconds(CONFIG_LIMITS.maxClockSkewSeconds),
    /** The runtime accepts a `maxTokenAge` of at most one year. */
    maxTokenAge: Duration.seconds(CONFIG_LIMITS.maxTokenAgeSeconds),
    /** The runtime accepts a `maxTokenLifetime` of at most one year. */
    maxTokenLifetime: Duration.seconds(CONFIG_LIMITS.maxTokenLifetimeSeconds),
    /** Range of `keyFetchTimeout` the runtime accepts: 100 ms to 10 s. */
    keyFetchTimeout: durationRange(CONFIG_LIMITS.keys.fetchTimeoutMs, Duration.millis),
    /** Range of `keyMaxAge` the runtime accepts: one minute to one day. */
    keyMaxAge: durationRange(CONFIG_LIMITS.keys.maxAgeSeconds, Duration.seconds),
    /** Range of `keyCooldown` the runtime accepts: 1 s (the floor of the back-off) to one hour. */
    keyCooldown: durationRange(CONFIG_LIMITS.keys.cooldownSeconds, Duration.seconds),
    /** Range of `keyGracePeriod` the runtime accepts: none to seven days. */
    keyGracePeriod: durationRange(CONFIG_LIMITS.keys.graceSeconds, Duration.seconds),
    /** Lambda allows 4 KB for all environment variables of a function, names and values together. */
    lambdaEnvironmentBytes: 4096,
    /** Head room of the function timeout over the key fetches it may have to make (discovery, then JWKS). */
    authorizerTimeoutMargin: Duration.seconds(1),
  },
} as const);

/**
 * The `$context` variables the access log may hold, each with the reason why every value API Gateway can
 * insert for it is safe between JSON quotes. API Gateway writes access-log variables as they are, without
 * escaping, and writes `-` for a variable that has no value; so a variable is safe only when neither the
 * client nor anyone else can put a `"`, a `\`, or a control character into it.
 *
 * Left out on purpose, because a client controls them and nothing constrains or escapes them:
 * `$context.identity.userAgent` (the User-Agent header), `$context.path` (the raw request path),
 * `$context.domainName` (the Host header), `$context.xrayTraceId` (API Gateway continues the trace of a
 * client's `X-Amzn-Trace-Id` header), `$context.error.message` and `$context.integration.error` (free
 * text, the latter written by the backend). `$context.error.messageString` is documented as "the quoted
 * value of `$context.error.message`, namely `"$context.error.message"`": it is meant to stand without
 * quotes, but quoting is not escaping, and a request without an error gets `-`, which is not JSON
 * there, so no placement keeps every line valid.
 *
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-variables-for-access-logging.html
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-access-logging.html
 */
export const ACCESS_LOG_VARIABLES: Readonly<Record<string, string>> = deepFreeze({
  '$context.requestId':
    'a UUID: a client may set it through x-amzn-RequestId, but API Gateway logs a value that is not a UUID as {UUID}_REPLACED_INVALID_REQUEST_ID',
  '$context.extendedRequestId': 'generated by API Gateway; no client can set or override it',
  '$context.requestTime': 'the CLF time API Gateway received the request (dd/MMM/yyyy:HH:mm:ss +-hhmm)',
  '$context.requestTimeEpoch': 'a number of milliseconds',
  '$context.identity.sourceIp': 'the IP address of the TCP connection (a regional endpoint has no proxy in front whose header it would read)',
  '$context.httpMethod': 'DELETE, GET, HEAD, OPTIONS, PATCH, POST or PUT',
  '$context.resourcePath': 'the resource template this API defines (/items/{id}), never the path the client sent',
  '$context.protocol': 'the HTTP version API Gateway spoke (HTTP/1.1, HTTP/2.0)',
  '$context.stage': 'the stage name this API defines',
  '$context.status': 'a status code',
  '$context.responseLength': 'a number of bytes',
  '$context.responseLatency': 'a number of milliseconds',
  // The principal, client id, scopes and sub come from this library's authorizer, which percent-encodes
  // '%', '"', '\', control characters and the other characters unsafe in a JSON string before it returns
  // them (encodeText in lambda/contract/decision-log.ts).
  '$context.authorizer.principalId': 'the principal the authorizer returns, encoded so that it is JSON-string safe',
  '$context.authorizer.clientId': 'the client id the authorizer returns, encoded so that it is JSON-string safe',
  '$context.authorizer.scopes': 'the scopes the authorizer returns, encoded so that they are JSON-string safe',
  '$context.authorizer.sub': 'the subject the authorizer returns, encoded so that it is JSON-string safe',
  '$context.authorizer.scopesTruncated': "'true' when the authorizer left whole scopes out of scopes to keep it under its cap",
  '$context.authorizer.status': 'a status code',
  '$context.authorizer.error':
    "API Gateway's message about the authorizer call; the authorizer itself only ever throws the fixed 'Unauthorized'",
  '$context.authorizer.latency': 'a number of milliseconds',
  '$context.authorizer.integrationLatency': 'a number of milliseconds',
  '$context.authorizer.requestId': "the authorizer function's Lambda request id (a UUID)",
  '$context.waf.status': 'a status code',
  '$context.waf.error': "AWS WAF's own error message",
  '$context.waf.latency': 'a number of milliseconds',
  '$context.wafResponseCode': 'WAF_ALLOW or WAF_BLOCK',
  '$context.integration.status': 'a status code',
  '$context.integration.latency': 'a number of milliseconds',
  '$context.integration.requestId': "the integration's AWS request id",
  '$context.error.responseType': 'a gateway response type (UNAUTHORIZED, ACCESS_DENIED, THROTTLED, WAF_FILTERED...)',
});

/**
 * Renders access-log fields as one JSON object per request, the format CloudWatch Logs Insights and
 * metric filters read field by field (and cdk-nag's Serverless-APIGWStructuredLogging requires). Every
 * value is a quoted string, `-` when API Gateway has no value for it.
 *
 * @param fields field name to `$context` variable; each variable must be one of {@link ACCESS_LOG_VARIABLES}
 * @returns the access-log format string
 * @throws SecureApiValidationError when a variable could carry a `"`, a `\` or a control character into the line
 */
export function renderAccessLogFormat(fields: Readonly<Record<string, string>>): string {
  for (const [name, variable] of Object.entries(fields)) {
    if (!Object.prototype.hasOwnProperty.call(ACCESS_LOG_VARIABLES, variable)) {
      throw new SecureApiValidationError(
        `'accessLogFields.${name}' must be a $context variable whose every value is safe between JSON quotes (one of ACCESS_LOG_VARIABLES), ` +
          `as API Gateway inserts values unescaped and a client-controlled one could break the line or forge fields (received: ${describeValue(variable)})`,
      );
    }
  }
  return JSON.stringify(fields);
}

/** Options of {@link createAuditLogGroup}. */
export interface AuditLogGroupOptions {
  /** How long the log events are kept; bounded (`RetentionDays.INFINITE` is refused). */
  readonly retention: logs.RetentionDays;
  /** What happens to the log group when it leaves the stack. */
  readonly removalPolicy: RemovalPolicy;
  /**
   * Customer-managed KMS key that encrypts the log events. A key created in this app gets a key policy
   * statement that lets CloudWatch Logs of this account and region use it; an imported key must already allow it.
   * @default - encrypted with a CloudWatch Logs managed key
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * Creates a log group with bounded retention, the chosen removal policy and, optionally, a customer-managed
 * KMS key whose key policy lets CloudWatch Logs use it.
 *
 * @param scope the parent construct
 * @param id the log group's construct id
 * @param options retention, removal policy and key
 * @returns the log group
 * @throws SecureApiValidationError on `RetentionDays.INFINITE` or a retention CloudWatch Logs does not offer
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
 */
export function createAuditLogGroup(scope: Construct, id: string, options: AuditLogGroupOptions): logs.LogGroup {
  validateLogRetention(scope, 'retention', options.retention);
  if (options.encryptionKey !== undefined) {
    allowCloudWatchLogsToUseKey(options.encryptionKey);
  }
  const logGroup = new logs.LogGroup(scope, id, {
    retention: options.retention,
    removalPolicy: options.removalPolicy,
    encryptionKey: options.encryptionKey,
  });
  if (options.encryptionKey === undefined) {
    acknowledge(logGroup, { 'NIST.800.53.R5-CloudWatchLogGroupEncrypted': NAG_REASONS.logGroupServiceKey, [CONTROL_TOWER.logGroupEncrypted]: NAG_REASONS.logGroupServiceKey });
  }
  return logGroup;
}

/**
 * Defaults of the deployable demo (`SecureApiStack`, `bin/app.ts`): each `@default` in
 * `SecureApiStackProps` and in the `secureApi` context names its entry here.
 */
export const SECURE_API_STACK_DEFAULTS = deepFreeze({
  /** CloudFormation stack name of the app. */
  stackName: 'SecureApiDemo',
  /** Redirect URIs of the demo's web client: a single-page app on the developer's machine. */
  callbackUrls: ['http://localhost:3000/callback'] as readonly string[],
  logoutUrls: ['http://localhost:3000/'] as readonly string[],
  /** Resource server identifier of the demo's scopes: tokens carry `items/read` and `items/write`. */
  resourceServerIdentifier: 'items',
  /** Cognito group whose members may call the admin route. */
  adminGroup: 'admin',
  /**
   * The demo is what a new user deploys first, maybe in an account whose API Gateway has no logging role
   * yet (a stage with access logs then fails to deploy). So it sets the role up itself; the role and the
   * account setting are retained, so deleting the demo never breaks the logging of other APIs.
   */
  apiGatewayAccount: 'create' as 'create' | 'existing',
} as const);

/** Defaults of `DemoItemsService`, the demo backend. */
export const DEMO_ITEMS_DEFAULTS = deepFreeze({
  /** The newest Node.js runtime of the installed aws-cdk-lib, like the authorizer's, so cdk-nag's latest-runtime rules stay clean. */
  runtime: newestNodeRuntime(),
  memorySize: Size.mebibytes(256),
  /**
   * The service gives one request's DynamoDB work 5 s (3 attempts of at most 1.5 s each, standard retries,
   * the admin count's pages included) and answers 503 past it; 10 s leaves it time to answer and log.
   */
  timeout: Duration.seconds(10),
  logRetention: logs.RetentionDays.ONE_YEAR,
  removalPolicy: RemovalPolicy.RETAIN,
} as const);

/**
 * Every secure default of `SecureApiWebAcl`, in one place: each `@default` in `SecureApiWebAclProps`
 * names its entry here.
 */
export const WEB_ACL_DEFAULTS = deepFreeze({
  /**
   * Per-IP rate limit: at most this many requests per evaluation window from one client IP address,
   * then 429 until the rate falls back under the limit.
   */
  rateLimit: { limit: 2000, window: Duration.minutes(5) },
  /** Evaluation window and aggregation header of the optional per-client rate limit. */
  clientRateLimit: { window: Duration.minutes(5), headerName: 'authorization' },
  /**
   * Largest request body the web ACL lets through: the 8 KB of the Common rule set's
   * `SizeRestrictions_BODY` rule, which this rule replaces (that rule is set to count).
   */
  maxBodySize: Size.kibibytes(8),
  /** How much of the body API Gateway forwards to AWS WAF: 16 KB is the limit without extra charges. */
  bodyInspectionLimit: Size.kibibytes(16),
  /** Capacity budget in WCUs: 1,500 is what the base web ACL price covers (AWS WAF allows 5,000). */
  maxCapacity: 1500,
  /** Which AWS managed rule groups run when `managedRuleGroups` does not say otherwise. */
  managedRuleGroups: {
    ipReputation: true,
    anonymousIp: false,
    knownBadInputs: true,
    commonRuleSet: true,
    sqlInjection: false,
    botControl: false,
  },
  /** Bot Control inspection level: `COMMON` (self-identifying bots) costs less than `TARGETED`. */
  botControlInspectionLevel: 'COMMON' as 'COMMON' | 'TARGETED',
  /**
   * Headers AWS WAF never stores in clear: not in logs, not in sampled requests, not in rate-limit details.
   * `x-api-key` is a credential (API Gateway's usage-plan key), redacted whether or not routes require one.
   */
  protectedHeaders: ['authorization', 'cookie', 'x-api-key'] as readonly string[],
  /** Query arguments AWS WAF never stores in clear: RFC 6750 §2.3 lets a bearer token travel as `access_token`. */
  protectedQueryArguments: ['access_token'] as readonly string[],
  /** The WAF log group: bounded retention, kept after the stack, only requests WAF blocked or counted. */
  logging: {
    retention: logs.RetentionDays.ONE_YEAR,
    removalPolicy: RemovalPolicy.RETAIN,
    logAllRequests: false,
  },
} as const);

/**
 * Every default of `DenyList` and of `SecureApiProps.revocation`: each `@default` in their props names its entry here.
 */
export const REVOCATION_DEFAULTS = deepFreeze({
  /** Revocation entries are an audit record of their own: the table outlives the stack. */
  removalPolicy: RemovalPolicy.RETAIN,
  /** How old the authorizer's snapshot of the deny list may grow before it reads the table again. */
  refresh: Duration.seconds(30),
  /**
   * With no snapshot of the deny list ever read (a cold start while DynamoDB is unreachable), verified tokens
   * pass and every failed read is logged and alarmed: an outage of the deny list must not take the API down.
   * A snapshot once read stays in force while later reads fail, so revocations already seen are never forgotten.
   */
  whenUnavailable: 'allow' as 'allow' | 'deny',
  limits: {
    /** The authorizer accepts a refresh interval of 1 to 300 seconds. */
    refresh: { min: Duration.seconds(1), max: Duration.seconds(300) },
  },
} as const);

/**
 * Every default of `SecureApiMonitoring` and `AuditQueries`, in one place: each `@default` in their
 * props names its entry here. Rates are percentages of the requests in one period.
 */
export const MONITORING_DEFAULTS = deepFreeze({
  /** Period of every alarm and dashboard metric. */
  period: Duration.minutes(5),
  /** Alarm thresholds. */
  thresholds: {
    /** 5XX responses, in percent of requests: the API or its backend is failing. */
    serverErrorRatePercent: 1,
    /** 4XX responses, in percent of requests: a client bug, a bad deployment or probing. */
    clientErrorRatePercent: 25,
    /** Error rates are only judged over periods with at least this many requests. */
    minimumRequests: 20,
    /** p99 of the latency API Gateway measures, request in to response out. */
    latencyP99: Duration.seconds(3),
    /** Errors of the authorizer function itself (API Gateway answers 500 for each). */
    authorizerErrors: 1,
    /** Errors of each backend function. */
    backendErrors: 1,
    /** Requests the authorizer denied or found unauthorized: a spike means probing or a broken client. */
    deniedRequests: 100,
    /** Decisions that failed because the issuer's keys could not be fetched: every one fails closed. */
    keyFetchFailures: 1,
    /** Decisions refused because the authorizer cannot use its configuration or pseudonym key: every one fails closed. */
    configErrors: 1,
    /** Requests the web ACL blocked. */
    wafBlockedRequests: 500,
    /**
     * Failed refreshes of the issuer keys (one per failed attempt, whatever its cause). Two, so that one
     * transient failure followed by a successful retry pages nobody, while a failing identity provider does
     * well before the grace period of the keys runs out.
     */
    keyRefreshFailures: 2,
    /** Requests answered 429, by the web ACL's rate limits or the stage's throttling. */
    throttledRequests: 100,
    /** Failed reads of the deny list with no snapshot: one is enough, as revocations may not apply meanwhile. */
    denyListUnavailable: 1,
  },
  /** Alarms notify an SNS topic the construct creates (KMS-encrypted, TLS only) unless told otherwise. */
  alarmTopic: true,
  /** Name of the metric the access-log metric filter publishes for 429 responses. */
  throttledMetricName: 'ThrottledRequests',
  /** Name of the metric the decision-log metric filter publishes for `deny list unavailable` lines. */
  denyListUnavailableMetricName: 'DenyListUnavailable',
  /** Folder of the saved Logs Insights queries in the CloudWatch console. */
  queryFolder: 'secure-api',
} as const);

/**
 * Every secure default of `CognitoOAuth`: each `@default` in `CognitoOAuthProps` names its entry here.
 */
export const COGNITO_OAUTH_DEFAULTS = deepFreeze({
  /** The Essentials plan: managed login, TOTP MFA. Plus (threat protection) is a paid, explicit opt-in. */
  featurePlan: cognito.FeaturePlan.ESSENTIALS,
  /** With the Plus plan, threat protection acts on risk rather than only reporting it. */
  plusThreatProtection: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
  /** Administrators create users; nobody signs up on their own. */
  selfSignUpEnabled: false,
  /** Every user sets up a second factor at first sign-in. */
  mfa: cognito.Mfa.REQUIRED,
  /** TOTP authenticator apps only: SMS codes can be intercepted (SIM swap) and need an SMS role and budget. */
  mfaSecondFactor: { otp: true, sms: false, email: false } as cognito.MfaSecondFactor,
  /** NIST SP 800-63B favours length; the character classes keep cdk-nag AwsSolutions-COG1 satisfied. */
  passwordPolicy: {
    minLength: 12,
    requireLowercase: true,
    requireUppercase: true,
    requireDigits: true,
    requireSymbols: true,
    tempPasswordValidity: Duration.days(3),
  } as cognito.PasswordPolicy,
  /** A user pool holds identities that cannot be recreated: it must not be deleted by accident. */
  deletionProtection: true,
  removalPolicy: RemovalPolicy.RETAIN,
  /** Short-lived access tokens bound the window in which a revoked token still verifies (Cognito tokens are checked locally, so revocation takes effect only at expiry). */
  accessTokenValidity: Duration.minutes(60),
  /** A signed-in session lasts at most a day. */
  refreshTokenValidity: Duration.days(1),
  /** OpenID Connect scopes of the web client besides the API scopes. */
  openIdScopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL] as cognito.OAuthScope[],
  limits: {
    /** Cognito accepts access-token lifetimes from 5 minutes to 1 day. */
    minAccessTokenValidity: Duration.minutes(5),
    maxAccessTokenValidity: Duration.days(1),
  },
} as const);

/** A range of the authorizer contract, in its unit, as an inclusive range of durations. */
function durationRange(range: ConfigRange, unit: (amount: number) => Duration): { readonly min: Duration; readonly max: Duration } {
  return { min: unit(range.min), max: unit(range.max) };
}

/**
 * Freezes a defaults object and everything in it (plain objects, arrays, and the `Duration` and `Size`
 * values created here), so that no caller can change a default for every other construct of the process:
 * an assignment throws in strict mode. Instances of other classes (`lambda.Runtime.NODEJS_24_X`,
 * `cognito.OAuthScope.OPENID`...) belong to aws-cdk-lib and are shared: they are left as they are.
 */
function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) {
    return value;
  }
  if (value instanceof Duration || value instanceof Size) {
    return Object.freeze(value);
  }
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (Array.isArray(value) || prototype === Object.prototype || prototype === null) {
    Object.freeze(value);
    for (const child of Object.values(value)) {
      deepFreeze(child);
    }
  }
  return value;
}
