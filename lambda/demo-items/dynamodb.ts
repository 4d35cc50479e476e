/**
 * A minimal DynamoDB client: the JSON protocol over HTTPS, signed with SigV4, with a bounded timeout
 * and a capped response size. Just the operations the demo needs.
 *
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.LowLevelAPI.html
 */
import { request as httpRequest } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { AwsCredentials, signRequest } from './sigv4';

/** A DynamoDB attribute value, in the wire format. Only the types the demo stores. */
export type AttributeValue = { readonly S: string } | { readonly N: string };
/** One DynamoDB item, in the wire format. */
export type AttributeMap = Record<string, AttributeValue>;

/** Settings of {@link DynamoDbClient}. */
export interface DynamoDbClientOptions {
  readonly region: string;
  /** Returns the current credentials; read per call because Lambda may rotate them. */
  readonly credentials: () => AwsCredentials;
  /** @default - `https://dynamodb.<region>.amazonaws.com` */
  readonly endpoint?: string;
  /** @default 2000 */
  readonly timeoutMs?: number;
  /** @default - the system clock */
  readonly now?: () => Date;
}

/** A DynamoDB error answer, identified by its stable type name, e.g. `ConditionalCheckFailedException`. */
export class DynamoDbError extends Error {
  /** The error type without its namespace, e.g. `ResourceNotFoundException`. */
  public readonly code: string;
  /** HTTP status of the answer; 0 when no answer arrived. */
  public readonly statusCode: number;

  constructor(code: string, statusCode: number, message: string) {
    super(message);
    this.name = 'DynamoDbError';
    this.code = code;
    this.statusCode = statusCode;
  }
}

const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
const keepAlive = new Agent({ keepAlive: true, maxSockets: 16 });

/** Reads credentials the way the Lambda runtime provides them. */
export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): AwsCredentials {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new DynamoDbError('MissingCredentials', 0, 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set');
  }
  return { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN || undefined };
}

/** Calls DynamoDB operations by name with wire-format inputs and outputs. */
export class DynamoDbClient {
  private readonly url: URL;
  private readonly timeoutMs: number;
  private readonly now: () => Date;

  constructor(private readonly options: DynamoDbClientOptions) {
    this.url = new URL(options.endpoint ?? `https://dynamodb.${options.region}.amazonaws.com/`);
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Sends one operation, e.g. `send('GetItem', { TableName, Key })`.
   * @throws DynamoDbError with the service's error type, or `Timeout`/`NetworkError`/`InvalidResponse`
   */
  public async send<T = Record<string, unknown>>(operation: string, input: Record<string, unknown>): Promise<T> {
    const body = JSON.stringify(input);
    const headers = signRequest(
      {
        method: 'POST',
        host: this.url.host,
        path: this.url.pathname,
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `DynamoDB_20120810.${operation}` },
        body,
      },
      { region: this.options.region, service: 'dynamodb', credentials: this.options.credentials(), now: this.now() },
    );
    const { statusCode, text } = await this.post(headers, body);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new DynamoDbError('InvalidResponse', statusCode, `DynamoDB answered ${statusCode} with a body that is not JSON`);
    }
    if (statusCode !== 200) {
      const record = (parsed ?? {}) as Record<string, unknown>;
      const type = typeof record.__type === 'string' ? record.__type : 'UnknownError';
      const message = typeof record.message === 'string' ? record.message : typeof record.Message === 'string' ? record.Message : '';
      throw new DynamoDbError(type.slice(type.lastIndexOf('#') + 1), statusCode, message);
    }
    return parsed as T;
  }

  private post(headers: Record<string, string>, body: string): Promise<{ statusCode: number; text: string }> {
    const secure = this.url.protocol === 'https:';
    const send = secure ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        this.url,
        { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, agent: secure ? keepAlive : undefined },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_RESPONSE_BYTES) {
              req.destroy(new DynamoDbError('InvalidResponse', res.statusCode ?? 0, 'DynamoDB response exceeds the size cap'));
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () => resolve({ statusCode: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.setTimeout(this.timeoutMs, () => req.destroy(new DynamoDbError('Timeout', 0, `no answer from DynamoDB within ${this.timeoutMs} ms`)));
      req.on('error', (err) => reject(err instanceof DynamoDbError ? err : new DynamoDbError('NetworkError', 0, err.message)));
      req.end(body);
    });
  }
}
