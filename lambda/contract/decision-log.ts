/**
 * The decision log: exactly one JSON line per authorizer decision, with a reason from a small, fixed
 * set of codes. It never holds the token, its signature, the Authorization header or claims beyond
 * the listed ones. Every value that comes from a token is encoded with {@link encodeText}, which keeps
 * distinct values distinct and makes each one safe inside a JSON string, a log line and a header; a value
 * over its cap is logged as null (a single value) or loses whole items (a list), never cut in half.
 */

/** The fixed set of reasons a decision can have. Dashboards and metric filters key on these values. */
// Pure: the runtime uses the type only, so the bundle leaves the object out.
export const ReasonCode = /* @__PURE__ */ Object.freeze({
  /** The token may call the route. */
  ALLOW: 'ALLOW',
  /** No Authorization header, or an empty one. */
  MISSING_TOKEN: 'MISSING_TOKEN',
  /** Not exactly `Bearer <JWS compact>`, several Authorization values, or an undecodable header/payload. */
  MALFORMED_TOKEN: 'MALFORMED_TOKEN',
  /** The Authorization value exceeds the size cap (checked before any parsing). */
  TOKEN_TOO_LARGE: 'TOKEN_TOO_LARGE',
  /** The token's `alg` is not on the issuer's allow-list (`none` and HMAC never are). */
  UNSUPPORTED_ALG: 'UNSUPPORTED_ALG',
  /** The token carries a header that could make it choose its own key or change processing (`jku`, `x5u`, `jwk`, `x5c`, `crit`, `b64`). */
  FORBIDDEN_HEADER: 'FORBIDDEN_HEADER',
  /** The token's `iss` is not a configured issuer. */
  UNKNOWN_ISSUER: 'UNKNOWN_ISSUER',
  /** No usable key of the issuer has the token's `kid`. */
  UNKNOWN_KID: 'UNKNOWN_KID',
  /** The issuer's keys could not be fetched and no keys within the grace period are at hand. */
  KEYS_UNAVAILABLE: 'KEYS_UNAVAILABLE',
  /** The signature does not verify. */
  BAD_SIGNATURE: 'BAD_SIGNATURE',
  /** `exp` has passed (beyond the clock skew). */
  EXPIRED: 'EXPIRED',
  /** `nbf` is in the future (beyond the clock skew). */
  NOT_YET_VALID: 'NOT_YET_VALID',
  /** `iat` is in the future (beyond the clock skew). */
  ISSUED_IN_FUTURE: 'ISSUED_IN_FUTURE',
  /** `iat` is older than `maxTokenAgeSeconds`. */
  TOO_OLD: 'TOO_OLD',
  /** `exp - iat` exceeds `maxTokenLifetimeSeconds`: the issuer minted a token that lives too long. */
  LIFETIME_TOO_LONG: 'LIFETIME_TOO_LONG',
  /** No `aud` value is an accepted audience. */
  WRONG_AUDIENCE: 'WRONG_AUDIENCE',
  /** The client claim (`client_id`, or the issuer's `clientIdClaim`) is not an accepted client. */
  WRONG_CLIENT: 'WRONG_CLIENT',
  /** A Cognito token whose `token_use` is not `access` (for example an ID token). */
  WRONG_TOKEN_USE: 'WRONG_TOKEN_USE',
  /** The `typ` header is not the issuer's required type. */
  WRONG_TYP: 'WRONG_TYP',
  /**
   * Without a required type, the `typ` header names another kind of JWT (`dpop+jwt`, `logout+jwt`,
   * `secevent+jwt`, `id_token+jwt`...): only no `typ`, `JWT` and `at+jwt` are access tokens.
   */
  UNEXPECTED_TYP: 'UNEXPECTED_TYP',
  /** A required claim is absent. */
  MISSING_CLAIM: 'MISSING_CLAIM',
  /** A claim has the wrong type or an unacceptable value. */
  INVALID_CLAIM: 'INVALID_CLAIM',
  /**
   * The token verified but the deny list revokes it (its `sub`, client, `jti` / `origin_jti`, or a time it
   * was issued before): answered with 401, as an invalid token.
   */
  REVOKED: 'REVOKED',
  /**
   * The deny list has never been read (the table cannot be read) and `denyList.whenUnavailable` is `deny`:
   * every token is refused (401).
   */
  DENY_LIST_UNAVAILABLE: 'DENY_LIST_UNAVAILABLE',
  /** The token lacks a scope the route requires. */
  INSUFFICIENT_SCOPE: 'INSUFFICIENT_SCOPE',
  /** A claim condition of the route does not hold. */
  CONDITION_FAILED: 'CONDITION_FAILED',
  /** The custom check returned false for the route. */
  CUSTOM_CHECK_FAILED: 'CUSTOM_CHECK_FAILED',
  /** The called method and path are not in the route table. */
  NO_ROUTE: 'NO_ROUTE',
  /** The event is not a well-formed TOKEN or REQUEST authorizer event. */
  MALFORMED_EVENT: 'MALFORMED_EVENT',
  /** The configuration is invalid: every request fails closed. */
  CONFIG_ERROR: 'CONFIG_ERROR',
  /** An unexpected error: the request fails closed. */
  INTERNAL_ERROR: 'INTERNAL_ERROR',
} as const);

