import { Duration, Size } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { CLIENT_ID_CLAIMS, type JwsAlgorithm, SUPPORTED_ALGORITHMS } from '../../lambda/contract';
import { domainPrefixProblem, redirectUrlProblem } from '../cognito-oauth';
import { SECURE_API_STACK_DEFAULTS } from '../defaults';
import { SecureApiValidationError } from '../errors';
import type { SecureApiWebAclProps } from '../waf/secure-api-web-acl';
import type { SecureApiStackProps } from './secure-api-stack';
import { TokenIssuer, type OidcTokenIssuerOptions } from '../authorizer/token-issuer';
import { parseCidr } from '../waf/inputs';

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
  /** Retention of every log group, in days (a CloudWatch Logs retention value; never infinite). @default - SECURE_API_DEFAULTS.logRetention */
  readonly logRetentionDays?: number;
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
  'authorizerCacheTtlSeconds', 'executionLogLevel', 'allowedSourceIps', 'waf', 'apiGatewayAccount',
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
const LOG_LEVELS = ['ERROR', 'INFO', 'OFF'] as const;
const RETENTION_DAYS: readonly number[] = Object.values(logs.RetentionDays).filter(
  (value): value is number => typeof value === 'number' && value !== logs.RetentionDays.INFINITE,
);
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]{1,128}$/;

/**
 * Reads and validates the `secureApi` context of the app (from `cdk.json` or `-c`).
 *
 * @param scope the app (or any construct in it)
 * @returns the stack name and properties
 * @throws SecureApiValidationError naming the context key, the rule and the value received
 */
export function appConfigFromContext(scope: Construct): SecureApiAppConfig {
  return parseAppConfig(scope.node.tryGetContext(APP_CONFIG_CONTEXT_KEY));
}

