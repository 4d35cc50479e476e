import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEMO_ITEMS_DEFAULTS } from '../../../../lib/defaults';
import { createItemsApp, ProxyEvent, REQUEST_DEADLINE_MS, RESPONSE_MARGIN_MS } from '../../../../lib/demo/items-handler/app';
import { createDynamoDbClient, DYNAMODB_CLIENT_SETTINGS, DynamoDbClientOptions } from '../../../../lib/demo/items-handler/dynamodb';
import { DynamoDbItemStore } from '../../../../lib/demo/items-handler/store';
import { DynamoDbStandIn } from './dynamodb-stand-in';

// Static fake credentials: the SDK signs with them, nothing resolves credentials from the machine or AWS.
const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret', sessionToken: 'session' };
const BUNDLE = path.join(__dirname, '..', '..', '..', '..', 'assets', 'demo-items', 'index.js');
const standIn = new DynamoDbStandIn();
let endpoint: string;

beforeAll(async () => {
  endpoint = await standIn.start();
});
afterAll(() => standIn.stop());
beforeEach(() => standIn.reset());

interface AppSettings {
  readonly log?: string[];
  readonly deadlineMs?: number;
  readonly client?: Partial<DynamoDbClientOptions>;
}

function makeApp(settings: AppSettings = {}) {
  let n = 0;
  const client = createDynamoDbClient({ region: 'eu-west-1', endpoint, credentials, ...settings.client });
  return createItemsApp({
    store: new DynamoDbItemStore(client, 'items'),
    newId: () => `item-${++n}`,
    now: () => new Date('2025-01-02T03:04:05.000Z'),
    log: (line) => settings.log?.push(line),
    deadlineMs: settings.deadlineMs,
  });
}

function event(method: string, resource: string, extra: Partial<ProxyEvent> = {}): ProxyEvent {
  return { httpMethod: method, resource, requestContext: { requestId: 'req-1', authorizer: { principalId: 'user-1' } }, ...extra };
}

const createEvent = (name = 'Widget') => event('POST', '/items', { body: JSON.stringify({ name }) });

/** The base64url of `text` with a padding bit of its last character set: Node decodes it to `text` all the same. */
function nonCanonical(text: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const canonical = Buffer.from(text).toString('base64url');
  const stray = `${canonical.slice(0, -1)}${alphabet[alphabet.indexOf(canonical.at(-1)!) + 1]}`;
  expect(Buffer.from(stray, 'base64url').toString()).toBe(text);
  return stray;
}

async function timed<T>(work: Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await work;
  return { result, ms: performance.now() - started };
}

