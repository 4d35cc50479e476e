/**
 * The key-refresh log: one JSON line per failed attempt to refresh an issuer's keys (never one per
 * request), naming the cause from a small, fixed set, so an operator tells an outage of the identity
 * provider or the network from a misconfiguration without reading code. It never holds a token, a
 * document body or a URL taken from a fetched document.
 *
 * Pure vocabulary: the constructs' metric filters, alarm and dashboard key on these names, and the
 * runtime writes them; both read them from here.
 */

/** The `msg` of every key-refresh failure line. */
export const KEY_REFRESH_FAILED_MSG = 'key refresh failed';

/** Why a refresh of an issuer's keys failed. */
// Pure: the runtime uses the values through its error classification only.
export const KeyRefreshCause = /* @__PURE__ */ Object.freeze({
  /** No answer within `keys.fetchTimeoutMs` (or the operating system's connect timeout). Usually an outage. */
  TIMEOUT: 'TIMEOUT',
  /** The host name does not resolve (`ENOTFOUND`, `EAI_AGAIN`...). A wrong URL, or DNS down. */
  DNS: 'DNS',
  /** No connection, or a connection cut (`ECONNREFUSED`, `ECONNRESET`, `EHOSTUNREACH`...). Usually an outage. */
  CONNECT: 'CONNECT',
  /** The TLS handshake or the server certificate failed (`ERR_TLS_*`, `CERT_*`, self-signed...). A misconfiguration or interception. */
  TLS: 'TLS',
  /** An answer other than 200 (`status` says which): 5XX is an outage, 4XX and 3XX a wrong URL. */
  HTTP_STATUS: 'HTTP_STATUS',
  /**
   * The answer is not an acceptable document: invalid JSON, not a JSON content type, too large, or not a
   * JWKS / discovery document (wrong issuer, no acceptable `jwks_uri`, too many keys). A misconfiguration.
   */
  BAD_JSON: 'BAD_JSON',
  /** The JWKS is well formed but holds no key that fits any of the issuer's algorithms. A misconfiguration. */
  NO_USABLE_KEY: 'NO_USABLE_KEY',
} as const);

/** One of the fixed {@link KeyRefreshCause} values. */
export type KeyRefreshCause = (typeof KeyRefreshCause)[keyof typeof KeyRefreshCause];

/** Causes that usually mean the identity provider or the path to it is down, rather than a configuration error. */
export const OUTAGE_CAUSES: readonly KeyRefreshCause[] = /* @__PURE__ */ Object.freeze(['TIMEOUT', 'DNS', 'CONNECT', 'HTTP_STATUS'] as KeyRefreshCause[]);

/** One key-refresh failure line, every field always present, in this order. */
export interface KeyRefreshFailureRecord {
  /** `error` when no keys within the grace period are at hand (requests fail), `warn` while such keys still serve. */
  readonly level: 'error' | 'warn';
  readonly msg: typeof KEY_REFRESH_FAILED_MSG;
  /** The configured issuer whose keys could not be refreshed. */
  readonly issuer: string | null;
  /** Which request failed: the OpenID discovery document or the JWKS. */
  readonly step: 'discovery' | 'jwks';
  readonly cause: KeyRefreshCause;
  /** The HTTP status for `HTTP_STATUS`, else null. */
  readonly status: number | null;
  /** Failed attempts in a row, this one included. */
  readonly failures: number;
  /** Milliseconds until the next attempt; requests in between are answered from what is at hand. */
  readonly retryInMs: number;
  /** Whether keys fetched within the grace period still serve requests. */
  readonly keysWithinGrace: boolean;
}

/**
 * The field names of a key-refresh failure line, in the order they are written. Metric filters and
 * dashboards name the fields through this object.
 */
export const KEY_REFRESH_LOG_FIELDS = Object.freeze({
  level: 'level',
  msg: 'msg',
  issuer: 'issuer',
  step: 'step',
  cause: 'cause',
  status: 'status',
  failures: 'failures',
  retryInMs: 'retryInMs',
  keysWithinGrace: 'keysWithinGrace',
} as const satisfies { readonly [K in keyof KeyRefreshFailureRecord]-?: K });

const FIELD_ORDER: readonly string[] = Object.values(KEY_REFRESH_LOG_FIELDS);

/**
 * Renders a key-refresh failure as one JSON line (no newline): the fields of {@link KEY_REFRESH_LOG_FIELDS}
 * in their order, nothing else.
 * @param record the failure
 * @returns the line
 */
export function formatKeyRefreshFailure(record: KeyRefreshFailureRecord): string {
  return JSON.stringify(record, FIELD_ORDER as string[]);
}
