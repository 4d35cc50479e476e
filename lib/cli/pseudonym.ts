/**
 * The keyed pseudonym the `pseudonymous` log profile writes instead of a `sub`, a user name or a client
 * id: `'ps1_' + base64url(HMAC-SHA256(key, utf8(value)))`, without padding. The authorizer computes the
 * same function, so an investigator holding the key finds one subject's lines without the logs holding
 * the identifier itself.
 *
 * The key is the UTF-8 bytes of the Secrets Manager secret's SecretString.
 */
import { createHmac } from 'node:crypto';
import { PSEUDONYM_PREFIX } from '../../lambda/contract';

export { PSEUDONYM_PREFIX };

/** The pseudonym of `value` under `key`. */
export function pseudonym(key: Uint8Array, value: string): string {
  return PSEUDONYM_PREFIX + createHmac('sha256', key).update(value, 'utf8').digest('base64url');
}

/** The key a secret's SecretString stands for: its UTF-8 bytes. */
export function pseudonymKey(secretString: string): Uint8Array {
  return Buffer.from(secretString, 'utf8');
}