describe('demo items service', () => {
  test('happy flow creates, reads, lists and deletes an item', async () => {
    const app = makeApp();
    const created = await app(event('POST', '/items', { body: JSON.stringify({ name: 'Widget', description: 'blue' }) }));
    expect(created.statusCode).toBe(201);
    expect(JSON.parse(created.body)).toEqual({
      id: 'item-1', name: 'Widget', description: 'blue', createdAt: '2025-01-02T03:04:05.000Z', createdBy: 'user-1',
    });

    const read = await app(event('GET', '/items/{id}', { pathParameters: { id: 'item-1' } }));
    expect(read.statusCode).toBe(200);
    expect(JSON.parse(read.body).name).toBe('Widget');

    const list = await app(event('GET', '/items'));
    expect(JSON.parse(list.body)).toEqual({ items: [JSON.parse(created.body)] });

    const deleted = await app(event('DELETE', '/items/{id}', { pathParameters: { id: 'item-1' } }));
    expect(deleted.statusCode).toBe(204);
    const gone = await app(event('GET', '/items/{id}', { pathParameters: { id: 'item-1' } }));
    expect(gone.statusCode).toBe(404);
    expect(gone.headers).toEqual({ 'content-type': 'application/json', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  });

  test('happy flow pages through the list with nextToken', async () => {
    const app = makeApp();
    for (let i = 0; i < 3; i++) {
      await app(createEvent(`n${i}`));
    }
    const first = JSON.parse((await app(event('GET', '/items', { queryStringParameters: { limit: '2' } }))).body);
    expect(first.items.map((item: { id: string }) => item.id)).toEqual(['item-1', 'item-2']);
    expect(first.nextToken).toBe(Buffer.from('item-2').toString('base64url'));
    const second = JSON.parse((await app(event('GET', '/items', { queryStringParameters: { limit: '2', nextToken: first.nextToken } }))).body);
    expect(second).toEqual({ items: [expect.objectContaining({ id: 'item-3' })] });
    expect(standIn.requests.at(-1)?.body).toEqual({ TableName: 'items', Limit: 2, ExclusiveStartKey: { id: { S: 'item-2' } } });
  });

  test('happy flow counts items on the admin route', async () => {
    const app = makeApp();
    await app(createEvent('a'));
    await app(createEvent('b'));
    const stats = await app(event('GET', '/admin/stats'));
    expect(JSON.parse(stats.body)).toEqual({ itemCount: 2 });
  });

  test('every DynamoDB call is an AWS SDK JSON 1.0 request, SigV4-signed with the session token', async () => {
    await makeApp()(event('GET', '/items/{id}', { pathParameters: { id: 'x' } }));
    const seen = standIn.requests[0]!;
    expect(seen.target).toBe('DynamoDB_20120810.GetItem');
    expect(seen.headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(seen.headers['x-amz-security-token']).toBe('session');
    expect(seen.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/eu-west-1\/dynamodb\/aws4_request, SignedHeaders=[a-z0-9;-]*x-amz-target[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
    );
    expect(seen.headers['amz-sdk-request']).toBe(`attempt=1; max=${DYNAMODB_CLIENT_SETTINGS.maxAttempts}`);
    expect(seen.body).toEqual({ TableName: 'items', Key: { id: { S: 'x' } }, ConsistentRead: true });
  });

  test.each([
    ['a body that is not JSON', '{name', 400, 'request body must be a JSON object'],
    ['a JSON array', '[1]', 400, 'request body must be a JSON object'],
    ['an unknown field', '{"name":"a","admin":true}', 400, "unknown field 'admin'"],
    ['a missing name', '{"description":"x"}', 400, "'name' must be a non-empty string of at most 200 characters"],
    ['a blank name', '{"name":"  "}', 400, "'name' must be a non-empty string of at most 200 characters"],
    ['a description of the wrong type', '{"name":"a","description":5}', 400, "'description' must be a string of at most 2000 characters"],
    ['a body over 8 KiB', JSON.stringify({ name: 'a', description: 'x'.repeat(9000) }), 413, 'request body must be at most 8192 bytes'],
  ])('error flow rejects %s on create', async (_case, body, status, message) => {
    const result = await makeApp()(event('POST', '/items', { body }));
    expect(result.statusCode).toBe(status);
    expect(JSON.parse(result.body)).toEqual({ message });
    expect(standIn.requests).toHaveLength(0);
  });

  test('error flow rejects a malformed id or limit before calling DynamoDB', async () => {
    const app = makeApp();
    expect((await app(event('GET', '/items/{id}', { pathParameters: { id: '../etc' } }))).statusCode).toBe(400);
    expect((await app(event('GET', '/items', { queryStringParameters: { limit: '1000' } }))).statusCode).toBe(400);
    expect(standIn.requests).toHaveLength(0);
  });

  test.each([
    ['that decodes to an empty id, which DynamoDB refuses as a key', 'A'],
    ['that decodes to a path, not an item id', Buffer.from('../etc').toString('base64url')],
    ['that decodes to an id over 64 characters', Buffer.from('a'.repeat(65)).toString('base64url')],
    ['that decodes to an id with a space', Buffer.from('item 1').toString('base64url')],
    ['that decodes to bytes that are not UTF-8', '_w'],
    ['in a non-canonical encoding of a valid id (stray low bits)', nonCanonical('item-12')],
    ['with characters outside base64url', 'not a cursor!'],
    ['of 2 KB', 'A'.repeat(2048)],
  ])('error flow answers 400 to a cursor %s, before calling DynamoDB', async (_case, nextToken) => {
    const log: string[] = [];
    const result = await makeApp({ log })(event('GET', '/items', { queryStringParameters: { nextToken } }));
    expect({ status: result.statusCode, body: JSON.parse(result.body) }).toEqual({
      status: 400,
      body: { message: 'nextToken is not a cursor returned by this API' },
    });
    expect(standIn.requests).toHaveLength(0);
    expect(log).toEqual([]);
  });

  test('error flow answers 404 for a route the service does not serve', async () => {
    const result = await makeApp()(event('PUT', '/items/{id}'));
    expect(result.statusCode).toBe(404);
  });

  test('error flow answers 409 when the id already exists, without retrying the conditional check', async () => {
    standIn.items.set('item-1', { id: { S: 'item-1' } });
    const result = await makeApp()(createEvent());
    expect(result.statusCode).toBe(409);
    expect(standIn.requests).toHaveLength(1);
  });

  test('happy flow retries a throttled call and a 500 and succeeds on the third attempt', async () => {
    standIn.faults.push({ status: 400, type: 'ProvisionedThroughputExceededException' }, { status: 500, type: 'InternalServerError' });
    const result = await makeApp()(createEvent());
    expect(result.statusCode).toBe(201);
    expect(standIn.requests.map((seen) => seen.headers['amz-sdk-request'])).toEqual(['attempt=1; max=3', 'attempt=2; max=3', 'attempt=3; max=3']);
    expect(standIn.items.has('item-1')).toBe(true);
  });

  test('error flow answers 500 after three failed attempts and logs the error type and attempts, never the body', async () => {
    const log: string[] = [];
    for (let i = 0; i < 4; i++) standIn.faults.push({ status: 500, type: 'InternalServerError' });
    const result = await makeApp({ log })(createEvent('secret-name'));
    expect(result.statusCode).toBe(500);
    expect(JSON.parse(result.body)).toEqual({ message: 'internal error', requestId: 'req-1' });
    expect(standIn.requests).toHaveLength(3);
    expect(log.map((line) => JSON.parse(line))).toEqual([
      { level: 'error', msg: 'items request failed', requestId: 'req-1', route: 'POST /items', error: 'InternalServerError', attempts: 3 },
    ]);
    expect(log.join('')).not.toContain('secret-name');
  });

  test('error flow answers 503 when DynamoDB still throttles once the retries are spent', async () => {
    const log: string[] = [];
    standIn.faults.push({ status: 400, type: 'ThrottlingException' });
    const result = await makeApp({ log, client: { maxAttempts: 1 } })(createEvent());
    expect(result.statusCode).toBe(503);
    expect(JSON.parse(result.body)).toEqual({ message: 'service unavailable, retry later', requestId: 'req-1' });
    expect(JSON.parse(log[0]!)).toMatchObject({ error: 'ThrottlingException', attempts: 1 });
  });

  test('error flow answers 503 when every attempt times out before the deadline', async () => {
    const log: string[] = [];
    standIn.hangAlways = true;
    const { result, ms } = await timed(makeApp({ log, client: { attemptTimeoutMs: 100, maxAttempts: 2 } })(createEvent()));
    expect(result.statusCode).toBe(503);
    expect(ms).toBeLessThan(1000);
    expect(standIn.requests).toHaveLength(2);
    // The SDK's TimeoutError, logged by its socket error code.
    expect(JSON.parse(log[0]!)).toMatchObject({ error: 'ETIMEDOUT', attempts: 2 });
  });

  test('happy flow retries an attempt that gets no answer within the attempt timeout', async () => {
    standIn.faults.push('hang');
    const { result, ms } = await timed(makeApp({ client: { attemptTimeoutMs: 200 } })(createEvent()));
    expect(result.statusCode).toBe(201);
    expect(standIn.requests).toHaveLength(2);
    expect(ms).toBeLessThan(1500);
  });

  test('error flow answers 503 at the request deadline when DynamoDB never answers, and stops retrying', async () => {
    const log: string[] = [];
    standIn.hangAlways = true;
    const { result, ms } = await timed(makeApp({ log, deadlineMs: 300 })(createEvent()));
    expect(result.statusCode).toBe(503);
    expect(ms).toBeGreaterThanOrEqual(290);
    expect(ms).toBeLessThan(1000);
    expect(JSON.parse(log[0]!)).toEqual({ level: 'error', msg: 'items request failed', requestId: 'req-1', route: 'POST /items', error: 'DEADLINE_EXCEEDED' });
    // The attempt in flight was aborted (its 1.5 s timeout has not passed), so no second attempt follows.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(standIn.requests).toHaveLength(1);
  });

  test('the deadline shrinks to what the Lambda context leaves, minus the time to answer', async () => {
    standIn.hangAlways = true;
    const context = { getRemainingTimeInMillis: () => RESPONSE_MARGIN_MS + 250 };
    const { result, ms } = await timed(makeApp()(createEvent(), context));
    expect(result.statusCode).toBe(503);
    expect(ms).toBeLessThan(1000);
  });

  test('the request deadline and the time to answer fit well inside the function timeout', () => {
    expect(REQUEST_DEADLINE_MS + RESPONSE_MARGIN_MS).toBeLessThanOrEqual(DEMO_ITEMS_DEFAULTS.timeout.toMilliseconds() * 0.6);
    expect(DYNAMODB_CLIENT_SETTINGS.maxAttempts).toBe(3);
  });

  test('the bundle loads the AWS SDK from the runtime: it requires only node: and @aws-sdk/ modules', () => {
    const code = fs.readFileSync(BUNDLE, 'utf8');
    const required = [...new Set([...code.matchAll(/require\("([^"]+)"\)/g)].map((match) => match[1]))].sort();
    expect(required).toEqual(['@aws-sdk/client-dynamodb', 'node:crypto']);
    expect(code).not.toContain('AWS4-HMAC-SHA256');
  });

  test('happy flow through the real bundle configured from the environment', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      ITEMS_TABLE_NAME: 'items',
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'AKIDTEST',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'session',
      ITEMS_DYNAMODB_ENDPOINT: endpoint,
    });
    try {
      type Handler = (e: ProxyEvent, context?: { getRemainingTimeInMillis(): number }) => Promise<{ statusCode: number; body: string }>;
      let bundle: { handler: Handler } | undefined;
      jest.isolateModules(() => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        bundle = require(BUNDLE);
      });
      const created = await bundle!.handler(createEvent('from-bundle'), { getRemainingTimeInMillis: () => 10_000 });
      expect(created.statusCode).toBe(201);
      const id = JSON.parse(created.body).id as string;
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(standIn.items.get(id)?.name).toEqual({ S: 'from-bundle' });
      expect(standIn.requests[0]!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDTEST\//);
    } finally {
      process.env = saved;
    }
  });
});
