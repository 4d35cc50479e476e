/** The web ACLs of a stack: rules in words, what each protects, where it logs and what it redacts. */
import type { CfnResource } from '../cloud-assembly';
import type { WebAclReport } from './model';
import { type AnyRecord, type Resources, isRecord, ofType } from './template';
import { describeReference, references, renderValue } from './values';

/** The report of one `AWS::WAFv2::WebACL`. */
export function buildWebAcl(resources: Resources, id: string, acl: CfnResource): WebAclReport {
  const props = acl.Properties ?? {};
  const rules = (Array.isArray(props.Rules) ? props.Rules : [])
    .filter(isRecord)
    .map((rule) => ({
      priority: Number(rule.Priority ?? 0),
      name: String(rule.Name ?? '?'),
      statement: describeStatement(rule.Statement),
      action: describeRuleAction(rule),
    }))
    .sort((a, b) => a.priority - b.priority);
  const associatedWith = ofType(resources, 'AWS::WAFv2::WebACLAssociation')
    .filter(([, association]) => references(association.Properties?.WebACLArn).has(id))
    .flatMap(([, association]) => {
      const targets = [...references(association.Properties?.ResourceArn)];
      const stages = targets.filter((ref) => resources[ref]?.Type === 'AWS::ApiGateway::Stage');
      if (stages.length > 0) {
        return stages.map((stage) => `stage ${String(resources[stage]?.Properties?.StageName ?? '?')} (${stage})`);
      }
      return [renderValue(association.Properties?.ResourceArn)];
    });
  const logging = ofType(resources, 'AWS::WAFv2::LoggingConfiguration').filter(([, config]) => references(config.Properties?.ResourceArn).has(id));
  const logDestinations = logging.flatMap(([, config]) =>
    (Array.isArray(config.Properties?.LogDestinationConfigs) ? config.Properties.LogDestinationConfigs : []).map((destination) =>
      describeReference(resources, destination),
    ),
  );
  const redactedFields = logging.flatMap(([, config]) =>
    (Array.isArray(config.Properties?.RedactedFields) ? config.Properties.RedactedFields : []).map(describeField),
  );
  const maxBodySize = bodySizeLimit(props.Rules);
  return {
    logicalId: id,
    name: typeof props.Name === 'string' ? props.Name : undefined,
    scope: String(props.Scope ?? '?'),
    defaultAction: isRecord(props.DefaultAction) ? (Object.keys(props.DefaultAction)[0] ?? '?') : '?',
    rules,
    associatedWith,
    logDestinations,
    redactedFields,
    ...(maxBodySize !== undefined ? { maxBodySize } : {}),
  };
}

/**
 * The largest body in bytes that the rules let through: the smallest limit of a rule that blocks a body
 * larger than a size (`SizeConstraintStatement` on `Body`, `GT` or `GE`, as a rule's own statement).
 */
function bodySizeLimit(rules: unknown): number | undefined {
  const limits = (Array.isArray(rules) ? rules : []).filter(isRecord).flatMap((rule) => {
    const size = isRecord(rule.Statement) && isRecord(rule.Statement.SizeConstraintStatement) ? rule.Statement.SizeConstraintStatement : undefined;
    const onBody = size !== undefined && isRecord(size.FieldToMatch) && 'Body' in size.FieldToMatch;
    const blocks = isRecord(rule.Action) && 'Block' in rule.Action;
    if (!onBody || !blocks || typeof size.Size !== 'number') return [];
    return size.ComparisonOperator === 'GT' ? [size.Size] : size.ComparisonOperator === 'GE' ? [size.Size - 1] : [];
  });
  return limits.length === 0 ? undefined : Math.min(...limits);
}

function describeStatement(statement: unknown): string {
  if (!isRecord(statement)) {
    return '?';
  }
  const [kind, body] = Object.entries(statement)[0] ?? ['?', undefined];
  const value = isRecord(body) ? body : {};
  const scopeDown = value.ScopeDownStatement === undefined ? '' : `, only where ${describeStatement(value.ScopeDownStatement)}`;
  switch (kind) {
    case 'ManagedRuleGroupStatement': {
      const overrides = Array.isArray(value.RuleActionOverrides) ? value.RuleActionOverrides.filter(isRecord) : [];
      const excluded = Array.isArray(value.ExcludedRules) ? value.ExcludedRules.filter(isRecord) : [];
      const changed = [...overrides, ...excluded].map((rule) => String(rule.Name));
      const changes = changed.length === 0 ? '' : ` (overridden: ${changed.join(', ')})`;
      return `managed rule group ${String(value.VendorName ?? '?')} ${String(value.Name ?? '?')}${changes}${scopeDown}`;
    }
    case 'RateBasedStatement':
      return `more than ${String(value.Limit ?? '?')} requests per ${String(value.EvaluationWindowSec ?? 300)} s per ${String(
        value.AggregateKeyType ?? 'IP',
      )}${scopeDown}`;
    case 'GeoMatchStatement':
      return `country in ${(Array.isArray(value.CountryCodes) ? value.CountryCodes : []).join(', ')}`;
    case 'IPSetReferenceStatement':
      return `source IP in IP set ${renderValue(value.Arn)}`;
    case 'RuleGroupReferenceStatement':
      return `rule group ${renderValue(value.Arn)}`;
    case 'SizeConstraintStatement':
      return `size of ${describeField(value.FieldToMatch)} ${String(value.ComparisonOperator ?? '?')} ${String(value.Size ?? '?')} bytes`;
    case 'ByteMatchStatement':
      return `${describeField(value.FieldToMatch)} ${String(value.PositionalConstraint ?? '?').toLowerCase().replace(/_/g, ' ')} ${JSON.stringify(
        String(value.SearchString ?? ''),
      )}`;
    case 'AndStatement':
    case 'OrStatement': {
      const parts = (Array.isArray(value.Statements) ? value.Statements : []).map(describeStatement);
      return `(${parts.join(kind === 'AndStatement' ? ' and ' : ' or ')})`;
    }
    case 'NotStatement':
      return `not ${describeStatement(value.Statement)}`;
    default:
      return kind.replace(/Statement$/, '');
  }
}

function describeRuleAction(rule: AnyRecord): string {
  if (isRecord(rule.Action)) {
    const [action, settings] = Object.entries(rule.Action)[0] ?? ['?', undefined];
    const code = isRecord(settings) && isRecord(settings.CustomResponse) ? settings.CustomResponse.ResponseCode : undefined;
    return code === undefined ? action : `${action} (${String(code)})`;
  }
  if (isRecord(rule.OverrideAction)) {
    return 'Count' in rule.OverrideAction ? 'Count only' : "the group's own actions";
  }
  return '?';
}

/** A WAF field to match or redact, in words: `header authorization`, `URI path`. */
export function describeField(field: unknown): string {
  if (!isRecord(field)) {
    return '?';
  }
  const [kind, body] = Object.entries(field)[0] ?? ['?', undefined];
  if (kind === 'SingleHeader' && isRecord(body)) {
    return `header ${String(body.Name ?? '?').toLowerCase()}`;
  }
  if (kind === 'SingleQueryArgument' && isRecord(body)) {
    return `query argument ${String(body.Name ?? '?')}`;
  }
  return kind
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .replace(/^uri path$/, 'URI path');
}
