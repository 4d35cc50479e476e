import { Duration, Size } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { JwsAlgorithm } from '../../lambda/contract';
import { SECURE_API_STACK_DEFAULTS } from '../defaults';
import { SecureApiValidationError, describeValue } from '../errors';
import type { SecureApiWebAclProps } from '../waf/secure-api-web-acl';
import type { SecureApiStackProps } from './secure-api-stack';
import { LOG_KINDS, type LogRetentionByKind } from '../data-protection';
import { TokenIssuer, type OidcTokenIssuerOptions } from '../authorizer/token-issuer';

/** The `cdk.json` context key that configures the deployable app. */
export const APP_CONFIG_CONTEXT_KEY = 'secureApi';

/**
 * One external OAuth 2.0 / OIDC issuer, as written in `cdk.json`: the options of `TokenIssuer.oidc`
 * that JSON can hold (static `keys` belong in code).
 */
export type ExternalIssuerContext = Omit<OidcTokenIssuerOptions, 'keys'>;

/**
 * The JSON object under the `secureApi` context key of `cdk.json` (or `cdk synth -c secureApi='{...}'`).
 * Every key is optional: without any, the app deploys the demo with the library's secure defaults.
 */
export interface SecureApiContext {
  /** CloudFormation stack name. @default - SECURE_API_STACK_DEFAULTS.stackName */
  readonly stackName?: string;
  /** API Gateway stage name. @default - SECURE_API_DEFAULTS.stageName */
  readonly stageName?: string;
  /** Stage-wide throttling. @default - SECURE_API_DEFAULTS.throttle */
  readonly throttle?: { readonly rateLimit?: number; readonly burstLimit?: number };
  /** Browser origins allowed by CORS. @default - CORS off */
  readonly corsOrigins?: string[];
  /** Exact redirect URIs of the web client. @default - SECURE_API_STACK_DEFAULTS.callbackUrls */
  readonly callbackUrls?: string[];
  /** Exact sign-out redirect URIs of the web client. @default - SECURE_API_STACK_DEFAULTS.logoutUrls */
  readonly logoutUrls?: string[];
  /** Further issuers the API trusts besides its own user pool. @default [] */
  readonly externalIssuers?: ExternalIssuerContext[];
  /**
   * Retention of every log group, in days (a CloudWatch Logs retention value; never infinite), or of the API's logs
   * per kind: `{ "access": 90, "decision": 180, "waf": 30, "execution": 30 }`. @default - SECURE_API_DEFAULTS.logRetention
   */
  readonly logRetentionDays?: number | LogRetentionDaysContext;
  /** `full`, `minimal` or `pseudonymous`: what the audit logs keep about callers. @default - SECURE_API_DEFAULTS.logProfile */
  readonly logProfile?: string;
  /** Emergency revocation: a deny list the authorizer reads and `secure-api revoke` writes. @default false */
  readonly revocation?: boolean;
  /** An existing KMS key for the log groups. @default - no customer-managed key */
  readonly kmsKeyArn?: string;
  /** Create a KMS key for the log groups. @default false */
  readonly createKmsKey?: boolean;
  /** `ESSENTIALS`, `PLUS` or `LITE`. @default - COGNITO_OAUTH_DEFAULTS.featurePlan */
  readonly featurePlan?: string;
  /** `ENFORCED`, `AUDIT` or `OFF`; only with `featurePlan: "PLUS"`. @default - ENFORCED with PLUS */
  readonly threatProtection?: string;
  /** `REQUIRED`, `OPTIONAL` or `OFF`. @default - COGNITO_OAUTH_DEFAULTS.mfa */
  readonly mfa?: string;
  /** Cognito domain prefix. @default - derived from the stack and the account id */
  readonly domainPrefix?: string;
  /** Access-token lifetime, 5 to 1440 minutes. @default - COGNITO_OAUTH_DEFAULTS.accessTokenValidity */
  readonly accessTokenValidityMinutes?: number;
  /** Authorizer cache TTL, 0 to 3600 seconds. @default - SECURE_API_DEFAULTS.authorizerCacheTtl */
  readonly authorizerCacheTtlSeconds?: number;
  /** `ERROR`, `INFO` or `OFF`. @default - SECURE_API_DEFAULTS.executionLogLevel */
  readonly executionLogLevel?: string;
  /** Source CIDRs allowed by the API's resource policy. @default - any source */
  readonly allowedSourceIps?: string[];
  /** AWS WAF settings. @default - WEB_ACL_DEFAULTS */
  readonly waf?: WafContext;
  /** `create` (set up API Gateway's logging role, retained) or `existing` (already set in the account). @default - SECURE_API_STACK_DEFAULTS.apiGatewayAccount */
  readonly apiGatewayAccount?: string;
}

