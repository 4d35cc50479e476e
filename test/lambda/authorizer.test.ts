import { createAuthorizer, createFailClosedAuthorizer, stdoutLineWriter, type CustomCheckInput } from '../../lambda/authorizer';
import type { RouteConfig } from '../../lambda/contract/config-types';
import { ConfigError } from '../../lambda/errors';
import type { AuthorizerResult } from '../../lambda/policy';
import { cognitoIssuerConfig, oidcIssuerConfig, serviceRoutes, TEST_ROUTES, testConfig } from '../fixtures/config';
import { answerProblems, evaluatePolicy, methodArn, requestEvent, tokenEvent, type AuthorizerEvent, type PolicyDecision } from '../fixtures/events';
import { decodeExact } from '../fixtures/encoding';
import { testKey, type TestKey } from '../fixtures/keys';
import { LogCapture } from '../fixtures/logs';
import type { DecisionRecord } from '../../lambda/contract/decision-log';
import { COGNITO_ISSUER, cognitoAccessToken, jwtAccessToken, type CognitoTokenOptions } from '../fixtures/tokens';

const NOW_MS = Date.UTC(2030, 0, 15, 12, 0, 0);
const NOW = NOW_MS / 1000;
const PARTNER = 'https://login.partner.example.test';

let key: TestKey;
let partner: TestKey;

beforeAll(async () => {
  [key, partner] = await Promise.all([testKey('RS256'), testKey('ES256', 'partner')]);
});

const cognito = () => cognitoIssuerConfig({ keys: [key.publicJwk] });
const bearer = (options: CognitoTokenOptions = {}): string => `Bearer ${cognitoAccessToken(key, { now: NOW, ...options })}`;

interface Outcome {
  status: 200 | 401 | 403;
  answer?: AuthorizerResult;
  reason?: unknown;
  line?: DecisionRecord;
}

async function call(authorizer: ReturnType<typeof createAuthorizer>, event: AuthorizerEvent, logs: LogCapture): Promise<Outcome> {
  logs.clear();
  try {
    const answer = await authorizer.handle(event, { awsRequestId: 'req-a' });
    expect(answerProblems(answer)).toEqual([]);
    const decision: PolicyDecision = evaluatePolicy(answer.policyDocument, event.methodArn);
    return { status: decision === 'allow' ? 200 : 403, answer, reason: logs.decisions()[0]?.reason, line: logs.decisions()[0] };
  } catch (error) {
    expect(error).toEqual(new Error('Unauthorized'));
    expect(Object.keys(error as Error)).toEqual([]);
    return { status: 401, reason: logs.decisions()[0]?.reason, line: logs.decisions()[0] };
  } finally {
    expect(logs.decisions()).toHaveLength(1);
  }
}

describe('answers', () => {
  test('happy flow: an allow carries the principal and a string-only context', async () => {
    const logs = new LogCapture();
    const authorizer = createAuthorizer(testConfig([cognito()]), { now: () => NOW_MS, log: logs.log });
    const outcome = await call(
      authorizer,
      requestEvent({ authorization: bearer({ claims: { sub: 'user-1', username: 'alice', 'cognito:groups': ['admins', 'ops'] } }) }),
      logs,
    );
    expect(outcome.status).toBe(200);
    expect(outcome.answer?.principalId).toBe('user-1');
    expect(outcome.answer?.context).toEqual({
      sub: 'user-1',
      clientId: '4example5client6id7abcdefg',
      scopes: 'items:read',
      issuer: COGNITO_ISSUER,
      tokenUse: 'access',
      username: 'alice',
      groups: 'admins,ops',
    });
  });

  test('error flow: a client-credentials token without sub is refused, whatever its client id (RFC 9068 section 2.2)', async () => {
    const logs = new LogCapture();
    const authorizer = createAuthorizer(testConfig([oidcIssuerConfig(PARTNER, { keys: [partner.publicJwk] })]), { now: () => NOW_MS, log: logs.log });
    const token = jwtAccessToken(partner, { issuer: PARTNER, now: NOW, claims: { sub: undefined } });
    expect(await call(authorizer, tokenEvent(`Bearer ${token}`), logs)).toMatchObject({ status: 401, reason: 'MISSING_CLAIM', line: { clientId: 'rfc9068-client', sub: null } });
  });
});

