import { App, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { Template } from 'aws-cdk-lib/assertions';
import {
  ACCESS_LOG_VARIABLES,
  ApiScope,
  SECURE_API_DEFAULTS,
  SecureApi,
  SecureApiValidationError,
  TokenIssuer,
  renderAccessLogFormat,
} from '../../../lib';
import { encodeText } from '../../../lambda/contract/decision-log';

/*
 * The substitution rule API Gateway follows for access logs: each `$context` variable is replaced by its
 * value as it is (no escaping), and by `-` when it has no value. `$context.error.messageString` is the
 * message between quotes. What a variable can hold is stated below from the API Gateway documentation;
 * a variable not listed there carries arbitrary client text, so a variable added to the format without
 * a documented constraint is attacked with every hostile value.
 */

/** Client text that tries to break the line or forge fields. */
const HOSTILE: readonly string[] = [
  '"',
  '\\',
  '\\"',
  '","status":"200',
  'x","sub":"admin","forged":"1',
  '"}',
  '"}\n{"status":"200","sub":"admin"}',
  'a\nb\r\tc\u0000d\u001f',
  '\u2028\u2029',
  'é 😀 \ud800 \udfff',
  '\\u0022,\\"status\\":\\"200',
  '-',
  '"'.repeat(8192),
  'A'.repeat(8192),
];

const UUID = '6f1c1c34-6e3b-4b7e-9a4e-2f0c1b3a5d71';
const NUMBER = ['0', '42', '29999', '2147483647'];
const STATUS = ['200', '401', '403', '429', '500', '504'];

/** What API Gateway can insert for the variables whose values it constrains or generates itself. */
const CONSTRAINED: Readonly<Record<string, (hostile: string) => readonly string[]>> = {
  '$context.requestId': () => [UUID, `${UUID}_REPLACED_INVALID_REQUEST_ID`],
  '$context.extendedRequestId': () => ['KyDfdgZ9oAMEYpA=', 'Ab+/cD0xYz9AbC='],
  '$context.requestTime': () => ['04/Dec/2026:15:10:45 +0000'],
  '$context.requestTimeEpoch': () => ['1796483445123'],
  '$context.identity.sourceIp': () => ['203.0.113.7', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff'],
  '$context.httpMethod': () => ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'],
  '$context.resourcePath': () => ['/', '/items/{id}', '/files/{proxy+}'],
  '$context.protocol': () => ['HTTP/1.1', 'HTTP/2.0'],
  '$context.stage': () => ['prod'],
  '$context.status': () => STATUS,
  '$context.responseLength': () => NUMBER,
  '$context.responseLatency': () => NUMBER,
  // What the authorizer hands API Gateway: token values through its encoding (the real one).
  '$context.authorizer.principalId': (hostile) => [encodeText(hostile)],
  '$context.authorizer.clientId': (hostile) => [encodeText(hostile)],
  '$context.authorizer.scopes': (hostile) => [['items/read', hostile].map((scope) => encodeText(scope, ' ')).join(' ')],
  '$context.authorizer.sub': (hostile) => [encodeText(hostile)],
  '$context.authorizer.scopesTruncated': () => ['true'],
  '$context.authorizer.status': () => STATUS,
  '$context.authorizer.error': () => ['Unauthorized', 'Internal server error', 'Task timed out after 5.00 seconds'],
  '$context.authorizer.latency': () => NUMBER,
  '$context.authorizer.integrationLatency': () => NUMBER,
  '$context.authorizer.requestId': () => [UUID],
  '$context.waf.status': () => STATUS,
  '$context.waf.error': () => ['WAF timed out'],
  '$context.waf.latency': () => NUMBER,
  '$context.wafResponseCode': () => ['WAF_ALLOW', 'WAF_BLOCK'],
  '$context.integration.status': () => STATUS,
  '$context.integration.latency': () => NUMBER,
  '$context.integration.requestId': () => [UUID],
  '$context.error.responseType': () => ['UNAUTHORIZED', 'ACCESS_DENIED', 'THROTTLED', 'WAF_FILTERED', 'DEFAULT_4XX'],
};

const VARIABLE = /\$context\.[A-Za-z0-9_.]*[A-Za-z0-9_]/g;

/** Values of one request; a variable left out has no value. */
type RequestValues = Readonly<Record<string, string | undefined>>;

/** Writes the log line of one request as API Gateway does. */
function substitute(format: string, values: RequestValues): string {
  return format.replace(VARIABLE, (variable) => {
    if (variable === '$context.error.messageString') {
      const message = values['$context.error.message'];
      return message === undefined ? '-' : `"${message}"`;
    }
    return values[variable] ?? '-';
  });
}

/** The value the log line must show for a field: what API Gateway inserted, or `-`. */
function expected(variable: string, values: RequestValues): string {
  return values[variable] ?? '-';
}

/** Every request the test sends: one benign request, one with no values, then each hostile value in each variable. */
function* requests(variables: readonly string[]): Generator<{ label: string; values: RequestValues }> {
  const benign: Record<string, string> = {};
  for (const variable of variables) {
    benign[variable] = CONSTRAINED[variable]?.('client-1')[0] ?? 'curl/8.5.0';
  }
  yield { label: 'benign request', values: benign };
  yield { label: 'request where no variable has a value', values: {} };
  for (const variable of variables) {
    for (const hostile of HOSTILE) {
      for (const value of CONSTRAINED[variable]?.(hostile) ?? [hostile]) {
        yield { label: `${variable} = ${JSON.stringify(value.slice(0, 40))}`, values: { ...benign, [variable]: value } };
      }
    }
  }
}

/**
 * Writes one line per request and checks each: it parses as one JSON object whose keys are exactly the
 * format's fields, in order, each holding what API Gateway inserted for its variable.
 *
 * @returns one description per line that breaks or forges; empty when every line is sound
 */
function violations(fields: Readonly<Record<string, string>>, format: string): string[] {
  const found: string[] = [];
  const variables = [...new Set(format.match(VARIABLE) ?? [])];
  for (const { label, values } of requests(variables)) {
    const line = substitute(format, values);
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      found.push(`${label}: not JSON`);
      continue;
    }
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      found.push(`${label}: not an object`);
      continue;
    }
    const keys = Object.keys(record);
    if (keys.join() !== Object.keys(fields).join()) {
      found.push(`${label}: fields ${keys.join()}`);
    }
    for (const [name, variable] of Object.entries(fields)) {
      if ((record as Record<string, unknown>)[name] !== expected(variable, values)) {
        found.push(`${label}: ${name} overwritten`);
      }
    }
  }
  return found;
}