/** One of the fixed {@link ReasonCode} values. */
export type ReasonCode = (typeof ReasonCode)[keyof typeof ReasonCode];

/** The `msg` of every decision line: log queries and metric filters select the decision lines by it. */
export const DECISION_LOG_MSG = 'authorizer decision';

/** What API Gateway is told: `allow` and `deny` are policies (200/403), `unauthorized` is a 401. */
// Pure: the runtime uses the type only, so the bundle leaves the object out.
export const Decision = /* @__PURE__ */ Object.freeze({
  /** A policy that allows the route (API Gateway answers with the backend's response). */
  ALLOW: 'allow',
  /** A policy that denies the route (403). */
  DENY: 'deny',
  /** No policy: API Gateway answers 401. */
  UNAUTHORIZED: 'unauthorized',
} as const);

/** One of the {@link Decision} values. */
export type Decision = (typeof Decision)[keyof typeof Decision];

/** Severity of a decision line. */
export type LogLevel = 'info' | 'warn' | 'error';

/** The fields of one decision line, in the order they are written. */
export interface DecisionRecord {
  /** `info` for allow and deny, `warn` for a rejected token, `error` when the authorizer itself failed. */
  readonly level: LogLevel;
  /** Always {@link DECISION_LOG_MSG}, so log queries can select these lines. */
  readonly msg: typeof DECISION_LOG_MSG;
  /** The Lambda request id, or null. */
  readonly requestId: string | null;
  /** The matched route (`GET /items/{id}`), else the verb and path of the method ARN, else null. */
  readonly route: string | null;
  /** The answer given to API Gateway. */
  readonly decision: Decision;
  /** Why. */
  readonly reason: ReasonCode;
  /** The configured issuer the token names, or null (never an unconfigured value from a token). */
  readonly issuer: string | null;
  /** `sub` of a token whose signature verified, encoded (see {@link encodeText}), or null (also when over its cap). */
  readonly sub: string | null;
  /** The client claim of a token whose signature verified, encoded, or null (also when over its cap). */
  readonly clientId: string | null;
  /** Space-separated scopes of a token whose signature verified, each encoded, or null. */
  readonly scopes: string | null;
  /** Present (true) when whole scopes were left out of `scopes` to keep it under its cap. */
  readonly scopesTruncated?: true;
  /** Time spent on the decision, in milliseconds. */
  readonly latencyMs: number;
  /** For `INTERNAL_ERROR` only: the code or class name of the unexpected error (never its message). */
  readonly error?: string;
}

/**
 * The field names of a decision line, in the order they are written (`scopesTruncated` and `error` only
 * when they apply). Log queries, metric filters and dashboards name the fields through this object.
 */
export const DECISION_LOG_FIELDS = Object.freeze({
  level: 'level',
  msg: 'msg',
  requestId: 'requestId',
  route: 'route',
  decision: 'decision',
  reason: 'reason',
  issuer: 'issuer',
  sub: 'sub',
  clientId: 'clientId',
  scopes: 'scopes',
  scopesTruncated: 'scopesTruncated',
  latencyMs: 'latencyMs',
  error: 'error',
} as const satisfies { readonly [K in keyof DecisionRecord]-?: K });

/**
 * Caps, in UTF-16 code units of the encoded value: `id` for single values from a token (`sub`, the client
 * id, `username`...), `scopes` and `groups` for lists, `route` for the logged route.
 */
export const MAX_LENGTH = Object.freeze({ id: 256, scopes: 2048, groups: 2048, route: 512 });

