/**
 * The authorizer as it ships: `scripts/bundle.mjs` must produce the same bytes on every build (so asset
 * hashes, and consumers' snapshots, stay stable), and the built `index.js`, loaded in a fresh Node process like the Lambda runtime loads it,
 * must read its configuration from `config.json` and `SECURE_API_AUTHORIZER_CONFIG` (the environment
 * winning per top-level key), verify real tokens against a real JWKS endpoint, and fail closed, loudly in
 * the log and silently to the client, when the configuration is wrong.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_ENV_VAR } from '../../lambda/contract/config-types';
import { buildBundle, makeTempDir, removeDir, runBundle, SHIPPED_BUNDLE, stageBundle, type BundleResult } from '../fixtures/bundle';
import { cognitoIssuerConfig, TEST_ROUTES } from '../fixtures/config';
import { answerProblems, evaluatePolicy, methodArn, requestEvent, tokenEvent, type AuthorizerAnswer, type AuthorizerEvent } from '../fixtures/events';
import { startJwksServer, type JwksServer } from '../fixtures/jwks-server';
import { testKey, type TestKey } from '../fixtures/keys';
import { findLeaks } from '../fixtures/logs';
import { cognitoAccessToken, epochSeconds } from '../fixtures/tokens';

let buildDir: string;
let bundle: string;
let key: TestKey;
let server: JwksServer;
const staged: string[] = [];

beforeAll(async () => {
  buildDir = makeTempDir();
  [bundle, key] = await Promise.all([buildBundle(join(buildDir, 'first')), testKey('RS256')]);
  server = await startJwksServer({ keys: [key.publicJwk] });
});

afterAll(async () => {
  await server?.close();
  for (const dir of [buildDir, ...staged]) if (dir) removeDir(dir);
});

/** Stages the bundle with a config.json and remembers the folder for cleanup. */
function stage(configJson?: unknown): string {
  const dir = stageBundle(bundle, configJson);
  staged.push(dir);
  return dir;
}

/** The status API Gateway would answer for one result of the given event. */
function statusOf(result: BundleResult | undefined, event: AuthorizerEvent): number {
  if (result === undefined) return 0;
  if ('error' in result) return result.error === 'Unauthorized' ? 401 : 500;
  if (answerProblems(result.answer).length > 0) return 500;
  return evaluatePolicy((result.answer as AuthorizerAnswer).policyDocument, event.methodArn) === 'allow' ? 200 : 403;
}

/** The decision lines among a run's log lines (anything else the function logged is kept out). */
function decisionLines(lines: string[]): Record<string, unknown>[] {
  return lines.flatMap((line) => {
    try {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      return parsed?.msg === 'authorizer decision' ? [parsed] : [];
    } catch {
      return [];
    }
  });
}

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

test('the bundle is byte-identical across builds and identical to the shipped asset', async () => {
  const second = await buildBundle(join(buildDir, 'second'));
  expect(sha256(second)).toBe(sha256(bundle));
  // `npm test` (pretest) and `npm run bundle` build the shipped asset from the same sources; a mismatch
  // means it is stale, and the constructs would deploy another authorizer than the one tested here.
  const shipped = 'assets/authorizer/index.js (rebuild with npm run bundle)';
  expect({ [shipped]: existsSync(SHIPPED_BUNDLE) ? sha256(SHIPPED_BUNDLE) : 'missing' }).toEqual({ [shipped]: sha256(bundle) });
});

