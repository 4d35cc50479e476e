/**
 * The runtime's pseudonyms (node:crypto) equal the contract's plain-TypeScript ones, and the key is read once,
 * with failed reads retried no sooner than the retry interval.
 */
import { randomBytes } from 'node:crypto';
import { AwsRequestError, type AwsJsonCall } from '../../lambda/aws';
import { pseudonym } from '../../lib/cli/pseudonym';
import { createPseudonymizer, PseudonymKeyUnavailableError } from '../../lambda/pseudonym-key';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:k-AbCdEf';

describe('createPseudonymizer', () => {
  test('happy flow: its pseudonyms equal the contract pseudonym over random keys and values', async () => {
    for (let k = 0; k < 10; k++) {
      const secret = randomBytes(48).toString('base64') + (k % 2 ? 'é😀' : '');
      const calls: unknown[] = [];
      const secretsManager: AwsJsonCall = async (operation, input) => (calls.push([operation, input]), { SecretString: secret });
      const p = createPseudonymizer({ secretArn: ARN, secretsManager, now: Date.now, log: () => undefined });
      expect(p.loaded).toBe(false);
      await Promise.all([p.ready(), p.ready()]);
      await p.ready();
      expect(calls).toEqual([['GetSecretValue', { SecretId: ARN }]]);
      const key = new TextEncoder().encode(secret);
      for (let i = 0; i < 50; i++) {
        const value = i === 0 ? '\ud800 lone' : randomBytes(i).toString(i % 2 ? 'latin1' : 'hex');
        expect(p.of(value)).toBe(pseudonym(key, value));
        expect(p.of(value)).toBe(pseudonym(key, value));
      }
    }
  });

  test('error flow: a failed read is logged, refused at once within the retry interval, and tried again after it', async () => {
    let clock = 1_000_000;
    let calls = 0;
    let fail = true;
    const lines: string[] = [];
    const secretsManager: AwsJsonCall = async () => {
      calls++;
      if (fail) throw new AwsRequestError('x', { failureCause: 'TIMEOUT' });
      return { SecretString: 'key' };
    };
    const p = createPseudonymizer({ secretArn: ARN, secretsManager, now: () => clock, log: (line) => lines.push(line) });
    await expect(p.ready()).rejects.toBeInstanceOf(PseudonymKeyUnavailableError);
    await expect(p.ready()).rejects.toMatchObject({ code: 'ERR_PSEUDONYM_KEY_UNAVAILABLE', reason: 'CONFIG_ERROR' });
    expect(calls).toBe(1);
    expect(lines.map((line) => JSON.parse(line))).toEqual([{ level: 'error', msg: 'pseudonym key unavailable', cause: 'TIMEOUT', status: null, awsError: null, retryInMs: 10_000 }]);
    clock += 10_000;
    fail = false;
    await p.ready();
    expect(calls).toBe(2);
    expect(p.of('a')).toBe(pseudonym(new TextEncoder().encode('key'), 'a'));
  });

  test('error flow: an answer without a SecretString is refused', async () => {
    const lines: string[] = [];
    const p = createPseudonymizer({ secretArn: ARN, secretsManager: async () => ({ SecretBinary: 'AAAA' }), now: Date.now, log: (line) => lines.push(line) });
    await expect(p.ready()).rejects.toBeInstanceOf(PseudonymKeyUnavailableError);
    expect(JSON.parse(lines[0]!)).toMatchObject({ cause: 'BAD_JSON' });
  });
});
