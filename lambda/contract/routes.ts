/**
 * The route table: parsing and matching API Gateway resource paths, the execute-api ARN patterns a
 * policy lists, and the analysis that decides whether one cached answer can be exact for every route.
 *
 * PURE: no `jose`, no I/O. The constructs in `lib/` import it at synth (for {@link cacheKeyScopeFor}).
 *
 * Two languages matter for every route, because API Gateway reuses a cached answer for every route
 * called with the same identity source:
 * - its concrete paths: what reaches the authorizer's `methodArn` for it. Path parameters arrive
 *   unencoded, so a `{param}` or `{proxy+}` value may be any non-empty text, `/`, `:`, `*` and `?`
 *   included; only the literal segments are fixed;
 * - its ARN pattern: what the policy Resources built from it match. Every pattern is a "prefix pattern":
 *   the route's literal path up to its first parameter followed by `*` (`/items/{id}/parts` gives
 *   `/items/*`), or, for a route without parameters, its exact path. Its only wildcard is its last
 *   character.
 *
 * IAM documents two readings of a Resource wildcard, and a cached policy must be right under both:
 * (a) `*` matches any run of characters ({@link arnPatternMatches}); (b) ARNs are matched segment by
 * segment, so a `*` inside the resource part does not cross the `:` that separates ARN segments, except a
 * `*` that ends the pattern ({@link arnPatternMatchesWithinSegments}). For a prefix pattern the two
 * readings agree on every value: everything before its final `*` is literal, and a final `*` matches any
 * rest under both. So every answer is built from prefix patterns, and exactness proven under (a) holds
 * under (b). An `ANY` route gets one pattern per verb rather than a `*` verb, which would be a wildcard
 * in the middle of the pattern.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
 */
import type { CacheKeyScope, RouteConfig, RouteMethod } from './config-types';
import { itemAt } from './item-at';

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

// The grammar of routePathProblem in one expression: `/`-separated literal and `{param}` segments, then at
// most one greedy `{proxy+}` (`\w` is [A-Za-z0-9_]). It also matches '', which isRoutePath refuses.
const ROUTE_PATH = /^(?:\/(?:[\w:.$-]+|\{\w+\}))*(?:\/\{\w+\+\})?$/;

/**
 * Whether a resource path is acceptable: what {@link routePathProblem} accepts, without saying why not
 * (so the bundled runtime, which validates with this, does not carry the texts).
 * @param path the resource path
 */
export function isRoutePath(path: string): boolean {
  return path.length <= MAX_ROUTE_PATH_LENGTH && (path === '/' || (path !== '' && ROUTE_PATH.test(path)));
}

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
  return segmentsOf(path);
}

/**
 * The segments of a path of a validated table; a path {@link isRoutePath} refuses throws a plain Error
 * naming it (without the reason, which only {@link routePathProblem} spells out).
 */
