/**
 * The deny list's vocabulary, shared by the table's construct, the operator CLI that writes it and the
 * authorizer that reads it: item keys and attributes, bounds, the matching rule (pure, on a snapshot of the
 * table) and the `deny list unavailable` log line.
 *
 * Items: `pk` = `sub#<sub>` | `client#<client id>` | `jti#<jti>` (matches the token's `jti` or `origin_jti`) |
 * `before#*` (every token) | `before#<client id>` (that client's tokens), the last two with `issuedBefore`
 * (epoch seconds: tokens with `iat` before it are revoked). `expiresAt` (epoch seconds, the table's TTL
 * attribute) ends an entry: DynamoDB deletes expired items lazily, so `expiresAt <= now` counts as absent.
 */
import type { AwsFailureCause } from './aws-failure';
import type { DenyListWhenUnavailable } from './config-types';

/** The attribute names of a deny-list item. */
export const DENY_LIST_ATTRIBUTES = Object.freeze({
  /** The partition key (S): a kind prefix and the value. */
  partitionKey: 'pk',
  /** (N, epoch seconds) on `before#` items: tokens with `iat` before it are revoked. */
  issuedBefore: 'issuedBefore',
  /** (S) why the entry was made. */
  reason: 'reason',
  /** (N, epoch seconds) when it was made. */
  createdAt: 'createdAt',
  /** (S) who made it. */
  createdBy: 'createdBy',
  /** (N, epoch seconds, optional) when it ends: the table's TTL attribute. */
  expiresAt: 'expiresAt',
} as const);

/** The prefixes of `pk`, one per kind of entry. */
export const DENY_LIST_KEY_PREFIXES = Object.freeze({ sub: 'sub#', client: 'client#', jti: 'jti#', before: 'before#' } as const);

/** The value of a `before#` key that covers every client's tokens. */
export const DENY_LIST_EVERY_CLIENT = '*';

/** The kind of an entry: which prefix of {@link DENY_LIST_KEY_PREFIXES} it has. */
export type DenyListEntryKind = keyof typeof DENY_LIST_KEY_PREFIXES;

/**
 * The partition key of an entry.
 * @param kind the kind
 * @param value the `sub`, client id or `jti`; for `before`, the client id or {@link DENY_LIST_EVERY_CLIENT}
 */
export const denyListKey = (kind: DenyListEntryKind, value: string): string => `${DENY_LIST_KEY_PREFIXES[kind]}${value}`;

/** Bounds of the authorizer's reading of the table. */
export const DENY_LIST_LIMITS = Object.freeze({
  /** Most items held: a larger table is treated as unavailable (and logged), never half-read. */
  maxItems: 10_000,
  /** Items asked for per Scan page (a page also ends at 1 MB of data read). */
  pageItems: 1_000,
  /** Timeout of one read of the table (every page of its Scan), in milliseconds. */
  requestTimeoutMs: 1_500,
});

/** What the authorizer keeps of an item. */
export interface DenyListEntry {
  /** Epoch seconds; tokens with `iat` before it are revoked (`before#` entries). */
  readonly issuedBefore?: number;
  /** Epoch seconds; the entry counts as absent from then on. */
  readonly expiresAt?: number;
}

/** A snapshot of the table: entries by partition key. */
export type DenyListSnapshot = ReadonlyMap<string, DenyListEntry>;

// A DynamoDB number in decimal: `Number()` alone would also read '', ' ' and '0x0' as numbers (0), ending an entry.
const DYNAMODB_NUMBER = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * The value of a DynamoDB number (the text of `{ "N": "123" }`), or undefined when it is not a decimal number
 * or not finite: the one reading of the authorizer and of the operator CLI.
 * @param value the `N` text
 */
export function denyListNumber(value: unknown): number | undefined {
  const parsed = typeof value === 'string' && DYNAMODB_NUMBER.test(value) ? Number(value) : NaN;
  return Number.isFinite(parsed) ? parsed : undefined;
}

/** A number attribute (`{ "N": "123" }`) of an item, as {@link denyListNumber} reads it. */
function numberAttribute(item: Record<string, unknown>, name: string): number | undefined {
  return denyListNumber((item[name] as { N?: unknown } | undefined)?.N);
}

/**
 * Adds Scan items (DynamoDB JSON) to a snapshot. Unreadable attributes fail closed: a `before#` item without a
 * number `issuedBefore` revokes every token it names, and an `expiresAt` that is not a number never ends the
 * entry. An item without a string `pk` cannot name anything and is left out.
 * @param snapshot the snapshot being built
 * @param items the `Items` of one Scan page
 */
