// What every implementation is measured against: one Cognito-style issuer on 127.0.0.1 with a real
// RSA key pair, real RS256 access tokens signed with it, and the configuration each authorizer reads.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { join } from 'node:path';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';

/** The user pool the tokens claim to come from; its region and id must satisfy aws-jwt-verify's parser. */
export const USER_POOL_ID = 'eu-west-1_BenchPool1';
/** Exact `iss` of every token: the production Cognito form, so no implementation takes a test-only path. */
export const ISSUER = `https://cognito-idp.eu-west-1.amazonaws.com/${USER_POOL_ID}`;
/** The app client the tokens were issued to (Cognito client ids are 26 lowercase alphanumerics). */
export const CLIENT_ID = '5pq8r2ve1kj7n0bench4cdk9sa';
/** Scopes every token holds; `bench/read` is what the called route requires. */
export const TOKEN_SCOPES = 'bench/read bench/write';
/** The scope the baselines require before they allow the call. */
export const REQUIRED_SCOPE = 'bench/read';
/** The route every decision is asked about, as API Gateway puts it in a TOKEN event. */
export const METHOD_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/GET/items/42';
/** Path of the key set on the local server; the Cognito layout, so aws-jwt-verify's own URL works unchanged. */
export const JWKS_PATH = `/${USER_POOL_ID}/.well-known/jwks.json`;

/**
 * A small but realistic route table for our authorizer: API Gateway answers are cached per token, so it
 * builds one policy over every route, which is part of the work a decision costs.
 */
export const ROUTES = [
  { method: 'GET', path: '/items', scopes: ['bench/read'] },
  { method: 'GET', path: '/items/{id}', scopes: ['bench/read'] },
  { method: 'POST', path: '/items', scopes: ['bench/write'] },
  { method: 'DELETE', path: '/items/{id}', scopes: ['bench/admin'] },
  { method: 'GET', path: '/reports/{proxy+}', scopes: ['bench/read'], conditions: [{ claim: 'cognito:groups', contains: 'analysts' }] },
];

/**
 * The environment every child process gets, whatever it runs: our configuration contract and the
 * baselines' own small configuration, so each process starts with identical environment sizes.
 * @param {string} jwksUri where the key set is served
 * @returns {Record<string, string>}
 */
export function authorizerEnvironment(jwksUri) {
  const config = {
    version: 1,
    issuers: [{ kind: 'cognito', issuer: ISSUER, jwksUri, clientIds: [CLIENT_ID], algorithms: ['RS256'] }],
    routes: ROUTES,
  };
  const url = new URL(jwksUri);
  const baseline = {
    userPoolId: USER_POOL_ID,
    issuer: ISSUER,
    clientId: CLIENT_ID,
    scope: REQUIRED_SCOPE,
    jwksUri,
    jwksOrigin: { protocol: url.protocol, hostname: url.hostname, port: Number(url.port) },
  };
  return {
    SECURE_API_AUTHORIZER_CONFIG: JSON.stringify(config),
    BENCH_BASELINE_CONFIG: JSON.stringify(baseline),
  };
}

/**
 * Two RSA-2048 key pairs, as Cognito publishes two keys: tokens are signed with the first, so every
 * implementation has to select the key by `kid` rather than take the only one.
 * @returns {Promise<{ privateKey: CryptoKey, kid: string, publicJwk: object, jwks: { keys: object[] } }>}
 */
export async function createSigningKeys() {
  const pairs = await Promise.all([generateKeyPair('RS256'), generateKeyPair('RS256')]);
  const keys = await Promise.all(
    pairs.map(async ({ publicKey }, index) => ({
      ...(await exportJWK(publicKey)),
      kid: `bench-key-${index + 1}`,
      alg: 'RS256',
      use: 'sig',
    })),
  );
  return { privateKey: pairs[0].privateKey, kid: keys[0].kid, publicJwk: keys[0], jwks: { keys } };
}

