/**
 * The security report's model, built from a synthesized cloud assembly alone: who may call which route
 * (the access matrix), the WAF rules in front of the API, where logs go and how long they stay, and
 * which cdk-nag rules were acknowledged, with the reasons given.
 *
 * Routes come from `AWS::ApiGateway::Method` and `AWS::ApiGateway::Resource` (paths rebuilt through
 * `ParentId`/`PathPart`); scopes and claim conditions from the authorizer's configuration, read from
 * the `config.json` in its Lambda asset and the `SECURE_API_AUTHORIZER_CONFIG` variable, merged the way
 * the authorizer merges them at cold start.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  cacheKeyScopeReason,
  type ClaimCondition,
  CONFIG_ENV_VAR,
  CONFIG_FILE_NAME,
  type IssuerConfig,
  type RouteConfig,
} from '../../lambda/contract';
import type { AssemblyStack, CfnResource } from './cloud-assembly';

/** Throttling that applies to one route of one stage. */
export interface RouteThrottling {
  /** The stage name. */
  readonly stage: string;
  /** Steady-state requests per second. @default - the account's limit */
  readonly rateLimit?: number;
  /** Burst bucket size. @default - the account's limit */
  readonly burstLimit?: number;
  /** `method` when a setting for this very route applies, `stage` for the stage-wide `/*` setting, `account` when none does. */
  readonly source: 'method' | 'stage' | 'account';
}

/** One row of the access matrix. */
export interface AccessRow {
  /** The HTTP method (`ANY` rows are expanded per method of the authorizer's route table). */
  readonly method: string;
  /** The resource path, e.g. `/items/{id}`. */
  readonly path: string;
  /** `public` when API Gateway lets anyone call it, `protected` otherwise. */
  readonly access: 'public' | 'protected';
  /** Who decides: `none`, `Lambda authorizer <id>`, `Cognito authorizer <id>`, `IAM`. */
  readonly authorization: string;
  /** Scopes the token must all hold. */
  readonly scopes: readonly string[];
  /** Claim conditions, in words, e.g. `cognito:groups contains admin`. */
  readonly conditions: readonly string[];
  /** Whether an API key is required too. */
  readonly apiKeyRequired: boolean;
  /** The throttling per stage. */
  readonly throttling: readonly RouteThrottling[];
  /** What serves the route, e.g. `Lambda ItemsFunction1234`. */
  readonly backend: string;
  /** What a reviewer should know, e.g. that the authorizer's route table lacks the route. */
  readonly notes: readonly string[];
}

/** An API Gateway authorizer. */
export interface AuthorizerReport {
  /** Logical id of the `AWS::ApiGateway::Authorizer`. */
  readonly logicalId: string;
  /** `TOKEN`, `REQUEST` or `COGNITO_USER_POOLS`. */
  readonly type: string;
  /** Identity sources, e.g. `method.request.header.Authorization`. */
  readonly identitySource?: string;
  /** How long API Gateway caches an answer, in seconds (API Gateway's default is 300). */
  readonly cacheTtlSeconds: number;
  /** Logical id of the Lambda function, for Lambda authorizers. */
  readonly functionLogicalId?: string;
  /** Where the configuration was read from, or why it could not be. */
  readonly configSource: string;
  /** The trusted issuers, if the configuration names them without deploy-time tokens. */
  readonly issuers: readonly Pick<IssuerConfig, 'kind' | 'issuer' | 'algorithms'>[];
  /** `token` or `route` (see `CacheKeyScope`), if configured. */
  readonly cacheKeyScope?: string;
  /** Why the route table gets that cache key scope (for `route`: the routes whose patterns overlap), if known. */
  readonly cacheKeyScopeReason?: string;
}

