/**
 * The default key-source transport: a small GET client on `node:https` / `node:http`.
 *
 * Chosen over the global `fetch` for cold start: on Node 20 the first `fetch` loads undici, measured
 * at ~29-41 ms to a first response on 127.0.0.1 against ~10-15 ms for `node:http` + `node:https`
 * (module load included). It only does what a key fetch needs: GET, a size cap, no redirects (a 3xx is
 * returned as its status, which the key set refuses), JSON bodies only, abort through the signal.
 * The client module is loaded on the first fetch, and only the one the URL needs: `node:https` brings
 * `tls` and most of `crypto` with it, which a cold start should not pay before it has a token to check.
 */
import type * as Http from 'node:http';
import type { LookupFunction } from 'node:net';
import { FetchError } from './errors';
import type { KeyRefreshCause } from './contract/key-refresh-log';
import { TERSE } from './terse';

/** Options of one key-source request. */
export interface FetchInit {
  /** Aborts the request (the key set aborts it after `keys.fetchTimeoutMs`). */
  readonly signal: AbortSignal;
  /** Request headers. */
  readonly headers: Record<string, string>;
}

/** The part of a response the key set uses. */
export interface FetchResponse {
  /** HTTP status; anything but 200 is refused. */
  readonly status: number;
  /** The body parsed as JSON. */
  json(): Promise<unknown>;
}

/** A transport for JWKS and discovery documents; `fetch`-compatible in the subset used. */
export type FetchFunction = (url: string, init: FetchInit) => Promise<FetchResponse>;

/** Largest JWKS or discovery body accepted, in bytes. */
export const MAX_RESPONSE_BYTES = 256 * 1024;

// Loaded on first use (see above); `require` of a built-in is synchronous and cached by Node.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const clientModule = (name: 'node:http' | 'node:https'): typeof Http => require(name) as typeof Http;

const JSON_MEDIA_TYPE = /^application\/(?:[a-z0-9.+-]*\+)?json\s*(?:;|$)/i;

/** Options of {@link createHttpGetJson}. */
export interface HttpGetJsonOptions {
  /**
   * Host name resolution, as `net.connect` takes it.
   * @default - dns.lookup (the operating system's resolver)
   */
  readonly lookup?: LookupFunction;
}

/**
 * GETs a JSON document with `node:https` (or `node:http`, for loopback test servers only).
 * Rejects with a {@link FetchError} on network errors, abort, a non-JSON content type of a 200
 * response, a body over {@link MAX_RESPONSE_BYTES} or unparsable JSON; its `failureCause` says which
 * (DNS, CONNECT, TLS or TIMEOUT from the Node.js error code, BAD_JSON for the body).
 */
export const httpGetJson: FetchFunction = createHttpGetJson();

/**
 * A {@link httpGetJson} with its own host name resolution (tests resolve without a DNS server).
 * @param options the resolver
 * @returns the transport
 */
export function createHttpGetJson(options: HttpGetJsonOptions = {}): FetchFunction {
  return (url, init) => getJson(url, init, options.lookup);
}

function getJson(url: string, init: FetchInit, lookup: LookupFunction | undefined): Promise<FetchResponse> {
  return new Promise((resolve, reject) => {
    // Transport failures are classified from the error's code; a refused document is BAD_JSON.
    const fail = (problem: string, cause?: unknown, failureCause?: KeyRefreshCause): void => reject(new FetchError(TERSE ? '' : `${url} ${problem}`, { cause, failureCause }));
    const target = URL.canParse(url) ? new URL(url) : undefined;
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(target?.hostname as string);
    const client = target?.protocol === 'https:' ? clientModule('node:https') : target?.protocol === 'http:' && loopback ? clientModule('node:http') : undefined;
    if (!client) {
      fail(TERSE ? '' : 'refused: https required', undefined, 'CONNECT');
      return;
    }
    // `agent: false`: a connection of its own, closed after the answer. Key fetches are minutes apart, so a
    // kept-alive socket would only ever be reused after the server (or a frozen Lambda) has dropped it,
    // failing the refresh with a reset.
    const request = client.request(target!, { method: 'GET', headers: init.headers, signal: init.signal, agent: false, ...(lookup ? { lookup } : {}) }, (response) => {
      const status = response.statusCode ?? 0;
      const contentType = response.headers['content-type'] ?? '';
      const chunks: Buffer[] = [];
      let size = Number(response.headers['content-length'] ?? 0);
      if (status !== 200) {
        response.resume();
        resolve({ status, json: () => Promise.reject(new FetchError(TERSE ? '' : `${url} answered HTTP ${status}`, { failureCause: 'HTTP_STATUS', status })) });
        return;
      }
      if (!JSON_MEDIA_TYPE.test(contentType) || size > MAX_RESPONSE_BYTES) {
        response.destroy();
        fail(TERSE ? '' : size > MAX_RESPONSE_BYTES ? `answered more than ${MAX_RESPONSE_BYTES} bytes` : `answered content type '${contentType.slice(0, 100)}', not JSON`, undefined, 'BAD_JSON');
        return;
      }
      size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        chunks.push(chunk);
        if (size > MAX_RESPONSE_BYTES) {
          response.destroy();
          fail(TERSE ? '' : `answered more than ${MAX_RESPONSE_BYTES} bytes`, undefined, 'BAD_JSON');
        }
      });
      response.on('error', (cause) => fail(TERSE ? '' : `failed while reading: ${cause.message}`, cause));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status,
          json: async () => {
            try {
              return JSON.parse(text) as unknown;
            } catch (cause) {
              throw new FetchError(TERSE ? '' : `${url} answered invalid JSON`, { cause, failureCause: 'BAD_JSON' });
            }
          },
        });
      });
    });
    request.on('error', (cause) => fail(TERSE ? '' : `failed: ${cause.message}`, cause));
    request.end();
  });
}
