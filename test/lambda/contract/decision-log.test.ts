import { createAuthorizer } from '../../../lambda/authorizer';
import fc from 'fast-check';
import {
  Decision,
  DECISION_LOG_FIELDS,
  DECISION_LOG_MSG,
  encodeList,
  encodeSingle,
  encodeText,
  formatDecision,
  levelFor,
  ReasonCode,
  sanitizeText,
  type DecisionRecord,
} from '../../../lambda/contract/decision-log';
import { decodeExact } from '../../fixtures/encoding';
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
      'KEYS_UNAVAILABLE', 'BAD_SIGNATURE', 'EXPIRED', 'NOT_YET_VALID', 'ISSUED_IN_FUTURE', 'TOO_OLD', 'LIFETIME_TOO_LONG', 'WRONG_AUDIENCE',
      'WRONG_CLIENT', 'WRONG_TOKEN_USE', 'WRONG_TYP', 'UNEXPECTED_TYP', 'MISSING_CLAIM', 'INVALID_CLAIM', 'REVOKED', 'DENY_LIST_UNAVAILABLE', 'INSUFFICIENT_SCOPE', 'CONDITION_FAILED', 'CUSTOM_CHECK_FAILED',
      'NO_ROUTE', 'MALFORMED_EVENT', 'CONFIG_ERROR', 'INTERNAL_ERROR',
    ]);
  });

  test('levels: allow and deny are info, a rejected token warn, a failing authorizer error', () => {
    expect(levelFor('allow', 'ALLOW')).toBe('info');
    expect(levelFor('deny', 'INSUFFICIENT_SCOPE')).toBe('info');
    expect(levelFor('unauthorized', 'EXPIRED')).toBe('warn');
    expect(levelFor('unauthorized', 'KEYS_UNAVAILABLE')).toBe('error');
    expect(levelFor('unauthorized', 'INTERNAL_ERROR')).toBe('error');
    expect(levelFor('unauthorized', 'REVOKED')).toBe('warn');
    expect(levelFor('unauthorized', 'DENY_LIST_UNAVAILABLE')).toBe('error');
  });
});