/** A REST API stage. */
export interface StageReport {
  /** Logical id of the `AWS::ApiGateway::Stage`. */
  readonly logicalId: string;
  /** The stage name, e.g. `prod`. */
  readonly stageName: string;
  /** Logical id (or ARN) of the access log destination. */
  readonly accessLogDestination?: string;
  /** Execution logging level of the stage-wide setting: `OFF`, `ERROR` or `INFO`. */
  readonly loggingLevel?: string;
  /** Whether full requests and responses go to the execution log. */
  readonly dataTraceEnabled: boolean;
  /** Whether X-Ray tracing is on. */
  readonly tracingEnabled: boolean;
  /** Logical ids of the web ACLs associated with the stage. */
  readonly webAcls: readonly string[];
}

/** A REST API. */
export interface ApiReport {
  /** Logical id of the `AWS::ApiGateway::RestApi`. */
  readonly logicalId: string;
  /** The API name. */
  readonly name: string;
  /** The stages. */
  readonly stages: readonly StageReport[];
  /** The authorizers. */
  readonly authorizers: readonly AuthorizerReport[];
  /** The access matrix, sorted by path, then method. */
  readonly routes: readonly AccessRow[];
}

/** One rule of a web ACL. */
export interface WafRuleReport {
  /** Evaluation order, lowest first. */
  readonly priority: number;
  /** The rule name. */
  readonly name: string;
  /** What the rule matches, in words. */
  readonly statement: string;
  /** What happens on a match. */
  readonly action: string;
}

/** An `AWS::WAFv2::WebACL`. */
export interface WebAclReport {
  /** Logical id. */
  readonly logicalId: string;
  /** The web ACL name, if set. */
  readonly name?: string;
  /** `REGIONAL` or `CLOUDFRONT`. */
  readonly scope: string;
  /** `Allow` or `Block`. */
  readonly defaultAction: string;
  /** The rules, by priority. */
  readonly rules: readonly WafRuleReport[];
  /** What it protects, e.g. `stage prod (ApiDeploymentStageprod1234)`. */
  readonly associatedWith: readonly string[];
  /** Where its logs go, if logging is configured. */
  readonly logDestinations: readonly string[];
  /** Fields redacted from its logs, e.g. `header authorization`. */
  readonly redactedFields: readonly string[];
}

/** A log group. */
export interface LogGroupReport {
  /** Logical id. */
  readonly logicalId: string;
  /** The log group name, with deploy-time values as `${LogicalId}`; generated when absent. */
  readonly name?: string;
  /** Retention in days; absent means the logs never expire. */
  readonly retentionDays?: number;
  /** The KMS key, as a logical id or ARN; absent means CloudWatch Logs' own encryption. */
  readonly kmsKey?: string;
  /** `Retain`, `Delete` or `Snapshot`; CloudFormation deletes when absent. */
  readonly deletionPolicy?: string;
  /** What writes to or reads from it. */
  readonly usedBy: readonly string[];
}

/** One acknowledged rule and the reason given. */
export interface AcknowledgementReport {
  /** The rule id, e.g. `AwsSolutions-COG4`. */
  readonly rule: string;
  /** The reason recorded with the acknowledgement. */
  readonly reason: string;
  /** Where it applies: construct paths, or logical ids when only the template records it. */
  readonly scopes: readonly string[];
}

/** The report for one stack. */
export interface StackReport {
  /** The CloudFormation stack name. */
  readonly stackName: string;
  /** The REST APIs. */
  readonly apis: readonly ApiReport[];
  /** The web ACLs. */
  readonly webAcls: readonly WebAclReport[];
  /** The log groups. */
  readonly logGroups: readonly LogGroupReport[];
  /** Lambda functions that log to an implicit `/aws/lambda/...` group, which never expires. */
  readonly functionsWithImplicitLogGroups: readonly string[];
  /** The acknowledged rules. */
  readonly acknowledgements: readonly AcknowledgementReport[];
}

type Resources = Record<string, CfnResource>;
type AnyRecord = Record<string, unknown>;

