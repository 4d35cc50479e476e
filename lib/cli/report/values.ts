/** Template values as text, and the logical ids they refer to. */
import { type Resources, isRecord } from './template';

/** The logical ids of the stack a value refers to, or the value rendered when it names none. */
export function describeReference(resources: Resources, value: unknown): string {
  const ids = [...references(value)].filter((ref) => ref in resources);
  return ids.length > 0 ? ids.join(', ') : renderValue(value);
}

/**
 * Renders a template value as text: literals as they are, `Ref` and `Fn::GetAtt` as `${LogicalId}` and
 * `${LogicalId.Attribute}`, `Fn::Join` and `Fn::Sub` with those placeholders in place.
 */
export function renderValue(value: unknown): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  if (isRecord(value)) {
    if (typeof value.Ref === 'string') {
      return `\${${value.Ref}}`;
    }
    const getAtt = value['Fn::GetAtt'];
    if (Array.isArray(getAtt)) {
      return `\${${getAtt.map(String).join('.')}}`;
    }
    const join = value['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      return join[1].map(renderValue).join(join[0]);
    }
    const sub = value['Fn::Sub'];
    if (typeof sub === 'string') {
      return sub;
    }
    if (Array.isArray(sub) && typeof sub[0] === 'string') {
      return sub[0];
    }
  }
  return JSON.stringify(value);
}

/** Logical ids a template value refers to through `Ref`, `Fn::GetAtt` or `${...}` in `Fn::Sub`, at any depth. */
export function references(value: unknown, found: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) {
    value.forEach((item) => references(item, found));
  } else if (isRecord(value)) {
    if (typeof value.Ref === 'string' && !value.Ref.startsWith('AWS::')) {
      found.add(value.Ref);
    }
    const getAtt = value['Fn::GetAtt'];
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') {
      found.add(getAtt[0]);
    }
    const sub = value['Fn::Sub'];
    const template = typeof sub === 'string' ? sub : Array.isArray(sub) && typeof sub[0] === 'string' ? sub[0] : undefined;
    for (const match of template?.matchAll(/\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}/g) ?? []) {
      found.add(match[1]);
    }
    Object.values(value).forEach((item) => references(item, found));
  }
  return found;
}
