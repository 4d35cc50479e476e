import { renderProbeJUnit, renderProbeMarkdown, renderProbeTable, probeSummary } from '../../../../lib/cli/probe/output';
import { probePlan, signingCredentials } from '../../../../lib/cli/probe/plan';
import { runProbe } from '../../../../lib/cli/probe/run';
import { PROBE_ISSUER, PROBE_PUBLIC_PEM, PROBE_ROUTES, startProbeTarget, type ProbeTargetFaults } from './probe-target';

const NOW = Math.floor(Date.now() / 1000);
const ISSUER = PROBE_ISSUER;
const PEM = PROBE_PUBLIC_PEM;
const ROUTES = PROBE_ROUTES;
const CREDENTIALS = signingCredentials(ISSUER, NOW, PEM);

async function probe(faults: ProbeTargetFaults = {}, budget = 1000, burst?: number) {
  const target = await startProbeTarget(faults);
  try {
    const results = await runProbe(probePlan(ROUTES, CREDENTIALS, { burst }), target.url, fetch, budget);
    return { results, requests: target.requests(), url: target.url };
  } finally {
    await target.close();
  }
}

const failures = (results: Awaited<ReturnType<typeof probe>>['results']) =>
  results.filter((result) => result.outcome === 'fail').map((result) => `${result.case.route.method} ${result.case.route.path} ${result.case.name}: ${result.problem}`);

