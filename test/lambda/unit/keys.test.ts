import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { JwsAlgorithm, PublicJwk } from '../../../lambda/config-types';
import { FetchError, FetchTimeoutError, KeyNotFoundError, KeysUnavailableError } from '../../../lambda/errors';
import { httpGetJson, MAX_RESPONSE_BYTES, type FetchFunction } from '../../../lambda/http';
import { createKeySet, keyFitsAlgorithm, MAX_JWKS_KEYS, RemoteKeySet, StaticKeySet, type KeySetOptions } from '../../../lambda/keys';
import { startJwksServer, type JwksServer } from '../../fixtures/jwks-server';
import { testKey, type TestKey } from '../../fixtures/keys';

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
    ['resets the connection', 'reset'],
    ['answers HTTP 500', 'http500'],
    ['answers garbage', 'garbage'],
    ['answers JSON that is not a key set', 'not-a-key-set'],
  ] as const)('error flow: an endpoint that %s fails closed, and is retried on the next request while no keys are at hand', async (_name, fault) => {
    server.setFault(fault);
    const keys = remote();
    const error = await failure(keys.getKey(a.kid, 'RS256'));
    expect(error).toBeInstanceOf(KeysUnavailableError);
    expect((error as KeysUnavailableError).cause).toBeInstanceOf(FetchError);
    expect(server.jwksHits).toBe(1);
    server.setFault('none');
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
    server.setKeys([{ ...a.publicJwk, d: 'private-exponent' } as PublicJwk]);
    expect(await failure(remote().getKey(a.kid, 'RS256'))).toBeInstanceOf(KeyNotFoundError);
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
