/**
 * The SDK clients of the services the CLI reaches besides Cognito: DynamoDB (the deny list), CloudWatch
 * Logs (subject records) and Secrets Manager (the pseudonym key). One factory per service, so tests point
 * each at a local endpoint, and `runCli` destroys every client it created.
 */
import { CloudWatchLogsClient, CloudWatchLogsClientConfig } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient, DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient, SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import { COGNITO_MAX_ATTEMPTS } from './cognito';

/** What the CLI decides about a client; the rest comes from the standard AWS chain. */
export interface AwsClientSettings {
  /** The region of the resource. */
  readonly region: string;
  /** `--profile`. @default - the standard chain (`AWS_PROFILE`, env, SSO, IMDS...) */
  readonly profile?: string;
}

/** Creates the SDK clients of the deny list, the logs and the pseudonym key. */
export interface AwsClientFactories {
  /** A DynamoDB client (deny list). */
  dynamoDb(settings: AwsClientSettings): DynamoDBClient;
  /** A CloudWatch Logs client (subject records). */
  logs(settings: AwsClientSettings): CloudWatchLogsClient;
  /** A Secrets Manager client (pseudonym key). */
  secretsManager(settings: AwsClientSettings): SecretsManagerClient;
}

/** Client configuration set on top of the CLI's, per service; tests set `endpoint` and `credentials`. */
export interface AwsClientOverrides {
  /** Overrides of the DynamoDB client. */
  readonly dynamoDb?: Partial<DynamoDBClientConfig>;
  /** Overrides of the CloudWatch Logs client. */
  readonly logs?: Partial<CloudWatchLogsClientConfig>;
  /** Overrides of the Secrets Manager client. */
  readonly secretsManager?: Partial<SecretsManagerClientConfig>;
}

/**
 * Returns factories of clients with region and profile from the CLI, the same attempts as Cognito calls
 * (the SDK retries throttling and 5xx answers with backoff), and everything else from the standard chain.
 */
export function createAwsClientFactories(overrides: AwsClientOverrides = {}): AwsClientFactories {
  const base = (settings: AwsClientSettings) => ({ region: settings.region, profile: settings.profile, maxAttempts: COGNITO_MAX_ATTEMPTS });
  return {
    dynamoDb: (settings) => new DynamoDBClient({ ...base(settings), ...overrides.dynamoDb }),
    logs: (settings) => new CloudWatchLogsClient({ ...base(settings), ...overrides.logs }),
    secretsManager: (settings) => new SecretsManagerClient({ ...base(settings), ...overrides.secretsManager }),
  };
}

/** The production factories: {@link createAwsClientFactories} without overrides. */
export const defaultAwsClientFactories: AwsClientFactories = createAwsClientFactories();

/**
 * Wraps `factories` so every client created is also handed to `track`, which the CLI uses to destroy
 * them (keep-alive sockets would otherwise hold the process open after the answer).
 */
export function trackAwsClients(factories: AwsClientFactories, track: (client: { destroy(): void }) => void): AwsClientFactories {
  return {
    dynamoDb: (settings) => tracked(factories.dynamoDb(settings), track),
    logs: (settings) => tracked(factories.logs(settings), track),
    secretsManager: (settings) => tracked(factories.secretsManager(settings), track),
  };
}

function tracked<T extends { destroy(): void }>(client: T, track: (client: { destroy(): void }) => void): T {
  track(client);
  return client;
}
