/**
 * The Logs Insights query that finds one data subject's lines: by identity in the access and decision
 * logs (`sub`, `principalId`, `username`, `clientId`), and by request id in the WAF log (whose lines name
 * no identity: they are joined through the access log's `extendedRequestId`) and the execution log.
 *
 * Values are placed between double quotes; the query refuses any value that could end that string (a
 * quote, a backslash, a control or format character), so a hostile `sub` cannot change the query. The
 * logs hold identifiers encoded (see `encodeText` of the authorizer's contract) or pseudonymized, forms
 * that contain none of those characters, so a refusal means a bug, never a subject that cannot be found.
 *
 * The saved query of the monitoring construct (`AuditQueries.subjectRecords`) is this text with its
 * `SUBJECT_PLACEHOLDERS` as values; a test holds the two together.
 */
import { CliError, ExitCode } from './errors';

/** The values one query looks for, each already in the form the logs hold. */
export interface SubjectSearch {
  /** `sub` values: matched against `sub` and `principalId`. */
  readonly subjects?: readonly string[];
  /** User names: matched against `username`. */
  readonly usernames?: readonly string[];
  /** Client ids: matched against `clientId`. */
  readonly clients?: readonly string[];
  /** API Gateway extended request ids: matched against the WAF log's `httpRequest.requestId`. */
  readonly extendedRequestIds?: readonly string[];
  /** API Gateway request ids: matched against the execution log's `(<request id>)` prefix. */
  readonly requestIds?: readonly string[];
}

/** The fields a subject-records query returns. */
export const SUBJECT_QUERY_FIELDS = ['@timestamp', '@log', '@message', 'requestId', 'extendedRequestId'] as const;

/** Logs Insights returns at most this many rows per query. */
export const MAX_QUERY_ROWS = 10_000;

// What may stand between double quotes in the query without ending or escaping the string.
const UNSAFE_IN_QUERY = /["\\\p{Cc}\p{Cf}\p{Cs}\u2028\u2029]/u;

/**
 * `value` as a Logs Insights string literal.
 *
 * @throws CliError (exit 70) when the value holds a character that could end the string
 */
export function queryString(value: string): string {
  if (UNSAFE_IN_QUERY.test(value)) {
    throw new CliError('ERR_UNSAFE_QUERY_VALUE', `Refusing to put ${JSON.stringify(value)} into a Logs Insights query: it could end the string.`, {
      exitCode: ExitCode.Internal,
    });
  }
  return `"${value}"`;
}

/**
 * The query text: the fields, one filter that ORs every non-empty list, oldest first, at most
 * {@link MAX_QUERY_ROWS} rows.
 *
 * @throws CliError when the search is empty or a value is unsafe
 */
export function subjectQueryString(search: SubjectSearch): string {
  const list = (values: readonly string[]): string => `[${values.map(queryString).join(', ')}]`;
  const terms: string[] = [];
  const subjects = search.subjects ?? [];
  if (subjects.length > 0) terms.push(`sub in ${list(subjects)}`, `principalId in ${list(subjects)}`);
  if ((search.usernames ?? []).length > 0) terms.push(`username in ${list(search.usernames!)}`);
  if ((search.clients ?? []).length > 0) terms.push(`clientId in ${list(search.clients!)}`);
  if ((search.extendedRequestIds ?? []).length > 0) terms.push(`httpRequest.requestId in ${list(search.extendedRequestIds!)}`);
  if ((search.requestIds ?? []).length > 0) terms.push(`executionRequestId in ${list(search.requestIds!)}`);
  if (terms.length === 0) {
    throw new CliError('ERR_EMPTY_SEARCH', 'Nothing to search for.', { exitCode: ExitCode.Internal });
  }
  return [
    `fields ${SUBJECT_QUERY_FIELDS.join(', ')}`,
    // Execution log lines start with `(<request id>) `; other lines simply leave the field empty.
    ...((search.requestIds ?? []).length > 0 ? ['parse @message "(*) *" as executionRequestId, executionText'] : []),
    `filter ${terms.join(' or ')}`,
    'sort @timestamp asc',
    `limit ${MAX_QUERY_ROWS}`,
  ].join('\n| ');
}
