/**
 * The route table: parsing and matching API Gateway resource paths, the execute-api ARN patterns a
 * policy lists, and the analysis that decides whether one cached answer can be exact for every route.
 *
 * PURE: no `jose`, no I/O. The constructs in `lib/` import it at synth (for {@link cacheKeyScopeFor}).
 *
 * Two languages matter for every route, because API Gateway reuses a cached answer for every route
 * called with the same identity source:
 * - its concrete paths: what API Gateway routes to it. A `{param}` is one non-empty segment without
 *   `/`, a final `{proxy+}` one or more segments;
 * - its ARN patterns: what the policy Resources built from it match. In IAM policies `*` matches any
 *   characters, `/` included, so `GET/items/*` matches `GET/items/1/secret` too. An `ANY` route gets one
 *   pattern per verb rather than a `*` verb: a leading `*` would also swallow the start of the path
 *   (the pattern `*` + `/files/*` matches `GET/other/files/x`), making unrelated routes overlap.
 */
import type { CacheKeyScope, RouteConfig, RouteMethod } from './config-types';

/** The HTTP verbs API Gateway puts in a method ARN (an `ANY` method receives all of them). */
export const HTTP_VERBS = Object.freeze(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'] as const);

/** One concrete HTTP verb. */
export type HttpVerb = (typeof HTTP_VERBS)[number];

/** The methods a route can have: the verbs and `ANY`. */
export const ROUTE_METHODS: readonly RouteMethod[] = Object.freeze([...HTTP_VERBS, 'ANY' as const]);

/** One segment of a resource path. */
export type PathSegment =
  | { readonly kind: 'literal'; readonly value: string }
  | { readonly kind: 'param'; readonly name: string }
  | { readonly kind: 'greedy'; readonly name: string };

type Route = Pick<RouteConfig, 'method' | 'path'>;

/** The route identity used in logs and messages: `GET /items/{id}`. */
export function routeKey(route: Route): string {
  return `${route.method} ${route.path}`;
}

// Literal path parts as API Gateway (and CDK's validateResourcePathPart) accept them; none of these
// characters is an IAM wildcard, so a literal never widens an ARN pattern.
const LITERAL_SEGMENT = /^[A-Za-z0-9:._$-]+$/;
const PARAM_SEGMENT = /^\{([A-Za-z0-9_]+)(\+?)\}$/;
/** Longest resource path accepted, in characters. */
export const MAX_ROUTE_PATH_LENGTH = 1024;

/** The segments of a path that starts with `/` (none for the root). */
const partsOf = (path: string): string[] => (path === '/' ? [] : path.slice(1).split('/'));

/**
 * Why a resource path is not acceptable, or undefined when it is. A path starts with `/`, has no empty
 * segment, and its segments are literals (`[A-Za-z0-9:._$-]+`), `{param}` (`[A-Za-z0-9_]+`) or, last
 * only, a greedy `{proxy+}`.
 */
export function routePathProblem(path: string): string | undefined {
  if (path.length > MAX_ROUTE_PATH_LENGTH) {
    return `must be at most ${MAX_ROUTE_PATH_LENGTH} characters`;
  }
  if (path[0] !== '/') {
    return "must start with '/'";
  }
  const parts = partsOf(path);
  for (const [i, part] of parts.entries()) {
    const param = PARAM_SEGMENT.exec(part);
    if (!part) {
      return 'must not have empty segments';
    }
    if (param?.[2] && i < parts.length - 1) {
      return 'may have a greedy {name+} segment only as its last segment';
    }
    if (!param && /[{}]/.test(part)) {
      return `segment '${part}' must be a literal or a whole {param} with a name of [A-Za-z0-9_]+`;
    }
    if (!param && !LITERAL_SEGMENT.test(part)) {
      return `segment '${part}' may only hold [A-Za-z0-9:._$-]`;
    }
  }
  return undefined;
}

/** Parses a resource path; throws a plain Error naming the problem when {@link routePathProblem} finds one. */
export function parseRoutePath(path: string): PathSegment[] {
  const problem = routePathProblem(path);
  if (problem) {
    throw new Error(`route path '${path}' ${problem}`);
  }
  return partsOf(path).map((part): PathSegment => {
    const param = PARAM_SEGMENT.exec(part);
    return !param ? { kind: 'literal', value: part } : { kind: param[2] ? 'greedy' : 'param', name: param[1] };
  });
}

/**
 * The resource a path names, whatever its parameter names: `/items/{id}` and `/items/{name}` are the same
 * resource (API Gateway allows one variable child per resource). `/items/{}`, `/files/{+}`.
 */
export function templateKey(path: string): string {
  return path.replace(/\{[^}+]*(\+?)\}/g, '{$1}');
}

