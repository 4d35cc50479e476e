import { App, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ApiScope, SECURE_API_DEFAULTS, SecureApi, TokenIssuer, renderAccessLogFormat } from '../../lib';

/** One SecureApi with every prop left at its default, shared by the checks below. */
function defaultApi() {
  const app = new App();
  const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'eu-west-1' } });
  const api = new SecureApi(stack, 'Api', {
    issuers: [TokenIssuer.oidc({ issuerUrl: 'https://login.example.com', audiences: ['api'] })],
    cors: { allowOrigins: ['https://app.example.com'] },
  });
  api.addRoute('GET /items', new apigw.MockIntegration(), { scopes: [ApiScope.of('https://api.example.com', 'items.read', 'Read')] });
  return { api, template: Template.fromStack(stack) };
}

const { api, template } = defaultApi();
const config = JSON.parse(api.authorizer.configJson);
const d = SECURE_API_DEFAULTS;

describe('SECURE_API_DEFAULTS reach the template', () => {
  test('stage name, tracing, metrics, execution logging and throttling', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: d.stageName,
      TracingEnabled: d.tracingEnabled,
      MethodSettings: [
        Match.objectLike({
          LoggingLevel: d.executionLogLevel,
          MetricsEnabled: d.metricsEnabled,
          DataTraceEnabled: false,
          ThrottlingRateLimit: d.throttle.rateLimit,
          ThrottlingBurstLimit: d.throttle.burstLimit,
        }),
      ],
    });
  });

  test('access log format', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      AccessLogSetting: Match.objectLike({ Format: renderAccessLogFormat(d.accessLogFields) }),
    });
  });

  test('log retention and removal policy of every log group', () => {
    const groups = Object.values(template.findResources('AWS::Logs::LogGroup')) as Array<{
      Properties: { RetentionInDays: number };
      DeletionPolicy: string;
    }>;
    // Access log, execution log, authorizer decision log, WAF log.
    expect(groups).toHaveLength(4);
    for (const group of groups) {
      expect(group.Properties.RetentionInDays).toBe(d.logRetention);
      expect(group.DeletionPolicy).toBe('Retain');
    }
    expect(d.logRemovalPolicy).toBe('retain');
  });

  test('authorizer cache ttl', () => {
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', { AuthorizerResultTtlInSeconds: d.authorizerCacheTtl.toSeconds() });
  });

  test('authorizer function memory, timeout and tracing', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: d.authorizer.memorySize.toMebibytes(),
      Timeout: d.authorizer.timeout.toSeconds(),
      TracingConfig: d.authorizer.tracing ? { Mode: 'Active' } : Match.absent(),
    });
  });

  test('authorizer verification settings in config.json', () => {
    expect(config.clockSkewSeconds).toBe(d.authorizer.clockSkew.toSeconds());
    expect(config.keys).toEqual({
      fetchTimeoutMs: d.authorizer.keyFetchTimeout.toMilliseconds(),
      maxAgeSeconds: d.authorizer.keyMaxAge.toSeconds(),
      cooldownSeconds: d.authorizer.keyCooldown.toSeconds(),
      graceSeconds: d.authorizer.keyGracePeriod.toSeconds(),
    });
    expect(config.issuers[0].algorithms).toEqual(d.authorizer.algorithms);
  });

  test('api gateway account setting is left to the account', () => {
    expect(d.apiGatewayAccount).toBe('existing');
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
  });

  test('hsts max age on gateway responses', () => {
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'UNAUTHORIZED',
      ResponseParameters: Match.objectLike({
        'gatewayresponse.header.Strict-Transport-Security': `'max-age=${d.hstsMaxAge.toSeconds()}; includeSubDomains'`,
      }),
    });
  });

  test('cors allowed headers and max age on preflight responses', () => {
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'OPTIONS',
      Integration: Match.objectLike({
        IntegrationResponses: [
          Match.objectLike({
            ResponseParameters: Match.objectLike({
              'method.response.header.Access-Control-Allow-Headers': `'${d.cors.allowHeaders.join(',')}'`,
              'method.response.header.Access-Control-Max-Age': `'${d.cors.maxAge.toSeconds()}'`,
            }),
          }),
        ],
      }),
    });
  });

  test('limits are the documented ones', () => {
    expect(d.limits.maxAuthorizerCacheTtl.toSeconds()).toBe(3600);
    expect(d.limits.maxClockSkew.toSeconds()).toBe(300);
    expect(d.limits.lambdaEnvironmentBytes).toBe(4096);
  });
});
