/**
 * The deny list in the authorizer: a snapshot of the whole table in memory, read with a strongly consistent,
 * paginated Scan, and read again when older than `refreshSeconds` (one read in flight, shared by the
 * requests that wait for it). A verified token is checked against it before the route's scopes.
 *
 * A request that finds the snapshot due waits for the new one, so no decision rests on a snapshot older than
 * `refreshSeconds` plus one Scan while the table can be read: the delay from a revocation to a 401 is at most
 * API Gateway's authorizer cache TTL + `refreshSeconds` + one Scan. When it cannot be read, the last snapshot
 * stays in force (it only ages), each failed attempt writes one `deny list unavailable` line, and the next
 * attempt waits another `refreshSeconds`; with no snapshot ever read, `whenUnavailable` decides.
 */
import type { DenyListConfig } from './contract/config-types';
import { CONFIG_DEFAULTS } from './contract/config';
import { addDenyListItems, DENY_LIST_ATTRIBUTES, DENY_LIST_LIMITS, DENY_LIST_UNAVAILABLE_MSG, formatDenyListUnavailable, revocationOf, type DenyListEntry, type DenyListFailureCause } from './contract/deny-list';
import type { AwsJsonCall } from './aws';
import { AwsRequestError } from './aws';
import { AuthorizerError, TokenRejectedError } from './errors';
import { TERSE } from './terse';
import { ownClaim, type VerifiedToken } from './verify';

/** No snapshot of the deny list was ever read and `whenUnavailable` is `deny`: every token is refused (401). */
export class DenyListUnavailableError extends AuthorizerError {
  static override code = 'ERR_DENY_LIST_UNAVAILABLE';

  /** @param message why */
  constructor(message: string) {
    super('DENY_LIST_UNAVAILABLE', message);
  }
}

/** Options of {@link createDenyList}. */
export interface DenyListOptions {
  /** The validated `denyList` setting. */
  readonly config: DenyListConfig;
  /** DynamoDB calls (signed, with their timeout). */
  readonly dynamodb: AwsJsonCall;
  /** Clock, epoch milliseconds. */
  readonly now: () => number;
  /** Sink of the `deny list unavailable` lines. */
  readonly log: (line: string) => void;
}

/** The deny list of one authorizer. */
export interface DenyList {
  /**
   * Checks a verified token: returns when it may proceed, throws a {@link TokenRejectedError} (`REVOKED`)
   * or a {@link DenyListUnavailableError}; a promise of the same while a read of the table is awaited.
   * @param token the verified token
   */
  check(token: VerifiedToken): void | Promise<void>;
}

/** The table holds more than {@link DENY_LIST_LIMITS}.maxItems items. */
class TooManyItemsError extends Error {}

const ATTRIBUTE_NAMES = { '#p': DENY_LIST_ATTRIBUTES.partitionKey, '#i': DENY_LIST_ATTRIBUTES.issuedBefore, '#e': DENY_LIST_ATTRIBUTES.expiresAt };
// A page ends at `pageItems` items or 1 MB read: a table within `maxItems` of small items takes a few pages.
const MAX_PAGES = 200;

/**
 * Reads the whole table: every page of a strongly consistent Scan of the attributes the check uses, all within
 * {@link DENY_LIST_LIMITS}.requestTimeoutMs.
 * @param options the table and the DynamoDB client
 * @returns the snapshot
 */