/**
 * The path part of a route's ARN patterns: the path with every `{param}` and `{proxy+}` replaced by
 * `*`. `/items/{id}` gives `/items/*`.
 */
export function routePathPattern(route: Pick<RouteConfig, 'path'>): string {
  return `/${parseRoutePath(route.path)
    .map((s) => (s.kind === 'literal' ? s.value : '*'))
    .join('/')}`;
}

/** The verbs a route receives: its method, or every verb for `ANY`. */
export function routeVerbs(route: Pick<RouteConfig, 'method'>): readonly HttpVerb[] {
  return route.method === 'ANY' ? HTTP_VERBS : [route.method];
}

/**
 * The execute-api ARN pattern of one verb of a route, for a policy Resource:
 * `{apiArnPrefix}/{VERB}{path pattern}`, e.g. `arn:aws:execute-api:eu-west-1:123456789012:abc/prod/GET/items/*`.
 * @param route the route
 * @param apiArnPrefix `arn:{partition}:execute-api:{region}:{account}:{apiId}/{stage}`
 * @param verb the verb; required for an `ANY` route (which has one pattern per verb)
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-control-access-using-iam-policies-to-invoke-api.html
 */
export function routeArnPattern(route: Route, apiArnPrefix: string, verb?: HttpVerb): string {
  const chosen = verb ?? (route.method === 'ANY' ? undefined : route.method);
  if (chosen === undefined || !routeVerbs(route).includes(chosen)) {
    throw new Error(`${routeKey(route)} has no ARN pattern for verb ${String(verb)}`);
  }
  return `${apiArnPrefix}/${chosen}${routePathPattern(route)}`;
}

/** Every ARN pattern of a route: one for its verb, or one per verb for `ANY`. */
export function routeArnPatterns(route: Route, apiArnPrefix: string): string[] {
  return routeVerbs(route).map((verb) => routeArnPattern(route, apiArnPrefix, verb));
}

/** A parsed `methodArn` of an authorizer event. */
export interface MethodArn {
  /** `aws`, `aws-cn`, `aws-us-gov`... */
  readonly partition: string;
  /** AWS region of the API. */
  readonly region: string;
  /** AWS account that owns the API. */
  readonly accountId: string;
  /** REST API id. */
  readonly apiId: string;
  /** Stage name. */
  readonly stage: string;
  /** The request's HTTP verb. */
  readonly verb: HttpVerb;
  /** The concrete request path, starting with `/` (`/` for the root resource). */
  readonly path: string;
  /** `arn:{partition}:execute-api:{region}:{account}:{apiId}/{stage}`: the prefix of every Resource of the answer. */
  readonly apiArnPrefix: string;
  /** `{VERB}{path}`: the part after `{apiId}/{stage}/`. */
  readonly suffix: string;
}

/** Longest method ARN accepted, in characters. */
export const MAX_METHOD_ARN_LENGTH = 2048;
const METHOD_ARN =
  /^(arn:(aws[a-z-]{0,16}):execute-api:([a-z]{2}(?:-[a-z]+)+-\d{1,2}):(\d{12}):([a-z0-9]{1,32})\/([A-Za-z0-9_-]{1,128}))\/((DELETE|GET|HEAD|OPTIONS|PATCH|POST|PUT)(\/[\x21-\x7e]*))$/;

/**
 * Parses an execute-api method ARN (`arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{VERB}/{path}`),
 * or returns undefined when the value is not one. The path may hold any visible ASCII character.
 */
export function parseMethodArn(value: unknown): MethodArn | undefined {
  const m = typeof value === 'string' && value.length <= MAX_METHOD_ARN_LENGTH ? METHOD_ARN.exec(value) : null;
  if (!m) {
    return undefined;
  }
  const [, apiArnPrefix, partition, region, accountId, apiId, stage, suffix, verb, path] = m;
  return { partition, region, accountId, apiId, stage, verb: verb as HttpVerb, path, apiArnPrefix, suffix };
}

/**
 * Whether an IAM Resource pattern matches a value: `*` matches any characters (`/` included, possibly
 * none); every other character matches itself. Linear in practice (greedy with one backtrack point).
 */
