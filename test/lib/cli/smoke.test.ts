import { ExitCode } from '../../../lib/cli/errors';
import { MAX_BURST, forgeSignature, parseSmokeRoute, routePathProblem, routeUrl } from '../../../lib/cli/smoke';
import { TestDeployment, TestDeploymentOptions, startTestDeployment } from './fixtures/deployment';
import { SMOKE_REQUEST_LOG, startRecordingServer } from './fixtures/smoke';

const running: TestDeployment[] = [];

async function deploy(options: TestDeploymentOptions = {}): Promise<TestDeployment> {
  const deployment = await startTestDeployment({ withApi: true, ...options });
  running.push(deployment);
  return deployment;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((deployment) => deployment.close()));
});

/** The table rows as [check, result] pairs. */
function results(stdout: string): Array<[string, string]> {
  return stdout
    .split('\n')
    .slice(1)
    .filter((line) => /\s(PASS|FAIL)$/.test(line))
    .map((line) => [line.split(/\s{2,}/)[0]!, line.slice(-4)]);
}

describe('secure-api smoke', () => {
  test('happy flow: a secure API passes every check and the command exits 0', async () => {
    const deployment = await deploy();

    const result = await deployment.run(['smoke']);

    expect(result.code).toBe(ExitCode.Ok);
    expect(results(result.stdout)).toEqual([
      ['GET /items without a token', 'PASS'],
      ['GET /items with a forged signature', 'PASS'],
      ['GET /items with items/read', 'PASS'],
      ['DELETE /items/{id} without items/write', 'PASS'],
    ]);
    expect(result.stdout).toMatch(/^CHECK +EXPECTED +ACTUAL +RESULT\n/);
    expect(result.stdout).toContain('401 + WWW-Authenticate: Bearer realm="secure-api"');
    expect(result.stdout).toMatch(/\n\n4 checks passed\.\n$/);
    expect(deployment.api!.log).toEqual(SMOKE_REQUEST_LOG);
    expect(deployment.tokenEndpoint.requests.map((request) => request.form.scope)).toEqual(['items/read']);
  });

  test('happy flow: a burst past the stage limit sees 429 in JSON', async () => {
    const deployment = await deploy({ requestLimit: 10 });

    const result = await deployment.run(['smoke', '--burst', '20']);

    expect(result.code).toBe(ExitCode.Ok);
    expect(result.stdout).toMatch(/GET \/items burst of 20 +429 \(JSON\) at least once +200 × 6, 429 × 14 +PASS/);
  });

  test('happy flow: json output for pipelines', async () => {
    const deployment = await deploy();

    const result = await deployment.run(['smoke', '--format', 'json']);

    expect(result.code).toBe(ExitCode.Ok);
    const report = JSON.parse(result.stdout) as { apiUrl: string; passed: boolean; checks: Array<{ check: string; passed: boolean }> };
    expect(report).toMatchObject({ apiUrl: deployment.api!.url, passed: true });
    expect(report.checks).toHaveLength(4);
  });

  test('happy flow: the routes to call are flags, with methods in any case', async () => {
    const deployment = await deploy();

    const result = await deployment.run(['smoke', '--read-route', 'get /items/{id}', '--write-route', 'POST /items']);

    expect(result.code).toBe(ExitCode.Ok);
    expect(deployment.api!.log).toContain('GET /prod/items/secure-api-smoke 200');
    expect(deployment.api!.log).toContain('POST /prod/items 403');
  });

  test('error flow: an API that serves requests without a token fails the first check (exit 1)', async () => {
    const deployment = await deploy({ faults: { allowAnonymous: true } });

    const result = await deployment.run(['smoke']);

    expect(result.code).toBe(ExitCode.CheckFailed);
    expect(results(result.stdout)[0]).toEqual(['GET /items without a token', 'FAIL']);
    expect(result.stdout).toMatch(/GET \/items without a token +401 \+ WWW-Authenticate: Bearer +200 +FAIL/);
    expect(result.stdout).toMatch(/1 of 4 checks failed\.\n$/);
  });

  test('error flow: an API that does not check signatures fails the forged-token check', async () => {
    const deployment = await deploy({ faults: { skipSignatureCheck: true } });

    const result = await deployment.run(['smoke']);

    expect(result.code).toBe(ExitCode.CheckFailed);
    expect(results(result.stdout)[1]).toEqual(['GET /items with a forged signature', 'FAIL']);
  });

  test('error flow: a 500 instead of 403 for a missing scope fails the scope check', async () => {
    const deployment = await deploy({ faults: { insufficientScopeStatus: 500 } });

    const result = await deployment.run(['smoke']);

    expect(result.code).toBe(ExitCode.CheckFailed);
    expect(results(result.stdout)[3]).toEqual(['DELETE /items/{id} without items/write', 'FAIL']);
    expect(result.stdout).toContain('500 + WWW-Authenticate: Bearer realm="secure-api", error="insufficient_scope"');
  });

  test('error flow: answers without WWW-Authenticate fail both challenge checks', async () => {
    const deployment = await deploy({ faults: { omitChallenge: true } });

    const result = await deployment.run(['smoke']);

    expect(result.code).toBe(ExitCode.CheckFailed);
    expect(results(result.stdout)).toEqual([
      ['GET /items without a token', 'FAIL'],
      ['GET /items with a forged signature', 'PASS'],
      ['GET /items with items/read', 'PASS'],
      ['DELETE /items/{id} without items/write', 'FAIL'],
    ]);
    expect(result.stdout).toContain('401, no WWW-Authenticate');
    expect(result.stdout).toContain('403, no WWW-Authenticate');
  });

  test('error flow: a burst that is never throttled fails, and so does a 429 that is not JSON', async () => {
    const unthrottled = await deploy();
    const plain = await deploy({ requestLimit: 6, faults: { plainTextThrottle: true } });

    const never = await unthrottled.run(['smoke', '--burst', '10']);
    const notJson = await plain.run(['smoke', '--burst', '10']);

    expect(never.code).toBe(ExitCode.CheckFailed);
    expect(never.stdout).toMatch(/GET \/items burst of 10 +429 \(JSON\) at least once +200 × 10 +FAIL/);
    expect(notJson.code).toBe(ExitCode.CheckFailed);
    expect(notJson.stdout).toMatch(/200 × 2, 429 × 8 \(429 not JSON\) +FAIL/);
  });

  test('throws a usage error (exit 2) for a burst above the cap, before any request', async () => {
    const deployment = await deploy();

    const result = await deployment.run(['smoke', '--burst', String(MAX_BURST + 1)]);

    expect(result.code).toBe(ExitCode.Usage);
    expect(result.stderr).toBe(`secure-api: --burst must be a whole number from 1 to ${MAX_BURST} (received: "${MAX_BURST + 1}").\n`);
    expect(deployment.api!.log).toEqual([]);
    expect(deployment.tokenEndpoint.requests).toEqual([]);
  });

  test('throws a usage error (exit 2) for a route without a method', async () => {
    const deployment = await deploy();

    const result = await deployment.run(['smoke', '--read-route', '/items']);

    expect(result.code).toBe(ExitCode.Usage);
    expect(result.stderr).toBe('secure-api: --read-route must be "<METHOD> <path>", e.g. "GET /items" (received: "/items").\n');
  });

  test('error flow: an API that cannot be reached is a network error (exit 6)', async () => {
    const deployment = await deploy();
    await deployment.api!.close();

    const result = await deployment.run(['smoke']);

    expect(result.code).toBe(ExitCode.Network);
    expect(result.stderr).toMatch(/\nsecure-api: Could not reach http:\/\/127\.0\.0\.1:\d+: the connection was refused\./);
  });
});

