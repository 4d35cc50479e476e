import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { CONFIG_ENV_VAR } from '../../lambda/contract/config-types';
import { COMPANY, OrdersStack } from './platform-api';

describe('platform repository', () => {
  test('imports nothing but the public entry point of the package', () => {
    const source = fs.readFileSync(path.join(__dirname, 'platform-api.ts'), 'utf8');
    const packageImports = [...source.matchAll(/from '(\.\.\/[^']+)'/g)].map((match) => match[1]);
    expect(packageImports).toEqual(['../../lib']);
  });

  test('a team stack on a shared user pool and the corporate issuer synthesizes with its overrides', () => {
    const app = new App();
    const stack = new OrdersStack(app, 'Orders', { env: { account: '123456789012', region: 'eu-west-1' } });
    const assembly = app.synth();
    const template = Template.fromStack(stack);

    // Bring-your-own user pool: nothing of Cognito is created, the pool is only referenced.
    template.resourceCountIs('AWS::Cognito::UserPool', 0);
    template.resourceCountIs('AWS::Cognito::UserPoolClient', 0);
    const environment = JSON.stringify(
      Object.values(template.findResources('AWS::Lambda::Function')).map((fn) => (fn as { Properties: { Environment?: unknown } }).Properties.Environment),
    );
    expect(environment).toContain(CONFIG_ENV_VAR);
    expect(environment).toContain(`/${COMPANY.userPoolId}`);
    expect(environment).toContain(COMPANY.teamClientIds[0]);
    expect(environment).toContain(COMPANY.corporateIssuer);
    expect(environment).toContain(COMPANY.corporateAudience);

    // The platform's overrides reach the template.
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'live',
      MethodSettings: Match.arrayWith([
        Match.objectLike({ HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40, LoggingLevel: 'ERROR' }),
        Match.objectLike({ HttpMethod: 'POST', ResourcePath: '/~1orders', ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 }),
      ]),
    });
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', { AuthorizerResultTtlInSeconds: 120 });
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 731 });

    // Every route is behind the JWT authorizer, with the scopes it was declared with.
    expect(stack.platformApi.api.routes()).toEqual([
      { method: 'GET', path: '/orders', scopes: ['orders/read'], public: false },
      { method: 'GET', path: '/orders/{orderId}', scopes: ['orders/read'], public: false },
      { method: 'POST', path: '/orders', scopes: ['orders/write'], public: false },
      { method: 'DELETE', path: '/orders/{orderId}', scopes: ['orders/write'], public: false },
    ]);
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')) as { Properties: { HttpMethod: string; AuthorizationType: string } }[];
    expect(methods.filter((method) => method.Properties.HttpMethod !== 'OPTIONS').map((method) => method.Properties.AuthorizationType)).toEqual(['CUSTOM', 'CUSTOM', 'CUSTOM', 'CUSTOM']);
    expect(assembly.getStackByName('Orders').template).toEqual(template.toJSON());
  });
});
