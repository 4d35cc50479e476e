/**
 * The Cognito client seam: how the CLI creates an SDK client, picks the region, and turns AWS errors
 * into sentences that say what to do.
 */
import { CognitoIdentityProviderClient, CognitoIdentityProviderClientConfig } from '@aws-sdk/client-cognito-identity-provider';
import { CliError, ExitCode, configError } from './errors';
import { mapServiceError } from './aws-errors';

/** What the CLI decides about a Cognito client; the rest comes from the standard AWS chain. */
export interface CognitoClientSettings {
  /** The region of the user pool. */
  readonly region: string;
  /** `--profile`: the shared config/credentials profile. @default - the standard chain (`AWS_PROFILE`, env, SSO, IMDS...) */
  readonly profile?: string;
}

/** Creates the SDK client a command uses. Tests inject one that points at a local server. */
export type CognitoClientFactory = (settings: CognitoClientSettings) => CognitoIdentityProviderClient;

/** Attempts per Cognito call, including the first: the SDK retries throttling and 5xx answers with backoff. */
export const COGNITO_MAX_ATTEMPTS = 3;

/**
 * Returns a factory of clients with region and profile from the CLI, {@link COGNITO_MAX_ATTEMPTS}, and
 * everything else from the standard AWS chain (credentials, `AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER`...).
 *
 * @param overrides client configuration set on top, e.g. an `endpoint` and static `credentials` in tests
 */
export function createCognitoClientFactory(overrides: Partial<CognitoIdentityProviderClientConfig> = {}): CognitoClientFactory {
  return (settings) => new CognitoIdentityProviderClient({ region: settings.region, profile: settings.profile, maxAttempts: COGNITO_MAX_ATTEMPTS, ...overrides });
}

/** The production factory: {@link createCognitoClientFactory} without overrides. */
export const defaultCognitoClientFactory: CognitoClientFactory = createCognitoClientFactory();

const USER_POOL_ID = /^([a-z]{2}(?:-[a-z]+)+-\d+)_[0-9A-Za-z]+$/;

/**
 * Returns the region a user pool lives in, from the prefix of its id (`eu-west-1_AbC` → `eu-west-1`).
 *
 * @throws CliError (exit 3) when the id does not have the shape of a Cognito user pool id
 */
export function regionOfUserPool(userPoolId: string): string {
  const region = USER_POOL_ID.exec(userPoolId)?.[1];
  if (region === undefined) {
    throw configError('ERR_BAD_USER_POOL_ID', `${JSON.stringify(userPoolId)} is not a Cognito user pool id (expected <region>_<id>, e.g. eu-west-1_AbC123).`);
  }
  return region;
}

/**
 * Picks the region for calls on `userPoolId`: the pool's own region, which `--region` may repeat but
 * not contradict (a pool exists in one region only, so any other region can only fail later, and more
 * obscurely).
 *
 * @throws CliError (exit 3) when `--region` names another region than the pool's
 */
export function resolveRegion(userPoolId: string, regionFlag: string | undefined): string {
  const poolRegion = regionOfUserPool(userPoolId);
  if (regionFlag !== undefined && regionFlag !== poolRegion) {
    throw configError(
      'ERR_WRONG_REGION',
      `User pool ${userPoolId} lives in ${poolRegion}, but --region is ${regionFlag}. Drop --region, or pass --region ${poolRegion}.`,
    );
  }
  return poolRegion;
}

/** Where a Cognito call goes. */
export interface CognitoTarget {
  /** A client for the pool's region. */
  readonly client: CognitoIdentityProviderClient;
  /** The region of the pool. */
  readonly region: string;
  /** The user pool. */
  readonly userPoolId: string;
}

/** What the CLI was doing when an AWS call failed, for the error sentence. */
export interface AwsCallContext {
  /** The API action, e.g. `AdminCreateUser` (also the IAM action, `cognito-idp:AdminCreateUser`). */
  readonly action: string;
  /** The region called. */
  readonly region: string;
  /** The user pool. */
  readonly userPoolId: string;
  /** The user the call was about, if any. */
  readonly username?: string;
  /** The app client the call was about, if any. */
  readonly clientId?: string;
}

/**
 * Maps an error from the SDK to a {@link CliError} that says what to do: Cognito's own exceptions here, the
 * rest (credential-chain and network failures, access denied, throttling) as {@link mapServiceError} does for
 * every service. Already-mapped errors pass through.
 */
export function mapAwsError(error: unknown, context: AwsCallContext): CliError {
  if (error instanceof CliError) {
    return error;
  }
  const { name, message } = typeof error === 'object' && error !== null ? (error as { name?: unknown; message?: unknown }) : {};
  const detail = typeof message === 'string' ? trimPeriod(message) : String(error);
  const pool = `user pool ${context.userPoolId}`;
  const auth = (code: string, message: string): CliError => new CliError(code, message, { exitCode: ExitCode.AwsAuth, cause: error });
  const other = (code: string, message: string): CliError => new CliError(code, message, { exitCode: ExitCode.AwsOther, cause: error });

  switch (name) {
    case 'NotAuthorizedException':
      return auth(
        'ERR_AWS_NOT_AUTHORIZED',
        `Cognito refused ${context.action} on ${pool}: ${detail}. Check that your credentials belong to the account that owns the pool.`,
      );
    case 'UserNotFoundException':
      return other(
        'ERR_AWS_USER_NOT_FOUND',
        `User ${context.username ?? '(unknown)'} does not exist in ${pool}. Check the user name, or create the user with \`secure-api users create\`.`,
      );
    case 'UsernameExistsException':
      return other('ERR_AWS_USERNAME_EXISTS', `User ${context.username ?? '(unknown)'} already exists in ${pool}. Choose another user name, or manage the existing user.`);
    case 'InvalidPasswordException':
      return other('ERR_AWS_INVALID_PASSWORD', `Cognito rejected the password: ${detail}. Choose one that meets the pool's password policy.`);
    case 'ResourceNotFoundException':
      return other(
        'ERR_AWS_RESOURCE_NOT_FOUND',
        `Cognito found no such resource in ${context.region}: ${detail}. Check the user pool id, client id or group name, and that the stack is deployed there.`,
      );
    case 'InvalidParameterException':
      return other('ERR_AWS_INVALID_PARAMETER', `Cognito rejected a parameter of ${context.action}: ${detail}.`);
    default:
      return mapServiceError(error, {
        service: 'Cognito',
        iamPrefix: 'cognito-idp',
        action: context.action,
        region: context.region,
        resource: pool,
        notFoundHint: 'Check the user pool id, and that the stack is deployed there.',
      });
  }
}

/** Runs one SDK call and maps its failure with {@link mapAwsError}. */
export async function callAws<T>(context: AwsCallContext, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw mapAwsError(error, context);
  }
}

function trimPeriod(message: string): string {
  return message.trim().replace(/\.+$/, '');
}