describe('smoke routes stay under the API URL', () => {
  test('error flow: hostile routes are usage errors (exit 2) before any request, and no token reaches another host or path', async () => {
    const deployment = await deploy();
    // A host the token must never reach: it records every request.
    const stray = await startRecordingServer(200, '{}');
    try {
      const other = `127.0.0.1:${stray.port}`;
      const hostile = [
        `GET /http://${other}/x`,
        `GET /\\${other}/x`,
        `GET /\\\\${other}/x`,
        `GET //${other}/x`,
        `GET /items//${other}`,
        'GET /../x',
        'GET /items/../../x',
        'GET /%2e%2e/x',
        'GET /.%2E/x',
        'GET /items/%2E%2e/%2e%2e/x',
        'GET /items/..%2fx',
        'GET /items/%5c..%5cx',
        'GET /items?redirect=x',
        'GET /items#x',
        'GET /%zz',
      ];
      const runs: Array<{ flag: string; route: string; code: number; stderr: string }> = [];
      for (const route of hostile) {
        for (const flag of ['--read-route', '--write-route']) {
          runs.push({ flag, route, ...(await deployment.run(['smoke', flag, route])) });
        }
      }

      expect(stray.requests).toEqual([]);
      expect(deployment.api!.log).toEqual([]);
      expect(deployment.tokenEndpoint.requests).toEqual([]);
      for (const run of runs) {
        expect({ route: run.route, code: run.code }).toEqual({ route: run.route, code: ExitCode.Usage });
        expect(run.stderr).toMatch(new RegExp(`^secure-api: ${run.flag} must be a path below the API URL, but it `));
      }
    } finally {
      await stray.close();
    }
  });

  test('happy flow: a route is appended to the stage path, whatever the API URL\'s trailing slash', () => {
    const route = parseSmokeRoute('GET /items/{id}/http:x', '--read-route');

    for (const base of ['https://abc.execute-api.eu-west-1.amazonaws.com/prod', 'https://abc.execute-api.eu-west-1.amazonaws.com/prod/']) {
      expect(routeUrl(new URL(base), route).href).toBe('https://abc.execute-api.eu-west-1.amazonaws.com/prod/items/secure-api-smoke/http:x');
    }
    expect(routeUrl(new URL('https://api.example.com/'), parseSmokeRoute('GET /', '--read-route')).href).toBe('https://api.example.com/');
  });

  test.each([
    ['/http://evil.example/x', 'it holds an empty segment (//), which URL parsers read as another host'],
    ['/\\evil.example/x', 'it holds a backslash, which URL parsers read as /'],
    ['/a/../b', 'it holds the dot segment "..", which climbs out of the API path'],
    ['/%2E%2e', 'it holds the dot segment "%2E%2e", which climbs out of the API path'],
    ['/a%2F..', 'it holds an encoded / or \\ in "a%2F.."'],
    ['/items?x', 'it holds "?", which is no path character (a route is a path, without query or fragment)'],
    ['/%C0', 'it holds percent-encoded bytes that are no UTF-8 text in "%C0"'],
  ])('routePathProblem(%j) says why', (path, problem) => {
    expect(routePathProblem(path)).toBe(problem);
  });

  test.each(['/', '/items', '/items/', '/items/{id}', '/a.b/c..d/.e', '/%41/~user/@x:y'])('routePathProblem(%j) accepts a path below the API', (path) => {
    expect(routePathProblem(path)).toBeUndefined();
  });
});

describe('smoke helpers', () => {
  test('forgeSignature changes only the signature segment', () => {
    const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLWJ5dGVz';

    const forged = forgeSignature(token).split('.');

    expect(forged.slice(0, 2)).toEqual(token.split('.').slice(0, 2));
    expect(forged[2]).not.toBe(token.split('.')[2]);
    expect(Buffer.from(forged[2]!, 'base64url').length).toBe(Buffer.from(token.split('.')[2]!, 'base64url').length);
  });

  test('routeUrl fills path parameters and keeps the stage path', () => {
    const url = routeUrl(new URL('https://abc.execute-api.eu-west-1.amazonaws.com/prod'), parseSmokeRoute('DELETE /items/{id}', '--write-route'));

    expect(url.href).toBe('https://abc.execute-api.eu-west-1.amazonaws.com/prod/items/secure-api-smoke');
  });
});
