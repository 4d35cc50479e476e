import { ArnFormat, Duration, Fn, Lazy, Names, RemovalPolicy, Size, SizeRoundingBehavior, Stack, Token } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { WEB_ACL_DEFAULTS } from '../defaults';
import { describeValue, SecureApiValidationError } from '../errors';
import { allowCloudWatchLogsToUseKey } from '../log-encryption-key';
import { estimateRuleCapacity, MANAGED_RULE_GROUP_CAPACITY } from './capacity';
import { checkIntegerRange, parseCidrs, parseCountryCodes, parseHeaderName } from './inputs';
import { NAG_REASONS, acknowledge } from '../nag-acknowledgements';

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
   * How long the log events are kept.
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

/** Key of the custom response body of the `429` answer, in API Gateway's `{"message": ...}` error shape. */
const RATE_LIMITED_BODY = 'RateLimited';
/** Key of the custom response body of the `413` answer to a request whose body is too large. */
const BODY_TOO_LARGE_BODY = 'BodyTooLarge';

/** Largest web ACL capacity AWS WAF accepts. */
const WAF_MAX_CAPACITY = 5000;

/**
 * Most `RedactedFields` entries a WAF logging configuration accepts.
 * @see https://docs.aws.amazon.com/waf/latest/APIReference/API_LoggingConfiguration.html
 */
const WAF_MAX_REDACTED_FIELDS = 100;

/** Prefix AWS WAF requires of the name of a log group it writes to. */
const WAF_LOG_GROUP_PREFIX = 'aws-waf-logs-';

/**
 * Longest log group name CloudWatch Logs accepts.
 * @see https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html
 */
const LOG_GROUP_NAME_MAX_LENGTH = 512;

/** Length of the UUID that ends a CloudFormation stack id (`arn:...:stack/<name>/<uuid>`). */
const STACK_UUID_LENGTH = 36;

interface ManagedGroupSpec {
  readonly prop: keyof ManagedRuleGroupsOptions;
  readonly name: string;
  readonly priority: number;
}

/**
 * An AWS WAF (v2) regional web ACL for API Gateway REST API stages, with secure defaults.
 *
 * Rules, in the order AWS WAF evaluates them (priorities in {@link SecureApiWebAcl.PRIORITY}):
 * 1. `IpDenyList` blocks `blockedIps`; `IpAllowList` blocks every address outside `allowedIps`.
 * 2. `GeoRestriction` blocks by country.
 * 3. `RateLimitPerIp` answers `429` (JSON) to an address over `rateLimit`.
 * 4. `RateLimitPerClient` answers `429` (JSON) to a client over `clientRateLimit`.
 * 5. `BodySizeLimit` answers `413` (JSON) to a body over `maxBodySize`.
 * 6. AWS managed rule groups: IP reputation, anonymous IPs, known bad inputs, the Common rule set
 *    (with `SizeRestrictions_BODY` counted), SQL injection, Bot Control (last, as it is charged per request).
 * 7. Rules added with {@link SecureApiWebAcl.addRule}, at any free priority.
 * Requests no rule blocks are allowed. Every rule publishes CloudWatch metrics and sampled requests.
 *
 * Data protection: the `authorization`, `cookie` and `x-api-key` headers (and `protectedHeaders`) and the `access_token`
 * query argument are replaced by `REDACTED` in everything AWS WAF stores (web ACL data protection:
 * logs, sampled requests, rate-limit keys), and the logging configuration redacts the headers as well.
 * AWS WAF never logs request bodies.
 *
 * Log delivery: AWS WAF writes to CloudWatch Logs through the log delivery service, which needs a
 * CloudWatch Logs resource policy. This construct deliberately creates none: a CDK
 * `AWS::Logs::ResourcePolicy` is account-level, and an account holds only 10 per region, so one per
 * stack runs out. When the logging configuration is created, AWS attaches a policy to the log group
 * itself (log-group-level policies do not count against that quota), or uses an existing account-level
 * policy that already covers `aws-waf-logs-*`. The deploying role needs `logs:PutResourcePolicy`,
 * `logs:DescribeResourcePolicies` and `logs:DescribeLogGroups`, which the CDK deploy role has.
 *
 * One web ACL can protect several stages: call {@link SecureApiWebAcl.associate} once per stage.
 *
 * @see https://docs.aws.amazon.com/waf/latest/developerguide/web-acl.html
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-CWL.html
 */
