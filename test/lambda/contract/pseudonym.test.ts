/**
 * The contract's plain-TypeScript pseudonym is the specified HMAC-SHA256, held to node:crypto on many keys and
 * values (empty, long keys hashed first, multi-block messages, non-ASCII and lone surrogates).
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { hmacSha256, pseudonym, PSEUDONYM_LENGTH, PSEUDONYM_PREFIX, sha256 } from '../../../lambda/contract/pseudonym';

const reference = (key: Uint8Array, value: string): string => `ps1_${createHmac('sha256', key).update(value, 'utf8').digest('base64url')}`;

describe('pseudonym', () => {
  test('happy flow: equals ps1_ + base64url(HMAC-SHA256(key, utf8(value))) from node:crypto', () => {
    const values = ['', 'a', '4example5client6id7abcdefg', 'd2f1c7e0-1b2c-4d5e-8f90-a1b2c3d4e5f6', 'é ü 😀', '\ud800 lone', 'x'.repeat(55), 'x'.repeat(56), 'x'.repeat(64), 'x'.repeat(1000)];
    for (let i = 0; i < 400; i++) {
      const key = new Uint8Array(randomBytes(i % 150));
      const value = i < values.length ? values[i]! : randomBytes(i % 90).toString(i % 2 ? 'latin1' : 'base64');
      expect(pseudonym(key, value)).toBe(reference(key, value));
    }
  });

  test('happy flow: the key is the UTF-8 bytes of the secret string; the form is fixed', () => {
    const key = new TextEncoder().encode('k'.repeat(64));
    const value = pseudonym(key, 'user-1');
    expect(value).toBe(reference(Buffer.from('k'.repeat(64), 'utf8'), 'user-1'));
    expect(value).toHaveLength(PSEUDONYM_LENGTH);
    expect(value.startsWith(PSEUDONYM_PREFIX)).toBe(true);
    expect(value).toMatch(/^ps1_[A-Za-z0-9_-]{43}$/);
    expect(pseudonym(key, 'user-2')).not.toBe(value);
    expect(pseudonym(new TextEncoder().encode('other'), 'user-1')).not.toBe(value);
  });

  test('happy flow: sha256 and hmacSha256 match node:crypto across block boundaries', () => {
    for (const length of [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000]) {
      const data = new Uint8Array(randomBytes(length));
      expect(Buffer.from(sha256(data)).toString('hex')).toBe(createHash('sha256').update(data).digest('hex'));
      const key = new Uint8Array(randomBytes(length % 100));
      expect(Buffer.from(hmacSha256(key, data)).toString('hex')).toBe(createHmac('sha256', key).update(data).digest('hex'));
    }
  });
});
