import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import type { IConstruct } from 'constructs';
import { type ClaimCondition, ROUTE_METHODS, type RouteMethod, routePathProblem } from '../../lambda/contract';
import { scopeToken, type RouteScope } from '../authorizer/api-scope';
import { SecureApiValidationError, describeValue } from '../errors';
import { validateThrottle } from './stage-options';

/** How a route is protected, and its stage and request settings. */
export interface RouteOptions {
  /**
   * Scopes the access token must all hold, exact and case-sensitive, in its `scope` claim (or, for OIDC
   * issuers, `scp`). An `ApiScope` for a Cognito resource server scope (`<identifier>/<name>`); a string for
   * a scope exactly as another issuer writes it (`'catalog.read'`), validated at synth as an RFC 6749 scope
   * token. Strings rather than a second kind of `ApiScope`: such a scope has no resource server, no
   * description and nothing to create in Cognito.
   * @default - none; then `conditions` or `authenticatedOnly` must say what the route requires
   */
  readonly scopes?: RouteScope[];
  /**
   * Claim conditions the access token must all meet, in addition to the scopes.
   * @default - none
   */
  readonly conditions?: ClaimCondition[];
  /**
   * Accepts any valid access token of a trusted issuer, without scopes or conditions. An explicit choice, because
   * least privilege (per-route scopes) is the default.
   * @default false
   */
  readonly authenticatedOnly?: boolean;
  /**
   * Serves the route without authentication. Must be explicit: every other method is behind the authorizer.
   * @default false
   */
  readonly public?: boolean;
  /**
   * Throttling of this route, overriding the stage's. `rateLimit` must be greater than 0 and `burstLimit` a whole
   * number of at least 1: to close a route, remove it rather than throttle it to 0.
   * @default - the stage's throttling
   */
  readonly throttle?: apigw.ThrottleSettings;
  /**
   * JSON schema of the request body (`application/json`); API Gateway rejects bodies that do not match.
   * @default - the body is not validated
   */
  readonly requestModel?: apigw.JsonSchema;
  /**
   * Request parameters, e.g. `{ 'method.request.querystring.page': false }`; `true` marks a required one,
   * which API Gateway checks before the integration.
   * @default - none
   */
  readonly requestParameters?: Record<string, boolean>;
  /**
   * Requires an API key (`x-api-key`) from a usage plan, on top of the access token.
   * @default false
   */
  readonly apiKeyRequired?: boolean;
  /**
   * Further method options (method responses, operation name...). Authorization, request models, parameters
   * and validators are set by the options above and cannot be given here.
   * @default - none
   */
  readonly methodOptions?: apigw.MethodOptions;
}

/** One entry of the compiled route table. */
export interface SecureApiRoute {
  /** HTTP method, or `ANY`. */
  readonly method: string;
  /** Resource path. */
  readonly path: string;
  /** Full names of the scopes the route requires. */
  readonly scopes: string[];
  /** Whether the route is public. */
  readonly public: boolean;
}

/** A route's method and path, as parsed from `'<METHOD> <path>'`. */
export interface ParsedRoute {
  /** The method. */
  readonly method: RouteMethod;
  /** The resource path. */
  readonly path: string;
}

/** What a route requires, from its validated options. */
export interface RouteRequirements {
  /** Whether the route is public. */
  readonly isPublic: boolean;
  /** Full names of the required scopes, as declared (duplicates and order kept). */
  readonly scopes: string[];
  /** Claim conditions, each with exactly one of `contains` and `equals`. */
  readonly conditions: ClaimCondition[];
  /** The route's own throttling, when set. */
  readonly throttle?: apigw.ThrottleSettings;
}

const ROUTE = /^(\S+) (\S+)$/;

/** Method options that the route options set, and that `methodOptions` therefore must not. */
const ROUTE_OWNED_METHOD_OPTIONS = [
  'authorizer',
  'authorizationType',
  'authorizationScopes',
  'requestModels',
  'requestParameters',
  'requestValidator',
  'requestValidatorOptions',
  'apiKeyRequired',
] as const;

/**
 * Parses `'<METHOD> <path>'` and records the path's variable segments: API Gateway allows one variable
 * segment (`{id}` or `{proxy+}`) per level of the resource tree.
 *
 * @param scope the API, named in error messages
 * @param route the route, e.g. `'GET /items/{id}'`
 * @param variableSegments the variable segment of each level seen so far, by parent path; updated
 * @returns the method and path
 * @throws SecureApiValidationError when the route is malformed or its variable segment conflicts with an earlier one
 */
