import { formatKeyRefreshFailure, KEY_REFRESH_FAILED_MSG, KEY_REFRESH_LOG_FIELDS, type KeyRefreshFailureRecord } from '../../../lambda/contract/key-refresh-log';

describe('the key-refresh vocabulary', () => {
  test('the message the metric filters select is literally "key refresh failed"', () => {
    expect(KEY_REFRESH_FAILED_MSG).toBe('key refresh failed');
  });

  test('the field names are a frozen object whose keys are its values', () => {
    expect(Object.isFrozen(KEY_REFRESH_LOG_FIELDS)).toBe(true);
    expect(Object.entries(KEY_REFRESH_LOG_FIELDS).every(([k, v]) => k === v)).toBe(true);
  });

  test('formatKeyRefreshFailure writes every field in the documented order and nothing else', () => {
    const record = {
      keysWithinGrace: false, retryInMs: 30_000, failures: 1, status: null, cause: 'TIMEOUT', step: 'jwks', issuer: 'https://idp.example.test',
      msg: KEY_REFRESH_FAILED_MSG, level: 'error', body: '<html>Sign in</html>',
    } as KeyRefreshFailureRecord;
    const line = JSON.parse(formatKeyRefreshFailure(record));
    expect(Object.keys(line)).toEqual(['level', 'msg', 'issuer', 'step', 'cause', 'status', 'failures', 'retryInMs', 'keysWithinGrace']);
    expect(Object.keys(line)).toEqual(Object.values(KEY_REFRESH_LOG_FIELDS));
    expect(line).not.toHaveProperty('body');
  });
});
