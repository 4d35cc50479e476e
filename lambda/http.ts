/**
 * The default key-source transport: a small HTTP/1.1 GET client on `node:tls` (or `node:net`, for loopback
 * test servers only), which also makes the POSTs of the AWS JSON-protocol client (`aws.ts`).
 *
 * Chosen for cold start. On Node 20 the first `fetch` loads undici (~29-41 ms to a first response on
 * 127.0.0.1), and `node:https` loads the whole HTTP stack (agent, client request, server, parser, message
 * streams): measured in fresh processes against https on 127.0.0.1, module load to parsed body takes ~24 ms
 * through `node:https` and ~17 ms here. The client module is loaded on the first fetch, and only the one the
 * URL needs. Certificates are checked as `node:https` checks them: `tls.connect` defaults (the CA store,
 * and the host name through `checkServerIdentity`), with SNI for host names.
 *
 * It only does what a key fetch needs: one GET with `Connection: close`, its answer parsed strictly: one
 * HTTP/1.0 or 1.1 answer (informational 1xx answers skipped), its head at most {@link MAX_HEAD_BYTES}, a
 * body framed by one Content-Length (answered as soon as it is whole), by chunked transfer coding or by the
 * close (answered when the server closes, as it must after such a request), no content coding, at most
 * {@link MAX_RESPONSE_BYTES}. Anything else is refused; a 3xx is returned as its status (no redirects),
 * which the key set refuses; JSON bodies only; abort through the signal. A POST is the same exchange with a
 * body; its answer is read whole whatever its status (AWS names an error in the body), up to its own cap.
 */
import type * as Net from 'node:net';
import type * as Tls from 'node:tls';
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

/** Largest response head (status line and header fields) accepted, in bytes, as Node's HTTP parser's default. */
export const MAX_HEAD_BYTES = 16 * 1024;

// Loaded on first use (see above); `require` of a built-in is synchronous and cached by Node.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const net = (): typeof Net => require('node:net') as typeof Net;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const tls = (): typeof Tls => require('node:tls') as typeof Tls;

// RFC 9110 field names (tokens) and field values (visible ASCII, obs-text, spaces and tabs inside).
const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const STATUS_LINE = /^HTTP\/1\.[01] ([1-9]\d\d)(?: [\t\x20-\x7e\x80-\xff]*)?$/;
const CHUNK_SIZE_LINE = /^([0-9A-Fa-f]{1,7})[\t ]*(?:;[\t\x20-\x7e\x80-\xff]*)?$/;
const CRLF = '\r\n';

const JSON_MEDIA_TYPE = /^application\/(?:[a-z0-9.+-]*\+)?json\s*(?:;|$)/i;

/** Options of {@link createHttpGetJson}. */
export interface HttpGetJsonOptions {
  /**
   * Host name resolution, as `net.connect` takes it.
   * @default - dns.lookup (the operating system's resolver)
   */
  readonly lookup?: Net.LookupFunction;
  /**
   * Certificate authorities trusted instead of the default store (a private endpoint, a test server).
   * @default - Node.js's CA store (with `NODE_EXTRA_CA_CERTS`)
   */
  readonly ca?: string | Buffer;
}

/**
 * GETs a JSON document over `node:tls` (or `node:net`, for loopback test servers only).
 * Rejects with a {@link FetchError} on network errors, abort, a connection closed before the whole answer,
 * an answer outside the HTTP/1.x subset read here, a non-JSON content type of a 200 response, a body over
 * {@link MAX_RESPONSE_BYTES} or unparsable JSON; its `failureCause` says which (DNS, CONNECT or TLS from the
 * Node.js error code, TIMEOUT for an abort, BAD_JSON for the answer).
 */
export const httpGetJson: FetchFunction = createHttpGetJson();

/**
 * A {@link httpGetJson} with its own host name resolution (tests resolve without a DNS server).
 * @param options the resolver
 * @returns the transport
 */
export function createHttpGetJson(options: HttpGetJsonOptions = {}): FetchFunction {
  return (url, init) => getJson(url, init, options);
}