export function arnPatternMatches(pattern: string, value: string): boolean {
  const STAR = 42;
  let p = 0;
  let v = 0;
  let starP = -1;
  let starV = 0;
  while (v < value.length) {
    const c = p < pattern.length ? pattern.charCodeAt(p) : -1;
    if (c === STAR) {
      starP = p++;
      starV = v;
    } else if (c === value.charCodeAt(v)) {
      p++;
      v++;
    } else if (starP >= 0) {
      p = starP + 1;
      v = ++starV;
    } else {
      return false;
    }
  }
  while (pattern.charCodeAt(p) === STAR) {
    p++;
  }
  return p === pattern.length;
}

/** A route of a compiled table. */
export interface CompiledRoute {
  /** Position in the configured table. */
  readonly index: number;
  /** The configured route. */
  readonly config: RouteConfig;
  /** `GET /items/{id}`. */
  readonly key: string;
  /** The verbs the route receives. */
  readonly verbs: readonly HttpVerb[];
  /** {@link routePathPattern} of the route: its patterns are `{apiArnPrefix}/{VERB}{pathPattern}` for each verb. */
  readonly pathPattern: string;
  /** The parsed resource path. */
  readonly segments: readonly PathSegment[];
  /**
   * Indices of the other routes that have a concrete path this route's ARN pattern matches. A Deny of
   * this route's pattern would also deny those routes, so it is left out when one of them is allowed.
   */
  readonly patternHits: readonly number[];
  /** Whether a concrete request (verb and path) belongs to this route's language (precedence ignored). */
  accepts(verb: HttpVerb, path: string): boolean;
}

/** A route table compiled once at cold start. */
export interface RouteTable {
  /** The routes, in configuration order (`routes[i].index === i`). */
  readonly routes: readonly CompiledRoute[];
  /**
   * The route API Gateway sends a concrete request to, using its precedence (literal segment, then
   * `{param}`, then `{proxy+}`; then the exact verb, then `ANY`), or undefined for a table miss.
   */
  match(verb: HttpVerb, path: string): CompiledRoute | undefined;
  /** The route with this resource template (`/items/{id}`, exact) and verb (exact verb, then `ANY`). */
  byResource(verb: HttpVerb, resource: string): CompiledRoute | undefined;
}

/** The segments of a concrete request path, or undefined when it has an empty one. */
function concreteParts(path: string): string[] | undefined {
  const parts = partsOf(path);
  return path[0] === '/' && !parts.includes('') ? parts : undefined;
}

function segmentsAccept(segments: readonly PathSegment[], parts: readonly string[]): boolean {
  for (const [i, segment] of segments.entries()) {
    if (segment.kind === 'greedy') {
      return parts.length > i;
    }
    if (i >= parts.length || (segment.kind === 'literal' && segment.value !== parts[i])) {
      return false;
    }
  }
  return parts.length === segments.length;
}

// API Gateway's precedence between resources that both receive a path: at the first segment where they
// differ, a literal beats a parameter, which beats a greedy segment. Comparing these strings orders them so.
const RANK = { literal: '0', param: '1', greedy: '2' };

/**
 * Compiles a validated route table (paths as accepted by {@link routePathProblem}, no duplicates).
 * Matching scans the table, like the policy every answer builds over it. The overlap analysis behind
 * `patternHits` is quadratic in the number of routes but cheap per pair; it runs once, on first use.
 */
export function compileRouteTable(routes: readonly RouteConfig[]): RouteTable {
  let hits: number[][] | undefined;
  const compiled = routes.map((config, index) => {
    const segments = parseRoutePath(config.path);
    return {
      index,
      config,
      key: routeKey(config),
      verbs: routeVerbs(config),
      pathPattern: routePathPattern(config),
      segments,
      template: templateKey(config.path),
      rank: segments.map((s) => RANK[s.kind]).join(''),
      get patternHits(): readonly number[] {
        return (hits ??= patternHitMatrix(routes))[index];
      },
      accepts(verb: HttpVerb, path: string): boolean {
        const parts = concreteParts(path);
        return (config.method === 'ANY' || config.method === verb) && parts !== undefined && segmentsAccept(segments, parts);
      },
    };
  });
  // On the resource found, the exact verb wins over ANY; a missing verb is a miss (API Gateway does not
  // fall back to a less specific resource for the verb). Grouped once, at cold start, by resource template.
  const byTemplate = new Map<string, Map<string, CompiledRoute>>();
  for (const route of compiled) {
    const methods = byTemplate.get(route.template) ?? new Map<string, CompiledRoute>();
    methods.set(route.config.method, route);
    byTemplate.set(route.template, methods);
  }
  const onResource = (template: string | undefined, verb: HttpVerb): CompiledRoute | undefined => {
    const methods = template === undefined ? undefined : byTemplate.get(template);
    return methods?.get(verb) ?? methods?.get('ANY');
  };
  return {
    routes: compiled,
    match(verb, path) {
      const parts = concreteParts(path);
      let best: (typeof compiled)[number] | undefined;
      for (const route of parts ? compiled : []) {
        if (segmentsAccept(route.segments, parts!) && (!best || route.rank < best.rank)) {
          best = route;
        }
      }
      return onResource(best?.template, verb);
    },
    byResource(verb, resource) {
      return routePathProblem(resource) ? undefined : onResource(templateKey(resource), verb);
    },
  };
}

