/**
 * The answer to API Gateway: a principal, an IAM policy over execute-api ARNs, and a context map.
 *
 * API Gateway caches the whole answer per identity source and evaluates it against later requests'
 * method ARNs, so an answer must be right for every request it can be reused on:
 * - `token` scope: Allow on the ARN patterns of every route the token may call, Deny on the patterns
 *   of the others, except a Deny pattern that also matches a permitted route (that route would be
 *   denied; the route table analysis guarantees no Allow pattern reaches the omitted route's paths);
 * - `route` scope: the cache key holds the method and resource, so the answer covers the called route.
 *
 * Every Resource is a prefix pattern (`routes.ts`): its only wildcard is a final `*`, so the answer means
 * the same under both readings of IAM wildcards. No Resource ever holds text of the request beyond the
 * validated API and stage prefix (a path may contain `*` or `?`, which IAM would read as wildcards).
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html
 */
import { arnPatternMatches, type CompiledRoute, type MethodArn, type RouteTable } from './contract/routes';

const patternsOf = (route: CompiledRoute, arn: MethodArn): string[] =>
  route.verbs.flatMap((verb) => route.pathPatterns.map((path) => `${arn.apiArnPrefix}/${verb}${path}`));

/** One statement of an authorizer policy. */
export interface PolicyStatement {
  /** Always `execute-api:Invoke`. */
  readonly Action: 'execute-api:Invoke';
  /** Allow or Deny; an explicit Deny wins over any Allow. */
  readonly Effect: 'Allow' | 'Deny';
  /** execute-api ARN prefix patterns: literal, or literal followed by one final `*`. */
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

/** Every method of every resource of the API stage, as a prefix pattern: `arn:...:{apiId}/{stage}/*`. */
export function wholeApiPattern(arn: MethodArn): string {
  return `${arn.apiArnPrefix}/*`;
}

/**
 * The statements of a `token`-scoped answer.
 * @param table the compiled route table
 * @param allowed per route index, whether the token may call it
 * @param arn the called method ARN (its API and stage scope every Resource)
 */
export function tokenScopedStatements(table: RouteTable, allowed: readonly boolean[], arn: MethodArn): PolicyStatement[] {
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
  const statements: PolicyStatement[] = [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: [...new Set(allow)] }];
  if (deny.length > 0) {
    statements.push({ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [...new Set(deny)] });
  }
  return statements;
}

/**
 * The statements of a `route`-scoped answer: the called route's pattern with the request's verb. The
 * cache key (token, method, resource) keeps it to requests of that route, all of whose paths the
 * pattern matches.
 */
export function routeScopedStatements(allowed: boolean, arn: MethodArn, calledRoute: CompiledRoute): PolicyStatement[] {
  return [{ Action: 'execute-api:Invoke', Effect: allowed ? 'Allow' : 'Deny', Resource: calledRoute.pathPatterns.map((path) => `${arn.apiArnPrefix}/${arn.verb}${path}`) }];
}

/**
 * Evaluates statements against a method ARN as API Gateway does: an explicit Deny wins, then an Allow, else deny.
 * @param matches how a Resource pattern matches the ARN: reading (a) {@link arnPatternMatches} by default,
 *   or reading (b) `arnPatternMatchesWithinSegments`
 */
export function evaluateStatements(statements: readonly PolicyStatement[], methodArn: string, matches: (pattern: string, value: string) => boolean = arnPatternMatches): 'allow' | 'deny' {
  let allowed = false;
  for (const statement of statements) {
    for (const pattern of statement.Resource) {
      if (matches(pattern, methodArn)) {
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
