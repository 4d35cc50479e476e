import { App, Stack, Validations } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { PUBLIC_ROUTE_DECLARATION } from '../../../lib/secure-api/acknowledgements';
import { declarePublic, PUBLIC_DECLARATION_METADATA_KEY } from '../../../lib/standard/declarations';
import { checkTemplates, SecureApiStandard } from '../../../lib/standard/secure-api-standard';
import { StackTemplate } from '../../../lib/standard/template';
import { ENV, SCENARIOS } from '../scenarios';

/** A team's stack wired by hand: one of everything the standard looks at, each rule failing once and passing once. */
function handWired(app: App): Stack {
  const stack = new Stack(app, 'HandWired', { env: ENV });
  const pool = new cognito.UserPool(stack, 'Pool');
  const rest = new apigw.RestApi(stack, 'Rest', { deployOptions: { stageName: 'prod' } });
  const cognitoAuthorizer = new apigw.CognitoUserPoolsAuthorizer(stack, 'PoolAuthorizer', { cognitoUserPools: [pool] });
  const orders = rest.root.addResource('orders');
  orders.addMethod('GET', new apigw.MockIntegration(), { authorizer: cognitoAuthorizer, authorizationType: apigw.AuthorizationType.COGNITO, authorizationScopes: ['orders/read'] });
  orders.addMethod('POST', new apigw.MockIntegration(), { authorizer: cognitoAuthorizer, authorizationType: apigw.AuthorizationType.COGNITO });
  orders.addMethod('DELETE', new apigw.MockIntegration());
  const health = rest.root.addResource('health').addMethod('GET', new apigw.MockIntegration());
  declarePublic(health, 'Load balancer health check, returns a constant');

  const http = new apigwv2.HttpApi(stack, 'Http');
  const jwt = new HttpJwtAuthorizer('Jwt', 'https://login.example.com/', { jwtAudience: ['api'] });
  http.addRoutes({ path: '/partners', methods: [apigwv2.HttpMethod.GET], integration: new HttpUrlIntegration('Partners', 'https://backend.example.com/p'), authorizer: jwt });
  http.addRoutes({ path: '/open', methods: [apigwv2.HttpMethod.POST], integration: new HttpUrlIntegration('Open', 'https://backend.example.com/o') });

  const fn = new lambda.Function(stack, 'Fn', { runtime: lambda.Runtime.NODEJS_20_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler=async()=>({})') });
  fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
  const signed = new lambda.Function(stack, 'Signed', { runtime: lambda.Runtime.NODEJS_20_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler=async()=>({})') });
  signed.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
  new logs.LogGroup(stack, 'Forever', { retention: logs.RetentionDays.INFINITE });
  new logs.LogGroup(stack, 'Month', { retention: logs.RetentionDays.ONE_MONTH });

  // A second REST API that meets the stage rules: throttled, access-logged, behind a web ACL; with a TLS 1.2 domain.
  const audit = new logs.LogGroup(stack, 'Audit', { retention: logs.RetentionDays.ONE_YEAR });
  const guarded = new apigw.RestApi(stack, 'Guarded', {
    deployOptions: {
      stageName: 'live',
      throttlingRateLimit: 50,
      throttlingBurstLimit: 100,
      accessLogDestination: new apigw.LogGroupLogDestination(audit),
      accessLogFormat: apigw.AccessLogFormat.custom(JSON.stringify({ id: '$context.requestId', ip: '$context.identity.sourceIp', who: '$context.authorizer.principalId', status: '$context.status', authz: '$context.authorizer.status', waf: '$context.waf.status' })),
    },
    defaultCorsPreflightOptions: { allowOrigins: ['https://app.example.com'], allowCredentials: true },
    domainName: { domainName: 'api.example.com', certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', 'arn:aws:acm:eu-west-1:123456789012:certificate/abc'), securityPolicy: apigw.SecurityPolicy.TLS_1_2 },
  });
  const tokenAuthorizer = new apigw.TokenAuthorizer(stack, 'TokenAuth', { handler: fn });
  const routeKeyed = new apigw.RequestAuthorizer(stack, 'RouteKeyed', { handler: fn, identitySources: [apigw.IdentitySource.header('Authorization'), apigw.IdentitySource.context('httpMethod'), apigw.IdentitySource.context('resourcePath')] });
  guarded.root.addMethod('GET', new apigw.MockIntegration(), { authorizer: tokenAuthorizer });
  guarded.root.addResource('keyed').addMethod('GET', new apigw.MockIntegration(), { authorizer: routeKeyed });
  const acl = new wafv2.CfnWebACL(stack, 'Acl', { defaultAction: { allow: {} }, scope: 'REGIONAL', visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'acl', sampledRequestsEnabled: true } });
  new wafv2.CfnWebACLAssociation(stack, 'AclAssociation', { webAclArn: acl.attrArn, resourceArn: guarded.deploymentStage.stageArn });
  new apigw.DomainName(stack, 'OldDomain', { domainName: 'old.example.com', certificate: acm.Certificate.fromCertificateArn(stack, 'OldCert', 'arn:aws:acm:eu-west-1:123456789012:certificate/old'), securityPolicy: apigw.SecurityPolicy.TLS_1_0 });

  // The Rest API's stage: traced, unthrottled, unlogged, no web ACL; a preflight open to any origin with credentials.
  const traced = rest.deploymentStage.node.defaultChild as apigw.CfnStage;
  traced.methodSettings = [{ resourcePath: '/*', httpMethod: '*', dataTraceEnabled: true }];
  rest.root.addResource('public-cors').addCorsPreflight({ allowOrigins: ['*'], allowCredentials: true });
  new apigwv2.HttpApi(stack, 'OpenCors', { corsPreflight: { allowOrigins: ['*'], allowCredentials: false } });
  pool.addClient('Spa', { oAuth: { flows: { implicitCodeGrant: true } } });
  pool.addClient('Web', { oAuth: { flows: { authorizationCodeGrant: true } } });
  return stack;
}

function templatesOf(app: App): StackTemplate[] {
  const assembly = app.synth();
  return assembly.stacks.map((stack) => new StackTemplate(stack.templateFullPath, stack.template));
}

const verdicts = (templates: StackTemplate[]) =>
  checkTemplates(templates).flatMap(({ rule, findings }) => findings.map((finding) => `${rule.id} ${finding.resource.logicalId} ${finding.compliant ? 'pass' : 'FAIL'}`));

describe('SecureApiStandard', () => {
  test('every rule fails and passes on a hand-wired stack exactly where it should', () => {
    const app = new App();
    handWired(app);
    const results = verdicts(templatesOf(app));
    const failures = results.filter((line) => line.endsWith('FAIL'));
    expect(failures.map((line) => line.replace(/[0-9A-F]{8} FAIL$/, ' FAIL'))).toEqual([
      'SecureApi-AuthOnEveryMethod RestordersPOST FAIL',
      'SecureApi-AuthOnEveryMethod RestordersDELETE FAIL',
      'SecureApi-HttpApiRouteAuth HttpPOSTopen FAIL',
      'SecureApi-FunctionUrlAuth FnFunctionUrl FAIL',
      'SecureApi-StageWebAcl RestDeploymentStageprod FAIL',
      'SecureApi-StageThrottling RestDeploymentStageprod FAIL',
      'SecureApi-AccessLogging RestDeploymentStageprod FAIL',
      'SecureApi-NoDataTrace RestDeploymentStageprod FAIL',
      'SecureApi-LogRetention Forever FAIL',
      'SecureApi-DomainTls OldDomain FAIL',
      'SecureApi-CorsCredentials RestpubliccorsOPTIONS FAIL',
      'SecureApi-CognitoClient PoolSpa FAIL',
      'SecureApi-AuthorizerCache TokenAuth FAIL',
    ]);
    const passing = results.filter((line) => line.endsWith('pass')).map((line) => line.replace(/[0-9A-F]{8} pass$/, ''));
    expect(passing).toEqual(
      expect.arrayContaining([
        'SecureApi-AuthOnEveryMethod RestordersGET',
        'SecureApi-AuthOnEveryMethod ResthealthGET',
        'SecureApi-AuthOnEveryMethod RestpubliccorsOPTIONS',
        'SecureApi-HttpApiRouteAuth HttpGETpartners',
        'SecureApi-FunctionUrlAuth SignedFunctionUrl',
        'SecureApi-StageWebAcl GuardedDeploymentStagelive',
        'SecureApi-StageThrottling GuardedDeploymentStagelive',
        'SecureApi-AccessLogging GuardedDeploymentStagelive',
        'SecureApi-NoDataTrace GuardedDeploymentStagelive',
        'SecureApi-LogRetention Month',
        'SecureApi-DomainTls GuardedCustomDomain',
        'SecureApi-CorsCredentials OpenCors',
        'SecureApi-CorsCredentials GuardedOPTIONS',
        'SecureApi-CognitoClient PoolWeb',
        'SecureApi-AuthorizerCache RouteKeyed',
      ]),
    );
  });

  test.each(SCENARIOS.map((scenario) => [scenario.name, scenario] as const))('%s meets every rule of the standard', (_name, scenario) => {
    const { app } = scenario.build();
    const templates = templatesOf(app);
    expect(verdicts(templates).filter((line) => line.endsWith('FAIL'))).toEqual([]);
    // A route added with { public: true } carries its declaration, with the reason, into the template.
    const publicMethods = templates.flatMap((template) => template.ofType('AWS::ApiGateway::Method').filter((method) => method.metadata[PUBLIC_DECLARATION_METADATA_KEY] !== undefined));
    for (const method of publicMethods) {
      expect(method.properties.AuthorizationType).toBe('NONE');
      expect(method.metadata[PUBLIC_DECLARATION_METADATA_KEY]).toBe(PUBLIC_ROUTE_DECLARATION);
    }
    expect(publicMethods.map((method) => method.properties.HttpMethod)).toEqual(scenario.name === 'secure api with all options' ? ['GET'] : []);
  });

  test('a failed error-level rule fails synthesis through CDK validation, and an acknowledgement with a reason clears it', () => {
    const failing = new App();
    Validations.of(failing).addPlugins(new SecureApiStandard());
    const stack = new Stack(failing, 'Team', { env: ENV });
    new logs.LogGroup(stack, 'Forever', { retention: logs.RetentionDays.INFINITE });
    expect(() => failing.synth()).toThrow(/SecureApi-LogRetention/);

    const acknowledged = new App();
    Validations.of(acknowledged).addPlugins(new SecureApiStandard());
    const group = new logs.LogGroup(new Stack(acknowledged, 'Team', { env: ENV }), 'Forever', { retention: logs.RetentionDays.INFINITE });
    Validations.of(group).acknowledge({ id: 'SecureApi-LogRetention', reason: 'Legal hold: kept until the case closes' });
    expect(() => acknowledged.synth()).not.toThrow();

    const qualified = new App();
    Validations.of(qualified).addPlugins(new SecureApiStandard());
    const team = new Stack(qualified, 'Team', { env: ENV });
    new logs.LogGroup(team, 'Forever', { retention: logs.RetentionDays.INFINITE });
    Validations.of(team).acknowledge({ id: 'SecureApiStandard::SecureApi-LogRetention', reason: 'Legal hold on every log of this stack' });
    expect(() => qualified.synth()).not.toThrow();
  });

  test('throws when two rules share an id', () => {
    const rule = new SecureApiStandard().ruleIds[0]!;
    const rules = checkTemplates([], []);
    expect(rules).toEqual([]);
    expect(() => new SecureApiStandard({ rules: [...Array(2)].map(() => ({ id: rule, level: 'error' as const, description: '', explanation: '', fix: '', evaluate: () => [] })) })).toThrow(
      `SecureApiStandard: 'rules' must have distinct ids (received: '${rule}' twice)`,
    );
  });

  test('declarePublic refuses what is not a method, route or function URL, and a reason too short to say anything', () => {
    const stack = new Stack(new App(), 'S');
    const group = new logs.LogGroup(stack, 'Group');
    expect(() => declarePublic(group, 'a long enough reason')).toThrow(/'method' must be an API Gateway method or route, a Lambda function URL, or one of their resources .*received: S\/Group/);
    const rest = new apigw.RestApi(stack, 'Rest');
    const method = rest.root.addMethod('GET', new apigw.MockIntegration());
    expect(() => declarePublic(method, 'ok')).toThrow("declarePublic: 'reason' must say why the method is public, in at least 10 characters (received: 'ok')");
  });
});
