import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { encodeText } from '../../../lambda/contract';
import { CliError, ExitCode } from '../../../lib/cli/errors';
import { PSEUDONYM_PREFIX, pseudonym, pseudonymKey } from '../../../lib/cli/pseudonym';
import { queryString, subjectQueryString } from '../../../lib/cli/subject-query';
import { AuditQueries, SUBJECT_PLACEHOLDERS } from '../../../lib/monitoring/audit-queries';

describe('pseudonym', () => {
  // Fixed vectors, computed independently (Python's hmac and base64.urlsafe_b64encode, padding removed);
  // the authorizer's pseudonym must give the same values.
  const KEY = 'secure-api-pseudonym-test-key-0123456789abcdefghijklmnopqrstuvwx';

  test.each([
    ['f81d4fae-7dec-11d0-a765-00a0c91e6bf6', 'ps1_MiilJE_lyhXxZ2MUv9P1qbyj8HnAb4MDEwIWhdoa_nk'],
    ['zoë"\n', 'ps1_g_SaN_s9NKVOv6xPVvUfJ0MRyRr6TI96ezy_2zVWmBk'],
    ['', 'ps1_hTHaUQv1o2GcOWQgEUaXn_ReG461bcy9PaI6_8ThkgE'],
  ])('happy flow: pseudonym of %j under the 64-character test key', (value, expected) => {
    expect(pseudonym(pseudonymKey(KEY), value)).toBe(expected);
  });

  test('happy flow: the key is the UTF-8 bytes of the secret string, and the output is prefix plus unpadded base64url', () => {
    expect(pseudonymKey('é')).toEqual(new Uint8Array([0xc3, 0xa9]));
    expect(pseudonym(pseudonymKey(KEY), 'x')).toMatch(new RegExp(`^${PSEUDONYM_PREFIX}[A-Za-z0-9_-]{43}$`));
    expect(pseudonym(pseudonymKey(`${KEY}!`), 'x')).not.toBe(pseudonym(pseudonymKey(KEY), 'x'));
  });
});

describe('subject query', () => {
  test('error flow: a value that could end its string is refused, never written into the query', () => {
    for (const value of ['a"b', 'a\\b', 'a\nb', 'a\u202eb', 'a\u0000b']) {
      let error: unknown;
      try {
        queryString(value);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(CliError);
      expect(error).toMatchObject({ code: 'ERR_UNSAFE_QUERY_VALUE', exitCode: ExitCode.Internal });
    }
  });

  test('happy flow: encoded identifiers are always safe in the query, whatever the token held', () => {
    const hostile = '"] or 1=1 \\ \n\r\u2028\u202e\ud800 | limit 1';
    expect(queryString(encodeText(hostile))).toBe(`"${encodeText(hostile)}"`);
    expect(subjectQueryString({ subjects: [encodeText(hostile)] }).split('\n')).toHaveLength(4);
  });

  test('happy flow: by default the saved subject-records query is the CLI query with the placeholders as values', () => {
    const stack = new Stack(new App(), 'Stack');
    const group = (id: string): logs.LogGroup => new logs.LogGroup(stack, id);
    const queries = new AuditQueries(stack, 'Queries', {
      accessLogGroup: group('Access'),
      authorizerLogGroup: group('Decisions'),
      wafLogGroup: group('Waf'),
      folder: 'audit',
    });

    const saved = Template.fromStack(stack).findResources('AWS::Logs::QueryDefinition', { Properties: { Name: 'audit/subject-records' } });
    const [definition] = Object.values(saved);
    expect(definition!.Properties.LogGroupNames).toHaveLength(3);
    expect(definition!.Properties.QueryString).toBe(
      subjectQueryString({
        subjects: [SUBJECT_PLACEHOLDERS.subject],
        usernames: [SUBJECT_PLACEHOLDERS.username],
        clients: [SUBJECT_PLACEHOLDERS.clientId],
        extendedRequestIds: [SUBJECT_PLACEHOLDERS.extendedRequestId],
      }),
    );
    expect(queries.queries).toContain(queries.subjectRecords);
  });

  test('happy flow: with subjectRecords: false, no subject query is saved', () => {
    const stack = new Stack(new App(), 'Stack');
    const queries = new AuditQueries(stack, 'Queries', { accessLogGroup: new logs.LogGroup(stack, 'A'), authorizerLogGroup: new logs.LogGroup(stack, 'D'), subjectRecords: false });
    expect(queries.subjectRecords).toBeUndefined();
  });
});