describe('exact context values', () => {
  /** Every character the encoding must escape, and a few it must keep. */
  const HOSTILE = 'a"b\\c%d\r\ne\u0000f\u007fg\u0085h\u200bi\u202ej\u2028k\u2029l\ufeffm\ud800n\udc00o😀p é q';
  const setup = (overrides: Partial<Parameters<typeof cognitoIssuerConfig>[1]> = {}) => {
    const logs = new LogCapture();
    const authorizer = createAuthorizer(testConfig([cognitoIssuerConfig({ keys: [key.publicJwk] }, overrides)]), { now: () => NOW_MS, log: logs.log });
    return { logs, allow: async (claims: Record<string, unknown>, clientId?: string) => call(authorizer, tokenEvent(bearer({ claims, clientId })), logs) };
  };

  test('happy flow: two subjects differing only in a character the old sanitizing stripped are two principals', async () => {
    const { allow } = setup();
    const pairs: [string, string][] = [
      ['alice', 'alice\u200b'],
      ['alice', 'ali\u202ece'],
      ['u\r\nX-Admin: true', 'uX-Admin: true'],
      ['bob', 'bob\u0000'],
      ['a\ud800', 'a'],
      ['100%', '100%25'],
    ];
    for (const [first, second] of pairs) {
      const a = await allow({ sub: first });
      const b = await allow({ sub: second });
      expect([a.status, b.status]).toEqual([200, 200]);
      expect(a.answer?.principalId).not.toBe(b.answer?.principalId);
      expect(a.line?.sub).toBe(a.answer?.principalId);
      expect(b.line?.sub).toBe(b.answer?.principalId);
    }
  });

  test('happy flow: an encoded principal decodes to the exact subject', async () => {
    const { allow } = setup();
    const sub = 'u\r\nX-Admin: true "quoted" \\ 50% \u202egnp.exe ünïcødé 😀';
    const { answer } = await allow({ sub });
    expect(answer?.principalId).toBe('u%0D%0AX-Admin: true %22quoted%22 %5C 50%25 %E2%80%AEgnp.exe ünïcødé 😀');
    expect(decodeURIComponent(answer!.principalId)).toBe(sub);
  });

  test('happy flow: a principal made only of control characters is encoded, not emptied', async () => {
    const { allow } = setup();
    expect((await allow({ sub: '\u0000\u0001' })).answer?.principalId).toBe('%00%01');
  });

  test('happy flow: a principal of exactly the cap passes unchanged', async () => {
    const { allow } = setup();
    expect((await allow({ sub: 'a'.repeat(256) })).answer?.principalId).toBe('a'.repeat(256));
  });

  test('error flow: two subjects differing only beyond the cap are refused, never truncated into one principal', async () => {
    const { allow } = setup();
    for (const sub of [`${'a'.repeat(256)}x`, `${'a'.repeat(256)}y`, `${'a'.repeat(254)}\u200b`]) {
      expect(await allow({ sub })).toMatchObject({ status: 401, reason: 'INVALID_CLAIM', line: { sub: null } });
    }
  });

  test('error flow: a client id over the cap is refused', async () => {
    const long = `c${'0'.repeat(256)}`;
    const { allow } = setup({ clientIds: [long] });
    expect(await allow({ sub: 'user-1' }, long)).toMatchObject({ status: 401, reason: 'INVALID_CLAIM', line: { clientId: null, sub: 'user-1' } });
  });

  test('error flow: a username over the cap is refused rather than cut', async () => {
    const { allow } = setup();
    expect(await allow({ sub: 'user-1', username: 'a'.repeat(5000) })).toMatchObject({ status: 401, reason: 'INVALID_CLAIM' });
  });

  test('happy flow: every context value and the principal are safe verbatim inside a JSON string, as in the access log', async () => {
    const { allow } = setup({ clientIds: [HOSTILE] });
    const outcome = await allow({ sub: HOSTILE, username: HOSTILE, 'cognito:groups': [HOSTILE, 'ops,dev'], scope: `items:read ${HOSTILE.replace(/ /g, '_')}` }, HOSTILE);
    expect(outcome.status).toBe(200);
    const values = [outcome.answer!.principalId, ...Object.values(outcome.answer!.context!)];
    expect(values).toHaveLength(8);
    for (const value of values) {
      // API Gateway puts $context.authorizer.* between quotes as it is: the result must be one JSON string of the same text.
      expect(JSON.parse(`{"v":"${value}"}`)).toEqual({ v: value });
      expect(value).not.toMatch(/[\p{Cc}\p{Cf}\p{Cs}\u2028\u2029"\\]/u);
    }
    // Exact: every value decodes to the claim, lone surrogates included.
    expect([outcome.answer!.principalId, outcome.answer!.context.clientId!, outcome.answer!.context.username!].map(decodeExact)).toEqual([HOSTILE, HOSTILE, HOSTILE]);
    expect(outcome.answer!.context.groups!.split(',').map(decodeExact)).toEqual([HOSTILE, 'ops,dev']);
    // The decision line holds the same encoded values.
    expect(outcome.line).toMatchObject({ sub: outcome.answer!.principalId, clientId: outcome.answer!.context!.clientId, scopes: outcome.answer!.context!.scopes });
  });

  test("happy flow: list items stay whole and distinct: a ',' inside a group and a ' ' inside an scp scope are encoded", async () => {
    const { allow } = setup();
    const one = await allow({ 'cognito:groups': ['ops,dev'] });
    const two = await allow({ 'cognito:groups': ['ops', 'dev'] });
    expect([one.answer?.context.groups, two.answer?.context.groups]).toEqual(['ops%2Cdev', 'ops,dev']);

    const logs = new LogCapture();
    const authorizer = createAuthorizer(testConfig([oidcIssuerConfig(PARTNER, { keys: [partner.publicJwk] })]), { now: () => NOW_MS, log: logs.log });
    const token = jwtAccessToken(partner, { issuer: PARTNER, now: NOW, claims: { scope: 'items:read', scp: ['a b', 'c'] } });
    expect((await call(authorizer, tokenEvent(`Bearer ${token}`), logs)).answer?.context.scopes).toBe('items:read a%20b c');
  });

  test('happy flow: lists over their cap drop whole items and say so', async () => {
    const { allow } = setup();
    const groups = Array.from({ length: 220 }, (_, i) => `group-${String(i).padStart(3, '0')}`);
    const scopes = ['items:read', ...Array.from({ length: 220 }, (_, i) => `scope:${String(i).padStart(3, '0')}`)];
    const outcome = await allow({ 'cognito:groups': groups, scope: scopes.join(' ') });
    expect(outcome.status).toBe(200);
    const context = outcome.answer!.context;
    const keptGroups = context.groups!.split(',');
    expect(context.groups!.length).toBeLessThanOrEqual(2048);
    expect(keptGroups).toEqual(groups.slice(0, keptGroups.length));
    expect(keptGroups.length).toBeLessThan(groups.length);
    const keptScopes = context.scopes!.split(' ');
    expect(keptScopes).toEqual(scopes.slice(0, keptScopes.length));
    expect(context).toMatchObject({ groupsTruncated: 'true', scopesTruncated: 'true' });
    expect(outcome.line).toMatchObject({ scopes: context.scopes, scopesTruncated: true });
  });

  test('happy flow: lists within their cap carry no truncation flag', async () => {
    const { allow } = setup();
    const { answer, line } = await allow({ 'cognito:groups': ['admins'] });
    expect(answer?.context).not.toHaveProperty('groupsTruncated');
    expect(answer?.context).not.toHaveProperty('scopesTruncated');
    expect(line).not.toHaveProperty('scopesTruncated');
  });
});

describe('answers, continued', () => {
  test('default secure api: the token-scoped policy allows readable routes and denies the rest explicitly', async () => {
    const logs = new LogCapture();
    const authorizer = createAuthorizer(testConfig([cognito()]), { now: () => NOW_MS, log: logs.log });
    const { answer } = await call(authorizer, tokenEvent(bearer()), logs);
    const prefix = 'arn:aws:execute-api:eu-west-1:123456789012:abc123defg/prod';
    expect(answer?.policyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: [`${prefix}/GET/items`, `${prefix}/GET/items/`, `${prefix}/GET/items/*`] },
        { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [`${prefix}/POST/items`, `${prefix}/POST/items/`, `${prefix}/DELETE/items/*`] },
      ],
    });
  });

  test('error flow: a token that may call no route is denied on the whole stage', async () => {
    const logs = new LogCapture();
    const authorizer = createAuthorizer(testConfig([cognito()]), { now: () => NOW_MS, log: logs.log });
    const outcome = await call(authorizer, tokenEvent(bearer({ scopes: ['nothing'] })), logs);
    expect(outcome).toMatchObject({ status: 403, reason: 'INSUFFICIENT_SCOPE' });
    expect(outcome.answer?.policyDocument.Statement).toEqual([{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: ['arn:aws:execute-api:eu-west-1:123456789012:abc123defg/prod/*'] }]);
  });
});

