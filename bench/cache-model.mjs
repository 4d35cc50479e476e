#!/usr/bin/env node
// The authorizer cache model: how many authorizer calls API Gateway makes per 1,000 requests for each cache
// key scope, on three route tables, under one deterministic hour of traffic. Every answer is built by the
// real policy functions (lambda/policy.ts over lambda/contract/routes.ts, bundled here on the fly) and every
// cached answer is replayed on each request it serves, under both readings of IAM wildcards, so a mode that
// cannot answer a table exactly shows its wrong decisions.
//
// `node bench/cache-model.mjs` prints the report; bench/run.mjs imports `cacheModelReport`.
import { execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The commit before API Gateway's verb precedence entered the route analysis: the "before" column. */
const BEFORE_PRECEDENCE = '79aff069bc8f9f832f5d1297b0d89e27ce750809';

/** Cache TTL of the authorizer (seconds), token lifetime (seconds), length of the replayed traffic (seconds). */
const TTL = 300;
const TOKEN_LIFETIME = 3600;
const HOUR = 3600;
/** Clients (one token at a time each) and requests per table. */
const CLIENTS = 200;
const REQUESTS = 20_000;
const SEED = 0x5eed_cace;

/**
 * Bundles TypeScript sources of this repository into one ES module and imports it.
 * @param {string} contents the entry (ES module source, importing repository files)
 * @param {import('esbuild').Plugin[]} [plugins]
 */
async function importBundled(contents, plugins = []) {
  const result = await build({
    stdin: { contents, resolveDir: root, loader: 'ts', sourcefile: 'cache-model-entry.ts' },
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    write: false,
    logLevel: 'silent',
    plugins,
  });
  return import(`data:text/javascript;base64,${Buffer.from(result.outputFiles[0].text).toString('base64')}`);
}

/** The route analysis as it was before verb precedence, read from git; undefined when git or the commit is unavailable. */
async function analysisBeforePrecedence() {
  const fromGit = {
    name: 'git-commit',
    setup(b) {
      b.onLoad({ filter: /[\\/]lambda[\\/]contract[\\/][^\\/]+\.ts$/ }, (args) => ({
        contents: execFileSync('git', ['show', `${BEFORE_PRECEDENCE}:${args.path.slice(root.length + 1).split('\\').join('/')}`], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
        loader: 'ts',
      }));
    },
  };
  try {
    return (await importBundled(`export { cacheKeyScopeFor } from './lambda/contract/routes';`, [fromGit])).cacheKeyScopeFor;
  } catch {
    return undefined;
  }
}

/** Mulberry32: a small seeded PRNG, so every run replays the same traffic. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A Zipf(s = 1) sampler over n items: item i has weight 1 / (i + 1). */
function zipf(n, random) {
  const cumulative = [];
  let total = 0;
  for (let i = 0; i < n; i++) cumulative.push((total += 1 / (i + 1)));
  return () => {
    const x = random() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

const READ = ['read'];
const WRITE = ['write'];
const ADMIN = ['admin'];

/** The demo stack's table (lib/demo/secure-api-stack.ts); the admin route's group condition is modelled as a scope. */
const DEMO = [
  { method: 'GET', path: '/items', scopes: READ },
  { method: 'GET', path: '/items/{id}', scopes: READ },
  { method: 'POST', path: '/items', scopes: WRITE },
  { method: 'DELETE', path: '/items/{id}', scopes: WRITE },
  { method: 'GET', path: '/admin/stats', scopes: ADMIN },
];

/**
 * A generated table of `services` services, five routes each, cycling through shapes: collections with
 * `{id}` items, `{proxy+}` file trees (an ANY next to an exact GET on one resource in some), and, with
 * `literalSiblings`, a literal-vs-parameter sibling (`/search` next to `/{id}`) in every fourth service.
 */
function generatedTable(services, literalSiblings) {
  const routes = [];
  for (let s = 0; s < services; s++) {
    const base = `/svc${s}`;
    switch (s % 4) {
      case 0:
        routes.push(
          { method: 'GET', path: `${base}/items`, scopes: READ },
          { method: 'POST', path: `${base}/items`, scopes: WRITE },
          { method: 'GET', path: `${base}/items/{id}`, scopes: READ },
          { method: 'PUT', path: `${base}/items/{id}`, scopes: WRITE },
          { method: 'DELETE', path: `${base}/items/{id}`, scopes: ADMIN },
        );
        break;
      case 1:
        routes.push(
          { method: 'GET', path: `${base}/files`, scopes: READ },
          { method: 'GET', path: `${base}/files/{proxy+}`, scopes: READ },
          { method: 'ANY', path: `${base}/files/{proxy+}`, scopes: WRITE },
          { method: 'GET', path: `${base}/orders/{orderId}/lines`, scopes: READ },
          { method: 'POST', path: `${base}/orders`, scopes: WRITE },
        );
        break;
      case 2:
        routes.push(
          { method: 'GET', path: `${base}/users/{userId}`, scopes: READ },
          { method: 'ANY', path: `${base}/users/{userId}`, scopes: ADMIN },
          { method: 'GET', path: `${base}/users`, scopes: READ },
          { method: 'GET', path: `${base}/health/deep`, scopes: ADMIN },
          { method: 'ANY', path: `${base}/admin/{proxy+}`, scopes: ADMIN },
        );
        break;
      default:
        routes.push(
          { method: 'GET', path: `${base}/items`, scopes: READ },
          { method: 'GET', path: `${base}/items/{id}`, scopes: READ },
          literalSiblings ? { method: 'GET', path: `${base}/items/search`, scopes: ADMIN } : { method: 'GET', path: `${base}/search`, scopes: ADMIN },
          { method: 'POST', path: `${base}/items`, scopes: WRITE },
          { method: 'DELETE', path: `${base}/items/{id}`, scopes: WRITE },
        );
    }
  }
  return routes;
}

/** Token profiles and their share of clients: most read, some write, few administer. */
const PROFILES = [
  { scopes: ['read'], share: 0.6 },
  { scopes: ['read', 'write'], share: 0.3 },
  { scopes: ['read', 'write', 'admin'], share: 0.1 },
];

const API_PREFIX = 'arn:aws:execute-api:eu-west-1:123456789012:abc123defg/prod';

/** A concrete path of a route: parameters get short ids, a greedy parameter one or two segments. */
function concretePath(path, random) {
  return path.replace(/\{[^}]+\}/g, (param) => (param.endsWith('+}') ? (random() < 0.5 ? `f${Math.floor(random() * 50)}` : `d${Math.floor(random() * 5)}/f${Math.floor(random() * 50)}`) : `${Math.floor(random() * 1000)}`));
}

/**
 * Replays one hour of traffic on a table through API Gateway's authorizer cache for one cache key scope.
 * @returns {{ calls: number, requests: number, wrong: number }}
 */
function replay(m, routes, traffic, scope) {
  const table = m.compileRouteTable(routes);
  const cache = new Map();
  let calls = 0;
  let wrong = 0;
  for (const request of traffic) {
    const route = table.routes[request.route];
    const key = scope === 'token' ? request.token : `${request.token} ${request.verb} ${route.config.path}`;
    let entry = cache.get(key);
    if (!entry || entry.expires <= request.time) {
      calls++;
      const arn = m.parseMethodArn(request.arn);
      const statements = scope === 'token' ? m.tokenScopedStatements(table, request.allowed, arn) : m.routeScopedStatements(request.allowed[route.index], arn, route);
      entry = { statements, expires: request.time + TTL };
      cache.set(key, entry);
    }
    const expected = request.allowed[route.index] ? 'allow' : 'deny';
    for (const matches of [m.arnPatternMatches, m.arnPatternMatchesWithinSegments]) {
      if (m.evaluateStatements(entry.statements, request.arn, matches) !== expected) {
        wrong++;
        break;
      }
    }
  }
  return { calls, requests: traffic.length, wrong };
}

/** The deterministic traffic of one table: clients with tokens renewed every hour, skewed clients and routes. */
function trafficFor(m, routes, seed) {
  const random = prng(seed);
  const received = m.receivedVerbs(routes);
  const clients = Array.from({ length: CLIENTS }, (_, c) => {
    let x = random();
    const profile = PROFILES.find((p) => (x -= p.share) < 0) ?? PROFILES[PROFILES.length - 1];
    const allowed = routes.map((r) => (r.scopes ?? []).every((scope) => profile.scopes.includes(scope)));
    return { id: c, allowed, issued: -Math.floor(random() * TOKEN_LIFETIME) };
  });
  // Each client's routes are a skewed choice over the table, popularity in an order of its own per table.
  const order = routes.map((_, i) => i).sort(() => random() - 0.5);
  const pickClient = zipf(CLIENTS, random);
  const pickRoute = zipf(routes.length, random);
  const traffic = [];
  for (let i = 0; i < REQUESTS; i++) {
    const client = clients[pickClient()];
    const index = order[pickRoute()];
    const route = routes[index];
    const time = random() * HOUR;
    // A token lives an hour; its successor is a new identity source, so a new cache key.
    const generation = Math.floor((time - client.issued) / TOKEN_LIFETIME);
    const verbs = received[index];
    const verb = verbs[Math.floor(random() * verbs.length)];
    if (verb === undefined) continue;
    traffic.push({ time, token: `c${client.id}.${generation}`, route: index, verb, arn: `${API_PREFIX}/${verb}${concretePath(route.path, random)}`, allowed: client.allowed });
  }
  return traffic.sort((a, b) => a.time - b.time);
}

/**
 * Runs the model and renders its table.
 * @returns {Promise<string>}
 */
export async function cacheModelReport() {
  const m = await importBundled(
    `export { cacheKeyScopeFor, compileRouteTable, parseMethodArn, receivedVerbs, arnPatternMatches, arnPatternMatchesWithinSegments } from './lambda/contract/routes';
     export { evaluateStatements, routeScopedStatements, tokenScopedStatements } from './lambda/policy';`,
  );
  const before = await analysisBeforePrecedence();
  const tables = [
    ['demo', DEMO],
    ['50 routes', generatedTable(10, true)],
    ['50 routes, no literal sibling', generatedTable(10, false)],
    ['300 routes', generatedTable(60, true)],
    ['300 routes, no literal sibling', generatedTable(60, false)],
  ];
  const rows = [];
  for (const [name, routes] of tables) {
    const traffic = trafficFor(m, routes, SEED ^ routes.length);
    const results = { token: replay(m, routes, traffic, 'token'), route: replay(m, routes, traffic, 'route') };
    const per1000 = (r) => ((r.calls / r.requests) * 1000).toFixed(1);
    const picked = (scope) => (scope ? `${scope} ${per1000(results[scope])}` : 'n/a');
    const wrong = (r) => (r.wrong === 0 ? 'exact' : `${r.wrong} WRONG`);
    const after = m.cacheKeyScopeFor(routes);
    rows.push([
      name,
      String(routes.length),
      String(traffic.length),
      `${per1000(results.token)} (${wrong(results.token)})`,
      `${per1000(results.route)} (${wrong(results.route)})`,
      picked(before?.(routes)),
      picked(after),
      results[after].wrong === 0 ? 'yes' : 'NO',
    ]);
  }
  const header = ['table', 'routes', 'requests', 'token scope', 'route scope', 'picked before', 'picked now', 'picked exact'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [
    `Authorizer calls per 1,000 requests (cache TTL ${TTL} s, ${CLIENTS} clients, tokens renewed hourly, one hour, Zipf clients and routes; seed ${SEED}).`,
    `Every cached answer is replayed on each request it serves under both IAM wildcard readings: "exact" means no wrong decision.`,
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    `"picked before": the scope cacheKeyScopeFor chose before verb precedence (${before ? `commit ${BEFORE_PRECEDENCE.slice(0, 7)}` : 'not available: no git history'}).`,
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(`${await cacheModelReport()}\n`);
}
