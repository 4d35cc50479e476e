import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import { ApiScope, DenyList, REVOCATION_DEFAULTS, SecureApi, SecureApiProps, TokenIssuer } from '../../../lib';

const ENV = { account: '123456789012', region: 'eu-west-1' };

function stack(): Stack {
  return new Stack(new App(), 'Stack', { env: ENV });
}

function secureApi(props: Partial<SecureApiProps> = {}) {
  const s = stack();
  const api = new SecureApi(s, 'Api', {
    issuers: [TokenIssuer.oidc({ issuerUrl: 'https://login.example.com', audiences: ['api://items'] })],
    ...props,
  });
  api.addRoute('GET /items', new apigw.MockIntegration(), { scopes: [ApiScope.of('items', 'read', 'Read items')] });
  return { stack: s, api };
}

describe('DenyList', () => {
  test('default deny list', () => {
    const s = stack();
    const denyList = new DenyList(s, 'DenyList');
    const template = Template.fromStack(s);

    template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        TableName: Match.absent(),
        // The AWS managed key of DynamoDB (aws/dynamodb), stated in the template (Control Tower CT.DYNAMODB.PR.2).
        SSESpecification: { SSEEnabled: true, SSEType: Match.absent(), KMSMasterKeyId: Match.absent() },
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    expect(denyList.encryptionKey).toBeUndefined();
    expect(REVOCATION_DEFAULTS.removalPolicy).toBe(RemovalPolicy.RETAIN);
  });

  test('deny list with all props specified', () => {
    const s = stack();
    const key = new kms.Key(s, 'Key', { enableKeyRotation: true });
    const denyList = new DenyList(s, 'DenyList', { encryptionKey: key, removalPolicy: RemovalPolicy.DESTROY, tableName: 'orders-deny-list' });
    const template = Template.fromStack(s);

    template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        TableName: 'orders-deny-list',
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] } },
      },
      DeletionPolicy: 'Delete',
    });
    expect(denyList.encryptionKey).toBe(key);
  });

  test('throws when the table name is not one DynamoDB accepts', () => {
    expect(() => new DenyList(stack(), 'DenyList', { tableName: 'deny list' })).toThrow(
      "Stack/DenyList: 'tableName' must be 3 to 255 letters, digits, '_', '-' or '.' (received: 'deny list')",
    );
  });
});

describe('SecureApi revocation', () => {
  test('default secure api has no deny list', () => {
    const { stack: s, api } = secureApi();

    expect(api.denyList).toBeUndefined();
    expect(api.revocation).toBeUndefined();
    Template.fromStack(s).resourceCountIs('AWS::DynamoDB::Table', 0);
  });

  test('revocation true creates a deny list with the default refresh and fail mode', () => {
    const { stack: s, api } = secureApi({ revocation: true });

    expect(api.denyList).toBeInstanceOf(DenyList);
    expect(api.revocation).toEqual({ table: api.denyList!.table, refresh: REVOCATION_DEFAULTS.refresh, whenUnavailable: 'allow' });
    Template.fromStack(s).resourceCountIs('AWS::DynamoDB::Table', 1);
  });

  test('revocation with all options specified uses the given table and creates none', () => {
    const s = stack();
    const table = dynamodb.Table.fromTableName(s, 'Shared', 'shared-deny-list');
    const api = new SecureApi(s, 'Api', {
      issuers: [TokenIssuer.oidc({ issuerUrl: 'https://login.example.com', audiences: ['api://items'] })],
      revocation: { table, refresh: Duration.seconds(5), whenUnavailable: 'deny' },
    });
    api.addRoute('GET /items', new apigw.MockIntegration(), { authenticatedOnly: true });

    expect(api.denyList).toBeUndefined();
    expect(api.revocation).toEqual({ table, refresh: Duration.seconds(5), whenUnavailable: 'deny' });
    Template.fromStack(s).resourceCountIs('AWS::DynamoDB::Table', 0);
  });

  test('throws when the refresh is outside 1 to 300 whole seconds', () => {
    expect(() => secureApi({ revocation: { refresh: Duration.seconds(301) } })).toThrow("Stack/Api: 'revocation.refresh' must be at most 300 seconds (received: 301)");
    expect(() => secureApi({ revocation: { refresh: Duration.seconds(0) } })).toThrow("Stack/Api: 'revocation.refresh' must be at least 1 seconds (received: 0)");
    expect(() => secureApi({ revocation: { refresh: Duration.millis(1500) } })).toThrow("Stack/Api: 'revocation.refresh' must be a whole number of seconds (received: 1.5)");
  });

  test('throws when the fail mode is neither allow nor deny', () => {
    expect(() => secureApi({ revocation: { whenUnavailable: 'open' as 'allow' } })).toThrow(
      "Stack/Api: 'revocation.whenUnavailable' must be 'allow' or 'deny' (received: 'open')",
    );
    expect(() => secureApi({ revocation: 'yes' as unknown as boolean })).toThrow(
      "Stack/Api: 'revocation' must be true, false or an object of revocation options (received: 'yes')",
    );
  });
});
