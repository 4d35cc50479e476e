/**
 * The deny list through the shipped bundle (`assets/authorizer/index.js`, loaded as the Lambda runtime loads
 * it), against a fake DynamoDB on 127.0.0.1 over TLS that verifies every signature and pages its Scan:
 * revoked tokens are refused with 401 (`REVOKED`) and the rest allowed; a new entry is enforced after the
 * refresh window and not before; an expired entry is ignored; a table that cannot be read keeps the last
 * snapshot in force, and with none `whenUnavailable` decides.
 */
import type { AuthorizerConfig } from '../../lambda/contract/config-types';
import { CONFIG_ENV_VAR } from '../../lambda/contract/config-types';
import { DENY_LIST_LIMITS } from '../../lambda/contract/deny-list';
import { createAuthorizer } from '../../lambda/authorizer';
import type { HttpPost } from '../../lambda/http';
import { removeDir, runBundle, SHIPPED_BUNDLE, stageBundle, type BundleRun } from '../fixtures/bundle';
import { cognitoIssuerConfig, testConfig } from '../fixtures/config';
import { tokenEvent } from '../fixtures/events';
import { denyItem, startFakeAws, TEST_AWS_ENVIRONMENT, type FakeAws } from '../fixtures/fake-aws';
import { testKey, type TestKey } from '../fixtures/keys';
import { cognitoAccessToken, epochSeconds, TEST_CLIENT_ID } from '../fixtures/tokens';

const OTHER_CLIENT = 'other5client6id7abcdefghij';
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
  fake.items = [];
  fake.pageSize = 100;
  fake.requests.length = 0;
  fake.afterScan = undefined;
  fake.scanDelayMs = undefined;
});

function config(denyList: Partial<NonNullable<AuthorizerConfig['denyList']>> = {}): AuthorizerConfig {
  return testConfig([cognitoIssuerConfig({ keys: [key.publicJwk] }, { clientIds: [TEST_CLIENT_ID, OTHER_CLIENT] })], {
    denyList: { tableName: 'secure-api-deny-list', region: 'eu-west-1', endpoint: fake.url, refreshSeconds: 1, ...denyList },
  });
}

/** Runs the shipped bundle with the configuration, the test credentials and the fake's certificate trusted. */
async function run(cfg: AuthorizerConfig, events: unknown[]): Promise<BundleRun & { decisions: Record<string, unknown>[]; unavailable: Record<string, unknown>[] }> {
  const asset = stageBundle(SHIPPED_BUNDLE);
  try {
    const result = await runBundle(asset, events, { ...fake.bundleEnvironment, [CONFIG_ENV_VAR]: JSON.stringify(cfg) });
    const lines = result.logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    return { ...result, decisions: lines.filter((line) => line.msg === 'authorizer decision'), unavailable: lines.filter((line) => line.msg === 'deny list unavailable') };
  } finally {
    removeDir(asset);
  }
}

const token = (options: Parameters<typeof cognitoAccessToken>[1] = {}) => tokenEvent(`Bearer ${cognitoAccessToken(key, options)}`);
const sleep = (ms: number) => ({ $sleepMs: ms });