export class SecureApiWebAcl extends Construct {
  /**
   * Priorities of the built-in rules. Lower runs first; the gaps leave room for rules of your own
   * (see {@link SecureApiWebAcl.addRule}).
   */
  public static readonly PRIORITY = {
    ipDenyList: 10,
    ipAllowList: 20,
    geoRestriction: 30,
    rateLimitPerIp: 40,
    rateLimitPerClient: 50,
    bodySizeLimit: 60,
    ipReputation: 100,
    anonymousIp: 110,
    knownBadInputs: 120,
    commonRuleSet: 130,
    sqlInjection: 140,
    botControl: 150,
  } as const;

  /** The web ACL. */
  public readonly webAcl: wafv2.CfnWebACL;
  /** ARN of the web ACL. */
  public readonly webAclArn: string;
  /** Name of the web ACL, the `WebACL` dimension of its metrics. */
  public readonly webAclName: string;
  /** IP sets of `blockedIps` (one per address family in use). */
  public readonly blockedIpSets: wafv2.CfnIPSet[];
  /** IP sets of `allowedIps` (one per address family in use). */
  public readonly allowedIpSets: wafv2.CfnIPSet[];
  /** The WAF log group (named `aws-waf-logs-...`, see `logging.logGroupName`), unless logging is off. */
  public readonly logGroup?: logs.ILogGroup;
  /** The logging configuration, unless logging is off. */
  public readonly loggingConfiguration?: wafv2.CfnLoggingConfiguration;
  /** Headers that AWS WAF stores only as `REDACTED`, in lower case. */
  public readonly protectedHeaders: string[];

  private readonly rules: wafv2.CfnWebACL.RuleProperty[] = [];
  private readonly ruleCapacities = new Map<string, number>();
  private readonly maxCapacity: number;
  private readonly associatedStages = new Set<apigw.Stage>();

