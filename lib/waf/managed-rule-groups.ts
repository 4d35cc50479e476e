import type { aws_wafv2 as wafv2 } from 'aws-cdk-lib';
import { WEB_ACL_DEFAULTS } from '../defaults';
import type { BotControlOptions, ManagedRuleGroupsOptions, WafRuleAction } from './options';

/** A managed rule group this library knows: enough to estimate the capacity of a statement naming it. */
export interface KnownManagedRuleGroup {
  /** Owner of the group, the `vendorName` of a managed rule group statement. */
  readonly vendorName: string;
  /** Name of the group, the `name` of a managed rule group statement. */
  readonly name: string;
  /** Web ACL capacity units (WCUs) of the group, fixed by its owner. */
  readonly capacity: number;
}

/** A managed rule group that `SecureApiWebAcl` runs when `managedRuleGroups` switches it on. */
export interface OfferedManagedRuleGroup extends KnownManagedRuleGroup {
  /** The key of the group in `managedRuleGroups`. */
  readonly prop: keyof ManagedRuleGroupsOptions;
  /** Priority of the group's rule in the web ACL. */
  readonly priority: number;
  /** Rule action overrides the web ACL always applies, before those of the group's options. */
  readonly fixedRuleActionOverrides?: Readonly<Record<string, WafRuleAction>>;
  /** The `managedRuleGroupConfigs` of the statement, from the group's options. */
  readonly configs?: (options: BotControlOptions) => wafv2.CfnWebACL.ManagedRuleGroupConfigProperty[];
}

/**
 * The managed rule groups, one row each. The groups with a `prop` are the ones the web ACL runs, in
 * the order of their priorities; the others are known for the capacity estimate of rules added with
 * `SecureApiWebAcl.addRule`.
 *
 * Capacities are the published values of the AWS WAF Developer Guide.
 *
 * @see https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-list.html
 */
export const MANAGED_RULE_GROUPS: ReadonlyArray<KnownManagedRuleGroup | OfferedManagedRuleGroup> = Object.freeze([
  { prop: 'ipReputation', vendorName: 'AWS', name: 'AWSManagedRulesAmazonIpReputationList', priority: 100, capacity: 25 },
  { prop: 'anonymousIp', vendorName: 'AWS', name: 'AWSManagedRulesAnonymousIpList', priority: 110, capacity: 50 },
  { prop: 'knownBadInputs', vendorName: 'AWS', name: 'AWSManagedRulesKnownBadInputsRuleSet', priority: 120, capacity: 200 },
  {
    prop: 'commonRuleSet',
    vendorName: 'AWS',
    name: 'AWSManagedRulesCommonRuleSet',
    priority: 130,
    capacity: 700,
    // The web ACL's own body size rule (`maxBodySize`) replaces this one.
    fixedRuleActionOverrides: Object.freeze({ SizeRestrictions_BODY: 'COUNT' }),
  },
  { prop: 'sqlInjection', vendorName: 'AWS', name: 'AWSManagedRulesSQLiRuleSet', priority: 140, capacity: 200 },
  {
    // Last of the groups, as it is charged per request it inspects.
    prop: 'botControl',
    vendorName: 'AWS',
    name: 'AWSManagedRulesBotControlRuleSet',
    priority: 150,
    capacity: 50,
    configs: (options: BotControlOptions) => [{
      awsManagedRulesBotControlRuleSet: { inspectionLevel: options.inspectionLevel ?? WEB_ACL_DEFAULTS.botControlInspectionLevel },
    }],
  },
  { vendorName: 'AWS', name: 'AWSManagedRulesAdminProtectionRuleSet', capacity: 100 },
  { vendorName: 'AWS', name: 'AWSManagedRulesLinuxRuleSet', capacity: 200 },
  { vendorName: 'AWS', name: 'AWSManagedRulesUnixRuleSet', capacity: 100 },
]);

/** The rows of the groups the web ACL runs, in the order of their priorities. */
export const OFFERED_MANAGED_RULE_GROUPS: readonly OfferedManagedRuleGroup[] = Object.freeze(
  MANAGED_RULE_GROUPS.filter((group): group is OfferedManagedRuleGroup => 'prop' in group),
);

/**
 * The capacity of a managed rule group of the table.
 *
 * @param vendorName the owner of the group
 * @param name the name of the group
 * @returns the group's WCUs, or `undefined` when the table does not hold it
 */
export function managedRuleGroupCapacity(vendorName: string, name: string): number | undefined {
  return MANAGED_RULE_GROUPS.find((group) => group.vendorName === vendorName && group.name === name)?.capacity;
}

/** Priority of each group the web ACL runs, by its key in `managedRuleGroups`. */
export const MANAGED_RULE_GROUP_PRIORITY = Object.freeze(
  Object.fromEntries(OFFERED_MANAGED_RULE_GROUPS.map((group) => [group.prop, group.priority])),
) as Readonly<Record<keyof ManagedRuleGroupsOptions, number>>;