describe('claim conditions', () => {
  const routes: RouteConfig[] = [
    { method: 'GET', path: '/admin', conditions: [{ claim: 'cognito:groups', contains: 'admins' }] },
    { method: 'GET', path: '/tenant', conditions: [{ claim: 'tenant', equals: 'acme' }] },
    { method: 'GET', path: '/scoped', conditions: [{ claim: 'scope', contains: 'items:read' }] },
    { method: 'GET', path: '/proto', conditions: [{ claim: 'constructor', contains: 'x' }] },
    { method: 'GET', path: '/plain', conditions: [{ claim: 'role', contains: 'admin' }] },
    { method: 'GET', path: '/scp', conditions: [{ claim: 'scp', contains: 'admin' }] },
  ];

  test.each<[string, string, Record<string, unknown>, 200 | 403]>([
    ['a group member', '/admin', { 'cognito:groups': ['users', 'admins'] }, 200],
    ['a non-member', '/admin', { 'cognito:groups': ['users'] }, 403],
    ['no groups at all', '/admin', {}, 403],
    ['the tenant', '/tenant', { tenant: 'acme' }, 200],
    ['another tenant', '/tenant', { tenant: 'acme2' }, 403],
    ['a tenant as an array', '/tenant', { tenant: ['acme'] }, 403],
    ['a scope in the space-separated scope claim', '/scoped', {}, 200],
    ['an inherited member such as constructor', '/proto', {}, 403],
    ['a string claim that only contains the value as a substring', '/plain', { role: 'notadmin' }, 403],
    ['a string claim equal to the value', '/plain', { role: 'admin' }, 200],
    ['an scp string that lists the value among others (scp is space-separated like scope)', '/scp', { scp: 'read admin' }, 200],
    ['an scp string that only contains the value as a substring', '/scp', { scp: 'read superadmin' }, 403],
    ['an scp array that lists the value', '/scp', { scp: ['read', 'admin'] }, 200],
  ])('%s on %s', async (_name, path, claims, status) => {
    const logs = new LogCapture();
    const authorizer = createAuthorizer(testConfig([cognito()], { routes }), { now: () => NOW_MS, log: logs.log });
    const outcome = await call(authorizer, tokenEvent(bearer({ claims }), methodArn('GET', path)), logs);
    expect(outcome.status).toBe(status);
    expect(outcome.reason).toBe(status === 200 ? 'ALLOW' : 'CONDITION_FAILED');
  });
});

