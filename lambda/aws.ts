/**
 * A minimal client of AWS JSON-protocol APIs (DynamoDB's JSON 1.0, Secrets Manager's JSON 1.1) for the
 * bundle: Signature Version 4 with `node:crypto`, one POST over the strict HTTP/1.1 client of `http.ts`, a
 * timeout per call and that client's caps. The AWS SDK is not bundled: the authorizer makes two calls
 * (`Scan`, `GetSecretValue`), and the SDK's clients would multiply the bundle and its cold start.
 *
 * Credentials come from the environment, as the Lambda runtime sets them (`AWS_ACCESS_KEY_ID`,
 * `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), read at each call so a refreshed set is picked up. No error
 * or message ever holds a credential, a signature or a request body: they name the operation, the HTTP
 * status and the AWS error type only.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */
import { createHash, createHmac } from 'node:crypto';
import type { AwsFailureCause } from './contract/aws-failure';
import { AuthorizerError, fetchFailureCauseOf } from './errors';
import { httpPost, type HttpPost } from './http';
import { TERSE } from './terse';

/** Credentials of one signed call. */
export interface AwsCredentials {
  /** The access key id. */
  readonly accessKeyId: string;
  /** The secret access key (never logged). */
  readonly secretAccessKey: string;
  /** The session token of temporary credentials (a Lambda function's role always has one). */
  readonly sessionToken?: string;
}

/** What is known about a failed AWS call: never a credential, a signature or a body. */
export interface AwsRequestErrorOptions {
  /** The underlying error (a transport failure). */
  readonly cause?: unknown;
  /** Why the call failed. */
  readonly failureCause: AwsFailureCause;
  /** The HTTP status of an `HTTP_STATUS` failure. */
  readonly status?: number;
  /** The AWS error type of an `HTTP_STATUS` failure (`AccessDeniedException`...), when AWS named one. */
  readonly awsError?: string;
}

/** An AWS call failed: no credentials, a transport failure, an error status, or an answer that is not a JSON object. */
export class AwsRequestError extends AuthorizerError {
  static override code = 'ERR_AWS_REQUEST';
  /** Why the call failed, from a fixed set. */
  readonly failureCause: AwsFailureCause;
  /** The HTTP status of an `HTTP_STATUS` failure, else undefined. */
  readonly status?: number;
  /** The AWS error type, without its namespace (`ResourceNotFoundException`), when AWS named one. */
  readonly awsError?: string;

  /**
   * @param message the operation and what went wrong
   * @param options the classification, the status and the AWS error type
   */
  constructor(message: string, options: AwsRequestErrorOptions) {
    super('INTERNAL_ERROR', message, 'cause' in options ? { cause: options.cause } : undefined);
    this.failureCause = options.failureCause;
    this.status = options.status;
    this.awsError = options.awsError;
  }
}

/**
 * Reads the credentials the Lambda runtime puts in the environment.
 * @param env the environment, usually `process.env`
 * @returns the credentials
 * @throws AwsRequestError (`CREDENTIALS`) when the access key id or the secret is missing
 */
export function credentialsFromEnvironment(env: Readonly<Record<string, string | undefined>>): AwsCredentials {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = env;
  if (!accessKeyId || !secretAccessKey) {
    throw new AwsRequestError(TERSE ? '' : 'no AWS credentials in the environment', { failureCause: 'CREDENTIALS' });
  }
  return sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };
}

/** A request to sign (see {@link signAwsRequest}). */
export interface AwsSignInput {
  /** HTTP method. */
  readonly method: string;
  /** The `Host` header value (with the port when not the default). */
  readonly host: string;
  /** The absolute path, already URI-encoded as sent (the JSON protocols POST to `/`). */
  readonly path: string;
  /** Header fields to sign besides `host`, `x-amz-date` and `x-amz-security-token`: lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body, as sent. */
  readonly body: string;
  /** The signing region. */
  readonly region: string;
  /** The signing name of the service (`dynamodb`, `secretsmanager`). */
  readonly service: string;
  /** The credentials. */
  readonly credentials: AwsCredentials;
  /** The signing time, epoch milliseconds. */
  readonly now: number;
}

const sha256Hex = (data: string): string => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

/**
 * Signs a request with AWS Signature Version 4 (every given header signed, the body hashed, no query).
 * @param input the request, the scope and the credentials
 * @returns the header fields to send: the given ones plus `x-amz-date`, `x-amz-security-token` (temporary
 *   credentials) and `authorization`; `host` is left to the transport, which writes the same value
 */
