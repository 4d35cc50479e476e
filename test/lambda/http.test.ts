/**
 * The key-source transport's HTTP/1.x reading, against raw TCP servers on 127.0.0.1 that write exact
 * bytes: every framing it accepts is read whole, and every answer outside what it supports is refused as
 * BAD_JSON (or, cut short, as a connection failure), never half-read.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FetchError } from '../../lambda/errors';
import { httpGetJson, httpPost, MAX_HEAD_BYTES, parseHttpHead } from '../../lambda/http';
import { selfSignedCertificate, startJwksServer } from '../fixtures/jwks-server';

/** What the raw server does with a connection: the request text it received so far, and the socket. */
type Script = (socket: Socket, request: string) => void;

let server: Server;
let base: string;
let script: Script;
let requests: string[];
const sockets = new Set<Socket>();

beforeAll(async () => {
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let request = '';
    let answered = false;
    socket.on('data', (chunk) => {
      request += chunk.toString('latin1');
      if (!answered && request.includes('\r\n\r\n')) {
        answered = true;
        requests.push(request);
        script(socket, request);
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

beforeEach(() => {
  requests = [];
});

afterEach(() => {
  sockets.forEach((socket) => socket.destroy());
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const JSON_HEAD = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n';

/** Answers with these bytes, then closes (or keeps the connection open). */
const answer = (bytes: string, close = true): Script => (socket) => (close ? socket.end(bytes, 'latin1') : socket.write(bytes, 'latin1'));

async function get(path = '/jwks?x=1', headers: Record<string, string> = { accept: 'application/json' }) {
  return httpGetJson(`${base}${path}`, { signal: AbortSignal.timeout(3000), headers });
}

async function refusal(promise: Promise<unknown>): Promise<FetchError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FetchError);
  return error as FetchError;
}

describe('httpGetJson over HTTP/1.x', () => {
  test('happy flow: the request is one GET of the path and query, with Host, the given fields and Connection: close', async () => {
    script = answer(`${JSON_HEAD}Content-Length: 2\r\n\r\n{}`);
    await get();
    expect(requests).toHaveLength(1);
    const [line, ...fields] = requests[0]!.trimEnd().split('\r\n');
    expect(line).toBe('GET /jwks?x=1 HTTP/1.1');
    expect(fields).toEqual([`Host: ${new URL(base).host}`, 'accept: application/json', 'Connection: close']);
  });

  test.each([
    ['a Content-Length body', `${JSON_HEAD}Content-Length: 11\r\n\r\n{"keys":[]}`],
    ['a Content-Length body followed by stray bytes', `${JSON_HEAD}Content-Length: 11\r\n\r\n{"keys":[]}garbage`],
    ['a chunked body with an extension and trailer fields', `${JSON_HEAD}Transfer-Encoding: chunked\r\n\r\n4;ext=1\r\n{"ke\r\n7\r\nys":[]}\r\n0\r\nX-Trailer: 1\r\n\r\n`],
    ['a chunked body in upper-case hex', `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: Chunked\r\n\r\nB\r\n{"keys":[]}\r\n0\r\n\r\n`],
    ['a body ended by the close (HTTP/1.0)', 'HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{"keys":[]}'],
    ['informational answers before the real one', `HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n${JSON_HEAD}Content-Length: 11\r\n\r\n{"keys":[]}`],
    ['a status line without a reason phrase and folded-free spaces around values', 'HTTP/1.1 200\r\nContent-Type:   application/json  \r\nContent-Length: 11\r\n\r\n{"keys":[]}'],
    ['an identity content coding and a repeated equal length', `${JSON_HEAD}Content-Encoding: identity\r\nContent-Length: 11\r\nContent-Length: 11\r\n\r\n{"keys":[]}`],
  ])('happy flow: %s is read whole', async (_what, bytes) => {
    script = answer(bytes);
    const response = await get();
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ keys: [] });
  });

  test('happy flow: a Content-Length body is answered at once, even if the server keeps the connection open', async () => {
    script = answer(`${JSON_HEAD}Content-Length: 11\r\n\r\n{"keys":[]}`, false);
    const started = performance.now();
    expect(await (await get()).json()).toEqual({ keys: [] });
    expect(performance.now() - started).toBeLessThan(1000);
  });

  test('error flow: a 3xx answer is returned as its status, with a head only', async () => {
    script = answer('HTTP/1.1 301 Moved Permanently\r\nLocation: https://evil.example/jwks\r\n\r\n', false);
    const response = await get();
    expect(response.status).toBe(301);
    expect(await refusal(response.json())).toMatchObject({ failureCause: 'HTTP_STATUS', status: 301 });
  });

  test.each([
    ['two different Content-Length values', `${JSON_HEAD}Content-Length: 11\r\nContent-Length: 12\r\n\r\n{"keys":[]}`],
    ['a Content-Length that is not a number', `${JSON_HEAD}Content-Length: +11\r\n\r\n{"keys":[]}`],
    ['Transfer-Encoding next to Content-Length', `${JSON_HEAD}Transfer-Encoding: chunked\r\nContent-Length: 16\r\n\r\nB\r\n{"keys":[]}\r\n0\r\n\r\n`],
    ['a transfer coding other than chunked', `${JSON_HEAD}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`],
    ['a content coding', `${JSON_HEAD}Content-Encoding: gzip\r\nContent-Length: 11\r\n\r\n{"keys":[]}`],
    ['an HTTP/2 status line', 'HTTP/2 200\r\nContent-Type: application/json\r\n\r\n{}'],
    ['a status line that is not HTTP', 'ICY 200 OK\r\nContent-Type: application/json\r\n\r\n{}'],
    ['a header line without a colon', `${JSON_HEAD}Content-Length 2\r\n\r\n{}`],
    ['a folded header line', `${JSON_HEAD}X-Folded: a\r\n b\r\nContent-Length: 2\r\n\r\n{}`],
    ['a control character in a field value', `${JSON_HEAD}X-Bad: a\u0000b\r\nContent-Length: 2\r\n\r\n{}`],
    ['a space before the colon', `${JSON_HEAD}Content-Length : 2\r\n\r\n{}`],
    ['a malformed chunk size', `${JSON_HEAD}Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`],
    ['a chunk longer than its size', `${JSON_HEAD}Transfer-Encoding: chunked\r\n\r\n1\r\n{}\r\n0\r\n\r\n`],
    ['a head larger than allowed', `${JSON_HEAD}X-Pad: ${'x'.repeat(MAX_HEAD_BYTES)}\r\nContent-Length: 2\r\n\r\n{}`],
    ['endless informational answers', `${'HTTP/1.1 100 Continue\r\n\r\n'.repeat(20)}${JSON_HEAD}Content-Length: 2\r\n\r\n{}`],
    ['a chunked body over the cap', `${JSON_HEAD}Transfer-Encoding: chunked\r\n\r\n${'4000\r\n' + 'x'.repeat(0x4000) + '\r\n'}${('4000\r\n' + 'x'.repeat(0x4000) + '\r\n').repeat(16)}0\r\n\r\n`],
    ['a close-delimited body over the cap', `HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n${'x'.repeat(256 * 1024 + 1)}`],
  ])('error flow: %s is refused as BAD_JSON', async (_what, bytes) => {
    script = answer(bytes);
    expect(await refusal(get())).toMatchObject({ failureCause: 'BAD_JSON' });
  });

  test.each([
    ['a Content-Length body cut short', `${JSON_HEAD}Content-Length: 20\r\n\r\n{"keys":[]}`],
    ['a chunked body without its last chunk', `${JSON_HEAD}Transfer-Encoding: chunked\r\n\r\nB\r\n{"keys":[]}\r\n`],
    ['a head cut short', 'HTTP/1.1 200 OK\r\nContent-Type: appl'],
    ['nothing at all', ''],
  ])('error flow: %s fails as a closed connection, never as a short body', async (_what, bytes) => {
    script = answer(bytes);
    expect(await refusal(get())).toMatchObject({ failureCause: 'CONNECT' });
  });

  test('error flow: a request header field with a line break is refused without a request', async () => {
    script = answer(`${JSON_HEAD}Content-Length: 2\r\n\r\n{}`);
    expect(await refusal(get('/jwks', { accept: 'application/json\r\nX-Injected: 1' }))).toMatchObject({ failureCause: 'CONNECT' });
    expect(await refusal(get('/jwks', { 'bad name': 'x' }))).toMatchObject({ failureCause: 'CONNECT' });
    expect(requests).toHaveLength(0);
  });

  test('error flow: an abort while the server is silent fails as a timeout', async () => {
    script = () => undefined;
    const controller = new AbortController();
    const pending = httpGetJson(`${base}/jwks`, { signal: controller.signal, headers: {} });
    setTimeout(() => controller.abort(new Error('stop')), 50);
    expect(await refusal(pending)).toMatchObject({ failureCause: 'TIMEOUT' });
  });
});

describe('httpPost over HTTP/1.x', () => {
  const post = (body: string) => httpPost(`${base}/`, { signal: AbortSignal.timeout(3000), headers: { 'x-amz-target': 'DynamoDB_20120810.Scan' }, body });

  test('happy flow: one POST with the fields, its Content-Length in bytes and the body; an AWS JSON answer read whole', async () => {
    script = answer('HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: 11\r\n\r\n{"Items":[]}'.replace('11', '12'));
    expect(await post('{"a":"é"}')).toEqual({ status: 200, text: '{"Items":[]}' });
    expect(Buffer.from(requests[0]!, 'latin1').toString('utf8')).toBe(`POST / HTTP/1.1\r\nHost: ${new URL(base).host}\r\nx-amz-target: DynamoDB_20120810.Scan\r\nContent-Length: 10\r\nConnection: close\r\n\r\n{"a":"é"}`);
  });

  test('happy flow: the body of an error status is read too, with the same framing checks', async () => {
    script = answer('HTTP/1.1 400 Bad Request\r\nContent-Type: application/x-amz-json-1.0\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n');
    expect(await post('{}')).toEqual({ status: 400, text: '{}' });
    script = answer('HTTP/1.1 400 Bad Request\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}');
    expect(await refusal(post('{}'))).toMatchObject({ failureCause: 'BAD_JSON' });
  });

  test('error flow: a 200 answer that is not JSON is refused', async () => {
    script = answer('HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 2\r\n\r\n{}');
    expect(await refusal(post('{}'))).toMatchObject({ failureCause: 'BAD_JSON' });
  });
});

describe('parseHttpHead', () => {
  test('happy flow: an incomplete head is undefined, not refused', () => {
    expect(parseHttpHead(Buffer.from('HTTP/1.1 200 OK\r\nContent-Len'))).toBeUndefined();
    expect(parseHttpHead(Buffer.from('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 2'))).toBeUndefined();
  });
});

describe('httpGetJson over TLS', () => {
  test('error flow: a trusted certificate is refused for a host name it does not hold, and accepted for its own', async () => {
    // The certificate must be trusted for this test, which only a process started with it can do.
    const server = await startJwksServer({ keys: [], tls: true });
    const dir = mkdtempSync(join(tmpdir(), 'http-tls-'));
    try {
      writeFileSync(join(dir, 'ca.pem'), selfSignedCertificate().cert);
      const http = resolve(__dirname, '../../lambda/http.ts');
      writeFileSync(
        join(dir, 'probe.ts'),
        `const { createHttpGetJson } = require(${JSON.stringify(http)});
        const lookup = (_host, options, callback) => options && options.all ? callback(null, [{ address: '127.0.0.1', family: 4 }]) : callback(null, '127.0.0.1', 4);
        const fetch = createHttpGetJson({ lookup });
        const urls = process.argv.slice(2);
        Promise.all(urls.map((url) => fetch(url, { signal: AbortSignal.timeout(3000), headers: {} }).then((r) => 'status ' + r.status, (e) => e.failureCause + ' ' + (e.cause && e.cause.code))))
          .then((outcomes) => process.stdout.write(JSON.stringify(outcomes)));`,
      );
      const other = server.jwksUri.replace('127.0.0.1', 'keys.idp.example');
      const stdout = await new Promise<string>((done, fail) => {
        execFile(process.execPath, [resolve(__dirname, '../../scripts/run-ts.cjs'), join(dir, 'probe.ts'), server.jwksUri, other], { env: { ...process.env, NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem') } }, (error, out) => (error ? fail(error) : done(out)));
      });
      expect(JSON.parse(stdout)).toEqual(['status 200', 'TLS ERR_TLS_CERT_ALTNAME_INVALID']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await server.close();
    }
  });
});
