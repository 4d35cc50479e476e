import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { createFailClosedAuthorizer } from '../../../lambda/authorizer';
import { LogCapture } from '../../fixtures/logs';
import { AuditQueries, REQUEST_ID_PLACEHOLDERS } from '../../../lib/monitoring/audit-queries';
import { MONITORING_DEFAULTS, renderAccessLogFormat, SECURE_API_DEFAULTS } from '../../../lib/defaults';
import { SecureApiWebAcl } from '../../../lib/waf/secure-api-web-acl';

const ENV = { account: '123456789012', region: 'eu-west-1' };

interface Built {
  readonly stack: Stack;
  readonly queries: AuditQueries;
  readonly access: logs.LogGroup;
  readonly decisions: logs.LogGroup;
  readonly waf?: logs.ILogGroup;
}

function build(withWaf: boolean, folder?: string): Built {
  const stack = new Stack(new App(), 'QueriesStack', { env: ENV });
  const access = new logs.LogGroup(stack, 'AccessLogs');
  const decisions = new logs.LogGroup(stack, 'AuthorizerLogs');
  const waf = withWaf ? new SecureApiWebAcl(stack, 'WebAcl').logGroup : undefined;
  const queries = new AuditQueries(stack, 'Queries', { accessLogGroup: access, authorizerLogGroup: decisions, wafLogGroup: waf, folder });
  return { stack, queries, access, decisions, waf };
}

/** Saved queries by name, with their query text and the logical ids of their log groups. */
function savedQueries(stack: Stack): Map<string, { text: string; logGroups: string[] }> {
  const definitions = Template.fromStack(stack).findResources('AWS::Logs::QueryDefinition');
  return new Map(Object.values(definitions).map((d) => [
    d.Properties.Name as string,
    { text: d.Properties.QueryString as string, logGroups: (d.Properties.LogGroupNames as Array<{ Ref: string }>).map((g) => g.Ref) },
  ]));
}

/** Field names a query reads that are not Logs Insights built-ins (`@...`) or nested WAF fields. */
function accessLogFieldsOf(text: string): string[] {
  const fieldsLine = /^fields (.*)$/m.exec(text)?.[1] ?? '';
  return fieldsLine.split(',').map((f) => f.trim()).filter((f) => !f.startsWith('@') && !f.includes('.'));
}