/** Builds the report of one stack. */
export function buildStackReport(stack: AssemblyStack): StackReport {
  const resources: Resources = stack.template.Resources ?? {};
  return {
    stackName: stack.stackName,
    apis: ofType(resources, 'AWS::ApiGateway::RestApi').map(([id, api]) => buildApi(stack, resources, id, api)),
    webAcls: ofType(resources, 'AWS::WAFv2::WebACL').map(([id, acl]) => buildWebAcl(resources, id, acl)),
    logGroups: buildLogGroups(resources),
    functionsWithImplicitLogGroups: implicitLogGroups(resources),
    acknowledgements: buildAcknowledgements(stack, resources),
  };
}

function buildApi(stack: AssemblyStack, resources: Resources, apiId: string, api: CfnResource): ApiReport {
  const belongs = (resource: CfnResource): boolean => references(resource.Properties?.RestApiId).has(apiId);
  const stages = ofType(resources, 'AWS::ApiGateway::Stage').filter(([, stage]) => belongs(stage));
  const authorizers = new Map(
    ofType(resources, 'AWS::ApiGateway::Authorizer')
      .filter(([, authorizer]) => belongs(authorizer))
      .map(([id, authorizer]) => [id, loadAuthorizer(stack, resources, id, authorizer)] as const),
  );
  const pathOf = resourcePaths(resources, apiId);
  const rows: AccessRow[] = [];
  for (const [, method] of ofType(resources, 'AWS::ApiGateway::Method').filter(([, m]) => belongs(m))) {
    const props = method.Properties ?? {};
    const httpMethod = String(props.HttpMethod ?? 'ANY');
    const path = pathOf(props.ResourceId);
    const authorizationType = String(props.AuthorizationType ?? 'NONE');
    const apiKeyRequired = props.ApiKeyRequired === true;
    const backend = describeIntegration(resources, props.Integration);
    const base = { path, apiKeyRequired, backend };
    const throttlingFor = (verb: string): RouteThrottling[] => stages.map(([, stage]) => throttling(stage, verb, path));

    if (authorizationType === 'CUSTOM') {
      const authorizerId = [...references(props.AuthorizerId)].find((id) => authorizers.has(id));
      const authorizer = authorizerId === undefined ? undefined : authorizers.get(authorizerId);
      const label = `Lambda authorizer ${authorizerId ?? '(unknown)'}`;
      // A protected method whose scopes the report cannot name: the note says why.
      const unlisted = (note: string) =>
        rows.push({ ...base, method: httpMethod, access: 'protected', authorization: label, scopes: [], conditions: [], throttling: throttlingFor(httpMethod), notes: [note] });
      if (authorizer?.routes === undefined) {
        unlisted(`scopes unknown: ${authorizer?.report.configSource ?? 'authorizer not found'}`);
        continue;
      }
      const matches = matchingRoutes(authorizer.routes, httpMethod, path);
      if (matches.length === 0) {
        unlisted("not in the authorizer's route table: every call is refused with 401 (NO_ROUTE)");
      }
      for (const route of matches) {
        const verb = httpMethod === 'ANY' ? route.method : httpMethod;
        rows.push({
          ...base,
          method: verb,
          access: 'protected',
          authorization: label,
          scopes: route.scopes ?? [],
          conditions: (route.conditions ?? []).map(describeCondition),
          throttling: throttlingFor(verb),
          notes: httpMethod === 'ANY' ? ['served by the ANY method'] : [],
        });
      }
    } else {
      const scopes = Array.isArray(props.AuthorizationScopes) ? props.AuthorizationScopes.map(String) : [];
      const authorizerId = [...references(props.AuthorizerId)][0];
      const authorization =
        authorizationType === 'COGNITO_USER_POOLS' ? `Cognito authorizer ${authorizerId ?? '(unknown)'}` : authorizationType === 'AWS_IAM' ? 'IAM' : 'none';
      rows.push({
        ...base,
        method: httpMethod,
        access: authorizationType === 'NONE' && !apiKeyRequired ? 'public' : 'protected',
        authorization,
        scopes,
        conditions: [],
        throttling: throttlingFor(httpMethod),
        notes: [],
      });
    }
  }
  rows.sort((a, b) => compare(a.path, b.path) || methodRank(a.method) - methodRank(b.method) || compare(a.method, b.method));

  return {
    logicalId: apiId,
    name: typeof api.Properties?.Name === 'string' ? api.Properties.Name : apiId,
    stages: stages.map(([id, stage]) => buildStage(resources, id, stage)),
    authorizers: [...authorizers.values()].map((authorizer) => authorizer.report),
    routes: rows,
  };
}

