/**
 * The key of the `pseudonymous` log profile: the `SecretString` of a Secrets Manager secret, read with
 * `GetSecretValue` on the first request of an instance and kept for its life (one read per cold start).
 * Until it is read every request fails closed (401, `CONFIG_ERROR`): a decision line naming a subject in the
 * clear, or a principal that is not the pseudonym, would break the profile's promise. A failed read writes
 * one `pseudonym key unavailable` line and is tried again after {@link PSEUDONYM_KEY_LIMITS}.retrySeconds,
 * so a passing fault does not keep a warm instance refusing for its whole life.
 */
import { createHmac } from 'node:crypto';
import { AwsRequestError, type AwsJsonCall } from './aws';
import type { AwsFailureCause } from './contract/aws-failure';
import { PSEUDONYM_KEY_LIMITS, PSEUDONYM_KEY_UNAVAILABLE_MSG, PSEUDONYM_PREFIX } from './contract/pseudonym';

export { PSEUDONYM_KEY_LIMITS };
import { AuthorizerError } from './errors';
import { TERSE } from './terse';

/** The pseudonym key could not be read: the request fails closed (401, `CONFIG_ERROR`). */
export class PseudonymKeyUnavailableError extends AuthorizerError {
  static override code = 'ERR_PSEUDONYM_KEY_UNAVAILABLE';

  /** @param message why */
  constructor(message: string) {
    super('CONFIG_ERROR', message);
  }
}

/** Options of {@link createPseudonymizer}. */
export interface PseudonymizerOptions {
  /** ARN of the secret. */
  readonly secretArn: string;
  /** Secrets Manager calls (signed, with their timeout). */
  readonly secretsManager: AwsJsonCall;
  /** Clock, epoch milliseconds. */
  readonly now: () => number;
  /** Sink of the `pseudonym key unavailable` lines. */
  readonly log: (line: string) => void;
}

/** Pseudonyms under the key of one instance. */
export interface Pseudonymizer {
  /** Resolves once the key is at hand (at once after the first success); rejects with a {@link PseudonymKeyUnavailableError}. */
  ready(): Promise<void>;
  /** Whether the key is at hand, so {@link of} can be called. */
  readonly loaded: boolean;
  /**
   * The pseudonym of a value: `ps1_` + base64url(HMAC-SHA256(key, UTF-8 of value)), as the contract's
   * `pseudonym` computes it.
   */
  of(value: string): string;
}

// Most pseudonyms remembered; the map starts over when full.
const MAX_REMEMBERED = 256;

/**
 * Creates the pseudonymizer of an authorizer; nothing is read before the first {@link Pseudonymizer.ready}.
 * @param options the secret, the client, the clock and the log sink
 */
export function createPseudonymizer(options: PseudonymizerOptions): Pseudonymizer {
  let key: Buffer | undefined;
  let reading: Promise<void> | undefined;
  let failedAt: number | undefined;
  const remembered = new Map<string, string>();

  const read = async (): Promise<void> => {
    try {
      const answer = await options.secretsManager('GetSecretValue', { SecretId: options.secretArn });
      if (typeof answer.SecretString !== 'string' || answer.SecretString === '') {
        throw new AwsRequestError(TERSE ? '' : 'GetSecretValue answered without a SecretString', { failureCause: 'BAD_JSON' });
      }
      key = Buffer.from(answer.SecretString, 'utf8');
    } catch (error) {
      failedAt = options.now();
      const cause: AwsFailureCause = error instanceof AwsRequestError ? error.failureCause : 'BAD_JSON';
      try {
        options.log(
          JSON.stringify({
            level: 'error',
            msg: PSEUDONYM_KEY_UNAVAILABLE_MSG,
            cause,
            status: (error instanceof AwsRequestError ? error.status : undefined) ?? null,
            awsError: (error instanceof AwsRequestError ? error.awsError : undefined) ?? null,
            retryInMs: PSEUDONYM_KEY_LIMITS.retrySeconds * 1000,
          }),
        );
      } catch {
        // A failing log sink must not change the answers.
      }
    } finally {
      reading = undefined;
    }
  };

  const unavailable = (): Promise<void> => Promise.reject(new PseudonymKeyUnavailableError(TERSE ? '' : 'the pseudonym key could not be read'));

  return {
    get loaded() {
      return key !== undefined;
    },
    ready() {
      if (key) {
        return Promise.resolve();
      }
      if (!reading && failedAt !== undefined && options.now() - failedAt < PSEUDONYM_KEY_LIMITS.retrySeconds * 1000) {
        return unavailable();
      }
      reading ??= read();
      return reading.then(() => (key ? undefined : unavailable()));
    },
    of(value) {
      let name = remembered.get(value);
      if (name === undefined) {
        name = `${PSEUDONYM_PREFIX}${createHmac('sha256', key as Buffer).update(value, 'utf8').digest('base64url')}`;
        if (remembered.size >= MAX_REMEMBERED) {
          remembered.clear();
        }
        remembered.set(value, name);
      }
      return name;
    },
  };
}
