/**
 * The access matrix of a REST API: every method with its path (rebuilt through `ParentId`/`PathPart`),
 * who decides, and, for a Lambda authorizer, the scopes and claim conditions of the declared route that
 * answers it, found with the contract's route table as the authorizer finds it.
 */
import { type ClaimCondition, HTTP_VERBS, type HttpVerb, type RouteConfig, type RouteTable } from '../../../lambda/contract';
import type { AssemblyStack, CfnResource } from '../cloud-assembly';
import { loadAuthorizer } from './authorizer-config';
import type { AccessRow, ApiReport, RouteThrottling } from './model';
import { buildStage, throttling } from './stage';
import { type Resources, compare, isGetAtt, isRecord, ofType } from './template';
import { references, renderValue } from './values';
import { PUBLIC_DECLARATION_METADATA_KEY } from '../../standard/declarations';

/** The report of one `AWS::ApiGateway::RestApi`: its stages, authorizers and access matrix. */
export function buildApi(stack: AssemblyStack, resources: Resources, apiId: string, api: CfnResource): ApiReport {
  const belongs = (resource: CfnResource): boolean => references(resource.Properties?.RestApiId).has(apiId);
  const stages = ofType(resources, 'AWS::ApiGateway::Stage').filter(([, stage]) => belongs(stage));
  const authorizers = new Map(
    ofType(resources, 'AWS::ApiGateway::Authorizer')
      .filter(([, authorizer]) => belongs(authorizer))
      .map(([id, authorizer]) => [id, loadAuthorizer(stack, resources, id, authorizer)] as const),
  );
  const pathOf = resourcePaths(resources, apiId);
  const rows: AccessRow[] = [];
  const methods = ofType(resources, 'AWS::ApiGateway::Method').filter(([, m]) => belongs(m));
  // The verbs each resource has a method of its own for: its ANY method serves only the others.
  const explicitVerbs = new Map<string, Set<string>>();
  for (const [, method] of methods) {
    const props = method.Properties ?? {};
    const verb = String(props.HttpMethod ?? 'ANY');
    if (verb !== 'ANY') {
      const path = pathOf(props.ResourceId);
      explicitVerbs.set(path, (explicitVerbs.get(path) ?? new Set()).add(verb));
    }
  }
  for (const [, method] of methods) {
    const props = method.Properties ?? {};
    const httpMethod = String(props.HttpMethod ?? 'ANY');
    const path = pathOf(props.ResourceId);
    const authorizationType = String(props.AuthorizationType ?? 'NONE');
    const apiKeyRequired = props.ApiKeyRequired === true;
    const backend = describeIntegration(resources, props.Integration);
    const requestBodySchema = validatedBodySchema(resources, props);
    const base = { path, apiKeyRequired, backend, ...(requestBodySchema !== undefined ? { requestBodySchema } : {}) };
    const publicReason = method.Metadata?.[PUBLIC_DECLARATION_METADATA_KEY];
    const throttlingFor = (verb: string): RouteThrottling[] => stages.map(([, stage]) => throttling(stage, verb, path));

    if (authorizationType === 'CUSTOM') {
      const authorizerId = [...references(props.AuthorizerId)].find((id) => authorizers.has(id));
      const authorizer = authorizerId === undefined ? undefined : authorizers.get(authorizerId);
      const label = `Lambda authorizer ${authorizerId ?? '(unknown)'}`;
      // A protected method whose scopes the report cannot name: the note says why.
      const unlisted = (note: string) =>
        rows.push({ ...base, method: httpMethod, access: 'protected', authorization: label, scopes: [], conditions: [], throttling: throttlingFor(httpMethod), notes: [note] });
      if (authorizer?.table === undefined) {
        unlisted(`scopes unknown: ${authorizer?.tableProblem ?? authorizer?.report.configSource ?? 'authorizer not found'}`);
        continue;
      }
      const matches = declaredRoutes(authorizer.table, httpMethod, path, explicitVerbs.get(path));
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
        notes: typeof publicReason === 'string' ? [`declared public: ${publicReason}`] : [],
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

/** The schema of a method's JSON body model, when its request validator validates bodies. */
function validatedBodySchema(resources: Resources, props: Record<string, unknown>): unknown {
  const validatorId = [...references(props.RequestValidatorId)][0];
  const validator = validatorId === undefined ? undefined : resources[validatorId]?.Properties;
  const models = isRecord(props.RequestModels) ? props.RequestModels : {};
  const modelId = [...references(models['application/json'] ?? models.$default)][0];
  return validator?.ValidateRequestBody === true && modelId !== undefined ? resources[modelId]?.Properties?.Schema : undefined;
}

/** Rebuilds resource paths from `ParentId` and `PathPart`; unknown parents show as `…`. */
export function resourcePaths(resources: Resources, apiId: string): (resourceId: unknown) => string {
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

/**
 * The declared routes that answer an API Gateway method on a resource path, as the authorizer picks them
 * ({@link RouteTable.byResource}: the exact verb, then `ANY`; parameter names do not matter). An `ANY`
 * method receives every verb, so it gets the route of each verb, each route once.
 */
function declaredRoutes(table: RouteTable, method: string, path: string, explicit: ReadonlySet<string> = new Set()): RouteConfig[] {
  // API Gateway sends a verb to the resource's own method for it when there is one, else to ANY.
  const verbs = method === 'ANY' ? HTTP_VERBS.filter((verb) => !explicit.has(verb)) : [method as HttpVerb];
  const routes = new Set(verbs.map((verb) => table.byResource(verb, path)?.config).filter((route) => route !== undefined));
  return [...routes];
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

/** What serves a method: `mock`, `Lambda <id>`, or the integration type and URI. */
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

const METHOD_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'ANY'];

function methodRank(method: string): number {
  const rank = METHOD_ORDER.indexOf(method);
  return rank === -1 ? METHOD_ORDER.length : rank;
}
