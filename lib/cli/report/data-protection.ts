/**
 * The data-protection view of the report: per REST API, each of its logs (access, decision, WAF,
 * execution) with the personal data it holds, how long it keeps it, its key and what happens to it when the
 * stack is deleted; and the deny lists. Everything is read from the template and the authorizer's configuration:
 * the access log's `$context` variables, the decision log's `logProfile`, the web ACL's logging configuration
 * and the stage's execution-logging settings.
 */
import {
  ACCESS_LOG_VARIABLES_LEFT_OUT,
  DECISION_LOG_PERSONAL_FIELDS,
  LOG_PROFILES,
  type LogKind,
  type LogProfile,
  PERSONAL_ACCESS_LOG_VARIABLES,
} from '../../data-protection';
import { DENY_LIST_METADATA_KEY } from '../../revocation/deny-list';
import type { AssemblyStack, CfnResource } from '../cloud-assembly';
import { readAuthorizerConfig } from './authorizer-config';
import type { ApiDataProtectionReport, DenyListReport, LogGroupReport, PersonalDataLogReport } from './model';
import { type AnyRecord, type Resources, isRecord, ofType } from './template';
import { describeReference, references, renderValue } from './values';

/** The personal data of a WAF log line: AWS WAF's format is fixed, and only headers, path and query string can be redacted. */
const WAF_LOG_FIELDS = Object.freeze({
  ip: 'IP address',
  country: 'country',
  path: 'concrete path',
  query: 'query string',
  headers: 'request headers (user agent, referer...)',
});

/** The personal data of the decision-log profile `logProfile`, or undefined when it is none the report knows. */
function decisionFields(profile: string): readonly string[] | undefined {
  return (LOG_PROFILES as readonly string[]).includes(profile) ? DECISION_LOG_PERSONAL_FIELDS[profile as LogProfile] : undefined;
}

/**
 * Builds the data-protection view of each REST API of the stack.
 *
 * @param stack the stack, for the authorizer asset
 * @param resources the template's resources
 * @param logGroups the stack's log groups, as the report describes them
 * @returns one view per `AWS::ApiGateway::RestApi`
 */
export function buildDataProtection(stack: AssemblyStack, resources: Resources, logGroups: readonly LogGroupReport[]): ApiDataProtectionReport[] {
  const groupOf = (ids: Iterable<string>): LogGroupReport | undefined => {
    for (const id of ids) {
      const group = logGroups.find((candidate) => candidate.logicalId === id);
      if (group !== undefined) {
        return group;
      }
    }
    return undefined;
  };
  return ofType(resources, 'AWS::ApiGateway::RestApi').map(([apiId, api]) => {
    const belongs = (resource: CfnResource): boolean => references(resource.Properties?.RestApiId).has(apiId);
    const stages = ofType(resources, 'AWS::ApiGateway::Stage').filter(([, stage]) => belongs(stage));
    const decisions = ofType(resources, 'AWS::ApiGateway::Authorizer')
      .filter(([, authorizer]) => belongs(authorizer))
      .map(([, authorizer]) => decisionLog(stack, resources, authorizer, groupOf));
    const profile = decisions.find((decision) => decision.profile !== undefined)?.profile;
    const logs: PersonalDataLogReport[] = [
      ...stages.map(([, stage]) => accessLog(stage, profile, groupOf)),
      ...decisions.map((decision) => decision.log),
      ...stages.flatMap(([stageId, stage]) => wafLogs(resources, stageId, stage, groupOf)),
      ...stages.map(([, stage]) => executionLog(resources, apiId, stage, profile, logGroups)),
    ];
    return {
      api: String(api.Properties?.Name ?? apiId),
      logicalId: apiId,
      ...(profile !== undefined ? { logProfile: profile } : {}),
      logs,
      denyLists: decisions.flatMap((decision) => decision.denyLists),
    };
  });
}

