import { Token } from 'aws-cdk-lib';
import type { aws_wafv2 as wafv2 } from 'aws-cdk-lib';
import { MANAGED_RULE_GROUPS, managedRuleGroupCapacity } from './managed-rule-groups';

/**
 * Published web ACL capacity units (WCUs) of the managed rule groups this library knows, by group name:
 * the `capacity` column of the managed rule group table.
 *
 * Rule group capacity is fixed by the owner; these are the values of the AWS WAF Developer Guide.
 *
 * @see https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-list.html
 */
export const MANAGED_RULE_GROUP_CAPACITY: Readonly<Record<string, number>> = Object.freeze(
  Object.fromEntries(MANAGED_RULE_GROUPS.map((group) => [group.name, group.capacity])),
);

/** WCUs each text transformation adds to a match statement (`NONE` adds nothing). */
const TEXT_TRANSFORMATION_WCU = 10;
/** WCUs a rate-based statement adds per custom aggregation key. */
const CUSTOM_KEY_WCU = 30;

/**
 * Estimates the WCUs of a rule statement from the published per-statement costs, or answers
 * `undefined` when it cannot (a token inside, a customer rule group, an unknown managed group),
 * in which case the caller must supply a capacity hint.
 *
 * The estimate follows the AWS WAF Developer Guide: a base cost per statement type, +10 for
 * `allQueryArguments`, double the base for `jsonBody`, +10 per text transformation other than `NONE`,
 * the sum of the nested statements for `and`/`or`/`not`, and a scope-down statement on top of a
 * rate-based or managed rule group statement. AWS computes the authoritative number on deployment.
 *
 * @param statement the statement
 * @returns the estimated WCUs, or `undefined`
 * @see https://docs.aws.amazon.com/waf/latest/developerguide/aws-waf-capacity-units.html
 */
export function estimateStatementCapacity(statement: wafv2.CfnWebACL.StatementProperty | wafv2.CfnWebACL.RuleProperty['statement'] | undefined): number | undefined {
  const s = literal<wafv2.CfnWebACL.StatementProperty>(statement);
  if (!s) {
    return undefined;
  }
  const parts: Array<number | undefined> = [];
  for (const [kind, raw] of Object.entries(s)) {
    if (raw === undefined) {
      continue;
    }
    const body = literal<Record<string, unknown>>(raw);
    if (!body) {
      return undefined;
    }
    parts.push(estimateKind(kind, body));
  }
  if (parts.length !== 1 || parts[0] === undefined) {
    return undefined;
  }
  return parts[0];
}

/**
 * Estimates the WCUs of a whole rule (its statement; actions and labels cost nothing).
 *
 * @param rule the rule
 * @returns the estimated WCUs, or `undefined` when the statement cannot be estimated
 */
export function estimateRuleCapacity(rule: wafv2.CfnWebACL.RuleProperty): number | undefined {
  return estimateStatementCapacity(rule.statement);
}

function estimateKind(kind: string, body: Record<string, unknown>): number | undefined {
  switch (kind) {
    case 'ipSetReferenceStatement': {
      const forwarded = literal<Record<string, unknown>>(body.ipSetForwardedIpConfig);
      return forwarded?.position === 'ANY' ? 5 : 1;
    }
    case 'geoMatchStatement':
    case 'labelMatchStatement':
    case 'asnMatchStatement':
      return 1;
    case 'sizeConstraintStatement':
      return matchCost(1, body);
    case 'byteMatchStatement': {
      const constraint = body.positionalConstraint;
      return matchCost(constraint === 'CONTAINS' || constraint === 'CONTAINS_WORD' ? 10 : 2, body);
    }
    case 'regexMatchStatement':
      return matchCost(3, body);
    case 'regexPatternSetReferenceStatement':
      return matchCost(25, body);
    case 'sqliMatchStatement':
      return matchCost(body.sensitivityLevel === 'HIGH' ? 30 : 20, body);
    case 'xssMatchStatement':
      return matchCost(40, body);
    case 'andStatement':
    case 'orStatement': {
      const nested = literal<unknown[]>(body.statements);
      return nested ? sum(nested.map((n) => estimateStatementCapacity(n as wafv2.CfnWebACL.StatementProperty))) : undefined;
    }
    case 'notStatement':
      return estimateStatementCapacity(body.statement as wafv2.CfnWebACL.StatementProperty);
    case 'rateBasedStatement': {
      const keys = literal<unknown[]>(body.customKeys ?? []);
      if (!keys) {
        return undefined;
      }
      const keyCost = sum(keys.map((key) => {
        const k = literal<Record<string, unknown>>(key);
        if (!k) {
          return undefined;
        }
        const transformations = Object.values(k).flatMap((v) => literal<{ textTransformations?: unknown }>(v)?.textTransformations ?? []);
        return CUSTOM_KEY_WCU + transformationCost(transformations);
      }));
      return sum([2, keyCost, scopeDownCost(body)]);
    }
    case 'managedRuleGroupStatement': {
      const known = typeof body.vendorName === 'string' && typeof body.name === 'string' ? managedRuleGroupCapacity(body.vendorName, body.name) : undefined;
      return known === undefined ? undefined : sum([known, scopeDownCost(body)]);
    }
    default:
      return undefined;
  }
}

function matchCost(base: number, body: Record<string, unknown>): number | undefined {
  const field = literal<Record<string, unknown>>(body.fieldToMatch ?? {});
  const transformations = literal<unknown[]>(body.textTransformations ?? []);
  if (!field || !transformations) {
    return undefined;
  }
  let cost = field.jsonBody !== undefined ? base * 2 : base;
  if (field.allQueryArguments !== undefined) {
    cost += 10;
  }
  return cost + transformationCost(transformations);
}

function transformationCost(transformations: readonly unknown[]): number {
  return transformations.filter((t) => literal<{ type?: unknown }>(t)?.type !== 'NONE').length * TEXT_TRANSFORMATION_WCU;
}

function scopeDownCost(body: Record<string, unknown>): number | undefined {
  return body.scopeDownStatement === undefined ? 0 : estimateStatementCapacity(body.scopeDownStatement as wafv2.CfnWebACL.StatementProperty);
}

function sum(values: ReadonlyArray<number | undefined>): number | undefined {
  let total = 0;
  for (const value of values) {
    if (value === undefined) {
      return undefined;
    }
    total += value;
  }
  return total;
}

/** The value itself when it holds no token at its top level, otherwise `undefined`. */
function literal<T>(value: unknown): T | undefined {
  return value === undefined || value === null || Token.isUnresolved(value) ? undefined : (value as T);
}
