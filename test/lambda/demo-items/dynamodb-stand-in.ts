import { createServer, IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

type Attrs = Record<string, { S?: string; N?: string }>;

/** One request the stand-in received. */
export interface SeenRequest {
  readonly target: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Record<string, unknown>;
}

/**
 * A DynamoDB stand-in on 127.0.0.1 speaking the JSON protocol for GetItem, PutItem, DeleteItem and Scan
 * over one table keyed by `id`, enough to drive the demo items service end to end. `failNext` makes
 * the next call answer with a service error.
 */
export class DynamoDbStandIn {
  public readonly items = new Map<string, Attrs>();
  public readonly requests: SeenRequest[] = [];
  public failNext?: { status: number; type: string };
  private server?: Server;

  public async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        const target = String(req.headers['x-amz-target'] ?? '');
        this.requests.push({ target, headers: req.headers, body });
        const reply = (status: number, payload: unknown) => {
          res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(JSON.stringify(payload));
        };
        if (this.failNext) {
          const { status, type } = this.failNext;
          this.failNext = undefined;
          reply(status, { __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: 'injected failure' });
          return;
        }
        const key = (body.Key as Attrs | undefined)?.id?.S;
        switch (target) {
          case 'DynamoDB_20120810.GetItem':
            reply(200, this.items.has(key!) ? { Item: this.items.get(key!) } : {});
            return;
          case 'DynamoDB_20120810.PutItem': {
            const item = body.Item as Attrs;
            if (this.items.has(item.id.S!)) {
              reply(400, { __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException', message: 'The conditional request failed' });
              return;
            }
            this.items.set(item.id.S!, item);
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
            const from = start === undefined ? 0 : ids.indexOf(start) + 1;
            const limit = typeof body.Limit === 'number' ? body.Limit : ids.length;
            const page = ids.slice(from, from + limit);
            const last = from + limit < ids.length ? { LastEvaluatedKey: { id: { S: page[page.length - 1] } } } : {};
            reply(200, body.Select === 'COUNT' ? { Count: page.length, ...last } : { Items: page.map((id) => this.items.get(id)), Count: page.length, ...last });
            return;
          }
          default:
            reply(400, { __type: 'com.amazon.coral.service#UnknownOperationException' });
        }
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  public async stop(): Promise<void> {
    await new Promise<void>((resolve, reject) => this.server?.close((err) => (err ? reject(err) : resolve())));
  }
}
