/**
 * The log profiles through the shipped bundle: `minimal` logs route templates only (never a concrete path)
 * and no username; `pseudonymous` also writes keyed pseudonyms for `sub` and the client id, and as the
 * principal, with the key read once per cold start from a fake Secrets Manager on 127.0.0.1 over TLS, and
 * fails every request closed (401, never 500) when the key cannot be read.
 */
import { CONFIG_ENV_VAR, type AuthorizerConfig } from '../../lambda/contract/config-types';
import { pseudonym } from '../../lib/cli/pseudonym';
import { removeDir, runBundle, SHIPPED_BUNDLE, stageBundle, type BundleRun } from '../fixtures/bundle';
import { cognitoIssuerConfig, testConfig } from '../fixtures/config';
import { methodArn, tokenEvent } from '../fixtures/events';
import { startFakeAws, type FakeAws } from '../fixtures/fake-aws';
import { testKey, type TestKey } from '../fixtures/keys';
import { cognitoAccessToken, epochSeconds, TEST_CLIENT_ID } from '../fixtures/tokens';

const SUB = 'd2f1c7e0-1b2c-4d5e-8f90-a1b2c3d4e5f6';
const USERNAME = 'alice.example';
let key: TestKey;
let fake: FakeAws;

beforeAll(async () => {
  [key, fake] = await Promise.all([testKey('RS256'), startFakeAws()]);
});

afterAll(async () => {
  await fake?.close();
});

beforeEach(() => {
  fake.fault = 'none';
  fake.requests.length = 0;
});

function config(overrides: Partial<AuthorizerConfig>): AuthorizerConfig {
  return testConfig([cognitoIssuerConfig({ keys: [key.publicJwk] })], overrides);
}

async function run(cfg: AuthorizerConfig, events: unknown[], env: Record<string, string> = {}): Promise<BundleRun & { lines: Record<string, unknown>[]; text: string }> {
  const asset = stageBundle(SHIPPED_BUNDLE);
  try {
    const result = await runBundle(asset, events, { ...fake.bundleEnvironment, AWS_ENDPOINT_URL_SECRETS_MANAGER: fake.url, [CONFIG_ENV_VAR]: JSON.stringify(cfg), ...env });
    return { ...result, lines: result.logLines.map((line) => JSON.parse(line) as Record<string, unknown>), text: result.logLines.join('\n') };
  } finally {
    removeDir(asset);
  }
}

const userToken = (options: Parameters<typeof cognitoAccessToken>[1] = {}) => cognitoAccessToken(key, { ...options, claims: { sub: SUB, username: USERNAME, ...options.claims } });
/** Allowed (GET /items/42), denied for scope (DELETE /items/42), a route not in the table, and an expired token. */
const EVENTS = () => [
  tokenEvent(`Bearer ${userToken()}`, methodArn('GET', '/items/42')),
  tokenEvent(`Bearer ${userToken()}`, methodArn('DELETE', '/items/42')),
  tokenEvent(`Bearer ${userToken()}`, methodArn('GET', '/admin/secret-path')),
  tokenEvent(`Bearer ${userToken({ now: epochSeconds() - 7200 })}`, methodArn('GET', '/items/42')),
];

