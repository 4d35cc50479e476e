import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { JwsAlgorithm, PublicJwk } from '../../lambda/contract/config-types';
import { parseConfig } from '../../lambda/contract/config';
import { ConfigError, FetchError, FetchTimeoutError, fetchFailureCauseOf, KeyNotFoundError, KeysUnavailableError } from '../../lambda/errors';
import { httpGetJson, MAX_RESPONSE_BYTES, type FetchFunction } from '../../lambda/http';
import { backoffDelayMs, createKeySet, keyFitsAlgorithm, keyObjectFitsAlgorithm, MAX_BACKOFF_MS, MAX_JWKS_KEYS, RemoteKeySet, StaticKeySet, type KeySetOptions } from '../../lambda/keys';
import type { KeyRefreshFailureRecord } from '../../lambda/contract/key-refresh-log';
import { startJwksServer, type JwksServer } from '../fixtures/jwks-server';
import { testKey, type TestKey } from '../fixtures/keys';

const T0 = Date.UTC(2030, 0, 15, 12, 0, 0);
const OPTIONS = { fetchTimeoutMs: 250, maxAgeSeconds: 900, cooldownSeconds: 30, graceSeconds: 3600 };

let a: TestKey;
let b: TestKey;
let ec: TestKey;
let ed: TestKey;
let server: JwksServer;
let clock: number;

beforeAll(async () => {
  [a, b, ec, ed] = await Promise.all([testKey('RS256', 'a'), testKey('RS256', 'b'), testKey('ES256'), testKey('EdDSA')]);
});

beforeEach(async () => {
  clock = T0;
  server = await startJwksServer({ keys: [a.publicJwk] });
});

afterEach(async () => {
  await server.close();
});

function options(overrides: Partial<KeySetOptions> = {}): KeySetOptions {
  return { ...OPTIONS, fetch: httpGetJson, now: () => clock, ...overrides };
}

function remote(overrides: Partial<KeySetOptions> = {}): RemoteKeySet {
  return new RemoteKeySet({ jwksUri: server.jwksUri }, options(overrides));
}

async function failure(promise: Promise<unknown>): Promise<Error & { code?: string; reason?: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error & { code?: string };
}

