/**
 * The API standard in the report: every rule of the standard on every resource it applies to (pass, fail,
 * or acknowledged with the reason given), and the APIs that `SecureApi` did not build: HTTP and WebSocket
 * APIs with the authorization of each route, and Lambda function URLs.
 */
import { publicDeclaration } from '../../standard/declarations';
import { acknowledges, type StandardRule, type StandardRuleLevel } from '../../standard/rule';
import { STANDARD_RULES } from '../../standard/rules';
import { at, listAt, type StackTemplate, type TemplateResource } from '../../standard/template';
import type { AssemblyStack } from '../cloud-assembly';
import { compare } from './template';

/** The verdict of one rule on one resource, as the report shows it. */
export interface StandardResultReport {
  readonly logicalId: string;
  readonly type: string;
  readonly constructPath?: string;
  readonly status: 'pass' | 'fail' | 'acknowledged';
  readonly detail: string;
  /** For `acknowledged`: the reason given. */
  readonly reason?: string;
}

/** One rule of the standard on one stack. */
export interface StandardRuleReport {
  readonly id: string;
  readonly level: StandardRuleLevel;
  readonly description: string;
  /** `pass` when every resource passes (or the rule applies to none), `fail` when one fails, else `acknowledged`. */
  readonly status: 'pass' | 'fail' | 'acknowledged' | 'not applicable';
  readonly results: readonly StandardResultReport[];
}

/** A route of an HTTP or WebSocket API. */
export interface HttpRouteReport {
  readonly routeKey: string;
  readonly access: 'public' | 'protected';
  /** `JWT (issuer https://..., audience ...)`, `Lambda authorizer X`, `IAM` or `none`. */
  readonly authorization: string;
  readonly scopes: readonly string[];
  /** Why the route is public, when it was declared so. */
  readonly publicReason?: string;
  /** Per stage: `<stage>: <rate> rps, burst <burst>` (the route's own setting, else the stage default), or `<stage>: account limits`. */
  readonly throttling: readonly string[];
}

/** A stage of an HTTP or WebSocket API. */
export interface HttpStageReport {
  readonly stageName: string;
  /** Where access logs go (the destination's logical id or ARN), when the stage writes them. */
  readonly accessLogDestination?: string;
}

/** An HTTP or WebSocket API (`AWS::ApiGatewayV2::Api`). */
export interface HttpApiReport {
  readonly logicalId: string;
  readonly name?: string;
  readonly protocol: string;
  readonly stages: readonly HttpStageReport[];
  readonly routes: readonly HttpRouteReport[];
}

/** A Lambda function URL. */
export interface FunctionUrlReport {
  readonly logicalId: string;
  /** The logical id of the function it invokes, when it is in the template. */
  readonly functionLogicalId?: string;
  readonly authType: string;
  readonly publicReason?: string;
}