  /**
   * @param scope the parent construct
   * @param id the construct id
   * @param props the web ACL's rules and logging
   * @throws SecureApiValidationError on invalid properties or when the rules exceed `maxCapacity`
   */
  constructor(scope: Construct, id: string, props: SecureApiWebAclProps = {}) {
    super(scope, id);

    this.maxCapacity = props.maxCapacity ?? WEB_ACL_DEFAULTS.maxCapacity;
    checkIntegerRange('maxCapacity', this.maxCapacity, 1, WAF_MAX_CAPACITY);

    this.webAclName = props.webAclName ?? Names.uniqueResourceName(this, { maxLength: 128, separator: '-' });
    if (!Token.isUnresolved(this.webAclName) && !/^[\w-]{1,128}$/.test(this.webAclName)) {
      throw new SecureApiValidationError(
        `'webAclName' must be 1 to 128 letters, digits, '-' or '_' (received: ${describeValue(this.webAclName)})`,
      );
    }

    const inspectionLimit = props.bodyInspectionLimit ?? WEB_ACL_DEFAULTS.bodyInspectionLimit;
    const inspectionKb = inspectionLimit.toKibibytes({ rounding: SizeRoundingBehavior.NONE });
    if (![16, 32, 48, 64].includes(inspectionKb)) {
      throw new SecureApiValidationError(`'bodyInspectionLimit' must be 16, 32, 48 or 64 KB (received: ${inspectionKb} KB)`);
    }

    const clientHeader = props.clientRateLimit
      ? parseHeaderName('clientRateLimit.headerName', props.clientRateLimit.headerName ?? WEB_ACL_DEFAULTS.clientRateLimit.headerName)
      : undefined;
    this.protectedHeaders = [
      ...new Set([
        ...WEB_ACL_DEFAULTS.protectedHeaders,
        ...(props.protectedHeaders ?? []).map((h) => parseHeaderName('protectedHeaders', h)),
        ...(clientHeader ? [clientHeader] : []),
      ]),
    ];
    if (props.logging !== false && this.protectedHeaders.length > WAF_MAX_REDACTED_FIELDS) {
      throw new SecureApiValidationError(
        `'protectedHeaders' together with the ${WEB_ACL_DEFAULTS.protectedHeaders.length} headers always protected must be at most ${WAF_MAX_REDACTED_FIELDS} headers, ` +
          `the most redacted fields a WAF logging configuration accepts (received: ${this.protectedHeaders.length} headers)`,
      );
    }

    this.blockedIpSets = this.ipSets('BlockedIps', 'blockedIps', props.blockedIps);
    this.allowedIpSets = this.ipSets('AllowedIps', 'allowedIps', props.allowedIps);
    if (this.blockedIpSets.length > 0) {
      this.addBuiltInRule({
        name: 'IpDenyList',
        priority: SecureApiWebAcl.PRIORITY.ipDenyList,
        action: { block: {} },
        statement: anyOf(this.blockedIpSets.map(ipSetMatch)),
      });
    }
    if (this.allowedIpSets.length > 0) {
      this.addBuiltInRule({
        name: 'IpAllowList',
        priority: SecureApiWebAcl.PRIORITY.ipAllowList,
        action: { block: {} },
        statement: { notStatement: { statement: anyOf(this.allowedIpSets.map(ipSetMatch)) } },
      });
    }

    this.addGeoRestriction(props.geoRestriction);
    this.addRateLimits(props.rateLimit, props.clientRateLimit, clientHeader);
    this.addBodySizeLimit(props.maxBodySize, inspectionLimit);
    this.addManagedRuleGroups(props.managedRuleGroups ?? {});

    this.webAcl = new wafv2.CfnWebACL(this, 'Resource', {
      name: this.webAclName,
      description: props.description,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility(this.webAclName),
      rules: Lazy.any({ produce: () => [...this.rules].sort((a, b) => a.priority - b.priority) }),
      customResponseBodies: {
        [RATE_LIMITED_BODY]: { contentType: 'APPLICATION_JSON', content: '{"message":"Too Many Requests"}' },
        [BODY_TOO_LARGE_BODY]: { contentType: 'APPLICATION_JSON', content: '{"message":"Request Entity Too Large"}' },
      },
      associationConfig: { requestBody: { API_GATEWAY: { defaultSizeInspectionLimit: `KB_${inspectionKb}` } } },
      dataProtectionConfig: {
        dataProtections: [
          { action: 'SUBSTITUTION', field: { fieldType: 'SINGLE_HEADER', fieldKeys: this.protectedHeaders } },
          {
            action: 'SUBSTITUTION',
            field: { fieldType: 'SINGLE_QUERY_ARGUMENT', fieldKeys: [...WEB_ACL_DEFAULTS.protectedQueryArguments] },
          },
        ],
      },
    });
    this.webAclArn = this.webAcl.attrArn;

    if (props.logging !== false) {
      const logging = props.logging ?? {};
      const logGroup = this.createLogGroup(logging);
      this.logGroup = logGroup;
      this.loggingConfiguration = new wafv2.CfnLoggingConfiguration(this, 'Logging', {
        resourceArn: this.webAclArn,
        // WAF wants the log group ARN without the ':*' suffix of `logGroupArn`.
        logDestinationConfigs: [
          Stack.of(this).formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: logGroup.logGroupName,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
        redactedFields: this.protectedHeaders.map((name) => ({ singleHeader: { Name: name } })),
        loggingFilter: (logging.logAllRequests ?? WEB_ACL_DEFAULTS.logging.logAllRequests)
          ? undefined
          : {
            DefaultBehavior: 'DROP',
            Filters: [
              {
                Behavior: 'KEEP',
                Requirement: 'MEETS_ANY',
                Conditions: [{ ActionCondition: { Action: 'BLOCK' } }, { ActionCondition: { Action: 'COUNT' } }],
              },
            ],
          },
      });
    }
  }

  /**
   * Estimated WCUs of all rules (built-in and added), the number checked against `maxCapacity`.
   */
  public get capacity(): number {
    let total = 0;
    for (const wcu of this.ruleCapacities.values()) {
      total += wcu;
    }
    return total;
  }

  /**
   * Adds a rule of your own.
   *
   * @param rule the rule; its priority must not be taken (see {@link SecureApiWebAcl.PRIORITY}) and its
   * name must be unique in the web ACL
   * @param options a capacity hint
   * @throws SecureApiValidationError when the priority or name is taken, the capacity cannot be estimated
   * without a hint, or the web ACL would exceed `maxCapacity`
   */
  public addRule(rule: wafv2.CfnWebACL.RuleProperty, options: AddRuleOptions = {}): void {
    checkIntegerRange('priority', rule.priority, 0, 2147483647);
    if (options.capacity !== undefined) {
      checkIntegerRange('capacity', options.capacity, 1, WAF_MAX_CAPACITY);
    }
    const capacity = options.capacity ?? estimateRuleCapacity(rule);
    if (capacity === undefined) {
      throw new SecureApiValidationError(
        `'capacity' is required for rule '${rule.name}': its statement cannot be estimated at synth (received: undefined)`,
      );
    }
    this.add(rule, capacity);
  }

  /**
   * Associates the web ACL with a REST API stage. Call it once per stage; one web ACL can protect many.
   *
   * The association is created in the stage's scope, so that it lives and dies with the API.
   *
   * @param stage the stage
   * @returns the association
   * @throws SecureApiValidationError when this web ACL is already associated with the stage
   */
  public associate(stage: apigw.Stage): wafv2.CfnWebACLAssociation {
    if (this.associatedStages.has(stage)) {
      throw new SecureApiValidationError(
        `'stage' is already associated with web ACL '${this.node.path}' (received: stage '${stage.node.path}')`,
      );
    }
    this.associatedStages.add(stage);
    return new wafv2.CfnWebACLAssociation(stage, `WebAclAssociation${Names.nodeUniqueId(this.node)}`, {
      resourceArn: stage.stageArn,
      webAclArn: this.webAclArn,
    });
  }

  /**
   * A metric of the web ACL in the `AWS/WAFV2` namespace, over all its rules.
   *
   * @param metricName e.g. `BlockedRequests`, `AllowedRequests`, `CountedRequests`
   * @param props overrides; statistic `Sum` and period 5 minutes unless set
   * @returns the metric
   * @see https://docs.aws.amazon.com/waf/latest/developerguide/waf-metrics.html
   */
  public metric(metricName: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.metricForRule('ALL', metricName, props);
  }

  /**
   * A metric of one rule of the web ACL, e.g. `BlockedRequests` of `RateLimitPerIp`.
   *
   * @param ruleName the rule name (the rule's metric name), or `ALL`
   * @param metricName the metric name
   * @param props overrides; statistic `Sum` and period 5 minutes unless set
   * @returns the metric
   */
  public metricForRule(ruleName: string, metricName: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/WAFV2',
      metricName,
      dimensionsMap: { WebACL: this.webAclName, Region: Stack.of(this).region, Rule: ruleName },
      statistic: 'Sum',
      period: Duration.minutes(5),
      ...props,
    });
  }

  /**
   * Requests the web ACL blocked: sum per 5 minutes.
   * @param props overrides
   * @returns the metric
   */
  public metricBlockedRequests(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('BlockedRequests', props);
  }

  /**
   * Requests the web ACL allowed: sum per 5 minutes.
   * @param props overrides
   * @returns the metric
   */
  public metricAllowedRequests(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('AllowedRequests', props);
  }

  /**
   * Requests that rules in count mode matched: sum per 5 minutes.
   * @param props overrides
   * @returns the metric
   */
  public metricCountedRequests(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('CountedRequests', props);
  }

  /**
   * Requests the per-IP rate limit blocked with `429`: sum per 5 minutes.
   * @param props overrides
   * @returns the metric
   */
  public metricRateLimitedRequests(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metricForRule('RateLimitPerIp', 'BlockedRequests', props);
  }

  private ipSets(id: string, prop: string, cidrs: string[] | undefined): wafv2.CfnIPSet[] {
    if (cidrs === undefined) {
      return [];
    }
    if (cidrs.length === 0) {
      throw new SecureApiValidationError(`'${prop}' must hold at least one CIDR range, or be left out (received: [])`);
    }
    const { ipv4, ipv6 } = parseCidrs(prop, cidrs);
    const sets: wafv2.CfnIPSet[] = [];
    for (const [version, addresses] of [['IPV4', ipv4], ['IPV6', ipv6]] as const) {
      if (addresses.length > 0) {
        sets.push(new wafv2.CfnIPSet(this, `${id}${version === 'IPV4' ? 'V4' : 'V6'}`, {
          scope: 'REGIONAL',
          ipAddressVersion: version,
          addresses,
          description: `${prop} of web ACL ${this.webAclName}, ${version}`,
        }));
      }
    }
    return sets;
  }

  private addGeoRestriction(geo: GeoRestrictionOptions | undefined): void {
    if (geo === undefined) {
      return;
    }
    if ((geo.blockedCountries === undefined) === (geo.allowedCountries === undefined)) {
      throw new SecureApiValidationError(
        `'geoRestriction' must set exactly one of 'blockedCountries' and 'allowedCountries' (received: ${describeValue(geo)})`,
      );
    }
    const statement: wafv2.CfnWebACL.StatementProperty = geo.blockedCountries
      ? { geoMatchStatement: { countryCodes: parseCountryCodes('geoRestriction.blockedCountries', geo.blockedCountries) } }
      : {
        notStatement: {
          statement: { geoMatchStatement: { countryCodes: parseCountryCodes('geoRestriction.allowedCountries', geo.allowedCountries!) } },
        },
      };
    this.addBuiltInRule({ name: 'GeoRestriction', priority: SecureApiWebAcl.PRIORITY.geoRestriction, action: { block: {} }, statement });
  }

  private addRateLimits(
    rateLimit: RateLimitOptions | false | undefined,
    clientRateLimit: ClientRateLimitOptions | undefined,
    clientHeader: string | undefined,
  ): void {
    const tooManyRequests: wafv2.CfnWebACL.RuleActionProperty = {
      block: { customResponse: { responseCode: 429, customResponseBodyKey: RATE_LIMITED_BODY } },
    };
    if (rateLimit !== false) {
      const limit = rateLimit?.limit ?? WEB_ACL_DEFAULTS.rateLimit.limit;
      checkIntegerRange('rateLimit.limit', limit, 10, 2000000000);
      this.addBuiltInRule({
        name: 'RateLimitPerIp',
        priority: SecureApiWebAcl.PRIORITY.rateLimitPerIp,
        action: tooManyRequests,
        statement: {
          rateBasedStatement: {
            aggregateKeyType: 'IP',
            limit,
            evaluationWindowSec: evaluationWindow('rateLimit.window', rateLimit?.window ?? WEB_ACL_DEFAULTS.rateLimit.window),
          },
        },
      });
    }
    if (clientRateLimit !== undefined && clientHeader !== undefined) {
      checkIntegerRange('clientRateLimit.limit', clientRateLimit.limit, 10, 2000000000);
      const headerKey: wafv2.CfnWebACL.RateBasedStatementCustomKeyProperty = {
        header: { name: clientHeader, textTransformations: [{ priority: 0, type: 'NONE' }] },
      };
      this.addBuiltInRule({
        name: 'RateLimitPerClient',
        priority: SecureApiWebAcl.PRIORITY.rateLimitPerClient,
        action: tooManyRequests,
        statement: {
          rateBasedStatement: {
            aggregateKeyType: 'CUSTOM_KEYS',
            customKeys: clientRateLimit.perIp ? [headerKey, { ip: {} }] : [headerKey],
            limit: clientRateLimit.limit,
            evaluationWindowSec: evaluationWindow(
              'clientRateLimit.window',
              clientRateLimit.window ?? WEB_ACL_DEFAULTS.clientRateLimit.window,
            ),
          },
        },
      });
    }
  }

  private addBodySizeLimit(maxBodySize: Size | false | undefined, inspectionLimit: Size): void {
    if (maxBodySize === false) {
      return;
    }
    const bytes = (maxBodySize ?? WEB_ACL_DEFAULTS.maxBodySize).toBytes();
    const inspectedBytes = inspectionLimit.toBytes();
    if (bytes < 1 || bytes > inspectedBytes) {
      throw new SecureApiValidationError(
        `'maxBodySize' must be between 1 byte and 'bodyInspectionLimit' (${inspectedBytes} bytes), as WAF sees no further (received: ${bytes} bytes)`,
      );
    }
    this.addBuiltInRule({
      name: 'BodySizeLimit',
      priority: SecureApiWebAcl.PRIORITY.bodySizeLimit,
      action: { block: { customResponse: { responseCode: 413, customResponseBodyKey: BODY_TOO_LARGE_BODY } } },
      statement: {
        sizeConstraintStatement: {
          // A body beyond the inspection limit is larger than any allowed size, so it matches.
          fieldToMatch: { body: { oversizeHandling: 'MATCH' } },
          comparisonOperator: 'GT',
          size: bytes,
          textTransformations: [{ priority: 0, type: 'NONE' }],
        },
      },
    });
  }

  private addManagedRuleGroups(options: ManagedRuleGroupsOptions): void {
    const groups: ManagedGroupSpec[] = [
      { prop: 'ipReputation', name: 'AWSManagedRulesAmazonIpReputationList', priority: SecureApiWebAcl.PRIORITY.ipReputation },
      { prop: 'anonymousIp', name: 'AWSManagedRulesAnonymousIpList', priority: SecureApiWebAcl.PRIORITY.anonymousIp },
      { prop: 'knownBadInputs', name: 'AWSManagedRulesKnownBadInputsRuleSet', priority: SecureApiWebAcl.PRIORITY.knownBadInputs },
      { prop: 'commonRuleSet', name: 'AWSManagedRulesCommonRuleSet', priority: SecureApiWebAcl.PRIORITY.commonRuleSet },
      { prop: 'sqlInjection', name: 'AWSManagedRulesSQLiRuleSet', priority: SecureApiWebAcl.PRIORITY.sqlInjection },
      { prop: 'botControl', name: 'AWSManagedRulesBotControlRuleSet', priority: SecureApiWebAcl.PRIORITY.botControl },
    ];
    for (const group of groups) {
      const setting = options[group.prop] ?? WEB_ACL_DEFAULTS.managedRuleGroups[group.prop];
      if (setting === false) {
        continue;
      }
      const groupOptions: BotControlOptions = setting === true ? {} : setting;
      const overrides: Record<string, WafRuleAction> = {
        ...(group.prop === 'commonRuleSet' ? { SizeRestrictions_BODY: 'COUNT' } : {}),
        ...groupOptions.ruleActionOverrides,
      };
      const ruleActionOverrides = Object.entries(overrides).map(([name, action]) => ({ name, actionToUse: ruleAction(group.prop, name, action) }));
      this.addBuiltInRule(
        {
          name: `AWS-${group.name}`,
          priority: group.priority,
          overrideAction: groupOptions.countOnly ? { count: {} } : { none: {} },
          statement: {
            managedRuleGroupStatement: {
              vendorName: 'AWS',
              name: group.name,
              version: groupOptions.version,
              ruleActionOverrides: ruleActionOverrides.length > 0 ? ruleActionOverrides : undefined,
              managedRuleGroupConfigs: group.prop === 'botControl'
                ? [{
                  awsManagedRulesBotControlRuleSet: {
                    inspectionLevel: groupOptions.inspectionLevel ?? WEB_ACL_DEFAULTS.botControlInspectionLevel,
                  },
                }]
                : undefined,
            },
          },
        },
        MANAGED_RULE_GROUP_CAPACITY[group.name],
      );
    }
  }

  private createLogGroup(options: WebAclLoggingOptions): logs.LogGroup {
    const logGroupName = options.logGroupName ?? this.defaultLogGroupName();
    if (!Token.isUnresolved(logGroupName) && !/^aws-waf-logs-[\w./#-]+$/.test(logGroupName)) {
      throw new SecureApiValidationError(
        `'logging.logGroupName' must start with 'aws-waf-logs-', as AWS WAF requires, and continue with letters, digits, '_', '-', '/', '.' or '#' (received: ${describeValue(logGroupName)})`,
      );
    }
    if (!Token.isUnresolved(logGroupName) && logGroupName.length > LOG_GROUP_NAME_MAX_LENGTH) {
      throw new SecureApiValidationError(
        `'logging.logGroupName' must be at most ${LOG_GROUP_NAME_MAX_LENGTH} characters, the CloudWatch Logs limit (received: ${logGroupName.length} characters)`,
      );
    }
    if (options.encryptionKey) {
      allowCloudWatchLogsToUseKey(options.encryptionKey);
    }
    const logGroup = new logs.LogGroup(this, 'LogGroup', {
      logGroupName,
      retention: options.retention ?? WEB_ACL_DEFAULTS.logging.retention,
      removalPolicy: options.removalPolicy ?? WEB_ACL_DEFAULTS.logging.removalPolicy,
      encryptionKey: options.encryptionKey,
    });
    if (!options.encryptionKey) {
      acknowledge(logGroup, { 'NIST.800.53.R5-CloudWatchLogGroupEncrypted': NAG_REASONS.logGroupServiceKey });
    }
    return logGroup;
  }

  /**
   * `aws-waf-logs-<path name>-<stack UUID>`, at most 512 characters. The group is retained when the stack
   * is deleted and WAF requires the prefix, so CloudFormation cannot generate the name; a name fixed at
   * synth would collide with the retained group when the stack is deployed again. The last part of
   * the stack id (`arn:...:stack/<name>/<uuid>`) is new each time the stack is created, and stays the
   * same on updates, so the group is not replaced by an ordinary deployment.
   */
  private defaultLogGroupName(): string {
    const stackUuid = Fn.select(2, Fn.split('/', Stack.of(this).stackId));
    const pathName = Names.uniqueResourceName(this, {
      maxLength: LOG_GROUP_NAME_MAX_LENGTH - WAF_LOG_GROUP_PREFIX.length - 1 - STACK_UUID_LENGTH,
      separator: '-',
    });
    return `${WAF_LOG_GROUP_PREFIX}${pathName}-${stackUuid}`;
  }

  private addBuiltInRule(
    rule: Omit<wafv2.CfnWebACL.RuleProperty, 'visibilityConfig'>,
    capacity = estimateRuleCapacity(rule as wafv2.CfnWebACL.RuleProperty),
  ): void {
    // Built-in statements are all literal and of known types, so the estimate always exists.
    this.add({ ...rule, visibilityConfig: visibility(rule.name) }, capacity!);
  }

  private add(rule: wafv2.CfnWebACL.RuleProperty, capacity: number): void {
    for (const existing of this.rules) {
      if (existing.priority === rule.priority) {
        throw new SecureApiValidationError(
          `'priority' of rule '${rule.name}' must be unique in the web ACL: rule '${existing.name}' has it (received: ${rule.priority})`,
        );
      }
      if (existing.name === rule.name) {
        throw new SecureApiValidationError(`'name' of a rule must be unique in the web ACL (received: ${describeValue(rule.name)})`);
      }
    }
    const total = this.capacity + capacity;
    if (total > this.maxCapacity) {
      throw new SecureApiValidationError(
        `'maxCapacity' must cover the web ACL's rules: adding '${rule.name}' (${capacity} WCUs) needs ${total} WCUs (received: ${this.maxCapacity})`,
      );
    }
    this.rules.push(rule);
    this.ruleCapacities.set(rule.name, capacity);
  }
}