/** The access-log fields before audit lines were made unforgeable, kept to prove the check can fail. */
const FIELDS_BEFORE: Readonly<Record<string, string>> = {
  requestId: '$context.requestId',
  extendedRequestId: '$context.extendedRequestId',
  requestTime: '$context.requestTime',
  requestTimeEpoch: '$context.requestTimeEpoch',
  ip: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  httpMethod: '$context.httpMethod',
  resourcePath: '$context.resourcePath',
  path: '$context.path',
  protocol: '$context.protocol',
  domainName: '$context.domainName',
  stage: '$context.stage',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  principalId: '$context.authorizer.principalId',
  clientId: '$context.authorizer.clientId',
  scopes: '$context.authorizer.scopes',
  sub: '$context.authorizer.sub',
  authorizerStatus: '$context.authorizer.status',
  authorizerError: '$context.authorizer.error',
  authorizerLatency: '$context.authorizer.latency',
  authorizerIntegrationLatency: '$context.authorizer.integrationLatency',
  authorizerRequestId: '$context.authorizer.requestId',
  wafStatus: '$context.waf.status',
  wafError: '$context.waf.error',
  wafLatency: '$context.waf.latency',
  wafResponseCode: '$context.wafResponseCode',
  xrayTraceId: '$context.xrayTraceId',
  integrationStatus: '$context.integration.status',
  integrationLatency: '$context.integration.latency',
  integrationError: '$context.integration.error',
  integrationRequestId: '$context.integration.requestId',
  errorMessage: '$context.error.message',
  errorResponseType: '$context.error.responseType',
};

function synthesizedFormat(): string {
  const app = new App();
  const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'eu-west-1' } });
  const api = new SecureApi(stack, 'Api', {
    issuers: [TokenIssuer.oidc({ issuerUrl: 'https://login.example.com', audiences: ['api'] })],
  });
  api.addRoute('GET /items/{id}', new apigw.MockIntegration(), { scopes: [ApiScope.of('https://api.example.com', 'items.read', 'Read')] });
  const [stage] = Object.values(Template.fromStack(stack).findResources('AWS::ApiGateway::Stage')) as Array<{
    Properties: { AccessLogSetting: { Format: string } };
  }>;
  return stage!.Properties.AccessLogSetting.Format;
}

