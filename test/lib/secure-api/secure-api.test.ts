import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { ApiScope, JwtAuthorizer, SECURE_API_DEFAULTS, SecureApi, SecureApiProps, TokenIssuer } from '../../../lib';

import { cloudWatchLogsKeyStatement } from '../../fixtures/key-policy';

const READ = ApiScope.of('https://api.example.com', 'items.read', 'Read items');

function secureApi(props: Partial<SecureApiProps> = {}) {
  const app = new App();
  const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'eu-west-1' } });
  const userPool = new cognito.UserPool(stack, 'Pool');
  const client = userPool.addClient('Client');
  const api = new SecureApi(stack, 'Api', {
    issuers: [TokenIssuer.cognito({ userPool, clients: [client] })],
    ...props,
  });
  return { app, stack, api };
}

function withItemRoutes(props: Partial<SecureApiProps> = {}) {
  const setup = secureApi(props);
  setup.api.addRoute('GET /items/{id}', new apigw.MockIntegration(), { scopes: [READ] });
  setup.api.addRoute('GET /health', new apigw.MockIntegration(), { public: true });
  return { ...setup, template: () => Template.fromStack(setup.stack) };
}

function gatewayResponse(template: Template, type: string): Record<string, unknown> {
  const found = template.findResources('AWS::ApiGateway::GatewayResponse', { Properties: { ResponseType: type } });
  const [resource] = Object.values(found) as Array<{ Properties: Record<string, unknown> }>;
  expect(resource).toBeDefined();
  return resource!.Properties;
}

