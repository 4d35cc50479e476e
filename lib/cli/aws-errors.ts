/**
 * Error sentences for the AWS services the CLI reaches (Cognito, DynamoDB, CloudWatch Logs, Secrets
 * Manager): one exit code and one piece of advice per kind of failure, naming the service, the IAM action
 * and the resource. Cognito's own exceptions are mapped in `cognito.ts` before these.
 */
import { CliError, ExitCode } from './errors';
import { describeNetworkFailure } from './http';

/** Error names of AWS services that mean the credentials themselves were refused. */
export const CREDENTIAL_ERRORS: ReadonlySet<string> = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'MissingAuthenticationToken',
]);
/** Error names of AWS services that mean the caller is throttled (the SDK has retried them already). */
export const THROTTLING_ERRORS: ReadonlySet<string> = new Set([
  'TooManyRequestsException',
  'ThrottlingException',
  'Throttling',
  'LimitExceededException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
]);

/** What the CLI was doing when a call failed, for the error sentence. */
export interface ServiceCallContext {
  /** The service as people name it, e.g. `DynamoDB`. */
  readonly service: string;
  /** The IAM prefix of its actions, e.g. `dynamodb`. */
  readonly iamPrefix: string;
  /** The API action, e.g. `PutItem` (also the IAM action). */
  readonly action: string;
  /** The region called. */
  readonly region: string;
  /** The resource, e.g. `table secure-api-deny-list`. */
  readonly resource: string;
  /** What to do when the resource does not exist, e.g. `Check --table, and that revocation is on in the stack.` */
  readonly notFoundHint: string;
}

/**
 * Maps an error of the SDK (service exceptions by `name`, credential-chain and network failures) to a
 * {@link CliError} that says what to do. Already-mapped errors pass through.
 */
export function mapServiceError(error: unknown, context: ServiceCallContext): CliError {
  if (error instanceof CliError) {
    return error;
  }
  const { name, message } = typeof error === 'object' && error !== null ? (error as { name?: unknown; message?: unknown }) : {};
  const detail = typeof message === 'string' ? message.trim().replace(/\.+$/, '') : String(error);
  const where = `${context.resource} in ${context.region}`;
  const auth = (code: string, text: string): CliError => new CliError(code, text, { exitCode: ExitCode.AwsAuth, cause: error });
  const other = (code: string, text: string): CliError => new CliError(code, text, { exitCode: ExitCode.AwsOther, cause: error });

  const network = describeNetworkFailure(error);
  if (network !== undefined) {
    return new CliError('ERR_NETWORK', `Could not reach ${context.service} in ${context.region}: ${network}. Check your network and proxy settings, then retry.`, {
      exitCode: ExitCode.Network,
      cause: error,
    });
  }
  if (name === 'CredentialsProviderError') {
    return auth(
      'ERR_AWS_NO_CREDENTIALS',
      'No AWS credentials were found. Pass --profile (or set AWS_PROFILE), run `aws sso login`, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.',
    );
  }
  if (name === 'ExpiredTokenException' || name === 'ExpiredToken') {
    return auth('ERR_AWS_CREDENTIALS_EXPIRED', 'Your AWS session has expired. Refresh it (for example `aws sso login`) and retry.');
  }
  if (typeof name !== 'string') {
    return other('ERR_AWS_REQUEST_FAILED', `${context.service} refused ${context.action} on ${where}: ${detail}.`);
  }
  if (CREDENTIAL_ERRORS.has(name)) {
    return auth(
      'ERR_AWS_CREDENTIALS_INVALID',
      `AWS did not accept your credentials (${name}). Refresh them (for example \`aws sso login\`), or choose another --profile.`,
    );
  }
  if (name === 'AccessDeniedException' || name === 'AccessDenied') {
    return auth(
      'ERR_AWS_ACCESS_DENIED',
      `Your AWS identity may not call ${context.iamPrefix}:${context.action} on ${where}. Grant that action in IAM, or use a --profile whose role has it.`,
    );
  }
  if (name === 'DecryptionFailure' || name === 'KMSAccessDeniedException' || name === 'KMSDisabledException' || name === 'KMSNotFoundException') {
    return auth(
      'ERR_AWS_KMS_DENIED',
      `${context.service} could not decrypt ${context.resource} for ${context.action} (${name}). Your identity needs kms:Decrypt on its key.`,
    );
  }
  if (name === 'ResourceNotFoundException') {
    return other('ERR_AWS_RESOURCE_NOT_FOUND', `${context.service} has no ${where} (${context.action}). ${context.notFoundHint}`);
  }
  if (THROTTLING_ERRORS.has(name)) {
    return other('ERR_AWS_THROTTLED', `${context.service} is throttling ${context.action} (${name}), even after retries. Wait a minute and retry.`);
  }
  return other('ERR_AWS_REQUEST_FAILED', `${context.service} refused ${context.action} on ${where} (${name}): ${detail}.`);
}

/** Runs one SDK call and maps its failure with {@link mapServiceError}. */
export async function callService<T>(context: ServiceCallContext, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw mapServiceError(error, context);
  }
}
