import { App, Duration, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as logs from 'aws-cdk-lib/aws-logs';
import { CONFIG_ENV_VAR } from '../../../lambda/contract/config-types';
import { parseAppConfig } from '../../../lib/demo/app-config';
import { DEMO_ITEMS_DEFAULTS, SECURE_API_STACK_DEFAULTS } from '../../../lib/defaults';
import { SecureApiValidationError } from '../../../lib/errors';
import { SecureApiStack, SecureApiStackProps } from '../../../lib/demo/secure-api-stack';
import { TokenIssuer } from '../../../lib/authorizer/token-issuer';

function build(props: SecureApiStackProps = {}): { stack: SecureApiStack; template: Template } {
  const stack = new SecureApiStack(new App(), 'Demo', props);
  return { stack, template: Template.fromStack(stack) };
}

function authorizerEnvironment(template: Template): Record<string, unknown> {
  const functions = template.findResources('AWS::Lambda::Function', {
    Properties: { Environment: { Variables: { [CONFIG_ENV_VAR]: Match.anyValue() } } },
  });
  const [fn] = Object.values(functions) as { Properties: { Environment: { Variables: Record<string, unknown> } } }[];
  return fn!.Properties.Environment.Variables;
}

describe('SecureApiStack', () => {
  test('default demo stack', () => {
    const { stack, template } = build();

    expect(stack.api.routes()).toEqual([
      { method: 'GET', path: '/items', scopes: ['items/read'], public: false },
      { method: 'GET', path: '/items/{id}', scopes: ['items/read'], public: false },
      { method: 'POST', path: '/items', scopes: ['items/write'], public: false },
      { method: 'DELETE', path: '/items/{id}', scopes: ['items/write'], public: false },
      { method: 'GET', path: '/admin/stats', scopes: ['items/read'], public: false },
    ]);
    expect(Object.keys(template.toJSON().Outputs).filter((name) => !name.startsWith('Api'))).toEqual([
      'TokenEndpoint', 'UserPoolId', 'MachineClientId', 'WebClientId', 'ItemsReadScope', 'ItemsWriteScope', 'AccessLogGroupName', 'AuthorizerLogGroupName',
      'ExecutionLogGroupName', 'LogProfile', 'WebAclArn', 'WafLogGroupName', 'DashboardName', 'AlarmTopicArn',
    ]);
    template.hasOutput('LogProfile', { Value: 'full' });
    template.hasOutput('ExecutionLogGroupName', { Value: { Ref: Match.stringLikeRegexp('^ApiExecutionLogs') } });
    expect(template.toJSON().Outputs.DenyListTableName).toBeUndefined();
    template.hasOutput('ApiUrl', { Value: Match.anyValue() });
    template.hasOutput('ItemsReadScope', { Value: 'items/read' });
    template.hasOutput('ItemsWriteScope', { Value: 'items/write' });
    template.hasOutput('UserPoolId', { Value: { Ref: Match.stringLikeRegexp('^AuthUserPool') } });
    template.hasOutput('TokenEndpoint', {
      Value: {
        'Fn::Join': ['', [Match.stringLikeRegexp('^https://demo-auth-[0-9a-f]{8}-$'), { Ref: 'AWS::AccountId' }, '.auth.', { Ref: 'AWS::Region' }, '.amazoncognito.com/oauth2/token']],
      },
    });
    template.hasOutput('AccessLogGroupName', { Value: { Ref: Match.stringLikeRegexp('^ApiAccessLogs') } });

    // The web client redirects only to the local demo app; the admin group exists for the admin route.
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      AllowedOAuthFlows: ['code'],
      CallbackURLs: [...SECURE_API_STACK_DEFAULTS.callbackUrls],
      LogoutURLs: [...SECURE_API_STACK_DEFAULTS.logoutUrls],
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: SECURE_API_STACK_DEFAULTS.adminGroup });

    // The backend: a table with point-in-time recovery, a function with only the table actions it uses.
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ItemsTableKey'), 'Arn'] } },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: DEMO_ITEMS_DEFAULTS.runtime.name,
      Architectures: ['arm64'],
      MemorySize: 256,
      Timeout: 10,
      TracingConfig: { Mode: 'Active' },
      Environment: { Variables: { ITEMS_TABLE_NAME: { Ref: Match.stringLikeRegexp('^ItemsTable') } } },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Scan'],
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ItemsTable'), 'Arn'] },
          },
        ]),
      },
    });
    // No log encryption key by default: the only keys encrypt the alarm topic and the items table.
    template.resourceCountIs('AWS::KMS::Key', 2);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MonitoringAlarmTopicKey'), 'Arn'] } });
    // WAF in front of the stage, monitoring over it.
    template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    // POST /items validates its body against the item model before the function runs.
    template.hasResourceProperties('AWS::ApiGateway::Model', {
      Schema: Match.objectLike({ required: ['name'], additionalProperties: false }),
    });
  });

  test('the authorizer route table guards the admin route with the admin group', () => {
    const { stack } = build();
    expect(stack.api.authorizer.routes).toEqual([
      { method: 'GET', path: '/admin/stats', scopes: ['items/read'], conditions: [{ claim: 'cognito:groups', contains: 'admin' }] },
      { method: 'GET', path: '/items', scopes: ['items/read'], conditions: [] },
      { method: 'POST', path: '/items', scopes: ['items/write'], conditions: [] },
      { method: 'DELETE', path: '/items/{id}', scopes: ['items/write'], conditions: [] },
      { method: 'GET', path: '/items/{id}', scopes: ['items/read'], conditions: [] },
    ]);
  });

  test('demo stack with all props specified', () => {
    const { stack, template } = build({
      stageName: 'v2',
      throttle: { rateLimit: 10, burstLimit: 20 },
      corsOrigins: ['https://app.example.com'],
      callbackUrls: ['https://app.example.com/callback'],
      logoutUrls: ['https://app.example.com/'],
      externalIssuers: [TokenIssuer.oidc({ issuerUrl: 'https://login.example.com', audiences: ['https://api.example.com'] })],
      logRetention: logs.RetentionDays.ONE_MONTH,
      createLogEncryptionKey: true,
      featurePlan: cognito.FeaturePlan.PLUS,
      threatProtection: cognito.StandardThreatProtectionMode.AUDIT_ONLY,
      mfa: cognito.Mfa.OPTIONAL,
      domainPrefix: 'items-demo-login',
      accessTokenValidity: Duration.minutes(10),
      authorizerCacheTtl: Duration.seconds(60),
      executionLogLevel: 'INFO',
      allowedSourceIps: ['203.0.113.0/24'],
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      // The table keeps a key of its own: the log key encrypts logs only.
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ItemsTableKey'), 'Arn'] } },
    });
    template.allResourcesProperties('AWS::Logs::LogGroup', {
      RetentionInDays: 30,
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^LogEncryptionKey'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'AUDIT' },
      MfaConfiguration: 'OPTIONAL',
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'items-demo-login' });
    template.hasOutput('TokenEndpoint', {
      Value: { 'Fn::Join': ['', ['https://items-demo-login.auth.', { Ref: 'AWS::Region' }, '.amazoncognito.com/oauth2/token']] },
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      AllowedOAuthFlows: ['code'],
      CallbackURLs: ['https://app.example.com/callback'],
      AccessTokenValidity: 10,
    });
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v2',
      MethodSettings: Match.arrayWith([Match.objectLike({ ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20, LoggingLevel: 'INFO' })]),
    });
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', { AuthorizerResultTtlInSeconds: 60 });
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      Policy: Match.objectLike({ Statement: Match.arrayWith([Match.objectLike({ Condition: Match.objectLike({}) })]) }),
    });
    expect(JSON.stringify(authorizerEnvironment(template))).toContain('https://login.example.com');
    // Relaxed MFA is an explicit choice, recorded where a reviewer finds it.
    const acks = stack.auth.userPool.node.metadata.filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY);
    expect(acks.map((entry) => entry.data)).toContainEqual({ 'Annotation::AwsSolutions-COG2': expect.stringContaining("'secureApi.mfa'") });
  });

  test('a cdk.json configuration synthesizes into the stack it describes', () => {
    const { stackName, props } = parseAppConfig({ stackName: 'FromJson', stageName: 'dev', accessTokenValidityMinutes: 30 });
    const stack = new SecureApiStack(new App(), stackName, props);
    const template = Template.fromStack(stack);
    expect(stack.stackName).toBe('FromJson');
    template.hasResourceProperties('AWS::ApiGateway::Stage', { StageName: 'dev' });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', { AllowedOAuthFlows: ['client_credentials'], AccessTokenValidity: 30 });
  });

  test('throws when both a key ARN and a new key are asked for', () => {
    const attempt = () => build({ logEncryptionKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/abc', createLogEncryptionKey: true });
    expect(attempt).toThrow(SecureApiValidationError);
    expect(attempt).toThrow(
      "'logEncryptionKeyArn' and 'createLogEncryptionKey' are alternatives: set at most one (received: 'arn:aws:kms:eu-west-1:123456789012:key/abc' and true)",
    );
  });

  test('the demo sets up the account logging role, retained, unless the account already has one', () => {
    const { template } = build();
    template.hasResource('AWS::ApiGateway::Account', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    template.hasResource('AWS::IAM::Role', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ AssumeRolePolicyDocument: Match.objectLike({ Statement: [Match.objectLike({ Principal: { Service: 'apigateway.amazonaws.com' } })] }) }),
    });
    build({ apiGatewayAccount: 'existing' }).template.resourceCountIs('AWS::ApiGateway::Account', 0);
  });
});

