/** The log groups of a stack: retention, encryption, deletion policy and what uses each. */
import type { CfnResource } from '../cloud-assembly';
import type { LogGroupReport } from './model';
import { type Resources, isRecord, numberOrUndefined, ofType } from './template';
import { describeReference, references, renderValue } from './values';

/** The `AWS::Logs::LogGroup` and `Custom::LogRetention` resources of a stack. */
export function buildLogGroups(resources: Resources): LogGroupReport[] {
  const groups = [...ofType(resources, 'AWS::Logs::LogGroup'), ...ofType(resources, 'Custom::LogRetention')];
  return groups.map(([id, group]) => {
    const props = group.Properties ?? {};
    const referrers = Object.entries(resources).filter(([otherId, other]) => otherId !== id && references(other.Properties).has(id));
    // A group named after a function (`/aws/lambda/${Fn}`) is where that function logs by default.
    const namedFor = [...references(props.LogGroupName)].filter((ref) => resources[ref]?.Type === 'AWS::Lambda::Function');
    return {
      logicalId: id,
      name: props.LogGroupName === undefined ? undefined : renderValue(props.LogGroupName),
      retentionDays: numberOrUndefined(props.RetentionInDays),
      kmsKey: props.KmsKeyId === undefined ? undefined : describeReference(resources, props.KmsKeyId),
      deletionPolicy: group.DeletionPolicy,
      usedBy: describeUses(referrers, namedFor),
    };
  });
}

/** What writes to a log group, then what reads it, in words; IAM grants are left out (they allow, not use). */
function describeUses(referrers: Array<[string, CfnResource]>, namedFor: string[]): string[] {
  const uses = new Set<string>();
  const counted = new Map<string, number>();
  const count = (what: string): void => void counted.set(what, (counted.get(what) ?? 0) + 1);
  for (const [id, resource] of referrers) {
    switch (resource.Type) {
      case 'AWS::ApiGateway::Stage':
        uses.add(`access log of stage ${String(resource.Properties?.StageName ?? '?')}`);
        break;
      case 'AWS::Lambda::Function':
        uses.add(`log of function ${id}`);
        break;
      case 'AWS::WAFv2::LoggingConfiguration':
        uses.add('WAF log');
        break;
      case 'AWS::Logs::SubscriptionFilter':
        uses.add(`subscription filter ${id}`);
        break;
      case 'AWS::Logs::MetricFilter':
        count('metric filter');
        break;
      case 'AWS::Logs::QueryDefinition':
        count('saved query');
        break;
      case 'AWS::IAM::Policy':
      case 'AWS::IAM::Role':
      case 'AWS::IAM::ManagedPolicy':
        break;
      default:
        uses.add(`${resource.Type.replace(/^AWS::/, '')} ${id}`);
    }
  }
  namedFor.forEach((fn) => uses.add(`log of function ${fn}`));
  const plurals: Record<string, string> = { 'metric filter': 'metric filters', 'saved query': 'saved queries' };
  return [...uses, ...[...counted.entries()].map(([what, n]) => `${n} ${n === 1 ? what : plurals[what]}`)];
}

/** Functions without `LoggingConfig.LogGroup` and without a log group or retention resource naming them. */
export function implicitLogGroups(resources: Resources): string[] {
  const named = new Set(
    [...ofType(resources, 'AWS::Logs::LogGroup'), ...ofType(resources, 'Custom::LogRetention')].flatMap(([, group]) => [
      ...references(group.Properties?.LogGroupName),
    ]),
  );
  return ofType(resources, 'AWS::Lambda::Function')
    .filter(([id, fn]) => {
      const loggingConfig = fn.Properties?.LoggingConfig;
      return !(isRecord(loggingConfig) && loggingConfig.LogGroup !== undefined) && !named.has(id);
    })
    .map(([id]) => id);
}
