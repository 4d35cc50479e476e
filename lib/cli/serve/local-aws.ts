/**
 * The AWS resources an authorizer reads under a data-protection configuration, stood in for on 127.0.0.1
 * so a local stage runs it as deployed: the deny list (DynamoDB `Scan`) and the pseudonym key (Secrets
 * Manager `GetSecretValue`), on a listener of their own that speaks the AWS JSON protocol.
 *
 * The deny list is empty, or the items of a file read again at every `Scan`, so editing the file revokes
 * within the authorizer's refresh interval, as writing the table does. The file holds DynamoDB JSON items:
 * what `aws dynamodb scan --table-name <DenyListTableName>` prints (`{ "Items": [...] }`), or the list of
 * items itself. A file that cannot be read or parsed answers the `Scan` with HTTP 500, so the authorizer
 * behaves as in a DynamoDB outage (the last snapshot stays in force; `whenUnavailable` decides without one).
 *
 * The pseudonym key is random, for this run only: pseudonyms of a local stage join nothing else.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { DENY_LIST_ATTRIBUTES, DENY_LIST_LIMITS } from '../../../lambda/contract';
import { configError } from '../errors';

/** The table name and secret ARN a local stage gives its authorizers. */
export const LOCAL_DENY_LIST_TABLE = 'secure-api-local-deny-list';
export const LOCAL_PSEUDONYM_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:secure-api-local-pseudonym-key-LoCaL1';

/** A running stand-in. */
export interface LocalAws {
  /** `http://127.0.0.1:<port>`: the endpoint of both services. */
  readonly url: string;
  /** The deny list's source, for the startup line: `empty` or the file's path. */
  readonly denyListSource: string;
  close(): Promise<void>;
}

/** How the stand-in starts. */
export interface LocalAwsOptions {
  /** The deny-list file (absolute path); none for an empty deny list. */
  readonly denyListFile?: string;
}

/** The most items a `Scan` page returns, whatever its `Limit` (DynamoDB's pages end at 1 MB). */
const PAGE_ITEMS = 1000;
/** The largest deny-list file read: room for the authorizer's most items, pretty-printed, many times over. */
const MAX_DENY_LIST_FILE_BYTES = 16 * 1024 * 1024;
/** The largest request body read. */
const MAX_REQUEST_BYTES = 64 * 1024;

/**
 * Reads the deny-list file: DynamoDB JSON items, alone or under `Items`, each with a string `pk`.
 * @param path the file
 * @returns the items, or why they cannot be read
 */