/** Retention of the API's logs per kind, in days, as written in `cdk.json`; each kind defaults as in `SecureApiProps.logRetention`. */
export interface LogRetentionDaysContext {
  /** The access log. @default - SECURE_API_DEFAULTS.logRetention */
  readonly access?: number;
  /** The authorizer's decision log. @default - SECURE_API_DEFAULTS.logRetention */
  readonly decision?: number;
  /** The WAF log. @default - WEB_ACL_DEFAULTS.logging.retention */
  readonly waf?: number;
  /** The execution log. @default - SECURE_API_DEFAULTS.logRetention */
  readonly execution?: number;
}

/** AWS WAF settings of the demo API, as written in `cdk.json`. */
export interface WafContext {
  /** Requests per client IP per window before WAF answers 429. @default - WEB_ACL_DEFAULTS.rateLimit.limit */
  readonly rateLimit?: number;
  /** Evaluation window of the per-IP rate limit: 60, 120, 300 or 600 seconds. @default - WEB_ACL_DEFAULTS.rateLimit.window */
  readonly rateLimitWindowSeconds?: number;
  /** Largest request body WAF lets through, in KiB (1 to 64). @default - WEB_ACL_DEFAULTS.maxBodySize */
  readonly maxBodySizeKb?: number;
  /** CIDR blocks WAF blocks before any other rule. @default - none */
  readonly blockedIps?: string[];
  /** CIDR blocks that alone may call the API (everything else is blocked). @default - any address */
  readonly allowedIps?: string[];
  /** Add the AWS managed SQL injection rule group. @default false */
  readonly sqlInjection?: boolean;
  /** Add the AWS managed anonymous IP list (VPNs, Tor, hosting providers). @default false */
  readonly anonymousIp?: boolean;
  /** Add AWS WAF Bot Control (charged per request). @default false */
  readonly botControl?: boolean;
  /** Log every request, not only blocked and counted ones. @default false */
  readonly logAllRequests?: boolean;
}

/** The app configuration, translated into stack properties. */
export interface SecureApiAppConfig {
  /** CloudFormation stack name. */
  readonly stackName: string;
  /** Properties for `new SecureApiStack(app, stackName, props)`. */
  readonly props: SecureApiStackProps;
}

const KNOWN_KEYS: ReadonlyArray<keyof SecureApiContext> = [
  'stackName', 'stageName', 'throttle', 'corsOrigins', 'callbackUrls', 'logoutUrls', 'externalIssuers', 'logRetentionDays',
  'kmsKeyArn', 'createKmsKey', 'featurePlan', 'threatProtection', 'mfa', 'domainPrefix', 'accessTokenValidityMinutes',
  'authorizerCacheTtlSeconds', 'executionLogLevel', 'allowedSourceIps', 'waf', 'apiGatewayAccount', 'logProfile', 'revocation',
];
const WAF_KEYS: ReadonlyArray<keyof WafContext> = [
  'rateLimit', 'rateLimitWindowSeconds', 'maxBodySizeKb', 'blockedIps', 'allowedIps', 'sqlInjection', 'anonymousIp', 'botControl',
  'logAllRequests',
];
const ISSUER_KEYS: ReadonlyArray<keyof ExternalIssuerContext> = [
  'issuerUrl', 'audiences', 'audienceCheck', 'jwksUri', 'discovery', 'algorithms', 'requiredTyp', 'clientIds', 'clientIdClaim',
];
const FEATURE_PLANS: Readonly<Record<string, cognito.FeaturePlan>> = {
  ESSENTIALS: cognito.FeaturePlan.ESSENTIALS,
  PLUS: cognito.FeaturePlan.PLUS,
  LITE: cognito.FeaturePlan.LITE,
};
const THREAT_PROTECTION: Readonly<Record<string, cognito.StandardThreatProtectionMode>> = {
  ENFORCED: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
  AUDIT: cognito.StandardThreatProtectionMode.AUDIT_ONLY,
  OFF: cognito.StandardThreatProtectionMode.NO_ENFORCEMENT,
};
const MFA: Readonly<Record<string, cognito.Mfa>> = {
  REQUIRED: cognito.Mfa.REQUIRED,
  OPTIONAL: cognito.Mfa.OPTIONAL,
  OFF: cognito.Mfa.OFF,
};
/** Largest body inspection limit AWS WAF offers for API Gateway, in KiB. */
const MAX_BODY_INSPECTION_KB = 64;

