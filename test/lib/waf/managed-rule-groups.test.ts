import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { WEB_ACL_DEFAULTS } from '../../../lib/defaults';
import { estimateStatementCapacity, MANAGED_RULE_GROUP_CAPACITY } from '../../../lib/waf/capacity';
import { MANAGED_RULE_GROUPS, managedRuleGroupCapacity, OFFERED_MANAGED_RULE_GROUPS } from '../../../lib/waf/managed-rule-groups';
import { SecureApiWebAcl } from '../../../lib/waf/secure-api-web-acl';

describe('managed rule group table', () => {
  test('holds the published WCUs of each group, which MANAGED_RULE_GROUP_CAPACITY lists by name', () => {
    expect(MANAGED_RULE_GROUP_CAPACITY).toEqual({
      AWSManagedRulesCommonRuleSet: 700,
      AWSManagedRulesKnownBadInputsRuleSet: 200,
      AWSManagedRulesAmazonIpReputationList: 25,
      AWSManagedRulesSQLiRuleSet: 200,
      AWSManagedRulesAnonymousIpList: 50,
      AWSManagedRulesBotControlRuleSet: 50,
      AWSManagedRulesAdminProtectionRuleSet: 100,
      AWSManagedRulesLinuxRuleSet: 200,
      AWSManagedRulesUnixRuleSet: 100,
    });
    expect(Object.isFrozen(MANAGED_RULE_GROUP_CAPACITY)).toBe(true);
    expect(new Set(MANAGED_RULE_GROUPS.map((group) => `${group.vendorName}/${group.name}`)).size).toBe(MANAGED_RULE_GROUPS.length);
  });

  test('the capacity estimate of a managed rule group statement reads the table, vendor and name together', () => {
    for (const group of MANAGED_RULE_GROUPS) {
      expect([group.name, estimateStatementCapacity({ managedRuleGroupStatement: { vendorName: group.vendorName, name: group.name } })])
        .toEqual([group.name, group.capacity]);
    }
    expect(managedRuleGroupCapacity('AWS', 'AWSManagedRulesCommonRuleSet')).toBe(700);
    expect(managedRuleGroupCapacity('F5', 'AWSManagedRulesCommonRuleSet')).toBeUndefined();
  });

  test('has one row for each key of managedRuleGroups, with the priority SecureApiWebAcl.PRIORITY publishes', () => {
    expect(OFFERED_MANAGED_RULE_GROUPS.map((group) => group.prop).sort()).toEqual(Object.keys(WEB_ACL_DEFAULTS.managedRuleGroups).sort());
    for (const group of OFFERED_MANAGED_RULE_GROUPS) {
      expect([group.prop, SecureApiWebAcl.PRIORITY[group.prop]]).toEqual([group.prop, group.priority]);
    }
    const priorities = Object.values(SecureApiWebAcl.PRIORITY);
    expect(new Set(priorities).size).toBe(priorities.length);
    expect(OFFERED_MANAGED_RULE_GROUPS.map((group) => group.priority)).toEqual([100, 110, 120, 130, 140, 150]);
  });

  test('each group switched on becomes a rule with the row\'s name, priority and capacity', () => {
    const stack = new Stack(new App(), 'WafStack');
    const everyGroup = Object.fromEntries(OFFERED_MANAGED_RULE_GROUPS.map((group) => [group.prop, true]));
    const acl = new SecureApiWebAcl(stack, 'WebAcl', {
      rateLimit: false, maxBodySize: false, managedRuleGroups: everyGroup, maxCapacity: 5000,
    });
    const [webAcl] = Object.values(Template.fromStack(stack).findResources('AWS::WAFv2::WebACL'));
    const rules = (webAcl!.Properties.Rules as Array<{ Name: string; Priority: number; Statement: { ManagedRuleGroupStatement: { VendorName: string; Name: string } } }>)
      .map((rule) => [rule.Name, rule.Priority, rule.Statement.ManagedRuleGroupStatement.VendorName, rule.Statement.ManagedRuleGroupStatement.Name]);
    expect(rules).toEqual(OFFERED_MANAGED_RULE_GROUPS.map((group) => [`AWS-${group.name}`, group.priority, 'AWS', group.name]));
    expect(acl.capacity).toBe(OFFERED_MANAGED_RULE_GROUPS.reduce((total, group) => total + group.capacity, 0));
  });

  test('the documentation of each managedRuleGroups option names its group and WCUs from the table', () => {
    const source = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'lib', 'waf', 'options.ts'), 'utf8');
    const options = source.slice(source.indexOf('export interface ManagedRuleGroupsOptions'));
    const docs = new Map([...options.matchAll(/\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*readonly (\w+)\?:/g)].map((match) => [match[2], match[1]]));
    for (const group of OFFERED_MANAGED_RULE_GROUPS) {
      expect([group.prop, docs.get(group.prop)]).toEqual([group.prop, expect.stringContaining(`\`${group.name}\` (${group.capacity} WCUs`)]);
    }
  });
});
