/**
 * Key-source faults and key rotation against a real JWKS endpoint on 127.0.0.1: an
 * endpoint that refuses, resets, hangs, answers 500 or garbage must fail closed within a bounded time;
 * rotation must be picked up (a new kid after one refetch, a removed key after the maximum age); a failed
 * refresh keeps recent keys working for the grace period; unknown-kid floods and concurrent cold starts
 * must not multiply fetches. Time moves through the injected clock, never through sleeps, except where
 * the real fetch timeout is what is measured.
 */
import type { LookupFunction } from 'node:net';
import { join } from 'node:path';
import { createAuthorizer } from '../../lambda';
import type { KeyOptions } from '../../lambda/contract/config-types';
import { createHttpGetJson, type FetchFunction } from '../../lambda/http';
import type { KeyRefreshCause, KeyRefreshFailureRecord } from '../../lambda/contract/key-refresh-log';
import { buildBundle, makeTempDir, removeDir, runBundle, stageBundle } from '../fixtures/bundle';
import { cognitoIssuerConfig, oidcIssuerConfig, testConfig } from '../fixtures/config';
import { answerProblems, evaluatePolicy, methodArn, tokenEvent, type AuthorizerAnswer } from '../fixtures/events';
import { refusedUrl, startJwksServer, type JwksFault, type JwksServer } from '../fixtures/jwks-server';
import { testKey, type TestKey } from '../fixtures/keys';
import { findLeaks, LogCapture } from '../fixtures/logs';
import { cognitoAccessToken, jwtAccessToken, signJws, cognitoAccessTokenClaims } from '../fixtures/tokens';

const T0 = Date.UTC(2030, 0, 15, 12, 0, 0);
const KEY_OPTIONS: Required<KeyOptions> = { fetchTimeoutMs: 300, maxAgeSeconds: 900, cooldownSeconds: 30, graceSeconds: 3600 };
/** Allowance for scheduling on a busy shared two-core machine, on top of the configured timeout. */
const TIMEOUT_MARGIN_MS = 700;

let a: TestKey;
let b: TestKey;
let attacker: TestKey;
let server: JwksServer;
let clock: number;

/** An authorizer trusting the Cognito issuer whose keys `jwksUri` serves, on the test clock. */
function authorizerFor(jwksUri: string, keys: KeyOptions = KEY_OPTIONS, seams: { fetch?: FetchFunction; random?: () => number } = {}) {
  const logs = new LogCapture();
  const authorizer = createAuthorizer(testConfig([cognitoIssuerConfig({ jwksUri })], { keys }), { now: () => clock, log: logs.log, ...seams });
  return { logs, authorizer };
}

/** The key-refresh failure lines captured so far. */
function refreshFailures(logs: LogCapture): KeyRefreshFailureRecord[] {
  return logs.lines.map((line) => JSON.parse(line) as KeyRefreshFailureRecord).filter((line) => line.msg === 'key refresh failed');
}

/** Sends a token signed by `key` (minted at the current test clock) and reports the outcome. */
async function call(target: ReturnType<typeof authorizerFor>, key: TestKey, kid: string = key.kid): Promise<{ status: 200 | 401 | 403; reason: unknown; elapsedMs: number }> {
  const token = kid === key.kid ? cognitoAccessToken(key, { now: Math.floor(clock / 1000) }) : signJws(key, { alg: key.alg, kid }, cognitoAccessTokenClaims({ now: Math.floor(clock / 1000) }));
  const event = tokenEvent(`Bearer ${token}`);
  const before = target.logs.lines.length;
  const started = performance.now();
  const outcome = await target.authorizer.handle(event, { awsRequestId: 'req-keys' }).then(
    (answer: unknown) => ({ answer }),
    (error: unknown) => ({ error }),
  );
  const elapsedMs = performance.now() - started;
  let status: 200 | 401 | 403;
  if ('error' in outcome) {
    expect((outcome.error as Error).message).toBe('Unauthorized');
    status = 401;
  } else {
    expect(answerProblems(outcome.answer)).toEqual([]);
    status = evaluatePolicy((outcome.answer as AuthorizerAnswer).policyDocument, event.methodArn) === 'allow' ? 200 : 403;
  }
  const lines = new LogCapture();
  target.logs.lines.slice(before).forEach(lines.log);
  const decisions = lines.decisions();
  expect(decisions).toHaveLength(1);
  expect(findLeaks(target.logs.lines, [token])).toEqual([]);
  return { status, reason: decisions[0]?.reason, elapsedMs };
}

