/**
 * The demo items service: API Gateway proxy events in, JSON responses out.
 *
 * Authentication and authorization happen before this code runs (the JWT authorizer); the service
 * only reads the verified principal from the authorizer context to record who created an item.
 */
import { randomUUID } from 'node:crypto';
import { InvalidCursorError, Item, ITEM_ID_PATTERN, ItemStore } from './store';

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

/** What the app reads of the Lambda context: the time left before the function times out. */
export interface InvocationContext {
  getRemainingTimeInMillis(): number;
}

/** Seams of {@link createItemsApp}. */
export interface ItemsAppOptions {
  readonly store: ItemStore;
  /**
   * Overall deadline of one API request's DynamoDB work (every attempt, backoff and page), in milliseconds.
   * The effective deadline is shorter when the Lambda context says less time is left.
   * @default - REQUEST_DEADLINE_MS
   */
  readonly deadlineMs?: number;
  /** @default - `crypto.randomUUID` */
  readonly newId?: () => string;
  /** @default - the system clock */
  readonly now?: () => Date;
  /** @default - one JSON line on stdout */
  readonly log?: (line: string) => void;
}

/** Request body size the service accepts; the WAF and API Gateway bound it earlier as well. */
export const MAX_BODY_BYTES = 8 * 1024;
/**
 * Overall deadline of one API request's DynamoDB work, in milliseconds: half the function's 10 s timeout,
 * so that a slow or unreachable DynamoDB gets a 503 and a log line, never a Lambda timeout.
 */
export const REQUEST_DEADLINE_MS = 5000;
/** Time kept back from the Lambda context's remaining time to answer and log after the deadline. */
export const RESPONSE_MARGIN_MS = 500;
const MAX_NAME_LENGTH = 200;
const MAX_DESCRIPTION_LENGTH = 2000;
const DEFAULT_PAGE_SIZE = 25;
const MAX_PAGE_SIZE = 100;

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

/** Raised when a request's DynamoDB work outlives its deadline. */
export class DeadlineExceededError extends Error {
  /** Stable code of this error. */
  public static readonly code = 'DEADLINE_EXCEEDED';
  /** Stable code of this error. */
  public readonly code = DeadlineExceededError.code;

  constructor(public readonly deadlineMs: number) {
    super(`DynamoDB work did not finish within the request deadline of ${deadlineMs} ms`);
    this.name = 'DeadlineExceededError';
  }
}

/**
 * Errors (by name) that still mean "too many requests" or "no answer in time" once the client's retries
 * are spent: DynamoDB's throttling error types, and the SDK's attempt timeout.
 */
const UNAVAILABLE_ERRORS = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded', 'TimeoutError']);

type Route = (event: ProxyEvent, principal: string, signal: AbortSignal) => Promise<ProxyResult>;

/** Builds the request handler around a store. */
export function createItemsApp(options: ItemsAppOptions): (event: ProxyEvent, context?: InvocationContext) => Promise<ProxyResult> {
  const { store } = options;
  const deadlineMs = options.deadlineMs ?? REQUEST_DEADLINE_MS;
  const newId = options.newId ?? randomUUID;
  const now = options.now ?? (() => new Date());
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));

  const routes: Record<string, Route> = {
    'GET /items': async (event, _principal, signal) => {
      const query = event.queryStringParameters ?? {};
      const limit = parseLimit(query.limit);
      return json(200, await store.list(limit, query.nextToken || undefined, signal));
    },
    'POST /items': async (event, principal, signal) => {
      const input = parseItemInput(event);
      const item: Item = { id: newId(), ...input, createdAt: now().toISOString(), createdBy: principal };
      if (!(await store.create(item, signal))) throw new ClientError(409, 'an item with this id already exists');
      return json(201, item);
    },
    'GET /items/{id}': async (event, _principal, signal) => {
      const item = await store.get(pathId(event), signal);
      if (!item) throw new ClientError(404, 'item not found');
      return json(200, item);
    },
    'DELETE /items/{id}': async (event, _principal, signal) => {
      const item = await store.delete(pathId(event), signal);
      if (!item) throw new ClientError(404, 'item not found');
      return { statusCode: 204, headers: { ...RESPONSE_HEADERS }, body: '' };
    },
    'GET /admin/stats': async (_event, _principal, signal) => json(200, { itemCount: await store.count(signal) }),
  };

  return async (event: ProxyEvent, context?: InvocationContext): Promise<ProxyResult> => {
    const route = routes[`${event.httpMethod} ${event.resource}`];
    if (!route) return json(404, { message: 'no such route' });
    const requestId = event.requestContext?.requestId ?? null;
    const remaining = typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() - RESPONSE_MARGIN_MS : deadlineMs;
    const deadline = Math.max(0, Math.min(deadlineMs, remaining));
    try {
      return await withDeadline(deadline, (signal) => route(event, principalOf(event), signal));
    } catch (err) {
      if (err instanceof ClientError) return json(err.statusCode, { message: err.message });
      if (err instanceof InvalidCursorError) return json(400, { message: err.message });
      const error = err instanceof Error ? ((err as { code?: string }).code ?? err.name) : 'unknown';
      const attempts = (err as { $metadata?: { attempts?: unknown } } | undefined)?.$metadata?.attempts;
      // The log carries the route, the error type and the attempts only: never the body or any header.
      log(
        JSON.stringify({
          level: 'error',
          msg: 'items request failed',
          requestId,
          route: `${event.httpMethod} ${event.resource}`,
          error,
          ...(typeof attempts === 'number' ? { attempts } : {}),
        }),
      );
      // Out of time, or throttled or timed out on every attempt: the caller may retry later, and 503 says so.
      if (err instanceof DeadlineExceededError || (err instanceof Error && UNAVAILABLE_ERRORS.has(err.name))) {
        return json(503, { message: 'service unavailable, retry later', requestId });
      }
      return json(500, { message: 'internal error', requestId });
    }
  };
}

/**
 * Runs `work` with an abort signal that fires after `ms` and settles by then, whatever the work does
 * with the signal: the SDK aborts the attempt in flight, and an SDK that would still sleep through a
 * backoff cannot hold the answer back.
 */
async function withDeadline<T>(ms: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new DeadlineExceededError(ms);
      controller.abort(error);
      reject(error);
    }, ms);
  });
  try {
    return await Promise.race([work(controller.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
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
  if (typeof id !== 'string' || !ITEM_ID_PATTERN.test(id)) throw new ClientError(400, "path parameter 'id' must match [A-Za-z0-9-]{1,64}");
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
  const [unknownKey] = unknownKeys;
  if (unknownKey !== undefined) throw new ClientError(400, `unknown field '${unknownKey.slice(0, 64)}'`);
  const { name, description } = record;
  if (typeof name !== 'string' || name.trim() === '' || name.length > MAX_NAME_LENGTH) {
    throw new ClientError(400, `'name' must be a non-empty string of at most ${MAX_NAME_LENGTH} characters`);
  }
  if (description !== undefined && (typeof description !== 'string' || description.length > MAX_DESCRIPTION_LENGTH)) {
    throw new ClientError(400, `'description' must be a string of at most ${MAX_DESCRIPTION_LENGTH} characters`);
  }
  return description === undefined ? { name } : { name, description };
}
