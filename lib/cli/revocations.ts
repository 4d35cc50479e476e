/**
 * The deny list the authorizer reads: one DynamoDB item per revocation, written and removed by
 * `secure-api revoke` and `unrevoke`, listed by `secure-api revocations list`.
 *
 * Item shape (partition key `pk`, no sort key): `sub#<sub>`, `client#<client id>`, `jti#<jti>` (matches a
 * token's `jti` or `origin_jti`), `before#*` (every token) or `before#<client id>` (that client's tokens),
 * with `issuedBefore` (N, before# items only: tokens whose `iat` is earlier are revoked), `reason`,
 * `createdAt`, `createdBy` and the optional TTL `expiresAt` (N, epoch seconds). The authorizer treats an
 * item whose `expiresAt` has passed as absent, as DynamoDB deletes expired items only lazily.
 */
import {
  AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { DENY_LIST_ATTRIBUTES, DENY_LIST_EVERY_CLIENT, DENY_LIST_KEY_PREFIXES, denyListNumber } from '../../lambda/contract';
import { ServiceCallContext, callService, mapServiceError } from './aws-errors';
import { usageError } from './errors';
import { quoted } from './io';

/** What a deny-list entry revokes. */
export type RevocationKind = 'sub' | 'client' | 'token' | 'before';

/** Every {@link RevocationKind}, in the order the commands list them. */
export const REVOCATION_KINDS: readonly RevocationKind[] = ['sub', 'client', 'token', 'before'];

/** The attribute names of a deny-list item, as the authorizer reads them. */
export const DENY_LIST_ATTRIBUTE = Object.freeze({ ...DENY_LIST_ATTRIBUTES, key: DENY_LIST_ATTRIBUTES.partitionKey });

/** The key prefix of each kind (a `token` entry is the authorizer's `jti` kind). */
export const DENY_LIST_PREFIX: Readonly<Record<RevocationKind, string>> = Object.freeze({
  sub: DENY_LIST_KEY_PREFIXES.sub,
  client: DENY_LIST_KEY_PREFIXES.client,
  token: DENY_LIST_KEY_PREFIXES.jti,
  before: DENY_LIST_KEY_PREFIXES.before,
});

/** The value of a before# entry that covers every client's tokens. */
export const EVERY_CLIENT = DENY_LIST_EVERY_CLIENT;

/** DynamoDB's limit on a partition key value, in UTF-8 bytes. */
const MAX_KEY_BYTES = 2048;

/** One entry of the deny list. */
export interface Revocation {
  /** What it revokes. */
  readonly kind: RevocationKind;
  /** The sub, client id or jti; for `before`, a client id or {@link EVERY_CLIENT}. */
  readonly value: string;
  /** For `before`: epoch seconds; tokens issued earlier are revoked. */
  readonly issuedBefore?: number;
  /** Why. */
  readonly reason: string;
  /** Epoch seconds of the write. */
  readonly createdAt: number;
  /** Who wrote it. */
  readonly createdBy: string;
  /** Epoch seconds after which it no longer counts. @default - never */
  readonly expiresAt?: number;
}

/** Where the deny list is. */
export interface DenyListTarget {
  /** A client for the table's region. */
  readonly client: DynamoDBClient;
  /** The table name. */
  readonly tableName: string;
  /** The table's region. */
  readonly region: string;
}

/**
 * The partition key of an entry.
 *
 * @throws CliError (exit 2) when the value is empty, too long for a key, or (for a client) the `*` that
 * means every client
 */
export function denyListKey(kind: RevocationKind, value: string): string {
  if (value === '') {
    throw usageError('ERR_EMPTY_VALUE', `The ${describeKind(kind)} to revoke is empty.`);
  }
  if (kind === 'client' && value === EVERY_CLIENT) {
    throw usageError('ERR_BAD_CLIENT_ID', 'A client id cannot be `*`. To revoke every token, run `secure-api revoke before <time>` without --client.');
  }
  const key = `${DENY_LIST_PREFIX[kind]}${value}`;
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    throw usageError('ERR_VALUE_TOO_LONG', `The ${describeKind(kind)} is too long for a deny-list key (at most ${MAX_KEY_BYTES - Buffer.byteLength(DENY_LIST_PREFIX[kind])} bytes).`);
  }
  return key;
}

