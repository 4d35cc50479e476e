/**
 * HTTP helpers shared by the commands: the injectable `fetch`, URL checks and network-error mapping.
 */
import { CliError, ExitCode, usageError } from './errors';

/** The subset of the WHATWG `fetch` the CLI uses; tests and embedders may inject their own. */
export type FetchLike = (input: string | URL, init?: RequestInit) => Promise<Response>;

/** Runtime seams of an HTTP exchange. */
export interface HttpSeams {
  /** The `fetch` to use. */
  readonly fetch: FetchLike;
  /** Current time in milliseconds since the epoch. */
  readonly now: () => number;
  /** Timeout of one request, in milliseconds. */
  readonly timeoutMs: number;
}

const NETWORK_ERROR_CODES: Record<string, string> = {
  ECONNREFUSED: 'the connection was refused',
  ECONNRESET: 'the connection was reset',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name could not be resolved right now',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
  UND_ERR_SOCKET: 'the connection was closed',
  EPIPE: 'the connection was closed',
};

/**
 * Describes a network-level failure (connection refused, DNS, timeout) in words, or returns
 * `undefined` when `error` is not one. Understands Node socket errors, `fetch` failures (whose
 * `cause` holds the socket error) and abort timeouts.
 */
export function describeNetworkFailure(error: unknown): string | undefined {
  // Duck-typed rather than `instanceof`: socket errors may come from another realm (a VM context, jest).
  for (let current: unknown = error, depth = 0; typeof current === 'object' && current !== null && depth < 4; depth++) {
    const candidate = current as { code?: unknown; name?: unknown; cause?: unknown };
    if (typeof candidate.code === 'string' && candidate.code in NETWORK_ERROR_CODES) {
      return NETWORK_ERROR_CODES[candidate.code];
    }
    if (candidate.name === 'TimeoutError') {
      return 'the request timed out';
    }
    current = candidate.cause;
  }
  return undefined;
}

/**
 * Wraps a network-level failure reaching `url` in a {@link CliError} with exit code 6; returns
 * `undefined` for any other error so callers can rethrow it unchanged.
 */
export function toNetworkError(error: unknown, url: string | URL): CliError | undefined {
  const reason = describeNetworkFailure(error);
  if (reason === undefined) {
    return undefined;
  }
  const origin = new URL(url).origin;
  return new CliError('ERR_NETWORK', `Could not reach ${origin}: ${reason}. Check the URL and your network, then retry.`, {
    exitCode: ExitCode.Network,
    cause: error,
  });
}

/** True for host names that never leave the machine. */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || hostname === '::1' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/**
 * Parses an absolute URL that the CLI sends credentials or tokens to. It must use `https:`; plain
 * `http:` is accepted only for loopback hosts (local test servers), so a typo can never send a client
 * secret or a bearer token over the network in clear text. It must not hold a user name or password.
 *
 * @param value the URL as given
 * @param what how the operator set it, e.g. `--token-endpoint`, used in the error message
 */
export function parseSecureUrl(value: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usageError('ERR_BAD_URL', `${what} must be an absolute URL (received: ${JSON.stringify(value)}).`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw usageError('ERR_INSECURE_URL', `${what} must use https, because credentials and tokens travel over it (received: ${url.origin}).`);
  }
  if (url.username !== '' || url.password !== '') {
    // Credentials in a URL end up in logs and error messages; ours travel in headers only.
    throw usageError('ERR_URL_WITH_CREDENTIALS', `${what} must not hold a user name or password (received: ${url.origin} with credentials).`);
  }
  return url;
}
