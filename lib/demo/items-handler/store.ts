/**
 * Item persistence: the store interface the handler depends on, and its DynamoDB implementation.
 */
import {
  AttributeValue,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';

/** One item of the demo service. */
export interface Item {
  readonly id: string;
  readonly name: string;
  readonly description?: string;
  /** ISO 8601 timestamp of creation. */
  readonly createdAt: string;
  /** Principal (`sub` or client id) that created the item, from the authorizer context. */
  readonly createdBy: string;
}

/** One page of a listing. */
export interface ItemPage {
  readonly items: Item[];
  /** Opaque cursor for the next page; absent on the last page. */
  readonly nextToken?: string;
}

/**
 * What the handler needs from persistence. Every call takes the request's abort signal: when the
 * request's deadline passes, the call stops (in-flight attempt, backoff and further pages).
 */
export interface ItemStore {
  list(limit: number, nextToken: string | undefined, signal: AbortSignal): Promise<ItemPage>;
  get(id: string, signal: AbortSignal): Promise<Item | undefined>;
  /** @returns false when an item with this id already exists */
  create(item: Item, signal: AbortSignal): Promise<boolean>;
  /** @returns the deleted item, or undefined when there was none */
  delete(id: string, signal: AbortSignal): Promise<Item | undefined>;
  count(signal: AbortSignal): Promise<number>;
}

/** Item ids: the table's partition key. The service generates UUIDs; paths and cursors must match. */
export const ITEM_ID_PATTERN = /^[A-Za-z0-9-]{1,64}$/;

/** Raised for a `nextToken` that this store did not hand out. */
export class InvalidCursorError extends Error {
  /** Stable code of this error. */
  public static readonly code = 'INVALID_CURSOR';
  /** Stable code of this error. */
  public readonly code = InvalidCursorError.code;

  constructor() {
    super('nextToken is not a cursor returned by this API');
    this.name = 'InvalidCursorError';
  }
}

// base64url of the longest item id (64 bytes) is 86 characters.
const CURSOR_PATTERN = /^[A-Za-z0-9_-]{1,86}$/;
const MAX_COUNT_PAGES = 20;

/** Items in a DynamoDB table whose partition key is the string attribute `id`. */
export class DynamoDbItemStore implements ItemStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  public async list(limit: number, nextToken: string | undefined, signal: AbortSignal): Promise<ItemPage> {
    const out = await this.client.send(
      new ScanCommand({
        TableName: this.tableName,
        Limit: limit,
        ...(nextToken === undefined ? {} : { ExclusiveStartKey: { id: { S: decodeCursor(nextToken) } } }),
      }),
      { abortSignal: signal },
    );
    const last = out.LastEvaluatedKey?.id?.S;
    return {
      items: (out.Items ?? []).map(fromAttributes),
      ...(last === undefined ? {} : { nextToken: encodeCursor(last) }),
    };
  }

  public async get(id: string, signal: AbortSignal): Promise<Item | undefined> {
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: { id: { S: id } }, ConsistentRead: true }),
      { abortSignal: signal },
    );
    return out.Item ? fromAttributes(out.Item) : undefined;
  }

  public async create(item: Item, signal: AbortSignal): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({ TableName: this.tableName, Item: toAttributes(item), ConditionExpression: 'attribute_not_exists(id)' }),
        { abortSignal: signal },
      );
      return true;
    } catch (err) {
      // The SDK names service errors by their stable DynamoDB error type.
      if (err instanceof Error && err.name === 'ConditionalCheckFailedException') return false;
      throw err;
    }
  }

  public async delete(id: string, signal: AbortSignal): Promise<Item | undefined> {
    const out = await this.client.send(
      new DeleteItemCommand({ TableName: this.tableName, Key: { id: { S: id } }, ReturnValues: 'ALL_OLD' }),
      { abortSignal: signal },
    );
    return out.Attributes ? fromAttributes(out.Attributes) : undefined;
  }

  public async count(signal: AbortSignal): Promise<number> {
    let total = 0;
    let start: Record<string, AttributeValue> | undefined;
    // A bounded number of pages, all inside the request's deadline.
    for (let page = 0; page < MAX_COUNT_PAGES; page++) {
      const out = await this.client.send(
        new ScanCommand({ TableName: this.tableName, Select: 'COUNT', ...(start ? { ExclusiveStartKey: start } : {}) }),
        { abortSignal: signal },
      );
      total += out.Count ?? 0;
      start = out.LastEvaluatedKey;
      if (!start) break;
    }
    return total;
  }
}

/**
 * The cursor is the base64url of the last item's id, the table's only key attribute. It is validated,
 * not signed: it names nothing the caller may not already read (any id it could forge is one a listing
 * shows to every caller with `items/read`), so a signature would protect nothing, while it would need a
 * key to keep, rotate and share across containers. What validation must stop is a malformed start key
 * reaching DynamoDB, which answers `ValidationException`: that would be a 500, and an alarm.
 */
function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

/**
 * @returns the item id the cursor carries
 * @throws InvalidCursorError unless the token is the canonical encoding of a well-formed item id
 */
function decodeCursor(token: string): string {
  if (!CURSOR_PATTERN.test(token)) throw new InvalidCursorError();
  const id = Buffer.from(token, 'base64url').toString('utf8');
  // Re-encoding rejects what Node's lenient decoder lets through: stray bits, invalid UTF-8.
  if (!ITEM_ID_PATTERN.test(id) || encodeCursor(id) !== token) throw new InvalidCursorError();
  return id;
}

function toAttributes(item: Item): Record<string, AttributeValue> {
  return {
    id: { S: item.id },
    name: { S: item.name },
    ...(item.description === undefined ? {} : { description: { S: item.description } }),
    createdAt: { S: item.createdAt },
    createdBy: { S: item.createdBy },
  };
}

function fromAttributes(attributes: Record<string, AttributeValue>): Item {
  const text = (name: string): string | undefined => attributes[name]?.S;
  const description = text('description');
  return {
    id: text('id') ?? '',
    name: text('name') ?? '',
    ...(description === undefined ? {} : { description }),
    createdAt: text('createdAt') ?? '',
    createdBy: text('createdBy') ?? '',
  };
}