describe('RemoteKeySet over a JWKS endpoint on 127.0.0.1', () => {
  test('happy flow: the JWKS is fetched once and each key imported once', async () => {
    const keys = remote();
    const first = await keys.getKey(a.kid, 'RS256');
    const second = await keys.getKey(a.kid, 'RS256');
    expect(first.type).toBe('public');
    expect(second).toBe(first);
    expect(server.jwksHits).toBe(1);
    expect(server.lastRequestHeaders?.accept).toBe('application/json');
  });

  test('happy flow: keys older than maxAgeSeconds are refetched before use', async () => {
    const keys = remote();
    await keys.getKey(a.kid, 'RS256');
    clock += OPTIONS.maxAgeSeconds * 1000 - 1;
    await keys.getKey(a.kid, 'RS256');
    expect(server.jwksHits).toBe(1);
    clock += 1;
    await keys.getKey(a.kid, 'RS256');
    expect(server.jwksHits).toBe(2);
  });

  test('happy flow: concurrent requests on a cold key set share one fetch', async () => {
    const keys = remote();
    await Promise.all(Array.from({ length: 20 }, () => keys.getKey(a.kid, 'RS256')));
    expect(server.jwksHits).toBe(1);
  });

  test('happy flow: an unknown kid refetches once, then unknown kids fail fast during the cooldown', async () => {
    const keys = remote();
    await keys.getKey(a.kid, 'RS256');
    server.setKeys([a.publicJwk, b.publicJwk]);

    const early = await failure(keys.getKey(b.kid, 'RS256'));
    expect(early).toBeInstanceOf(KeyNotFoundError);
    expect(early.code).toBe('ERR_KEY_NOT_FOUND');
    expect(server.jwksHits).toBe(1);

    clock += OPTIONS.cooldownSeconds * 1000;
    await expect(keys.getKey(b.kid, 'RS256')).resolves.toBeDefined();
    expect(server.jwksHits).toBe(2);

    for (let i = 0; i < 10; i++) {
      expect(await failure(keys.getKey(`flood-${i}`, 'RS256'))).toBeInstanceOf(KeyNotFoundError);
    }
    expect(server.jwksHits).toBe(2);
    clock += OPTIONS.cooldownSeconds * 1000;
    expect(await failure(keys.getKey('flood-after', 'RS256'))).toBeInstanceOf(KeyNotFoundError);
    expect(server.jwksHits).toBe(3);
  });

  test('happy flow: an unknown kid arriving during a fetch waits for that fetch instead of starting another', async () => {
    const keys = remote();
    server.setKeys([a.publicJwk, b.publicJwk]);
    await Promise.all([keys.getKey(a.kid, 'RS256'), keys.getKey(b.kid, 'RS256')]);
    expect(server.jwksHits).toBe(1);
  });

  test.each([
    ['hangs', 'hang'],
    ['answers too slowly', 'slow'],
  ] as const)('error flow: an endpoint that %s fails closed within the fetch timeout', async (_name, fault) => {
    server.setFault(fault, 5000);
    const started = performance.now();
    const error = await failure(remote().getKey(a.kid, 'RS256'));
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(KeysUnavailableError);
    expect(error.code).toBe('ERR_KEYS_UNAVAILABLE');
    expect(error.reason).toBe('KEYS_UNAVAILABLE');
    expect((error as KeysUnavailableError).cause).toBeInstanceOf(FetchTimeoutError);
    expect(((error as KeysUnavailableError).cause as FetchTimeoutError).code).toBe('ERR_FETCH_TIMEOUT');
    expect(elapsed).toBeGreaterThanOrEqual(OPTIONS.fetchTimeoutMs - 5);
    expect(elapsed).toBeLessThan(OPTIONS.fetchTimeoutMs + 400);
  });

  test('error flow: a transport that ignores the abort signal is still bounded by the timeout', async () => {
    const never: FetchFunction = () => new Promise(() => undefined);
    const started = performance.now();
    const error = await failure(remote({ fetch: never }).getKey(a.kid, 'RS256'));
    expect(error).toBeInstanceOf(KeysUnavailableError);
    expect(performance.now() - started).toBeLessThan(OPTIONS.fetchTimeoutMs + 400);
  });

  test.each([
    ['resets the connection', 'reset', 'CONNECT'],
    ['answers HTTP 500', 'http500', 'HTTP_STATUS'],
    ['answers garbage', 'garbage', 'BAD_JSON'],
    ['answers JSON that is not a key set', 'not-a-key-set', 'BAD_JSON'],
  ] as const)('error flow: an endpoint that %s fails closed, and is retried once the cooldown has passed while no keys are at hand', async (_name, fault, cause) => {
    server.setFault(fault);
    const keys = remote({ random: () => 0 });
    const error = await failure(keys.getKey(a.kid, 'RS256'));
    expect(error).toBeInstanceOf(KeysUnavailableError);
    expect((error as KeysUnavailableError).cause).toBeInstanceOf(FetchError);
    expect(((error as KeysUnavailableError).cause as FetchError).failureCause).toBe(cause);
    expect(server.jwksHits).toBe(1);
    server.setFault('none');
    // Before the next attempt is due the request fails at once, without a fetch.
    clock += OPTIONS.cooldownSeconds * 1000 - 1;
    expect(await failure(keys.getKey(a.kid, 'RS256'))).toBeInstanceOf(KeysUnavailableError);
    expect(server.jwksHits).toBe(1);
    clock += 1;
    await expect(keys.getKey(a.kid, 'RS256')).resolves.toBeDefined();
    expect(server.jwksHits).toBe(2);
  });

  test('happy flow: when a refresh fails, keys within the grace period keep working and the endpoint is retried once per cooldown', async () => {
    const keys = remote();
    await keys.getKey(a.kid, 'RS256');
    server.setFault('http500');
    clock = T0 + (OPTIONS.maxAgeSeconds + 1) * 1000;
    await expect(keys.getKey(a.kid, 'RS256')).resolves.toBeDefined();
    expect(server.jwksHits).toBe(2);
    clock += 1000;
    await expect(keys.getKey(a.kid, 'RS256')).resolves.toBeDefined();
    expect(server.jwksHits).toBe(2);
    clock += OPTIONS.cooldownSeconds * 1000;
    await expect(keys.getKey(a.kid, 'RS256')).resolves.toBeDefined();
    expect(server.jwksHits).toBe(3);
  });

  test('error flow: beyond the grace period a failing endpoint fails closed', async () => {
    const keys = remote({ graceSeconds: 1800 });
    await keys.getKey(a.kid, 'RS256');
    server.setFault('reset');
    clock = T0 + 1799 * 1000;
    await expect(keys.getKey(a.kid, 'RS256')).resolves.toBeDefined();
    clock = T0 + 1801 * 1000;
    expect(await failure(keys.getKey(a.kid, 'RS256'))).toBeInstanceOf(KeysUnavailableError);
  });

  test('error flow: a JWKS with more than 100 keys is refused as a whole', async () => {
    server.setKeys(Array.from({ length: MAX_JWKS_KEYS + 1 }, (_, i) => ({ ...a.publicJwk, kid: `k${i}` })));
    const error = await failure(remote().getKey('k1', 'RS256'));
    expect(error).toBeInstanceOf(KeysUnavailableError);
    expect(error.message).toContain('more than 100');
  });

  test('error flow: several usable keys with the same kid are ambiguous', async () => {
    server.setKeys([a.publicJwk, { ...b.publicJwk, kid: a.kid }]);
    expect(await failure(remote().getKey(a.kid, 'RS256'))).toBeInstanceOf(KeyNotFoundError);
  });
});