export function readDenyListFile(path: string): Record<string, unknown>[] | string {
  let parsed: unknown;
  let fd: number | undefined;
  try {
    // Non-blocking open and a look at the type first: the file is read again at every Scan on the serving
    // thread, and a named pipe or a device put in its place would otherwise block or never end.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const stats = fstatSync(fd);
    if (!stats.isFile()) {
      return 'is not a regular file';
    }
    if (stats.size > MAX_DENY_LIST_FILE_BYTES) {
      return `is larger than ${MAX_DENY_LIST_FILE_BYTES / 1024 / 1024} MiB (received: ${stats.size} bytes); a deny list the authorizer reads (${DENY_LIST_LIMITS.maxItems} items at most) is far smaller`;
    }
    parsed = JSON.parse(readFileSync(fd, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return error instanceof SyntaxError ? `is not JSON (${error.message})` : code === 'EISDIR' ? 'is not a regular file' : `cannot be read (${code ?? 'error'})`;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  const items = Array.isArray(parsed) ? parsed : typeof parsed === 'object' && parsed !== null && Array.isArray((parsed as { Items?: unknown }).Items) ? (parsed as { Items: unknown[] }).Items : undefined;
  if (items === undefined) {
    return 'holds neither a list of DynamoDB items nor an object with "Items" (the output of `aws dynamodb scan`)';
  }
  const key = DENY_LIST_ATTRIBUTES.partitionKey;
  const bad = items.findIndex((item) => typeof item !== 'object' || item === null || typeof (item as Record<string, { S?: unknown }>)[key]?.S !== 'string');
  if (bad >= 0) {
    return `item ${bad} has no string "${key}" ({ "${key}": { "S": "sub#..." } })`;
  }
  // The Scan pages by key, as DynamoDB does: a repeated key would make a page start over.
  const firstIndex = new Map<string, number>();
  for (const [index, item] of (items as Array<Record<string, { S: string }>>).entries()) {
    const pk = item[key]!.S;
    const first = firstIndex.get(pk);
    if (first !== undefined) {
      return `holds item ${first} and item ${index} with the same "${key}" (${JSON.stringify(pk)}); a table holds one item per key`;
    }
    firstIndex.set(pk, index);
  }
  return items as Record<string, unknown>[];
}

/**
 * Starts the stand-in on 127.0.0.1 with an ephemeral port.
 * @throws CliError (exit 3) when the deny-list file cannot be read at start
 */
export async function startLocalAws(options: LocalAwsOptions = {}): Promise<LocalAws> {
  const { denyListFile } = options;
  if (denyListFile !== undefined) {
    const problem = readDenyListFile(denyListFile);
    if (typeof problem === 'string') {
      throw configError('ERR_DENY_LIST_FILE', `The deny-list file ${denyListFile} ${problem}.`);
    }
  }
  const pseudonymKey = randomBytes(48).toString('base64url');
  const sockets = new Set<Socket>();
  const server = createServer((request, response) => {
    readBody(request).then(
      (body) => answer(request, body, response),
      () => send(response, 400, { __type: 'SerializationException', message: 'unreadable request' }),
    );
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));

  const answer = (request: IncomingMessage, body: string, response: ServerResponse): void => {
    let input: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(body);
      input = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
    } catch {
      send(response, 400, { __type: 'SerializationException', message: 'the body is not JSON' });
      return;
    }
    const target = String(request.headers['x-amz-target'] ?? '');
    if (request.method !== 'POST' || !request.headers.authorization?.startsWith('AWS4-HMAC-SHA256 ')) {
      send(response, 400, { __type: 'MissingAuthenticationTokenException', message: 'a signed POST is expected' });
    } else if (target === 'DynamoDB_20120810.Scan') {
      scan(input, response);
    } else if (target === 'secretsmanager.GetSecretValue') {
      if (input.SecretId !== LOCAL_PSEUDONYM_SECRET_ARN) {
        send(response, 400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." });
      } else {
        send(response, 200, { ARN: LOCAL_PSEUDONYM_SECRET_ARN, Name: 'secure-api-local-pseudonym-key', SecretString: pseudonymKey });
      }
    } else {
      send(response, 400, { __type: 'UnknownOperationException', message: `a local stage answers DynamoDB Scan and Secrets Manager GetSecretValue only (received: ${target.slice(0, 100) || 'no X-Amz-Target'})` });
    }
  };

  const scan = (input: Record<string, unknown>, response: ServerResponse): void => {
    if (input.TableName !== LOCAL_DENY_LIST_TABLE) {
      send(response, 400, { __type: 'com.amazonaws.dynamodb.v20120810#ResourceNotFoundException', message: 'Requested resource not found' });
      return;
    }
    const items = denyListFile === undefined ? [] : readDenyListFile(denyListFile);
    if (typeof items === 'string') {
      send(response, 500, { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: `the local deny-list file ${items}` });
      return;
    }
    const key = DENY_LIST_ATTRIBUTES.partitionKey;
    const after = (input.ExclusiveStartKey as Record<string, { S?: unknown }> | undefined)?.[key]?.S;
    const start = after === undefined ? 0 : items.findIndex((item) => (item[key] as { S: string }).S === after) + 1;
    const limit = Math.min(PAGE_ITEMS, typeof input.Limit === 'number' && input.Limit >= 1 ? Math.floor(input.Limit) : PAGE_ITEMS);
    const page = items.slice(start, start + limit);
    const more = start + limit < items.length;
    send(response, 200, {
      Items: page,
      Count: page.length,
      ScannedCount: page.length,
      ...(more ? { LastEvaluatedKey: { [key]: page[page.length - 1]![key] } } : {}),
    });
  };

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    denyListSource: denyListFile ?? 'empty',
    close: () =>
      new Promise<void>((resolveClose) => {
        sockets.forEach((socket) => socket.destroy());
        server.close(() => resolveClose());
      }),
  };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) throw new Error('too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(response: ServerResponse, status: number, payload: unknown): void {
  const text = JSON.stringify(payload);
  response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
