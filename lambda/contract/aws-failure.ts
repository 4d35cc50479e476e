/**
 * Why a call of the authorizer to an AWS API (the deny list's `Scan`, the pseudonym key's `GetSecretValue`)
 * failed: the transport causes of the key-refresh log, plus missing credentials. Log lines and metric
 * filters name these values.
 */
import { KeyRefreshCause } from './key-refresh-log';

/** The fixed set of causes of a failed AWS call. */
// Pure: the runtime uses the type only, so the bundle leaves the object out.
export const AwsFailureCause = /* @__PURE__ */ Object.freeze({
  /** No answer within the call's timeout. */
  TIMEOUT: KeyRefreshCause.TIMEOUT,
  /** The endpoint's host name does not resolve. */
  DNS: KeyRefreshCause.DNS,
  /** No connection, or a connection cut. */
  CONNECT: KeyRefreshCause.CONNECT,
  /** The TLS handshake or the endpoint's certificate failed. */
  TLS: KeyRefreshCause.TLS,
  /** An error status (`status` and `awsError` say which: `AccessDeniedException` is a missing grant). */
  HTTP_STATUS: KeyRefreshCause.HTTP_STATUS,
  /** The answer is not an acceptable document: not JSON, too large, or not the expected shape. */
  BAD_JSON: KeyRefreshCause.BAD_JSON,
  /** The function's environment holds no AWS credentials. */
  CREDENTIALS: 'CREDENTIALS',
} as const);

/** One of the fixed {@link AwsFailureCause} values. */
export type AwsFailureCause = (typeof AwsFailureCause)[keyof typeof AwsFailureCause];
