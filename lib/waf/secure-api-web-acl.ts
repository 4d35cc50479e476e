import { ArnFormat, Duration, Fn, Lazy, Names, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { WEB_ACL_DEFAULTS } from '../defaults';
import { describeValue, SecureApiValidationError, validateLogRetention } from '../errors';
import { allowCloudWatchLogsToUseKey } from '../log-encryption-key';
import { CONTROL_TOWER, NAG_REASONS, acknowledge } from '../nag-acknowledgements';
import { estimateRuleCapacity } from './capacity';
import {
  checkIntegerRange,
  checkWafLogGroupName,
  checkWebAclName,
  LOG_GROUP_NAME_MAX_LENGTH,
  parseBodyInspectionLimit,
  parseCidrs,
  parseHeaderName,
  WAF_LOG_GROUP_PREFIX,
  WAF_MAX_CAPACITY,
  WAF_MAX_REDACTED_FIELDS,
} from './inputs';
import { MANAGED_RULE_GROUP_PRIORITY, OFFERED_MANAGED_RULE_GROUPS } from './managed-rule-groups';
import type { AddRuleOptions, SecureApiWebAclProps, WebAclLoggingOptions } from './options';
import {
  BUILT_IN_RULE_PRIORITY,
  bodySizeLimitRule,
  type BuiltInRule,
  customResponseBodies,
  geoRestrictionRule,
  ipAllowListRule,
  ipDenyListRule,
  managedRuleGroupRule,
  rateLimitPerClientRule,
  rateLimitPerIpRule,
  visibility,
} from './rules';

export type { SecureApiWebAclProps } from './options';

/** Length of the UUID that ends a CloudFormation stack id (`arn:...:stack/<name>/<uuid>`). */
const STACK_UUID_LENGTH = 36;

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
    ...BUILT_IN_RULE_PRIORITY,
    ...MANAGED_RULE_GROUP_PRIORITY,
  } as const;

  /** The web ACL resource. */
  public readonly cfnWebAcl: wafv2.CfnWebACL;
  /** ARN of the web ACL. */
  public readonly webAclArn: string;
  /** Id of the web ACL (the `Id` attribute, a UUID). */
  public readonly webAclId: string;
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
    checkIntegerRange(this, 'maxCapacity', this.maxCapacity, 1, WAF_MAX_CAPACITY);

    this.webAclName = props.webAclName ?? Names.uniqueResourceName(this, { maxLength: 128, separator: '-' });
    checkWebAclName(this, this.webAclName);

    const inspectionLimit = props.bodyInspectionLimit ?? WEB_ACL_DEFAULTS.bodyInspectionLimit;
    const inspectionKb = parseBodyInspectionLimit(this, inspectionLimit);

    const clientHeader = props.clientRateLimit
      ? parseHeaderName(this, 'clientRateLimit.headerName', props.clientRateLimit.headerName ?? WEB_ACL_DEFAULTS.clientRateLimit.headerName)
      : undefined;
    this.protectedHeaders = [
      ...new Set([
        ...WEB_ACL_DEFAULTS.protectedHeaders,
        ...(props.protectedHeaders ?? []).map((h) => parseHeaderName(this, 'protectedHeaders', h)),
        ...(clientHeader ? [clientHeader] : []),
      ]),
    ];
    if (props.logging !== false && this.protectedHeaders.length > WAF_MAX_REDACTED_FIELDS) {
      throw new SecureApiValidationError(
        `'protectedHeaders' together with the ${WEB_ACL_DEFAULTS.protectedHeaders.length} headers always protected must be at most ${WAF_MAX_REDACTED_FIELDS} headers, ` +
          `the most redacted fields a WAF logging configuration accepts (received: ${this.protectedHeaders.length} headers)`,
        this,
      );
    }

    this.blockedIpSets = this.ipSets('BlockedIps', 'blockedIps', props.blockedIps);
    this.allowedIpSets = this.ipSets('AllowedIps', 'allowedIps', props.allowedIps);
    if (this.blockedIpSets.length > 0) {
      this.addBuiltInRule(ipDenyListRule(this.blockedIpSets));
    }
    if (this.allowedIpSets.length > 0) {
      this.addBuiltInRule(ipAllowListRule(this.allowedIpSets));
    }
    if (props.geoRestriction !== undefined) {
      this.addBuiltInRule(geoRestrictionRule(this, props.geoRestriction));
    }
    if (props.rateLimit !== false) {
      this.addBuiltInRule(rateLimitPerIpRule(this, props.rateLimit));
    }
    if (props.clientRateLimit !== undefined && clientHeader !== undefined) {
      this.addBuiltInRule(rateLimitPerClientRule(this, props.clientRateLimit, clientHeader));
    }
    if (props.maxBodySize !== false) {
      this.addBuiltInRule(bodySizeLimitRule(this, props.maxBodySize ?? WEB_ACL_DEFAULTS.maxBodySize, inspectionLimit));
    }
    for (const group of OFFERED_MANAGED_RULE_GROUPS) {
      const setting = props.managedRuleGroups?.[group.prop] ?? WEB_ACL_DEFAULTS.managedRuleGroups[group.prop];
      if (setting !== false) {
        this.addBuiltInRule(managedRuleGroupRule(this, group, setting === true ? {} : setting), group.capacity);
      }
    }

    this.cfnWebAcl = new wafv2.CfnWebACL(this, 'Resource', {
      name: this.webAclName,
      description: props.description,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility(this.webAclName),
      rules: Lazy.any({ produce: () => [...this.rules].sort((a, b) => a.priority - b.priority) }),
      customResponseBodies: customResponseBodies(),
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
    this.webAclArn = this.cfnWebAcl.attrArn;
    this.webAclId = this.cfnWebAcl.attrId;

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
    checkIntegerRange(this, 'priority', rule.priority, 0, 2147483647);
    if (options.capacity !== undefined) {
      checkIntegerRange(this, 'capacity', options.capacity, 1, WAF_MAX_CAPACITY);
    }
    const capacity = options.capacity ?? estimateRuleCapacity(rule);
    if (capacity === undefined) {
      throw new SecureApiValidationError(
        `'capacity' is required for rule '${rule.name}': its statement cannot be estimated at synth (received: undefined)`,
        this,
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
        this,
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
      throw new SecureApiValidationError(`'${prop}' must hold at least one CIDR range, or be left out (received: [])`, this);
    }
    const { ipv4, ipv6 } = parseCidrs(this, prop, cidrs);
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

  private createLogGroup(options: WebAclLoggingOptions): logs.LogGroup {
    const logGroupName = options.logGroupName ?? this.defaultLogGroupName();
    checkWafLogGroupName(this, logGroupName);
    if (options.encryptionKey) {
      allowCloudWatchLogsToUseKey(options.encryptionKey);
    }
    const logGroup = new logs.LogGroup(this, 'LogGroup', {
      logGroupName,
      retention: validateLogRetention(this, 'logging.retention', options.retention) ?? WEB_ACL_DEFAULTS.logging.retention,
      removalPolicy: options.removalPolicy ?? WEB_ACL_DEFAULTS.logging.removalPolicy,
      encryptionKey: options.encryptionKey,
    });
    if (!options.encryptionKey) {
      acknowledge(logGroup, { 'NIST.800.53.R5-CloudWatchLogGroupEncrypted': NAG_REASONS.logGroupServiceKey, [CONTROL_TOWER.logGroupEncrypted]: NAG_REASONS.logGroupServiceKey });
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
    rule: BuiltInRule,
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
          this,
        );
      }
      if (existing.name === rule.name) {
        throw new SecureApiValidationError(`'name' of a rule must be unique in the web ACL (received: ${describeValue(rule.name)})`, this);
      }
    }
    const total = this.capacity + capacity;
    if (total > this.maxCapacity) {
      throw new SecureApiValidationError(
        `'maxCapacity' must cover the web ACL's rules: adding '${rule.name}' (${capacity} WCUs) needs ${total} WCUs (received: ${this.maxCapacity})`,
        this,
      );
    }
    this.rules.push(rule);
    this.ruleCapacities.set(rule.name, capacity);
  }
}