describe('AuditQueries', () => {
  test('default audit queries over the access, decision and waf logs', () => {
    const { stack, queries, access, decisions, waf } = build(true);
    const id = (group: logs.ILogGroup) => stack.getLogicalId(group.node.defaultChild as logs.CfnLogGroup);
    const saved = savedQueries(stack);
    const folder = [...saved.keys()][0]!.split('/').slice(0, 2).join('/');
    expect(folder).toMatch(new RegExp(`^${MONITORING_DEFAULTS.queryFolder}/QueriesStack-Queries-[0-9A-F]{8}$`));
    expect([...saved.keys()].sort()).toEqual(
      ['denied-requests', 'find-request', 'request-trail', 'subject-records', 'throttled-requests', 'waf-blocks', 'who-called-what'].map((n) => `${folder}/${n}`),
    );
    expect(queries.queries).toHaveLength(7);

    expect(saved.get(`${folder}/who-called-what`)).toEqual({
      text: [
        'fields @timestamp, sub, clientId, scopes, httpMethod, resourcePath, status, ip',
        '| stats count(*) as requests, min(@timestamp) as first, max(@timestamp) as last by sub, clientId, httpMethod, resourcePath, status',
        '| sort requests desc',
        '| limit 1000',
      ].join('\n'),
      logGroups: [id(access)],
    });
    expect(saved.get(`${folder}/denied-requests`)).toEqual({
      text: [
        'fields @timestamp, decision, reason, clientId, sub, route, issuer',
        '| filter msg = "authorizer decision"',
        '| filter decision != "allow"',
        '| stats count(*) as denials by clientId, reason, decision, route',
        '| sort denials desc',
        '| limit 1000',
      ].join('\n'),
      logGroups: [id(decisions)],
    });
    expect(saved.get(`${folder}/throttled-requests`)?.text).toContain('| filter status = "429" or status = 429\n| stats count(*) as throttled by ip, clientId, wafResponseCode');
    expect(saved.get(`${folder}/waf-blocks`)).toEqual({
      text: [
        'fields @timestamp, httpRequest.clientIp, httpRequest.country, terminatingRuleId, httpRequest.uri',
        '| filter action = "BLOCK"',
        '| stats count(*) as blocked by httpRequest.clientIp, httpRequest.country, terminatingRuleId',
        '| sort blocked desc',
        '| limit 1000',
      ].join('\n'),
      logGroups: [id(waf!)],
    });
  });

  test('one request is followed across the waf, access and decision logs by its three ids', () => {
    const { stack, access, decisions, waf } = build(true);
    const id = (group: logs.ILogGroup) => stack.getLogicalId(group.node.defaultChild as logs.CfnLogGroup);
    const saved = [...savedQueries(stack).entries()];
    const [, trail] = saved.find(([name]) => name.endsWith('/request-trail'))!;
    expect(trail.logGroups).toEqual([id(access), id(decisions), id(waf!)]);
    expect(trail.text).toContain(
      '| filter requestId = "REQUEST_ID" or extendedRequestId = "EXTENDED_REQUEST_ID" or httpRequest.requestId = "EXTENDED_REQUEST_ID"' +
        ' or (msg = "authorizer decision" and requestId = "AUTHORIZER_REQUEST_ID")',
    );
    expect(trail.text).toContain('| sort @timestamp asc');
    const [, find] = saved.find(([name]) => name.endsWith('/find-request'))!;
    expect(find.logGroups).toEqual([id(access)]);
    expect(find.text).toContain('fields @timestamp, requestId, extendedRequestId, authorizerRequestId,');
    expect(find.text).toContain('| filter requestId = "REQUEST_ID" or extendedRequestId = "REQUEST_ID" or authorizerRequestId = "REQUEST_ID"');
    expect(Object.values(REQUEST_ID_PLACEHOLDERS)).toEqual(['REQUEST_ID', 'EXTENDED_REQUEST_ID', 'AUTHORIZER_REQUEST_ID']);
  });

  test('every access-log field the queries read is a field of the access-log format', () => {
    const { stack } = build(true);
    const accessFields = new Set(Object.keys(SECURE_API_DEFAULTS.accessLogFields));
    for (const [name, query] of savedQueries(stack)) {
      if (/who-called-what|throttled-requests|find-request/.test(name)) {
        for (const field of accessLogFieldsOf(query.text)) {
          expect(accessFields).toContain(field);
        }
      }
    }
    // The join of the request trail rests on these three access-log fields.
    for (const field of ['requestId', 'extendedRequestId', 'authorizerRequestId']) {
      expect(accessFields).toContain(field);
    }
  });

  test('every decision-log field the queries read is a field the authorizer writes', async () => {
    const { stack } = build(true);
    // A decision line as the runtime writes it: every field that is always present.
    const logs = new LogCapture();
    await expect(createFailClosedAuthorizer({ log: logs.log }).handle({}, { awsRequestId: 'r' })).rejects.toThrow('Unauthorized');
    expect(logs.lines).toHaveLength(1);
    const line = JSON.parse(logs.lines[0]!) as Record<string, unknown>;
    const [, denied] = [...savedQueries(stack).entries()].find(([name]) => name.endsWith('/denied-requests'))!;
    for (const field of [...accessLogFieldsOf(denied.text), 'msg', 'requestId']) {
      expect(Object.keys(line)).toContain(field);
    }
    expect(line.msg).toBe('authorizer decision');
  });

  test('no query reads a token, an authorization header or a body', () => {
    const { stack } = build(true);
    for (const query of savedQueries(stack).values()) {
      expect(query.text).not.toMatch(/authorization|token|body|cookie|headers/i);
    }
  });

  test('the access-log format the queries read records no body, header value or token', () => {
    const format = renderAccessLogFormat(SECURE_API_DEFAULTS.accessLogFields);
    expect(format).not.toMatch(/\$input|\$context\.requestOverride|\.body|header|authorization|token|cookie/i);
  });

  test('audit queries without a web acl and in a folder of your own', () => {
    const { stack, queries, access, decisions } = build(false, 'incident/orders');
    const id = (group: logs.ILogGroup) => stack.getLogicalId(group.node.defaultChild as logs.CfnLogGroup);
    const saved = savedQueries(stack);
    expect([...saved.keys()].sort()).toEqual(
      ['denied-requests', 'find-request', 'request-trail', 'subject-records', 'throttled-requests', 'who-called-what'].map((n) => `incident/orders/${n}`),
    );
    expect(queries.wafBlocks).toBeUndefined();
    expect(saved.get('incident/orders/request-trail')?.logGroups).toEqual([id(access), id(decisions)]);
  });
});
