/**
 * Item persistence: the store interface the handler depends on, and its DynamoDB implementation.
 */
import { AttributeMap, DynamoDbClient, DynamoDbError } from './dynamodb';

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

/** What the handler needs from persistence. */
export interface ItemStore {
  list(limit: number, nextToken?: string): Promise<ItemPage>;
  get(id: string): Promise<Item | undefined>;
  /** @returns false when an item with this id already exists */
  create(item: Item): Promise<boolean>;
  /** @returns the deleted item, or undefined when there was none */
  delete(id: string): Promise<Item | undefined>;
  count(): Promise<number>;
}

/** Raised for a `nextToken` that this store did not hand out. */
export class InvalidCursorError extends Error {
  constructor() {
    super('nextToken is not a cursor returned by this API');
    this.name = 'InvalidCursorError';
  }
}

const MAX_COUNT_PAGES = 20;

/** Items in a DynamoDB table whose partition key is the string attribute `id`. */
export class DynamoDbItemStore implements ItemStore {
  constructor(
    private readonly client: DynamoDbClient,
    private readonly tableName: string,
  ) {}

  public async list(limit: number, nextToken?: string): Promise<ItemPage> {
    const out = await this.client.send<{ Items?: AttributeMap[]; LastEvaluatedKey?: AttributeMap }>('Scan', {
      TableName: this.tableName,
      Limit: limit,
      ...(nextToken === undefined ? {} : { ExclusiveStartKey: { id: { S: decodeCursor(nextToken) } } }),
    });
    const last = out.LastEvaluatedKey?.id;
    return {
      items: (out.Items ?? []).map(fromAttributes),
      ...(last && 'S' in last ? { nextToken: Buffer.from(last.S, 'utf8').toString('base64url') } : {}),
    };
  }

  public async get(id: string): Promise<Item | undefined> {
    const out = await this.client.send<{ Item?: AttributeMap }>('GetItem', {
      TableName: this.tableName,
      Key: { id: { S: id } },
      ConsistentRead: true,
    });
    return out.Item ? fromAttributes(out.Item) : undefined;
  }

  public async create(item: Item): Promise<boolean> {
    try {
      await this.client.send('PutItem', {
        TableName: this.tableName,
        Item: toAttributes(item),
        ConditionExpression: 'attribute_not_exists(id)',
      });
      return true;
    } catch (err) {
      if (err instanceof DynamoDbError && err.code === 'ConditionalCheckFailedException') return false;
      throw err;
    }
  }

  public async delete(id: string): Promise<Item | undefined> {
    const out = await this.client.send<{ Attributes?: AttributeMap }>('DeleteItem', {
      TableName: this.tableName,
      Key: { id: { S: id } },
      ReturnValues: 'ALL_OLD',
    });
    return out.Attributes ? fromAttributes(out.Attributes) : undefined;
  }

  public async count(): Promise<number> {
    let total = 0;
    let start: AttributeMap | undefined;
    // A bounded number of pages keeps the admin call inside the Lambda timeout on large tables.
    for (let page = 0; page < MAX_COUNT_PAGES; page++) {
      const out = await this.client.send<{ Count?: number; LastEvaluatedKey?: AttributeMap }>('Scan', {
        TableName: this.tableName,
        Select: 'COUNT',
        ...(start ? { ExclusiveStartKey: start } : {}),
      });
      total += out.Count ?? 0;
      start = out.LastEvaluatedKey;
      if (!start) break;
    }
    return total;
  }
}

function decodeCursor(token: string): string {
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(token)) throw new InvalidCursorError();
  return Buffer.from(token, 'base64url').toString('utf8');
}

function toAttributes(item: Item): AttributeMap {
  return {
    id: { S: item.id },
    name: { S: item.name },
    ...(item.description === undefined ? {} : { description: { S: item.description } }),
    createdAt: { S: item.createdAt },
    createdBy: { S: item.createdBy },
  };
}

function fromAttributes(attributes: AttributeMap): Item {
  const text = (name: string): string | undefined => {
    const value = attributes[name];
    return value && 'S' in value ? value.S : undefined;
  };
  const description = text('description');
  return {
    id: text('id') ?? '',
    name: text('name') ?? '',
    ...(description === undefined ? {} : { description }),
    createdAt: text('createdAt') ?? '',
    createdBy: text('createdBy') ?? '',
  };
}