describe('custom check', () => {
  test('happy flow: false denies that route only, and the cached answer still allows the others', async () => {
    const logs = new LogCapture();
    const seen: CustomCheckInput[] = [];
    const authorizer = createAuthorizer(testConfig([cognito()]), {
      now: () => NOW_MS,
      log: logs.log,
      customCheck: (input) => {
        seen.push(input);
        return !(input.route?.method === 'GET' && input.route.path === '/items/{id}');
      },
    });
    const outcome = await call(authorizer, tokenEvent(bearer(), methodArn('GET', '/items/42')), logs);
    expect(outcome).toMatchObject({ status: 403, reason: 'CUSTOM_CHECK_FAILED' });
    expect(evaluatePolicy(outcome.answer!.policyDocument, methodArn('GET', '/items'))).toBe('allow');
    // Called for each route the token's scopes permit, with frozen verified claims.
    expect(seen.map((input) => `${input.route?.method} ${input.route?.path}`).sort()).toEqual(['GET /items', 'GET /items/{id}']);
    expect(Object.isFrozen(seen[0]!.claims)).toBe(true);
    expect(seen[0]!.issuer.issuer).toBe(COGNITO_ISSUER);
  });

  test('happy flow: an async check returning nothing allows', async () => {
    const logs = new LogCapture();
    const authorizer = createAuthorizer(testConfig([cognito()]), { now: () => NOW_MS, log: logs.log, customCheck: async () => undefined });
    expect((await call(authorizer, tokenEvent(bearer()), logs)).status).toBe(200);
  });

  test('error flow: a value other than true or nothing denies (fail closed)', async () => {
    const logs = new LogCapture();
    const authorizer = createAuthorizer(testConfig([cognito()]), { now: () => NOW_MS, log: logs.log, customCheck: () => 'yes' as unknown as boolean });
    expect(await call(authorizer, tokenEvent(bearer()), logs)).toMatchObject({ status: 403, reason: 'CUSTOM_CHECK_FAILED' });
  });

  test('error flow: a check that throws gives 401 with INTERNAL_ERROR and the error class, not its message', async () => {
    const logs = new LogCapture();
    const authorizer = createAuthorizer(testConfig([cognito()]), {
      now: () => NOW_MS,
      log: logs.log,
      customCheck: () => {
        throw new RangeError('database password is hunter2');
      },
    });
    const outcome = await call(authorizer, tokenEvent(bearer()), logs);
    expect(outcome).toMatchObject({ status: 401, reason: 'INTERNAL_ERROR', line: { level: 'error', error: 'RangeError' } });
    expect(logs.lines.join('\n')).not.toContain('hunter2');
  });

  test('happy flow: with route scope the check runs once, for the called route', async () => {
    const logs = new LogCapture();
    const routes = [...TEST_ROUTES, { method: 'GET' as const, path: '/items/special', scopes: ['items:read'] }];
    const calls: string[] = [];
    const authorizer = createAuthorizer(testConfig([cognito()], { routes, cacheKeyScope: 'route' }), {
      now: () => NOW_MS,
      log: logs.log,
      customCheck: ({ route }) => {
        calls.push(`${route?.method} ${route?.path}`);
      },
    });
    expect((await call(authorizer, requestEvent({ authorization: bearer(), resource: '/items/special' }), logs)).status).toBe(200);
    expect(calls).toEqual(['GET /items/special']);
  });
});

