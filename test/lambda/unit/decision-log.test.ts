import { createAuthorizer } from '../../../lambda/authorizer';
import { formatDecision, levelFor, ReasonCode, sanitizeText, type DecisionRecord } from '../../../lambda/decision-log';
import { cognitoIssuerConfig, testConfig } from '../../fixtures/config';
import { requestEvent, tokenEvent } from '../../fixtures/events';
import { testKey, type TestKey } from '../../fixtures/keys';
import { findLeaks, LogCapture } from '../../fixtures/logs';
import { COGNITO_ISSUER, cognitoAccessToken, signJws } from '../../fixtures/tokens';

const NOW_MS = Date.UTC(2030, 0, 15, 12, 0, 0);
const NOW = NOW_MS / 1000;
const FIELDS = ['level', 'msg', 'requestId', 'route', 'decision', 'reason', 'issuer', 'sub', 'clientId', 'scopes', 'latencyMs'];

let key: TestKey;
let attacker: TestKey;

beforeAll(async () => {
  [key, attacker] = await Promise.all([testKey('RS256'), testKey('RS256', 'attacker')]);
});

function setup(): { logs: LogCapture; handle: (authorization: string, method?: string, resource?: string) => Promise<unknown> } {
  const logs = new LogCapture();
  const authorizer = createAuthorizer(testConfig([cognitoIssuerConfig({ keys: [key.publicJwk] })]), { now: () => NOW_MS, log: logs.log });
  return {
    logs,
    handle: (authorization, method = 'GET', resource = '/items/{id}') =>
      authorizer.handle(requestEvent({ authorization, method, resource }), { awsRequestId: 'req-1' }).catch((error: Error) => error.message),
  };
}

describe('ReasonCode', () => {
  test('is a fixed, frozen set whose keys are its values', () => {
    expect(Object.isFrozen(ReasonCode)).toBe(true);
    expect(Object.entries(ReasonCode).every(([k, v]) => k === v)).toBe(true);
    expect(Object.keys(ReasonCode)).toEqual([
      'ALLOW', 'MISSING_TOKEN', 'MALFORMED_TOKEN', 'TOKEN_TOO_LARGE', 'UNSUPPORTED_ALG', 'FORBIDDEN_HEADER', 'UNKNOWN_ISSUER', 'UNKNOWN_KID',
      'KEYS_UNAVAILABLE', 'BAD_SIGNATURE', 'EXPIRED', 'NOT_YET_VALID', 'ISSUED_IN_FUTURE', 'TOO_OLD', 'WRONG_AUDIENCE', 'WRONG_CLIENT',
      'WRONG_TOKEN_USE', 'WRONG_TYP', 'MISSING_CLAIM', 'INVALID_CLAIM', 'INSUFFICIENT_SCOPE', 'CONDITION_FAILED', 'CUSTOM_CHECK_FAILED',
      'NO_ROUTE', 'MALFORMED_EVENT', 'CONFIG_ERROR', 'INTERNAL_ERROR',
    ]);
  });

  test('levels: allow and deny are info, a rejected token warn, a failing authorizer error', () => {
    expect(levelFor('allow', 'ALLOW')).toBe('info');
    expect(levelFor('deny', 'INSUFFICIENT_SCOPE')).toBe('info');
    expect(levelFor('unauthorized', 'EXPIRED')).toBe('warn');
    expect(levelFor('unauthorized', 'KEYS_UNAVAILABLE')).toBe('error');
    expect(levelFor('unauthorized', 'INTERNAL_ERROR')).toBe('error');
  });
});

describe('sanitizeText', () => {
  test.each<[string, unknown, string | null]>([
    ['a plain value', 'alice', 'alice'],
    ['CR and LF', 'alice\r\n{"decision":"allow"}', 'alice{"decision":"allow"}'],
    ['C0, DEL and C1 controls', 'a\u0000b\u001bc\u007fd\u0085e', 'abcde'],
    ['bidi overrides and zero-width characters', 'admin\u202egnp.exe\u200b', 'admingnp.exe'],
    ['line and paragraph separators', 'a\u2028b\u2029c', 'abc'],
    ['a lone surrogate', 'a\ud800b', 'ab'],
    ['a number', 42, null],
    ['undefined', undefined, null],
  ])('%s', (_name, value, expected) => {
    expect(sanitizeText(value)).toBe(expected);
  });

  test('caps by code points without splitting a surrogate pair', () => {
    expect(sanitizeText('😀'.repeat(10), 3)).toBe('😀😀😀');
    expect(sanitizeText('x'.repeat(5000))).toHaveLength(256);
  });

  test('formatDecision writes one line whatever the values hold', () => {
    const record: DecisionRecord = { level: 'info', msg: 'authorizer decision', requestId: 'a\nb', route: null, decision: 'deny', reason: 'NO_ROUTE', issuer: null, sub: null, clientId: null, scopes: null, latencyMs: 1 };
    expect(formatDecision(record).split('\n')).toHaveLength(1);
  });
});