describe('SecureApi', () => {
  test('default secure api', () => {
    const template = withItemRoutes().template();

    template.hasResourceProperties('AWS::ApiGateway::RestApi', { EndpointConfiguration: { Types: ['REGIONAL'] } });
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      TracingEnabled: true,
      MethodSettings: [
        {
          HttpMethod: '*',
          ResourcePath: '/*',
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
          MetricsEnabled: true,
          ThrottlingRateLimit: 100,
          ThrottlingBurstLimit: 200,
        },
      ],
      AccessLogSetting: { DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ApiAccessLogs'), 'Arn'] }, Format: Match.anyValue() },
    });
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 365 },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    // Access log, execution log, authorizer decision log, WAF log.
    template.resourceCountIs('AWS::Logs::LogGroup', 4);
    template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 300,
    });
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      ValidateRequestBody: true,
      ValidateRequestParameters: true,
    });
  });

  test('secure api with all props specified', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'eu-west-1' } });
    const userPool = new cognito.UserPool(stack, 'Pool');
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    const certificate = new acm.Certificate(stack, 'Certificate', { domainName: 'api.example.com' });
    const api = new SecureApi(stack, 'Api', {
      issuers: [
        TokenIssuer.cognito({ userPool, clientIds: ['client-a'] }),
        TokenIssuer.oidc({ issuerUrl: 'https://login.example.com', audiences: ['api://items'] }),
      ],
      restApiName: 'items-api',
      description: 'Items',
      stageName: 'v1',
      throttle: { rateLimit: 20, burstLimit: 40 },
      authorizerCacheTtl: Duration.minutes(10),
      authorizerOptions: { clockSkew: Duration.seconds(30), timeout: Duration.seconds(6), tracing: true },
      logRetention: logs.RetentionDays.THREE_MONTHS,
      logEncryptionKey: key,
      logRemovalPolicy: RemovalPolicy.DESTROY,
      executionLogLevel: 'INFO',
      tracingEnabled: false,
      metricsEnabled: false,
      cors: { allowOrigins: ['https://app.example.com'], allowCredentials: true, maxAge: Duration.minutes(5) },
      domain: { domainName: 'api.example.com', certificate },
      disableExecuteApiEndpoint: true,
      allowedSourceIps: ['203.0.113.0/24', '2001:db8::/32'],
      apiGatewayAccount: 'create',
    });
    api.addRoute('GET /items', new apigw.MockIntegration(), { scopes: [READ] });
    const template = Template.fromStack(stack);

    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      Name: 'items-api',
      Description: 'Items',
      DisableExecuteApiEndpoint: true,
      Policy: Match.objectLike({ Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny' })]) }),
    });
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      TracingEnabled: false,
      MethodSettings: [Match.objectLike({ LoggingLevel: 'INFO', MetricsEnabled: false, ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 })],
    });
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 90, KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] } },
      DeletionPolicy: 'Delete',
    });
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', { AuthorizerResultTtlInSeconds: 600 });
    template.hasResourceProperties('AWS::Lambda::Function', { Timeout: 6, TracingConfig: { Mode: 'Active' } });
    template.hasResourceProperties('AWS::ApiGateway::DomainName', { SecurityPolicy: 'TLS_1_2', EndpointConfiguration: { Types: ['REGIONAL'] } });
    template.resourceCountIs('AWS::ApiGateway::BasePathMapping', 1);
    template.hasResource('AWS::ApiGateway::Account', { DeletionPolicy: 'Retain' });
    expect(api.apiGatewayAccount).toBeDefined();
    expect(api.domainName).toBeDefined();
    expect(api.authorizer.configJson).toContain('"clockSkewSeconds":30');
  });

  test('every route is behind the jwt authorizer unless declared public', () => {
    const template = withItemRoutes().template();
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      AuthorizationType: 'CUSTOM',
      AuthorizerId: { Ref: Match.stringLikeRegexp('^ApiJwtAuthorizer') },
      ResourceId: { Ref: Match.stringLikeRegexp('^ApiRestApiitemsid') },
    });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      AuthorizationType: 'NONE',
      AuthorizerId: Match.absent(),
      ResourceId: { Ref: Match.stringLikeRegexp('^ApiRestApihealth') },
    });
  });

  test('methods added directly on the rest api are protected by default, and fail synth until declared in the route table', () => {
    const { stack, api } = withItemRoutes();
    api.restApi.root.addResource('direct').addMethod('POST', new apigw.MockIntegration());
    expect(() => Template.fromStack(stack)).toThrow(
      "POST /direct uses the JWT authorizer but is not in its route table: declare it with SecureApi.addRoute('POST /direct', integration, { scopes }) or JwtAuthorizer.addRoute({ method: 'POST', path: '/direct', scopes })",
    );
    const declared = withItemRoutes();
    declared.api.restApi.root.addResource('direct').addMethod('POST', new apigw.MockIntegration());
    declared.api.authorizer.addRoute({ method: 'POST', path: '/direct', scopes: [READ.fullName] });
    declared.template().hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      AuthorizationType: 'CUSTOM',
      ResourceId: { Ref: Match.stringLikeRegexp('^ApiRestApidirect') },
    });
  });

  test('throws when a method is open without being declared public', () => {
    const { api, template } = withItemRoutes();
    api.restApi.root.addResource('open').addMethod('GET', new apigw.MockIntegration(), {
      authorizationType: apigw.AuthorizationType.NONE,
    });
    expect(() => template()).toThrow(
      "Every method must be protected by the JWT authorizer or declared with addRoute(..., { public: true }) (received: authorizationType NONE on GET /open)",
    );
  });

  test('cors preflight methods are not reported as open', () => {
    const { template } = withItemRoutes({ cors: { allowOrigins: ['https://app.example.com'] } });
    const synthesized = template();
    synthesized.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'OPTIONS',
      AuthorizationType: 'NONE',
      Integration: Match.objectLike({ Type: 'MOCK' }),
    });
  });

  test('throws when authorizer cache ttl exceeds one hour', () => {
    expect(() => secureApi({ authorizerCacheTtl: Duration.hours(2) })).toThrow(
      "'authorizerCacheTtl' must be at most 3600 seconds (received: 7200)",
    );
  });

  test('throws when authorizer cache ttl is not a whole number of seconds', () => {
    expect(() => secureApi({ authorizerCacheTtl: Duration.millis(1500) })).toThrow(
      "'authorizerCacheTtl' must be a whole number of seconds (received: 1.5)",
    );
  });

  test('authorizer cache ttl of one hour is accepted and zero switches caching off', () => {
    const hour = withItemRoutes({ authorizerCacheTtl: Duration.hours(1) }).template();
    hour.hasResourceProperties('AWS::ApiGateway::Authorizer', { AuthorizerResultTtlInSeconds: 3600 });
    const off = withItemRoutes({ authorizerCacheTtl: Duration.seconds(0) }).template();
    off.hasResourceProperties('AWS::ApiGateway::Authorizer', { AuthorizerResultTtlInSeconds: 0 });
  });

  test('access log format holds every audit field and never a body, header or token', () => {
    const template = withItemRoutes().template();
    const [stage] = Object.values(template.findResources('AWS::ApiGateway::Stage')) as Array<{
      Properties: { AccessLogSetting: { Format: string } };
    }>;
    const format = stage!.Properties.AccessLogSetting.Format;
    // One JSON object per request, every value a string: CloudWatch Logs Insights reads it field by field.
    const record = JSON.parse(format) as Record<string, string>;
    expect(Object.values(record).every((value) => typeof value === 'string' && value.startsWith('$context.'))).toBe(true);
    for (const variable of [
      '$context.requestId',
      '$context.extendedRequestId',
      '$context.identity.sourceIp',
      '$context.requestTime',
      '$context.httpMethod',
      '$context.resourcePath',
      '$context.protocol',
      '$context.status',
      '$context.responseLength',
      '$context.responseLatency',
      '$context.authorizer.principalId',
      '$context.authorizer.clientId',
      '$context.authorizer.scopes',
      '$context.authorizer.sub',
      '$context.authorizer.status',
      '$context.authorizer.error',
      '$context.authorizer.latency',
      '$context.authorizer.integrationLatency',
      '$context.authorizer.requestId',
      '$context.waf.status',
      '$context.waf.error',
      '$context.waf.latency',
      '$context.wafResponseCode',
      '$context.integration.status',
      '$context.integration.latency',
      '$context.error.responseType',
    ]) {
      expect(Object.values(record)).toContain(variable);
    }
    expect(format).not.toMatch(/\$input|\$method\.request|body|token|authorization|\$context\.identity\.(accessKey|caller|user\b|cognito)/i);
  });

  test('gateway responses follow RFC 6750 and never reveal internal detail', () => {
    const template = withItemRoutes().template();
    const security = {
      'gatewayresponse.header.Cache-Control': "'no-store'",
      'gatewayresponse.header.X-Content-Type-Options': "'nosniff'",
      'gatewayresponse.header.Strict-Transport-Security': "'max-age=31536000; includeSubDomains'",
    };
    expect(gatewayResponse(template, 'UNAUTHORIZED')).toEqual(
      expect.objectContaining({
        StatusCode: '401',
        ResponseParameters: { ...security, 'gatewayresponse.header.WWW-Authenticate': `'Bearer error="invalid_token"'` },
        ResponseTemplates: { 'application/json': '{"message":"Unauthorized","requestId":"$context.requestId"}' },
      }),
    );
    expect(gatewayResponse(template, 'ACCESS_DENIED')).toEqual(
      expect.objectContaining({
        StatusCode: '403',
        ResponseParameters: { ...security, 'gatewayresponse.header.WWW-Authenticate': `'Bearer error="insufficient_scope"'` },
        ResponseTemplates: { 'application/json': '{"message":"Forbidden","requestId":"$context.requestId"}' },
      }),
    );
    expect(gatewayResponse(template, 'MISSING_AUTHENTICATION_TOKEN')).toEqual(
      expect.objectContaining({ StatusCode: '404', ResponseParameters: security }),
    );
    for (const type of ['THROTTLED', 'QUOTA_EXCEEDED']) {
      expect(gatewayResponse(template, type)).toEqual(
        expect.objectContaining({
          StatusCode: '429',
          ResponseTemplates: { 'application/json': '{"message":"Too Many Requests","requestId":"$context.requestId"}' },
        }),
      );
    }
    expect(gatewayResponse(template, 'DEFAULT_4XX')).toEqual(
      expect.objectContaining({
        ResponseParameters: security,
        ResponseTemplates: { 'application/json': '{"message":$context.error.messageString,"requestId":"$context.requestId"}' },
      }),
    );
    expect(gatewayResponse(template, 'DEFAULT_5XX')).toEqual(
      expect.objectContaining({
        ResponseTemplates: { 'application/json': '{"message":"Internal server error","requestId":"$context.requestId"}' },
      }),
    );
    expect(gatewayResponse(template, 'DEFAULT_5XX').StatusCode).toBeUndefined();
  });

  test('error responses carry cors headers when cors is configured', () => {
    const template = withItemRoutes({
      cors: { allowOrigins: ['https://app.example.com', 'https://admin.example.com'], allowCredentials: true, exposeHeaders: ['X-Request-Id'] },
    }).template();
    for (const type of ['UNAUTHORIZED', 'ACCESS_DENIED', 'THROTTLED', 'DEFAULT_4XX', 'DEFAULT_5XX']) {
      expect(gatewayResponse(template, type).ResponseParameters).toEqual(
        expect.objectContaining({
          'gatewayresponse.header.Access-Control-Allow-Origin': "'https://app.example.com'",
          'gatewayresponse.header.Vary': "'Origin'",
          'gatewayresponse.header.Access-Control-Allow-Credentials': "'true'",
          'gatewayresponse.header.Access-Control-Expose-Headers': "'WWW-Authenticate,X-Request-Id'",
        }),
      );
    }
  });

  test('error responses carry no cors headers without cors', () => {
    const template = withItemRoutes().template();
    expect(Object.keys(gatewayResponse(template, 'UNAUTHORIZED').ResponseParameters as object)).not.toContain(
      'gatewayresponse.header.Access-Control-Allow-Origin',
    );
  });

  test('throws when cors allows any origin with credentials', () => {
    expect(() => secureApi({ cors: { allowOrigins: ['*'], allowCredentials: true } })).toThrow(
      "'cors.allowOrigins' must list explicit origins when 'allowCredentials' is true (received: ['*'])",
    );
  });

  test('throws when a cors origin has a path', () => {
    expect(() => secureApi({ cors: { allowOrigins: ['https://app.example.com/'] } })).toThrow(
      "'cors.allowOrigins' must hold origins of the form scheme://host[:port], without path or trailing slash (received: 'https://app.example.com/')",
    );
  });

  test('kms key policy lets cloudwatch logs of the account and region use the log key', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'eu-west-1' } });
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    const api = new SecureApi(stack, 'Api', {
      issuers: [TokenIssuer.oidc({ issuerUrl: 'https://login.example.com', audiences: ['api'] })],
      logEncryptionKey: key,
    });
    api.addRoute('GET /items', new apigw.MockIntegration(), { scopes: [READ] });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([cloudWatchLogsKeyStatement({ account: '123456789012', region: 'eu-west-1' })]),
      },
    });
    const logGroups = Object.values(template.findResources('AWS::Logs::LogGroup')) as Array<{ Properties: { KmsKeyId?: unknown } }>;
    expect(logGroups).toHaveLength(4);
    expect(logGroups.every((group) => group.Properties.KmsKeyId !== undefined)).toBe(true);
  });

  test('account-level cloudwatch role is created and retained only when asked for', () => {
    const { stack, api } = withItemRoutes({ apiGatewayAccount: 'create' });
    const template = Template.fromStack(stack);
    template.hasResource('AWS::ApiGateway::Account', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    template.hasResource('AWS::IAM::Role', {
      Properties: { AssumeRolePolicyDocument: Match.objectLike({ Statement: [Match.objectLike({ Principal: { Service: 'apigateway.amazonaws.com' } })] }) },
      DeletionPolicy: 'Retain',
    });
    const [stage] = Object.values(template.findResources('AWS::ApiGateway::Stage')) as Array<{ DependsOn?: string[] }>;
    expect(stage!.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^SecureApiGatewayAccount/)]));
    expect(api.restApi.latestDeployment).toBeDefined();
  });

  test('throws when the allowed source ips hold something other than a cidr', () => {
    expect(() => secureApi({ allowedSourceIps: ['203.0.113.0/33'] })).toThrow(
      "'allowedSourceIps' must hold IPv4 or IPv6 addresses or CIDR ranges such as 203.0.113.0/24 (received: '203.0.113.0/33')",
    );
  });

  test('allowed source ips become a resource policy that denies every other address', () => {
    const template = withItemRoutes({ allowedSourceIps: ['198.51.100.7'] }).template();
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      Policy: {
        Statement: [
          { Action: 'execute-api:Invoke', Effect: 'Allow', Principal: { AWS: '*' }, Resource: 'execute-api:/*' },
          {
            Action: 'execute-api:Invoke',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Resource: 'execute-api:/*',
            Condition: { NotIpAddress: { 'aws:SourceIp': ['198.51.100.7'] } },
          },
        ],
        Version: '2012-10-17',
      },
    });
  });

  test('execution logging can be switched off explicitly and full request logging is a named opt-in', () => {
    const template = withItemRoutes({ executionLogLevel: 'OFF', unsafeLogFullRequestsAndResponses: true }).template();
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: [Match.objectLike({ LoggingLevel: 'OFF', DataTraceEnabled: true })],
    });
  });

  test('throws when the stage name holds characters API Gateway refuses', () => {
    expect(() => secureApi({ stageName: 'prod/v1' })).toThrow(
      "'stageName' must be 1-128 letters, digits, hyphens or underscores (received: 'prod/v1')",
    );
  });

  test('throws when the throttle burst limit is fractional', () => {
    expect(() => secureApi({ throttle: { rateLimit: 10, burstLimit: 2.5 } })).toThrow(
      "'throttle.burstLimit' must be a whole number of at least 1 (received: 2.5)",
    );
  });

  test('throws when the custom domain name is not fully qualified', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack');
    const certificate = acm.Certificate.fromCertificateArn(stack, 'Cert', 'arn:aws:acm:eu-west-1:123456789012:certificate/abc');
    expect(
      () =>
        new SecureApi(stack, 'Api', {
          issuers: [TokenIssuer.oidc({ issuerUrl: 'https://login.example.com', audiences: ['api'] })],
          domain: { domainName: 'localhost', certificate },
        }),
    ).toThrow("'domain.domainName' must be a fully qualified domain name (received: 'localhost')");
  });

  test('usage plans bind to the stage and take api keys', () => {
    const { stack, api } = withItemRoutes();
    const key = api.restApi.addApiKey('PartnerKey');
    const plan = api.addUsagePlan('Partners', { throttle: { rateLimit: 5, burstLimit: 10 }, apiKeys: [key] });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      ApiStages: [{ ApiId: { Ref: Match.stringLikeRegexp('^ApiRestApi') }, Stage: { Ref: Match.stringLikeRegexp('^ApiRestApiDeploymentStageprod') } }],
      Throttle: { RateLimit: 5, BurstLimit: 10 },
    });
    template.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 1);
    expect(plan).toBeInstanceOf(apigw.UsagePlan);
  });

  test('metrics carry the api name and stage dimensions with documented statistics', () => {
    const { stack, api } = withItemRoutes();
    const resolve = (value: unknown) => stack.resolve(value);
    const clientErrors = api.metricClientError();
    expect(clientErrors.metricName).toBe('4XXError');
    expect(clientErrors.namespace).toBe('AWS/ApiGateway');
    expect(clientErrors.statistic).toBe('Sum');
    expect(clientErrors.period.toSeconds()).toBe(300);
    expect(Object.keys(clientErrors.dimensions ?? {}).sort()).toEqual(['ApiName', 'Stage']);
    expect(resolve(clientErrors.dimensions?.Stage)).toEqual({ Ref: expect.stringMatching(/^ApiRestApiDeploymentStageprod/) });
    expect(api.metricServerError().metricName).toBe('5XXError');
    expect(api.metricLatency({ statistic: 'p99' }).statistic).toBe('p99');
    expect(api.metricCount().metricName).toBe('Count');
    expect(api.metricIntegrationLatency().metricName).toBe('IntegrationLatency');
    expect(api.metric('CacheHitCount').metricName).toBe('CacheHitCount');
    expect(api.metricAuthorizerErrors().namespace).toBe('AWS/Lambda');
    expect(api.metricAuthorizerDuration().metricName).toBe('Duration');
  });

  test('exposes its resources as typed fields', () => {
    const { api } = withItemRoutes();
    expect(api.authorizerFunction).toBe(api.authorizer.function);
    expect(api.authorizerLogGroup).toBe(api.authorizer.logGroup);
    expect(api.authorizer).toBeInstanceOf(JwtAuthorizer);
    expect(api.authorizer.requestAuthorizer).toBeInstanceOf(apigw.RequestAuthorizer);
    expect(api.stage).toBe(api.restApi.deploymentStage);
    expect(api.url).toBe(api.restApi.url);
    expect(api.accessLogGroup).toBeInstanceOf(logs.LogGroup);
    expect(SECURE_API_DEFAULTS.stageName).toBe('prod');
  });

  test('a client certificate is presented to http backends only', () => {
    const lambdaOnly = withItemRoutes();
    lambdaOnly.template().resourceCountIs('AWS::ApiGateway::ClientCertificate', 0);
    expect(lambdaOnly.api.backendClientCertificate).toBeUndefined();

    const withHttp = withItemRoutes();
    withHttp.api.addRoute('GET /orders', new apigw.HttpIntegration('https://orders.internal.example.com/orders'), { scopes: [READ] });
    const template = withHttp.template();
    template.resourceCountIs('AWS::ApiGateway::ClientCertificate', 1);
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      ClientCertificateId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ApiBackendClientCertificate'), 'ClientCertificateId'] },
    });
    expect(withHttp.api.backendClientCertificate).toBeDefined();
  });

  test('a stage that already presents a client certificate keeps it, and none is created', () => {
    const { api, template } = withItemRoutes();
    api.addRoute('GET /orders', new apigw.HttpIntegration('https://orders.internal.example.com/orders'), { scopes: [READ] });
    (api.stage.node.defaultChild as apigw.CfnStage).clientCertificateId = 'own-certificate';
    const synthesized = template();
    synthesized.resourceCountIs('AWS::ApiGateway::ClientCertificate', 0);
    synthesized.hasResourceProperties('AWS::ApiGateway::Stage', { ClientCertificateId: 'own-certificate' });
    expect(api.backendClientCertificate).toBeUndefined();
  });

  test('waf is on by default, shareable, and off only by the named opt-out', () => {
    withItemRoutes().template().resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
    withItemRoutes({ disableWebAcl: true }).template().resourceCountIs('AWS::WAFv2::WebACL', 0);
    expect(() => withItemRoutes({ disableWebAcl: true, webAclOptions: {} })).toThrow(
      "'webAcl', 'webAclOptions' and 'disableWebAcl' are alternatives: set at most one (received: webAclOptions, disableWebAcl)",
    );
  });

  test('the stack owns the execution log group, with retention, before the stage exists', () => {
    const { stack, api } = withItemRoutes({ logRetention: logs.RetentionDays.SIX_MONTHS });
    const template = Template.fromStack(stack);
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: {
        LogGroupName: { 'Fn::Join': ['', ['API-Gateway-Execution-Logs_', { Ref: Match.stringLikeRegexp('^ApiRestApi') }, '/prod']] },
        RetentionInDays: 180,
      },
      DeletionPolicy: 'Retain',
    });
    template.hasResource('AWS::ApiGateway::Stage', { DependsOn: Match.arrayWith([Match.stringLikeRegexp('^ApiExecutionLogs')]) });
    expect(api.executionLogGroup).toBeDefined();
    expect(withItemRoutes({ executionLogLevel: 'OFF' }).api.executionLogGroup).toBeUndefined();
  });
});