function visibility(metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty {
  return { cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName };
}

function ipSetMatch(set: wafv2.CfnIPSet): wafv2.CfnWebACL.StatementProperty {
  return { ipSetReferenceStatement: { arn: set.attrArn } };
}

function anyOf(statements: wafv2.CfnWebACL.StatementProperty[]): wafv2.CfnWebACL.StatementProperty {
  return statements.length === 1 ? statements[0] : { orStatement: { statements } };
}

function evaluationWindow(prop: string, window: Duration): number {
  const seconds = window.toSeconds({ integral: false });
  if (![60, 120, 300, 600].includes(seconds)) {
    throw new SecureApiValidationError(`'${prop}' must be 60, 120, 300 or 600 seconds (received: ${seconds})`);
  }
  return seconds;
}

function ruleAction(group: string, rule: string, action: WafRuleAction): wafv2.CfnWebACL.RuleActionProperty {
  switch (action) {
    case 'ALLOW': return { allow: {} };
    case 'BLOCK': return { block: {} };
    case 'COUNT': return { count: {} };
    case 'CAPTCHA': return { captcha: {} };
    case 'CHALLENGE': return { challenge: {} };
    default:
      throw new SecureApiValidationError(
        `'managedRuleGroups.${group}.ruleActionOverrides.${rule}' must be ALLOW, BLOCK, COUNT, CAPTCHA or CHALLENGE (received: ${describeValue(action)})`,
      );
  }
}