describe('discovery', () => {
  test('happy flow: the jwks_uri of a discovery document naming the configured issuer is used', async () => {
    const keys = createKeySet({ kind: 'oidc', issuer: server.url, discovery: true, audiences: ['x'] }, options());
    await expect(keys.getKey(a.kid, 'RS256')).resolves.toBeDefined();
    await keys.getKey(a.kid, 'RS256');
    expect(server.discoveryHits).toBe(1);
    expect(server.jwksHits).toBe(1);
  });

  test('error flow: a discovery document naming another issuer fails closed and its jwks_uri is never fetched', async () => {
    const impostor = await startJwksServer({ keys: [a.publicJwk], issuer: 'https://impostor.example.test' });
    try {
      const keys = createKeySet({ kind: 'oidc', issuer: impostor.url, discovery: true, audiences: ['x'] }, options());
      const error = await failure(keys.getKey(a.kid, 'RS256'));
      expect(error).toBeInstanceOf(KeysUnavailableError);
      expect(error.message).toContain('names another issuer');
      expect(impostor.jwksHits).toBe(0);
    } finally {
      await impostor.close();
    }
  });

  test('error flow: a discovery document with a plain-http jwks_uri off loopback is refused', async () => {
    const fetch: FetchFunction = async (url) => ({
      status: 200,
      json: async () => (url.endsWith('openid-configuration') ? { issuer: 'https://idp.example.test', jwks_uri: 'http://idp.example.test/jwks' } : { keys: [] }),
    });
    const keys = createKeySet({ kind: 'oidc', issuer: 'https://idp.example.test', discovery: true, audiences: ['x'] }, options({ fetch }));
    expect((await failure(keys.getKey(a.kid, 'RS256'))).message).toContain('no acceptable jwks_uri');
  });

  test.each<[string, FetchFunction, string]>([
    ['throws synchronously', () => { throw Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }); }, 'CONNECT'],
    ['rejects with a plain error carrying a DNS code', async () => { throw Object.assign(new Error('no such host'), { code: 'ENOTFOUND' }); }, 'DNS'],
    ['rejects with something that is not an error', () => Promise.reject('down'), 'CONNECT'],
    ['answers a body that does not parse', async () => ({ status: 200, json: async () => JSON.parse('<html>') }), 'BAD_JSON'],
    ['answers HTTP 500', async () => ({ status: 500, json: async () => ({ keys: [a.publicJwk] }) }), 'HTTP_STATUS'],
    ['ignores the abort signal and never answers', () => new Promise(() => undefined), 'TIMEOUT'],
  ])('error flow: an injected transport that %s fails closed, logged with its fetch failure cause', async (_what, fetch, cause) => {
    const lines: string[] = [];
    const started = performance.now();
    const error = await failure(remote({ fetch, log: (line) => lines.push(line) }).getKey(a.kid, 'RS256'));
    expect(performance.now() - started).toBeLessThan(OPTIONS.fetchTimeoutMs + 1000);
    expect(error).toBeInstanceOf(KeysUnavailableError);
    expect(error.code).toBe('ERR_KEYS_UNAVAILABLE');
    expect((error as Error).cause).toBeInstanceOf(cause === 'TIMEOUT' ? FetchTimeoutError : FetchError);
    expect(lines.map((line) => JSON.parse(line) as KeyRefreshFailureRecord)).toEqual([expect.objectContaining({ cause, step: 'jwks' })]);
  });

  test("happy flow: a Cognito issuer's keys come from {issuer}/.well-known/jwks.json by default", async () => {
    const urls: string[] = [];
    const fetch: FetchFunction = async (url) => {
      urls.push(url);
      return { status: 200, json: async () => ({ keys: [a.publicJwk] }) };
    };
    const issuer = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Keys1';
    await createKeySet({ kind: 'cognito', issuer, clientIds: ['c'] }, options({ fetch })).getKey(a.kid, 'RS256');
    expect(urls).toEqual([`${issuer}/.well-known/jwks.json`]);
  });
});

