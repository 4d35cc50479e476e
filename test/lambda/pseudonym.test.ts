/**
 * The pseudonym of the `pseudonymous` log profile, `ps1_` + base64url(HMAC-SHA256(key, UTF-8 of value)) without
 * padding, as the authorizer computes it and as the operator CLI searches for it: both equal fixed vectors
 * computed independently (Python's hmac and base64.urlsafe_b64encode, padding removed), and each other.
 */
import { randomBytes } from 'node:crypto';
import { PSEUDONYM_LENGTH, PSEUDONYM_PREFIX } from '../../lambda/contract';
import { createPseudonymizer, type Pseudonymizer } from '../../lambda/pseudonym-key';
import { pseudonym, pseudonymKey } from '../../lib/cli/pseudonym';

const KEY = 'secure-api-pseudonym-test-key-0123456789abcdefghijklmnopqrstuvwx';

async function runtimeWith(secretString: string): Promise<Pseudonymizer> {
  const pseudonymizer = createPseudonymizer({
    secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:pseudonyms-AbCdEf',
    secretsManager: async () => ({ SecretString: secretString }),
    now: () => 0,
    log: () => undefined,
  });
  await pseudonymizer.ready();
  return pseudonymizer;
}

describe('pseudonym', () => {
  test.each([
    ['f81d4fae-7dec-11d0-a765-00a0c91e6bf6', 'ps1_MiilJE_lyhXxZ2MUv9P1qbyj8HnAb4MDEwIWhdoa_nk'],
    ['zoë"\n', 'ps1_g_SaN_s9NKVOv6xPVvUfJ0MRyRr6TI96ezy_2zVWmBk'],
    ['', 'ps1_hTHaUQv1o2GcOWQgEUaXn_ReG461bcy9PaI6_8ThkgE'],
  ])('happy flow: the authorizer and the CLI give the fixed vector for %j', async (value, expected) => {
    const runtime = await runtimeWith(KEY);
    expect(runtime.of(value)).toBe(expected);
    expect(pseudonym(pseudonymKey(KEY), value)).toBe(expected);
  });

  test('happy flow: the authorizer and the CLI agree on any key and value, in the fixed form', async () => {
    const values = ['', 'a', 'é ü 😀', '\ud800 lone', 'x'.repeat(64), 'x'.repeat(1000)];
    for (let i = 0; i < 50; i++) {
      const secret = randomBytes(1 + (i % 90)).toString(i % 2 ? 'hex' : 'base64');
      const runtime = await runtimeWith(secret);
      const value = values[i % values.length]! + randomBytes(i % 20).toString('latin1');
      const expected = pseudonym(pseudonymKey(secret), value);
      expect(runtime.of(value)).toBe(expected);
      expect(expected).toHaveLength(PSEUDONYM_LENGTH);
      expect(expected.startsWith(PSEUDONYM_PREFIX)).toBe(true);
    }
  });
});