/**
 * Valid Cognito access tokens (user flavour, with groups and username), each distinct in `sub`, `jti`,
 * `username` and `origin_jti` so no implementation can answer from a per-token cache.
 * @param {{ privateKey: CryptoKey, kid: string }} keys
 * @param {number} count how many tokens
 * @param {number} nowSeconds issue time, epoch seconds
 * @returns {Promise<string[]>}
 */
export async function signAccessTokens({ privateKey, kid }, count, nowSeconds) {
  const tokens = new Array(count);
  // WebCrypto signs on the libuv thread pool: batches keep both cores busy without queueing thousands of jobs.
  const batch = 64;
  for (let start = 0; start < count; start += batch) {
    const end = Math.min(start + batch, count);
    const signed = [];
    for (let index = start; index < end; index += 1) {
      signed.push(
        new SignJWT({
          'cognito:groups': ['readers', 'analysts'],
          client_id: CLIENT_ID,
          origin_jti: randomUUID(),
          event_id: randomUUID(),
          token_use: 'access',
          scope: TOKEN_SCOPES,
          auth_time: nowSeconds - 60,
          version: 2,
          username: `bench-user-${index}`,
        })
          .setProtectedHeader({ alg: 'RS256', kid })
          .setSubject(randomUUID())
          .setIssuer(ISSUER)
          .setIssuedAt(nowSeconds - 60)
          .setExpirationTime(nowSeconds + 3600)
          .setJti(randomUUID())
          .sign(privateKey),
      );
    }
    const batchTokens = await Promise.all(signed);
    for (let offset = 0; offset < batchTokens.length; offset += 1) tokens[start + offset] = batchTokens[offset];
  }
  return tokens;
}

/**
 * A self-signed certificate for 127.0.0.1, so key fetches pay a real TLS handshake as they do against
 * Cognito. Needs the `openssl` command; returns undefined without it (the bench then falls back to http).
 * @param {string} dir where to write `tls.key` and `tls.crt`
 * @returns {{ keyPath: string, certPath: string } | undefined}
 */
export function createLoopbackCertificate(dir) {
  const keyPath = join(dir, 'tls.key');
  const certPath = join(dir, 'tls.crt');
  try {
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
        '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
        '-keyout', keyPath, '-out', certPath,
      ],
      { stdio: 'ignore' },
    );
  } catch {
    return undefined;
  }
  return { keyPath, certPath };
}

/**
 * Serves the key set on 127.0.0.1 (an ephemeral port), at every path ending in `/.well-known/jwks.json`,
 * and counts the requests so the bench can check that each cold start fetched the keys exactly once.
 * It also notes when the last key request arrived and when its answer was handed to the socket (epoch
 * milliseconds, the clock the children report on), which splits a cold first decision from outside.
 * @param {{ keys: object[] }} jwks the key set
 * @param {{ keyPath: string, certPath: string } | undefined} tls serve https with this certificate, else http
 * @returns {Promise<{ jwksUri: string, fetches: () => number,
 *   lastFetch: () => { receivedAt: number, sentAt: number } | undefined, close: () => Promise<void> }>}
 */
export async function startJwksServer(jwks, tls) {
  const body = JSON.stringify(jwks);
  let fetches = 0;
  let lastFetch;
  const onRequest = (request, response) => {
    if (request.method === 'GET' && request.url.endsWith('/.well-known/jwks.json')) {
      fetches += 1;
      const timing = { receivedAt: performance.timeOrigin + performance.now(), sentAt: Number.NaN };
      lastFetch = timing;
      response.once('finish', () => {
        timing.sentAt = performance.timeOrigin + performance.now();
      });
      response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=3600' });
      response.end(body);
      return;
    }
    response.writeHead(404).end();
  };
  const server = tls
    ? createHttpsServer({ key: readFileSync(tls.keyPath), cert: readFileSync(tls.certPath) }, onRequest)
    : createHttpServer(onRequest);
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    jwksUri: `${tls ? 'https' : 'http'}://127.0.0.1:${port}${JWKS_PATH}`,
    fetches: () => fetches,
    lastFetch: () => lastFetch,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