beforeAll(async () => {
  [a, b, attacker] = await Promise.all([testKey('RS256', 'a'), testKey('RS256', 'b'), testKey('RS256', 'attacker')]);
});

beforeEach(async () => {
  clock = T0;
  server = await startJwksServer({ keys: [a.publicJwk] });
});

afterEach(async () => {
  await server.close();
});

describe('an unusable key endpoint fails closed', () => {
  test('error flow: a JWKS endpoint that refuses connections gives 401 with KEYS_UNAVAILABLE', async () => {
    const target = authorizerFor(`${await refusedUrl()}/.well-known/jwks.json`);
    const result = await call(target, a);
    expect(result).toMatchObject({ status: 401, reason: 'KEYS_UNAVAILABLE' });
    expect(result.elapsedMs).toBeLessThan(KEY_OPTIONS.fetchTimeoutMs + TIMEOUT_MARGIN_MS);
  });

  test.each<[string, JwksFault]>([
    ['resets the connection', 'reset'],
    ['answers HTTP 500', 'http500'],
    ['answers a body that is not JSON', 'garbage'],
    ['answers JSON that is not a key set', 'not-a-key-set'],
  ])('error flow: a JWKS endpoint that %s gives 401 with KEYS_UNAVAILABLE', async (_what, fault) => {
    server.setFault(fault);
    const result = await call(authorizerFor(server.jwksUri), a);
    expect(result).toMatchObject({ status: 401, reason: 'KEYS_UNAVAILABLE' });
    expect(result.elapsedMs).toBeLessThan(KEY_OPTIONS.fetchTimeoutMs + TIMEOUT_MARGIN_MS);
    expect(server.jwksHits).toBe(1);
  });

  test.each<[string, JwksFault]>([
    ['answers only after 5 s', 'slow'],
    ['never answers', 'hang'],
  ])('error flow: a JWKS endpoint that %s fails closed within the fetch timeout', async (_what, fault) => {
    server.setFault(fault, 5000);
    const result = await call(authorizerFor(server.jwksUri), a);
    expect(result).toMatchObject({ status: 401, reason: 'KEYS_UNAVAILABLE' });
    expect(result.elapsedMs).toBeGreaterThanOrEqual(KEY_OPTIONS.fetchTimeoutMs - 5);
    expect(result.elapsedMs).toBeLessThan(KEY_OPTIONS.fetchTimeoutMs + TIMEOUT_MARGIN_MS);
  });

  test('error flow: an injected transport that ignores the abort signal still fails closed within the fetch timeout', async () => {
    const calls: string[] = [];
    const logs = new LogCapture();
    const authorizer = createAuthorizer(testConfig([cognitoIssuerConfig({ jwksUri: server.jwksUri })], { keys: KEY_OPTIONS }), {
      now: () => clock,
      log: logs.log,
      fetch: (url) => {
        calls.push(url);
        return new Promise(() => undefined);
      },
    });
    const started = performance.now();
    await expect(authorizer.handle(tokenEvent(`Bearer ${cognitoAccessToken(a, { now: Math.floor(clock / 1000) })}`), { awsRequestId: 'req-fetch' })).rejects.toThrow(new Error('Unauthorized'));
    expect(performance.now() - started).toBeLessThan(KEY_OPTIONS.fetchTimeoutMs + TIMEOUT_MARGIN_MS);
    expect(calls).toEqual([server.jwksUri]);
    expect(logs.decisions()[0]?.reason).toBe('KEYS_UNAVAILABLE');
    expect(server.totalHits).toBe(0);
  });

  test('error flow: a discovery document naming another issuer gives 401 and its jwks_uri is never fetched', async () => {
    const impostor = await startJwksServer({ keys: [a.publicJwk], issuer: 'https://login.impostor.example.test' });
    try {
      const logs = new LogCapture();
      const config = testConfig([oidcIssuerConfig(impostor.url, { discovery: true }, { algorithms: ['RS256'] })], { keys: KEY_OPTIONS });
      const authorizer = createAuthorizer(config, { now: () => clock, log: logs.log });
      const token = jwtAccessToken(a, { issuer: impostor.url, now: Math.floor(clock / 1000) });
      await expect(authorizer.handle(tokenEvent(`Bearer ${token}`), { awsRequestId: 'req-discovery' })).rejects.toThrow(new Error('Unauthorized'));
      expect(logs.decisions()[0]?.reason).toBe('KEYS_UNAVAILABLE');
      expect(impostor.discoveryHits).toBe(1);
      expect(impostor.jwksHits).toBe(0);
    } finally {
      await impostor.close();
    }
  });
});