/**
 * Reads the `secureApi` context of the app (from `cdk.json` or `-c`).
 *
 * @param scope the app (or any construct in it)
 * @returns the stack name and properties
 * @throws SecureApiValidationError naming the context key when a setting has the wrong JSON shape or name
 */
export function appConfigFromContext(scope: Construct): SecureApiAppConfig {
  return parseAppConfig(scope.node.tryGetContext(APP_CONFIG_CONTEXT_KEY));
}

/**
 * The context key that decides whether the demo app runs aws-cdk-lib's CloudFormation template validation
 * (resource schemas and CloudFormation's rules, checked by a WebAssembly engine) on synth.
 */
export const CLOUDFORMATION_VALIDATION_CONTEXT_KEY = 'secureApi:cloudFormationValidation';

/**
 * Reads whether the demo app validates its templates with aws-cdk-lib's `CloudFormationValidatePlugin`.
 *
 * Without the context key the answer is aws-cdk-lib's default: on. `cdk synth --no-validation` (which sets
 * `CDK_VALIDATION=false`) switches it off as in any CDK app. `-c secureApi:cloudFormationValidation=true`
 * arrives as a string, so `'true'` and `'false'` count as the booleans.
 *
 * @param scope the app (or any construct in it)
 * @param env the process environment, for `CDK_VALIDATION`
 * @returns true when the validation runs
 * @throws SecureApiValidationError when the context value is not a boolean
 */
export function cloudFormationValidationFromContext(scope: Construct, env: NodeJS.ProcessEnv = process.env): boolean {
  const raw: unknown = scope.node.tryGetContext(CLOUDFORMATION_VALIDATION_CONTEXT_KEY);
  const enabled = raw === undefined || raw === true || raw === 'true';
  if (!enabled && raw !== false && raw !== 'false') {
    throw new SecureApiValidationError(`'${CLOUDFORMATION_VALIDATION_CONTEXT_KEY}' must be true or false (received: ${describeValue(raw)})`);
  }
  return enabled && env.CDK_VALIDATION !== 'false';
}

/**
 * Translates a `secureApi` context value into stack properties. A string is parsed as JSON first, which is
 * how `cdk synth -c secureApi='{...}'` delivers it.
 *
 * This mapping checks only what JSON needs: the shape of each setting, unknown keys, and names that stand for
 * CDK values (`"PLUS"`, seconds, KiB). Every rule on the values themselves (ranges, patterns, URLs, CIDRs,
 * retention) is the rule of the construct that takes the property, so `cdk.json` and code that builds
 * `SecureApiStack` directly meet the same rule with the same message, naming the construct path.
 *
 * @param raw the context value; undefined means "all defaults"
 * @returns the stack name and properties
 * @throws SecureApiValidationError naming the context key when a setting has the wrong JSON shape or name
 */