describe('log profiles through the bundle', () => {
  test('happy flow: full logs the concrete path of a request no route takes, and the identity as is', async () => {
    const { lines } = await run(config({}), EVENTS());
    expect(lines.map((line) => [line.reason, line.route, line.sub, line.clientId])).toEqual([
      ['ALLOW', 'GET /items/{id}', SUB, TEST_CLIENT_ID],
      ['INSUFFICIENT_SCOPE', 'DELETE /items/{id}', SUB, TEST_CLIENT_ID],
      ['NO_ROUTE', 'GET /admin/secret-path', SUB, TEST_CLIENT_ID],
      ['EXPIRED', 'GET /items/{id}', SUB, TEST_CLIENT_ID],
    ]);
  });

  test('happy flow: minimal logs route templates only, keeps sub and client id, and never a username', async () => {
    const { lines, text, results } = await run(config({ logProfile: 'minimal' }), EVENTS());
    expect(lines.map((line) => [line.reason, line.route, line.sub, line.clientId])).toEqual([
      ['ALLOW', 'GET /items/{id}', SUB, TEST_CLIENT_ID],
      ['INSUFFICIENT_SCOPE', 'DELETE /items/{id}', SUB, TEST_CLIENT_ID],
      ['NO_ROUTE', null, SUB, TEST_CLIENT_ID],
      ['EXPIRED', 'GET /items/{id}', SUB, TEST_CLIENT_ID],
    ]);
    expect(text).not.toContain('/items/42');
    expect(text).not.toContain('secret-path');
    expect(text).not.toContain(USERNAME);
    expect(lines.every((line) => !('username' in line))).toBe(true);
    expect(results[0]).toEqual({ answer: expect.objectContaining({ principalId: SUB }) });
  });

  test('happy flow: pseudonymous writes pseudonym(key, value) for sub, client id and principal, reading the key once', async () => {
    const secretKey = new TextEncoder().encode(fake.secret.value);
    const secretArn = fake.secret.arn;
    const { lines, text, results } = await run(config({ logProfile: 'pseudonymous', pseudonymKey: { secretArn } }), EVENTS());
    const [psSub, psClient] = [pseudonym(secretKey, SUB), pseudonym(secretKey, TEST_CLIENT_ID)];
    expect(lines.map((line) => [line.reason, line.route, line.sub, line.clientId])).toEqual([
      ['ALLOW', 'GET /items/{id}', psSub, psClient],
      ['INSUFFICIENT_SCOPE', 'DELETE /items/{id}', psSub, psClient],
      ['NO_ROUTE', null, psSub, psClient],
      ['EXPIRED', 'GET /items/{id}', psSub, psClient],
    ]);
    for (const raw of [SUB, USERNAME, TEST_CLIENT_ID, '/items/42', 'secret-path', fake.secret.value]) {
      expect([raw, text.includes(raw)]).toEqual([raw, false]);
    }
    const answer = (results[0] as { answer: { principalId: string; context: Record<string, string> } }).answer;
    expect(answer.principalId).toBe(psSub);
    // The backend still gets the caller: the context is not a log.
    expect(answer.context).toMatchObject({ sub: SUB, clientId: TEST_CLIENT_ID });
    expect(fake.requests.map((request) => [request.target, request.signatureValid, request.body])).toEqual([['secretsmanager.GetSecretValue', true, { SecretId: secretArn }]]);
  });

  test('error flow: pseudonymous with a key that cannot be read fails every request closed (401 CONFIG_ERROR) and says why', async () => {
    fake.fault = 'access-denied';
    const { lines, text, results } = await run(config({ logProfile: 'pseudonymous', pseudonymKey: { secretArn: fake.secret.arn } }), EVENTS());
    expect(results).toEqual(EVENTS().map(() => ({ error: 'Unauthorized' })));
    const decisions = lines.filter((line) => line.msg === 'authorizer decision');
    expect(decisions.map((line) => [line.level, line.decision, line.reason, line.sub, line.clientId, line.route])).toEqual(EVENTS().map(() => ['error', 'unauthorized', 'CONFIG_ERROR', null, null, null]));
    expect(lines.filter((line) => line.msg === 'pseudonym key unavailable')).toEqual([
      { level: 'error', msg: 'pseudonym key unavailable', cause: 'HTTP_STATUS', status: 400, awsError: 'AccessDeniedException', retryInMs: 10_000 },
    ]);
    expect(text).not.toContain(SUB);
  });

  test('error flow: a secret that is not the configured one is not found, and an http endpoint override off the machine is a configuration error', async () => {
    const other = await run(config({ logProfile: 'pseudonymous', pseudonymKey: { secretArn: fake.secret.arn.replace('AbCdEf', 'XyZ123') } }), [EVENTS()[0]]);
    expect(other.lines.find((line) => line.msg === 'pseudonym key unavailable')).toMatchObject({ awsError: 'ResourceNotFoundException' });
    const http = await run(config({ logProfile: 'pseudonymous', pseudonymKey: { secretArn: fake.secret.arn } }), [EVENTS()[0]], { AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://secretsmanager.eu-west-1.amazonaws.com' });
    expect(http.lines[0]).toMatchObject({ msg: 'authorizer configuration invalid', error: 'AWS_ENDPOINT_URL_SECRETS_MANAGER: invalid setting' });
    expect(http.results).toEqual([{ error: 'Unauthorized' }]);
  });
});