/**
 * The deny-list tables of the stack: those the `DenyList` construct marked, and those an authorizer's
 * configuration names.
 *
 * @param stack the stack, for the authorizer asset
 * @param resources the template's resources
 * @returns the tables, by logical id
 */
export function buildDenyLists(stack: AssemblyStack, resources: Resources): DenyListReport[] {
  const named = new Set(
    ofType(resources, 'AWS::Lambda::Function').flatMap(([, fn]) => [...denyListReferences(resources, readAuthorizerConfig(stack, fn).config)]),
  );
  return ofType(resources, 'AWS::DynamoDB::Table')
    .filter(([id, table]) => named.has(id) || table.Metadata?.[DENY_LIST_METADATA_KEY] !== undefined)
    .map(([id, table]) => denyList(resources, id, table));
}

/**
 * The logical ids of the tables the deny-list settings of an authorizer configuration name: a deploy-time name
 * reads as `${LogicalId}` once the configuration is rendered, a literal one is matched against `TableName`.
 */
function denyListReferences(resources: Resources, config: AnyRecord | undefined): Set<string> {
  const settings = config?.denyList;
  const name = isRecord(settings) ? settings.tableName : undefined;
  if (typeof name !== 'string') {
    return new Set();
  }
  const placeholders = [...name.matchAll(/\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}/g)].map(([, ref]) => ref!).filter((ref) => resources[ref] !== undefined);
  const literal = ofType(resources, 'AWS::DynamoDB::Table').filter(([, table]) => table.Properties?.TableName === name).map(([id]) => id);
  return new Set([...placeholders, ...literal]);
}

function denyList(resources: Resources, id: string, table: CfnResource): DenyListReport {
  const props = table.Properties ?? {};
  const sse = isRecord(props.SSESpecification) ? props.SSESpecification : undefined;
  const ttl = isRecord(props.TimeToLiveSpecification) && props.TimeToLiveSpecification.Enabled === true ? props.TimeToLiveSpecification.AttributeName : undefined;
  const pitr = isRecord(props.PointInTimeRecoverySpecification) && props.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled === true;
  return {
    logicalId: id,
    ...(props.TableName !== undefined ? { name: renderValue(props.TableName) } : {}),
    personalFields: ['sub', 'client id', 'token id (jti)', 'operator (createdBy)', 'reason (free text)'],
    ...(typeof ttl === 'string' ? { timeToLiveAttribute: ttl } : {}),
    encryption:
      sse?.SSEEnabled !== true
        ? 'AWS owned key'
        : sse.KMSMasterKeyId === undefined
          ? 'AWS managed key (aws/dynamodb)'
          : `KMS ${describeReference(resources, sse.KMSMasterKeyId)}`,
    pointInTimeRecovery: pitr,
    ...(table.DeletionPolicy !== undefined ? { deletionPolicy: table.DeletionPolicy } : {}),
  };
}

/** A log group's retention, key and deletion policy, as a data-protection log entry takes them. */
function storage(group: LogGroupReport | undefined): Pick<PersonalDataLogReport, 'logGroup' | 'retentionDays' | 'kmsKey' | 'deletionPolicy'> {
  if (group === undefined) {
    return {};
  }
  return {
    logGroup: group.logicalId,
    ...(group.retentionDays !== undefined ? { retentionDays: group.retentionDays } : {}),
    ...(group.kmsKey !== undefined ? { kmsKey: group.kmsKey } : {}),
    ...(group.deletionPolicy !== undefined ? { deletionPolicy: group.deletionPolicy } : {}),
  };
}

function entry(kind: LogKind, stage: string | undefined, fields: readonly string[], source: string, notes: string[], group: LogGroupReport | undefined): PersonalDataLogReport {
  return { kind, ...(stage !== undefined ? { stage } : {}), personalFields: [...new Set(fields)], source, notes, ...storage(group) };
}