describe('secure-api probe against a stage in front of the real authorizer runtime', () => {
  test('a sound stage passes every case: 18 hostile tokens per protected route, scopes, the cached-answer trap, headers and CORS', async () => {
    const { results, requests } = await probe();
    expect(failures(results)).toEqual([]);
    // Per protected route: 18 hostile tokens, the security headers, without and with its scope, the cache trap pair; per route, a foreign preflight.
    expect(probeSummary(results)).toEqual({ pass: 2 * 18 + 2 + 2 * 2 + 2 * 2 + 3, fail: 0, skipped: 0 });
    expect(requests).toBe(results.length);
    // A public route gets the CORS check only.
    expect(results.filter((result) => result.case.route.path === '/health').map((result) => result.case.name)).toEqual(['protections/foreign-origin']);
  });

  test('a route open to anyone fails every authentication case on that route, and only there', async () => {
    const problems = failures((await probe({ openRoute: 'GET /items' })).results);
    // 18 hostile tokens, the security headers of a refusal, the scope-less token, and DELETE's token reused here.
    expect(problems).toHaveLength(18 + 3);
    expect(problems).toContain('GET /items protections/security-headers: expected an error answer, got 200');
    expect(problems.every((problem) => problem.startsWith('GET /items '))).toBe(true);
    expect(problems).toContain('GET /items authorization/cache-trap-reuse: expected 403, got 200');
    expect(problems).toContain('GET /items authentication/alg-none: expected 401, got 200');
    expect(problems).toContain('GET /items authorization/without-scope: expected 403, got 200');
  });

  test('a 401 without its Bearer challenge fails, naming the missing header', async () => {
    const problems = failures((await probe({ omitChallenge: true })).results);
    expect(problems).toContain('DELETE /items/{id} authentication/no-token: the 401 has no WWW-Authenticate: Bearer challenge');
    expect(problems).toHaveLength(2 * 18);
  });

  test('an error body with a stack trace fails, whatever its status', async () => {
    const problems = failures((await probe({ leakStack: true })).results);
    expect(problems).toContain('GET /items authentication/expired: the 500 body shows internal detail');
  });

  test('a cache that serves one route’s Allow on another is caught by the reuse case', async () => {
    const problems = failures((await probe({ cacheWildcardAllow: true })).results);
    expect(problems).toEqual(['DELETE /items/{id} authorization/cache-trap-reuse: expected 403, got 200', 'GET /items authorization/cache-trap-reuse: expected 403, got 200']);
  });

  test('error answers without the security headers, and a preflight admitting any origin, fail by name', async () => {
    expect(failures((await probe({ omitSecurityHeaders: true })).results)).toEqual([
      'GET /items protections/security-headers: the 401 lacks Cache-Control: no-store, X-Content-Type-Options: nosniff',
      'DELETE /items/{id} protections/security-headers: the 401 lacks Cache-Control: no-store, X-Content-Type-Options: nosniff',
    ]);
    const cors = failures((await probe({ corsAnyOrigin: true })).results);
    expect(cors).toEqual(['GET /items', 'DELETE /items/{id}', 'GET /health'].map((route) => `${route} protections/foreign-origin: the preflight admits the foreign origin (Access-Control-Allow-Origin: *)`));
  });

  test('a stage that never throttles fails the opt-in burst, which counts against the budget', async () => {
    const { results, requests } = await probe({}, 1000, 25);
    expect(failures(results)).toEqual(['GET /health protections/rate-limit: none of the 25 requests sent at once got 429 (the last got 403)']);
    expect(requests).toBe(results.length - 1 + 25);
    const short = await probe({}, 50, 25);
    expect(short.results.at(-1)).toMatchObject({ outcome: 'skipped', problem: 'the request budget of 50 ran out' });
  });

  test('the request budget is never exceeded: the cases beyond it are skipped and say why', async () => {
    const { results, requests } = await probe({}, 5);
    expect(requests).toBe(5);
    expect(probeSummary(results)).toMatchObject({ pass: 5, skipped: results.length - 5 });
    expect(results.at(-1)!.problem).toBe('the request budget of 5 ran out');
  });

  test('reports: a table with failures first, Markdown and JUnit XML that CI systems read', async () => {
    const { results, url } = await probe({ openRoute: 'GET /items' });
    const table = renderProbeTable(results);
    expect(table.split('\n')[0]).toMatch(/^FAIL +200 +GET \/items +authentication\//);
    expect(table).toMatch(/\d+ passed, 21 failed, 0 skipped\n$/);
    expect(renderProbeMarkdown(results, url.href)).toContain('| fail | GET /items | authentication/alg-none | alg none, no signature (RFC 8725 section 2.1) | 200 | expected 401, got 200 |');
    const junit = renderProbeJUnit(results);
    expect(junit).toContain('<testsuite name="authentication" tests="36" failures="18" skipped="0">');
    expect(junit).toContain('<testsuite name="authorization" tests="8" failures="2" skipped="0">');
    expect(junit).toContain('<testcase classname="GET /items" name="authentication/alg-none">\n      <failure message="expected 401, got 200">alg none, no signature (RFC 8725 section 2.1)</failure>');
  });
});

test('a route with claim conditions gets the scope-less 403 case but no positive case, which scopes alone cannot meet', () => {
  const routes = [{ method: 'GET', path: '/admin/stats', access: 'protected' as const, scopes: ['admin/read'], conditions: ['cognito:groups contains admin'] }, ...PROBE_ROUTES];
  const names = probePlan(routes, CREDENTIALS)
    .filter((step) => step.route.path === '/admin/stats' && step.suite === 'authorization')
    .map((step) => step.name);
  expect(names).toContain('authorization/without-scope');
  expect(names.filter((name) => name === 'authorization/with-scope' || name === 'authorization/cache-trap-first')).toEqual([]);
});

describe('the body protections', () => {
  const VALIDATED = { type: 'object', required: ['reason'], properties: { reason: { type: 'string' } } };
  const routes = ROUTES.map((route) => (route.method === 'DELETE' ? { ...route, requestBodySchema: VALIDATED } : route));

  test('a body one byte over the limit goes, with a valid token, to a protected route that takes a body; a model-breaking body to each validated route', () => {
    const cases = probePlan(routes, CREDENTIALS, { maxBodySize: 100 }).filter((step) => step.name === 'protections/body-too-large' || step.name === 'protections/request-validation');
    expect(cases.map((step) => [step.name, step.method, step.route.path, step.body?.length, step.expect])).toEqual([
      ['protections/body-too-large', 'DELETE', '/items/{id}', 101, 'too-large-413'],
      ['protections/request-validation', 'DELETE', '/items/{id}', 2, 'invalid-400'],
    ]);
    expect(JSON.parse(cases[0]!.body!)).toEqual({ x: 'x'.repeat(93) });
    expect(cases[1]!.body).toBe('[]');
    expect(cases[1]!.description).toBe("a body the route's model refuses ($: must be object)");
    expect(cases.every((step) => step.authorization?.startsWith('Bearer ') === true)).toBe(true);
    // Without a limit in the report and without a validated route, neither is sent.
    expect(probePlan(ROUTES, CREDENTIALS).filter((step) => step.suite === 'protections' && step.body !== undefined)).toEqual([]);
  });

  test('a stage without a body limit or request validation fails both cases for that reason', async () => {
    const target = await startProbeTarget();
    try {
      const results = await runProbe(probePlan(routes, CREDENTIALS, { maxBodySize: 100 }), target.url, fetch, 1000);
      expect(failures(results)).toEqual([
        'DELETE /items/{id} protections/body-too-large: expected 413 for a body over the limit, got 200',
        'DELETE /items/{id} protections/request-validation: expected 400 for a body the model refuses, got 200',
      ]);
    } finally {
      await target.close();
    }
  });
});