/** The head of an answer: its status, content type, and where and how its body is framed. */
export interface HttpHead {
  /** The status code. */
  readonly status: number;
  /** The Content-Type field value, or ''. */
  readonly contentType: string;
  /** Where the body starts in the bytes read. */
  readonly bodyAt: number;
  /** The Content-Length, when the body is framed by one. */
  readonly length?: number;
  /** Whether the body is in chunked transfer coding (else it ends with the connection). */
  readonly chunked: boolean;
}

// Informational answers skipped before one is refused: each makes the head be parsed again.
const MAX_INFORMATIONAL = 8;

/**
 * Parses the head of a raw HTTP/1.x answer strictly, skipping informational (1xx) answers.
 * @param raw the bytes read so far
 * @param everyStatus whether the body framing of every final status is checked (its body is read), not only a 200's
 * @returns the head, a refusal (a string), or undefined while the head is incomplete
 */
export function parseHttpHead(raw: Buffer, everyStatus = false): HttpHead | string | undefined {
  let at = 0;
  for (let informational = 0; informational <= MAX_INFORMATIONAL; informational++) {
    const headEnd = raw.indexOf(CRLF + CRLF, at);
    if (headEnd < 0 || headEnd - at > MAX_HEAD_BYTES) {
      return headEnd < 0 && raw.length - at <= MAX_HEAD_BYTES ? undefined : TERSE ? '' : 'answered a head larger than allowed';
    }
    const [statusLine = '', ...lines] = raw.toString('latin1', at, headEnd).split(CRLF);
    at = headEnd + 4;
    const status = Number(STATUS_LINE.exec(statusLine)?.[1] ?? 0);
    const fields = new Map<string, string[]>();
    for (const line of lines) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (colon < 1 || !FIELD_NAME.test(name) || !FIELD_VALUE.test(value)) {
        return TERSE ? '' : 'answered a malformed header field';
      }
      fields.set(name, [...(fields.get(name) ?? []), value]);
    }
    if (!status) {
      return TERSE ? '' : 'answered a malformed status line';
    }
    if (status >= 200 || status === 101) {
      const lengths = new Set(fields.get('content-length'));
      const codings = fields.get('transfer-encoding');
      const [length] = lengths;
      if ((status === 200 || everyStatus) && (lengths.size > 1 || (length !== undefined && !/^\d{1,9}$/.test(length)) || (codings && (lengths.size || codings.join().toLowerCase() !== 'chunked')) || (fields.get('content-encoding') ?? []).some((coding) => coding.toLowerCase() !== 'identity'))) {
        return TERSE ? '' : 'answered a body framing or coding not supported';
      }
      return { status, contentType: fields.get('content-type')?.[0] ?? '', bodyAt: at, chunked: codings !== undefined, ...(length === undefined ? {} : { length: Number(length) }) };
    }
  }
  return TERSE ? '' : 'answered too many informational answers';
}

/**
 * The body of an answer, once its framing says it is complete.
 * @param raw the bytes read so far
 * @param head the answer's head
 * @param closed whether the connection is over (a chunked or close-delimited body is read to the end)
 * @returns the body, a refusal (a string), or undefined while it is incomplete
 */
export function httpBody(raw: Buffer, head: HttpHead, closed: boolean): Buffer | string | undefined {
  const rest = raw.subarray(head.bodyAt);
  if (head.length !== undefined) {
    return rest.length < head.length ? undefined : rest.subarray(0, head.length);
  }
  return !closed ? undefined : head.chunked ? dechunk(rest) : rest;
}

/** Decodes a whole chunked body (RFC 9112 section 7.1); trailer fields are read past and ignored. */
function dechunk(raw: Buffer): Buffer | string | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = raw.indexOf(CRLF, at);
    const size = lineEnd < 0 ? undefined : CHUNK_SIZE_LINE.exec(raw.toString('latin1', at, lineEnd))?.[1];
    if (size === undefined) {
      return lineEnd < 0 ? undefined : TERSE ? '' : 'answered a malformed chunk';
    }
    at = lineEnd + 2;
    const n = parseInt(size, 16);
    if (n === 0) {
      const end = raw.toString('latin1', at, at + 2) === CRLF ? at : raw.indexOf(CRLF + CRLF, at);
      return end < 0 ? undefined : Buffer.concat(parts);
    }
    if (raw.length < at + n + 2) {
      return undefined;
    }
    if (raw.toString('latin1', at + n, at + n + 2) !== CRLF) {
      return TERSE ? '' : 'answered a malformed chunk';
    }
    parts.push(raw.subarray(at, at + n));
    at += n + 2;
  }
}

