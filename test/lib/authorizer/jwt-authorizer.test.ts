import { App, Duration, Size, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { JwtAuthorizer, JwtAuthorizerProps, TokenIssuer } from '../../../lib';

const OIDC = () => TokenIssuer.oidc({ issuerUrl: 'https://login.example.com', audiences: ['api://items'] });

/** A JwtAuthorizer used on its own, on a plain RestApi, as a platform repo would. */
function standalone(props: JwtAuthorizerProps = {}) {
  const app = new App();
  const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'eu-west-1' } });
  const authorizer = new JwtAuthorizer(stack, 'Jwt', { issuers: [OIDC()], ...props });
  const api = new apigw.RestApi(stack, 'Api', { cloudWatchRole: false });
  api.root.addResource('items').addMethod('GET', new apigw.MockIntegration(), { authorizer: authorizer.requestAuthorizer });
  authorizer.addRoute({ method: 'GET', path: '/items', scopes: ['items.read'] });
  return { stack, authorizer, api, template: () => Template.fromStack(stack) };
}

describe('JwtAuthorizer', () => {
  test('default jwt authorizer', () => {
    const template = standalone().template();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 256,
      Timeout: 5,
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^JwtLogGroup') } },
      TracingConfig: { Mode: 'Active' },
      ReservedConcurrentExecutions: Match.absent(),
      Environment: Match.absent(),
    });
    template.hasResource('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 365 }, DeletionPolicy: 'Retain' });
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 300,
    });
  });

  test('the role may only write to its own log group and send traces', () => {
    const template = standalone().template();
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({ Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })] }),
      ManagedPolicyArns: Match.absent(),
    });
    template.resourceCountIs('AWS::IAM::Policy', 1);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^JwtLogGroup'), 'Arn'] },
          },
          { Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Effect: 'Allow', Resource: '*' },
        ],
        Version: '2012-10-17',
      },
    });
  });

  test('api gateway may invoke the function only through this authorizer', () => {
    standalone().template().hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
      SourceArn: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('/authorizers/')])] }),
    });
  });

  test('tracing can be switched off, reserved concurrency and memory set', () => {
    const template = standalone({ tracing: false, reservedConcurrentExecutions: 20, memorySize: Size.mebibytes(512) }).template();
    template.hasResourceProperties('AWS::Lambda::Function', {
      TracingConfig: Match.absent(),
      ReservedConcurrentExecutions: 20,
      MemorySize: 512,
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: Match.objectLike({ Statement: [Match.objectLike({ Action: ['logs:CreateLogStream', 'logs:PutLogEvents'] })] }),
    });
  });

  test('issuers without deploy-time tokens travel in config.json, not in the environment', () => {
    const { authorizer, template } = standalone({ maxTokenAge: Duration.hours(1), keyFetchTimeout: Duration.millis(800) });
    template();
    const config = JSON.parse(authorizer.configJson);
    expect(config.issuers).toEqual([
      { kind: 'oidc', issuer: 'https://login.example.com', algorithms: ['RS256'], discovery: true, audiences: ['api://items'] },
    ]);
    expect(config.maxTokenAgeSeconds).toBe(3600);
    expect(config.keys.fetchTimeoutMs).toBe(800);
  });

  test('cognito issuers travel in the environment with their deploy-time ids', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack');
    const userPool = new cognito.UserPool(stack, 'Pool');
    const client = userPool.addClient('Client');
    const authorizer = new JwtAuthorizer(stack, 'Jwt', { issuers: [TokenIssuer.cognito({ userPool, clients: [client] })] });
    const api = new apigw.RestApi(stack, 'Api', { cloudWatchRole: false });
    api.root.addMethod('GET', new apigw.MockIntegration(), { authorizer: authorizer.requestAuthorizer });
    authorizer.addRoute({ method: 'GET', path: '/', scopes: ['items.read'] });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          SECURE_API_AUTHORIZER_CONFIG: {
            'Fn::Join': [
              '',
              [
                '{"issuers":[{"kind":"cognito","issuer":"https://',
                { 'Fn::GetAtt': [Match.stringLikeRegexp('^Pool'), 'ProviderName'] },
                '","algorithms":["RS256"],"clientIds":["',
                { Ref: Match.stringLikeRegexp('^PoolClient') },
                '"]}]}',
              ],
            ],
          },
        },
      },
    });
    expect(JSON.parse(authorizer.configJson).issuers).toBeUndefined();
  });

  test('results caching can be switched off explicitly', () => {
    standalone({ resultsCacheTtl: Duration.seconds(0) }).template().hasResourceProperties('AWS::ApiGateway::Authorizer', {
      AuthorizerResultTtlInSeconds: 0,
    });
  });

  test('throws when the results cache ttl exceeds one hour', () => {
    expect(() => standalone({ resultsCacheTtl: Duration.hours(2) })).toThrow("'resultsCacheTtl' must be at most 3600 seconds (received: 7200)");
  });

  test('throws when the timeout leaves no room for two key fetches', () => {
    expect(() => standalone({ timeout: Duration.seconds(3) })).toThrow(
      "'timeout' must be at least 4000 ms, twice 'keyFetchTimeout' plus a 1000 ms margin, so a slow issuer fails closed before Lambda times out (received: 3000)",
    );
    expect(() => standalone({ timeout: Duration.seconds(5), keyFetchTimeout: Duration.seconds(3) })).toThrow(
      "'timeout' must be at least 7000 ms, twice 'keyFetchTimeout' plus a 1000 ms margin, so a slow issuer fails closed before Lambda times out (received: 5000)",
    );
  });

  test('throws when the clock skew exceeds five minutes', () => {
    expect(() => standalone({ clockSkew: Duration.minutes(10) })).toThrow("'clockSkew' must be at most 300 seconds (received: 600)");
  });

  test('throws when the key fetch timeout is below 100 ms', () => {
    expect(() => standalone({ keyFetchTimeout: Duration.millis(50) })).toThrow("'keyFetchTimeout' must be at least 100 milliseconds (received: 50)");
  });

  test('throws when the key max age is below a minute', () => {
    expect(() => standalone({ keyMaxAge: Duration.seconds(10) })).toThrow("'keyMaxAge' must be at least 60 seconds (received: 10)");
  });

  test('throws when the memory size is out of lambda range', () => {
    expect(() => standalone({ memorySize: Size.mebibytes(64) })).toThrow("'memorySize' must be a whole number of MiB from 128 to 10240 (received: 64)");
  });

  test('throws when reserved concurrency would throttle every call', () => {
    expect(() => standalone({ reservedConcurrentExecutions: 0 })).toThrow(
      "'reservedConcurrentExecutions' must be a whole number of at least 1 (received: 0)",
    );
  });

  test('throws when a route scope is a deploy-time token', () => {
    const { stack, authorizer } = standalone();
    const token = new cognito.UserPool(stack, 'Pool').userPoolId;
    expect(() => authorizer.addRoute({ method: 'GET', path: '/other', scopes: [token] })).toThrow(
      "'scopes' and 'conditions' must be literal strings, as they are compiled into the authorizer bundle (received: deploy-time tokens in 'GET /other')",
    );
  });

  test('throws at synth for every method in the app that uses the authorizer but is not in its route table', () => {
    const { stack, authorizer, api } = standalone();
    const item = api.root.getResource('items')!.addResource('{id}');
    item.addResource('export').addMethod('GET', new apigw.MockIntegration(), { authorizer: authorizer.requestAuthorizer });
    item.addMethod('ANY', new apigw.MockIntegration(), { authorizer: authorizer.requestAuthorizer });
    expect(() => Template.fromStack(stack)).toThrow(
      "ANY /items/{id} uses the JWT authorizer but is not in its route table: declare it with SecureApi.addRoute('ANY /items/{id}', integration, { scopes }) or JwtAuthorizer.addRoute({ method: 'ANY', path: '/items/{id}', scopes })",
    );
    expect(() => Template.fromStack(stack)).toThrow(
      "GET /items/{id}/export uses the JWT authorizer but is not in its route table: declare it with SecureApi.addRoute('GET /items/{id}/export', integration, { scopes }) or JwtAuthorizer.addRoute({ method: 'GET', path: '/items/{id}/export', scopes })",
    );
  });

  test('throws at synth for an L1 CfnMethod made by hand with the authorizer, naming the path its resource chain spells', () => {
    const byHand = (declare: boolean): (() => Template) => {
      const { stack, authorizer, api } = standalone();
      const parent = new apigw.CfnResource(stack, 'Orders', { restApiId: api.restApiId, parentId: api.restApiRootResourceId, pathPart: 'orders' });
      const child = new apigw.CfnResource(stack, 'OrderId', { restApiId: api.restApiId, parentId: parent.ref, pathPart: '{orderId}' });
      new apigw.CfnMethod(stack, 'DeleteOrder', {
        restApiId: api.restApiId,
        resourceId: child.ref,
        httpMethod: 'DELETE',
        authorizationType: 'CUSTOM',
        authorizerId: authorizer.requestAuthorizer.authorizerId,
        integration: { type: 'MOCK' },
      });
      if (declare) {
        authorizer.addRoute({ method: 'DELETE', path: '/orders/{id}', scopes: ['orders.delete'] });
      }
      return () => Template.fromStack(stack);
    };
    expect(byHand(false)).toThrow(
      "DELETE /orders/{orderId} uses the JWT authorizer but is not in its route table: declare it with SecureApi.addRoute('DELETE /orders/{orderId}', integration, { scopes }) or JwtAuthorizer.addRoute({ method: 'DELETE', path: '/orders/{orderId}', scopes })",
    );
    expect(byHand(true)).not.toThrow();
  });

  test('a method is declared by a route of its verb or an ANY route on the same resource, whatever the parameter names; an ANY method only by an ANY route', () => {
    const declaredBy = (method: string, route: { method: 'GET' | 'ANY'; path: string }): (() => Template) => {
      const { stack, authorizer, api } = standalone();
      api.root.addResource('things').addResource('{thingId}').addMethod(method, new apigw.MockIntegration(), { authorizer: authorizer.requestAuthorizer });
      authorizer.addRoute({ ...route, scopes: ['things.read'] });
      return () => Template.fromStack(stack);
    };
    expect(declaredBy('GET', { method: 'GET', path: '/things/{id}' })).not.toThrow();
    expect(declaredBy('GET', { method: 'ANY', path: '/things/{name}' })).not.toThrow();
    expect(declaredBy('ANY', { method: 'ANY', path: '/things/{id}' })).not.toThrow();
    expect(declaredBy('ANY', { method: 'GET', path: '/things/{id}' })).toThrow('ANY /things/{thingId} uses the JWT authorizer but is not in its route table');
    expect(declaredBy('POST', { method: 'GET', path: '/things/{id}' })).toThrow('POST /things/{thingId} uses the JWT authorizer but is not in its route table');
  });

  test('synth names the cache key scope on the authorizer: token for a table one answer serves exactly', () => {
    const { stack } = standalone();
    Annotations.fromStack(stack).hasInfo(
      '/Stack/Jwt',
      "cdk-secure-api: authorizer cache key scope 'token': one cached answer per token is exact for every route: no route's ARN pattern reaches the paths of a route whose own pattern reaches a third",
    );
  });

  test('synth names the cache key scope on the authorizer: route, with the witness routes, and the method and resource in the identity source', () => {
    const { stack, authorizer, api } = standalone();
    const item = api.root.getResource('items')!.addResource('{id}');
    item.addMethod('GET', new apigw.MockIntegration(), { authorizer: authorizer.requestAuthorizer });
    item.addResource('secret').addMethod('GET', new apigw.MockIntegration(), { authorizer: authorizer.requestAuthorizer });
    authorizer.addRoute({ method: 'GET', path: '/items/{id}', scopes: ['items.read'] });
    authorizer.addRoute({ method: 'GET', path: '/items/{id}/secret', scopes: ['items.admin'] });
    const template = Template.fromStack(stack);
    Annotations.fromStack(stack).hasInfo(
      '/Stack/Jwt',
      Match.stringLikeRegexp(
        "^cdk-secure-api: authorizer cache key scope 'route': the ARN pattern GET/items/\\* of GET /items/\\{id\\}/secret matches paths of GET /items/\\{id\\}, .* so each answer is cached per method and resource$",
      ),
    );
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      IdentitySource: 'method.request.header.Authorization,context.httpMethod,context.resourcePath',
    });
    expect(JSON.parse(authorizer.configJson).cacheKeyScope).toBe('route');
  });

  test('throws when the asset hash is resolved outside synthesis', () => {
    const { stack, authorizer } = standalone();
    expect(() => stack.resolve(authorizer.assetHash)).toThrow(
      'The authorizer asset hash is known once the app synthesizes (received: not yet synthesized)',
    );
  });
});