export async function scanDenyList(options: Pick<DenyListOptions, 'config' | 'dynamodb'>): Promise<Map<string, DenyListEntry>> {
  const snapshot = new Map<string, DenyListEntry>();
  let count = 0;
  let start: unknown;
  // One deadline for every page: requests wait for the read, and the function's timeout budgets one Scan timeout for it.
  const deadline = AbortSignal.timeout(DENY_LIST_LIMITS.requestTimeoutMs);
  for (let page = 0; page < MAX_PAGES; page++) {
    const input = {
      TableName: options.config.tableName,
      ConsistentRead: true,
      ProjectionExpression: Object.keys(ATTRIBUTE_NAMES).join(', '),
      ExpressionAttributeNames: ATTRIBUTE_NAMES,
      Limit: DENY_LIST_LIMITS.pageItems,
      ...(start === undefined ? {} : { ExclusiveStartKey: start }),
    };
    const answer = await options.dynamodb('Scan', input, deadline);
    const { Items: items, LastEvaluatedKey: next } = answer;
    if (!Array.isArray(items) || (next !== undefined && (typeof next !== 'object' || next === null))) {
      throw new AwsRequestError(TERSE ? '' : 'Scan answered without Items', { failureCause: 'BAD_JSON' });
    }
    count += items.length;
    if (count > DENY_LIST_LIMITS.maxItems) {
      throw new TooManyItemsError();
    }
    addDenyListItems(snapshot, items);
    if (next === undefined) {
      return snapshot;
    }
    start = next;
  }
  throw new TooManyItemsError();
}

/**
 * Creates the deny list of an authorizer; nothing is read before the first check.
 * @param options the table, the client, the clock and the log sink
 */
export function createDenyList(options: DenyListOptions): DenyList {
  const { config, now, log } = options;
  const refreshMs = (config.refreshSeconds ?? CONFIG_DEFAULTS.denyList.refreshSeconds) * 1000;
  const whenUnavailable = config.whenUnavailable ?? CONFIG_DEFAULTS.denyList.whenUnavailable;
  let snapshot: Map<string, DenyListEntry> | undefined;
  let readAt = 0;
  let attemptAt: number | undefined;
  let reading: Promise<void> | undefined;

  const unavailable = (error: unknown, at: number): void => {
    const cause: DenyListFailureCause = error instanceof TooManyItemsError ? 'TOO_MANY_ITEMS' : error instanceof AwsRequestError ? error.failureCause : 'BAD_JSON';
    try {
      log(
        formatDenyListUnavailable({
          level: snapshot ? 'warn' : 'error',
          msg: DENY_LIST_UNAVAILABLE_MSG,
          table: config.tableName,
          cause,
          status: (error instanceof AwsRequestError ? error.status : undefined) ?? null,
          awsError: (error instanceof AwsRequestError ? error.awsError : undefined) ?? null,
          snapshotAgeSeconds: snapshot ? Math.round((at - readAt) / 1000) : null,
          whenUnavailable,
        }),
      );
    } catch {
      // A failing log sink must not change the answers.
    }
  };

  const read = (): Promise<void> => {
    const at = now();
    attemptAt = at;
    reading = scanDenyList(options).then(
      (fresh) => {
        snapshot = fresh;
        readAt = at;
      },
      (error: unknown) => unavailable(error, at),
    );
    void reading.finally(() => (reading = undefined));
    return reading;
  };

  const decide = (token: VerifiedToken): void => {
    if (!snapshot) {
      if (whenUnavailable === 'deny') {
        throw new DenyListUnavailableError(TERSE ? '' : 'the deny list has never been read');
      }
      return;
    }
    const { claims } = token;
    const jti = ownClaim(claims, 'jti');
    const originJti = ownClaim(claims, 'origin_jti');
    const kind = revocationOf(
      snapshot,
      {
        sub: token.sub,
        clientId: token.clientId,
        iat: ownClaim(claims, 'iat') as number,
        ...(typeof jti === 'string' ? { jti } : {}),
        ...(typeof originJti === 'string' ? { originJti } : {}),
      },
      now() / 1000,
    );
    if (kind) {
      throw new TokenRejectedError('REVOKED', TERSE ? '' : `the token is revoked by a '${kind}' entry of the deny list`, { verifiedClaims: claims });
    }
  };

  return {
    check(token) {
      if (reading) {
        return reading.then(() => decide(token));
      }
      if (attemptAt === undefined || now() - attemptAt >= refreshMs) {
        return read().then(() => decide(token));
      }
      return decide(token);
    },
  };
}