export function addDenyListItems(snapshot: Map<string, DenyListEntry>, items: readonly unknown[]): void {
  for (const item of items) {
    const pk = (item as Record<string, { S?: unknown } | undefined> | null)?.[DENY_LIST_ATTRIBUTES.partitionKey]?.S;
    if (typeof pk !== 'string') {
      continue;
    }
    const record = item as Record<string, unknown>;
    const expiresAt = numberAttribute(record, DENY_LIST_ATTRIBUTES.expiresAt);
    const issuedBefore = pk.startsWith(DENY_LIST_KEY_PREFIXES.before) ? (numberAttribute(record, DENY_LIST_ATTRIBUTES.issuedBefore) ?? Infinity) : undefined;
    snapshot.set(pk, { ...(issuedBefore === undefined ? {} : { issuedBefore }), ...(expiresAt === undefined ? {} : { expiresAt }) });
  }
}

/** What a token is checked on. */
export interface RevocationSubject {
  /** `sub`. */
  readonly sub: string;
  /** The client id. */
  readonly clientId: string;
  /** `jti`, when a string. */
  readonly jti?: string;
  /** `origin_jti` (Cognito), when a string. */
  readonly originJti?: string;
  /** `iat`, epoch seconds. */
  readonly iat: number;
}

/**
 * The kind of the first live entry that revokes a token, or undefined.
 * @param snapshot the table
 * @param subject the token's values
 * @param nowSeconds the time, epoch seconds (entries with `expiresAt <= now` are absent)
 */
export function revocationOf(snapshot: DenyListSnapshot, subject: RevocationSubject, nowSeconds: number): DenyListEntryKind | undefined {
  if (snapshot.size === 0) {
    return undefined;
  }
  const live = (key: string): DenyListEntry | undefined => {
    const entry = snapshot.get(key);
    return entry && (entry.expiresAt === undefined || entry.expiresAt > nowSeconds) ? entry : undefined;
  };
  if (live(denyListKey('sub', subject.sub))) return 'sub';
  if (live(denyListKey('client', subject.clientId))) return 'client';
  if ((subject.jti !== undefined && live(denyListKey('jti', subject.jti))) || (subject.originJti !== undefined && live(denyListKey('jti', subject.originJti)))) return 'jti';
  for (const client of [DENY_LIST_EVERY_CLIENT, subject.clientId]) {
    const entry = live(denyListKey('before', client));
    if (entry && !(subject.iat >= (entry.issuedBefore as number))) return 'before';
  }
  return undefined;
}

/** The `msg` of a line written when the deny list could not be read. */
export const DENY_LIST_UNAVAILABLE_MSG = 'deny list unavailable';

/** Why the deny list could not be read: an AWS call's cause, or a table over {@link DENY_LIST_LIMITS}.maxItems. */
export type DenyListFailureCause = AwsFailureCause | 'TOO_MANY_ITEMS';

/** One `deny list unavailable` line (one per failed refresh, never one per request); every field always present. */
export interface DenyListUnavailableRecord {
  /** `error` while no snapshot was ever read (`whenUnavailable` decides), `warn` while an older snapshot serves. */
  readonly level: 'error' | 'warn';
  readonly msg: typeof DENY_LIST_UNAVAILABLE_MSG;
  /** The table. */
  readonly table: string;
  readonly cause: DenyListFailureCause;
  /** The HTTP status for `HTTP_STATUS`, else null. */
  readonly status: number | null;
  /** The AWS error type (`AccessDeniedException`), else null. */
  readonly awsError: string | null;
  /** Age of the snapshot still in force, in seconds, or null when none was ever read. */
  readonly snapshotAgeSeconds: number | null;
  /** What requests meet while no snapshot is at hand. */
  readonly whenUnavailable: DenyListWhenUnavailable;
}

/** The field names of a `deny list unavailable` line, in the order they are written. */
export const DENY_LIST_LOG_FIELDS = Object.freeze({
  level: 'level',
  msg: 'msg',
  table: 'table',
  cause: 'cause',
  status: 'status',
  awsError: 'awsError',
  snapshotAgeSeconds: 'snapshotAgeSeconds',
  whenUnavailable: 'whenUnavailable',
} as const satisfies { readonly [K in keyof DenyListUnavailableRecord]-?: K });

/**
 * Renders a `deny list unavailable` line (no newline): the fields of {@link DENY_LIST_LOG_FIELDS} in order.
 * @param record the failure
 */
export function formatDenyListUnavailable(record: DenyListUnavailableRecord): string {
  return JSON.stringify(record, Object.values(DENY_LIST_LOG_FIELDS) as string[]);
}