/** Rebuilds resource paths from `ParentId` and `PathPart`; unknown parents show as `…`. */
function resourcePaths(resources: Resources, apiId: string): (resourceId: unknown) => string {
  const memo = new Map<string, string>();
  const pathOf = (value: unknown, depth = 0): string => {
    if (isGetAtt(value, apiId, 'RootResourceId')) {
      return '/';
    }
    const id = isRecord(value) && typeof value.Ref === 'string' ? value.Ref : undefined;
    const resource = id === undefined ? undefined : resources[id];
    if (id === undefined || resource?.Type !== 'AWS::ApiGateway::Resource' || depth > 64) {
      return '…';
    }
    if (!memo.has(id)) {
      const parent = pathOf(resource.Properties?.ParentId, depth + 1);
      memo.set(id, `${parent === '/' ? '' : parent}/${String(resource.Properties?.PathPart ?? '?')}`);
    }
    return memo.get(id)!;
  };
  return (resourceId) => pathOf(resourceId);
}

interface LoadedAuthorizer {
  readonly report: AuthorizerReport;
  readonly routes?: readonly RouteConfig[];
}

function loadAuthorizer(stack: AssemblyStack, resources: Resources, id: string, authorizer: CfnResource): LoadedAuthorizer {
  const props = authorizer.Properties ?? {};
  const type = String(props.Type ?? 'TOKEN');
  const report = {
    logicalId: id,
    type,
    identitySource: typeof props.IdentitySource === 'string' ? props.IdentitySource : undefined,
    cacheTtlSeconds: typeof props.AuthorizerResultTtlInSeconds === 'number' ? props.AuthorizerResultTtlInSeconds : 300,
  };
  if (type === 'COGNITO_USER_POOLS') {
    return { report: { ...report, configSource: 'Cognito user pools (scopes on each method)', issuers: [] } };
  }
  const functionId = [...references(props.AuthorizerUri)].find((ref) => resources[ref]?.Type === 'AWS::Lambda::Function');
  if (functionId === undefined) {
    return { report: { ...report, configSource: 'the authorizer function is not in this stack', issuers: [] } };
  }
  const fn = resources[functionId];
  const loaded = readAuthorizerConfig(stack, fn);
  const config = loaded.config;
  const issuers = Array.isArray(config?.issuers)
    ? (config.issuers as IssuerConfig[]).map((issuer) => ({ kind: issuer.kind, issuer: issuer.issuer, algorithms: issuer.algorithms }))
    : [];
  return {
    report: {
      ...report,
      functionLogicalId: functionId,
      configSource: loaded.source,
      issuers,
      cacheKeyScope: typeof config?.cacheKeyScope === 'string' ? config.cacheKeyScope : undefined,
      cacheKeyScopeReason: Array.isArray(config?.routes) ? scopeReason(config.routes as RouteConfig[]) : undefined,
    },
    routes: Array.isArray(config?.routes) ? (config.routes as RouteConfig[]) : undefined,
  };
}

/**
 * Reads the authorizer configuration of a function: `config.json` from its asset folder (found through
 * `Metadata['aws:asset:path']`, else the asset hash in `Code.S3Key`), then the environment variable's
 * top-level keys over it, as the runtime merges them.
 */