function getJson(url: string, init: FetchInit, options: HttpGetJsonOptions): Promise<FetchResponse> {
  return exchange(url, init, options, { method: 'GET', mediaType: JSON_MEDIA_TYPE, maxBytes: MAX_RESPONSE_BYTES, errorBodies: false }).then(({ status, text }) =>
    status !== 200
      ? { status, json: () => Promise.reject(new FetchError(TERSE ? '' : `${url} answered HTTP ${status}`, { failureCause: 'HTTP_STATUS', status })) }
      : {
          status,
          json: async () => {
            try {
              return JSON.parse(text as string) as unknown;
            } catch (cause) {
              throw new FetchError(TERSE ? '' : `${url} answered invalid JSON`, { cause, failureCause: 'BAD_JSON' });
            }
          },
        },
  );
}

/** Options of one POST (see {@link HttpPost}). */
export interface PostInit extends FetchInit {
  /** The request body, sent as UTF-8 with its Content-Length. */
  readonly body: string;
}

/** The answer to a POST: its status and its body (for any final status), read whole within the cap. */
export interface PostResponse {
  /** HTTP status. */
  readonly status: number;
  /** The body as UTF-8 text; '' when there is none. */
  readonly text: string;
}

/**
 * A transport for AWS JSON-protocol calls: one POST, its answer read whole (the body of an error status
 * too, where AWS names the error), with the strictness and caps of {@link httpGetJson} and a cap of
 * {@link MAX_POST_RESPONSE_BYTES}. A 200 answer must have a JSON media type (`application/json` or
 * `application/x-amz-json-1.0` / `1.1`).
 */
export type HttpPost = (url: string, init: PostInit) => Promise<PostResponse>;

/**
 * Largest answer to a POST accepted, in bytes: a DynamoDB Scan page (at most 1 MB of data read, fewer
 * items asked for) with its JSON type descriptors fits.
 */
export const MAX_POST_RESPONSE_BYTES = 4 * 1024 * 1024;

const AWS_JSON_MEDIA_TYPE = /^application\/(?:x-amz-json-1\.[01]|(?:[a-z0-9.+-]*\+)?json)\s*(?:;|$)/i;

/**
 * POSTs over `node:tls` (or `node:net`, for loopback test servers only); refusals as {@link httpGetJson}'s.
 */
export const httpPost: HttpPost = createHttpPost();

/**
 * A {@link httpPost} with its own host name resolution.
 * @param options the resolver
 * @returns the transport
 */
export function createHttpPost(options: HttpGetJsonOptions = {}): HttpPost {
  return (url, init) =>
    exchange(url, init, options, { method: 'POST', body: init.body, mediaType: AWS_JSON_MEDIA_TYPE, maxBytes: MAX_POST_RESPONSE_BYTES, errorBodies: true }).then(({ status, text }) => ({
      status,
      text: text ?? '',
    }));
}

/** How one exchange is made and read. */
interface ExchangeSpec {
  readonly method: 'GET' | 'POST';
  readonly body?: string;
  /** The media type a 200 answer must have. */
  readonly mediaType: RegExp;
  /** Largest body read. */
  readonly maxBytes: number;
  /** Whether the body of a final status other than 200 is read too (else the head alone answers). */
  readonly errorBodies: boolean;
}

