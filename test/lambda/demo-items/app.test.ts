import * as path from 'node:path';
import { createItemsApp, ProxyEvent } from '../../../lambda/demo-items/app';
import { DynamoDbClient } from '../../../lambda/demo-items/dynamodb';
import { DynamoDbItemStore } from '../../../lambda/demo-items/store';
import { DynamoDbStandIn } from './dynamodb-stand-in';

const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret', sessionToken: 'session' };
const standIn = new DynamoDbStandIn();
let endpoint: string;

beforeAll(async () => {
  endpoint = await standIn.start();
});
afterAll(() => standIn.stop());
beforeEach(() => {
  standIn.items.clear();
  standIn.requests.length = 0;
});

function makeApp(log: string[] = []) {
  let n = 0;
  const client = new DynamoDbClient({ region: 'eu-west-1', endpoint, credentials: () => credentials, timeoutMs: 1000 });
  return createItemsApp({
    store: new DynamoDbItemStore(client, 'items'),
    newId: () => `item-${++n}`,
    now: () => new Date('2025-01-02T03:04:05.000Z'),
    log: (line) => log.push(line),
  });
}

function event(method: string, resource: string, extra: Partial<ProxyEvent> = {}): ProxyEvent {
  return { httpMethod: method, resource, requestContext: { requestId: 'req-1', authorizer: { principalId: 'user-1' } }, ...extra };
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
      await app(event('POST', '/items', { body: JSON.stringify({ name: `n${i}` }) }));
    }
    const first = JSON.parse((await app(event('GET', '/items', { queryStringParameters: { limit: '2' } }))).body);
    expect(first.items.map((item: { id: string }) => item.id)).toEqual(['item-1', 'item-2']);
    const second = JSON.parse((await app(event('GET', '/items', { queryStringParameters: { limit: '2', nextToken: first.nextToken } }))).body);
    expect(second).toEqual({ items: [expect.objectContaining({ id: 'item-3' })] });
  });

  test('happy flow counts items on the admin route', async () => {
    const app = makeApp();
    await app(event('POST', '/items', { body: '{"name":"a"}' }));
    await app(event('POST', '/items', { body: '{"name":"b"}' }));
    const stats = await app(event('GET', '/admin/stats'));
    expect(JSON.parse(stats.body)).toEqual({ itemCount: 2 });
  });

  test('every DynamoDB call is a SigV4-signed JSON-protocol request with the session token', async () => {
    await makeApp()(event('GET', '/items/{id}', { pathParameters: { id: 'x' } }));
    const [seen] = standIn.requests;
    expect(seen.target).toBe('DynamoDB_20120810.GetItem');
    expect(seen.headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(seen.headers['x-amz-security-token']).toBe('session');
    expect(seen.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/eu-west-1\/dynamodb\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature=[0-9a-f]{64}$/,
    );
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

  test('error flow rejects a malformed id, limit or cursor before calling DynamoDB', async () => {
    const app = makeApp();
    expect((await app(event('GET', '/items/{id}', { pathParameters: { id: '../etc' } }))).statusCode).toBe(400);
    expect((await app(event('GET', '/items', { queryStringParameters: { limit: '1000' } }))).statusCode).toBe(400);
    expect((await app(event('GET', '/items', { queryStringParameters: { nextToken: 'not a cursor!' } }))).statusCode).toBe(400);
    expect(standIn.requests).toHaveLength(0);
  });

  test('error flow answers 404 for a route the service does not serve', async () => {
    const result = await makeApp()(event('PUT', '/items/{id}'));
    expect(result.statusCode).toBe(404);
  });

  test('error flow answers 409 when the id already exists', async () => {
    standIn.items.set('item-1', { id: { S: 'item-1' } });
    const result = await makeApp()(event('POST', '/items', { body: '{"name":"a"}' }));
    expect(result.statusCode).toBe(409);
  });

  test('error flow answers 500 on a DynamoDB failure and logs the error type, never the body', async () => {
    const log: string[] = [];
    standIn.failNext = { status: 500, type: 'InternalServerError' };
    const result = await makeApp(log)(event('POST', '/items', { body: '{"name":"secret-name"}' }));
    expect(result.statusCode).toBe(500);
    expect(JSON.parse(result.body)).toEqual({ message: 'internal error', requestId: 'req-1' });
    expect(log.map((line) => JSON.parse(line))).toEqual([
      { level: 'error', msg: 'items request failed', requestId: 'req-1', route: 'POST /items', error: 'InternalServerError' },
    ]);
    expect(log.join('')).not.toContain('secret-name');
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
      let bundle: { handler: (e: ProxyEvent) => Promise<{ statusCode: number; body: string }> } | undefined;
      jest.isolateModules(() => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        bundle = require(path.join(__dirname, '..', '..', '..', 'assets', 'demo-items', 'index.js'));
      });
      const created = await bundle!.handler(event('POST', '/items', { body: '{"name":"from-bundle"}' }));
      expect(created.statusCode).toBe(201);
      const id = JSON.parse(created.body).id as string;
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(standIn.items.get(id)?.name).toEqual({ S: 'from-bundle' });
    } finally {
      process.env = saved;
    }
  });
});