function readAuthorizerConfig(stack: AssemblyStack, fn: CfnResource): { config?: AnyRecord; source: string } {
  const assetPath = fn.Metadata?.['aws:asset:path'];
  const s3Key = (fn.Properties?.Code as AnyRecord | undefined)?.S3Key;
  const hash = typeof s3Key === 'string' ? /^([0-9a-f]{64})\.zip$/.exec(s3Key)?.[1] : undefined;
  const folder =
    typeof assetPath === 'string' ? resolve(stack.assemblyDir, assetPath) : hash !== undefined ? join(stack.assemblyDir, `asset.${hash}`) : undefined;
  let fileConfig: AnyRecord | undefined;
  const sources: string[] = [];
  if (folder !== undefined && existsSync(join(folder, CONFIG_FILE_NAME))) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(join(folder, CONFIG_FILE_NAME), 'utf8'));
      fileConfig = isRecord(parsed) ? parsed : undefined;
      sources.push(`${CONFIG_FILE_NAME} in the asset`);
    } catch {
      return { source: `${CONFIG_FILE_NAME} in the asset is not valid JSON` };
    }
  }
  const environmentValue = ((fn.Properties?.Environment as AnyRecord | undefined)?.Variables as AnyRecord | undefined)?.[CONFIG_ENV_VAR];
  let environmentConfig: AnyRecord | undefined;
  if (environmentValue !== undefined) {
    try {
      // Deploy-time values sit inside JSON strings (Stack.toJsonString), so placeholders keep the JSON valid.
      const parsed: unknown = JSON.parse(renderValue(environmentValue));
      environmentConfig = isRecord(parsed) ? parsed : undefined;
      sources.push(CONFIG_ENV_VAR);
    } catch {
      sources.push(`${CONFIG_ENV_VAR} (unreadable)`);
    }
  }
  if (fileConfig === undefined && environmentConfig === undefined) {
    return { source: folder === undefined ? 'no asset found for the authorizer function' : `no ${CONFIG_FILE_NAME} in the authorizer's asset` };
  }
  return { config: { ...fileConfig, ...environmentConfig }, source: sources.join(' + ') };
}

/** Why a route table gets its cache key scope, or undefined when the table is not one the authorizer would accept. */
function scopeReason(routes: readonly RouteConfig[]): string | undefined {
  try {
    return cacheKeyScopeReason(routes);
  } catch {
    return undefined;
  }
}

function matchingRoutes(routes: readonly RouteConfig[], method: string, path: string): RouteConfig[] {
  const samePath = routes.filter((route) => route.path === path);
  if (method === 'ANY') {
    return samePath;
  }
  const exact = samePath.filter((route) => route.method === method);
  return exact.length > 0 ? exact : samePath.filter((route) => route.method === 'ANY');
}

function describeCondition(condition: ClaimCondition): string {
  if (condition.contains !== undefined) {
    return `${condition.claim} contains ${condition.contains}`;
  }
  if (condition.equals !== undefined) {
    return `${condition.claim} = ${condition.equals}`;
  }
  return `${condition.claim} present`;
}

/** The most specific stage `MethodSettings` entry for a route: exact route, then the stage-wide `/*`. */
function throttling(stage: CfnResource, method: string, path: string): RouteThrottling {
  const props = stage.Properties ?? {};
  const stageName = String(props.StageName ?? '?');
  const settings = (Array.isArray(props.MethodSettings) ? props.MethodSettings : []).filter(isRecord);
  const decoded = (setting: AnyRecord): string | undefined => {
    const resourcePath = setting.ResourcePath;
    if (resourcePath === '/*' || resourcePath === '/') {
      return resourcePath;
    }
    // API Gateway escapes '/' as '~1' in MethodSettings resource paths: '/~1items~1{id}' is '/items/{id}'.
    return typeof resourcePath === 'string' ? resourcePath.slice(1).replace(/~1/g, '/') : undefined;
  };
  const hasThrottling = (setting: AnyRecord): boolean => setting.ThrottlingRateLimit !== undefined || setting.ThrottlingBurstLimit !== undefined;
  const specific =
    settings.find((s) => decoded(s) === path && s.HttpMethod === method && hasThrottling(s)) ??
    settings.find((s) => decoded(s) === path && s.HttpMethod === '*' && hasThrottling(s));
  const stageWide = settings.find((s) => decoded(s) === '/*' && (s.HttpMethod === '*' || s.HttpMethod === method) && hasThrottling(s));
  const chosen = specific ?? stageWide;
  if (chosen === undefined) {
    return { stage: stageName, source: 'account' };
  }
  return {
    stage: stageName,
    rateLimit: numberOrUndefined(chosen.ThrottlingRateLimit),
    burstLimit: numberOrUndefined(chosen.ThrottlingBurstLimit),
    source: chosen === specific ? 'method' : 'stage',
  };
}