describe('key selection', () => {
  const rsaJwk = (): PublicJwk => a.publicJwk;

  test.each<[string, () => Record<string, unknown>, JwsAlgorithm, boolean]>([
    ['an RSA signing key for RS256', () => rsaJwk(), 'RS256', true],
    ['an RSA key without alg for PS256', () => ({ ...rsaJwk(), alg: undefined }), 'PS256', true],
    ['an RSA key whose alg is RS256, for PS256', () => rsaJwk(), 'PS256', false],
    ['an encryption key', () => ({ ...rsaJwk(), use: 'enc' }), 'RS256', false],
    ['a key whose key_ops lack verify', () => ({ ...rsaJwk(), key_ops: ['encrypt'] }), 'RS256', false],
    ['a private key', () => ({ ...rsaJwk(), d: 'AAAA' }), 'RS256', false],
    ['a 1024-bit RSA key', () => ({ ...rsaJwk(), n: (rsaJwk().n as string).slice(0, 171) }), 'RS256', false],
    ['an RSA key for ES256', () => ({ ...rsaJwk(), alg: undefined }), 'ES256', false],
    ['a P-256 key for ES256', () => ec.publicJwk, 'ES256', true],
    ['a P-256 key for ES384', () => ({ ...ec.publicJwk, alg: undefined }), 'ES384', false],
    ['an Ed25519 key for EdDSA', () => ed.publicJwk, 'EdDSA', true],
    ['an X25519 key for EdDSA', () => ({ ...ed.publicJwk, crv: 'X25519' }), 'EdDSA', false],
    ['a symmetric key', () => ({ kty: 'oct', k: 'c2VjcmV0', kid: 'k' }), 'RS256', false],
  ])('%s fits: %s', (_name, jwk, alg, fits) => {
    expect(keyFitsAlgorithm(JSON.parse(JSON.stringify(jwk())), alg)).toBe(fits);
  });

  test('error flow: a JWKS whose only key with the kid is private offers no key', async () => {
    server.setKeys([{ ...a.publicJwk, d: 'private-exponent' } as PublicJwk, b.publicJwk]);
    expect(await failure(remote().getKey(a.kid, 'RS256'))).toBeInstanceOf(KeyNotFoundError);
  });

  test('error flow: a JWKS whose only key is private holds no usable key: the refresh fails with NO_USABLE_KEY', async () => {
    server.setKeys([{ ...a.publicJwk, d: 'private-exponent' } as PublicJwk]);
    const error = await failure(remote().getKey(a.kid, 'RS256'));
    expect(error).toBeInstanceOf(KeysUnavailableError);
    expect(((error as KeysUnavailableError).cause as FetchError).failureCause).toBe('NO_USABLE_KEY');
  });

  test('happy flow: keyObject answers at once once the keys are fresh and the key selected, with a promise only to fetch', async () => {
    const keys = remote();
    const first = keys.keyObject(a.kid, 'RS256');
    expect(first).toBeInstanceOf(Promise);
    const key = await first;
    expect(key.asymmetricKeyType).toBe('rsa');
    expect(keys.keyObject(a.kid, 'RS256')).toBe(key);
    expect(server.jwksHits).toBe(1);
    // Stale keys: a promise again (the refetch), then the same key material.
    clock += 901_000;
    expect(keys.keyObject(a.kid, 'RS256')).toBeInstanceOf(Promise);
  });

  test('happy flow: a static key set answers keyObject synchronously, and getKey with a WebCrypto key of the same material', async () => {
    const keys = new StaticKeySet([ed.publicJwk]);
    const key = keys.keyObject(ed.kid, 'EdDSA');
    expect(key.asymmetricKeyType).toBe('ed25519');
    expect(keys.keyObject(ed.kid, 'EdDSA')).toBe(key);
    const cryptoKey = await keys.getKey(ed.kid, 'EdDSA');
    expect(cryptoKey.algorithm.name).toBe('Ed25519');
    expect(await keys.getKey(ed.kid, 'EdDSA')).toBe(cryptoKey);
    expect(() => keys.keyObject(ed.kid, 'ES256')).toThrow(KeyNotFoundError);
  });

  test('error flow: an RSA modulus written with leading zeros to 2048 bits of length, but of 1024 bits, is refused', async () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const jwk = publicKey.export({ format: 'jwk' });
    const n = Buffer.concat([Buffer.alloc(128), Buffer.from(jwk.n ?? '', 'base64url')]).toString('base64url');
    const padded = { kty: 'RSA', n, e: jwk.e, kid: 'padded' } as PublicJwk;
    expect(keyFitsAlgorithm(padded, 'RS256')).toBe(true);
    const keys = new StaticKeySet([padded]);
    expect(() => keys.keyObject('padded', 'RS256')).toThrow(/does not fit/);
    expect(keyObjectFitsAlgorithm(publicKey, 'RS256')).toBe(false);
  });

  test('happy flow: a static key set imports its keys without any fetch', async () => {
    const keys = new StaticKeySet([ec.publicJwk]);
    expect((await keys.getKey(ec.kid, 'ES256')).algorithm.name).toBe('ECDSA');
    const error = await failure(keys.getKey(ec.kid, 'ES384'));
    expect(error).toBeInstanceOf(KeyNotFoundError);
    expect(error.reason).toBe('UNKNOWN_KID');
  });
});