describe('route-scoped answers', () => {
  const routes: RouteConfig[] = [
    { method: 'GET', path: '/items/{id}', scopes: ['items:read'] },
    { method: 'GET', path: '/items/special', scopes: ['special'] },
  ];
  const setup = () => {
    const logs = new LogCapture();
    return { logs, authorizer: createAuthorizer(testConfig([cognito()], { routes, cacheKeyScope: 'route' }), { now: () => NOW_MS, log: logs.log }) };
  };

  test('happy flow: a REQUEST event is decided for its resource, with a policy for that route only', async () => {
    const { logs, authorizer } = setup();
    const outcome = await call(authorizer, requestEvent({ authorization: bearer(), resource: '/items/{id}', path: '/items/7' }), logs);
    expect(outcome.status).toBe(200);
    expect(outcome.answer?.policyDocument.Statement).toEqual([
      { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: ['arn:aws:execute-api:eu-west-1:123456789012:abc123defg/prod/GET/items/*'] },
    ]);
    expect(await call(authorizer, requestEvent({ authorization: bearer(), resource: '/items/special' }), logs)).toMatchObject({ status: 403, reason: 'INSUFFICIENT_SCOPE' });
  });

  test('happy flow: a TOKEN event is matched on its method ARN with API Gateway precedence', async () => {
    const { logs, authorizer } = setup();
    expect(await call(authorizer, tokenEvent(bearer(), methodArn('GET', '/items/special')), logs)).toMatchObject({ status: 403, line: { route: 'GET /items/special' } });
    expect(await call(authorizer, tokenEvent(bearer(), methodArn('GET', '/items/other')), logs)).toMatchObject({ status: 200, line: { route: 'GET /items/{id}' } });
  });

  test('error flow: a resource that does not match the method ARN is a malformed event', async () => {
    const { logs, authorizer } = setup();
    const event = requestEvent({ authorization: bearer(), resource: '/items/{id}', methodArn: methodArn('GET', '/elsewhere/7') });
    expect(await call(authorizer, event, logs)).toMatchObject({ status: 401, reason: 'MALFORMED_EVENT' });
  });

  test('error flow: a route-table miss is unauthorized: no policy built from the request path is ever cached', async () => {
    const { logs, authorizer } = setup();
    const outcome = await call(authorizer, requestEvent({ authorization: bearer(), method: 'POST', resource: '/items/{id}' }), logs);
    expect(outcome).toMatchObject({ status: 401, reason: 'NO_ROUTE', line: { decision: 'unauthorized', route: 'POST /items/42' } });
  });
});

