import { clfTime, renderAccessLogLine } from '../../../../lib/cli/serve/access-log';

describe('renderAccessLogLine', () => {
  test('known variables take their values; unknown and empty ones render -, as API Gateway writes them', () => {
    const values = new Map<string, string | number | undefined>([
      ['requestId', 'r-1'],
      ['status', 200],
      ['identity.sourceIp', '127.0.0.1'],
      ['authorizer.claims.sub', 'alice'],
      ['error.message', ''],
    ]);
    expect(renderAccessLogLine('$context.identity.sourceIp [$context.requestId] $context.status $context.authorizer.claims.sub $context.error.message $context.identity.caller $context.status.', values)).toBe(
      '127.0.0.1 [r-1] 200 alice - - 200.',
    );
  });

  test('a JSON format stays JSON whatever a value holds', () => {
    const line = renderAccessLogLine('{"ua":"$context.identity.userAgent","path":"$context.path"}', new Map([['identity.userAgent', 'x" , "admin":"true\\\n'], ['path', '/prod/items']]));
    expect(JSON.parse(line)).toEqual({ ua: 'x" , "admin":"true\\\n', path: '/prod/items' });
  });
});

test('clfTime is the CLF time in UTC', () => {
  expect(clfTime(Date.UTC(2026, 11, 5, 8, 3, 9))).toBe('05/Dec/2026:08:03:09 +0000');
});