describe('httpGetJson', () => {
  let raw: Server;
  let base: string;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    raw = createServer((req, res) => {
      switch (req.url) {
        case '/redirect':
          res.writeHead(302, { location: 'https://evil.example/jwks' }).end();
          return;
        case '/html':
          res.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>');
          return;
        case '/jwk-set':
          res.writeHead(200, { 'content-type': 'application/jwk-set+json; charset=utf-8' }).end('{"keys":[]}');
          return;
        case '/declared-too-large':
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(MAX_RESPONSE_BYTES + 1) });
          res.write('{');
          return;
        case '/streamed-too-large':
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(`{"pad":"${'x'.repeat(MAX_RESPONSE_BYTES)}"}`);
          return;
        default:
          res.writeHead(404, { 'content-type': 'application/json' }).end('{}');
      }
    });
    raw.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(raw.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    sockets.forEach((socket) => socket.destroy());
    await new Promise((resolve) => raw.close(resolve));
  });

  const get = (path: string) => httpGetJson(`${base}${path}`, { signal: new AbortController().signal, headers: {} });

  test('happy flow: a JWK set media type with parameters is JSON', async () => {
    const response = await get('/jwk-set');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ keys: [] });
  });

  test('error flow: a redirect is returned as its status, never followed', async () => {
    const response = await get('/redirect');
    expect(response.status).toBe(302);
    expect(await failure(response.json())).toBeInstanceOf(FetchError);
  });

  test.each([
    ['a non-JSON content type', '/html', 'not JSON'],
    ['a declared length over the cap', '/declared-too-large', 'more than'],
    ['a streamed body over the cap', '/streamed-too-large', 'more than'],
  ])('error flow: %s is refused', async (_name, path, text) => {
    const error = await failure(get(path));
    expect(error).toBeInstanceOf(FetchError);
    expect(error.code).toBe('ERR_FETCH_FAILED');
    expect(error.message).toContain(text);
  });

  test('error flow: plain http off loopback is refused without a request', async () => {
    const error = await failure(httpGetJson('http://keys.example.test/jwks', { signal: new AbortController().signal, headers: {} }));
    expect(error).toBeInstanceOf(FetchError);
    expect(error.message).toContain('https required');
  });

  test('error flow: an aborted request rejects', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    expect(await failure(httpGetJson(`${base}/jwk-set`, { signal: controller.signal, headers: {} }))).toBeInstanceOf(FetchError);
  });
});

