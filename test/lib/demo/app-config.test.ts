import { App, CfnElement, Duration, Size, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { SecureApiStack, type SecureApiStackProps } from '../../../lib/demo/secure-api-stack';
import { TokenIssuer, type OidcTokenIssuerOptions } from '../../../lib/authorizer/token-issuer';
import { CONFIG_LIMITS } from '../../../lambda/contract';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as logs from 'aws-cdk-lib/aws-logs';
import {
  APP_CONFIG_CONTEXT_KEY, CLOUDFORMATION_VALIDATION_CONTEXT_KEY, appConfigFromContext, cloudFormationValidationFromContext, parseAppConfig,
} from '../../../lib/demo/app-config';
import { DEMO_ITEMS_DEFAULTS, SECURE_API_STACK_DEFAULTS } from '../../../lib/defaults';
import { SecureApiValidationError } from '../../../lib/errors';

describe('app configuration from cdk.json context', () => {
  test('no context gives the demo with its defaults', () => {
    expect(parseAppConfig(undefined)).toEqual({
      stackName: SECURE_API_STACK_DEFAULTS.stackName,
      props: {},
    });
  });

  test('every setting translates into stack properties', () => {
    const { stackName, props } = parseAppConfig({
      stackName: 'OrdersApi',
      stageName: 'v1',
      throttle: { rateLimit: 25.5, burstLimit: 50 },
      corsOrigins: ['https://app.example.com'],
      callbackUrls: ['https://app.example.com/callback'],
      logoutUrls: ['https://app.example.com/'],
      externalIssuers: [
        { issuerUrl: 'https://login.example.com', audiences: ['https://api.example.com'], jwksUri: 'https://login.example.com/keys' },
        { issuerUrl: 'https://idp.example.org', audienceCheck: false, clientIds: ['abc'], discovery: true, algorithms: ['ES256'], requiredTyp: 'at+jwt', clientIdClaim: 'cid' },
      ],
      logRetentionDays: 90,
      kmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      featurePlan: 'PLUS',
      threatProtection: 'AUDIT',
      mfa: 'OPTIONAL',
      domainPrefix: 'orders-login',
      accessTokenValidityMinutes: 15,
      authorizerCacheTtlSeconds: 0,
      executionLogLevel: 'INFO',
      allowedSourceIps: ['203.0.113.0/24', '2001:db8::/32'],
    });
    expect(stackName).toBe('OrdersApi');
    const stack = new Stack();
    expect(props.externalIssuers!.map((issuer) => issuer.bind(stack))).toEqual([
      { kind: 'oidc', issuer: 'https://login.example.com', algorithms: ['RS256'], jwksUri: 'https://login.example.com/keys', audiences: ['https://api.example.com'] },
      { kind: 'oidc', issuer: 'https://idp.example.org', algorithms: ['ES256'], discovery: true, clientIds: ['abc'], clientIdClaim: 'cid', audienceCheck: false, requiredTyp: 'at+jwt' },
    ]);
    expect({ ...props, externalIssuers: undefined }).toEqual({
      stageName: 'v1',
      throttle: { rateLimit: 25.5, burstLimit: 50 },
      corsOrigins: ['https://app.example.com'],
      callbackUrls: ['https://app.example.com/callback'],
      logoutUrls: ['https://app.example.com/'],
      externalIssuers: undefined,
      logRetention: logs.RetentionDays.THREE_MONTHS,
      logEncryptionKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      featurePlan: cognito.FeaturePlan.PLUS,
      threatProtection: cognito.StandardThreatProtectionMode.AUDIT_ONLY,
      mfa: cognito.Mfa.OPTIONAL,
      domainPrefix: 'orders-login',
      accessTokenValidity: Duration.minutes(15),
      authorizerCacheTtl: Duration.seconds(0),
      executionLogLevel: 'INFO',
      allowedSourceIps: ['203.0.113.0/24', '2001:db8::/32'],
    });
  });

  test('a JSON string, as `cdk synth -c secureApi=...` passes it, is parsed', () => {
    expect(parseAppConfig('{"stageName":"dev","createKmsKey":true}').props).toEqual(
      expect.objectContaining({ stageName: 'dev', createLogEncryptionKey: true }),
    );
  });

  test('the context is read from the app', () => {
    const app = new App({ context: { [APP_CONFIG_CONTEXT_KEY]: { stackName: 'FromContext' } } });
    expect(appConfigFromContext(app).stackName).toBe('FromContext');
  });

  test.each([
    ['the context is not an object', ['x'], `cdk.json context 'secureApi' must be a JSON object (received: ["x"])`],
    ['the context string is not JSON', '{stage', `cdk.json context 'secureApi' must be a JSON object (received: "{stage")`],
    ['a key is misspelt', { stagename: 'dev' },
      "cdk.json context 'secureApi.stagename' is not a known setting; known settings are stackName, stageName, throttle, corsOrigins, callbackUrls, logoutUrls, externalIssuers, logRetentionDays, kmsKeyArn, createKmsKey, featurePlan, threatProtection, mfa, domainPrefix, accessTokenValidityMinutes, authorizerCacheTtlSeconds, executionLogLevel, allowedSourceIps, waf, apiGatewayAccount, logProfile, revocation (received: \"dev\")"],
    ['the rate limit is a word', { throttle: { rateLimit: 'fast' } },
      `cdk.json context 'secureApi.throttle.rateLimit' must be a number (received: "fast")`],
    ['the throttle has an unknown key', { throttle: { rate: 5 } },
      "cdk.json context 'secureApi.throttle.rate' is not a known setting; known settings are rateLimit, burstLimit (received: 5)"],
    ['cors origins is a string', { corsOrigins: 'https://app.example.com' },
      `cdk.json context 'secureApi.corsOrigins' must be an array of strings (received: "https://app.example.com")`],
    ['external issuers is an object', { externalIssuers: { issuerUrl: 'https://x' } },
      `cdk.json context 'secureApi.externalIssuers' must be an array of issuer objects (received: {"issuerUrl":"https://x"})`],
    ['an issuer has an unknown key', { externalIssuers: [{ issuerUrl: 'https://l.example.com', audience: 'a' }] },
      "cdk.json context 'secureApi.externalIssuers[0].audience' is not a known setting; known settings are issuerUrl, audiences, audienceCheck, jwksUri, discovery, algorithms, requiredTyp, clientIds, clientIdClaim (received: \"a\")"],
    ['an issuer URL is a number', { externalIssuers: [{ issuerUrl: 443 }] },
      "cdk.json context 'secureApi.externalIssuers[0].issuerUrl' must be a string (received: 443)"],
    ['createKmsKey is a string', { createKmsKey: 'yes' }, `cdk.json context 'secureApi.createKmsKey' must be true or false (received: "yes")`],
    ['the feature plan is lowercase', { featurePlan: 'plus' },
      `cdk.json context 'secureApi.featurePlan' must be one of "ESSENTIALS", "PLUS", "LITE" (received: "plus")`],
    ['mfa is a boolean', { mfa: true }, `cdk.json context 'secureApi.mfa' must be one of "REQUIRED", "OPTIONAL", "OFF" (received: true)`],
    ['the log retention is a word', { logRetentionDays: 'forever' },
      `cdk.json context 'secureApi.logRetentionDays' must be a number of days or a JSON object of days per log (access, decision, waf, execution) (received: "forever")`],
    ['a log retention names an unknown log', { logRetentionDays: { audit: 30 } },
      "cdk.json context 'secureApi.logRetentionDays.audit' is not a known setting; known settings are access, decision, waf, execution (received: 30)"],
    ['a log retention per log is a word', { logRetentionDays: { waf: 'month' } }, `cdk.json context 'secureApi.logRetentionDays.waf' must be a number (received: "month")`],
    ['revocation is a string', { revocation: 'on' }, `cdk.json context 'secureApi.revocation' must be true or false (received: "on")`],
    ['the log profile is a number', { logProfile: 1 }, `cdk.json context 'secureApi.logProfile' must be a string (received: 1)`],
    ['the cache TTL is negative, which no Duration holds', { authorizerCacheTtlSeconds: -1 },
      "cdk.json context 'secureApi.authorizerCacheTtlSeconds' must be a number of at least 0 (received: -1)"],
    ['the waf body size is a string', { waf: { maxBodySizeKb: '8' } }, `cdk.json context 'secureApi.waf.maxBodySizeKb' must be a number (received: "8")`],
    ['a waf key is misspelt', { waf: { ratelimit: 100 } },
      "cdk.json context 'secureApi.waf.ratelimit' is not a known setting; known settings are rateLimit, rateLimitWindowSeconds, maxBodySizeKb, blockedIps, allowedIps, sqlInjection, anonymousIp, botControl, logAllRequests (received: 100)"],
  ])('throws when %s', (_case, raw, message) => {
    expect(() => parseAppConfig(raw)).toThrow(SecureApiValidationError);
    expect(() => parseAppConfig(raw)).toThrow(message);
  });

  /** The message a function throws, failing the test when it throws nothing or another error class. */
  function messageOf(build: () => unknown): string {
    try {
      build();
    } catch (error) {
      expect(error).toBeInstanceOf(SecureApiValidationError);
      return (error as Error).message;
    }
    throw new Error('expected a SecureApiValidationError, nothing was thrown');
  }
  const ENV = { account: '123456789012', region: 'eu-west-1' };
  const viaCdkJson = (context: unknown) => () => {
    const { stackName, props } = parseAppConfig(context);
    return new SecureApiStack(new App(), stackName, { ...props, env: ENV });
  };
  const viaProps = (props: SecureApiStackProps, stackName: string = SECURE_API_STACK_DEFAULTS.stackName) => () =>
    new SecureApiStack(new App(), stackName, { ...props, env: ENV });
  const BOUNDED_DAYS = Object.values(logs.RetentionDays).filter((days) => typeof days === 'number' && days !== logs.RetentionDays.INFINITE).join(', ');
  const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

  // One rule per value: cdk.json and the props meet the construct's rule, with the same message naming the construct path.
  test.each<[string, unknown, SecureApiStackProps, string]>([
    // The rules that used to differ between cdk.json and the props.
    ['the stage rate limit is 0', { throttle: { rateLimit: 0 } }, { throttle: { rateLimit: 0 } },
      "SecureApiDemo/Api: 'throttle.rateLimit' must be greater than 0 (received: 0)"],
    ['the stage burst limit is 0', { throttle: { burstLimit: 0 } }, { throttle: { burstLimit: 0 } },
      "SecureApiDemo/Api: 'throttle.burstLimit' must be a whole number of at least 1 (received: 0)"],
    ['the stage burst limit is fractional', { throttle: { burstLimit: 1.5 } }, { throttle: { burstLimit: 1.5 } },
      "SecureApiDemo/Api: 'throttle.burstLimit' must be a whole number of at least 1 (received: 1.5)"],
    ['the log retention is infinite', { logRetentionDays: 9999 }, { logRetention: logs.RetentionDays.INFINITE },
      `SecureApiDemo: 'logRetention' must be a bounded retention, one of ${BOUNDED_DAYS} days (never RetentionDays.INFINITE) (received: RetentionDays.INFINITE)`],
    ['the log retention is not a CloudWatch value', { logRetentionDays: 42 }, { logRetention: 42 as logs.RetentionDays },
      `SecureApiDemo: 'logRetention' must be a bounded retention, one of ${BOUNDED_DAYS} days (never RetentionDays.INFINITE) (received: 42)`],
    ['a source range has host bits set', { allowedSourceIps: ['203.0.113.7/24'] }, { allowedSourceIps: ['203.0.113.7/24'] },
      "SecureApiDemo/Api: 'allowedSourceIps' must hold CIDR ranges in network form, without host bits: write '203.0.113.0/24' (received: '203.0.113.7/24')"],
    ['a blocked range has host bits set', { waf: { blockedIps: ['198.51.100.1/24'] } }, { webAclOptions: { blockedIps: ['198.51.100.1/24'] } },
      "SecureApiDemo/Api/WebAcl: 'blockedIps' must hold CIDR ranges in network form, without host bits: write '198.51.100.0/24' (received: '198.51.100.1/24')"],
    ['a source range is not a range', { allowedSourceIps: ['203.0.113.0/33'] }, { allowedSourceIps: ['203.0.113.0/33'] },
      "SecureApiDemo/Api: 'allowedSourceIps' must hold IPv4 or IPv6 addresses or CIDR ranges such as 203.0.113.0/24 (received: '203.0.113.0/33')"],
    // The rules cdk.json alone had, now the construct's.
    ['the KMS key ARN is an alias', { kmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:alias/logs' }, { logEncryptionKeyArn: 'arn:aws:kms:eu-west-1:123456789012:alias/logs' },
      "SecureApiDemo: 'logEncryptionKeyArn' must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>) (received: 'arn:aws:kms:eu-west-1:123456789012:alias/logs')"],
    ['a key is both named and to be created', { kmsKeyArn: KEY_ARN, createKmsKey: true }, { logEncryptionKeyArn: KEY_ARN, createLogEncryptionKey: true },
      `SecureApiDemo: 'logEncryptionKeyArn' and 'createLogEncryptionKey' are alternatives: set at most one (received: '${KEY_ARN}' and true)`],
    ['the waf window is not one AWS WAF offers', { waf: { rateLimitWindowSeconds: 90 } }, { webAclOptions: { rateLimit: { window: Duration.seconds(90) } } },
      "SecureApiDemo/Api/WebAcl: 'rateLimit.window' must be 60, 120, 300 or 600 seconds (received: 90)"],
    ['the waf rate limit is below what AWS WAF accepts', { waf: { rateLimit: 5 } }, { webAclOptions: { rateLimit: { limit: 5 } } },
      "SecureApiDemo/Api/WebAcl: 'rateLimit.limit' must be an integer between 10 and 2000000000 (received: 5)"],
    ['the waf body size limit is beyond what AWS WAF inspects', { waf: { maxBodySizeKb: 128 } },
      { webAclOptions: { maxBodySize: Size.kibibytes(128), bodyInspectionLimit: Size.kibibytes(64) } },
      "SecureApiDemo/Api/WebAcl: 'maxBodySize' must be between 1 byte and 'bodyInspectionLimit' (65536 bytes), as WAF sees no further (received: 131072 bytes)"],
    ['the waf body size limit is 0', { waf: { maxBodySizeKb: 0 } }, { webAclOptions: { maxBodySize: Size.kibibytes(0) } },
      "SecureApiDemo/Api/WebAcl: 'maxBodySize' must be between 1 byte and 'bodyInspectionLimit' (16384 bytes), as WAF sees no further (received: 0 bytes)"],
    ['the access token validity is too short', { accessTokenValidityMinutes: 2 }, { accessTokenValidity: Duration.minutes(2) },
      "SecureApiDemo/Auth: 'accessTokenValidity' must be whole minutes from 5 to 1440 (received: 2 minutes)"],
    ['the cache TTL exceeds an hour', { authorizerCacheTtlSeconds: 7200 }, { authorizerCacheTtl: Duration.seconds(7200) },
      "SecureApiDemo/Api: 'authorizerCacheTtl' must be at most 3600 seconds (received: 7200)"],
    ['the stage name has a space', { stageName: 'my stage' }, { stageName: 'my stage' },
      "SecureApiDemo/Api: 'stageName' must be 1-128 letters, digits, hyphens or underscores (received: 'my stage')"],
    ['the execution log level is lowercase', { executionLogLevel: 'info' }, { executionLogLevel: 'info' as 'INFO' },
      "SecureApiDemo/Api: 'executionLogLevel' must be 'ERROR', 'INFO' or 'OFF' (received: 'info')"],
    ['the api gateway account mode is unknown', { apiGatewayAccount: 'shared' }, { apiGatewayAccount: 'shared' as 'create' },
      "SecureApiDemo/Api: 'apiGatewayAccount' must be 'existing' or 'create' (received: 'shared')"],
    ['threat protection is set without the plus plan', { threatProtection: 'ENFORCED' },
      { threatProtection: cognito.StandardThreatProtectionMode.FULL_FUNCTION },
      "SecureApiDemo/Auth: 'standardThreatProtectionMode' requires 'featurePlan' to be FeaturePlan.PLUS: threat protection is a Plus feature (received: featurePlan 'ESSENTIALS')"],
    ['the domain prefix holds a reserved word', { domainPrefix: 'aws-login' }, { domainPrefix: 'aws-login' },
      "SecureApiDemo/Auth: 'domainPrefix' must not contain the reserved word 'aws' (received: 'aws-login')"],
    ['a callback URL has a wildcard', { callbackUrls: ['https://*.example.com/cb'] }, { callbackUrls: ['https://*.example.com/cb'] },
      "SecureApiDemo/Auth: 'callbackUrls[0]' must be an exact URL without wildcards (received: 'https://*.example.com/cb')"],
    ['a logout URL is plain http', { logoutUrls: ['http://app.example.com/'] }, { logoutUrls: ['http://app.example.com/'] },
      "SecureApiDemo/Auth: 'logoutUrls[0]' must use https (http only for localhost) (received: 'http://app.example.com/')"],
  ])('%s: cdk.json and the props meet the same rule', (_case, context, props, message) => {
    expect(messageOf(viaCdkJson(context))).toBe(message);
    expect(messageOf(viaProps(props))).toBe(message);
  });

  test('a stack name that starts with a digit meets the same rule from cdk.json and as the construct id', () => {
    const message = "1api: 'stackName' must start with a letter and hold at most 128 letters, digits and hyphens (received: '1api')";
    expect(messageOf(viaCdkJson({ stackName: '1api' }))).toBe(message);
    expect(messageOf(viaProps({}, '1api'))).toBe(message);
  });

  // Issuers are built by TokenIssuer.oidc, before any construct: its rule, prefixed with the issuer's place in cdk.json.
  test.each<[string, Record<string, unknown>, string]>([
    ['an issuer URL is http', { issuerUrl: 'http://login.example.com', audiences: ['a'] },
      "'issuerUrl' must be an https URL without credentials, query or fragment (http only for loopback hosts) (received: 'http://login.example.com')"],
    ['the required typ is longer than the contract allows', { issuerUrl: 'https://l.example.com', audiences: ['a'], requiredTyp: `a${'t'.repeat(CONFIG_LIMITS.requiredTypLength)}` },
      `'requiredTyp' must be a media type such as 'at+jwt'`],
    ['an issuer has no audience', { issuerUrl: 'https://l.example.com' },
      "'audiences' must name at least one audience, or 'audienceCheck' must be false to switch the check off explicitly (received: none)"],
    ['an issuer names both a JWKS URI and discovery', { issuerUrl: 'https://l.example.com', audiences: ['a'], jwksUri: 'https://l.example.com/jwks', discovery: true },
      `'jwksUri', 'discovery' and 'keys' are alternatives: set at most one (received: ["jwksUri","discovery"])`],
    ['an issuer allows HMAC', { issuerUrl: 'https://l.example.com', audiences: ['a'], algorithms: ['HS256'] }, "'algorithms' must be a non-empty list of"],
    ['an issuer names an unknown client id claim', { issuerUrl: 'https://l.example.com', audiences: ['a'], clientIdClaim: 'appid' },
      "'clientIdClaim' must be one of client_id, azp, cid (received: 'appid')"],
  ])('%s: cdk.json and TokenIssuer.oidc meet the same rule', (_case, issuer, rule) => {
    const direct = messageOf(() => TokenIssuer.oidc(issuer as unknown as OidcTokenIssuerOptions));
    expect(direct).toContain(rule);
    expect(messageOf(() => parseAppConfig({ externalIssuers: [issuer] }))).toBe(`cdk.json context 'secureApi.externalIssuers[0]': ${direct}`);
  });

  test('a loopback issuer over http is accepted from cdk.json as from the props', () => {
    const { props } = parseAppConfig({ externalIssuers: [{ issuerUrl: 'http://localhost:8080/realms/dev', audiences: ['api'] }] });
    expect(props.externalIssuers![0]!.bind(new Stack())).toEqual(expect.objectContaining({ issuer: 'http://localhost:8080/realms/dev' }));
  });

  test('an error names the path of the construct whose property is wrong', () => {
    const app = new App();
    const stack = new SecureApiStack(app, 'Orders', { env: ENV });
    expect(() => stack.api.addRoute('GET /orders', stack.items.integration, { authenticatedOnly: true, throttle: { rateLimit: 0 } })).toThrow(
      new SecureApiValidationError("'throttle.rateLimit' must be greater than 0 (received: 0)", stack.api),
    );
    expect(messageOf(() => stack.api.addRoute('GET /orders', stack.items.integration, { authenticatedOnly: true, throttle: { rateLimit: 0 } }))).toBe(
      "Orders/Api: 'throttle.rateLimit' must be greater than 0 (received: 0)",
    );
  });

  test('data-protection settings translate into stack properties that reach the template', () => {
    const { props } = parseAppConfig({ logProfile: 'minimal', revocation: true, logRetentionDays: { access: 90, decision: 180, waf: 30 } });
    expect(props).toEqual({ logProfile: 'minimal', revocation: true, logRetention: { access: 90, decision: 180, waf: 30 } });
    const stack = new SecureApiStack(new App(), 'Demo', { ...props, env: { account: '123456789012', region: 'eu-west-1' } });
    const template = Template.fromStack(stack);
    expect(stack.api.logProfile).toBe('minimal');
    template.hasOutput('LogProfile', { Value: 'minimal' });
    template.hasOutput('DenyListTableName', { Value: { Ref: Match.stringLikeRegexp('^ApiDenyListTable') } });
    template.resourceCountIs('AWS::DynamoDB::Table', 2);
    const retention = (group: { node: { defaultChild?: unknown } }) =>
      (template.toJSON().Resources[stack.getLogicalId(group.node.defaultChild as CfnElement)] as { Properties: { RetentionInDays: number } }).Properties.RetentionInDays;
    expect([retention(stack.api.accessLogGroup), retention(stack.api.authorizerLogGroup), retention(stack.api.webAcl!.logGroup!), retention(stack.api.executionLogGroup!)])
      .toEqual([90, 180, 30, 365]);
    // The items service's own log keeps its default when the retention is given per log of the API.
    expect(retention(stack.items.logGroup)).toBe(DEMO_ITEMS_DEFAULTS.logRetention);
  });

  test('an unknown log profile from cdk.json meets the construct rule, naming the construct', () => {
    const { props } = parseAppConfig({ logProfile: 'none' });
    expect(() => new SecureApiStack(new App(), 'Demo', props)).toThrow("Demo/Api: 'logProfile' must be one of 'full', 'minimal', 'pseudonymous' (received: 'none')");
  });

  test('waf settings translate into web acl options that reach the template', () => {
    const { props } = parseAppConfig({
      waf: { rateLimit: 300, rateLimitWindowSeconds: 60, maxBodySizeKb: 32, blockedIps: ['198.51.100.0/24'], sqlInjection: true, logAllRequests: true },
    });
    expect(props.webAclOptions?.rateLimit).toEqual({ limit: 300, window: Duration.seconds(60) });
    expect(props.webAclOptions?.maxBodySize).toEqual(Size.kibibytes(32));
    expect(props.webAclOptions?.bodyInspectionLimit?.toKibibytes()).toBe(32);
    const app = new App();
    const stack = new SecureApiStack(app, 'Demo', { ...props, env: { account: '123456789012', region: 'eu-west-1' } });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Rules: Match.arrayWith([
        Match.objectLike({ Statement: { RateBasedStatement: Match.objectLike({ Limit: 300, EvaluationWindowSec: 60 }) } }),
        Match.objectLike({ Statement: Match.objectLike({ ManagedRuleGroupStatement: Match.objectLike({ Name: 'AWSManagedRulesSQLiRuleSet' }) }) }),
      ]),
    });
    template.hasResourceProperties('AWS::WAFv2::IPSet', { Addresses: ['198.51.100.0/24'] });
  });
});

describe('CloudFormation validation switch from cdk.json context', () => {
  const validationWith = (context: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): boolean =>
    cloudFormationValidationFromContext(new App({ context }), env);

  test('without the context key the validation runs, as aws-cdk-lib does by default', () => {
    expect(validationWith({})).toBe(true);
  });

  test.each([
    [true, true],
    ['true', true],
    [false, false],
    ['false', false],
  ])('the context value %p gives %p', (value, expected) => {
    expect(validationWith({ [CLOUDFORMATION_VALIDATION_CONTEXT_KEY]: value })).toBe(expected);
  });

  test('cdk synth --no-validation (CDK_VALIDATION=false) switches it off even when the context switches it on', () => {
    expect(validationWith({ [CLOUDFORMATION_VALIDATION_CONTEXT_KEY]: true }, { CDK_VALIDATION: 'false' })).toBe(false);
  });

  test('throws when the context value is not a boolean', () => {
    const read = (): boolean => validationWith({ [CLOUDFORMATION_VALIDATION_CONTEXT_KEY]: 'yes' });
    expect(read).toThrow(SecureApiValidationError);
    expect(read).toThrow("'secureApi:cloudFormationValidation' must be true or false (received: 'yes')");
  });
});