export function parseAppConfig(raw: unknown): SecureApiAppConfig {
  let value = raw;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      throw invalid(APP_CONFIG_CONTEXT_KEY, 'must be a JSON object', raw);
    }
  }
  if (value === undefined || value === null) {
    value = {};
  }
  const config = expectObject(APP_CONFIG_CONTEXT_KEY, value, KNOWN_KEYS) as SecureApiContext;
  const key = (name: string): string => `${APP_CONFIG_CONTEXT_KEY}.${name}`;

  let throttle: SecureApiStackProps['throttle'];
  if (config.throttle !== undefined) {
    const t = expectObject(key('throttle'), config.throttle, ['rateLimit', 'burstLimit']);
    throttle = omitUndefined({
      rateLimit: optionalNumber(key('throttle.rateLimit'), t.rateLimit),
      burstLimit: optionalNumber(key('throttle.burstLimit'), t.burstLimit),
    });
  }

  const threatProtection = optionalEnum(key('threatProtection'), config.threatProtection, THREAT_PROTECTION);
  const accessTokenMinutes = optionalQuantity(key('accessTokenValidityMinutes'), config.accessTokenValidityMinutes);
  const cacheTtlSeconds = optionalQuantity(key('authorizerCacheTtlSeconds'), config.authorizerCacheTtlSeconds);

  return {
    stackName: optionalString(key('stackName'), config.stackName) ?? SECURE_API_STACK_DEFAULTS.stackName,
    props: omitUndefined({
      webAclOptions: parseWaf(key('waf'), config.waf),
      apiGatewayAccount: optionalString(key('apiGatewayAccount'), config.apiGatewayAccount) as SecureApiStackProps['apiGatewayAccount'],
      stageName: optionalString(key('stageName'), config.stageName),
      throttle,
      corsOrigins: optionalStrings(key('corsOrigins'), config.corsOrigins),
      callbackUrls: optionalStrings(key('callbackUrls'), config.callbackUrls),
      logoutUrls: optionalStrings(key('logoutUrls'), config.logoutUrls),
      externalIssuers: parseIssuers(key('externalIssuers'), config.externalIssuers),
      logRetention: parseLogRetention(key('logRetentionDays'), config.logRetentionDays),
      logProfile: optionalString(key('logProfile'), config.logProfile) as SecureApiStackProps['logProfile'],
      revocation: optionalBoolean(key('revocation'), config.revocation),
      logEncryptionKeyArn: optionalString(key('kmsKeyArn'), config.kmsKeyArn),
      createLogEncryptionKey: optionalBoolean(key('createKmsKey'), config.createKmsKey),
      featurePlan: optionalEnum(key('featurePlan'), config.featurePlan, FEATURE_PLANS),
      threatProtection,
      mfa: optionalEnum(key('mfa'), config.mfa, MFA),
      domainPrefix: optionalString(key('domainPrefix'), config.domainPrefix),
      accessTokenValidity: accessTokenMinutes === undefined ? undefined : Duration.minutes(accessTokenMinutes),
      authorizerCacheTtl: cacheTtlSeconds === undefined ? undefined : Duration.seconds(cacheTtlSeconds),
      executionLogLevel: optionalString(key('executionLogLevel'), config.executionLogLevel) as SecureApiStackProps['executionLogLevel'],
      allowedSourceIps: optionalStrings(key('allowedSourceIps'), config.allowedSourceIps),
    }) as SecureApiStackProps,
  };
}

function parseWaf(key: string, raw: unknown): SecureApiWebAclProps | undefined {
  if (raw === undefined) {
    return undefined;
  }
  const waf = expectObject(key, raw, WAF_KEYS) as WafContext;
  const at = (name: string): string => `${key}.${name}`;
  const limit = optionalNumber(at('rateLimit'), waf.rateLimit);
  const windowSeconds = optionalQuantity(at('rateLimitWindowSeconds'), waf.rateLimitWindowSeconds);
  const maxBodySizeKb = optionalQuantity(at('maxBodySizeKb'), waf.maxBodySizeKb);
  const flag = (name: 'sqlInjection' | 'anonymousIp' | 'botControl'): boolean | undefined => optionalBoolean(at(name), waf[name]);
  const logAllRequests = optionalBoolean(at('logAllRequests'), waf.logAllRequests);
  return omitUndefined({
    rateLimit: limit === undefined && windowSeconds === undefined
      ? undefined
      : omitUndefined({ limit, window: windowSeconds === undefined ? undefined : Duration.seconds(windowSeconds) }),
    maxBodySize: maxBodySizeKb === undefined ? undefined : Size.kibibytes(maxBodySizeKb),
    // WAF must see the whole allowed body: the smallest inspection limit (16 KiB steps) that covers it.
    bodyInspectionLimit: maxBodySizeKb === undefined || maxBodySizeKb <= 16
      ? undefined
      : Size.kibibytes(Math.min(Math.ceil(maxBodySizeKb / 16) * 16, MAX_BODY_INSPECTION_KB)),
    blockedIps: optionalStrings(at('blockedIps'), waf.blockedIps),
    allowedIps: optionalStrings(at('allowedIps'), waf.allowedIps),
    managedRuleGroups: omitUndefined({ sqlInjection: flag('sqlInjection'), anonymousIp: flag('anonymousIp'), botControl: flag('botControl') }),
    logging: logAllRequests === undefined ? undefined : { logAllRequests },
  });
}

