/**
 * Keyed pseudonyms of the `pseudonymous` log profile: `ps1_` and the unpadded base64url of
 * HMAC-SHA256(key, UTF-8 of the value). The same subject always gets the same pseudonym under one key, so an
 * investigator holding the key joins one subject's lines (the access log's principal, the decision log's
 * `sub`) without the logs naming anyone; without the key the pseudonym cannot be reversed or guessed from a
 * list of candidate subjects.
 *
 * The contract states the scheme; the authorizer and the operator CLI each compute it with `node:crypto`'s
 * HMAC (no hand-written digest), and a test holds both to vectors computed independently.
 * @see https://www.rfc-editor.org/rfc/rfc2104
 */

/** The prefix of every pseudonym: the scheme's version, so a later scheme can be told apart. */
export const PSEUDONYM_PREFIX = 'ps1_';

/** The `msg` of the line the authorizer writes when it cannot read the key (its requests then fail closed). */
export const PSEUDONYM_KEY_UNAVAILABLE_MSG = 'pseudonym key unavailable';

/** Bounds of the authorizer's reading of the key. */
export const PSEUDONYM_KEY_LIMITS = Object.freeze({
  /** Timeout of the GetSecretValue call, in milliseconds. */
  requestTimeoutMs: 1_500,
  /** Wait after a failed read before the next, in seconds (requests in between fail at once). */
  retrySeconds: 10,
});

/** Characters of a pseudonym: the prefix and 43 base64url characters (256 bits, no padding). */
export const PSEUDONYM_LENGTH = PSEUDONYM_PREFIX.length + 43;