describe('the decision-log vocabulary', () => {
  test('the message the queries and metric filters select is literally "authorizer decision"', () => {
    expect(DECISION_LOG_MSG).toBe('authorizer decision');
  });

  test('the field names are a frozen object whose keys are its values, in the order the line is written', () => {
    expect(Object.isFrozen(DECISION_LOG_FIELDS)).toBe(true);
    expect(Object.entries(DECISION_LOG_FIELDS).every(([k, v]) => k === v)).toBe(true);
    // The always-present fields in their order, the optional ones where they go.
    expect(Object.values(DECISION_LOG_FIELDS).filter((field) => field !== 'scopesTruncated' && field !== 'error')).toEqual(FIELDS);
    expect(Object.values(DECISION_LOG_FIELDS).slice(-3)).toEqual(['scopesTruncated', 'latencyMs', 'error']);
  });

  test('the decisions are a frozen set of the three answers', () => {
    expect(Object.isFrozen(Decision)).toBe(true);
    expect(Object.values(Decision)).toEqual(['allow', 'deny', 'unauthorized']);
  });

  test('formatDecision writes the fields in their order and nothing else', () => {
    const record = {
      latencyMs: 1, error: 'TypeError', scopesTruncated: true, scopes: 'a', clientId: 'c', sub: 's', issuer: null, reason: 'INTERNAL_ERROR', decision: 'unauthorized',
      route: null, requestId: 'r', msg: DECISION_LOG_MSG, level: 'error', token: 'eyJ.secret.value',
    } as unknown as DecisionRecord;
    const line = JSON.parse(formatDecision(record));
    expect(Object.keys(line)).toEqual(Object.values(DECISION_LOG_FIELDS));
    expect(line).not.toHaveProperty('token');
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

  test('formatDecision writes exactly what JSON.stringify writes with the field order as replacer', () => {
    const text = fc.oneof(fc.constant(null), fc.string({ unit: 'binary' }), fc.string({ unit: fc.constantFrom('a', '"', '\\', '\n', '\u0000', '\u2028', '\ud800', '😀', '%') }));
    const record = fc.record(
      {
        level: fc.constantFrom('info', 'warn', 'error'),
        msg: fc.constant(DECISION_LOG_MSG),
        requestId: text,
        route: text,
        decision: fc.constantFrom('allow', 'deny', 'unauthorized'),
        reason: fc.constantFrom(...Object.values(ReasonCode)),
        issuer: text,
        sub: text,
        clientId: text,
        scopes: text,
        scopesTruncated: fc.constant(true),
        latencyMs: fc.oneof(fc.double(), fc.integer()),
        error: fc.string({ unit: 'binary' }),
      },
      { requiredKeys: ['level', 'msg', 'requestId', 'route', 'decision', 'reason', 'issuer', 'sub', 'clientId', 'scopes', 'latencyMs'] },
    ) as fc.Arbitrary<DecisionRecord>;
    fc.assert(
      fc.property(record, (value) => {
        expect(formatDecision(value)).toBe(JSON.stringify(value, Object.values(DECISION_LOG_FIELDS)));
      }),
      { numRuns: 2000, seed: 20261205 },
    );
  });

  test('formatDecision writes one line whatever the values hold', () => {
    const record: DecisionRecord = { level: 'info', msg: DECISION_LOG_MSG, requestId: 'a\nb', route: null, decision: 'deny', reason: 'NO_ROUTE', issuer: null, sub: null, clientId: null, scopes: null, latencyMs: 1 };
    expect(formatDecision(record).split('\n')).toHaveLength(1);
  });
});

describe('encodeText', () => {
  test.each<[string, string, string]>([
    ['a plain value', 'alice', 'alice'],
    ['printable ASCII with spaces and punctuation', "a b:c/d{e}[f]'g'<h>", "a b:c/d{e}[f]'g'<h>"],
    ['the escape character itself', '100%', '100%25'],
    ['a value that looks encoded', '%41', '%2541'],
    ['a quote and a backslash', 'a"b\\c', 'a%22b%5Cc'],
    ['CR and LF', 'alice\r\n{"decision":"allow"}', 'alice%0D%0A{%22decision%22:%22allow%22}'],
    ['C0, DEL and C1 controls', 'a\u0000b\u001bc\u007fd\u0085e', 'a%00b%1Bc%7Fd%C2%85e'],
    ['bidi overrides and zero-width characters', 'admin\u202egnp.exe\u200b', 'admin%E2%80%AEgnp.exe%E2%80%8B'],
    ['a byte order mark and a soft hyphen', '\ufeffa\u00adb', '%EF%BB%BFa%C2%ADb'],
    ['line and paragraph separators', 'a\u2028b\u2029c', 'a%E2%80%A8b%E2%80%A9c'],
    ['a lone high surrogate', 'a\ud800b', 'a%ED%A0%80b'],
    ['a lone low surrogate', 'a\udfffb', 'a%ED%BF%BFb'],
    ['a format character outside the BMP (a tag)', 'x\u{e0041}', 'x%F3%A0%81%81'],
    ['letters, emoji and symbols, which stay', 'ünïcødé 😀 ∑ 日本', 'ünïcødé 😀 ∑ 日本'],
  ])('%s', (_name, value, expected) => {
    expect(encodeText(value)).toBe(expected);
    expect(decodeExact(encodeText(value))).toBe(value);
  });

  test('the common case returns its input without a scan', () => {
    const value = '4example5client6id7abcdefg';
    expect(encodeText(value)).toBe(value);
  });

  test('property: distinct values stay distinct, decode exactly, and are safe inside a JSON string', () => {
    const text = fc.string({ unit: fc.oneof(fc.constantFrom('%', '"', '\\', '\n', '\u0000', '\u202e', '\u2028', '\ud800', '\udc00', 'a', ' ', ','), fc.constantFrom('2', '5', 'A', 'B'), fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)), fc.integer({ min: 0x10000, max: 0x10ffff }).map((cp) => String.fromCodePoint(cp))) });
    fc.assert(
      fc.property(text, text, (a, b) => {
        const [ea, eb] = [encodeText(a), encodeText(b)];
        expect(ea === eb).toBe(a === b);
        expect(decodeExact(ea)).toBe(a);
        expect(JSON.parse(`"${ea}"`)).toBe(ea);
        expect(ea).not.toMatch(/[\p{Cc}\p{Cf}\p{Cs}\u2028\u2029"\\]/u);
      }),
      { numRuns: 3000, seed: 20301501 },
    );
  });

  test('a separator inside a list item is encoded too', () => {
    expect(encodeText('ops,dev', ',')).toBe('ops%2Cdev');
    expect(encodeText('a b', ' ')).toBe('a%20b');
    expect(encodeText('a b', ',')).toBe('a b');
  });
});

describe('encodeSingle', () => {
  test('a value is exact or absent: over the cap it is null, never cut', () => {
    expect(encodeSingle('x'.repeat(256))).toBe('x'.repeat(256));
    expect(encodeSingle('x'.repeat(257))).toBeNull();
    // The cap applies to the encoded value: 100 zero-width spaces are 900 characters once encoded.
    expect(encodeSingle('\u200b'.repeat(100))).toBeNull();
    expect(encodeSingle(42)).toBeNull();
    expect(encodeSingle(undefined)).toBeNull();
  });
});

describe('encodeList', () => {
  test('distinct lists give distinct values', () => {
    expect(encodeList(['ops,dev'], ',', 100).value).not.toBe(encodeList(['ops', 'dev'], ',', 100).value);
    expect(encodeList(['a b'], ' ', 100).value).not.toBe(encodeList(['a', 'b'], ' ', 100).value);
  });

  test('drops whole items once the cap is reached, and says so', () => {
    expect(encodeList(['aaaa', 'bbbb', 'cccc'], ' ', 9)).toEqual({ value: 'aaaa bbbb', truncated: true });
    expect(encodeList(['aaaa', 'bbbb', 'cccc'], ' ', 13)).toEqual({ value: 'aaaa bbbb', truncated: true });
    expect(encodeList(['aaaa', 'bbbb', 'cccc'], ' ', 14)).toEqual({ value: 'aaaa bbbb cccc', truncated: false });
    expect(encodeList(['x'.repeat(20), 'b'], ' ', 10)).toEqual({ value: '', truncated: true });
  });

  test('leaves empty items out', () => {
    expect(encodeList(['', 'a', '', 'b'], ',', 100)).toEqual({ value: 'a,b', truncated: false });
  });

  test('property: the items of a list come back exactly, in order', () => {
    const item = fc.string({ minLength: 1, unit: fc.constantFrom('a', ',', ' ', '%', '"', '\u2028', '\ud800', 'é') });
    fc.assert(
      fc.property(fc.array(item, { maxLength: 8 }), (items) => {
        const { value, truncated } = encodeList(items, ',', 10_000);
        expect(truncated).toBe(false);
        expect(value === '' ? [] : value.split(',').map(decodeExact)).toEqual(items);
      }),
      { numRuns: 1000, seed: 20301502 },
    );
  });
});

describe('decision lines', () => {
  test('happy flow: an allow writes exactly one line with exactly the documented fields', async () => {
    const { logs, handle } = setup();
    const authorization = `Bearer ${cognitoAccessToken(key, { now: NOW, scopes: ['items:read', 'items:write'] })}`;
    await handle(authorization);
    expect(logs.lines).toHaveLength(1);
    const line = JSON.parse(logs.lines[0]!);
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

  test('error flow: a token rejected after its signature verified names its encoded subject', async () => {
    const { logs, handle } = setup();
    const authorization = `Bearer ${cognitoAccessToken(key, { now: NOW - 7200, claims: { sub: 'user\n{"decision":"allow"}' } })}`;
    await handle(authorization);
    expect(logs.lines).toHaveLength(1);
    expect(logs.decisions()[0]).toMatchObject({ reason: 'EXPIRED', sub: 'user%0A{%22decision%22:%22allow%22}', issuer: COGNITO_ISSUER });
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