function exchange(url: string, init: FetchInit, { lookup, ca }: HttpGetJsonOptions, spec: ExchangeSpec): Promise<{ status: number; text?: string }> {
  return new Promise((resolve, reject) => {
    let socket: Net.Socket | undefined = undefined;
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    // An abort is the key set's timeout (its reason says so): classified as one, as `node:http` reports it.
    const onAbort = (): void => fail(TERSE ? '' : 'aborted', init.signal.reason, 'TIMEOUT');
    const settle = (): void => {
      settled = true;
      init.signal.removeEventListener('abort', onAbort);
      socket?.destroy();
    };
    // Transport failures are classified from the error's code; a refused document is BAD_JSON.
    const fail = (problem: string, cause?: unknown, failureCause?: KeyRefreshCause): void => {
      settle();
      reject(new FetchError(TERSE ? '' : `${url} ${problem}`, { cause, failureCause }));
    };
    const target = URL.canParse(url) ? new URL(url) : undefined;
    const secure = target?.protocol === 'https:';
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(target?.hostname as string);
    const headers = Object.entries(init.headers);
    if (!target || !(secure || (target.protocol === 'http:' && loopback)) || !headers.every(([name, value]) => FIELD_NAME.test(name) && FIELD_VALUE.test(value))) {
      fail(TERSE ? '' : 'refused: https required, and valid request header fields', undefined, 'CONNECT');
      return;
    }
    if (init.signal.aborted) {
      onAbort();
      return;
    }
    init.signal.addEventListener('abort', onAbort);
    const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = Number(target.port) || (secure ? 443 : 80);
    const options = { host, port, ...(lookup ? { lookup } : {}) };
    socket = secure ? tls().connect({ ...options, ...(net().isIP(host) ? {} : { servername: host }), ...(ca ? { ca } : {}) }) : net().connect(options);
    // Written at once: a TLS socket holds it until the handshake is done. `close`: one answer, then the server closes.
    const payload = spec.body === undefined ? '' : `Content-Length: ${Buffer.byteLength(spec.body)}${CRLF}`;
    socket.write(`${spec.method} ${target.pathname}${target.search} HTTP/1.1${CRLF}Host: ${target.host}${CRLF}${headers.map(([name, value]) => `${name}: ${value}${CRLF}`).join('')}${payload}Connection: close${CRLF}${CRLF}${spec.body ?? ''}`);
    // A connection over before the answer is whole: a transport failure (classified by the socket's error), never a short body.
    const cut = (closed: boolean, cause?: Error): void => {
      if (closed) {
        fail(TERSE ? '' : `closed before the whole answer${cause ? `: ${cause.message}` : ''}`, cause, cause ? undefined : 'CONNECT');
      }
    };
    let head: HttpHead | undefined;
    let tail = Buffer.alloc(0);
    /** Parses what was read: at the end of the head, when the body is complete, and when the connection is over. */
    const step = (closed: boolean, cause?: Error): void => {
      const raw = Buffer.concat(chunks);
      if (!head) {
        const parsed = parseHttpHead(raw, spec.errorBodies);
        if (typeof parsed === 'string') {
          fail(parsed, undefined, 'BAD_JSON');
          return;
        }
        if (!parsed) {
          cut(closed, cause);
          return;
        }
        head = parsed;
        if (head.status !== 200 && !spec.errorBodies) {
          const { status } = head;
          settle();
          resolve({ status });
          return;
        }
        if ((head.status === 200 && !spec.mediaType.test(head.contentType)) || (head.length ?? 0) > spec.maxBytes) {
          fail(TERSE ? '' : (head.length ?? 0) > spec.maxBytes ? `answered more than ${spec.maxBytes} bytes` : `answered content type '${head.contentType.slice(0, 100)}', not JSON`, undefined, 'BAD_JSON');
          return;
        }
      }
      const body = httpBody(raw, head, closed);
      if (body === undefined) {
        cut(closed, cause);
        return;
      }
      if (typeof body === 'string' || body.length > spec.maxBytes) {
        fail(TERSE ? '' : typeof body === 'string' ? body : `answered more than ${spec.maxBytes} bytes`, undefined, 'BAD_JSON');
        return;
      }
      settle();
      resolve({ status: head.status, text: body.toString('utf8') });
    };
    socket.on('data', (chunk: Buffer) => {
      if (settled) {
        return;
      }
      received += chunk.length;
      chunks.push(chunk);
      if (received > MAX_HEAD_BYTES + spec.maxBytes) {
        fail(TERSE ? '' : `answered more than ${spec.maxBytes} bytes`, undefined, 'BAD_JSON');
        return;
      }
      // Parsed only when there can be something new: a head ends in the bytes just read, or a declared length is reached.
      const seen = Buffer.concat([tail, chunk]);
      tail = seen.subarray(-3);
      if (head ? head.length !== undefined && received >= head.bodyAt + head.length : seen.includes(CRLF + CRLF)) {
        step(false);
      }
    });
    socket.on('end', () => settled || step(true));
    socket.on('error', (cause) => settled || step(true, cause));
    socket.on('close', () => settled || step(true));
  });
}
