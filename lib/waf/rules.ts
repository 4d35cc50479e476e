import type { Size } from 'aws-cdk-lib';
import type * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { IConstruct } from 'constructs';
import { WEB_ACL_DEFAULTS } from '../defaults';
import { describeValue, SecureApiValidationError } from '../errors';
import { checkIntegerRange, parseCountryCodes, parseEvaluationWindow } from './inputs';
import type { OfferedManagedRuleGroup } from './managed-rule-groups';
import type { BotControlOptions, ClientRateLimitOptions, GeoRestrictionOptions, RateLimitOptions, WafRuleAction } from './options';

/** A rule the web ACL builds itself; its visibility configuration is added from its name. */
export type BuiltInRule = Omit<wafv2.CfnWebACL.RuleProperty, 'visibilityConfig'>;

/** Priorities of the rules the web ACL builds that are not managed rule groups. */
export const BUILT_IN_RULE_PRIORITY = {
  ipDenyList: 10,
  ipAllowList: 20,
  geoRestriction: 30,
  rateLimitPerIp: 40,
  rateLimitPerClient: 50,
  bodySizeLimit: 60,
} as const;

/** Key of the custom response body of the `429` answer, in API Gateway's `{"message": ...}` error shape. */
const RATE_LIMITED_BODY = 'RateLimited';
/** Key of the custom response body of the `413` answer to a request whose body is too large. */
const BODY_TOO_LARGE_BODY = 'BodyTooLarge';

/** Smallest request limit of a rate-based rule. */
const MIN_RATE_LIMIT = 10;
/** Largest request limit of a rate-based rule. */
const MAX_RATE_LIMIT = 2000000000;

/** The custom response bodies the built-in rules answer with, for the web ACL's `customResponseBodies`. */
export function customResponseBodies(): Record<string, wafv2.CfnWebACL.CustomResponseBodyProperty> {
  return {
    [RATE_LIMITED_BODY]: { contentType: 'APPLICATION_JSON', content: '{"message":"Too Many Requests"}' },
    [BODY_TOO_LARGE_BODY]: { contentType: 'APPLICATION_JSON', content: '{"message":"Request Entity Too Large"}' },
  };
}

/**
 * CloudWatch metrics and sampled requests under one metric name.
 *
 * @param metricName the metric name (a rule's name, or the web ACL's)
 * @returns the visibility configuration
 */