describe('work kept per method ARN', () => {
  test('happy flow: a flood of distinct method ARNs is decided right for each, before and after the caches start over', async () => {
    const logs = new LogCapture();
    const authorizer = createAuthorizer(testConfig([cognito()]), { now: () => NOW_MS, log: logs.log });
    const token = bearer({ scopes: ['items:read'] });
    for (let i = 0; i < 600; i++) {
      const verb = i % 3 === 0 ? 'DELETE' : 'GET';
      const outcome = await call(authorizer, tokenEvent(token, methodArn(verb, `/items/${i}`)), logs);
      expect({ i, status: outcome.status, route: outcome.line?.route }).toEqual({ i, status: verb === 'GET' ? 200 : 403, route: `${verb} /items/{id}` });
    }
    expect(await call(authorizer, tokenEvent(token, methodArn('DELETE', '/items/0')), logs)).toMatchObject({ status: 403, reason: 'INSUFFICIENT_SCOPE' });
  });

  test('happy flow: answers for the same permitted routes share one frozen policy; other permissions get another', async () => {
    const logs = new LogCapture();
    const authorizer = createAuthorizer(testConfig([cognito()]), { now: () => NOW_MS, log: logs.log });
    const reader = (await call(authorizer, tokenEvent(bearer({ scopes: ['items:read'] }), methodArn('GET', '/items/1')), logs)).answer!;
    const otherArn = (await call(authorizer, tokenEvent(bearer({ scopes: ['items:read', 'profile'] }), methodArn('GET', '/items/2')), logs)).answer!;
    const writer = (await call(authorizer, tokenEvent(bearer({ scopes: ['items:read', 'items:write'] }), methodArn('GET', '/items/1')), logs)).answer!;
    expect(otherArn.policyDocument).toBe(reader.policyDocument);
    expect(Object.isFrozen(reader.policyDocument) && Object.isFrozen(reader.policyDocument.Statement[0]!.Resource)).toBe(true);
    expect(writer.policyDocument).not.toEqual(reader.policyDocument);
    // The context is the token's own, never shared.
    expect(otherArn.context).not.toBe(reader.context);
  });

  test('error flow: a resource that does not match its method ARN is refused every time, and the matching one still decides', async () => {
    const logs = new LogCapture();
    const authorizer = createAuthorizer(testConfig([cognito()], { cacheKeyScope: 'route' }), { now: () => NOW_MS, log: logs.log });
    const arn = methodArn('GET', '/items/7');
    for (let round = 0; round < 2; round++) {
      expect(await call(authorizer, requestEvent({ authorization: bearer(), resource: '/items', methodArn: arn }), logs)).toMatchObject({ status: 401, reason: 'MALFORMED_EVENT' });
      expect(await call(authorizer, requestEvent({ authorization: bearer(), resource: '/items/{id}', methodArn: arn }), logs)).toMatchObject({ status: 200, line: { route: 'GET /items/{id}' } });
    }
  });
});

