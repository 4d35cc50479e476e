import { isIP } from 'node:net';
import { Duration, Lazy, Token } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import type { RouteMethod } from '../../lambda/contract';
import { SECURE_API_DEFAULTS } from '../defaults';
import { SecureApiValidationError, describeValue, validateDuration } from '../errors';
import { cidrHostBitsProblem, parseCidr } from '../waf/inputs';

/** Execution logging level of the stage. */
export type ExecutionLogLevel = 'ERROR' | 'INFO' | 'OFF';

/** CORS settings of a {@link SecureApi}. */
export interface SecureApiCorsOptions {
  /**
   * Origins allowed to call the API from a browser, e.g. `https://app.example.com`, or `['*']`.
   * `*` cannot be combined with `allowCredentials`.
   */
  readonly allowOrigins: string[];
  /**
   * Allowed methods.
   * @default - apigw.Cors.ALL_METHODS
   */
  readonly allowMethods?: string[];
  /**
   * Allowed request headers.
   * @default - SECURE_API_DEFAULTS.cors.allowHeaders (Authorization, Content-Type)
   */
  readonly allowHeaders?: string[];
  /**
   * Response headers a browser script may read, in addition to `WWW-Authenticate` on error responses.
   * @default - none
   */
  readonly exposeHeaders?: string[];
  /**
   * Whether browsers may send cookies or TLS client certificates.
   * @default false
   */
  readonly allowCredentials?: boolean;
  /**
   * How long browsers may cache a preflight answer.
   * @default - SECURE_API_DEFAULTS.cors.maxAge (10 minutes)
   */
  readonly maxAge?: Duration;
}

/** The stage's execution logging and metrics settings, which every per-route method setting repeats. */
export interface StageLogging {
  /** Execution logging level. */
  readonly executionLogLevel: ExecutionLogLevel;
  /** Whether full requests and responses are logged. */
  readonly dataTraceEnabled: boolean;
  /** Whether per-method metrics are on. */
  readonly metricsEnabled: boolean;
}

const STAGE_NAME = /^[A-Za-z0-9_-]{1,128}$/;
const ORIGIN = /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/;

/**
 * @param scope the construct that takes the property, named in the message
 * @param stageName the stage name
 * @returns the stage name
 * @throws SecureApiValidationError when it is not 1-128 letters, digits, hyphens or underscores
 */
export function validateStageName(scope: IConstruct, stageName: string): string {
  if (!Token.isUnresolved(stageName) && !STAGE_NAME.test(stageName)) {
    throw new SecureApiValidationError(
      `'stageName' must be 1-128 letters, digits, hyphens or underscores (received: ${describeValue(stageName)})`,
      scope,
    );
  }
  return stageName;
}

/**
 * @param scope the construct that takes the property, named in the message
 * @param level the execution logging level
 * @returns the level
 * @throws SecureApiValidationError when it is not 'ERROR', 'INFO' or 'OFF'
 */
export function validateExecutionLogLevel(scope: IConstruct, level: ExecutionLogLevel): ExecutionLogLevel {
  if (!['ERROR', 'INFO', 'OFF'].includes(level)) {
    throw new SecureApiValidationError(`'executionLogLevel' must be 'ERROR', 'INFO' or 'OFF' (received: ${describeValue(level)})`, scope);
  }
  return level;
}

/**
 * @param scope the construct that takes the property, named in the message
 * @param prop the prop name used in error messages
 * @param throttle rate and burst limits
 * @returns the rate and burst limits only
 * @throws SecureApiValidationError when the rate is not above 0 or the burst not a whole number of at least 1
 */
export function validateThrottle(scope: IConstruct, prop: string, throttle: apigw.ThrottleSettings): apigw.ThrottleSettings {
  const { rateLimit, burstLimit } = throttle;
  // A limit of 0 turns the stage or route off, a deploy mistake rather than a way to close it: remove the route instead.
  if (rateLimit !== undefined && !Token.isUnresolved(rateLimit) && !(rateLimit > 0 && Number.isFinite(rateLimit))) {
    throw new SecureApiValidationError(`'${prop}.rateLimit' must be greater than 0 (received: ${describeValue(rateLimit)})`, scope);
  }
  if (burstLimit !== undefined && !Token.isUnresolved(burstLimit) && !(Number.isInteger(burstLimit) && burstLimit >= 1)) {
    throw new SecureApiValidationError(`'${prop}.burstLimit' must be a whole number of at least 1 (received: ${describeValue(burstLimit)})`, scope);
  }
  return { rateLimit, burstLimit };
}

/**
 * @param scope the construct that takes the property, named in the message
 * @param cors the CORS settings
 * @returns the CDK preflight options, defaults filled in
 * @throws SecureApiValidationError when the origins or the preflight cache time are invalid
 */
