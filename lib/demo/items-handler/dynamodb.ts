/**
 * The DynamoDB client of the demo items service: the AWS SDK for JavaScript v3, which the Lambda Node.js
 * runtime provides (the bundle keeps `@aws-sdk/*` external), with bounded retries and bounded attempts.
 *
 * The overall deadline of one API request (all attempts, all pages) is the app's: it passes an
 * `abortSignal` to every call (see `app.ts`).
 */
import { DynamoDBClient, DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';

/**
 * How the client retries and how long one attempt may take.
 *
 * Standard retry mode: up to `maxAttempts` attempts, exponential backoff with full jitter (longer for
 * throttling), on throttling (`ProvisionedThroughputExceededException`, `ThrottlingException`...), 5xx
 * answers, transient network errors and attempt timeouts; never on a client error such as
 * `ConditionalCheckFailedException` or `ValidationException`. Retries are drawn from a per-client token
 * bucket (500 tokens), so a failing DynamoDB is not hammered by every request's retries. One call's worst
 * case, 3 attempts of 1.5 s plus backoff, is cut by the app's 5 s deadline per API request.
 *
 * @see https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
 */
export const DYNAMODB_CLIENT_SETTINGS = Object.freeze({
  /** Attempts per call, the first included. */
  maxAttempts: 3,
  /** Longest TCP/TLS connection set-up of one attempt, in milliseconds. */
  connectionTimeoutMs: 1000,
  /** Longest one attempt may take from request to complete answer (and longest socket silence), in milliseconds. */
  attemptTimeoutMs: 1500,
});

/** Settings of {@link createDynamoDbClient}. */
export interface DynamoDbClientOptions {
  readonly region: string;
  /** @default - the regional DynamoDB endpoint */
  readonly endpoint?: string;
  /** @default - the SDK's default chain: in Lambda, the execution role's credentials from the environment */
  readonly credentials?: DynamoDBClientConfig['credentials'];
  /** @default - DYNAMODB_CLIENT_SETTINGS.maxAttempts */
  readonly maxAttempts?: number;
  /** @default - DYNAMODB_CLIENT_SETTINGS.connectionTimeoutMs */
  readonly connectionTimeoutMs?: number;
  /** @default - DYNAMODB_CLIENT_SETTINGS.attemptTimeoutMs */
  readonly attemptTimeoutMs?: number;
}

/** Builds the DynamoDB client with standard retries and per-attempt timeouts. */
export function createDynamoDbClient(options: DynamoDbClientOptions): DynamoDBClient {
  const attemptTimeout = options.attemptTimeoutMs ?? DYNAMODB_CLIENT_SETTINGS.attemptTimeoutMs;
  return new DynamoDBClient({
    region: options.region,
    endpoint: options.endpoint,
    credentials: options.credentials,
    retryMode: 'standard',
    maxAttempts: options.maxAttempts ?? DYNAMODB_CLIENT_SETTINGS.maxAttempts,
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? DYNAMODB_CLIENT_SETTINGS.connectionTimeoutMs,
      // Recent SDKs time the whole attempt with `requestTimeout` (an error only with `throwOnRequestTimeout`)
      // and socket silence with `socketTimeout`; older ones, which a Lambda runtime may still ship, read
      // `requestTimeout` as socket silence. Setting all three bounds an attempt on either.
      requestTimeout: attemptTimeout,
      socketTimeout: attemptTimeout,
      throwOnRequestTimeout: true,
    },
  });
}
