import { App, Stack, Stage } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { ApiScope } from '../../lib/authorizer/api-scope';
import { ROUTES_METADATA_KEY } from '../../lib/authorizer/jwt-authorizer';
import { SecureApi } from '../../lib/secure-api/secure-api';
import { securitySummary } from '../../lib/testing';
import { TokenIssuer } from '../../lib/authorizer/token-issuer';
import { ENV } from './scenarios';

/** The lines only in `after` and the lines only in `before`, as a reviewer reads a snapshot diff. */
function lineDiff(before: string, after: string): { added: string[]; removed: string[] } {
  const a = new Set(before.split('\n'));
  const b = new Set(after.split('\n'));
  return { added: [...b].filter((line) => !a.has(line)), removed: [...a].filter((line) => !b.has(line)) };
}

/** An orders API whose `GET /orders` needs the given scope. */
function ordersApi(getOrdersScope: 'read' | 'write'): Stack {
  const stack = new Stack(new App(), 'OrdersApi', { env: ENV });
  const userPool = cognito.UserPool.fromUserPoolId(stack, 'UserPool', 'eu-west-1_AbCdEfGhI');
  const api = new SecureApi(stack, 'Api', { issuers: [TokenIssuer.cognito({ userPool, clientIds: ['4example5client6id7abcdefgh'] })] });
  const scopes = { read: ApiScope.of('orders', 'read', 'Read orders'), write: ApiScope.of('orders', 'write', 'Write orders') };
  const backend = new apigw.HttpIntegration('https://backend.example.com/orders', { proxy: true });
  api.addRoute('GET /orders', backend, { scopes: [scopes[getOrdersScope]] });
  api.addRoute('POST /orders', backend, { scopes: [scopes.write] });
  return stack;
}

/** A stack of plain aws-cdk-lib: a role whose policy grants the given DynamoDB actions. */
function plainRoleStack(actions: string[]): Stack {
  const stack = new Stack(new App(), 'Plain', { env: ENV });
  const role = new iam.Role(stack, 'Worker', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  role.addToPolicy(new iam.PolicyStatement({ actions, resources: ['arn:aws:dynamodb:eu-west-1:123456789012:table/orders'] }));
  return stack;
}

describe('securitySummary', () => {
  test('a scope change of one route is exactly one readable line of the summary', () => {
    const before = securitySummary(ordersApi('read'));
    const after = securitySummary(ordersApi('write'));

    expect(lineDiff(before, after)).toEqual({
      removed: ['api ApiRestApi: route GET /orders: authorizer ApiJwtAuthorizer, scopes orders/read, integration HTTP_PROXY https://backend.example.com/orders'],
      added: ['api ApiRestApi: route GET /orders: authorizer ApiJwtAuthorizer, scopes orders/write, integration HTTP_PROXY https://backend.example.com/orders'],
    });
  });

  test('a new IAM action is exactly one added line', () => {
    const before = securitySummary(plainRoleStack(['dynamodb:GetItem', 'dynamodb:Query']));
    const after = securitySummary(plainRoleStack(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:DeleteItem']));

    expect(lineDiff(before, after)).toEqual({
      removed: [],
      added: ['iam role Worker: policy WorkerDefaultPolicy: Allow dynamodb:DeleteItem on arn:aws:dynamodb:eu-west-1:123456789012:table/orders'],
    });
  });

  test('summarizes a stack built with plain aws-cdk-lib: IAM, Cognito and public methods, throttles, WAF exclusions, logs', () => {
    const stack = new Stack(new App(), 'PlainApi', { env: ENV });
    const accessLogs = new logs.LogGroup(stack, 'AccessLogs', { retention: logs.RetentionDays.ONE_WEEK });
    const api = new apigw.RestApi(stack, 'Api', {
      restApiName: 'plain',
      deployOptions: {
        stageName: 'live',
        throttlingRateLimit: 10,
        throttlingBurstLimit: 20,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        methodOptions: { '/reports/GET': { throttlingRateLimit: 1, throttlingBurstLimit: 2 } },
      },
    });
    const userPool = new cognito.UserPool(stack, 'Pool');
    const cognitoAuthorizer = new apigw.CognitoUserPoolsAuthorizer(stack, 'PoolAuthorizer', { cognitoUserPools: [userPool] });
    const mock = new apigw.MockIntegration();
    api.root.addResource('reports').addMethod('GET', mock, { authorizationType: apigw.AuthorizationType.IAM });
    api.root.addResource('orders').addMethod('GET', mock, {
      authorizationType: apigw.AuthorizationType.COGNITO,
      authorizer: cognitoAuthorizer,
      authorizationScopes: ['orders/read'],
    });
    api.root.addResource('ping').addMethod('GET', mock);
    new wafv2.CfnWebACL(stack, 'Acl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'acl', sampledRequestsEnabled: true },
      rules: [
        {
          name: 'common',
          priority: 5,
          overrideAction: { none: {} },
          statement: { managedRuleGroupStatement: { vendorName: 'AWS', name: 'AWSManagedRulesCommonRuleSet', excludedRules: [{ name: 'NoUserAgent_HEADER' }] } },
          visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'common', sampledRequestsEnabled: true },
        },
      ],
    });

    const lines = securitySummary(stack).split('\n');

    expect(lines).toEqual(
      expect.arrayContaining([
        'api Api: route GET /reports: IAM (SigV4), integration MOCK',
        'api Api: route GET /orders: Cognito authorizer PoolAuthorizer, scopes orders/read, integration MOCK',
        'api Api: route GET /ping: public (no authorization), integration MOCK',
        'api Api: stage live: throttle rate 10/s burst 20 (stage-wide)',
        'api Api: stage live: GET /reports: throttle rate 1/s burst 2',
        'api Api: stage live: access log AccessLogs',
        'api Api: stage live: web ACL none',
        'waf Acl: rule 0005 common: excludes NoUserAgent_HEADER (Count)',
        'log AccessLogs: retention 7 days, removal Retain, CloudWatch Logs managed key',
      ]),
    );
    // Sorted within each section, deterministic, no asset hashes.
    expect(securitySummary(stack)).toBe(lines.join('\n'));
    expect(lines.join('\n')).not.toMatch(/[0-9a-f]{64}/);
  });

  test('renders references by name and a function of the stack through its role, without asset hashes', () => {
    const stack = new Stack(new App(), 'Functions', { env: ENV });
    const fn = new lambda.Function(stack, 'Handler', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(__dirname, { exclude: ['**', '!scenarios.ts'] }),
    });
    const logGroup = new logs.LogGroup(stack, 'Audit', { retention: logs.RetentionDays.ONE_MONTH });
    logGroup.grantWrite(fn);

    const summary = securitySummary(stack);

    expect(summary).toContain('iam role HandlerServiceRole: policy HandlerServiceRoleDefaultPolicy: Allow logs:PutLogEvents on <Audit.Arn>');
    expect(summary).toContain('iam role HandlerServiceRole: managed policy arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole');
    expect(summary).not.toMatch(/[0-9a-f]{64}/);
  });
});