/**
 * Validates a `secureApi` context value and translates it into stack properties.
 * A string is parsed as JSON first, which is how `cdk synth -c secureApi='{...}'` delivers it.
 *
 * @param raw the context value; undefined means "all defaults"
 * @returns the stack name and properties
 * @throws SecureApiValidationError naming the context key, the rule and the value received
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

  const stackName = optionalString(key('stackName'), config.stackName, /^[A-Za-z][A-Za-z0-9-]{0,127}$/,
    'must start with a letter and hold at most 128 letters, digits and hyphens') ?? SECURE_API_STACK_DEFAULTS.stackName;
  const stageName = optionalString(key('stageName'), config.stageName, /^[A-Za-z0-9_-]{1,128}$/,
    'must be 1-128 letters, digits, hyphens or underscores');

  let throttle: SecureApiStackProps['throttle'];
  if (config.throttle !== undefined) {
    const t = expectObject(key('throttle'), config.throttle, ['rateLimit', 'burstLimit']) as SecureApiContext['throttle'] & object;
    if (t.rateLimit !== undefined && !(typeof t.rateLimit === 'number' && Number.isFinite(t.rateLimit) && t.rateLimit > 0)) {
      throw invalid(key('throttle.rateLimit'), 'must be a positive number', t.rateLimit);
    }
    if (t.burstLimit !== undefined && !(Number.isInteger(t.burstLimit) && (t.burstLimit as number) > 0)) {
      throw invalid(key('throttle.burstLimit'), 'must be a positive integer', t.burstLimit);
    }
    throttle = { rateLimit: t.rateLimit, burstLimit: t.burstLimit };
  }

  const corsOrigins = optionalStrings(key('corsOrigins'), config.corsOrigins);
  const callbackUrls = optionalStrings(key('callbackUrls'), config.callbackUrls) ?? [...SECURE_API_STACK_DEFAULTS.callbackUrls];
  if (callbackUrls.length === 0) {
    throw invalid(key('callbackUrls'), 'must list at least one exact redirect URI', callbackUrls);
  }
  const logoutUrls = optionalStrings(key('logoutUrls'), config.logoutUrls) ?? [...SECURE_API_STACK_DEFAULTS.logoutUrls];
  for (const [name, urls] of [['callbackUrls', callbackUrls], ['logoutUrls', logoutUrls]] as const) {
    urls.forEach((url, i) => {
      const problem = redirectUrlProblem(url);
      if (problem !== undefined) throw invalid(key(`${name}[${i}]`), problem, url);
    });
  }

  const externalIssuers = parseIssuers(key('externalIssuers'), config.externalIssuers);

  let logRetention: logs.RetentionDays | undefined;
  if (config.logRetentionDays !== undefined) {
    if (typeof config.logRetentionDays !== 'number' || !RETENTION_DAYS.includes(config.logRetentionDays)) {
      throw invalid(key('logRetentionDays'), `must be one of ${RETENTION_DAYS.join(', ')}`, config.logRetentionDays);
    }
    logRetention = config.logRetentionDays as logs.RetentionDays;
  }

  const kmsKeyArn = optionalString(key('kmsKeyArn'), config.kmsKeyArn, KMS_KEY_ARN, 'must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)');
  const createKmsKey = optionalBoolean(key('createKmsKey'), config.createKmsKey);
  if (kmsKeyArn !== undefined && createKmsKey === true) {
    throw invalid(key('createKmsKey'), "must not be true when 'secureApi.kmsKeyArn' names a key", createKmsKey);
  }

  const featurePlan = optionalEnum(key('featurePlan'), config.featurePlan, FEATURE_PLANS);
  const threatProtection = optionalEnum(key('threatProtection'), config.threatProtection, THREAT_PROTECTION);
  if (threatProtection !== undefined && featurePlan !== cognito.FeaturePlan.PLUS) {
    throw invalid(key('threatProtection'), `must be omitted unless '${key('featurePlan')}' is "PLUS"`, config.threatProtection);
  }
  const mfa = optionalEnum(key('mfa'), config.mfa, MFA);

  let domainPrefix: string | undefined;
  if (config.domainPrefix !== undefined) {
    if (typeof config.domainPrefix !== 'string') throw invalid(key('domainPrefix'), 'must be a string', config.domainPrefix);
    const problem = domainPrefixProblem(config.domainPrefix);
    if (problem !== undefined) throw invalid(key('domainPrefix'), problem, config.domainPrefix);
    domainPrefix = config.domainPrefix;
  }

  const accessTokenMinutes = optionalInteger(key('accessTokenValidityMinutes'), config.accessTokenValidityMinutes, 5, 1440);
  const cacheTtlSeconds = optionalInteger(key('authorizerCacheTtlSeconds'), config.authorizerCacheTtlSeconds, 0, 3600);

  let executionLogLevel: SecureApiStackProps['executionLogLevel'];
  if (config.executionLogLevel !== undefined) {
    if (!LOG_LEVELS.includes(config.executionLogLevel as (typeof LOG_LEVELS)[number])) {
      throw invalid(key('executionLogLevel'), `must be one of ${LOG_LEVELS.map((level) => `"${level}"`).join(', ')}`, config.executionLogLevel);
    }
    executionLogLevel = config.executionLogLevel as (typeof LOG_LEVELS)[number];
  }

  const allowedSourceIps = optionalStrings(key('allowedSourceIps'), config.allowedSourceIps);
  allowedSourceIps?.forEach((cidr, i) => {
    if (parseCidr(cidr) === undefined) {
      throw invalid(key(`allowedSourceIps[${i}]`), 'must be an IPv4 or IPv6 CIDR block such as "203.0.113.0/24"', cidr);
    }
  });

  const webAclOptions = parseWaf(key('waf'), config.waf);
  const apiGatewayAccount = optionalEnum(key('apiGatewayAccount'), config.apiGatewayAccount, { create: 'create', existing: 'existing' } as const);

  return {
    stackName,
    props: omitUndefined({
      webAclOptions,
      apiGatewayAccount,
      stageName,
      throttle,
      corsOrigins,
      callbackUrls,
      logoutUrls,
      externalIssuers,
      logRetention,
      logEncryptionKeyArn: kmsKeyArn,
      createLogEncryptionKey: createKmsKey,
      featurePlan,
      threatProtection,
      mfa,
      domainPrefix,
      accessTokenValidity: accessTokenMinutes === undefined ? undefined : Duration.minutes(accessTokenMinutes),
      authorizerCacheTtl: cacheTtlSeconds === undefined ? undefined : Duration.seconds(cacheTtlSeconds),
      executionLogLevel,
      allowedSourceIps,
    }) as SecureApiStackProps,
  };
}

function parseWaf(key: string, raw: unknown): SecureApiWebAclProps | undefined {
  if (raw === undefined) {
    return undefined;
  }
  const waf = expectObject(key, raw, WAF_KEYS) as WafContext;
  const at = (name: string): string => `${key}.${name}`;
  const limit = optionalInteger(at('rateLimit'), waf.rateLimit, 10, 2_000_000_000);
  const windowSeconds = waf.rateLimitWindowSeconds;
  if (windowSeconds !== undefined && ![60, 120, 300, 600].includes(windowSeconds as number)) {
    throw invalid(at('rateLimitWindowSeconds'), 'must be one of 60, 120, 300, 600', windowSeconds);
  }
  const maxBodySizeKb = optionalInteger(at('maxBodySizeKb'), waf.maxBodySizeKb, 1, 64);
  const cidrs = (name: 'blockedIps' | 'allowedIps'): string[] | undefined => {
    const list = optionalStrings(at(name), waf[name]);
    list?.forEach((cidr, i) => {
      if (parseCidr(cidr) === undefined) {
        throw invalid(`${at(name)}[${i}]`, 'must be an IPv4 or IPv6 CIDR block such as "203.0.113.0/24"', cidr);
      }
    });
    return list;
  };
  const flag = (name: 'sqlInjection' | 'anonymousIp' | 'botControl'): boolean | undefined => optionalBoolean(at(name), waf[name]);
  const logAllRequests = optionalBoolean(at('logAllRequests'), waf.logAllRequests);
  return omitUndefined({
    rateLimit: limit === undefined && windowSeconds === undefined
      ? undefined
      : omitUndefined({ limit, window: windowSeconds === undefined ? undefined : Duration.seconds(windowSeconds) }),
    maxBodySize: maxBodySizeKb === undefined ? undefined : Size.kibibytes(maxBodySizeKb),
    bodyInspectionLimit: maxBodySizeKb === undefined || maxBodySizeKb <= 16 ? undefined : Size.kibibytes(Math.ceil(maxBodySizeKb / 16) * 16),
    blockedIps: cidrs('blockedIps'),
    allowedIps: cidrs('allowedIps'),
    managedRuleGroups: omitUndefined({ sqlInjection: flag('sqlInjection'), anonymousIp: flag('anonymousIp'), botControl: flag('botControl') }),
    logging: logAllRequests === undefined ? undefined : { logAllRequests },
  });
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
    const issuer = expectObject(`${key}[${i}]`, entry, ISSUER_KEYS) as unknown as ExternalIssuerContext;
    if (typeof issuer.issuerUrl !== 'string' || !isHttpsUrl(issuer.issuerUrl)) {
      throw invalid(at('issuerUrl'), 'must be an https URL', issuer.issuerUrl);
    }
    if (issuer.jwksUri !== undefined && (typeof issuer.jwksUri !== 'string' || !isHttpsUrl(issuer.jwksUri))) {
      throw invalid(at('jwksUri'), 'must be an https URL', issuer.jwksUri);
    }
    const discovery = optionalBoolean(at('discovery'), issuer.discovery);
    if (issuer.jwksUri !== undefined && discovery === true) {
      throw invalid(at('discovery'), `must not be true when '${at('jwksUri')}' is set: they are alternatives`, discovery);
    }
    const audienceCheck = optionalBoolean(at('audienceCheck'), issuer.audienceCheck);
    const audiences = optionalStrings(at('audiences'), issuer.audiences);
    if (audienceCheck !== false && (audiences === undefined || audiences.length === 0)) {
      throw invalid(at('audiences'), `must list at least one audience unless '${at('audienceCheck')}' is false`, issuer.audiences);
    }
    const algorithms = optionalStrings(at('algorithms'), issuer.algorithms);
    algorithms?.forEach((alg, j) => {
      if (!SUPPORTED_ALGORITHMS.includes(alg as JwsAlgorithm)) {
        throw invalid(`${at('algorithms')}[${j}]`, `must be one of ${SUPPORTED_ALGORITHMS.join(', ')}`, alg);
      }
    });
    const requiredTyp = optionalString(at('requiredTyp'), issuer.requiredTyp, /^[\x21-\x7E]{1,64}$/, 'must be a media type such as "at+jwt"');
    const clientIdClaim = issuer.clientIdClaim;
    if (clientIdClaim !== undefined && !CLIENT_ID_CLAIMS.includes(clientIdClaim)) {
      throw invalid(at('clientIdClaim'), `must be one of ${CLIENT_ID_CLAIMS.join(', ')}`, clientIdClaim);
    }
    return TokenIssuer.oidc(omitUndefined({
      issuerUrl: issuer.issuerUrl,
      audiences,
      audienceCheck,
      jwksUri: issuer.jwksUri,
      discovery,
      algorithms: algorithms as JwsAlgorithm[] | undefined,
      requiredTyp,
      clientIds: optionalStrings(at('clientIds'), issuer.clientIds),
      clientIdClaim,
    }));
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

function optionalString(key: string, value: unknown, pattern: RegExp, rule: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !pattern.test(value)) throw invalid(key, rule, value);
  return value;
}

function optionalStrings(key: string, value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || item.trim() === '')) {
    throw invalid(key, 'must be an array of non-empty strings', value);
  }
  return [...(value as string[])];
}

function optionalBoolean(key: string, value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw invalid(key, 'must be true or false', value);
  return value;
}

function optionalInteger(key: string, value: unknown, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    throw invalid(key, `must be an integer from ${min} to ${max}`, value);
  }
  return value as number;
}

function optionalEnum<T>(key: string, value: unknown, choices: Readonly<Record<string, T>>): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !Object.prototype.hasOwnProperty.call(choices, value)) {
    throw invalid(key, `must be one of ${Object.keys(choices).map((choice) => `"${choice}"`).join(', ')}`, value);
  }
  return choices[value];
}

function isHttpsUrl(value: string): boolean {
  try {
    return new URL(value).protocol === 'https:';
  } catch {
    return false;
  }
}

function omitUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined)) as T;
}
