/**
 * What a CLI run reaches outside the process. Everything the commands touch outside the process comes
 * through a {@link CliContext} (streams, environment, clock, `fetch`, the AWS client factories), so
 * tests run the real program against local servers, and `bin/secure-api.ts` only passes the real ones.
 */
import { homedir } from 'node:os';
import { AwsClientFactories, defaultAwsClientFactories } from './aws-clients';
import { CognitoClientFactory, defaultCognitoClientFactory } from './cognito';
import { FetchLike } from './http';
import { CliStreams } from './io';

/** Everything a CLI run reaches outside the process. */
export interface CliContext {
  /** stdin, stdout and stderr. */
  readonly streams: CliStreams;
  /** Environment variables (`XDG_CACHE_HOME`...). */
  readonly env: NodeJS.ProcessEnv;
  /** Directory relative paths are resolved against. */
  readonly cwd: string;
  /** The home directory, for the default cache directory. */
  readonly homeDir: string;
  /** Current time in milliseconds since the epoch. */
  readonly now: () => number;
  /** The `fetch` for the token endpoint and the API. */
  readonly fetch: FetchLike;
  /** Creates Cognito clients. */
  readonly createCognitoClient: CognitoClientFactory;
  /** Creates the DynamoDB, CloudWatch Logs and Secrets Manager clients. */
  readonly awsClients: AwsClientFactories;
  /** Overrides the token cache directory. @default - `$XDG_CACHE_HOME/cdk-secure-api` or `~/.cache/cdk-secure-api` */
  readonly cacheDir?: string;
  /** Resolves when a long-running command (`serve`) should stop. @default - on SIGINT or SIGTERM */
  readonly untilStopped?: () => Promise<void>;
}

/** Resolves on the first SIGINT or SIGTERM. */
export function untilSignalled(): Promise<void> {
  return new Promise((resolveStop) => {
    process.once('SIGINT', () => resolveStop());
    process.once('SIGTERM', () => resolveStop());
  });
}

/** The context of a real run: the process's streams, environment and clock, global `fetch`, the AWS SDK. */
export function nodeCliContext(): CliContext {
  return {
    streams: { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
    env: process.env,
    cwd: process.cwd(),
    homeDir: homedir(),
    now: Date.now,
    fetch: (input, init) => fetch(input, init),
    createCognitoClient: defaultCognitoClientFactory,
    awsClients: defaultAwsClientFactories,
  };
}