/**
 * How the authorizer cache key must be scoped for a route table (see `CacheKeyScope`).
 *
 * Returns `route` when some route R has both an ARN pattern that matches a concrete path of another
 * route Q and a concrete path matched by the ARN pattern of another route Q'. For such tables there
 * are scope sets under which no single policy is exact: allowing Q' needs its pattern, which also
 * covers R; denying R needs its pattern, which also covers Q. Otherwise `token`: for every scope set,
 * Allow for the permitted routes plus Deny for the others (minus Denies that would hit a permitted
 * route) answers every route exactly, so one cached answer serves all of them.
 * @param routes the protected routes, with paths as accepted by {@link routePathProblem}
 */
export function cacheKeyScopeFor(routes: readonly Route[]): CacheKeyScope {
  return findInexactRoutes(routes) ? 'route' : 'token';
}

/**
 * Witnesses of a table that needs `route` scoping, as indices `[r, q, qPrime]` (see
 * {@link cacheKeyScopeFor}), or undefined when `token` scoping is exact.
 */
export function findInexactRoutes(routes: readonly Route[]): [number, number, number] | undefined {
  const hits = patternHitMatrix(routes);
  for (const [r, targets] of hits.entries()) {
    const hitBy = hits.findIndex((other) => other.includes(r));
    if (targets.length && hitBy >= 0) {
      return [r, targets[0], hitBy];
    }
  }
  return undefined;
}

// The analysis runs at validation (findInexactRoutes) and again for the compiled table, on the same
// frozen routes array: computed once per array.
const matrices = new WeakMap<readonly object[], number[][]>();

/** For each route, the other routes having a concrete path its ARN pattern matches. */
function patternHitMatrix(routes: readonly Route[]): number[][] {
  let matrix = matrices.get(routes);
  if (!matrix) {
    const segments = routes.map((route) => parseRoutePath(route.path));
    // Every pattern starts with its literal verb, so two routes meet only if they share a verb.
    const shareVerb = (a: RouteMethod, b: RouteMethod): boolean => a === b || a === 'ANY' || b === 'ANY';
    matrix = routes.map((route, i) =>
      routes.flatMap((other, j) => (j !== i && shareVerb(route.method, other.method) && patternMeetsPath(segments[i], segments[j]) ? [j] : [])),
    );
    if (Object.isFrozen(routes)) {
      matrices.set(routes, matrix);
    }
  }
  return matrix;
}

/**
 * Whether the ARN pattern of route `p` matches some concrete path of route `c`.
 *
 * Works on segments, which is exact here: in a pattern every `*` stands for a whole segment (`/` on both
 * sides, or the end), and concrete paths have no empty segment, so a `*` matches one or more whole
 * segments; the single exception is the pattern `/*`, whose `*` may match nothing and so meets the root
 * path `/`. A literal of the pattern meets a parameter of the path (which takes any one segment).
 * Memoised over the pair of positions, so it is linear in the product of the two lengths.
 */
function patternMeetsPath(p: readonly PathSegment[], c: readonly PathSegment[]): boolean {
  if (!c.length && p.length === 1 && p[0].kind !== 'literal') {
    return true;
  }
  const failed = new Set<number>();
  const meet = (i: number, j: number): boolean => {
    if (i === p.length || j === c.length) {
      return i === p.length && j === c.length;
    }
    const a = p[i];
    const b = c[j];
    const id = i * (c.length + 1) + j;
    if (failed.has(id) || (a.kind === 'literal' && b.kind === 'literal' && a.value !== b.value)) {
      return false;
    }
    // Each side consumes this segment; a `*` of the pattern or a greedy segment of the path may go on.
    const met = meet(i + 1, j + 1) || (a.kind !== 'literal' && meet(i, j + 1)) || (b.kind === 'greedy' && meet(i + 1, j));
    if (!met) {
      failed.add(id);
    }
    return met;
  };
  return meet(0, 0);
}