describe('route table metadata on the authorizer function', () => {
  function metadataOf(stack: Stack): Record<string, unknown> {
    const resources = Object.values(stackTemplate(stack).Resources);
    const fn = resources.find((resource) => resource.Metadata?.[ROUTES_METADATA_KEY] !== undefined);
    return fn!.Metadata![ROUTES_METADATA_KEY] as Record<string, unknown>;
  }

  test('lists routes, scopes, conditions, the cache key scope and the issuers, deploy-time values and keys left out', () => {
    const stack = new Stack(new App(), 'Meta', { env: ENV });
    const userPool = new cognito.UserPool(stack, 'Pool');
    const client = userPool.addClient('Client');
    const api = new SecureApi(stack, 'Api', {
      issuers: [
        TokenIssuer.cognito({ userPool, clientIds: [client.userPoolClientId, 'literalclientid1234567890'] }),
        TokenIssuer.oidc({
          issuerUrl: 'https://static.example.com',
          audiences: ['https://api.example.com'],
          keys: [{ kty: 'EC', crv: 'P-256', kid: 'k1', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' }],
          algorithms: ['ES256'],
        }),
      ],
    });
    const mock = new apigw.MockIntegration();
    api.addRoute('GET /orders', mock, { scopes: [ApiScope.of('orders', 'read', 'Read')] });
    api.addRoute('DELETE /orders/{id}', mock, { scopes: [ApiScope.of('orders', 'write', 'Write')], conditions: [{ claim: 'cognito:groups', contains: 'admins' }] });

    const metadata = metadataOf(stack);

    expect(metadata).toEqual({
      cacheKeyScope: 'token',
      routes: [
        { route: 'GET /orders', scopes: ['orders/read'] },
        { route: 'DELETE /orders/{id}', scopes: ['orders/write'], conditions: [{ claim: 'cognito:groups', contains: 'admins' }] },
      ],
      issuers: [
        { kind: 'cognito', issuer: '(deploy-time)', keySource: 'issuer/.well-known/jwks.json', algorithms: ['RS256'], clientIds: ['(deploy-time)', 'literalclientid1234567890'] },
        { kind: 'oidc', issuer: 'https://static.example.com', keySource: 'keys', algorithms: ['ES256'], audiences: ['https://api.example.com'] },
      ],
    });
    expect(JSON.stringify(metadata)).not.toMatch(/f83OJ3D2|\$\{Token|Ref|Fn::/);
  });

  test('300 routes add about 30 KB of metadata to a 170 KB template, far below the 1 MB template limit', () => {
    const stack = new Stack(new App(), 'Large', { env: ENV });
    const api = new SecureApi(stack, 'Api', { issuers: [TokenIssuer.oidc({ issuerUrl: 'https://login.example.com', audiences: ['https://api.example.com'] })] });
    const mock = new apigw.MockIntegration();
    const read = ApiScope.of('https://api.example.com', 'resources.read', 'Read');
    const write = ApiScope.of('https://api.example.com', 'resources.write', 'Write');
    for (let i = 0; i < 100; i++) {
      api.addRoute(`GET /resource${i}`, mock, { scopes: [read] });
      api.addRoute(`PUT /resource${i}`, mock, { scopes: [write] });
      api.addRoute(`DELETE /resource${i}`, mock, { scopes: [write], conditions: [{ claim: 'groups', contains: 'admins' }] });
    }
    const template = JSON.stringify(stackTemplate(stack));
    const metadataBytes = JSON.stringify(metadataOf(stack)).length;

    expect((metadataOf(stack).routes as unknown[]).length).toBe(300);
    expect(metadataBytes).toBeLessThan(40_000);
    expect(template.length).toBeLessThan(1_000_000);
  });
});

function stackTemplate(stack: Stack): { Resources: Record<string, { Type: string; Metadata?: Record<string, unknown> }> } {
  return Stage.of(stack)!.synth().getStackArtifact(stack.artifactId).template as ReturnType<typeof stackTemplate>;
}