describe('deny list through the bundle', () => {
  test('happy flow: revoked sub, client, jti, origin_jti and issued-before tokens get 401 REVOKED; the rest are allowed', async () => {
    const now = epochSeconds();
    fake.pageSize = 2;
    fake.items = [
      denyItem('sub#revoked-user'),
      denyItem(`client#${OTHER_CLIENT}`),
      denyItem('jti#stolen-jti'),
      denyItem('jti#stolen-origin'),
      denyItem(`before#${TEST_CLIENT_ID}`, { issuedBefore: now - 300, createdAt: now }),
      denyItem('sub#expired-entry', { expiresAt: now - 1 }),
      denyItem('sub#later-entry', { expiresAt: now + 3600 }),
    ];
    const cases: [string, unknown, 'REVOKED' | 'ALLOW'][] = [
      ['revoked sub', token({ claims: { sub: 'revoked-user' } }), 'REVOKED'],
      ['revoked client', token({ clientId: OTHER_CLIENT }), 'REVOKED'],
      ['revoked jti', token({ claims: { jti: 'stolen-jti' } }), 'REVOKED'],
      ['revoked origin_jti', token({ claims: { origin_jti: 'stolen-origin' } }), 'REVOKED'],
      ['issued before', token({ now: now - 600, claims: { exp: now + 600 } }), 'REVOKED'],
      ['entry not yet expired', token({ claims: { sub: 'later-entry' } }), 'REVOKED'],
      ['another user', token({ claims: { sub: 'good-user' } }), 'ALLOW'],
      ['issued after the before time', token(), 'ALLOW'],
      ['expired entry ignored', token({ claims: { sub: 'expired-entry' } }), 'ALLOW'],
      ['a jti that is not revoked', token({ claims: { jti: 'fresh-jti', origin_jti: 'fresh-origin' } }), 'ALLOW'],
    ];
    const { results, decisions } = await run(config(), cases.map(([, event]) => event));
    cases.forEach(([what, , reason], i) => {
      expect([what, decisions[i]?.reason]).toEqual([what, reason]);
      expect([what, results[i]]).toEqual([what, reason === 'REVOKED' ? { error: 'Unauthorized' } : { answer: expect.objectContaining({ principalId: expect.any(String) }) }]);
    });
    expect(decisions.find((line) => line.reason === 'REVOKED')).toMatchObject({ level: 'warn', decision: 'unauthorized', sub: 'revoked-user' });
    // One snapshot, read page by page (2 items a page), every request signed and strongly consistent.
    const scans = fake.requests;
    expect(scans).toHaveLength(4);
    expect(scans.every((request) => request.signatureValid && request.target === 'DynamoDB_20120810.Scan' && request.body.ConsistentRead === true && request.body.TableName === 'secure-api-deny-list')).toBe(true);
    expect(scans.slice(1).every((request) => request.body.ExclusiveStartKey !== undefined)).toBe(true);
  });

  test('happy flow: an entry added is enforced after the refresh window, and not before', async () => {
    fake.afterScan = (pages) => {
      if (pages === 1) fake.items.push(denyItem('sub#victim'));
    };
    const victim = token({ claims: { sub: 'victim' } });
    const { results, decisions } = await run(config({ refreshSeconds: 1 }), [victim, victim, sleep(1200), victim]);
    expect(decisions.map((line) => line.reason)).toEqual(['ALLOW', 'ALLOW', 'REVOKED']);
    expect(results[2]).toEqual({ error: 'Unauthorized' });
    expect(fake.requests).toHaveLength(2);
  });

  test.each(['allow', 'deny'] as const)('error flow: a table down with a snapshot read keeps the snapshot in force (whenUnavailable %s)', async (whenUnavailable) => {
    fake.items = [denyItem('sub#revoked-user')];
    fake.afterScan = () => (fake.fault = 'http500');
    const revoked = token({ claims: { sub: 'revoked-user' } });
    const good = token({ claims: { sub: 'good-user' } });
    const { decisions, unavailable } = await run(config({ whenUnavailable }), [revoked, good, sleep(1100), revoked, good]);
    expect(decisions.map((line) => line.reason)).toEqual(['REVOKED', 'ALLOW', 'REVOKED', 'ALLOW']);
    expect(unavailable).toEqual([
      { level: 'warn', msg: 'deny list unavailable', table: 'secure-api-deny-list', cause: 'HTTP_STATUS', status: 500, awsError: 'InternalServerError', snapshotAgeSeconds: 1, whenUnavailable },
    ]);
  });

  test('error flow: a table never read with whenUnavailable allow lets verified tokens through, one line per attempt', async () => {
    fake.fault = 'access-denied';
    const good = token();
    const { results, decisions, unavailable, logLines } = await run(config({ whenUnavailable: 'allow' }), [good, good, sleep(1100), good, tokenEvent('Bearer not.a.token')]);
    for (const secret of [TEST_AWS_ENVIRONMENT.AWS_SECRET_ACCESS_KEY, TEST_AWS_ENVIRONMENT.AWS_SESSION_TOKEN, 'Signature=']) {
      expect(logLines.join('\n')).not.toContain(secret);
    }
    expect(decisions.map((line) => line.reason)).toEqual(['ALLOW', 'ALLOW', 'ALLOW', 'MALFORMED_TOKEN']);
    expect(results.slice(0, 3).every((result) => 'answer' in result)).toBe(true);
    expect(unavailable).toEqual([
      { level: 'error', msg: 'deny list unavailable', table: 'secure-api-deny-list', cause: 'HTTP_STATUS', status: 400, awsError: 'AccessDeniedException', snapshotAgeSeconds: null, whenUnavailable: 'allow' },
      expect.objectContaining({ level: 'error', cause: 'HTTP_STATUS' }),
    ]);
  });

  test('error flow: a table never read with whenUnavailable deny refuses every token with 401 DENY_LIST_UNAVAILABLE', async () => {
    fake.fault = 'hang';
    const { results, decisions, unavailable } = await run(config({ whenUnavailable: 'deny', refreshSeconds: 30 }), [token(), token()]);
    expect(results).toEqual([{ error: 'Unauthorized' }, { error: 'Unauthorized' }]);
    expect(decisions.map((line) => [line.level, line.reason])).toEqual([
      ['error', 'DENY_LIST_UNAVAILABLE'],
      ['error', 'DENY_LIST_UNAVAILABLE'],
    ]);
    expect(unavailable).toEqual([expect.objectContaining({ level: 'error', cause: 'TIMEOUT', snapshotAgeSeconds: null, whenUnavailable: 'deny' })]);
  });

  test('error flow: number attributes that are not DynamoDB numbers ("", " ", "0x0", " 5", "1e400") never end an entry nor lift a before time (fail closed)', async () => {
    const now = epochSeconds();
    const numberLike = ['', ' ', '0x0', ' 5', '1e400'];
    fake.items = [
      ...numberLike.map((n, i) => ({ ...denyItem(`sub#odd-expiry-${i}`), expiresAt: { N: n } })),
      { ...denyItem(`before#${OTHER_CLIENT}`), issuedBefore: { N: '' } },
      denyItem('sub#expired-entry', { expiresAt: now - 1 }),
    ];
    const cases: [string, unknown, 'REVOKED' | 'ALLOW'][] = [
      ...numberLike.map((n, i): [string, unknown, 'REVOKED'] => [`expiresAt ${JSON.stringify(n)}`, token({ claims: { sub: `odd-expiry-${i}` } }), 'REVOKED']),
      ['issuedBefore ""', token({ clientId: OTHER_CLIENT }), 'REVOKED'],
      ['an expired entry still ignored', token({ claims: { sub: 'expired-entry' } }), 'ALLOW'],
    ];
    const { decisions } = await run(config(), cases.map(([, event]) => event));
    expect(cases.map(([what], i) => [what, decisions[i]?.reason])).toEqual(cases.map(([what, , reason]) => [what, reason]));
  });

  test('error flow: a slow table of many pages is unavailable within one Scan timeout for the whole read, not one per page', async () => {
    fake.pageSize = 1;
    fake.scanDelayMs = 300;
    fake.items = Array.from({ length: 12 }, (_, i) => denyItem(`sub#user-${i}`));
    const { results, decisions, unavailable } = await run(config({ whenUnavailable: 'deny' }), [token()]);
    expect(results).toEqual([{ error: 'Unauthorized' }]);
    expect(decisions).toEqual([expect.objectContaining({ reason: 'DENY_LIST_UNAVAILABLE' })]);
    expect(unavailable).toEqual([expect.objectContaining({ cause: 'TIMEOUT', snapshotAgeSeconds: null })]);
    // The function's timeout is sized for one Scan timeout (DENY_LIST_LIMITS.requestTimeoutMs) beside the key fetches.
    expect(decisions[0]?.latencyMs).toBeLessThan(DENY_LIST_LIMITS.requestTimeoutMs + 500);
  });

  test('error flow: a table over 10,000 items is unavailable, never half-read', async () => {
    fake.pageSize = 1000;
    fake.items = Array.from({ length: 10_001 }, (_, i) => denyItem(`sub#user-${i}`));
    const { decisions, unavailable } = await run(config({ whenUnavailable: 'deny' }), [token()]);
    expect(decisions.map((line) => line.reason)).toEqual(['DENY_LIST_UNAVAILABLE']);
    expect(unavailable).toEqual([expect.objectContaining({ cause: 'TOO_MANY_ITEMS' })]);
  });

  test('error flow: without credentials nothing is sent and the table is unavailable', async () => {
    const asset = stageBundle(SHIPPED_BUNDLE);
    try {
      const { results, logLines } = await runBundle(asset, [token()], { NODE_EXTRA_CA_CERTS: fake.bundleEnvironment.NODE_EXTRA_CA_CERTS!, [CONFIG_ENV_VAR]: JSON.stringify(config({ whenUnavailable: 'deny' })) });
      expect(results).toEqual([{ error: 'Unauthorized' }]);
      expect(logLines.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line.msg === 'deny list unavailable')).toMatchObject({ cause: 'CREDENTIALS' });
      expect(fake.requests).toHaveLength(0);
    } finally {
      removeDir(asset);
    }
  });
});

describe('deny list in process', () => {
  test('happy flow: concurrent requests share one read of the table', async () => {
    let scans = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const awsTransport: HttpPost = async () => {
      scans++;
      await gate;
      return { status: 200, text: JSON.stringify({ Items: [denyItem('sub#revoked-user')] }) };
    };
    const lines: string[] = [];
    const authorizer = createAuthorizer(config({ endpoint: 'https://dynamodb.eu-west-1.amazonaws.com' }), { awsTransport, environment: TEST_AWS_ENVIRONMENT, log: (line) => lines.push(line) });
    const pending = Array.from({ length: 20 }, (_, i) => authorizer.handle(token({ claims: { sub: i % 2 ? 'revoked-user' : `user-${i}` } })).then(() => 'allow', (error: Error) => error.message));
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    const outcomes = await Promise.all(pending);
    expect(scans).toBe(1);
    expect(outcomes).toEqual(Array.from({ length: 20 }, (_, i) => (i % 2 ? 'Unauthorized' : 'allow')));
  });
});