describe('the default log sink', () => {
  // The module object itself (not an import namespace), whose writeSync the sink calls.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fs = require('node:fs') as typeof import('node:fs');
  const failure = (code: string): NodeJS.ErrnoException => Object.assign(new Error(code), { code });
  let writes: string[];
  let chunks: Buffer[];
  const streamed = (): string[] => chunks.map((chunk) => chunk.toString('utf8'));
  beforeEach(() => {
    writes = [];
    chunks = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      chunks.push(Buffer.from(chunk));
      return true;
    });
  });
  afterEach(() => jest.restoreAllMocks());

  const writeSyncDoes = (...answers: ((text: string) => number)[]) => {
    jest.spyOn(fs, 'writeSync').mockImplementation(((fd: number, text: string) => {
      expect(fd).toBe(1);
      writes.push(text);
      return (answers.shift() ?? ((all: string) => Buffer.byteLength(all)))(text);
    }) as typeof fs.writeSync);
  };

  test('happy flow: each line and a newline go to fd 1 synchronously; the stdout stream is not used', () => {
    writeSyncDoes();
    const write = stdoutLineWriter();
    write('{"a":1}');
    write('{"b":"é"}');
    expect(writes).toEqual(['{"a":1}\n', '{"b":"é"}\n']);
    expect(streamed()).toEqual([]);
  });

  test('error flow: EAGAIN on a full non-blocking fd 1 hands the line, and every later one, to process.stdout', () => {
    writeSyncDoes(() => {
      throw failure('EAGAIN');
    });
    const write = stdoutLineWriter();
    write('first');
    write('second');
    expect(writes).toEqual(['first\n']);
    expect(streamed()).toEqual(['first\n', 'second\n']);
  });

  test('error flow: a partial write queues the rest of the line, multi-byte characters included, and later lines after it', () => {
    writeSyncDoes(() => 4);
    const write = stdoutLineWriter();
    write('abcé-rest');
    write('next');
    // fd 1 took 'abc' and the first byte of 'é'; the stream gets exactly the bytes after them.
    expect(Buffer.concat([Buffer.from('abcé-rest\n').subarray(0, 4), ...chunks]).toString('utf8')).toBe('abcé-rest\nnext\n');
    expect(writes).toHaveLength(1);
  });

  test('error flow: a log line that cannot be written at all leaves the decision unchanged', async () => {
    writeSyncDoes(() => {
      throw failure('EAGAIN');
    });
    jest.spyOn(process.stdout, 'write').mockImplementation(() => {
      throw failure('EPIPE');
    });
    const authorizer = createAuthorizer(testConfig([cognito()]), { now: () => NOW_MS });
    const answer = await authorizer.handle(tokenEvent(bearer({ scopes: ['items:read'] }), methodArn('GET', '/items/1')));
    expect(evaluatePolicy(answer.policyDocument, methodArn('GET', '/items/1'))).toBe('allow');
  });
});