export function parseRoute(scope: IConstruct, route: string, variableSegments: Map<string, string>): ParsedRoute {
  const [, method, path] = ROUTE.exec(route) ?? [];
  if (method === undefined || path === undefined || !(ROUTE_METHODS as readonly string[]).includes(method)) {
    throw new SecureApiValidationError(
      `'route' must be '<METHOD> <path>' with METHOD one of ${ROUTE_METHODS.join(', ')} (received: ${describeValue(route)})`,
      scope,
    );
  }
  const problem = routePathProblem(path);
  if (problem !== undefined) {
    throw new SecureApiValidationError(`'route' path ${problem} (received: ${describeValue(route)})`, scope);
  }
  const segments = path === '/' ? [] : path.slice(1).split('/');
  segments.forEach((segment, index) => {
    if (!segment.startsWith('{')) {
      return;
    }
    const parent = `/${segments.slice(0, index).join('/')}`;
    const existing = variableSegments.get(parent);
    if (existing !== undefined && existing !== segment) {
      throw new SecureApiValidationError(
        `'route' may have one variable segment per level: ${describeValue(segment)} conflicts with ${describeValue(existing)} under ${describeValue(parent)} (received: ${describeValue(route)})`,
        scope,
      );
    }
  });
  segments.forEach((segment, index) => {
    if (segment.startsWith('{')) {
      variableSegments.set(`/${segments.slice(0, index).join('/')}`, segment);
    }
  });
  return { method: method as RouteMethod, path };
}

/**
 * Validates a route's options: a public route requires nothing, a protected one must say what a token needs,
 * and `methodOptions` must leave to the route options what they set.
 *
 * @param scope the API, named in error messages
 * @param route the route as declared, for error messages
 * @param options the route's options
 * @returns what the route requires
 * @throws SecureApiValidationError when the options contradict each other or are invalid
 */
export function routeRequirements(scope: IConstruct, route: string, options: RouteOptions): RouteRequirements {
  const isPublic = options.public === true;
  const scopes = (options.scopes ?? []).map((routeScope, i) => scopeToken(scope, `scopes[${i}]`, routeScope));
  const conditions = (options.conditions ?? []).map((condition) => validateCondition(scope, route, condition));
  if (isPublic && (scopes.length > 0 || conditions.length > 0 || options.authenticatedOnly === true)) {
    throw new SecureApiValidationError(
      `'public' routes must not declare 'scopes', 'conditions' or 'authenticatedOnly' (received: ${describeValue(route)})`,
      scope,
    );
  }
  if (!isPublic && scopes.length === 0 && conditions.length === 0 && options.authenticatedOnly !== true) {
    throw new SecureApiValidationError(
      `'scopes' must name at least one scope (or 'conditions' one condition) for protected route ${describeValue(route)}; ` +
        "set 'authenticatedOnly: true' to accept any valid token, or 'public: true' for no authentication (received: none)",
      scope,
    );
  }
  for (const field of ROUTE_OWNED_METHOD_OPTIONS) {
    if (options.methodOptions?.[field] !== undefined) {
      throw new SecureApiValidationError(
        `'methodOptions.${field}' must not be set: use the route options 'public', 'scopes', 'requestModel', 'requestParameters' and 'apiKeyRequired' (received: ${describeValue(route)})`,
        scope,
      );
    }
  }
  const throttle = options.throttle !== undefined ? validateThrottle(scope, 'throttle', options.throttle) : undefined;
  return { isPublic, scopes, conditions, throttle };
}

/**
 * A construct id for a route, e.g. `GetItemsParamId` for `GET /items/{id}`.
 *
 * @param method the route's method
 * @param path the route's path
 * @returns the id
 */
export function constructIdFor(method: string, path: string): string {
  const spelled = path.replace(/\{/g, '/Param-').replace(/\+\}/g, '-Plus');
  const words = [method, ...spelled.split(/[^A-Za-z0-9]+/)].filter((word) => word.length > 0);
  return words.map((word) => word.charAt(0).toUpperCase() + word.slice(1).toLowerCase()).join('');
}

function validateCondition(scope: IConstruct, route: string, condition: ClaimCondition): ClaimCondition {
  const { claim, contains, equals } = condition;
  if (typeof claim !== 'string' || claim.length === 0) {
    throw new SecureApiValidationError(`'conditions' must name a claim (received: ${describeValue(condition)} on ${describeValue(route)})`, scope);
  }
  if ((contains === undefined) === (equals === undefined)) {
    throw new SecureApiValidationError(
      `'conditions' must set exactly one of 'contains' and 'equals' (received: ${describeValue(condition)} on ${describeValue(route)})`,
      scope,
    );
  }
  return contains !== undefined ? { claim, contains } : { claim, equals };
}
