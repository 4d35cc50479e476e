/** The acknowledged cdk-nag rules, with the reasons given, from the construct metadata and the template. */
import type { AssemblyStack } from '../cloud-assembly';
import type { AcknowledgementReport } from './model';
import { type Resources, compare, isRecord } from './template';

/** The acknowledgements of a stack, one per rule and reason, by rule. */
export function buildAcknowledgements(stack: AssemblyStack, resources: Resources): AcknowledgementReport[] {
  const grouped = new Map<string, { rule: string; reason: string; paths: string[]; logicalIds: string[] }>();
  const add = (rule: string, reason: string, scope: { path?: string; logicalId?: string }): void => {
    const key = JSON.stringify([rule, reason]);
    const entry = grouped.get(key) ?? { rule, reason, paths: [], logicalIds: [] };
    grouped.set(key, entry);
    if (scope.path !== undefined && !entry.paths.includes(scope.path)) {
      entry.paths.push(scope.path);
    }
    if (scope.logicalId !== undefined && !entry.logicalIds.includes(scope.logicalId)) {
      entry.logicalIds.push(scope.logicalId);
    }
  };
  // Where the acknowledgement was made: Validations.of(scope).acknowledge() records it on that construct.
  for (const [path, entries] of Object.entries(stack.metadata)) {
    for (const entry of entries) {
      if (entry.type === 'aws:cdk:acknowledged-rules' && isRecord(entry.data)) {
        for (const [rule, reason] of Object.entries(entry.data)) {
          add(rule.replace(/^annotation::/i, ''), String(reason), { path });
        }
      }
    }
  }
  // The v2-compatible copy on each resource (cdk-nag's writeSuppressionsToCloudFormation, or cdk-nag v2).
  for (const [id, resource] of Object.entries(resources)) {
    const nag = resource.Metadata?.cdk_nag;
    const rules = isRecord(nag) && Array.isArray(nag.rules_to_suppress) ? nag.rules_to_suppress.filter(isRecord) : [];
    for (const rule of rules) {
      add(String(rule.id ?? '?'), String(rule.reason ?? ''), { logicalId: id });
    }
  }
  return [...grouped.values()]
    .map((entry) => ({ rule: entry.rule, reason: entry.reason, scopes: entry.paths.length > 0 ? entry.paths : entry.logicalIds }))
    .sort((a, b) => compare(a.rule, b.rule) || compare(a.reason, b.reason));
}
