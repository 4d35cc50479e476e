import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { ApiScope } from '../../lib/authorizer/api-scope';
import { CognitoOAuth, CognitoOAuthProps } from '../../lib/cognito-oauth';
import { COGNITO_OAUTH_DEFAULTS } from '../../lib/defaults';
import { SecureApiValidationError } from '../../lib/errors';

const read = ApiScope.of('items', 'read', 'Read items');
const write = ApiScope.of('items', 'write', 'Write items');

function build(props: Partial<CognitoOAuthProps> = {}): { stack: Stack; auth: CognitoOAuth; template: Template } {
  const stack = new Stack(new App(), 'Stack', { env: { account: '123456789012', region: 'eu-west-1' } });
  const auth = new CognitoOAuth(stack, 'Auth', { scopes: [read, write], ...props });
  return { stack, auth, template: Template.fromStack(stack) };
}

function acknowledgedRules(construct: { node: { metadata: { type: string; data: unknown }[] } }): Record<string, string> {
  return Object.assign(
    {},
    ...construct.node.metadata.filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).map((entry) => entry.data),
  );
}

describe('CognitoOAuth', () => {
  test('default cognito oauth', () => {
    const { auth, template } = build();
    const policy = COGNITO_OAUTH_DEFAULTS.passwordPolicy;

    template.hasResource('AWS::Cognito::UserPool', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
        MfaConfiguration: 'ON',
        EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
        UserPoolTier: 'ESSENTIALS',
        DeletionProtection: 'ACTIVE',
        Policies: {
          PasswordPolicy: {
            MinimumLength: policy.minLength,
            RequireLowercase: true,
            RequireUppercase: true,
            RequireNumbers: true,
            RequireSymbols: true,
            TemporaryPasswordValidityDays: policy.tempPasswordValidity!.toDays(),
          },
        },
        AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
        UserPoolAddOns: Match.absent(),
      }),
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', {
      Identifier: 'items',
      Name: 'items',
      Scopes: [
        { ScopeName: 'read', ScopeDescription: 'Read items' },
        { ScopeName: 'write', ScopeDescription: 'Write items' },
      ],
    });
    template.resourceCountIs('AWS::Cognito::UserPoolClient', 1);
    template.hasResource('AWS::Cognito::UserPoolClient', {
      Properties: {
        UserPoolId: { Ref: Match.stringLikeRegexp('AuthUserPool') },
        GenerateSecret: true,
        AllowedOAuthFlows: ['client_credentials'],
        AllowedOAuthFlowsUserPoolClient: true,
        AllowedOAuthScopes: ['items/read', 'items/write'],
        ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
        EnableTokenRevocation: true,
        PreventUserExistenceErrors: 'ENABLED',
        AccessTokenValidity: COGNITO_OAUTH_DEFAULTS.accessTokenValidity.toMinutes(),
        TokenValidityUnits: { AccessToken: 'minutes' },
        SupportedIdentityProviders: ['COGNITO'],
      },
      // Clients name custom scopes by string: the resource server must exist first.
      DependsOn: [Match.stringLikeRegexp('AuthUserPoolResourceServer')],
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', {
      Domain: Match.stringLikeRegexp('^stack-auth-[0-9a-f]{8}-123456789012$'),
    });
    expect(auth.webClient).toBeUndefined();
    expect(auth.tokenEndpoint).toMatch(/^https:\/\/stack-auth-[0-9a-f]{8}-123456789012\.auth\.eu-west-1\.amazoncognito\.com\/oauth2\/token$/);
    expect(acknowledgedRules(auth.userPool)).toEqual({ 'Annotation::AwsSolutions-COG8': expect.stringContaining('Plus feature plan') });
  });

  test('the issuer trusts the user pool and every client added', () => {
    const stack = new Stack(new App(), 'Stack');
    const auth = new CognitoOAuth(stack, 'Auth', { scopes: [read, write], webClient: { callbackUrls: ['https://app.example.com/callback'] } });
    const partner = auth.addMachineClient('PartnerClient', { scopes: [read] });
    const config = stack.resolve(auth.issuer().bind(auth));
    expect(config).toEqual({
      kind: 'cognito',
      issuer: { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [expect.stringMatching(/^AuthUserPool/), 'ProviderName'] }]] },
      algorithms: ['RS256'],
      clientIds: [
        stack.resolve(auth.machineClient.userPoolClientId),
        stack.resolve(auth.webClient!.userPoolClientId),
        stack.resolve(partner.userPoolClientId),
      ],
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Cognito::UserPoolClient', {
      ClientName: Match.absent(),
      AllowedOAuthFlows: ['client_credentials'],
      AllowedOAuthScopes: ['items/read'],
    });
  });

  test('web client uses the authorization code grant without a secret and with exact redirect URIs', () => {
    const { template } = build({
      webClient: {
        clientName: 'console',
        callbackUrls: ['https://app.example.com/callback', 'http://localhost:3000/callback'],
        logoutUrls: ['https://app.example.com/'],
        scopes: [read],
      },
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      ClientName: 'console',
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: ['openid', 'email', 'items/read'],
      CallbackURLs: ['https://app.example.com/callback', 'http://localhost:3000/callback'],
      LogoutURLs: ['https://app.example.com/'],
      ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
      SupportedIdentityProviders: ['COGNITO'],
      EnableTokenRevocation: true,
      PreventUserExistenceErrors: 'ENABLED',
      AccessTokenValidity: 60,
      IdTokenValidity: 60,
      RefreshTokenValidity: COGNITO_OAUTH_DEFAULTS.refreshTokenValidity.toMinutes(),
    });
  });

  test('cognito oauth with all props specified', () => {
    const stack = new Stack(new App(), 'Stack', { env: { account: '123456789012', region: 'us-east-1' } });
    const certificate = acm.Certificate.fromCertificateArn(stack, 'Cert', 'arn:aws:acm:us-east-1:123456789012:certificate/abc');
    const auth = new CognitoOAuth(stack, 'Auth', {
      scopes: [read, write],
      resourceServerName: 'Items API',
      userPoolName: 'items-users',
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.AUDIT_ONLY,
      customThreatProtectionMode: cognito.CustomThreatProtectionMode.FULL_FUNCTION,
      mfa: cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: true },
      passwordPolicy: { minLength: 16, requireSymbols: true, requireDigits: true, requireUppercase: true, requireLowercase: true },
      selfSignUpEnabled: true,
      deletionProtection: false,
      accessTokenValidity: Duration.minutes(15),
      machineClient: { clientName: 'machine', scopes: [write] },
      webClient: { callbackUrls: ['https://app.example.com/cb'], refreshTokenValidity: Duration.hours(8), openIdScopes: [cognito.OAuthScope.OPENID] },
      customDomain: { domainName: 'auth.example.com', certificate },
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      UserPoolName: 'items-users',
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'AUDIT', AdvancedSecurityAdditionalFlows: { CustomAuthMode: 'ENFORCED' } },
      MfaConfiguration: 'OPTIONAL',
      EnabledMfas: ['SMS_MFA', 'SOFTWARE_TOKEN_MFA'],
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: false },
      DeletionProtection: 'INACTIVE',
      Policies: { PasswordPolicy: Match.objectLike({ MinimumLength: 16 }) },
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', { Name: 'Items API' });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      ClientName: 'machine',
      AllowedOAuthScopes: ['items/write'],
      AccessTokenValidity: 15,
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: ['openid', 'items/read', 'items/write'],
      RefreshTokenValidity: 480,
      IdTokenValidity: 15,
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', {
      Domain: 'auth.example.com',
      CustomDomainConfig: { CertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc' },
    });
    expect(auth.tokenEndpoint).toBe('https://auth.example.com/oauth2/token');
    expect(acknowledgedRules(auth.userPool)).toEqual({});
  });

  test('the plus feature plan enforces threat protection by default', () => {
    const { template, auth } = build({ featurePlan: cognito.FeaturePlan.PLUS, domainPrefix: 'items-auth' });
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'items-auth' });
    expect(auth.tokenEndpoint).toBe('https://items-auth.auth.eu-west-1.amazoncognito.com/oauth2/token');
  });

  test.each([
    ['threat protection is asked for without the plus plan', { standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION },
      "'standardThreatProtectionMode' requires 'featurePlan' to be FeaturePlan.PLUS: threat protection is a Plus feature (received: featurePlan 'ESSENTIALS')"],
    ['custom threat protection is asked for on the lite plan', { featurePlan: cognito.FeaturePlan.LITE, customThreatProtectionMode: cognito.CustomThreatProtectionMode.AUDIT_ONLY },
      "'customThreatProtectionMode' requires 'featurePlan' to be FeaturePlan.PLUS: threat protection is a Plus feature (received: featurePlan 'LITE')"],
    ['the access token lives shorter than five minutes', { accessTokenValidity: Duration.minutes(4) },
      "'accessTokenValidity' must be whole minutes from 5 to 1440 (received: 4 minutes)"],
    ['the access token lives longer than a day', { accessTokenValidity: Duration.hours(25) },
      "'accessTokenValidity' must be whole minutes from 5 to 1440 (received: 1500 minutes)"],
    ['the access token validity is not whole minutes', { accessTokenValidity: Duration.seconds(330) },
      "'accessTokenValidity' must be whole minutes from 5 to 1440 (received: 5.5 minutes)"],
    ['the domain prefix has capitals', { domainPrefix: 'Items' },
      "'domainPrefix' must be 1-63 lowercase letters, digits and hyphens, starting and ending with a letter or digit (received: 'Items')"],
    ['the domain prefix holds a reserved word', { domainPrefix: 'my-cognito-login' },
      "'domainPrefix' must not contain the reserved word 'cognito' (received: 'my-cognito-login')"],
    ['both a domain prefix and a custom domain are given', { domainPrefix: 'items', customDomain: { domainName: 'auth.example.com', certificate: acm.Certificate.fromCertificateArn(new Stack(), 'C', 'arn:aws:acm:us-east-1:1:certificate/x') } },
      "'domainPrefix' and 'customDomain' are alternatives: set at most one (received: 'items' and 'auth.example.com')"],
    ['no scope is given', { scopes: [] },
      "'scopes' must hold at least one ApiScope: the resource server is built from them (received: [])"],
    ['scopes span two resource servers', { scopes: [read, ApiScope.of('orders', 'read', 'Read orders')] },
      "'scopes' must all belong to one resource server identifier (received: [\"items\",\"orders\"])"],
    ['a scope name repeats', { scopes: [read, ApiScope.of('items', 'read', 'Read again')] },
      "'scopes' must not repeat a scope name (received: 'read' twice)"],
    ['the machine client asks for a scope the resource server lacks', { scopes: [read], machineClient: { scopes: [write] } },
      "'MachineClient.scopes[0]' must be one of the resource server's scopes [\"items/read\"] (received: 'items/write')"],
    ['the web client has no callback URL', { webClient: { callbackUrls: [] } },
      "'callbackUrls' must list at least one exact redirect URI: the authorization-code client redirects only to registered URLs (received: [])"],
    ['a callback URL holds a wildcard', { webClient: { callbackUrls: ['https://*.example.com/callback'] } },
      "'callbackUrls[0]' must be an exact URL without wildcards (received: 'https://*.example.com/callback')"],
    ['a callback URL uses http beyond localhost', { webClient: { callbackUrls: ['https://ok.example.com/cb', 'http://app.example.com/cb'] } },
      "'callbackUrls[1]' must use https (http only for localhost) (received: 'http://app.example.com/cb')"],
    ['a callback URL has a fragment', { webClient: { callbackUrls: ['https://app.example.com/cb#x'] } },
      "'callbackUrls[0]' must not contain a fragment (received: 'https://app.example.com/cb#x')"],
    ['a callback URL is relative', { webClient: { callbackUrls: ['/callback'] } },
      "'callbackUrls[0]' must be an absolute URL (received: '/callback')"],
    ['a logout URL uses a custom scheme', { webClient: { callbackUrls: ['https://app.example.com/cb'], logoutUrls: ['myapp://logout'] } },
      "'logoutUrls[0]' must use https (http only for localhost) (received: 'myapp://logout')"],
    ['refresh tokens would expire before access tokens', { accessTokenValidity: Duration.hours(2), webClient: { callbackUrls: ['https://app.example.com/cb'], refreshTokenValidity: Duration.hours(1) } },
      "'refreshTokenValidity' must be at least 'accessTokenValidity' (120 minutes) (received: 60 minutes)"],
  ] as [string, Partial<CognitoOAuthProps>, string][])('throws when %s', (_case, props, message) => {
    const attempt = () => build(props);
    expect(attempt).toThrow(SecureApiValidationError);
    expect(attempt).toThrow(message);
  });

  test('never mutates the props it was given', () => {
    const callbackUrls = ['https://app.example.com/cb'];
    const scopes = [read, write];
    const props = { scopes, webClient: { callbackUrls } };
    const before = JSON.stringify(props);
    build(props);
    expect(JSON.stringify(props)).toBe(before);
  });
});
