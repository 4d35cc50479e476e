/** Template values as text, and the logical ids they refer to. */
import { type Resources, isRecord } from './template';

/** The logical ids of the stack a value refers to, or the value rendered when it names none. */
export function describeReference(resources: Resources, value: unknown): string {
  const ids = [...references(value)].filter((ref) => ref in resources);
  return ids.length > 0 ? ids.join(', ') : renderValue(value);
}

/**
 * Renders a template value as text: literals as they are, `Ref` and `Fn::GetAtt` as `${LogicalId}` and
 * `${LogicalId.Attribute}`, `Fn::Join` and `Fn::Sub` with those placeholders in place, and `Fn::Select`
 * as the item it picks: the UUID at the end of the stack id (`Fn::Select [2, Fn::Split ['/', AWS::StackId]]`,
 * as in default log group names) as `${stack id UUID}`, an item of another split value as
 * `${part N of <value> split at '<separator>'}`. Anything else is shown as JSON.
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
    const select = value['Fn::Select'];
    if (Array.isArray(select) && select.length === 2) {
      const rendered = renderSelect(select[0], select[1]);
      if (rendered !== undefined) {
        return rendered;
      }
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

/** `Fn::Select [index, list]` as text, or undefined when the index or the list is not one it can name. */
function renderSelect(index: unknown, list: unknown): string | undefined {
  const n = typeof index === 'number' || (typeof index === 'string' && /^\d+$/.test(index)) ? Number(index) : NaN;
  if (!Number.isInteger(n) || n < 0) {
    return undefined;
  }
  if (Array.isArray(list)) {
    return n < list.length ? renderValue(list[n]) : undefined;
  }
  const split = isRecord(list) ? list['Fn::Split'] : undefined;
  if (!Array.isArray(split) || split.length !== 2 || typeof split[0] !== 'string') {
    return undefined;
  }
  const [separator, source] = split;
  // arn:{partition}:cloudformation:{region}:{account}:stack/{name}/{uuid}: the UUID is new each time the stack is created.
  if (n === 2 && separator === '/' && isRecord(source) && source.Ref === 'AWS::StackId') {
    return '${stack id UUID}';
  }
  return `\${part ${n} of ${renderValue(source)} split at '${separator}'}`;
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
    for (const [, ref] of template?.matchAll(/\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}/g) ?? []) {
      if (ref !== undefined) {
        found.add(ref);
      }
    }
    Object.values(value).forEach((item) => references(item, found));
  }
  return found;
}