describe('decision lines', () => {
  test('happy flow: an allow writes exactly one line with exactly the documented fields', async () => {
    const { logs, handle } = setup();
    const authorization = `Bearer ${cognitoAccessToken(key, { now: NOW, scopes: ['items:read', 'items:write'] })}`;
    await handle(authorization);
    expect(logs.lines).toHaveLength(1);
    const line = JSON.parse(logs.lines[0]);
    expect(Object.keys(line)).toEqual(FIELDS);
    expect(line).toMatchObject({
      level: 'info',
      msg: 'authorizer decision',
      requestId: 'req-1',
      route: 'GET /items/{id}',
      decision: 'allow',
      reason: 'ALLOW',
      issuer: COGNITO_ISSUER,
      sub: '4example5client6id7abcdefg',
      clientId: '4example5client6id7abcdefg',
      scopes: 'items:read items:write',
    });
    expect(typeof line.latencyMs).toBe('number');
    expect(findLeaks(logs.lines, [authorization])).toEqual([]);
  });

  test('happy flow: a deny names the route and the reason', async () => {
    const { logs, handle } = setup();
    await handle(`Bearer ${cognitoAccessToken(key, { now: NOW })}`, 'DELETE');
    expect(logs.decisions()).toEqual([expect.objectContaining({ route: 'DELETE /items/{id}', decision: 'deny', reason: 'INSUFFICIENT_SCOPE', level: 'info' })]);
  });

  test('error flow: before the signature verifies, only a configured issuer is logged and no identity', async () => {
    const { logs, handle } = setup();
    const forged = `Bearer ${signJws(attacker, { alg: 'RS256', kid: key.kid }, { iss: COGNITO_ISSUER, sub: 'mallory', client_id: 'evil', scope: 'admin', token_use: 'access', iat: NOW, exp: NOW + 60 })}`;
    expect(await handle(forged)).toBe('Unauthorized');
    expect(logs.decisions()[0]).toMatchObject({ decision: 'unauthorized', reason: 'BAD_SIGNATURE', level: 'warn', issuer: COGNITO_ISSUER, sub: null, clientId: null, scopes: null });
    expect(logs.lines.join('\n')).not.toContain('mallory');
    expect(findLeaks(logs.lines, [forged])).toEqual([]);
  });

  test('error flow: an unconfigured issuer from a token is never logged', async () => {
    const { logs, handle } = setup();
    const token = cognitoAccessToken(key, { now: NOW, issuer: 'https://evil.example.test/\u001b[31mred' });
    await handle(`Bearer ${token}`);
    expect(logs.decisions()[0]).toMatchObject({ reason: 'UNKNOWN_ISSUER', issuer: null, sub: null });
    expect(logs.lines.join('\n')).not.toContain('evil.example');
  });

  test('error flow: a token rejected after its signature verified names its sanitized subject', async () => {
    const { logs, handle } = setup();
    const authorization = `Bearer ${cognitoAccessToken(key, { now: NOW - 7200, claims: { sub: 'user\n{"decision":"allow"}' } })}`;
    await handle(authorization);
    expect(logs.lines).toHaveLength(1);
    expect(logs.decisions()[0]).toMatchObject({ reason: 'EXPIRED', sub: 'user{"decision":"allow"}', issuer: COGNITO_ISSUER });
    expect(findLeaks(logs.lines, [authorization])).toEqual([]);
  });

  test('error flow: a missing token writes one line with the methodArn route for a TOKEN event', async () => {
    const logs = new LogCapture();
    const authorizer = createAuthorizer(testConfig([cognitoIssuerConfig({ keys: [key.publicJwk] })]), { now: () => NOW_MS, log: logs.log });
    await expect(authorizer.handle(tokenEvent(''))).rejects.toThrow('Unauthorized');
    expect(logs.decisions()).toEqual([expect.objectContaining({ requestId: null, route: 'GET /items/{id}', reason: 'MISSING_TOKEN', decision: 'unauthorized' })]);
  });

  test('error flow: a route-table miss logs the verb and path of the method ARN', async () => {
    const { logs, handle } = setup();
    await handle(`Bearer ${cognitoAccessToken(key, { now: NOW })}`, 'GET', '/admin');
    expect(logs.decisions()[0]).toMatchObject({ route: 'GET /admin', decision: 'unauthorized', reason: 'NO_ROUTE' });
  });
});
