import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ApiGatewayAccount, ApiScope, SecureApi, TokenIssuer } from '../../../lib';

describe('ApiGatewayAccount', () => {
  test('default api gateway account retains the setting and its role', () => {
    const stack = new Stack(new App(), 'Bootstrap');
    new ApiGatewayAccount(stack, 'Account');
    const template = Template.fromStack(stack);
    template.hasResource('AWS::ApiGateway::Account', {
      Properties: { CloudWatchRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AccountCloudWatchRole'), 'Arn'] } },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    template.hasResource('AWS::IAM::Role', {
      Properties: {
        AssumeRolePolicyDocument: Match.objectLike({ Statement: [Match.objectLike({ Principal: { Service: 'apigateway.amazonaws.com' } })] }),
        ManagedPolicyArns: [
          { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs']] },
        ],
      },
      DeletionPolicy: 'Retain',
    });
  });

  test('api gateway account with a role of your own', () => {
    const stack = new Stack(new App(), 'Bootstrap');
    const role = iam.Role.fromRoleArn(stack, 'Role', 'arn:aws:iam::123456789012:role/api-gateway-logs');
    const account = new ApiGatewayAccount(stack, 'Account', { role, removalPolicy: RemovalPolicy.DESTROY });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::IAM::Role', 0);
    template.hasResource('AWS::ApiGateway::Account', {
      Properties: { CloudWatchRoleArn: 'arn:aws:iam::123456789012:role/api-gateway-logs' },
      DeletionPolicy: 'Delete',
    });
    expect(account.role).toBe(role);
  });

  test('two apis of one stack that create the account share one setting', () => {
    const stack = new Stack(new App(), 'Stack');
    for (const id of ['First', 'Second']) {
      const api = new SecureApi(stack, id, {
        issuers: [TokenIssuer.oidc({ issuerUrl: 'https://login.example.com', audiences: ['api'] })],
        apiGatewayAccount: 'create',
      });
      api.addRoute('GET /items', new apigw.MockIntegration(), { scopes: [ApiScope.of('https://api.example.com', 'items.read', 'Read')] });
    }
    Template.fromStack(stack).resourceCountIs('AWS::ApiGateway::Account', 1);
    expect(ApiGatewayAccount.ofStack(stack)).toBe(ApiGatewayAccount.ofStack(stack));
  });
});