function parseLogRetention(key: string, raw: unknown): SecureApiStackProps['logRetention'] {
  if (raw === undefined || typeof raw === 'number') {
    return optionalNumber(key, raw) as logs.RetentionDays | undefined;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw invalid(key, 'must be a number of days or a JSON object of days per log (access, decision, waf, execution)', raw);
  }
  const byKind = expectObject(key, raw, LOG_KINDS);
  return omitUndefined(Object.fromEntries(LOG_KINDS.map((kind) => [kind, optionalNumber(`${key}.${kind}`, byKind[kind])]))) as LogRetentionByKind;
}

function parseIssuers(key: string, raw: unknown): TokenIssuer[] | undefined {
  if (raw === undefined) {
    return undefined;
  }
  if (!Array.isArray(raw)) {
    throw invalid(key, 'must be an array of issuer objects', raw);
  }
  return raw.map((entry, i) => {
    const at = (name: string): string => `${key}[${i}].${name}`;
    const issuer = expectObject(`${key}[${i}]`, entry, ISSUER_KEYS);
    const options = omitUndefined({
      issuerUrl: optionalString(at('issuerUrl'), issuer.issuerUrl) as string,
      audiences: optionalStrings(at('audiences'), issuer.audiences),
      audienceCheck: optionalBoolean(at('audienceCheck'), issuer.audienceCheck),
      jwksUri: optionalString(at('jwksUri'), issuer.jwksUri),
      discovery: optionalBoolean(at('discovery'), issuer.discovery),
      algorithms: optionalStrings(at('algorithms'), issuer.algorithms) as JwsAlgorithm[] | undefined,
      requiredTyp: optionalString(at('requiredTyp'), issuer.requiredTyp),
      clientIds: optionalStrings(at('clientIds'), issuer.clientIds),
      clientIdClaim: optionalString(at('clientIdClaim'), issuer.clientIdClaim) as ExternalIssuerContext['clientIdClaim'],
    });
    try {
      // TokenIssuer.oidc holds the rules of every issuer option (https, loopback, requiredTyp, algorithms...).
      return TokenIssuer.oidc(options);
    } catch (error) {
      if (error instanceof SecureApiValidationError) {
        throw new SecureApiValidationError(`cdk.json context '${key}[${i}]': ${error.message}`);
      }
      throw error;
    }
  });
}

function invalid(key: string, rule: string, received: unknown): SecureApiValidationError {
  const rendered = received === undefined ? 'undefined' : JSON.stringify(received);
  return new SecureApiValidationError(`cdk.json context '${key}' ${rule} (received: ${rendered.length > 200 ? `${rendered.slice(0, 197)}...` : rendered})`);
}

function expectObject(key: string, value: unknown, known: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(key, 'must be a JSON object', value);
  }
  const unknownKey = Object.keys(value).find((name) => !known.includes(name));
  if (unknownKey !== undefined) {
    throw invalid(`${key}.${unknownKey}`, `is not a known setting; known settings are ${known.join(', ')}`, (value as Record<string, unknown>)[unknownKey]);
  }
  return value as Record<string, unknown>;
}

function optionalString(key: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(key, 'must be a string', value);
  return value;
}

function optionalStrings(key: string, value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw invalid(key, 'must be an array of strings', value);
  }
  return [...(value as string[])];
}

function optionalBoolean(key: string, value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw invalid(key, 'must be true or false', value);
  return value;
}

function optionalNumber(key: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(key, 'must be a number', value);
  return value;
}

/** A number of a unit (seconds, minutes, KiB) that becomes a `Duration` or `Size`, which cannot be negative. */
function optionalQuantity(key: string, value: unknown): number | undefined {
  const amount = optionalNumber(key, value);
  if (amount !== undefined && amount < 0) throw invalid(key, 'must be a number of at least 0', value);
  return amount;
}

function optionalEnum<T>(key: string, value: unknown, choices: Readonly<Record<string, T>>): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !Object.prototype.hasOwnProperty.call(choices, value)) {
    throw invalid(key, `must be one of ${Object.keys(choices).map((choice) => `"${choice}"`).join(', ')}`, value);
  }
  return choices[value];
}

function omitUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined)) as T;
}