describe('key rotation', () => {
  test('happy flow: a new kid is accepted after one refetch, and not fetched again', async () => {
    const target = authorizerFor(server.jwksUri);
    expect(await call(target, a)).toMatchObject({ status: 200, reason: 'ALLOW' });
    expect(server.jwksHits).toBe(1);

    server.setKeys([a.publicJwk, b.publicJwk]);
    // Still within the cooldown of the first fetch: b's kid is unknown and may not trigger a refetch yet.
    expect(await call(target, b)).toMatchObject({ status: 401, reason: 'UNKNOWN_KID' });
    expect(server.jwksHits).toBe(1);

    clock += (KEY_OPTIONS.cooldownSeconds + 1) * 1000;
    expect(await call(target, b)).toMatchObject({ status: 200, reason: 'ALLOW' });
    expect(server.jwksHits).toBe(2);
    expect(await call(target, b)).toMatchObject({ status: 200 });
    expect(await call(target, a)).toMatchObject({ status: 200 });
    expect(server.jwksHits).toBe(2);
  });

  test('error flow: a key removed from the JWKS keeps working until the maximum age, then is refused', async () => {
    server.setKeys([a.publicJwk, b.publicJwk]);
    const target = authorizerFor(server.jwksUri);
    expect(await call(target, a)).toMatchObject({ status: 200 });

    server.setKeys([b.publicJwk]);
    clock = T0 + KEY_OPTIONS.maxAgeSeconds * 1000 - 1000;
    expect(await call(target, a)).toMatchObject({ status: 200 });
    expect(server.jwksHits).toBe(1);

    clock = T0 + KEY_OPTIONS.maxAgeSeconds * 1000 + 1000;
    expect(await call(target, a)).toMatchObject({ status: 401, reason: 'UNKNOWN_KID' });
    expect(server.jwksHits).toBe(2);
    expect(await call(target, b)).toMatchObject({ status: 200 });
    expect(server.jwksHits).toBe(2);
  });
});

describe('grace period', () => {
  test('happy flow: when a refresh fails, keys fetched within the grace period keep working, retried once per cooldown', async () => {
    const target = authorizerFor(server.jwksUri);
    expect(await call(target, a)).toMatchObject({ status: 200 });
    server.setFault('http500');

    clock = T0 + (KEY_OPTIONS.maxAgeSeconds + 1) * 1000;
    expect(await call(target, a)).toMatchObject({ status: 200, reason: 'ALLOW' });
    expect(server.jwksHits).toBe(2);
    clock += 1000;
    expect(await call(target, a)).toMatchObject({ status: 200 });
    expect(server.jwksHits).toBe(2);

    clock += KEY_OPTIONS.cooldownSeconds * 1000;
    expect(await call(target, a)).toMatchObject({ status: 200 });
    expect(server.jwksHits).toBe(3);

    server.setFault('none');
    clock += KEY_OPTIONS.cooldownSeconds * 1000;
    expect(await call(target, a)).toMatchObject({ status: 200 });
    expect(server.jwksHits).toBe(4);
  });

  test('error flow: once the grace period has passed, a failing endpoint gives 401 with KEYS_UNAVAILABLE', async () => {
    const target = authorizerFor(server.jwksUri);
    expect(await call(target, a)).toMatchObject({ status: 200 });
    server.setFault('reset');

    clock = T0 + (KEY_OPTIONS.graceSeconds - 1) * 1000;
    expect(await call(target, a)).toMatchObject({ status: 200 });
    clock = T0 + (KEY_OPTIONS.graceSeconds + 1) * 1000;
    expect(await call(target, a)).toMatchObject({ status: 401, reason: 'KEYS_UNAVAILABLE' });
  });
});