export function signAwsRequest(input: AwsSignInput): Record<string, string> {
  const { credentials, region, service } = input;
  // ISO 8601 basic format: 20250101T120000Z.
  const amzDate = new Date(input.now).toISOString().replace(/[-:]|\.\d{3}/g, '');
  const date = amzDate.slice(0, 8);
  const headers: Record<string, string> = { ...input.headers, 'x-amz-date': amzDate };
  if (credentials.sessionToken) {
    headers['x-amz-security-token'] = credentials.sessionToken;
  }
  const signed: Record<string, string> = { ...headers, host: input.host };
  const names = Object.keys(signed).sort();
  const signedHeaders = names.join(';');
  const canonicalHeaders = names.map((name) => `${name}:${(signed[name] as string).trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonicalRequest = [input.method, input.path, '', canonicalHeaders, signedHeaders, sha256Hex(input.body)].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, date), region), service), 'aws4_request');
  const signature = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return headers;
}

/** A service the client calls: how it is addressed and signed. */
export interface AwsJsonService {
  /** The signing name, also the first label of its regional endpoint (`dynamodb`, `secretsmanager`). */
  readonly signingName: string;
  /** The `X-Amz-Target` prefix (`DynamoDB_20120810`, `secretsmanager`). */
  readonly targetPrefix: string;
  /** The JSON protocol version of its content type (`1.0` for DynamoDB, `1.1` for Secrets Manager). */
  readonly jsonVersion: '1.0' | '1.1';
}

/** DynamoDB's JSON 1.0 protocol. */
export const DYNAMODB: AwsJsonService = Object.freeze({ signingName: 'dynamodb', targetPrefix: 'DynamoDB_20120810', jsonVersion: '1.0' });
/** Secrets Manager's JSON 1.1 protocol. */
export const SECRETS_MANAGER: AwsJsonService = Object.freeze({ signingName: 'secretsmanager', targetPrefix: 'secretsmanager', jsonVersion: '1.1' });

/** Options of {@link createAwsJsonClient}. */
export interface AwsJsonClientOptions {
  /** The service. */
  readonly service: AwsJsonService;
  /** The region, e.g. `eu-west-1`. */
  readonly region: string;
  /**
   * The endpoint, `https://host[:port]` (a VPC endpoint, or a test server).
   * @default - the regional endpoint, `https://<signingName>.<region>.amazonaws.com` (`.com.cn` in China)
   */
  readonly endpoint?: string;
  /** Timeout of one call, in milliseconds. */
  readonly timeoutMs: number;
  /** The credentials of each call (read per call). */
  readonly credentials: () => AwsCredentials;
  /**
   * The transport.
   * @default - the strict HTTP/1.1 client (`httpPost`)
   */
  readonly transport?: HttpPost;
  /**
   * Clock, epoch milliseconds, for the signature's time.
   * @default Date.now
   */
  readonly now?: () => number;
}

/**
 * One call: the operation name (`Scan`), its input and, optionally, a signal that aborts it before the client's
 * own timeout (the deadline of a read made of several calls); resolves with the answer, a JSON object.
 */
export type AwsJsonCall = (operation: string, input: Readonly<Record<string, unknown>>, signal?: AbortSignal) => Promise<Record<string, unknown>>;

// An AWS error type as the JSON protocols write it: `com.amazonaws.dynamodb.v20120810#ResourceNotFoundException`.
const AWS_ERROR_TYPE = /^(?:[A-Za-z0-9_.]*#)?([A-Za-z][A-Za-z0-9_]{0,99})(?::.*)?$/s;

/** The AWS error type named in an error answer's body, without its namespace, or undefined. */
function awsErrorOf(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { __type?: unknown } | null;
    return typeof body?.__type === 'string' ? AWS_ERROR_TYPE.exec(body.__type)?.[1] : undefined;
  } catch {
    return undefined;
  }
}

/** A transport failure's cause; a key set's own `NO_USABLE_KEY` cannot come from a transport. */
function transportCauseOf(error: unknown): AwsFailureCause {
  const cause = fetchFailureCauseOf(error);
  return cause === undefined || cause === 'NO_USABLE_KEY' ? 'CONNECT' : cause;
}

/**
 * The regional endpoint of a service.
 * @param service the service
 * @param region the region
 */
export function regionalEndpoint(service: AwsJsonService, region: string): string {
  return `https://${service.signingName}.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
}

/**
 * A client of one AWS JSON-protocol service. Each call is signed with the credentials of the moment, POSTed
 * with `X-Amz-Target: <prefix>.<operation>`, and aborted after `timeoutMs`.
 * @param options the service, region, endpoint, timeout, credentials and seams
 * @returns the call function; it rejects with an {@link AwsRequestError} only
 */
export function createAwsJsonClient(options: AwsJsonClientOptions): AwsJsonCall {
  const { service, region, timeoutMs } = options;
  const endpoint = new URL(options.endpoint ?? regionalEndpoint(service, region));
  const url = `${endpoint.origin}/`;
  const transport = options.transport ?? httpPost;
  const now = options.now ?? Date.now;
  const contentType = `application/x-amz-json-${service.jsonVersion}`;
  return async (operation, input, signal) => {
    const target = `${service.targetPrefix}.${operation}`;
    const body = JSON.stringify(input);
    const headers = signAwsRequest({
      method: 'POST',
      host: endpoint.host,
      path: '/',
      headers: { 'content-type': contentType, 'x-amz-target': target },
      body,
      region,
      service: service.signingName,
      credentials: options.credentials(),
      now: now(),
    });
    let answer;
    try {
      const timeout = AbortSignal.timeout(timeoutMs);
      answer = await transport(url, { signal: signal ? AbortSignal.any([timeout, signal]) : timeout, headers, body });
    } catch (cause) {
      throw new AwsRequestError(TERSE ? '' : `${target} to ${endpoint.host} failed`, { cause, failureCause: transportCauseOf(cause) });
    }
    if (answer.status !== 200) {
      const awsError = awsErrorOf(answer.text);
      throw new AwsRequestError(TERSE ? '' : `${target} answered HTTP ${answer.status}${awsError ? ` (${awsError})` : ''}`, { failureCause: 'HTTP_STATUS', status: answer.status, awsError });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(answer.text);
    } catch (cause) {
      throw new AwsRequestError(TERSE ? '' : `${target} answered invalid JSON`, { cause, failureCause: 'BAD_JSON' });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new AwsRequestError(TERSE ? '' : `${target} answered JSON that is not an object`, { failureCause: 'BAD_JSON' });
    }
    return parsed as Record<string, unknown>;
  };
}