// C0/C1 controls, format characters (bidi overrides, zero-width), line/paragraph separators and lone
// surrogates: anything that could forge or hide log lines, or break a header value downstream.
const UNSAFE_CHARACTERS = /[\p{Cc}\p{Cf}\p{Cs}\u2028\u2029]/gu;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
// The same, plus '"' and '\' (which end or escape a JSON string) and '%' (the escape character itself).
const ENCODED_CHARACTERS = /[\p{Cc}\p{Cf}\p{Cs}\u2028\u2029"%\\]/gu;
// Printable ASCII without '"', '%' and '\': holds none of the encoded characters.
const PLAIN_TEXT = /^[\x20\x21\x23\x24\x26-\x5b\x5d-\x7e]*$/;

/**
 * `%XX` for each UTF-8 byte of one code point, as `encodeURIComponent` writes them; a lone surrogate, which
 * `encodeURIComponent` refuses, gets the three bytes of its code point (WTF-8: `%ED%A0%80` for U+D800).
 */
function percentEncode(character: string): string {
  const unit = character.charCodeAt(0);
  if (character.length === 1 && unit >= 0xd800 && unit <= 0xdfff) {
    return `%ED%${(0x80 | ((unit >> 6) & 0x3f)).toString(16).toUpperCase()}%${(0x80 | (unit & 0x3f)).toString(16).toUpperCase()}`;
  }
  return encodeURIComponent(character);
}

/**
 * Encodes a value from a token for the decision log and the context handed to backends: `%` itself and
 * every character unsafe in a log line, a header or a JSON string (C0/C1 controls, `"`, `\`, Unicode
 * format characters, line and paragraph separators, lone surrogates) become `%XX` per UTF-8 byte; all
 * else stays as it is. The encoding is injective (distinct values stay distinct: nothing is stripped or
 * cut), the result can be placed verbatim between JSON quotes, and `decodeURIComponent` restores any
 * well-formed value exactly (a lone surrogate is written as the three bytes of its code point).
 *
 * @param value the value
 * @param separator a character that separates list items, encoded within an item too (' ' or ',')
 */
export function encodeText(value: string, separator?: ' ' | ','): string {
  // Printable ASCII without '"', '%' and '\', the common case, skips the Unicode scan.
  const encoded = PLAIN_TEXT.test(value) ? value : value.replace(ENCODED_CHARACTERS, percentEncode);
  return separator !== undefined && encoded.includes(separator) ? encoded.replaceAll(separator, percentEncode(separator)) : encoded;
}

/**
 * A single value from a token, encoded, or null when it is not a string or its encoding exceeds `maxLength`
 * (a value is exact or absent, never cut).
 */
export function encodeSingle(value: unknown, maxLength: number = MAX_LENGTH.id): string | null {
  if (typeof value !== 'string') {
    return null;
  }
  const encoded = encodeText(value);
  return encoded.length <= maxLength ? encoded : null;
}

/** A list encoded by {@link encodeList}. */
export interface EncodedList {
  /** The items, each encoded, joined by the separator. */
  readonly value: string;
  /** Whether items were left out to stay within the cap. */
  readonly truncated: boolean;
}

/**
 * Encodes list items and joins them with `separator`, which is encoded within items, so distinct lists
 * give distinct values. Items are kept in order while the result fits `maxLength`; the first that does
 * not ends the list (whole items are dropped, none is cut). Empty items name nothing and are left out.
 */
export function encodeList(items: Iterable<string>, separator: ' ' | ',', maxLength: number): EncodedList {
  let value = '';
  for (const item of items) {
    if (item === '') {
      continue;
    }
    const encoded = encodeText(item, separator);
    const length = value === '' ? encoded.length : value.length + 1 + encoded.length;
    if (length > maxLength) {
      return { value, truncated: true };
    }
    value = value === '' ? encoded : `${value}${separator}${encoded}`;
  }
  return { value, truncated: false };
}

/**
 * Makes a value that does not come from a token (a request id, a route, an error name) safe to log:
 * non-strings become null, unsafe characters are removed and the result is capped at `maxLength`
 * characters (code points, so no surrogate is split). Token values use {@link encodeText} instead.
 */
export function sanitizeText(value: unknown, maxLength: number = MAX_LENGTH.id): string | null {
  if (typeof value !== 'string') {
    return null;
  }
  // Printable ASCII holds none of the unsafe characters: the common case skips the Unicode scan.
  const cleaned = PRINTABLE_ASCII.test(value) ? value : value.replace(UNSAFE_CHARACTERS, '');
  if (cleaned.length <= maxLength) {
    return cleaned;
  }
  return Array.from(cleaned).slice(0, maxLength).join('');
}

const ERROR_LEVEL_REASONS: ReadonlySet<ReasonCode> = new Set<ReasonCode>(['INTERNAL_ERROR', 'KEYS_UNAVAILABLE', 'CONFIG_ERROR', 'DENY_LIST_UNAVAILABLE']);

/** The level a decision is logged at. */
export function levelFor(decision: Decision, reason: ReasonCode): LogLevel {
  if (ERROR_LEVEL_REASONS.has(reason)) {
    return 'error';
  }
  return decision === 'unauthorized' ? 'warn' : 'info';
}

// Printable ASCII without '"' and '\\': what JSON.stringify writes between quotes unchanged.
const JSON_PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/**
 * A string as JSON, quoted and escaped exactly as `JSON.stringify` writes it. The common value needs no
 * escape, and a pattern test finds that out faster than `JSON.stringify` writes it.
 */
const jsonText = (value: string): string => (JSON_PLAIN.test(value) ? `"${value}"` : JSON.stringify(value));

const FIELD_ORDER: readonly (keyof DecisionRecord)[] = Object.values(DECISION_LOG_FIELDS);

/**
 * Serializes a decision record as one JSON line (without the newline): the fields of
 * {@link DECISION_LOG_FIELDS} in their order, absent optional fields left out, nothing else. The line is
 * the one `JSON.stringify(record, fieldOrder)` writes, built field by field: a replacer list makes
 * `JSON.stringify` filter the record's keys, and most values need no escaping.
 */
export function formatDecision(record: DecisionRecord): string {
  let line = '';
  for (const name of FIELD_ORDER) {
    const value = record[name];
    if (value !== undefined) {
      line += `${line === '' ? '{' : ','}"${name}":${typeof value === 'string' ? jsonText(value) : JSON.stringify(value)}`;
    }
  }
  return `${line}}`;
}