/** The kind and value of a partition key, or `undefined` for a key of no known kind. */
export function parseDenyListKey(key: string): { kind: RevocationKind; value: string } | undefined {
  const kind = REVOCATION_KINDS.find((candidate) => key.startsWith(DENY_LIST_PREFIX[candidate]));
  return kind === undefined ? undefined : { kind, value: key.slice(DENY_LIST_PREFIX[kind].length) };
}

/** `sub "abc"`, `client "x"`, `token "jti"`, `every token issued before ...`, for messages. */
export function describeRevocation(entry: Pick<Revocation, 'kind' | 'value' | 'issuedBefore'>): string {
  if (entry.kind === 'before') {
    const time = entry.issuedBefore === undefined ? ', whatever its issue time (its issuedBefore is not a number)' : ` issued before ${formatEpochSeconds(entry.issuedBefore)}`;
    return entry.value === EVERY_CLIENT ? `every token${time}` : `every token of client ${quoted(entry.value)}${time}`;
  }
  return `${describeKind(entry.kind)} ${quoted(entry.value)}`;
}

/** The latest time a `Date` holds, in epoch seconds. */
const MAX_DATE_SECONDS = 8.64e12;

/**
 * Epoch seconds as ISO 8601, or as `epoch second <n>` when no date is that far (an item written by another
 * tool may hold any number, and the authorizer compares it as a number).
 */
export function formatEpochSeconds(seconds: number): string {
  return Math.abs(seconds) <= MAX_DATE_SECONDS ? new Date(seconds * 1000).toISOString() : `epoch second ${seconds}`;
}

/**
 * The issue time a before# entry revokes up to, as the authorizer reads it: a before# item without a number
 * `issuedBefore` revokes every token it names.
 */
export function effectiveIssuedBefore(entry: Pick<Revocation, 'kind' | 'issuedBefore'>): number | undefined {
  return entry.kind === 'before' ? (entry.issuedBefore ?? Infinity) : undefined;
}

function describeKind(kind: RevocationKind): string {
  return { sub: 'sub', client: 'client id', token: 'token id (jti)', before: 'client id' }[kind];
}

/** The outcome of {@link putRevocation}. */
export type PutOutcome =
  /** The entry was written. */
  | { readonly written: true }
  /** An entry that revokes at least as much was there already, and stays. */
  | { readonly written: false; readonly existing: Revocation };

/**
 * Writes an entry, unless one that revokes at least as much is there: a later or equal `issuedBefore`,
 * and no expiry or a later one. So a second `revoke` never narrows a revocation by accident; narrowing
 * takes an explicit `unrevoke` first. An entry whose expiry has passed counts as absent.
 */