function segmentsOf(path: string): PathSegment[] {
  if (!isRoutePath(path)) {
    throw new Error(`route path '${path}' is invalid`);
  }
  return partsOf(path).map((part): PathSegment => {
    const param = PARAM_SEGMENT.exec(part);
    return !param || param[1] === undefined ? { kind: 'literal', value: part } : { kind: param[2] ? 'greedy' : 'param', name: param[1] };
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
 * The path part of a route's ARN pattern (a prefix pattern): the literal path up to the first `{param}`
 * or `{proxy+}` followed by `*`, or the exact path of a route without parameters. `/items/{id}` and
 * `/items/{id}/parts` give `/items/*`, `/{proxy+}` gives `/*`, `/items` gives `/items`.
 */
export function routePathPattern(route: Pick<RouteConfig, 'path'>): string {
  return prefixPatternOf(parseRoutePath(route.path));
}

/**
 * Every path pattern of a route: its prefix pattern and, for a route without parameters (other than the
 * root), the same path with a trailing `/`. API Gateway sends `GET /items/` to the `/items` resource with
 * `/items/` in the method ARN, so a route's Allow and Deny must name that form too: otherwise the Allow
 * `GET/items/*` of a permitted `/items/{id}` would cover `/items/` of a refused `/items` in a cached answer.
 * A pattern ending in `*` already covers its trailing-slash forms.
 */
export function routePathPatterns(route: Pick<RouteConfig, 'path'>): readonly string[] {
  return pathPatternsOf(prefixPatternOf(parseRoutePath(route.path)));
}

const pathPatternsOf = (pattern: string): readonly string[] => (pattern.endsWith('*') || pattern === '/' ? [pattern] : [pattern, `${pattern}/`]);

const prefixPatternOf = (segments: readonly PathSegment[]): string => patternOf(shapeOf(globOf(segments)));

/** The prefix pattern of a route shape: its literal prefix, followed by `*` when the route has a parameter. */
const patternOf = (shape: RouteShape): string => (shape.open ? `${shape.literal}*` : shape.literal);

/** The verbs a route receives: its method, or every verb for `ANY`. */
export function routeVerbs(route: Pick<RouteConfig, 'method'>): readonly HttpVerb[] {
  return route.method === 'ANY' ? HTTP_VERBS : [route.method];
}

/**
 * The verbs API Gateway sends to each route of a table: its method, or for `ANY` every verb that no route
 * of the same resource (same {@link templateKey}) names exactly, since on a resource the exact verb wins
 * over `ANY`. This precedence holds whatever the request path looks like, because both routes sit on the
 * one resource the path selected.
 * @param routes the route table, with paths as accepted by {@link routePathProblem}
 */
export function receivedVerbs(routes: readonly Route[]): ReadonlyArray<readonly HttpVerb[]> {
  const exact = new Set(routes.filter((route) => route.method !== 'ANY').map((route) => `${route.method} ${templateKey(route.path)}`));
  return routes.map((route) => {
    const verbs = routeVerbs(route);
    return route.method === 'ANY' ? verbs.filter((verb) => !exact.has(`${verb} ${templateKey(route.path)}`)) : verbs;
  });
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

/**
 * Every ARN pattern of a route: for each of its verbs (one, or all for `ANY`), each of its
 * {@link routePathPatterns} (the trailing-slash form of a route without parameters included).
 */
export function routeArnPatterns(route: Route, apiArnPrefix: string): string[] {
  const paths = routePathPatterns(route);
  return routeVerbs(route).flatMap((verb) => paths.map((path) => `${apiArnPrefix}/${verb}${path}`));
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
  // No group of METHOD_ARN is optional, so a match holds all ten strings; checked all the same.
  if (m.some((group) => group === undefined)) {
    return undefined;
  }
  const [, apiArnPrefix, partition, region, accountId, apiId, stage, suffix, verb, path] = m as unknown as readonly [string, string, string, string, string, string, string, string, string, string];
  return { partition, region, accountId, apiId, stage, verb: verb as HttpVerb, path, apiArnPrefix, suffix };
}

const STAR = 42;
const QUESTION = 63;

/**
 * Whether `pattern[ps, pe)` matches `value[vs, ve)`: `*` matches any run of characters (possibly none),
 * `?` exactly one, every other character itself. With `openEnd`, a match of a prefix of the value is
 * enough. Greedy with one backtrack point: linear in practice, no allocation.
 */
function globMatches(pattern: string, ps: number, pe: number, value: string, vs: number, ve: number, openEnd: boolean): boolean {
  let p = ps;
  let v = vs;
  let starP = -1;
  let starV = 0;
  while (v < ve) {
    if (p === pe && openEnd) {
      return true;
    }
    const c = p < pe ? pattern.charCodeAt(p) : -1;
    if (c === STAR) {
      starP = p++;
      starV = v;
    } else if (c !== -1 && (c === QUESTION || c === value.charCodeAt(v))) {
      p++;
      v++;
    } else if (starP >= 0) {
      p = starP + 1;
      v = ++starV;
    } else {
      return false;
    }
  }
  while (p < pe && pattern.charCodeAt(p) === STAR) {
    p++;
  }
  return p === pe;
}

/**
 * Whether an IAM Resource pattern matches a value under reading (a): `*` matches any characters (`/`
 * and `:` included, possibly none), `?` exactly one; every other character matches itself.
 */
export function arnPatternMatches(pattern: string, value: string): boolean {
  return globMatches(pattern, 0, pattern.length, value, 0, value.length, false);
}

/**
 * Whether an IAM Resource pattern matches a value under reading (b), segment by segment: a `*` or `?`
 * never matches the `:` that separates ARN segments, except a `*` that is the pattern's last character,
 * which matches any rest. Each `:` of the value must therefore meet a `:` of the pattern, so the two are
 * compared colon-separated part by colon-separated part. Linear in practice, no allocation.
 */
export function arnPatternMatchesWithinSegments(pattern: string, value: string): boolean {
  const openEnd = pattern.length > 0 && pattern.charCodeAt(pattern.length - 1) === STAR;
  const end = openEnd ? pattern.length - 1 : pattern.length;
  let ps = 0;
  let vs = 0;
  for (;;) {
    const pColon = pattern.indexOf(':', ps);
    const pe = pColon < 0 || pColon >= end ? end : pColon;
    const vColon = value.indexOf(':', vs);
    const ve = vColon < 0 ? value.length : vColon;
    if (pe === end) {
      // The pattern's last part: with a final `*` it need only match the start of this value part (the
      // `*` takes the rest, colons included); without one, it must match the value's last part exactly.
      return openEnd ? globMatches(pattern, ps, pe, value, vs, ve, true) : vColon < 0 && globMatches(pattern, ps, pe, value, vs, ve, false);
    }
    if (vColon < 0 || !globMatches(pattern, ps, pe, value, vs, ve, false)) {
      return false;
    }
    ps = pe + 1;
    vs = ve + 1;
  }
}

/** Whether a pattern is a prefix pattern: its only wildcard, if any, is a final `*`. */
export function isPrefixPattern(pattern: string): boolean {
  const star = pattern.indexOf('*');
  return !pattern.includes('?') && (star < 0 || star === pattern.length - 1);
}

/** A route of a compiled table. */
export interface CompiledRoute {
  /** Position in the configured table. */
  readonly index: number;
  /** The configured route. */
  readonly config: RouteConfig;
  /** `GET /items/{id}`. */
  readonly key: string;
  /**
   * The verbs the route receives ({@link receivedVerbs}): its method, or for `ANY` the verbs no exact route
   * of the same resource takes. Its answers name only these.
   */
  readonly verbs: readonly HttpVerb[];
  /** {@link routePathPattern} of the route. */
  readonly pathPattern: string;
  /** {@link routePathPatterns} of the route: its patterns are `{apiArnPrefix}/{VERB}{pathPattern}` for each verb and each of these. */
  readonly pathPatterns: readonly string[];
  /** The parsed resource path. */
  readonly segments: readonly PathSegment[];
  /**
   * Indices of the other routes that have a concrete path this route's ARN pattern matches. A Deny of
   * this route's pattern would also deny those routes, so it is left out when one of them is allowed.
   */
  readonly patternHits: readonly number[];
  /**
   * Whether a concrete request (verb and path) belongs to this route's language (precedence ignored):
   * its literal segments in place, each parameter one or more characters of any kind (`/` included, as
   * an encoded slash reaches the method ARN decoded), with or without one trailing `/`.
   */
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

/**
 * A request path without its one trailing `/`, which API Gateway ignores when it picks the resource
 * (`/items/` goes to `/items`); undefined when the path has none, or is `/` or `//`.
 */
const withoutTrailingSlash = (path: string): string | undefined => (path.length > 2 && path.endsWith('/') ? path.slice(0, -1) : undefined);

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
 * Compiles a route table (no duplicates), after checking every path with {@link parseRoutePath}, whose
 * error names the problem of a bad one. See {@link compileValidatedRouteTable}.
 */
export function compileRouteTable(routes: readonly RouteConfig[]): RouteTable {
  return compileValidatedRouteTable(checkedPaths(routes));
}

/**
 * Compiles a validated route table (paths as accepted by {@link routePathProblem}, no duplicates), as
 * `parseConfig` and `parseRuntimeConfig` return it; a bad path still throws, without its reason.
 * Matching scans the table, like the policy every answer builds over it. The overlap analysis behind
 * `patternHits` is quadratic in the number of routes but cheap per pair; it runs once, on first use.
 */
export function compileValidatedRouteTable(routes: readonly RouteConfig[]): RouteTable {
  let hits: number[][] | undefined;
  const received = receivedVerbs(routes);
  const compiled = routes.map((config, index) => {
    const segments = segmentsOf(config.path);
    const glob = globOf(segments);
    const pathPattern = patternOf(shapeOf(glob));
    return {
      index,
      config,
      key: routeKey(config),
      verbs: itemAt(received, index),
      pathPattern,
      pathPatterns: pathPatternsOf(pathPattern),
      segments,
      template: templateKey(config.path),
      rank: segments.map((s) => RANK[s.kind]).join(''),
      get patternHits(): readonly number[] {
        return itemAt((hits ??= patternHitMatrix(routes)), index);
      },
      accepts(verb: HttpVerb, path: string): boolean {
        return (config.method === 'ANY' || config.method === verb) && (arnPatternMatches(glob, path) || arnPatternMatches(glob, withoutTrailingSlash(path) ?? path));
      },
    };
  });
  // On the resource found, the exact verb wins over ANY; a missing verb is a miss (API Gateway does not
  // fall back to a less specific resource for the verb). Grouped once, at cold start, by resource template.
  const byResourceMethod = new Map<string, CompiledRoute>(compiled.map((route) => [`${route.config.method} ${route.template}`, route]));
  const onResource = (template: string | undefined, verb: HttpVerb): CompiledRoute | undefined =>
    template === undefined ? undefined : (byResourceMethod.get(`${verb} ${template}`) ?? byResourceMethod.get(`ANY ${template}`));
  return {
    routes: compiled,
    match(verb, path) {
      const parts = concreteParts(withoutTrailingSlash(path) ?? path);
      let best: (typeof compiled)[number] | undefined;
      for (const route of parts ? compiled : []) {
        if (segmentsAccept(route.segments, parts!) && (!best || route.rank < best.rank)) {
          best = route;
        }
      }
      return onResource(best?.template, verb);
    },
    byResource(verb, resource) {
      return isRoutePath(resource) ? onResource(templateKey(resource), verb) : undefined;
    },
  };
}

/**
 * How the authorizer cache key must be scoped for a route table (see `CacheKeyScope`).
 *
 * A `token`-scoped answer lists Allow on the ARN pattern of every route the token may call and Deny on
 * the pattern of every other route, except a Deny whose pattern would also match a concrete path of a
 * permitted route. Scopes are ignored here, because a claim condition or a custom check may refuse any
 * route: every set of permitted routes must get an exact answer.
 *
 * That fails when there are routes R, Q and R' such that R's pattern matches a concrete path of Q, and
 * Q's pattern matches a concrete path of R' (R' may be R). A token permitted R and R' but not Q needs a
 * Deny of Q (else R's Allow covers Q's path) and no Deny of Q (else R' is refused on some path): no single
 * policy is exact, so the table gets `route`. Otherwise every route is exact for every permitted set: a
 * permitted route meets its own Allow and no Deny; a refused route that some Allow reaches has its own
 * Deny listed (its pattern reaches no permitted route), and a refused route that no Allow reaches is
 * denied by default. The analysis works on prefix patterns, for which both readings of IAM wildcards
 * agree, so the answer is exact under both.
 *
 * API Gateway's precedence between methods of one resource is used: an `ANY` route receives, and its
 * answers name, only the verbs no exact route of its resource takes ({@link receivedVerbs}), so `ANY
 * /items/{id}` next to `GET /items/{id}` is exact per token. Precedence between resources (a literal
 * segment before `{param}`, before `{proxy+}`) is not: it picks the resource from the path as sent, while
 * the method ARN holds the path decoded, so it does not separate the ARNs of two routes. `/items/special%2F`
 * goes to `/items/{id}` (its segment is not `special`) with the method ARN of `GET /items/special/`, which
 * goes to `/items/special`: one policy cannot allow one and refuse the other, and the pair stays `route`.
 * The analysis errs towards `route` only: parameters take any text (an encoded `/` included), and routes
 * are compared whole rather than verb by verb.
 * @param routes the protected routes, with paths as accepted by {@link routePathProblem}
 */
export function cacheKeyScopeFor(routes: readonly Route[]): CacheKeyScope {
  return findInexactRoutes(checkedPaths(routes)) ? 'route' : 'token';
}

/**
 * Witnesses of a table that needs `route` scoping, as indices `[q, rPrime, r]`: the pattern of `q`
 * matches concrete paths of `rPrime`, and the pattern of `r` matches concrete paths of `q` (see
 * {@link cacheKeyScopeFor}); undefined when `token` scoping is exact.
 */
export function findInexactRoutes(routes: readonly Route[]): [number, number, number] | undefined {
  const hits = patternHitMatrix(routes);
  for (const [q, targets] of hits.entries()) {
    const hitBy = hits.findIndex((other) => other.includes(q));
    const [target] = targets;
    if (target !== undefined && hitBy >= 0) {
      return [q, target, hitBy];
    }
  }
  return undefined;
}

/** The routes, once every path has passed {@link parseRoutePath}, which names the problem of a bad one. */
function checkedPaths<T extends readonly Route[]>(routes: T): T {
  routes.forEach((route) => parseRoutePath(route.path));
  return routes;
}

/** The ARN pattern of a route with its method in front, for messages: `GET/items/*`, `ANY/files/*` (one per verb). */
const describedPattern = (route: Route): string => `${route.method}${routePathPattern(route)}`;

/**
 * Why a route table gets its cache key scope, in one sentence for synth annotations and reports.
 * @param routes the protected routes, with paths as accepted by {@link routePathProblem}
 */
export function cacheKeyScopeReason(routes: readonly Route[]): string {
  const witness = findInexactRoutes(checkedPaths(routes));
  if (!witness) {
    return `one cached answer per token is exact for every route: no route's ARN pattern reaches the paths of a route whose own pattern reaches a third`;
  }
  const [q, rPrime, r] = witness.map((i) => itemAt(routes, i)) as [Route, Route, Route];
  return (
    `the ARN pattern ${describedPattern(r)} of ${routeKey(r)} matches paths of ${routeKey(q)}, whose own pattern ${describedPattern(q)} matches paths of ${routeKey(rPrime)}: ` +
    `no single cached policy allows ${r === rPrime ? routeKey(r) : `${routeKey(r)} and ${routeKey(rPrime)}`} but refuses ${routeKey(q)}, so each answer is cached per method and resource`
  );
}

// The analysis runs at validation (findInexactRoutes) and again for the compiled table, on the same
// frozen routes array: computed once per array.
const matrices = new WeakMap<readonly object[], number[][]>();

/** For each route, the other routes having a concrete path its ARN pattern matches. */
function patternHitMatrix(routes: readonly Route[]): number[][] {
  let matrix = matrices.get(routes);
  if (!matrix) {
    const shapes = routes.map((route) => shapeOf(globOf(segmentsOf(route.path))));
    // Every pattern starts with its literal verb, so two routes meet only if one receives a verb the other
    // does (an ANY route names only the verbs it receives: see receivedVerbs).
    const verbs = receivedVerbs(routes);
    const shareVerb = (i: number, j: number): boolean => itemAt(verbs, i).some((verb) => itemAt(verbs, j).includes(verb));
    matrix = routes.map((_, i) => routes.flatMap((_other, j) => (j !== i && shareVerb(i, j) && patternMeetsPath(itemAt(shapes, i), itemAt(shapes, j)) ? [j] : [])));
    if (Object.isFrozen(routes)) {
      matrices.set(routes, matrix);
    }
  }
  return matrix;
}

/** What the analysis needs of a route: its pattern, and its concrete paths as a glob. */
interface RouteShape {
  /**
   * The path pattern without its final `*`, which is also the literal text of the path before its first
   * parameter: the literal prefix (`/items/` for `/items/{id}`), or the whole path.
   */
  readonly literal: string;
  /** Whether the pattern ends with `*` (the route has a parameter). */
  readonly open: boolean;
  /** The concrete paths as a reading-(a) glob: every parameter is `?*`, one or more characters of any kind. */
  readonly glob: string;
}

/** A route's concrete paths as a reading-(a) glob: every parameter becomes `?*` (one or more characters). */
const globOf = (segments: readonly PathSegment[]): string => `/${segments.map((s) => (s.kind === 'literal' ? s.value : '?*')).join('/')}`;

/** The shape of a route from its glob: a literal never holds `?`, so the first `?` opens the first parameter. */
function shapeOf(glob: string): RouteShape {
  const hole = glob.indexOf('?');
  return { literal: hole < 0 ? glob : glob.slice(0, hole), open: hole >= 0, glob };
}

/**
 * Whether an ARN pattern of route `p` matches some concrete path of route `c`, parameter values being
 * any non-empty text (`/` included), and every path also taken with one trailing `/`.
 *
 * An exact pattern (no parameter; with its trailing-slash form) matches a path of `c` iff it is one: a
 * glob match. An open pattern `L*` matches a path of `c` iff some path of `c` starts with `L`: when `c`
 * has a parameter, iff `L` and the literal prefix of `c` (its text before the first parameter) agree on
 * their common length, since the parameter can take the rest of `L` and more; when `c` has none, iff its
 * path, or that path with a trailing `/`, starts with `L`.
 */
function patternMeetsPath(p: RouteShape, c: RouteShape): boolean {
  if (!p.open) {
    return pathPatternsOf(p.literal).some((pattern) => arnPatternMatches(c.glob, pattern) || arnPatternMatches(`${c.glob}/`, pattern));
  }
  if (!c.open) {
    return c.literal.startsWith(p.literal) || (c.literal !== '/' && `${c.literal}/`.startsWith(p.literal));
  }
  return c.literal.startsWith(p.literal) || p.literal.startsWith(c.literal);
}