describe('hostile events', () => {
  const setup = () => {
    const logs = new LogCapture();
    return { logs, authorizer: createAuthorizer(testConfig([cognito()]), { now: () => NOW_MS, log: logs.log }) };
  };

  test.each<[string, unknown]>([
    ['null', null],
    ['an array', [tokenEvent('x')]],
    ['an unknown type', { type: 'WEBSOCKET', methodArn: methodArn('GET', '/items') }],
    ['a TOKEN event without methodArn', { type: 'TOKEN', authorizationToken: 'Bearer a.b.c' }],
    ['a numeric authorizationToken', { type: 'TOKEN', authorizationToken: 42, methodArn: methodArn('GET', '/items') }],
    ['headers that are a string', { ...requestEvent(), headers: 'Authorization: Bearer a.b.c' }],
    ['a header value that is not a string', { ...requestEvent(), headers: { Authorization: ['Bearer a.b.c'] }, multiValueHeaders: null }],
    ['an httpMethod that differs from the method ARN', { ...requestEvent({ authorization: 'Bearer a.b.c' }), httpMethod: 'DELETE' }],
    ['a resource that is not a string', { ...requestEvent({ authorization: 'Bearer a.b.c' }), resource: 7 }],
  ])('error flow: %s is a malformed event', async (_name, event) => {
    const { logs, authorizer } = setup();
    await expect(authorizer.handle(event)).rejects.toEqual(new Error('Unauthorized'));
    expect(logs.decisions()).toEqual([expect.objectContaining({ decision: 'unauthorized', reason: 'MALFORMED_EVENT' })]);
  });

  test('error flow: a context whose awsRequestId getter throws still gets an answer', async () => {
    const { logs, authorizer } = setup();
    const context = Object.defineProperty({}, 'awsRequestId', {
      get() {
        throw new Error('boom');
      },
    });
    await expect(authorizer.handle(tokenEvent(bearer()), context)).resolves.toBeDefined();
    expect(logs.decisions()[0]).toMatchObject({ requestId: null, decision: 'allow' });
  });

  test('error flow: a log sink that throws does not change the answer', async () => {
    const authorizer = createAuthorizer(testConfig([cognito()]), {
      now: () => NOW_MS,
      log: () => {
        throw new Error('sink down');
      },
    });
    await expect(authorizer.handle(tokenEvent(bearer()))).resolves.toMatchObject({ principalId: '4example5client6id7abcdefg' });
    await expect(authorizer.handle(tokenEvent('Bearer x'))).rejects.toEqual(new Error('Unauthorized'));
  });

  test('error flow: a transport that throws a non-error fails closed with KEYS_UNAVAILABLE', async () => {
    const logs = new LogCapture();
    const config = testConfig([cognitoIssuerConfig({ jwksUri: 'https://keys.example.test/jwks.json' })]);
    const authorizer = createAuthorizer(config, {
      now: () => NOW_MS,
      log: logs.log,
      fetch: () => {
        throw 'not an error';
      },
    });
    expect(await call(authorizer, tokenEvent(bearer()), logs)).toMatchObject({ status: 401, reason: 'KEYS_UNAVAILABLE', line: { level: 'error' } });
  });
});

describe('construction', () => {
  test('throws when the configuration is invalid', () => {
    expect(() => createAuthorizer({ version: 1, issuers: [], routes: [] })).toThrow(ConfigError);
    expect(() => createAuthorizer({ version: 1, issuers: [], routes: [] })).toThrow('issuers: must be a non-empty array of at most 20 issuers (received: [])');
  });

  test('error flow: the fail-closed authorizer answers every request with Unauthorized and CONFIG_ERROR', async () => {
    const logs = new LogCapture();
    const authorizer = createFailClosedAuthorizer({ log: logs.log });
    await expect(authorizer.handle(tokenEvent(bearer()), { awsRequestId: 'r1' })).rejects.toEqual(new Error('Unauthorized'));
    expect(logs.decisions()).toEqual([expect.objectContaining({ requestId: 'r1', decision: 'unauthorized', reason: 'CONFIG_ERROR', level: 'error' })]);
  });

  // Speed is measured by `npm run bench`, not here: this test checks the answers of a large table.
  test('happy flow: 300 routes and 5 issuers: one answer per request covers every route', async () => {
    const routes = serviceRoutes(60);
    const issuers = [cognito(), ...[1, 2, 3, 4].map((i) => oidcIssuerConfig(`https://login${i}.example.test`, { keys: [partner.publicJwk] }))];
    const logs = new LogCapture();
    const authorizer = createAuthorizer({ version: 1, issuers, routes }, { now: () => NOW_MS, log: logs.log });

    const authorization = bearer({ scopes: Array.from({ length: 60 }, (_, s) => `svc${s}:read`) });
    for (let i = 0; i < 50; i++) {
      const outcome = await call(authorizer, tokenEvent(authorization, methodArn('GET', `/svc${i}/items/${i}`)), logs);
      expect(outcome.status).toBe(200);
      // One cached answer covers every route: 120 readable routes allowed (the 60 list routes with their
      // trailing-slash form: 60 x 2 + 60); the 180 others denied, the 60 POST routes with their
      // trailing-slash form and each ANY route with one pattern per verb (60 x 2 + 60 + 60 x 7).
      expect(outcome.answer?.policyDocument.Statement.map((s) => s.Resource.length)).toEqual([180, 600]);
    }
  });
});