export async function putRevocation(target: DenyListTarget, entry: Revocation, nowSeconds: number): Promise<PutOutcome> {
  const a = DENY_LIST_ATTRIBUTE;
  const item: Record<string, AttributeValue> = {
    [a.key]: { S: denyListKey(entry.kind, entry.value) },
    [a.reason]: { S: entry.reason },
    [a.createdAt]: { N: String(entry.createdAt) },
    [a.createdBy]: { S: entry.createdBy },
  };
  const names: Record<string, string> = { '#pk': a.key };
  const values: Record<string, AttributeValue> = {};
  const covers: string[] = [];
  if (entry.kind === 'before') {
    item[a.issuedBefore] = { N: String(entry.issuedBefore) };
    names['#ib'] = a.issuedBefore;
    values[':ib'] = { N: String(entry.issuedBefore) };
    covers.push('#ib <= :ib');
  }
  if (entry.expiresAt !== undefined) {
    item[a.expiresAt] = { N: String(entry.expiresAt) };
    names['#exp'] = a.expiresAt;
    values[':exp'] = { N: String(entry.expiresAt) };
    covers.push('#exp <= :exp');
  }
  let condition: string | undefined;
  if (covers.length > 0) {
    names['#exp'] = a.expiresAt;
    values[':now'] = { N: String(nowSeconds) };
    condition = `attribute_not_exists(#pk) OR #exp <= :now OR (${covers.join(' AND ')})`;
  }
  try {
    await target.client.send(
      new PutItemCommand({
        TableName: target.tableName,
        Item: item,
        ...(condition === undefined
          ? {}
          : { ConditionExpression: condition, ExpressionAttributeNames: names, ExpressionAttributeValues: values, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }),
      }),
    );
    return { written: true };
  } catch (error) {
    const existing = error instanceof ConditionalCheckFailedException && error.Item !== undefined ? parseRevocation(error.Item) : undefined;
    if (existing !== undefined) {
      return { written: false, existing };
    }
    throw mapServiceError(error, context(target, 'PutItem'));
  }
}

/** Removes the entry of `kind` and `value`; returns it, or `undefined` when there was none. */
export async function deleteRevocation(target: DenyListTarget, kind: RevocationKind, value: string): Promise<Revocation | undefined> {
  const response = await callService(context(target, 'DeleteItem'), () =>
    target.client.send(
      new DeleteItemCommand({ TableName: target.tableName, Key: { [DENY_LIST_ATTRIBUTE.key]: { S: denyListKey(kind, value) } }, ReturnValues: 'ALL_OLD' }),
    ),
  );
  return response.Attributes === undefined ? undefined : parseRevocation(response.Attributes);
}

/** Every entry of the table (Scan, all pages), oldest first, with items of no known shape left out. */
export async function listRevocations(target: DenyListTarget): Promise<{ entries: Revocation[]; unknownItems: number }> {
  const entries: Revocation[] = [];
  let unknownItems = 0;
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await callService(context(target, 'Scan'), () =>
      target.client.send(new ScanCommand({ TableName: target.tableName, ConsistentRead: true, ExclusiveStartKey: startKey })),
    );
    for (const item of page.Items ?? []) {
      const entry = parseRevocation(item);
      if (entry === undefined) unknownItems++;
      else entries.push(entry);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  entries.sort((x, y) => x.createdAt - y.createdAt || x.kind.localeCompare(y.kind) || x.value.localeCompare(y.value));
  return { entries, unknownItems };
}

/** An item as an entry, or `undefined` when its key or attributes are not of the deny list's shape. */
export function parseRevocation(item: Record<string, AttributeValue>): Revocation | undefined {
  const a = DENY_LIST_ATTRIBUTE;
  const key = item[a.key]?.S;
  const parsed = key === undefined ? undefined : parseDenyListKey(key);
  if (parsed === undefined) {
    return undefined;
  }
  // Read as the authorizer reads them: text that is not a decimal number never ends an entry.
  const number = (name: string): number | undefined => denyListNumber(item[name]?.N);
  const issuedBefore = number(a.issuedBefore);
  const expiresAt = number(a.expiresAt);
  return {
    ...parsed,
    ...(issuedBefore === undefined ? {} : { issuedBefore }),
    reason: item[a.reason]?.S ?? '',
    createdAt: number(a.createdAt) ?? 0,
    createdBy: item[a.createdBy]?.S ?? '',
    ...(expiresAt === undefined ? {} : { expiresAt }),
  };
}

function context(target: DenyListTarget, action: string): ServiceCallContext {
  return {
    service: 'DynamoDB',
    iamPrefix: 'dynamodb',
    action,
    region: target.region,
    resource: `table ${target.tableName}`,
    notFoundHint: 'Check --table (default: output DenyListTableName) and --region, and that the stack turns revocation on.',
  };
}