export function validateCors(scope: IConstruct, cors: SecureApiCorsOptions): apigw.CorsOptions {
  if (cors.allowOrigins.length === 0) {
    throw new SecureApiValidationError("'cors.allowOrigins' must name at least one origin (received: [])", scope);
  }
  const wildcard = cors.allowOrigins.includes('*');
  if (wildcard && cors.allowOrigins.length > 1) {
    throw new SecureApiValidationError(`'cors.allowOrigins' must be ['*'] or a list of origins, not both (received: ${describeValue(cors.allowOrigins)})`, scope);
  }
  if (wildcard && cors.allowCredentials === true) {
    throw new SecureApiValidationError("'cors.allowOrigins' must list explicit origins when 'allowCredentials' is true (received: ['*'])", scope);
  }
  for (const origin of cors.allowOrigins) {
    if (origin !== '*' && !Token.isUnresolved(origin) && !ORIGIN.test(origin)) {
      throw new SecureApiValidationError(
        `'cors.allowOrigins' must hold origins of the form scheme://host[:port], without path or trailing slash (received: ${describeValue(origin)})`,
        scope,
      );
    }
  }
  validateDuration(scope, 'cors.maxAge', cors.maxAge, { unit: 'seconds' });
  return {
    allowOrigins: [...cors.allowOrigins],
    allowMethods: cors.allowMethods !== undefined ? [...cors.allowMethods] : apigw.Cors.ALL_METHODS,
    allowHeaders: [...(cors.allowHeaders ?? SECURE_API_DEFAULTS.cors.allowHeaders)],
    exposeHeaders: cors.exposeHeaders !== undefined ? [...cors.exposeHeaders] : undefined,
    allowCredentials: cors.allowCredentials,
    maxAge: cors.maxAge ?? SECURE_API_DEFAULTS.cors.maxAge,
  };
}

/**
 * The resource policy that lets only the given source addresses invoke the API.
 *
 * @param scope the construct that takes the property, named in the message
 * @param allowedSourceIps IPv4 or IPv6 addresses or CIDR ranges
 * @returns an allow statement for everyone and a deny statement for every other source address
 * @throws SecureApiValidationError when the list is empty, holds something else or a range with host bits set
 */
export function sourceIpPolicy(scope: IConstruct, allowedSourceIps: string[]): iam.PolicyDocument {
  if (allowedSourceIps.length === 0) {
    throw new SecureApiValidationError("'allowedSourceIps' must name at least one address or CIDR range (received: [])", scope);
  }
  for (const entry of allowedSourceIps) {
    if (Token.isUnresolved(entry)) {
      continue;
    }
    if (!isAddressOrCidr(entry)) {
      throw new SecureApiValidationError(
        `'allowedSourceIps' must hold IPv4 or IPv6 addresses or CIDR ranges such as 203.0.113.0/24 (received: ${describeValue(entry)})`,
        scope,
      );
    }
    const cidr = parseCidr(entry);
    const hostBits = cidr !== undefined ? cidrHostBitsProblem(cidr) : undefined;
    if (hostBits !== undefined) {
      throw new SecureApiValidationError(`'allowedSourceIps' ${hostBits} (received: ${describeValue(entry)})`, scope);
    }
  }
  const invoke = { principals: [new iam.AnyPrincipal()], actions: ['execute-api:Invoke'], resources: ['execute-api:/*'] };
  return new iam.PolicyDocument({
    statements: [
      new iam.PolicyStatement({ effect: iam.Effect.ALLOW, ...invoke }),
      new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        ...invoke,
        conditions: { NotIpAddress: { 'aws:SourceIp': [...allowedSourceIps] } },
      }),
    ],
  });
}

/**
 * The method setting that throttles one route. A method setting replaces the stage's for that method, so it
 * repeats the stage's logging and metrics settings.
 *
 * @param method the route's method
 * @param path the route's resource path
 * @param throttle the route's (validated) throttling
 * @param logging the stage's logging and metrics settings
 * @returns the method setting
 */
export function routeThrottleSetting(
  method: RouteMethod,
  path: string,
  throttle: apigw.ThrottleSettings,
  logging: StageLogging,
): apigw.CfnStage.MethodSettingProperty {
  return {
    // Method settings address resources as '/' plus the path with each '/' escaped as '~1'.
    resourcePath: path === '/' ? '/' : `/${path.replace(/\//g, '~1')}`,
    httpMethod: method === 'ANY' ? '*' : method,
    throttlingRateLimit: throttle.rateLimit,
    throttlingBurstLimit: throttle.burstLimit,
    loggingLevel: logging.executionLogLevel,
    dataTraceEnabled: logging.dataTraceEnabled,
    metricsEnabled: logging.metricsEnabled,
  };
}

/**
 * Appends per-route method settings to the stage's own, read at synth: routes are added after the stage exists.
 *
 * @param stage the stage
 * @param routeSettings the per-route settings, filled in as routes are added
 */
export function appendRouteMethodSettings(stage: apigw.Stage, routeSettings: readonly apigw.CfnStage.MethodSettingProperty[]): void {
  const cfnStage = stage.node.defaultChild as apigw.CfnStage;
  const stageSettings = (cfnStage.methodSettings ?? []) as apigw.CfnStage.MethodSettingProperty[];
  cfnStage.methodSettings = Lazy.any({ produce: () => [...stageSettings, ...routeSettings] }, { omitEmptyArray: true });
}

/** An IPv4 or IPv6 address, or a CIDR range of one. */
function isAddressOrCidr(value: string): boolean {
  return isIP(value) !== 0 || parseCidr(value) !== undefined;
}