/** A key set on the test clock whose failure lines are captured, over a counting transport. */
function watched(overrides: Partial<KeySetOptions> = {}) {
  const lines: KeyRefreshFailureRecord[] = [];
  let attempts = 0;
  const keys = remote({
    issuer: 'https://idp.example.test',
    algorithms: ['RS256'],
    log: (line) => lines.push(JSON.parse(line) as KeyRefreshFailureRecord),
    fetch: (url, init) => {
      attempts += 1;
      return httpGetJson(url, init);
    },
    ...overrides,
  });
  return { keys, lines, attempts: () => attempts };
}

describe('back-off while no usable keys are at hand', () => {
  test('error flow: during an outage, requests between attempts fail at once without a fetch', async () => {
    server.setFault('http503');
    const { keys, attempts } = watched({ random: () => 1 });
    // 100 requests, one per second: the old key set fetched on every one of them.
    const outcomes: unknown[] = [];
    for (let i = 0; i < 100; i++) {
      outcomes.push(await failure(keys.getKey(a.kid, 'RS256')));
      clock += 1000;
    }
    expect(outcomes.every((e) => e instanceof KeysUnavailableError)).toBe(true);
    // Attempts at 0 s, then after 60 s (the first back-off ceiling, 2 x the cooldown): 2 of 100.
    expect(attempts()).toBe(2);
    expect(server.jwksHits).toBe(2);
  });

  test('error flow: a hanging endpoint costs one fetch timeout per attempt, not per request', async () => {
    server.setFault('hang');
    const { keys, attempts } = watched({ random: () => 0 });
    const started = performance.now();
    const errors = await Promise.all(Array.from({ length: 20 }, () => failure(keys.getKey(a.kid, 'RS256'))));
    for (let i = 0; i < 20; i++) {
      errors.push(await failure(keys.getKey(a.kid, 'RS256')));
    }
    expect(errors.every((e) => e instanceof KeysUnavailableError)).toBe(true);
    expect(attempts()).toBe(1);
    // 40 requests, one shared timeout: far less than 40 x 250 ms even on a busy machine.
    expect(performance.now() - started).toBeLessThan(OPTIONS.fetchTimeoutMs * 8);
  });

  test('happy flow: the back-off doubles from the cooldown to a 5 minute cap, with jitter from the random source', async () => {
    server.setFault('http503');
    /** Six failed attempts, each at the moment it is due; one millisecond earlier, no attempt is made. */
    const delaysWith = async (random: () => number): Promise<number[]> => {
      const start = clock;
      const { keys, lines, attempts } = watched({ random });
      for (let i = 0; i < 6; i++) {
        await failure(keys.getKey(a.kid, 'RS256'));
        expect(attempts()).toBe(i + 1);
        clock += lines[i]!.retryInMs - 1;
        await failure(keys.getKey(a.kid, 'RS256'));
        expect(attempts()).toBe(i + 1);
        clock += 1;
      }
      expect(lines.map((line) => line.failures)).toEqual([1, 2, 3, 4, 5, 6]);
      clock = start;
      return lines.map((line) => line.retryInMs);
    };
    expect(await delaysWith(() => 1)).toEqual([60_000, 120_000, 240_000, MAX_BACKOFF_MS, MAX_BACKOFF_MS, MAX_BACKOFF_MS]);
    expect(await delaysWith(() => 0)).toEqual(Array(6).fill(OPTIONS.cooldownSeconds * 1000));
    expect(await delaysWith(() => 0.5)).toEqual([45_000, 75_000, 135_000, 165_000, 165_000, 165_000]);
  });

  test('happy flow: backoffDelayMs never goes below the cooldown nor above the cap, unless the cooldown is longer', () => {
    expect(backoffDelayMs(1, 1000, () => 0)).toBe(1000);
    expect(backoffDelayMs(50, 1000, () => 0.999999)).toBeLessThanOrEqual(MAX_BACKOFF_MS);
    expect(backoffDelayMs(50, 1000, () => 1)).toBe(MAX_BACKOFF_MS);
    expect(backoffDelayMs(3, 3_600_000, () => 1)).toBe(3_600_000);
    expect(backoffDelayMs(2, 30_000, () => Number.NaN)).toBe(75_000);
  });

  test('happy flow: once the endpoint answers again, the next due attempt restores the keys and resets the back-off', async () => {
    server.setFault('http503');
    const { keys, lines, attempts } = watched({ random: () => 1 });
    await failure(keys.getKey(a.kid, 'RS256'));
    clock += 60_000;
    await failure(keys.getKey(a.kid, 'RS256'));
    expect(lines.map((line) => line.retryInMs)).toEqual([60_000, 120_000]);

    server.setFault('none');
    clock += 120_000;
    await expect(keys.getKey(a.kid, 'RS256')).resolves.toBeDefined();
    expect(attempts()).toBe(3);

    // A later outage starts the back-off from the beginning again.
    server.setFault('http503');
    clock += OPTIONS.maxAgeSeconds * 1000 + OPTIONS.graceSeconds * 1000;
    await failure(keys.getKey(a.kid, 'RS256'));
    expect(lines.map((line) => line.retryInMs)).toEqual([60_000, 120_000, 60_000]);
    expect(lines[2]).toMatchObject({ failures: 1, keysWithinGrace: false, level: 'error' });
  });

  test('happy flow: with keys within the grace period the endpoint is retried once per cooldown, logged as a warning', async () => {
    const { keys, lines } = watched({ random: () => 1 });
    await keys.getKey(a.kid, 'RS256');
    server.setFault('http503');
    clock += (OPTIONS.maxAgeSeconds + 1) * 1000;
    for (let i = 0; i < 3; i++) {
      await expect(keys.getKey(a.kid, 'RS256')).resolves.toBeDefined();
      clock += OPTIONS.cooldownSeconds * 1000;
    }
    expect(lines).toEqual(Array(3).fill(expect.objectContaining({ level: 'warn', keysWithinGrace: true, retryInMs: OPTIONS.cooldownSeconds * 1000, cause: 'HTTP_STATUS', status: 503 })));
  });

  test('error flow: an unknown kid during the back-off does not trigger a fetch', async () => {
    const { keys, attempts } = watched({ random: () => 1 });
    await keys.getKey(a.kid, 'RS256');
    server.setFault('http503');
    clock += (OPTIONS.maxAgeSeconds + OPTIONS.graceSeconds + 1) * 1000;
    await failure(keys.getKey(a.kid, 'RS256'));
    expect(attempts()).toBe(2);
    clock += OPTIONS.cooldownSeconds * 1000;
    for (let i = 0; i < 10; i++) {
      expect(await failure(keys.getKey(`made-up-${i}`, 'RS256'))).toBeInstanceOf(KeysUnavailableError);
    }
    expect(attempts()).toBe(2);
  });
});