function buildStage(resources: Resources, id: string, stage: CfnResource): StageReport {
  const props = stage.Properties ?? {};
  const stageWide = (Array.isArray(props.MethodSettings) ? props.MethodSettings : [])
    .filter(isRecord)
    .find((setting) => setting.ResourcePath === '/*' && setting.HttpMethod === '*');
  const accessLog = isRecord(props.AccessLogSetting) ? props.AccessLogSetting.DestinationArn : undefined;
  const webAcls = ofType(resources, 'AWS::WAFv2::WebACLAssociation')
    .filter(([, association]) => references(association.Properties?.ResourceArn).has(id))
    .flatMap(([, association]) => [...references(association.Properties?.WebACLArn)].filter((ref) => resources[ref]?.Type === 'AWS::WAFv2::WebACL'));
  return {
    logicalId: id,
    stageName: String(props.StageName ?? '?'),
    accessLogDestination: accessLog === undefined ? undefined : describeReference(resources, accessLog),
    loggingLevel: typeof stageWide?.LoggingLevel === 'string' ? stageWide.LoggingLevel : undefined,
    dataTraceEnabled: stageWide?.DataTraceEnabled === true,
    tracingEnabled: props.TracingEnabled === true,
    webAcls,
  };
}

function buildWebAcl(resources: Resources, id: string, acl: CfnResource): WebAclReport {
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
        return stages.map((stage) => `stage ${String(resources[stage].Properties?.StageName ?? '?')} (${stage})`);
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
  return {
    logicalId: id,
    name: typeof props.Name === 'string' ? props.Name : undefined,
    scope: String(props.Scope ?? '?'),
    defaultAction: isRecord(props.DefaultAction) ? (Object.keys(props.DefaultAction)[0] ?? '?') : '?',
    rules,
    associatedWith,
    logDestinations,
    redactedFields,
  };
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

function describeField(field: unknown): string {
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

function buildLogGroups(resources: Resources): LogGroupReport[] {
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
function implicitLogGroups(resources: Resources): string[] {
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

function buildAcknowledgements(stack: AssemblyStack, resources: Resources): AcknowledgementReport[] {
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

function describeIntegration(resources: Resources, integration: unknown): string {
  if (!isRecord(integration)) {
    return 'none';
  }
  const type = String(integration.Type ?? '?');
  if (type === 'MOCK') {
    return 'mock';
  }
  const functions = [...references(integration.Uri)].filter((ref) => resources[ref]?.Type === 'AWS::Lambda::Function');
  if (functions.length > 0) {
    return `Lambda ${functions.join(', ')}`;
  }
  return `${type} ${renderValue(integration.Uri)}`;
}

function describeReference(resources: Resources, value: unknown): string {
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

function isGetAtt(value: unknown, logicalId: string, attribute: string): boolean {
  const getAtt = isRecord(value) ? value['Fn::GetAtt'] : undefined;
  return Array.isArray(getAtt) && getAtt[0] === logicalId && getAtt[1] === attribute;
}

function ofType(resources: Resources, type: string): Array<[string, CfnResource]> {
  return Object.entries(resources).filter(([, resource]) => resource.Type === type);
}

function isRecord(value: unknown): value is AnyRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)) ? Number(value) : undefined;
}

const METHOD_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'ANY'];

function methodRank(method: string): number {
  const rank = METHOD_ORDER.indexOf(method);
  return rank === -1 ? METHOD_ORDER.length : rank;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
