/**
 * The demo items service: API Gateway proxy events in, JSON responses out.
 *
 * Authentication and authorization happen before this code runs (the JWT authorizer); the service
 * only reads the verified principal from the authorizer context to record who created an item.
 */
import { randomUUID } from 'node:crypto';
import { InvalidCursorError, Item, ItemStore } from './store';

/** The parts of an API Gateway REST proxy event the service reads. */
export interface ProxyEvent {
  readonly resource?: string;
  readonly httpMethod?: string;
  readonly pathParameters?: Record<string, string | undefined> | null;
  readonly queryStringParameters?: Record<string, string | undefined> | null;
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
  readonly requestContext?: {
    readonly requestId?: string;
    readonly authorizer?: Record<string, unknown> | null;
  };
}

/** An API Gateway REST proxy response. */
export interface ProxyResult {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Seams of {@link createItemsApp}. */
export interface ItemsAppOptions {
  readonly store: ItemStore;
  /** @default - `crypto.randomUUID` */
  readonly newId?: () => string;
  /** @default - the system clock */
  readonly now?: () => Date;
  /** @default - one JSON line on stdout */
  readonly log?: (line: string) => void;
}

/** Request body size the service accepts; the WAF and API Gateway bound it earlier as well. */
export const MAX_BODY_BYTES = 8 * 1024;
const MAX_NAME_LENGTH = 200;
const MAX_DESCRIPTION_LENGTH = 2000;
const DEFAULT_PAGE_SIZE = 25;
const MAX_PAGE_SIZE = 100;
const ID_PATTERN = /^[A-Za-z0-9-]{1,64}$/;

const RESPONSE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'application/json',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

class ClientError extends Error {
  constructor(
    public readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

type Route = (event: ProxyEvent, principal: string) => Promise<ProxyResult>;

/** Builds the request handler around a store. */
export function createItemsApp(options: ItemsAppOptions): (event: ProxyEvent) => Promise<ProxyResult> {
  const { store } = options;
  const newId = options.newId ?? randomUUID;
  const now = options.now ?? (() => new Date());
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));

  const routes: Record<string, Route> = {
    'GET /items': async (event) => {
      const query = event.queryStringParameters ?? {};
      const limit = parseLimit(query.limit);
      return json(200, await store.list(limit, query.nextToken || undefined));
    },
    'POST /items': async (event, principal) => {
      const input = parseItemInput(event);
      const item: Item = { id: newId(), ...input, createdAt: now().toISOString(), createdBy: principal };
      if (!(await store.create(item))) throw new ClientError(409, 'an item with this id already exists');
      return json(201, item);
    },
    'GET /items/{id}': async (event) => {
      const item = await store.get(pathId(event));
      if (!item) throw new ClientError(404, 'item not found');
      return json(200, item);
    },
    'DELETE /items/{id}': async (event) => {
      const item = await store.delete(pathId(event));
      if (!item) throw new ClientError(404, 'item not found');
      return { statusCode: 204, headers: { ...RESPONSE_HEADERS }, body: '' };
    },
    'GET /admin/stats': async () => json(200, { itemCount: await store.count() }),
  };

  return async (event: ProxyEvent): Promise<ProxyResult> => {
    const route = routes[`${event.httpMethod} ${event.resource}`];
    if (!route) return json(404, { message: 'no such route' });
    try {
      return await route(event, principalOf(event));
    } catch (err) {
      if (err instanceof ClientError) return json(err.statusCode, { message: err.message });
      if (err instanceof InvalidCursorError) return json(400, { message: err.message });
      // The log carries the route and the error type only: never the body or any header.
      log(
        JSON.stringify({
          level: 'error',
          msg: 'items request failed',
          requestId: event.requestContext?.requestId ?? null,
          route: `${event.httpMethod} ${event.resource}`,
          error: err instanceof Error ? ((err as { code?: string }).code ?? err.name) : 'unknown',
        }),
      );
      return json(500, { message: 'internal error', requestId: event.requestContext?.requestId ?? null });
    }
  };
}

function json(statusCode: number, body: unknown): ProxyResult {
  return { statusCode, headers: { ...RESPONSE_HEADERS }, body: JSON.stringify(body) };
}

function principalOf(event: ProxyEvent): string {
  const authorizer = event.requestContext?.authorizer ?? {};
  const principal = authorizer.principalId ?? authorizer.sub ?? authorizer.clientId;
  return typeof principal === 'string' && principal !== '' ? principal : 'unknown';
}

function pathId(event: ProxyEvent): string {
  const id = event.pathParameters?.id;
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) throw new ClientError(400, "path parameter 'id' must match [A-Za-z0-9-]{1,64}");
  return id;
}

function parseLimit(raw: string | undefined): number {
  if (raw === undefined || raw === '') return DEFAULT_PAGE_SIZE;
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new ClientError(400, `query parameter 'limit' must be an integer from 1 to ${MAX_PAGE_SIZE}`);
  }
  return limit;
}

function parseItemInput(event: ProxyEvent): { name: string; description?: string } {
  const raw = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
  if (Buffer.byteLength(raw) > MAX_BODY_BYTES) throw new ClientError(413, `request body must be at most ${MAX_BODY_BYTES} bytes`);
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw new ClientError(400, 'request body must be a JSON object');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ClientError(400, 'request body must be a JSON object');
  const record = body as Record<string, unknown>;
  const unknownKeys = Object.keys(record).filter((key) => key !== 'name' && key !== 'description');
  if (unknownKeys.length > 0) throw new ClientError(400, `unknown field '${unknownKeys[0].slice(0, 64)}'`);
  const { name, description } = record;
  if (typeof name !== 'string' || name.trim() === '' || name.length > MAX_NAME_LENGTH) {
    throw new ClientError(400, `'name' must be a non-empty string of at most ${MAX_NAME_LENGTH} characters`);
  }
  if (description !== undefined && (typeof description !== 'string' || description.length > MAX_DESCRIPTION_LENGTH)) {
    throw new ClientError(400, `'description' must be a string of at most ${MAX_DESCRIPTION_LENGTH} characters`);
  }
  return description === undefined ? { name } : { name, description };
}
