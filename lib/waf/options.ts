import type { Duration, RemovalPolicy, Size } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';

/** An AWS WAF rule action, as used in rule action overrides. */
export type WafRuleAction = 'ALLOW' | 'BLOCK' | 'COUNT' | 'CAPTCHA' | 'CHALLENGE';

/** Options of one AWS managed rule group. */
export interface ManagedRuleGroupOptions {
  /**
   * Pins the rule group to a version, e.g. `Version_1.12`, so that AWS's updates reach the API only
   * when you change this value.
   * @default - the group's default version, which AWS updates
   * @see https://docs.aws.amazon.com/waf/latest/developerguide/waf-managed-rule-groups-versioning.html
   */
  readonly version?: string;
  /**
   * Actions that replace the actions of single rules of the group, by rule name, e.g.
   * `{ NoUserAgent_HEADER: 'COUNT' }` for a rule that blocks legitimate machine clients.
   * @default - no overrides (the Common rule set always counts `SizeRestrictions_BODY`, replaced by `maxBodySize`)
   * @see https://docs.aws.amazon.com/waf/latest/developerguide/web-acl-rule-group-override-options.html
   */
  readonly ruleActionOverrides?: Readonly<Record<string, WafRuleAction>>;
  /**
   * Counts what the group would block instead of blocking it: the way to roll a group out and tune it.
   * @default false
   */
  readonly countOnly?: boolean;
}

/** Options of the AWS WAF Bot Control rule group (charged per request on top of the base price). */
export interface BotControlOptions extends ManagedRuleGroupOptions {
  /**
   * `COMMON` detects self-identifying bots; `TARGETED` also detects sophisticated bots, at a higher price.
   * @default - WEB_ACL_DEFAULTS.botControlInspectionLevel
   */
  readonly inspectionLevel?: 'COMMON' | 'TARGETED';
}

/**
 * The AWS managed rule groups of the web ACL. `true` runs a group with its default options, `false`
 * removes it, an options object runs it with those options.
 */
export interface ManagedRuleGroupsOptions {
  /**
   * `AWSManagedRulesAmazonIpReputationList` (25 WCUs): addresses Amazon threat intelligence saw attacking.
   * @default - WEB_ACL_DEFAULTS.managedRuleGroups.ipReputation
   */
  readonly ipReputation?: ManagedRuleGroupOptions | boolean;
  /**
   * `AWSManagedRulesAnonymousIpList` (50 WCUs): VPNs, proxies, Tor and hosting providers. Blocks
   * machine clients that run in other clouds, so it is opt-in.
   * @default - WEB_ACL_DEFAULTS.managedRuleGroups.anonymousIp
   */
  readonly anonymousIp?: ManagedRuleGroupOptions | boolean;
  /**
   * `AWSManagedRulesKnownBadInputsRuleSet` (200 WCUs): Log4Shell, Java deserialization, localhost Host headers.
   * @default - WEB_ACL_DEFAULTS.managedRuleGroups.knownBadInputs
   */
  readonly knownBadInputs?: ManagedRuleGroupOptions | boolean;
  /**
   * `AWSManagedRulesCommonRuleSet` (700 WCUs): OWASP Top 10 style checks. Its `SizeRestrictions_BODY`
   * rule is always set to count, because the web ACL's own body size rule (`maxBodySize`) replaces it.
   * @default - WEB_ACL_DEFAULTS.managedRuleGroups.commonRuleSet
   */
  readonly commonRuleSet?: ManagedRuleGroupOptions | boolean;
  /**
   * `AWSManagedRulesSQLiRuleSet` (200 WCUs): SQL injection, for APIs whose backends build SQL.
   * @default - WEB_ACL_DEFAULTS.managedRuleGroups.sqlInjection
   */
  readonly sqlInjection?: ManagedRuleGroupOptions | boolean;
  /**
   * `AWSManagedRulesBotControlRuleSet` (50 WCUs, extra charges per request).
   * @default - WEB_ACL_DEFAULTS.managedRuleGroups.botControl
   */
  readonly botControl?: BotControlOptions | boolean;
}

/** The per-IP rate limit. */
export interface RateLimitOptions {
  /**
   * Requests one client IP address may send per evaluation window (10 to 2,000,000,000).
   * @default - WEB_ACL_DEFAULTS.rateLimit.limit
   */
  readonly limit?: number;
  /**
   * How far back AWS WAF counts: 1, 2, 5 or 10 minutes.
   * @default - WEB_ACL_DEFAULTS.rateLimit.window
   */
  readonly window?: Duration;
}

/** A rate limit per API client, keyed on a request header (aggregate key type `CUSTOM_KEYS`). */
export interface ClientRateLimitOptions {
  /** Requests one client may send per evaluation window (10 to 2,000,000,000). */
  readonly limit: number;
  /**
   * How far back AWS WAF counts: 1, 2, 5 or 10 minutes.
   * @default - WEB_ACL_DEFAULTS.clientRateLimit.window
   */
  readonly window?: Duration;
  /**
   * The header whose value identifies the client: `authorization` limits each bearer token, a client-id
   * header limits each client. Requests without the header are not counted by this rule. The header is
   * added to `protectedHeaders`, so its values never appear in clear in logs or rate-limit details.
   * @default - WEB_ACL_DEFAULTS.clientRateLimit.headerName
   */
  readonly headerName?: string;
  /**
   * Also key on the client IP address, so that one client is limited per address (30 more WCUs).
   * @default false
   */
  readonly perIp?: boolean;
}