describe('access log format', () => {
  let deployed: string;
  beforeAll(() => {
    deployed = synthesizedFormat();
  });

  test('every line of the deployed format is one JSON object with exactly its fields, whatever the client sends', () => {
    const format = deployed;
    expect(format).toBe(renderAccessLogFormat(SECURE_API_DEFAULTS.accessLogFields));
    expect(violations(SECURE_API_DEFAULTS.accessLogFields, format)).toEqual([]);
  });

  test('the deployed format keeps every audit field the product promises and no client-controlled free text', () => {
    const variables = Object.values(JSON.parse(deployed) as Record<string, string>);
    for (const promised of [
      '$context.requestId',
      '$context.extendedRequestId',
      '$context.identity.sourceIp',
      '$context.authorizer.principalId',
      '$context.authorizer.clientId',
      '$context.authorizer.scopes',
      '$context.authorizer.status',
      '$context.authorizer.error',
      '$context.authorizer.latency',
      '$context.waf.status',
      '$context.waf.error',
      '$context.waf.latency',
      '$context.wafResponseCode',
      '$context.integration.status',
      '$context.integration.latency',
      '$context.status',
      '$context.resourcePath',
      '$context.httpMethod',
    ]) {
      expect(variables).toContain(promised);
    }
    for (const clientText of [
      '$context.identity.userAgent',
      '$context.path',
      '$context.domainName',
      '$context.xrayTraceId',
      '$context.error.message',
      '$context.error.messageString',
      '$context.integration.error',
    ]) {
      expect(variables).not.toContain(clientText);
    }
  });

  test('the check catches a client breaking the line and forging fields in the format before this change', () => {
    const found = violations(FIELDS_BEFORE, JSON.stringify(FIELDS_BEFORE));
    expect(found).toContain('$context.identity.userAgent = "\\"": not JSON');
    expect(found).toContain('$context.path = "\\"}\\n{\\"status\\":\\"200\\",\\"sub\\":\\"admin\\"}": not JSON');
    // The client's `sub` replaces the authorizer's: JSON.parse keeps the last of two equal keys.
    const forgery = '$context.error.message = "x\\",\\"sub\\":\\"admin\\",\\"forged\\":\\"1"';
    expect(found).toContain(`${forgery}: sub overwritten`);
    expect(found.filter((v) => v.startsWith(`${forgery}: fields `) && v.includes(',forged,'))).toHaveLength(1);
    expect(found.filter((v) => v.startsWith('$context.xrayTraceId')).length).toBeGreaterThan(0);
    expect(found.filter((v) => v.startsWith('$context.integration.error')).length).toBeGreaterThan(0);
  });

  test('an authorizer that returned raw claims would let a token forge fields: the check relies on its encoding', () => {
    const fields = { sub: '$context.authorizer.sub', status: '$context.status' };
    const raw = JSON.stringify(fields);
    const line = substitute(raw, { '$context.authorizer.sub': 'x","status":"200', '$context.status': '403' });
    expect(JSON.parse(line)).toEqual({ sub: 'x', status: '403' });
    expect(encodeText('x","status":"200')).toBe('x%22,%22status%22:%22200');
    expect(JSON.parse(substitute(raw, { '$context.authorizer.sub': encodeText('x","status":"200'), '$context.status': '403' })))
      .toEqual({ sub: 'x%22,%22status%22:%22200', status: '403' });
  });

  test('error.messageString cannot stand anywhere: unquoted it breaks every request without an error', () => {
    const fields = { requestId: '$context.requestId', errorMessage: '$context.error.messageString' };
    const unquoted = '{"requestId":"$context.requestId","errorMessage":$context.error.messageString}';
    expect(() => JSON.parse(substitute(unquoted, { '$context.requestId': UUID }))).toThrow(SyntaxError);
    expect(() => JSON.parse(substitute(JSON.stringify(fields), { '$context.requestId': UUID, '$context.error.message': 'Forbidden' }))).toThrow(SyntaxError);
    expect(() => renderAccessLogFormat(fields)).toThrow(
      "'accessLogFields.errorMessage' must be a $context variable whose every value is safe between JSON quotes (one of ACCESS_LOG_VARIABLES), " +
        "as API Gateway inserts values unescaped and a client-controlled one could break the line or forge fields (received: '$context.error.messageString')",
    );
  });

  test('throws when a field holds a client-controlled variable', () => {
    const render = () => renderAccessLogFormat({ ...SECURE_API_DEFAULTS.accessLogFields, userAgent: '$context.identity.userAgent' });
    expect(render).toThrow(SecureApiValidationError);
    expect(render).toThrow(
      "'accessLogFields.userAgent' must be a $context variable whose every value is safe between JSON quotes (one of ACCESS_LOG_VARIABLES), " +
        "as API Gateway inserts values unescaped and a client-controlled one could break the line or forge fields (received: '$context.identity.userAgent')",
    );
  });

  test('every vetted variable has a documented value domain in this test, so the check attacks the ones it does not know', () => {
    expect(Object.keys(ACCESS_LOG_VARIABLES).sort()).toEqual(Object.keys(CONSTRAINED).sort());
  });
});