describe('fetch budget', () => {
  test('error flow: a flood of unknown kids costs one refetch per cooldown, and genuine tokens still pass', async () => {
    const target = authorizerFor(server.jwksUri);
    expect(await call(target, a)).toMatchObject({ status: 200 });
    clock += (KEY_OPTIONS.cooldownSeconds + 1) * 1000;

    for (let i = 0; i < 25; i += 1) {
      expect(await call(target, attacker, `flood-${i}`)).toMatchObject({ status: 401, reason: 'UNKNOWN_KID' });
    }
    const sequential = server.jwksHits;
    const concurrent = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        target.authorizer.handle(tokenEvent(`Bearer ${signJws(attacker, { alg: 'RS256', kid: `burst-${i}` }, cognitoAccessTokenClaims({ now: Math.floor(clock / 1000) }))}`), { awsRequestId: `req-${i}` }).catch((e: Error) => e.message),
      ),
    );
    expect(concurrent).toEqual(Array(25).fill('Unauthorized'));
    expect(await call(target, a)).toMatchObject({ status: 200 });
    expect({ sequential, total: server.jwksHits }).toEqual({ sequential: 2, total: 2 });

    clock += (KEY_OPTIONS.cooldownSeconds + 1) * 1000;
    expect(await call(target, attacker, 'flood-after-cooldown')).toMatchObject({ status: 401, reason: 'UNKNOWN_KID' });
    expect(server.jwksHits).toBe(3);
  });

  test('happy flow: concurrent cold requests share one fetch', async () => {
    server.setFault('slow', 100);
    const { authorizer } = authorizerFor(server.jwksUri);
    const token = cognitoAccessToken(a, { now: Math.floor(clock / 1000) });
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => authorizer.handle(tokenEvent(`Bearer ${token}`), { awsRequestId: `req-cold-${i}` })));
    expect(answers.map((answer) => evaluatePolicy((answer as AuthorizerAnswer).policyDocument, methodArn('GET', '/items/42')))).toEqual(Array(20).fill('allow'));
    expect(server.jwksHits).toBe(1);
  });
});

/** A resolver that answers as getaddrinfo does for a name that does not exist, without asking a DNS server. */
const unresolvable: LookupFunction = (hostname, _options, callback) => {
  process.nextTick(() => callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname }), '', 4));
};

