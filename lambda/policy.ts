/**
 * The answer to API Gateway: a principal, an IAM policy over execute-api ARNs, and a context map.
 *
 * API Gateway caches the whole answer per identity source and evaluates it against later requests'
 * method ARNs, so an answer must be right for every request it can be reused on:
 * - `token` scope: Allow on the ARN patterns of every route the token may call, Deny on the patterns
 *   of the others, except a Deny pattern that also matches a permitted route (that route would be
 *   denied; the route table analysis guarantees no Allow pattern reaches the omitted route's paths);
 * - `route` scope: the cache key holds the method and resource, so the answer covers the called route.
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html
 */
import { arnPatternMatches, type CompiledRoute, type MethodArn, type RouteTable } from './routes';

const patternsOf = (route: CompiledRoute, arn: MethodArn): string[] => route.verbs.map((verb) => `${arn.apiArnPrefix}/${verb}${route.pathPattern}`);

/** One statement of an authorizer policy. */
export interface PolicyStatement {
  /** Always `execute-api:Invoke`. */
  readonly Action: 'execute-api:Invoke';
  /** Allow or Deny; an explicit Deny wins over any Allow. */
  readonly Effect: 'Allow' | 'Deny';
  /** execute-api ARNs or ARN patterns (`*` matches any characters, `/` included). */
  readonly Resource: string[];
}

/** The policy document of an authorizer answer. */
export interface PolicyDocument {
  /** IAM policy language version. */
  readonly Version: '2012-10-17';
  /** One Allow and/or one Deny statement. */
  readonly Statement: PolicyStatement[];
}

/** What the authorizer answers API Gateway with (a 200 from the authorizer's point of view). */
export interface AuthorizerResult {
  /** `sub`, or `client_id` for client-credentials tokens (sanitized). */
  readonly principalId: string;
  /** The policy API Gateway evaluates against this and later (cached) requests. */
  readonly policyDocument: PolicyDocument;
  /** Passed to the integration as `$context.authorizer.<key>`; string values only. */
  readonly context: Record<string, string>;
}

/** Every method of every resource of the API stage: `arn:...:{apiId}/{stage}/*\/*`. */
export function wholeApiPattern(arn: MethodArn): string {
  return `${arn.apiArnPrefix}/*/*`;
}

/**
 * The statements of a `token`-scoped answer.
 * @param table the compiled route table
 * @param allowed per route index, whether the token may call it
 * @param arn the called method ARN (its API and stage scope every Resource)
 * @param calledRoute the route the request matched, or undefined for a table miss (explicitly denied)
 */
export function tokenScopedStatements(table: RouteTable, allowed: readonly boolean[], arn: MethodArn, calledRoute: CompiledRoute | undefined): PolicyStatement[] {
  const allow: string[] = [];
  const deny: string[] = [];
  for (const route of table.routes) {
    if (allowed[route.index]) {
      allow.push(...patternsOf(route, arn));
    } else if (!route.patternHits.some((other) => allowed[other])) {
      deny.push(...patternsOf(route, arn));
    }
  }
  if (allow.length === 0) {
    return [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [wholeApiPattern(arn)] }];
  }
  if (calledRoute === undefined) {
    // A method the table does not know must not inherit an Allow pattern that happens to match it.
    deny.push(`${arn.apiArnPrefix}/${arn.suffix}`);
  }
  const statements: PolicyStatement[] = [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: [...new Set(allow)] }];
  if (deny.length > 0) {
    statements.push({ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [...new Set(deny)] });
  }
  return statements;
}

/**
 * The statements of a `route`-scoped answer: the called route's pattern with the request's verb, or the
 * exact method ARN for a table miss.
 */
export function routeScopedStatements(allowed: boolean, arn: MethodArn, calledRoute: CompiledRoute | undefined): PolicyStatement[] {
  const resource =
    calledRoute === undefined ? `${arn.apiArnPrefix}/${arn.suffix}` : `${arn.apiArnPrefix}/${arn.verb}${calledRoute.pathPattern}`;
  return [{ Action: 'execute-api:Invoke', Effect: allowed && calledRoute !== undefined ? 'Allow' : 'Deny', Resource: [resource] }];
}

/** Evaluates statements against a method ARN as API Gateway does: an explicit Deny wins, then an Allow, else deny. */
export function evaluateStatements(statements: readonly PolicyStatement[], methodArn: string): 'allow' | 'deny' {
  let allowed = false;
  for (const statement of statements) {
    for (const pattern of statement.Resource) {
      if (arnPatternMatches(pattern, methodArn)) {
        if (statement.Effect === 'Deny') {
          return 'deny';
        }
        allowed = true;
        break;
      }
    }
  }
  return allowed ? 'allow' : 'deny';
}