/** The construct path of each resource, from the `aws:cdk:logicalId` entries of the manifest. */
function constructPaths(stack: AssemblyStack): Map<string, string> {
  const paths = new Map<string, string>();
  for (const [path, entries] of Object.entries(stack.metadata)) {
    for (const entry of entries) {
      if (entry.type === 'aws:cdk:logicalId' && typeof entry.data === 'string') {
        paths.set(entry.data, path.replace(/^\//, ''));
      }
    }
  }
  return paths;
}

/**
 * The reason a rule was acknowledged with on a resource: an `aws:cdk:acknowledged-rules` entry on its
 * construct or on one above it, naming the rule id (with or without a plugin prefix); the closest wins.
 */
function acknowledgement(stack: AssemblyStack, constructPath: string | undefined, ruleId: string): string | undefined {
  if (constructPath === undefined) {
    return undefined;
  }
  let best: { depth: number; reason: string } | undefined;
  for (const [path, entries] of Object.entries(stack.metadata)) {
    const scope = path.replace(/^\//, '');
    if (constructPath !== scope && !constructPath.startsWith(`${scope}/`)) {
      continue;
    }
    for (const entry of entries) {
      if (entry.type !== 'aws:cdk:acknowledged-rules' || typeof entry.data !== 'object' || entry.data === null) {
        continue;
      }
      for (const [id, reason] of Object.entries(entry.data as Record<string, unknown>)) {
        const depth = scope.split('/').length;
        if (acknowledges(id, ruleId) && (best === undefined || depth > best.depth)) {
          best = { depth, reason: String(reason) };
        }
      }
    }
  }
  return best?.reason;
}

/**
 * Every rule of the standard on a stack's template.
 * @param stack the stack (its manifest metadata holds the construct paths and acknowledgements)
 * @param template the stack's template
 * @param rules the rules
 */
export function buildStandardReport(stack: AssemblyStack, template: StackTemplate, rules: readonly StandardRule[] = STANDARD_RULES): StandardRuleReport[] {
  const paths = constructPaths(stack);
  return rules.map((rule) => {
    const results = rule.evaluate(template).map((finding): StandardResultReport => {
      const constructPath = finding.resource.constructPath ?? paths.get(finding.resource.logicalId);
      const reason = finding.compliant ? undefined : acknowledgement(stack, constructPath, rule.id);
      return {
        logicalId: finding.resource.logicalId,
        type: finding.resource.type,
        ...(constructPath !== undefined ? { constructPath } : {}),
        status: finding.compliant ? 'pass' : reason !== undefined ? 'acknowledged' : 'fail',
        detail: finding.detail,
        ...(reason !== undefined ? { reason } : {}),
      };
    });
    results.sort((a, b) => compare(a.logicalId, b.logicalId));
    const status = results.length === 0 ? 'not applicable' : results.some((r) => r.status === 'fail') ? 'fail' : results.some((r) => r.status === 'acknowledged') ? 'acknowledged' : 'pass';
    return { id: rule.id, level: rule.level, description: rule.description, status, results };
  });
}

function httpAuthorization(template: StackTemplate, route: TemplateResource): string {
  const type = route.properties.AuthorizationType ?? 'NONE';
  const authorizer = template.referenced(route.properties.AuthorizerId);
  if (type === 'JWT') {
    const issuer = at(authorizer?.properties, 'JwtConfiguration', 'Issuer');
    const audience = listAt(at(authorizer?.properties, 'JwtConfiguration', 'Audience'));
    return `JWT (issuer ${typeof issuer === 'string' ? issuer : '(deploy-time value)'}${audience.length > 0 ? `, audience ${audience.map(String).join(' ')}` : ''})`;
  }
  if (type === 'CUSTOM') {
    return `Lambda authorizer ${authorizer?.logicalId ?? '(unknown)'}`;
  }
  return type === 'AWS_IAM' ? 'IAM' : 'none';
}

/** A route's throttle on a stage: its own `RouteSettings` entry, else the stage's `DefaultRouteSettings`. */
function httpThrottling(stage: TemplateResource, routeKey: string): string {
  const name = String(stage.properties.StageName ?? stage.logicalId);
  const own = at(stage.properties, 'RouteSettings', routeKey);
  const fallback = at(stage.properties, 'DefaultRouteSettings');
  const rate = at(own, 'ThrottlingRateLimit') ?? at(fallback, 'ThrottlingRateLimit');
  const burst = at(own, 'ThrottlingBurstLimit') ?? at(fallback, 'ThrottlingBurstLimit');
  if (rate === undefined && burst === undefined) {
    return `${name}: account limits`;
  }
  const parts = [rate === undefined ? undefined : `${String(rate)} rps`, burst === undefined ? undefined : `burst ${String(burst)}`].filter((part) => part !== undefined);
  return `${name}: ${parts.join(', ')}${own !== undefined ? ' (route)' : ''}`;
}

/** The HTTP and WebSocket APIs of a stack, each route with its authorization and throttling. */
export function buildHttpApis(template: StackTemplate): HttpApiReport[] {
  const routes = template.ofType('AWS::ApiGatewayV2::Route');
  const allStages = template.ofType('AWS::ApiGatewayV2::Stage');
  return template.ofType('AWS::ApiGatewayV2::Api').map((api) => {
    const stages = allStages.filter((stage) => template.referenced(stage.properties.ApiId) === api);
    return {
      logicalId: api.logicalId,
      ...(typeof api.properties.Name === 'string' ? { name: api.properties.Name } : {}),
      protocol: String(api.properties.ProtocolType ?? 'HTTP'),
      stages: stages.map((stage): HttpStageReport => {
        const destination = at(stage.properties, 'AccessLogSettings', 'DestinationArn');
        const target = template.referenced(destination);
        return {
          stageName: String(stage.properties.StageName ?? stage.logicalId),
          ...(destination !== undefined ? { accessLogDestination: target?.logicalId ?? JSON.stringify(destination) } : {}),
        };
      }),
      routes: routes
        .filter((route) => template.referenced(route.properties.ApiId) === api)
        .map((route): HttpRouteReport => {
          const routeKey = String(route.properties.RouteKey);
          const authorization = httpAuthorization(template, route);
          const publicReason = publicDeclaration(route);
          return {
            routeKey,
            access: authorization === 'none' ? 'public' : 'protected',
            authorization,
            scopes: listAt(route.properties.AuthorizationScopes).map(String),
            ...(publicReason !== undefined ? { publicReason } : {}),
            throttling: stages.map((stage) => httpThrottling(stage, routeKey)),
          };
        })
        .sort((a, b) => compare(a.routeKey, b.routeKey)),
    };
  });
}

/** The Lambda function URLs of a stack. */
export function buildFunctionUrls(template: StackTemplate): FunctionUrlReport[] {
  return template.ofType('AWS::Lambda::Url').map((url) => {
    const fn = template.referenced(url.properties.TargetFunctionArn);
    const publicReason = publicDeclaration(url);
    return {
      logicalId: url.logicalId,
      ...(fn !== undefined ? { functionLogicalId: fn.logicalId } : {}),
      authType: String(url.properties.AuthType ?? 'NONE'),
      ...(publicReason !== undefined ? { publicReason } : {}),
    };
  });
}
