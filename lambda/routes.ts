/**
 * The route table: parsing and matching API Gateway resource paths, the execute-api ARN patterns a
 * policy lists, and the analysis that decides whether one cached answer can be exact for every route.
 *
 * PURE: no `jose`, no I/O. The constructs in `lib/` import it at synth (for {@link cacheKeyScopeFor}).
 *
 * Two languages matter for every route (DESIGN.md fact 2):
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

/** The route identity used in logs and messages: `GET /items/{id}`. */
export function routeKey(route: Pick<RouteConfig, 'method' | 'path'>): string {
  return `${route.method} ${route.path}`;
}

// Literal path parts as API Gateway (and CDK's validateResourcePathPart) accept them; none of these
// characters is an IAM wildcard, so a literal never widens an ARN pattern.
const LITERAL_SEGMENT = /^[A-Za-z0-9:._$-]+$/;
const PARAM_SEGMENT = /^\{([A-Za-z0-9_]+)(\+?)\}$/;
/** Longest resource path accepted, in characters. */
export const MAX_ROUTE_PATH_LENGTH = 1024;

/**
 * Why a resource path is not acceptable, or undefined when it is. A path starts with `/`, has no empty
 * segment, and its segments are literals (`[A-Za-z0-9:._$-]+`), `{param}` (`[A-Za-z0-9_]+`) or, last
 * only, a greedy `{proxy+}`.
 */
export function routePathProblem(path: string): string | undefined {
  if (path.length > MAX_ROUTE_PATH_LENGTH) {
    return `must be at most ${MAX_ROUTE_PATH_LENGTH} characters`;
  }
  if (!path.startsWith('/')) {
    return "must start with '/'";
  }
  if (path === '/') {
    return undefined;
  }
  const parts = path.slice(1).split('/');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (part === '') {
      return 'must not have empty segments';
    }
    const param = PARAM_SEGMENT.exec(part);
    if (param) {
      if (param[2] === '+' && i !== parts.length - 1) {
        return 'may have a greedy {name+} segment only as its last segment';
      }
      continue;
    }
    if (part.includes('{') || part.includes('}')) {
      return `segment '${part}' must be a literal or a whole {param} with a name of [A-Za-z0-9_]+`;
    }
    if (!LITERAL_SEGMENT.test(part)) {
      return `segment '${part}' may only hold [A-Za-z0-9:._$-]`;
    }
  }
  return undefined;
}

/** Parses a resource path; throws a plain Error naming the problem when {@link routePathProblem} finds one. */
export function parseRoutePath(path: string): PathSegment[] {
  const problem = routePathProblem(path);
  if (problem !== undefined) {
    throw new Error(`route path '${path}' ${problem}`);
  }
  if (path === '/') {
    return [];
  }
  return path
    .slice(1)
    .split('/')
    .map((part): PathSegment => {
      const param = PARAM_SEGMENT.exec(part);
      if (!param) {
        return { kind: 'literal', value: part };
      }
      return param[2] === '+' ? { kind: 'greedy', name: param[1] } : { kind: 'param', name: param[1] };
    });
}

/**
 * The path part of a route's ARN patterns: the path with every `{param}` and `{proxy+}` replaced by
 * `*`. `/items/{id}` gives `/items/*`.
 */