function accessLog(stage: CfnResource, profile: string | undefined, groupOf: (ids: Iterable<string>) => LogGroupReport | undefined): PersonalDataLogReport {
  const props = stage.Properties ?? {};
  const stageName = String(props.StageName ?? '?');
  const setting = isRecord(props.AccessLogSetting) ? props.AccessLogSetting : undefined;
  if (setting === undefined) {
    return entry('access', stageName, [], 'the stage writes no access log', [], undefined);
  }
  const format = renderValue(setting.Format);
  const variables = [...new Set(format.match(/\$context\.[A-Za-z0-9_.]+/g) ?? [])];
  const fields = variables
    .filter((variable) => Object.prototype.hasOwnProperty.call(PERSONAL_ACCESS_LOG_VARIABLES, variable))
    .map((variable) =>
      variable === '$context.authorizer.principalId' && profile === 'pseudonymous' ? 'principal (pseudonym of sub)' : PERSONAL_ACCESS_LOG_VARIABLES[variable]!,
    );
  // A format written by hand, or an authorizer configured apart from the stage, can keep what the profile leaves out.
  const leftOut = profile !== undefined && (LOG_PROFILES as readonly string[]).includes(profile) ? ACCESS_LOG_VARIABLES_LEFT_OUT[profile as LogProfile] : [];
  const kept = [...new Set(variables.filter((variable) => leftOut.includes(variable)).map((variable) => PERSONAL_ACCESS_LOG_VARIABLES[variable]!))];
  const notes = [
    ...(variables.includes('$context.resourcePath') && !variables.includes('$context.path') ? ['paths as resource templates (/items/{id}), never the concrete path'] : []),
    ...(kept.length > 0 ? [`holds ${kept.join(', ')}, which logProfile '${profile}' leaves out`] : []),
  ];
  return entry('access', stageName, fields, 'the access log format', notes, groupOf(references(setting.DestinationArn)));
}

interface DecisionLog {
  readonly log: PersonalDataLogReport;
  readonly profile?: string;
  readonly denyLists: string[];
}

function decisionLog(stack: AssemblyStack, resources: Resources, authorizer: CfnResource, groupOf: (ids: Iterable<string>) => LogGroupReport | undefined): DecisionLog {
  const functionId = [...references(authorizer.Properties?.AuthorizerUri)].find((ref) => resources[ref]?.Type === 'AWS::Lambda::Function');
  const fn = functionId === undefined ? undefined : resources[functionId];
  if (functionId === undefined || fn === undefined) {
    return { log: entry('decision', undefined, [], 'the authorizer function is not in this stack', [], undefined), denyLists: [] };
  }
  const loggingConfig = fn.Properties?.LoggingConfig;
  const ownGroup = isRecord(loggingConfig) ? references(loggingConfig.LogGroup) : new Set<string>();
  const namedGroup = ofType(resources, 'AWS::Logs::LogGroup')
    .filter(([, group]) => references(group.Properties?.LogGroupName).has(functionId))
    .map(([id]) => id);
  const group = groupOf([...ownGroup, ...namedGroup]);
  const { config, source } = readAuthorizerConfig(stack, fn);
  if (config === undefined) {
    return { log: entry('decision', undefined, [], `unknown: ${source}`, [], group), denyLists: [] };
  }
  // The runtime's default when the configuration names no profile.
  const profile = typeof config.logProfile === 'string' ? config.logProfile : 'full';
  const fields = decisionFields(profile);
  const log = fields === undefined
    ? entry('decision', undefined, [], `unknown: logProfile ${JSON.stringify(profile)} in ${source}`, [], group)
    : entry('decision', undefined, fields, `logProfile '${profile}' in ${source}`, [], group);
  return { log, profile, denyLists: [...denyListReferences(resources, config)] };
}