test('happy flow: the built bundle allows, denies and refuses real tokens in TOKEN and REQUEST events', async () => {
  // What can outgrow the 4 KB environment goes to config.json; deploy-time values go to the environment.
  const dir = stage({ version: 1, routes: TEST_ROUTES, keys: { fetchTimeoutMs: 1000 } });
  const env = { [CONFIG_ENV_VAR]: JSON.stringify({ issuers: [cognitoIssuerConfig({ jwksUri: server.jwksUri })] }) };
  const now = epochSeconds();
  const reader = `Bearer ${cognitoAccessToken(key, { now, scopes: ['items:read'] })}`;
  const expired = `Bearer ${cognitoAccessToken(key, { now: now - 7200, scopes: ['items:read'] })}`;
  const cases: [string, AuthorizerEvent, number][] = [
    ['TOKEN read of an item', tokenEvent(reader, methodArn('GET', '/items/42')), 200],
    ['TOKEN create without items:write', tokenEvent(reader, methodArn('POST', '/items')), 403],
    // A table miss is a 401 (NO_ROUTE): no policy built from the request's own path is ever cached.
    ['TOKEN route not in the table', tokenEvent(reader, methodArn('GET', '/admin')), 401],
    ['TOKEN expired token', tokenEvent(expired, methodArn('GET', '/items/42')), 401],
    ['TOKEN not a JWT', tokenEvent('Bearer not-a-jwt', methodArn('GET', '/items/42')), 401],
    ['REQUEST read of the list', requestEvent({ method: 'GET', resource: '/items', authorization: reader }), 200],
    ['REQUEST delete without items:delete', requestEvent({ method: 'DELETE', resource: '/items/{id}', authorization: reader }), 403],
    ['REQUEST without Authorization', requestEvent({ method: 'GET', resource: '/items/{id}' }), 401],
  ];

  const run = await runBundle(dir, cases.map(([, event]) => event), env);

  expect(cases.map(([name, event], i) => [name, statusOf(run.results[i], event)])).toEqual(cases.map(([name, , status]) => [name, status]));
  const decisions = decisionLines(run.logLines);
  expect(decisions.map((d) => [d.requestId, d.decision])).toEqual(
    cases.map(([, , status], i) => [`req-bundle-${i}`, { 200: 'allow', 401: 'unauthorized', 403: 'deny' }[status]]),
  );
  expect(findLeaks(run.logLines, [reader, expired])).toEqual([]);
  expect(server.jwksHits).toBe(1);
});

test('happy flow: the environment wins over config.json per top-level key', async () => {
  const untrusted = await testKey('ES256', 'file-only');
  const dir = stage({
    version: 1,
    issuers: [cognitoIssuerConfig({ keys: [untrusted.publicJwk] }, { algorithms: ['ES256'] })],
    routes: [{ method: 'GET', path: '/items/{id}', scopes: ['items:admin'] }],
  });
  const env = { [CONFIG_ENV_VAR]: JSON.stringify({ issuers: [cognitoIssuerConfig({ jwksUri: server.jwksUri })], routes: [{ method: 'GET', path: '/items/{id}', scopes: ['items:read'] }] }) };
  const event = tokenEvent(`Bearer ${cognitoAccessToken(key, { scopes: ['items:read'] })}`, methodArn('GET', '/items/42'));

  const run = await runBundle(dir, [event], env);

  expect(statusOf(run.results[0], event)).toBe(200);
});

test.each<[string, string | undefined, Record<string, string>, RegExp]>([
  ['a misspelt setting', JSON.stringify({ version: 1, routes: TEST_ROUTES }), { [CONFIG_ENV_VAR]: JSON.stringify({ issuers: [cognitoIssuerConfig({ jwksUri: 'https://example.test/jwks.json' })], cacheKeyScop: 'token' }) }, /cacheKeyScop/],
  ['a Cognito issuer without clientIds', JSON.stringify({ version: 1, routes: TEST_ROUTES }), { [CONFIG_ENV_VAR]: JSON.stringify({ issuers: [cognitoIssuerConfig({ jwksUri: 'https://example.test/jwks.json' }, { clientIds: undefined })] }) }, /issuers\[0\]\.clientIds/],
  ['a clock skew beyond 300 seconds', JSON.stringify({ version: 1, routes: TEST_ROUTES }), { [CONFIG_ENV_VAR]: JSON.stringify({ issuers: [cognitoIssuerConfig({ jwksUri: 'https://example.test/jwks.json' })], clockSkewSeconds: 9999 }) }, /clockSkewSeconds/],
  ['an environment variable that is not JSON', JSON.stringify({ version: 1, routes: TEST_ROUTES }), { [CONFIG_ENV_VAR]: '{"issuers": [' }, new RegExp(CONFIG_ENV_VAR)],
  ['a config.json that is not JSON', '{"version": 1,', {}, /config\.json/],
  ['no configuration at all', undefined, {}, new RegExp(`config\\.json|${CONFIG_ENV_VAR}`)],
])('error flow: with %s every request is Unauthorized and the log names the setting', async (_name, configJson, env, setting) => {
  const dir = stage(configJson);
  const token = `Bearer ${cognitoAccessToken(key, { scopes: ['items:read'] })}`;
  const events = [tokenEvent(token, methodArn('GET', '/items/42')), requestEvent({ authorization: token }), tokenEvent('Bearer x', methodArn('GET', '/items/42'))];

  const run = await runBundle(dir, events, env);

  expect(run.results).toEqual(events.map(() => ({ error: 'Unauthorized' })));
  expect(run.logLines.some((line) => setting.test(line))).toBe(true);
  expect(decisionLines(run.logLines).map((d) => [d.decision, d.reason])).toEqual(events.map(() => ['unauthorized', 'CONFIG_ERROR']));
  expect(findLeaks(run.logLines, [token])).toEqual([]);
});