describe('JwtAuthorizer in a VPC', () => {
  const ENV = { account: '123456789012', region: 'eu-west-1' };
  function inVpc(subnetType: ec2.SubnetType, authorizerProps: (vpc: ec2.IVpc) => JwtAuthorizerProps) {
    const app = new App();
    const stack = new Stack(app, 'Stack', { env: ENV });
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: subnetType === ec2.SubnetType.PRIVATE_ISOLATED ? 0 : 1, subnetConfiguration: [{ name: 'app', subnetType }, ...(subnetType === ec2.SubnetType.PRIVATE_WITH_EGRESS ? [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC }] : [])] });
    const authorizer = new JwtAuthorizer(stack, 'Jwt', authorizerProps(vpc));
    const api = new apigw.RestApi(stack, 'Api', { cloudWatchRole: false });
    api.root.addResource('items').addMethod('GET', new apigw.MockIntegration(), { authorizer: authorizer.requestAuthorizer });
    authorizer.addRoute({ method: 'GET', path: '/items', scopes: ['items.read'] });
    return { app, stack, authorizer };
  }

  test('runs in the VPC with an outbound-HTTPS-only security group, and no VPC acknowledgement', () => {
    const { stack, authorizer } = inVpc(ec2.SubnetType.PRIVATE_WITH_EGRESS, (vpc) => ({ issuers: [OIDC()], vpc }));
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      VpcConfig: { SubnetIds: [Match.anyValue(), Match.anyValue()], SecurityGroupIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^JwtSecurityGroup'), 'GroupId'] }] },
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'JWT authorizer: outbound HTTPS only (issuer keys, AWS APIs), no inbound',
      SecurityGroupEgress: [{ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443, IpProtocol: 'tcp', Description: 'HTTPS to the issuers and AWS endpoints' }],
      SecurityGroupIngress: Match.absent(),
    });
    const acks = authorizer.function.node.metadata.filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).flatMap((entry) => Object.keys(entry.data as object));
    expect(acks.filter((rule) => /VPC|vpc/.test(rule))).toEqual([]);
  });

  test('given security groups replace the default one', () => {
    const { stack } = inVpc(ec2.SubnetType.PRIVATE_WITH_EGRESS, (vpc) => ({
      issuers: [OIDC()],
      vpc,
      securityGroups: [new ec2.SecurityGroup(vpc.stack, 'Own', { vpc, description: 'own' })],
    }));
    Template.fromStack(stack).resourcePropertiesCountIs('AWS::EC2::SecurityGroup', { GroupDescription: 'JWT authorizer: outbound HTTPS only (issuer keys, AWS APIs), no inbound' }, 0);
  });

  test('isolated subnets fail at synth for an issuer whose keys are fetched, and work with static keys', () => {
    const fetched = inVpc(ec2.SubnetType.PRIVATE_ISOLATED, (vpc) => ({ issuers: [OIDC()], vpc }));
    expect(() => fetched.app.synth()).toThrow(
      "'vpcSubnets' must reach the issuers' key endpoints: isolated subnets have no egress, so give these issuers static 'keys' or use subnets with egress (received: isolated subnets and [\"https://login.example.com\"])",
    );
    const jwk = { kty: 'EC', crv: 'P-256', kid: 'k1', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', alg: 'ES256', use: 'sig' } as const;
    const fixed = inVpc(ec2.SubnetType.PRIVATE_ISOLATED, (vpc) => ({ issuers: [TokenIssuer.oidc({ issuerUrl: 'https://login.example.com', audiences: ['api://items'], keys: [jwk], algorithms: ['ES256'] })], vpc }));
    expect(() => fixed.app.synth()).not.toThrow();
  });

  test('vpcSubnets and securityGroups need a vpc; an empty security group list is refused', () => {
    expect(() => standalone({ vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } })).toThrow("'vpcSubnets' applies only with 'vpc' (received: 'vpcSubnets' without 'vpc')");
    expect(() => inVpc(ec2.SubnetType.PRIVATE_WITH_EGRESS, (vpc) => ({ issuers: [OIDC()], vpc, securityGroups: [] }))).toThrow(
      "'securityGroups' must hold at least one security group, or be left out for the HTTPS-only default (received: [])",
    );
  });

  test('the authorizer invoke permission carries the account, also on a plain RestApi', () => {
    standalone().template().hasResourceProperties('AWS::Lambda::Permission', { Principal: 'apigateway.amazonaws.com', SourceAccount: '123456789012' });
  });
});