describe('key outages fail fast and say why', () => {
  test('error flow: during an outage 100 requests cost 2 fetch attempts instead of 100, each answered 401 KEYS_UNAVAILABLE', async () => {
    server.setFault('hang');
    const target = authorizerFor(server.jwksUri, KEY_OPTIONS, { random: () => 1 });
    const statuses: unknown[] = [];
    for (let i = 0; i < 100; i++) {
      statuses.push((await call(target, a)).reason);
      clock += 1000;
    }
    expect(new Set(statuses)).toEqual(new Set(['KEYS_UNAVAILABLE']));
    // One attempt at 0 s, the next after the first back-off (60 s); every other request answered at once.
    expect(server.jwksHits).toBe(2);
    expect(refreshFailures(target.logs).map(({ cause, retryInMs }) => ({ cause, retryInMs }))).toEqual([
      { cause: 'TIMEOUT', retryInMs: 60_000 },
      { cause: 'TIMEOUT', retryInMs: 120_000 },
    ]);
  });

  test('happy flow: after the outage, the next due attempt recovers and requests pass again', async () => {
    server.setFault('http503');
    const target = authorizerFor(server.jwksUri, KEY_OPTIONS, { random: () => 0 });
    expect(await call(target, a)).toMatchObject({ status: 401, reason: 'KEYS_UNAVAILABLE' });
    server.setFault('none');
    expect(await call(target, a)).toMatchObject({ status: 401, reason: 'KEYS_UNAVAILABLE' });
    expect(server.jwksHits).toBe(1);
    clock += KEY_OPTIONS.cooldownSeconds * 1000;
    expect(await call(target, a)).toMatchObject({ status: 200, reason: 'ALLOW' });
    expect(server.jwksHits).toBe(2);
    expect(refreshFailures(target.logs)).toHaveLength(1);
  });

  /** A cause, and how to make the key endpoint fail with it: the URL, and an optional transport. */
  type Fault = { url: () => Promise<string>; fetch?: FetchFunction; status?: number };
  const faults: Array<[KeyRefreshCause, string, () => Promise<Fault>]> = [
    ['TIMEOUT', 'an endpoint that never answers', async () => { server.setFault('hang'); return { url: async () => server.jwksUri }; }],
    ['DNS', 'a host name that does not resolve', async () => ({ url: async () => 'https://keys.idp.invalid/.well-known/jwks.json', fetch: createHttpGetJson({ lookup: unresolvable }) })],
    ['CONNECT', 'a closed port', async () => ({ url: async () => `${await refusedUrl()}/.well-known/jwks.json` })],
    ['CONNECT', 'an endpoint that resets the connection', async () => { server.setFault('reset'); return { url: async () => server.jwksUri }; }],
    ['TLS', 'an https endpoint with a self-signed certificate', async () => {
      const tls = await startJwksServer({ keys: [a.publicJwk], tls: true });
      extraServers.push(tls);
      return { url: async () => tls.jwksUri };
    }],
    ['HTTP_STATUS', 'an endpoint answering 503', async () => { server.setFault('http503'); return { url: async () => server.jwksUri, status: 503 }; }],
    ['BAD_JSON', 'an endpoint answering invalid JSON', async () => { server.setFault('garbage'); return { url: async () => server.jwksUri }; }],
    ['BAD_JSON', 'an endpoint answering HTML', async () => { server.setFault('html'); return { url: async () => server.jwksUri }; }],
    ['BAD_JSON', 'an endpoint answering 300 KB', async () => { server.setFault('too-large'); return { url: async () => server.jwksUri }; }],
    ['BAD_JSON', 'an endpoint answering JSON that is not a key set', async () => { server.setFault('not-a-key-set'); return { url: async () => server.jwksUri }; }],
    ['NO_USABLE_KEY', 'a key set without an RS256 key', async () => { server.setKeys([attacker.publicJwk].map((jwk) => ({ ...jwk, alg: 'PS256' }))); return { url: async () => server.jwksUri }; }],
  ];
  const extraServers: JwksServer[] = [];
  afterEach(async () => {
    await Promise.all(extraServers.splice(0).map((extra) => extra.close()));
  });

  test.each(faults)('error flow: %s is logged once per failed attempt for %s, and requests in between fail at once', async (cause, _what, arrange) => {
    const fault = await arrange();
    const target = authorizerFor(await fault.url(), KEY_OPTIONS, { fetch: fault.fetch, random: () => 0 });
    const first = await call(target, a);
    expect(first).toMatchObject({ status: 401, reason: 'KEYS_UNAVAILABLE' });
    const hits = server.totalHits;
    for (let i = 0; i < 5; i++) {
      clock += 1000;
      const next = await call(target, a);
      expect(next).toMatchObject({ status: 401, reason: 'KEYS_UNAVAILABLE' });
      // Answered from what is at hand: far below the fetch timeout (generous for a busy machine).
      expect(next.elapsedMs).toBeLessThan(KEY_OPTIONS.fetchTimeoutMs / 2);
    }
    expect(server.totalHits).toBe(hits);
    expect(refreshFailures(target.logs)).toEqual([{
      level: 'error',
      msg: 'key refresh failed',
      issuer: cognitoIssuerConfig({}).issuer,
      step: 'jwks',
      cause,
      status: fault.status ?? null,
      failures: 1,
      retryInMs: KEY_OPTIONS.cooldownSeconds * 1000,
      keysWithinGrace: false,
    }]);
    expect(target.logs.unstructured()).toEqual([]);
    expect(target.logs.lines.join('\n')).not.toMatch(/Sign in|Service Unavailable|xxxxxxxx|not json/);

    // The next due attempt fails the same way, and is logged once more.
    clock += KEY_OPTIONS.cooldownSeconds * 1000;
    expect(await call(target, a)).toMatchObject({ status: 401, reason: 'KEYS_UNAVAILABLE' });
    expect(refreshFailures(target.logs).map((line) => [line.cause, line.failures])).toEqual([[cause, 1], [cause, 2]]);
  });
});

describe('the built bundle', () => {
  test('error flow: the shipped handler logs one classified line per failed refresh to its log, and answers the requests in between at once', async () => {
    const dir = makeTempDir();
    try {
      const bundle = await buildBundle(join(dir, 'build'));
      const asset = stageBundle(bundle, testConfig([cognitoIssuerConfig({ jwksUri: `${await refusedUrl()}/.well-known/jwks.json` })], { keys: KEY_OPTIONS }));
      const now = Math.floor(Date.now() / 1000);
      const tokens = Array.from({ length: 5 }, () => cognitoAccessToken(a, { now }));
      try {
        const run = await runBundle(asset, tokens.map((token) => tokenEvent(`Bearer ${token}`)));
        expect(run.results).toEqual(Array(5).fill({ error: 'Unauthorized' }));
        const lines = run.logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
        expect(lines.filter((line) => line.msg === 'authorizer decision').map((line) => line.reason)).toEqual(Array(5).fill('KEYS_UNAVAILABLE'));
        // Five requests inside the first back-off: one fetch attempt, one line.
        expect(lines.filter((line) => line.msg === 'key refresh failed')).toEqual([expect.objectContaining({ level: 'error', cause: 'CONNECT', step: 'jwks', failures: 1 })]);
        expect(findLeaks(run.logLines, tokens)).toEqual([]);
      } finally {
        removeDir(asset);
      }
    } finally {
      removeDir(dir);
    }
  });
});
