/**
 * The deny list's matching rule, on snapshots built from Scan items: each kind of entry revokes what it names
 * and nothing else, an expired entry is absent, and unreadable attributes fail closed.
 */
import { addDenyListItems, denyListKey, formatDenyListUnavailable, revocationOf, type DenyListEntry, type RevocationSubject } from '../../../lambda/contract/deny-list';

const NOW = 1_800_000_000;
const TOKEN: RevocationSubject = { sub: 'user-1', clientId: 'client-a', jti: 'jti-1', originJti: 'ojti-1', iat: NOW - 100 };

function snapshot(...items: unknown[]): Map<string, DenyListEntry> {
  const map = new Map<string, DenyListEntry>();
  addDenyListItems(map, items);
  return map;
}
const item = (pk: string, numbers: Record<string, string> = {}) => ({ pk: { S: pk }, reason: { S: 'r' }, ...Object.fromEntries(Object.entries(numbers).map(([k, v]) => [k, { N: v }])) });

describe('revocationOf', () => {
  test.each([
    ['the sub', item('sub#user-1'), 'sub'],
    ['the client', item('client#client-a'), 'client'],
    ['the jti', item('jti#jti-1'), 'jti'],
    ['the origin_jti', item('jti#ojti-1'), 'jti'],
    ['every token issued before a time', item('before#*', { issuedBefore: String(NOW - 99) }), 'before'],
    ["the client's tokens issued before a time", item('before#client-a', { issuedBefore: String(NOW - 99) }), 'before'],
    ['an entry expiring later', item('sub#user-1', { expiresAt: String(NOW + 1) }), 'sub'],
    ['a before entry without issuedBefore (fail closed)', item('before#*'), 'before'],
    ['an expiry that is not a number (fail closed)', item('sub#user-1', { expiresAt: 'soon' }), 'sub'],
    ...['', ' ', '0x0', '0b1', ' 5', '5 ', '1e400', 'Infinity'].map((n) => [`an expiry of ${JSON.stringify(n)}, not a DynamoDB number (fail closed)`, item('sub#user-1', { expiresAt: n }), 'sub']),
    ...['', ' ', '0x0', 'Infinity'].map((n) => [`a before time of ${JSON.stringify(n)}, not a DynamoDB number (fail closed)`, item('before#*', { issuedBefore: n }), 'before']),
  ])('happy flow: an entry for %s revokes the token', (_what, entry, kind) => {
    expect(revocationOf(snapshot(entry), TOKEN, NOW)).toBe(kind);
  });

  test.each([
    ['another sub', item('sub#user-2')],
    ['a sub that only starts the same', item('sub#user-10')],
    ['another client', item('client#client-b')],
    ['another jti', item('jti#jti-2')],
    ['an expired entry', item('sub#user-1', { expiresAt: String(NOW) })],
    ['an entry expired in exponent form', item('sub#user-1', { expiresAt: '1.8E9' })],
    ['an entry expired at -0', item('sub#user-1', { expiresAt: '-0' })],
    ['a before time the token was issued at', item('before#*', { issuedBefore: String(NOW - 100) })],
    ["another client's before time", item('before#client-b', { issuedBefore: String(NOW) })],
    ['the sub under another kind', item('client#user-1')],
    ['an item without a string key', { pk: { N: '1' } }],
  ])('happy flow: an entry for %s does not', (_what, entry) => {
    expect(revocationOf(snapshot(entry), TOKEN, NOW)).toBeUndefined();
  });

  test('happy flow: a token without jti is checked on the rest', () => {
    expect(revocationOf(snapshot(item('jti#jti-1')), { sub: 'u', clientId: 'c', iat: NOW }, NOW)).toBeUndefined();
    expect(denyListKey('before', '*')).toBe('before#*');
  });

  test('happy flow: the unavailable line has its fields in order', () => {
    expect(formatDenyListUnavailable({ whenUnavailable: 'allow', level: 'error', msg: 'deny list unavailable', table: 't', cause: 'TIMEOUT', status: null, awsError: null, snapshotAgeSeconds: null })).toBe(
      '{"level":"error","msg":"deny list unavailable","table":"t","cause":"TIMEOUT","status":null,"awsError":null,"snapshotAgeSeconds":null,"whenUnavailable":"allow"}',
    );
  });
});
