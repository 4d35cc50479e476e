import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

type Attrs = Record<string, { S?: string; N?: string }>;

/** One request the stand-in received. */
export interface SeenRequest {
  readonly target: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Record<string, unknown>;
}

/** What the stand-in does instead of answering one request: a service error, or no answer at all. */
export type Fault = { readonly status: number; readonly type: string } | 'hang';

const ERROR_NAMESPACE = 'com.amazonaws.dynamodb.v20120810#';
/** Largest partition key value DynamoDB accepts, in bytes. */
const MAX_PARTITION_KEY_BYTES = 2048;

/**
 * A DynamoDB stand-in on 127.0.0.1 speaking what the AWS SDK sends: the JSON 1.0 protocol (`POST /`,
 * `Content-Type: application/x-amz-json-1.0`, `X-Amz-Target: DynamoDB_20120810.<Operation>`), for GetItem,
 * PutItem, DeleteItem and Scan over one table keyed by the string attribute `id`, enough to drive the
 * demo items service end to end.
 *
 * It validates keys as DynamoDB does (a `ValidationException` for an empty or oversized key value, or a
 * start key that is not exactly the table's key), so a malformed key that the service lets through shows
 * as the error DynamoDB would give. `faults` are consumed one per request, before anything else: a service
 * error (e.g. `{ status: 500, type: 'InternalServerError' }`) or `'hang'`, a request never answered;
 * `hangAlways` leaves every request unanswered.
 */
export class DynamoDbStandIn {
  public readonly items = new Map<string, Attrs>();
  public readonly requests: SeenRequest[] = [];
  public readonly faults: Fault[] = [];
  public hangAlways = false;
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  /** Forgets items, requests and faults. */
  public reset(): void {
    this.items.clear();
    this.requests.length = 0;
    this.faults.length = 0;
    this.hangAlways = false;
  }

  /** @returns the endpoint URL, `http://127.0.0.1:<port>/` */
  public async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => this.answer(req, res, Buffer.concat(chunks).toString('utf8')));
    });
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  /** Closes the server and every connection, the hanging ones included. */
  public async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve, reject) => this.server?.close((err) => (err ? reject(err) : resolve())));
  }

  private answer(req: IncomingMessage, res: ServerResponse, text: string): void {
    const reply = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify(payload));
    };
    const fail = (status: number, type: string, message: string) => reply(status, { __type: `${ERROR_NAMESPACE}${type}`, message });
    const target = String(req.headers['x-amz-target'] ?? '');
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      this.requests.push({ target, headers: req.headers, body: {} });
      fail(400, 'SerializationException', 'Start of structure or map found where not expected');
      return;
    }
    this.requests.push({ target, headers: req.headers, body });
    if (req.method !== 'POST' || req.headers['content-type'] !== 'application/x-amz-json-1.0') {
      fail(400, 'SerializationException', 'expected POST with Content-Type application/x-amz-json-1.0');
      return;
    }
    const fault = this.hangAlways ? 'hang' : this.faults.shift();
    if (fault === 'hang') return;
    if (fault) {
      fail(fault.status, fault.type, 'injected failure');
      return;
    }
    const keyError = (key: unknown, what: string): string | undefined => {
      if (key === undefined) return undefined;
      const attrs = key as Attrs;
      const names = Object.keys(attrs);
      const value = attrs.id?.S;
      if (names.length !== 1 || typeof value !== 'string' || Object.keys(attrs.id!).length !== 1) {
        return `The provided ${what} does not match the schema`;
      }
      if (value === '') return 'One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: id';
      if (Buffer.byteLength(value) > MAX_PARTITION_KEY_BYTES) return 'One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of 2048 bytes';
      return undefined;
    };
    const invalid = keyError(body.Key, 'key element') ?? keyError(body.ExclusiveStartKey, 'starting key') ?? keyError(body.Item ? { id: (body.Item as Attrs).id } : undefined, 'item key');
    if (invalid) {
      fail(400, 'ValidationException', invalid);
      return;
    }
    const key = (body.Key as Attrs | undefined)?.id?.S;
    switch (target) {
      case 'DynamoDB_20120810.GetItem':
        reply(200, this.items.has(key!) ? { Item: this.items.get(key!) } : {});
        return;
      case 'DynamoDB_20120810.PutItem': {
        const item = body.Item as Attrs;
        if (this.items.has(item.id!.S!)) {
          fail(400, 'ConditionalCheckFailedException', 'The conditional request failed');
          return;
        }
        this.items.set(item.id!.S!, item);
        reply(200, {});
        return;
      }
      case 'DynamoDB_20120810.DeleteItem': {
        const old = this.items.get(key!);
        this.items.delete(key!);
        reply(200, old ? { Attributes: old } : {});
        return;
      }
      case 'DynamoDB_20120810.Scan': {
        const ids = [...this.items.keys()].sort();
        const start = (body.ExclusiveStartKey as Attrs | undefined)?.id?.S;
        const from = start === undefined ? 0 : ids.filter((id) => id <= start).length;
        const limit = typeof body.Limit === 'number' ? body.Limit : ids.length;
        const page = ids.slice(from, from + limit);
        const last = from + limit < ids.length ? { LastEvaluatedKey: { id: { S: page[page.length - 1] } } } : {};
        reply(200, body.Select === 'COUNT' ? { Count: page.length, ScannedCount: page.length, ...last } : { Items: page.map((id) => this.items.get(id)), Count: page.length, ScannedCount: page.length, ...last });
        return;
      }
      default:
        reply(400, { __type: 'com.amazon.coral.service#UnknownOperationException' });
    }
  }
}