describe('key-refresh failure lines', () => {
  test('error flow: each failed attempt is logged once, with its cause and status, and no document body', async () => {
    server.setFault('http503');
    const { keys, lines } = watched({ random: () => 0 });
    for (let i = 0; i < 5; i++) {
      await failure(keys.getKey(a.kid, 'RS256'));
    }
    expect(lines).toEqual([{
      level: 'error', msg: 'key refresh failed', issuer: 'https://idp.example.test', step: 'jwks', cause: 'HTTP_STATUS', status: 503,
      failures: 1, retryInMs: OPTIONS.cooldownSeconds * 1000, keysWithinGrace: false,
    }]);
  });

  test('error flow: a discovery failure names the discovery step', async () => {
    server.setFault('html');
    const lines: string[] = [];
    const keys = createKeySet({ kind: 'oidc', issuer: server.url, discovery: true, audiences: ['x'] }, options({ log: (line) => lines.push(line) }));
    await failure(keys.getKey(a.kid, 'RS256'));
    expect(lines.map((line) => JSON.parse(line))).toEqual([expect.objectContaining({ issuer: server.url, step: 'discovery', cause: 'BAD_JSON', status: null })]);
    expect(lines.join('\n')).not.toContain('Sign in');
  });

  test('error flow: a JWKS without a key for the issuer\'s algorithms is NO_USABLE_KEY and keeps the keys at hand', async () => {
    const { keys, lines } = watched({ algorithms: ['RS256'] });
    await keys.getKey(a.kid, 'RS256');
    server.setKeys([ec.publicJwk, ed.publicJwk]);
    clock += OPTIONS.maxAgeSeconds * 1000;
    await expect(keys.getKey(a.kid, 'RS256')).resolves.toBeDefined();
    expect(lines).toEqual([expect.objectContaining({ cause: 'NO_USABLE_KEY', level: 'warn', keysWithinGrace: true })]);
  });

  test('error flow: a failing log sink does not change the answer', async () => {
    server.setFault('http503');
    const keys = remote({ log: () => { throw new Error('sink down'); } });
    expect(await failure(keys.getKey(a.kid, 'RS256'))).toBeInstanceOf(KeysUnavailableError);
  });

  test.each([
    ['ENOTFOUND', 'DNS'], ['EAI_AGAIN', 'DNS'], ['ECONNREFUSED', 'CONNECT'], ['ECONNRESET', 'CONNECT'], ['EHOSTUNREACH', 'CONNECT'],
    ['ETIMEDOUT', 'TIMEOUT'], ['ERR_TLS_CERT_ALTNAME_INVALID', 'TLS'], ['CERT_HAS_EXPIRED', 'TLS'], ['DEPTH_ZERO_SELF_SIGNED_CERT', 'TLS'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'TLS'], ['ERR_SSL_WRONG_VERSION_NUMBER', 'TLS'],
  ])('a transport error with code %s is %s, also wrapped as fetch wraps it, whatever its message', (code, cause) => {
    const error = Object.assign(new Error('certificate has expired; connection refused; getaddrinfo'), { code });
    expect(fetchFailureCauseOf(error)).toBe(cause);
    expect(fetchFailureCauseOf(new TypeError('fetch failed', { cause: error }))).toBe(cause);
    expect(new FetchError('x', { cause: error }).failureCause).toBe(cause);
  });

  test('a transport error without a known code is not classified by its message', () => {
    expect(fetchFailureCauseOf(new Error('getaddrinfo ENOTFOUND idp.example.test'))).toBeUndefined();
    expect(new FetchError('x', { cause: new Error('certificate') }).failureCause).toBe('CONNECT');
    expect(new FetchTimeoutError('x').failureCause).toBe('TIMEOUT');
  });
});

describe('configuration', () => {
  const config = (keys: Record<string, unknown>) => ({
    version: 1,
    issuers: [{ kind: 'cognito', issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Keys1', clientIds: ['c'] }],
    routes: [],
    keys,
  });

  test('error flow: a cooldown of 0 s is refused: it is the floor of the back-off', () => {
    expect(() => parseConfig(config({ cooldownSeconds: 0 }))).toThrow(ConfigError);
    expect(() => parseConfig(config({ cooldownSeconds: 0 }))).toThrow('keys.cooldownSeconds: must be an integer from 1 to 3600 seconds (received: 0)');
    expect(parseConfig(config({ cooldownSeconds: 1 })).keys).toEqual({ cooldownSeconds: 1 });
  });
});