function wafLogs(resources: Resources, stageId: string, stage: CfnResource, groupOf: (ids: Iterable<string>) => LogGroupReport | undefined): PersonalDataLogReport[] {
  const stageName = String(stage.Properties?.StageName ?? '?');
  const acls = ofType(resources, 'AWS::WAFv2::WebACLAssociation')
    .filter(([, association]) => references(association.Properties?.ResourceArn).has(stageId))
    .flatMap(([, association]) => [...references(association.Properties?.WebACLArn)].filter((ref) => resources[ref]?.Type === 'AWS::WAFv2::WebACL'));
  return acls.flatMap((aclId) =>
    ofType(resources, 'AWS::WAFv2::LoggingConfiguration')
      .filter(([, logging]) => references(logging.Properties?.ResourceArn).has(aclId))
      .map(([, logging]) => {
        const props = logging.Properties ?? {};
        const redacted = (Array.isArray(props.RedactedFields) ? props.RedactedFields : []).filter(isRecord);
        const headers = redacted
          .map((field) => (isRecord(field.SingleHeader) ? String(field.SingleHeader.Name ?? field.SingleHeader.name ?? '') : ''))
          .filter((name) => name !== '');
        const fields = [
          WAF_LOG_FIELDS.ip,
          WAF_LOG_FIELDS.country,
          ...(redacted.some((field) => field.UriPath !== undefined) ? [] : [WAF_LOG_FIELDS.path]),
          ...(redacted.some((field) => field.QueryString !== undefined) ? [] : [WAF_LOG_FIELDS.query]),
          WAF_LOG_FIELDS.headers,
        ];
        const filter = isRecord(props.LoggingFilter) ? props.LoggingFilter : undefined;
        const notes = [
          ...(headers.length > 0 ? [`redacted headers: ${headers.map((name) => name.toLowerCase()).join(', ')}`] : []),
          filter?.DefaultBehavior === 'DROP' ? 'only the requests the filter keeps (blocked or counted)' : 'every request',
        ];
        const group = groupOf((Array.isArray(props.LogDestinationConfigs) ? props.LogDestinationConfigs : []).flatMap((destination) => [...references(destination)]));
        return entry('waf', stageName, fields, `web ACL ${aclId} logging configuration (AWS WAF's fixed format)`, notes, group);
      }),
  );
}

function executionLog(resources: Resources, apiId: string, stage: CfnResource, profile: string | undefined, logGroups: readonly LogGroupReport[]): PersonalDataLogReport {
  const props = stage.Properties ?? {};
  const stageName = String(props.StageName ?? '?');
  const stageWide = (Array.isArray(props.MethodSettings) ? props.MethodSettings : [])
    .filter(isRecord)
    .find((setting) => setting.ResourcePath === '/*' && setting.HttpMethod === '*');
  const level = typeof stageWide?.LoggingLevel === 'string' ? stageWide.LoggingLevel : 'OFF';
  const dataTrace = stageWide?.DataTraceEnabled === true;
  const group = logGroups.find((candidate) => {
    const name = resources[candidate.logicalId]?.Properties?.LogGroupName;
    return name !== undefined && references(name).has(apiId) && renderValue(name).startsWith('API-Gateway-Execution-Logs_') && renderValue(name).endsWith(`/${stageName}`);
  });
  const fields =
    level === 'INFO'
      ? ['request parameter values (path, query string, headers; Authorization redacted)', 'authorizer principal and context (sub, client id)']
      : level === 'ERROR'
        ? ['request parameter values (in some error messages)']
        : [];
  const notes = [
    ...(dataTrace ? ['full requests and responses, bodies included'] : []),
    ...(level === 'INFO' && profile !== undefined && profile !== 'full' ? [`INFO logs the authorizer's context in clear, whatever the logProfile ('${profile}')`] : []),
    ...(level !== 'OFF' && group === undefined ? ['API Gateway creates the group itself, without retention'] : []),
  ];
  return entry('execution', stageName, [...fields, ...(dataTrace ? ['request and response bodies'] : [])], `stage logging level ${level}`, notes, group);
}