/** Geographic restriction on the client IP address. Exactly one of the two lists. */
export interface GeoRestrictionOptions {
  /**
   * Requests from these countries are blocked (ISO 3166-1 alpha-2 codes).
   * @default - no country is blocked
   */
  readonly blockedCountries?: string[];
  /**
   * Only requests from these countries are let through (ISO 3166-1 alpha-2 codes).
   * @default - every country is allowed
   */
  readonly allowedCountries?: string[];
}

/** Where and how AWS WAF logs requests. */
export interface WebAclLoggingOptions {
  /**
   * Name of the log group (at most 512 characters); AWS WAF requires the prefix `aws-waf-logs-`.
   *
   * A fixed name outlives the stack when the group is retained (the default `removalPolicy`): after
   * `cdk destroy`, deploying the same stack again fails with "already exists" until the retained group
   * is deleted. The default name avoids that, as it holds the UUID of the stack id, which is new
   * each time the stack is created.
   * @default - `aws-waf-logs-<name unique to this construct's path>-<UUID of the stack id>`
   */
  readonly logGroupName?: string;
  /**
   * How long the log events are kept; always bounded (`RetentionDays.INFINITE` is refused).
   * @default - WEB_ACL_DEFAULTS.logging.retention
   */
  readonly retention?: logs.RetentionDays;
  /**
   * What happens to the log group when it leaves the stack. A retained group keeps its name, which is
   * new for every creation of the stack unless `logGroupName` fixes it.
   * @default - WEB_ACL_DEFAULTS.logging.removalPolicy
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Customer-managed KMS key that encrypts the log events. A key of this app gets the key policy statement
   * that lets CloudWatch Logs use it; an imported key must already allow it (a `LogEncryptionKey` does).
   * @default - encrypted with a CloudWatch Logs managed key
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Log every request, not only those that a rule blocked or counted. Allowed traffic is already in the
   * API's access log, so this mostly adds cost.
   * @default - WEB_ACL_DEFAULTS.logging.logAllRequests
   */
  readonly logAllRequests?: boolean;
}

/** Properties of a {@link SecureApiWebAcl}. */
export interface SecureApiWebAclProps {
  /**
   * Name of the web ACL (1 to 128 letters, digits, `-` and `_`); also the `WebACL` dimension of its metrics.
   * @default - a name unique to this construct's path
   */
  readonly webAclName?: string;
  /**
   * Description of the web ACL.
   * @default - no description
   */
  readonly description?: string;
  /**
   * Client IP ranges that are always blocked (IPv4 and IPv6 CIDR ranges). Evaluated first: a blocked
   * range wins over an allowed one.
   * @default - no range is blocked
   */
  readonly blockedIps?: string[];
  /**
   * Client IP ranges that may call the API at all (IPv4 and IPv6 CIDR ranges); requests from any other
   * address are blocked. The allow list only restricts: allowed addresses still pass through every other
   * rule (geo, rate limits, body size, managed rules), because a partner's address can be compromised too.
   * @default - every address may call
   */
  readonly allowedIps?: string[];
  /**
   * Geographic restriction.
   * @default - no geographic restriction
   */
  readonly geoRestriction?: GeoRestrictionOptions;
  /**
   * Rate limit per client IP address; blocked requests get `429` with a JSON body. `false` removes the rule.
   * @default - WEB_ACL_DEFAULTS.rateLimit
   */
  readonly rateLimit?: RateLimitOptions | false;
  /**
   * Rate limit per API client, keyed on a header.
   * @default - no per-client rate limit
   */
  readonly clientRateLimit?: ClientRateLimitOptions;
  /**
   * Largest request body let through; larger bodies get `413` with a JSON body. It can be at most
   * `bodyInspectionLimit`, because WAF cannot see further: a body beyond that limit counts as too large
   * (oversize handling `MATCH`). `false` removes the rule and leaves the API Gateway limit of 10 MB.
   * @default - WEB_ACL_DEFAULTS.maxBodySize
   */
  readonly maxBodySize?: Size | false;
  /**
   * How much of a request body API Gateway forwards to AWS WAF: 16, 32, 48 or 64 KB. More than 16 KB
   * is charged extra.
   * @default - WEB_ACL_DEFAULTS.bodyInspectionLimit
   * @see https://docs.aws.amazon.com/waf/latest/developerguide/web-acl-setting-body-inspection-limit.html
   */
  readonly bodyInspectionLimit?: Size;
  /**
   * The AWS managed rule groups.
   * @default - WEB_ACL_DEFAULTS.managedRuleGroups
   */
  readonly managedRuleGroups?: ManagedRuleGroupsOptions;
  /**
   * More request headers that AWS WAF must never store in clear, in addition to
   * `WEB_ACL_DEFAULTS.protectedHeaders` (`authorization`, `cookie`, `x-api-key`), e.g. a partner's
   * signature header. Each one is a redacted field of the logging configuration, of which AWS WAF
   * accepts at most 100.
   * @default - only WEB_ACL_DEFAULTS.protectedHeaders
   */
  readonly protectedHeaders?: string[];
  /**
   * WAF logging to CloudWatch Logs. `false` switches logging off.
   * @default - WEB_ACL_DEFAULTS.logging
   */
  readonly logging?: WebAclLoggingOptions | false;
  /**
   * Capacity budget in WCUs, checked at synth against an estimate of every rule (up to 5,000, the
   * AWS WAF maximum; more than 1,500 is charged extra).
   * @default - WEB_ACL_DEFAULTS.maxCapacity
   */
  readonly maxCapacity?: number;
}

/** Options of {@link SecureApiWebAcl.addRule}. */
export interface AddRuleOptions {
  /**
   * WCUs of the rule. Required when the construct cannot estimate the statement (a rule group of your
   * own, an unknown managed group, a token inside); otherwise overrides the estimate.
   * @default - estimated from the statement
   */
  readonly capacity?: number;
}