export function routePathPattern(route: Pick<RouteConfig, 'path'>): string {
  const segments = parseRoutePath(route.path);
  return `/${segments.map((s) => (s.kind === 'literal' ? s.value : '*')).join('/')}`;
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
export function routeArnPattern(route: Pick<RouteConfig, 'method' | 'path'>, apiArnPrefix: string, verb?: HttpVerb): string {
  const chosen = verb ?? (route.method === 'ANY' ? undefined : route.method);
  if (chosen === undefined || !routeVerbs(route).includes(chosen)) {
    throw new Error(`${routeKey(route)} has no ARN pattern for verb ${String(verb)}`);
  }
  return `${apiArnPrefix}/${chosen}${routePathPattern(route)}`;
}

/** Every ARN pattern of a route: one for its verb, or one per verb for `ANY`. */
export function routeArnPatterns(route: Pick<RouteConfig, 'method' | 'path'>, apiArnPrefix: string): string[] {
  const path = routePathPattern(route);
  return routeVerbs(route).map((verb) => `${apiArnPrefix}/${verb}${path}`);
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
  /^arn:(aws[a-z-]{0,16}):execute-api:([a-z]{2}(?:-[a-z]+)+-\d{1,2}):(\d{12}):([a-z0-9]{1,32})\/([A-Za-z0-9_-]{1,128})\/(DELETE|GET|HEAD|OPTIONS|PATCH|POST|PUT)(\/[\x21-\x7e]*)$/;

/**
 * Parses an execute-api method ARN (`arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{VERB}/{path}`),
 * or returns undefined when the value is not one. The path may hold any visible ASCII character.
 */
export function parseMethodArn(value: unknown): MethodArn | undefined {
  if (typeof value !== 'string' || value.length > MAX_METHOD_ARN_LENGTH) {
    return undefined;
  }
  const m = METHOD_ARN.exec(value);
  if (!m) {
    return undefined;
  }
  const [, partition, region, accountId, apiId, stage, verb, path] = m;
  return {
    partition,
    region,
    accountId,
    apiId,
    stage,
    verb: verb as HttpVerb,
    path,
    apiArnPrefix: `arn:${partition}:execute-api:${region}:${accountId}:${apiId}/${stage}`,
    suffix: `${verb}${path}`,
  };
}

/**
 * Whether an IAM Resource pattern matches a value: `*` matches any characters (`/` included, possibly
 * none); every other character matches itself. Linear in practice (greedy with one backtrack point).
 */
export function arnPatternMatches(pattern: string, value: string): boolean {
  let p = 0;
  let v = 0;
  let starP = -1;
  let starV = 0;
  while (v < value.length) {
    if (p < pattern.length && pattern[p] === '*') {
      starP = p++;
      starV = v;
    } else if (p < pattern.length && pattern[p] === value[v]) {
      p++;
      v++;
    } else if (starP >= 0) {
      p = starP + 1;
      v = ++starV;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') {
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

/** A route table compiled once at cold start: a segment trie for matching plus the overlap analysis. */
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

interface TrieNode {
  readonly literals: Map<string, TrieNode>;
  param?: TrieNode;
  /** Routes whose greedy segment starts here, by method. */
  readonly greedy: Map<RouteMethod, CompiledRoute>;
  /** Routes whose path ends here, by method. */
  readonly methods: Map<RouteMethod, CompiledRoute>;
}

const newNode = (): TrieNode => ({ literals: new Map(), greedy: new Map(), methods: new Map() });

function splitConcretePath(path: string): string[] | undefined {
  if (path === '/') {
    return [];
  }
  if (!path.startsWith('/')) {
    return undefined;
  }
  const parts = path.slice(1).split('/');
  return parts.includes('') ? undefined : parts;
}

function segmentsAccept(segments: readonly PathSegment[], parts: readonly string[]): boolean {
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    if (segment.kind === 'greedy') {
      return parts.length > i;
    }
    if (i >= parts.length || (segment.kind === 'literal' && segment.value !== parts[i])) {
      return false;
    }
  }
  return parts.length === segments.length;
}

function pickMethod(methods: Map<RouteMethod, CompiledRoute>, verb: HttpVerb): CompiledRoute | undefined {
  return methods.get(verb) ?? methods.get('ANY');
}

/**
 * Compiles a validated route table (paths as accepted by {@link routePathProblem}, no duplicates).
 * The overlap analysis behind `patternHits` is quadratic in the number of routes but cheap per pair
 * (about 10 ms for 300 routes on one core); it runs once, on first use.
 */
export function compileRouteTable(routes: readonly RouteConfig[]): RouteTable {
  const shapes = routes.map(routeShape);
  // Only `token`-scoped answers need the overlap analysis: computed on first use, then kept.
  let hits: number[][] | undefined;
  const compiled: CompiledRoute[] = shapes.map((shape, index) => ({
    index,
    config: shape.config,
    key: routeKey(shape.config),
    verbs: routeVerbs(shape.config),
    pathPattern: shape.pathPattern,
    segments: shape.segments,
    get patternHits(): readonly number[] {
      hits ??= patternHitMatrixOf(routes, shapes);
      return hits[index];
    },
    accepts(verb: HttpVerb, path: string): boolean {
      if (shape.config.method !== 'ANY' && shape.config.method !== verb) {
        return false;
      }
      const parts = splitConcretePath(path);
      return parts !== undefined && segmentsAccept(shape.segments, parts);
    },
  }));

  const root = newNode();
  const byPath = new Map<string, Map<RouteMethod, CompiledRoute>>();
  for (const route of compiled) {
    let node = root;
    for (const segment of route.segments) {
      if (segment.kind === 'greedy') {
        node.greedy.set(route.config.method, route);
        break;
      }
      if (segment.kind === 'param') {
        node = node.param ??= newNode();
      } else {
        let next = node.literals.get(segment.value);
        if (!next) {
          next = newNode();
          node.literals.set(segment.value, next);
        }
        node = next;
      }
    }
    if (route.segments.at(-1)?.kind !== 'greedy') {
      node.methods.set(route.config.method, route);
    }
    const template = templateKey(route.segments);
    let methods = byPath.get(template);
    if (!methods) {
      methods = new Map();
      byPath.set(template, methods);
    }
    methods.set(route.config.method, route);
  }

  // Depth-first in API Gateway's precedence order; the first resource that exists wins, and a missing
  // verb on it is a miss (API Gateway does not fall back to a less specific resource for the verb).
  const findResource = (node: TrieNode, parts: readonly string[], i: number): Map<RouteMethod, CompiledRoute> | undefined => {
    if (i === parts.length) {
      return node.methods.size > 0 ? node.methods : undefined;
    }
    const literal = node.literals.get(parts[i]);
    const viaLiteral = literal && findResource(literal, parts, i + 1);
    if (viaLiteral) {
      return viaLiteral;
    }
    const viaParam = node.param && findResource(node.param, parts, i + 1);
    if (viaParam) {
      return viaParam;
    }
    return node.greedy.size > 0 ? node.greedy : undefined;
  };

  return {
    routes: compiled,
    match(verb: HttpVerb, path: string): CompiledRoute | undefined {
      const parts = splitConcretePath(path);
      const methods = parts && findResource(root, parts, 0);
      return methods && pickMethod(methods, verb);
    },
    byResource(verb: HttpVerb, resource: string): CompiledRoute | undefined {
      if (routePathProblem(resource) !== undefined) {
        return undefined;
      }
      const methods = byPath.get(templateKey(parseRoutePath(resource)));
      return methods && pickMethod(methods, verb);
    },
  };
}

// Parameter names do not change which requests a resource receives: `/a/{id}` and `/a/{name}` are
// the same resource shape (API Gateway allows one variable child per resource).
function templateKey(segments: readonly PathSegment[]): string {
  return segments.map((s) => (s.kind === 'literal' ? `/${s.value}` : s.kind === 'param' ? '/{}' : '/{+}')).join('') || '/';
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
export function cacheKeyScopeFor(routes: readonly Pick<RouteConfig, 'method' | 'path'>[]): CacheKeyScope {
  return findInexactRoutes(routes) === undefined ? 'token' : 'route';
}

/**
 * Witnesses of a table that needs `route` scoping, as indices `[r, q, qPrime]` (see
 * {@link cacheKeyScopeFor}), or undefined when `token` scoping is exact.
 */
export function findInexactRoutes(routes: readonly Pick<RouteConfig, 'method' | 'path'>[]): [number, number, number] | undefined {
  const hits = patternHitMatrixOf(routes);
  const hitBy = routes.map((): number[] => []);
  hits.forEach((targets, source) => targets.forEach((target) => hitBy[target].push(source)));
  for (let r = 0; r < routes.length; r++) {
    if (hits[r].length > 0 && hitBy[r].length > 0) {
      return [r, hits[r][0], hitBy[r][0]];
    }
  }
  return undefined;
}

interface RouteShape {
  readonly config: Pick<RouteConfig, 'method' | 'path'>;
  readonly segments: readonly PathSegment[];
  readonly pathPattern: string;
}

function routeShape(config: Pick<RouteConfig, 'method' | 'path'>): RouteShape {
  return { config, segments: parseRoutePath(config.path), pathPattern: routePathPattern(config) };
}

// The analysis runs at validation (findInexactRoutes) and again for the compiled table, on the same
// frozen routes array: computed once per array.
const matrices = new WeakMap<readonly object[], number[][]>();

function patternHitMatrixOf(routes: readonly Pick<RouteConfig, 'method' | 'path'>[], shapes?: readonly RouteShape[]): number[][] {
  let matrix = matrices.get(routes);
  if (!matrix) {
    matrix = patternHitMatrix(shapes ?? routes.map(routeShape));
    if (Object.isFrozen(routes)) {
      matrices.set(routes, matrix);
    }
  }
  return matrix;
}

/** For each route, the other routes having a concrete path its ARN pattern matches. */
function patternHitMatrix(shapes: readonly RouteShape[]): number[][] {
  const automata = shapes.map(concreteAutomaton);
  // A cheap necessary condition first: a shared path starts with both the pattern's literal prefix (up
  // to its first `*`) and the concrete literal prefix (up to its first parameter), so one of the two
  // prefixes must be a prefix of the other.
  const patternPrefixes = shapes.map((shape) => shape.pathPattern.split('*')[0]);
  const concretePrefixes = shapes.map((shape) => shape.config.path.split('{')[0]);
  const prefixesAgree = (i: number, j: number): boolean => {
    const x = patternPrefixes[i];
    const y = concretePrefixes[j];
    return x.length <= y.length ? y.startsWith(x) : x.startsWith(y);
  };
  // Every pattern starts with its literal verb, so two routes meet only if they share a verb.
  const shareVerb = (i: number, j: number): boolean => {
    const a = shapes[i].config.method;
    const b = shapes[j].config.method;
    return a === 'ANY' || b === 'ANY' || a === b;
  };
  return shapes.map((shape, i) => {
    const targets: number[] = [];
    for (let j = 0; j < shapes.length; j++) {
      if (j !== i && shareVerb(i, j) && prefixesAgree(i, j) && patternIntersects(shape.pathPattern, automata[j])) {
        targets.push(j);
      }
    }
    return targets;
  });
}

/** A character predicate of the concrete-path automaton: one given character, or any character but `/`. */
type CharClass = string | typeof NOT_SLASH;
const NOT_SLASH = Symbol('not-slash');

/** An epsilon-free NFA over concrete request paths. */
interface Automaton {
  readonly start: number;
  readonly accept: number;
  readonly edges: ReadonlyArray<ReadonlyArray<readonly [CharClass, number]>>;
}

function concreteAutomaton(shape: RouteShape): Automaton {
  const edges: Array<Array<readonly [CharClass, number]>> = [];
  const state = (): number => edges.push([]) - 1;
  const start = state();
  let current = state();
  edges[start].push(['/', current]);
  shape.segments.forEach((segment, k) => {
    if (k > 0) {
      const next = state();
      edges[current].push(['/', next]);
      current = next;
    }
    if (segment.kind === 'literal') {
      for (const ch of segment.value) {
        const next = state();
        edges[current].push([ch, next]);
        current = next;
      }
      return;
    }
    const inSegment = state();
    edges[current].push([NOT_SLASH, inSegment]);
    edges[inSegment].push([NOT_SLASH, inSegment]);
    if (segment.kind === 'greedy') {
      const afterSlash = state();
      edges[inSegment].push(['/', afterSlash]);
      edges[afterSlash].push([NOT_SLASH, inSegment]);
    }
    current = inSegment;
  });
  return { start, accept: current, edges };
}

/**
 * Whether a path pattern (`*` = any string) and a concrete-path automaton share a string.
 * Depth-first search of the product automaton; exact, because every character class is satisfiable
 * by a character outside the finite set of literals. The visited set is a generation-stamped buffer
 * shared across calls, so the quadratic analysis of a large table allocates almost nothing.
 */
function patternIntersects(pattern: string, automaton: Automaton): boolean {
  const n = pattern.length;
  const states = automaton.edges.length;
  const size = (n + 1) * states;
  if (visited.length < size) {
    visited = new Uint32Array(Math.max(size, visited.length * 2));
    generation = 0;
  }
  if (++generation === 0xffffffff) {
    visited.fill(0);
    generation = 1;
  }
  const stack: number[] = [];
  const push = (p: number, s: number): void => {
    // A `*` may match nothing: its position is also the position after it.
    for (;;) {
      const id = p * states + s;
      if (visited[id] === generation) {
        return;
      }
      visited[id] = generation;
      stack.push(p, s);
      if (p < n && pattern[p] === '*') {
        p++;
      } else {
        return;
      }
    }
  };
  push(0, automaton.start);
  while (stack.length > 0) {
    const s = stack.pop() as number;
    const p = stack.pop() as number;
    if (p === n) {
      if (s === automaton.accept) {
        return true;
      }
      continue;
    }
    const wildcard = pattern[p] === '*';
    for (const [cls, target] of automaton.edges[s]) {
      if (wildcard) {
        push(p, target);
      } else if (cls === NOT_SLASH ? pattern[p] !== '/' : cls === pattern[p]) {
        push(p + 1, target);
      }
    }
  }
  return false;
}

let visited = new Uint32Array(4096);
let generation = 0;