export function visibility(metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty {
  return { cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName };
}

/**
 * `IpDenyList`: blocks the addresses of the IP sets.
 *
 * @param sets the IP sets of `blockedIps`
 * @returns the rule
 */
export function ipDenyListRule(sets: readonly wafv2.CfnIPSet[]): BuiltInRule {
  return { name: 'IpDenyList', priority: BUILT_IN_RULE_PRIORITY.ipDenyList, action: { block: {} }, statement: anyOf(sets.map(ipSetMatch)) };
}

/**
 * `IpAllowList`: blocks every address outside the IP sets.
 *
 * @param sets the IP sets of `allowedIps`
 * @returns the rule
 */
export function ipAllowListRule(sets: readonly wafv2.CfnIPSet[]): BuiltInRule {
  return {
    name: 'IpAllowList',
    priority: BUILT_IN_RULE_PRIORITY.ipAllowList,
    action: { block: {} },
    statement: { notStatement: { statement: anyOf(sets.map(ipSetMatch)) } },
  };
}

/**
 * `GeoRestriction`: blocks the blocked countries, or every country but the allowed ones.
 *
 * @param scope the web ACL, named in error messages
 * @param geo the geographic restriction
 * @returns the rule
 * @throws SecureApiValidationError unless exactly one list is set and holds country codes WAF knows
 */
export function geoRestrictionRule(scope: IConstruct, geo: GeoRestrictionOptions): BuiltInRule {
  if ((geo.blockedCountries === undefined) === (geo.allowedCountries === undefined)) {
    throw new SecureApiValidationError(
      `'geoRestriction' must set exactly one of 'blockedCountries' and 'allowedCountries' (received: ${describeValue(geo)})`,
      scope,
    );
  }
  const statement: wafv2.CfnWebACL.StatementProperty = geo.blockedCountries
    ? { geoMatchStatement: { countryCodes: parseCountryCodes(scope, 'geoRestriction.blockedCountries', geo.blockedCountries) } }
    : {
      notStatement: {
        statement: { geoMatchStatement: { countryCodes: parseCountryCodes(scope, 'geoRestriction.allowedCountries', geo.allowedCountries!) } },
      },
    };
  return { name: 'GeoRestriction', priority: BUILT_IN_RULE_PRIORITY.geoRestriction, action: { block: {} }, statement };
}

/**
 * `RateLimitPerIp`: answers `429` to a client IP address over the limit.
 *
 * @param scope the web ACL, named in error messages
 * @param rateLimit the rate limit
 * @returns the rule
 * @throws SecureApiValidationError on a limit or window AWS WAF does not accept
 */
export function rateLimitPerIpRule(scope: IConstruct, rateLimit: RateLimitOptions | undefined): BuiltInRule {
  const limit = rateLimit?.limit ?? WEB_ACL_DEFAULTS.rateLimit.limit;
  checkIntegerRange(scope, 'rateLimit.limit', limit, MIN_RATE_LIMIT, MAX_RATE_LIMIT);
  return {
    name: 'RateLimitPerIp',
    priority: BUILT_IN_RULE_PRIORITY.rateLimitPerIp,
    action: tooManyRequests(),
    statement: {
      rateBasedStatement: {
        aggregateKeyType: 'IP',
        limit,
        evaluationWindowSec: parseEvaluationWindow(scope, 'rateLimit.window', rateLimit?.window ?? WEB_ACL_DEFAULTS.rateLimit.window),
      },
    },
  };
}

/**
 * `RateLimitPerClient`: answers `429` to a client over the limit, keyed on a header (and the IP address).
 *
 * @param scope the web ACL, named in error messages
 * @param clientRateLimit the rate limit
 * @param headerName the checked header name, in lower case
 * @returns the rule
 * @throws SecureApiValidationError on a limit or window AWS WAF does not accept
 */
export function rateLimitPerClientRule(scope: IConstruct, clientRateLimit: ClientRateLimitOptions, headerName: string): BuiltInRule {
  checkIntegerRange(scope, 'clientRateLimit.limit', clientRateLimit.limit, MIN_RATE_LIMIT, MAX_RATE_LIMIT);
  const headerKey: wafv2.CfnWebACL.RateBasedStatementCustomKeyProperty = {
    header: { name: headerName, textTransformations: [{ priority: 0, type: 'NONE' }] },
  };
  return {
    name: 'RateLimitPerClient',
    priority: BUILT_IN_RULE_PRIORITY.rateLimitPerClient,
    action: tooManyRequests(),
    statement: {
      rateBasedStatement: {
        aggregateKeyType: 'CUSTOM_KEYS',
        customKeys: clientRateLimit.perIp ? [headerKey, { ip: {} }] : [headerKey],
        limit: clientRateLimit.limit,
        evaluationWindowSec: parseEvaluationWindow(
          scope,
          'clientRateLimit.window',
          clientRateLimit.window ?? WEB_ACL_DEFAULTS.clientRateLimit.window,
        ),
      },
    },
  };
}

/**
 * `BodySizeLimit`: answers `413` to a body over the size.
 *
 * @param scope the web ACL, named in error messages
 * @param maxBodySize the largest body let through
 * @param inspectionLimit how much of the body AWS WAF sees
 * @returns the rule
 * @throws SecureApiValidationError when the size is below 1 byte or beyond the inspection limit
 */
export function bodySizeLimitRule(scope: IConstruct, maxBodySize: Size, inspectionLimit: Size): BuiltInRule {
  const bytes = maxBodySize.toBytes();
  const inspectedBytes = inspectionLimit.toBytes();
  if (bytes < 1 || bytes > inspectedBytes) {
    throw new SecureApiValidationError(
      `'maxBodySize' must be between 1 byte and 'bodyInspectionLimit' (${inspectedBytes} bytes), as WAF sees no further (received: ${bytes} bytes)`,
      scope,
    );
  }
  return {
    name: 'BodySizeLimit',
    priority: BUILT_IN_RULE_PRIORITY.bodySizeLimit,
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
  };
}

/**
 * `<vendor>-<name>`: runs a managed rule group of the table with the options of `managedRuleGroups`.
 *
 * @param scope the web ACL, named in error messages
 * @param group the row of the group
 * @param options the group's options
 * @returns the rule
 * @throws SecureApiValidationError on a rule action override that is not a WAF action
 */
export function managedRuleGroupRule(scope: IConstruct, group: OfferedManagedRuleGroup, options: BotControlOptions): BuiltInRule {
  const overrides: Record<string, WafRuleAction> = { ...group.fixedRuleActionOverrides, ...options.ruleActionOverrides };
  const ruleActionOverrides = Object.entries(overrides).map(([name, action]) => ({ name, actionToUse: ruleAction(scope, group.prop, name, action) }));
  return {
    name: `${group.vendorName}-${group.name}`,
    priority: group.priority,
    overrideAction: options.countOnly ? { count: {} } : { none: {} },
    statement: {
      managedRuleGroupStatement: {
        vendorName: group.vendorName,
        name: group.name,
        version: options.version,
        ruleActionOverrides: ruleActionOverrides.length > 0 ? ruleActionOverrides : undefined,
        managedRuleGroupConfigs: group.configs?.(options),
      },
    },
  };
}

function tooManyRequests(): wafv2.CfnWebACL.RuleActionProperty {
  return { block: { customResponse: { responseCode: 429, customResponseBodyKey: RATE_LIMITED_BODY } } };
}

function ipSetMatch(set: wafv2.CfnIPSet): wafv2.CfnWebACL.StatementProperty {
  return { ipSetReferenceStatement: { arn: set.attrArn } };
}

function anyOf(statements: wafv2.CfnWebACL.StatementProperty[]): wafv2.CfnWebACL.StatementProperty {
  const [only] = statements;
  return statements.length === 1 && only !== undefined ? only : { orStatement: { statements } };
}

function ruleAction(scope: IConstruct, group: string, rule: string, action: WafRuleAction): wafv2.CfnWebACL.RuleActionProperty {
  switch (action) {
    case 'ALLOW': return { allow: {} };
    case 'BLOCK': return { block: {} };
    case 'COUNT': return { count: {} };
    case 'CAPTCHA': return { captcha: {} };
    case 'CHALLENGE': return { challenge: {} };
    default:
      throw new SecureApiValidationError(
        `'managedRuleGroups.${group}.ruleActionOverrides.${rule}' must be ALLOW, BLOCK, COUNT, CAPTCHA or CHALLENGE (received: ${describeValue(action)})`,
        scope,
      );
  }
}
