import { App, Duration, Size, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { SecureApiStack } from '../../../lib/demo/secure-api-stack';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as logs from 'aws-cdk-lib/aws-logs';
import { APP_CONFIG_CONTEXT_KEY, appConfigFromContext, parseAppConfig } from '../../../lib/demo/app-config';
import { SECURE_API_STACK_DEFAULTS } from '../../../lib/defaults';
import { SecureApiValidationError } from '../../../lib/errors';

describe('app configuration from cdk.json context', () => {
  test('no context gives the demo with its defaults', () => {
    expect(parseAppConfig(undefined)).toEqual({
      stackName: SECURE_API_STACK_DEFAULTS.stackName,
      props: {
        callbackUrls: [...SECURE_API_STACK_DEFAULTS.callbackUrls],
        logoutUrls: [...SECURE_API_STACK_DEFAULTS.logoutUrls],
      },
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
      "cdk.json context 'secureApi.stagename' is not a known setting; known settings are stackName, stageName, throttle, corsOrigins, callbackUrls, logoutUrls, externalIssuers, logRetentionDays, kmsKeyArn, createKmsKey, featurePlan, threatProtection, mfa, domainPrefix, accessTokenValidityMinutes, authorizerCacheTtlSeconds, executionLogLevel, allowedSourceIps, waf, apiGatewayAccount (received: \"dev\")"],
    ['the stack name starts with a digit', { stackName: '1api' },
      `cdk.json context 'secureApi.stackName' must start with a letter and hold at most 128 letters, digits and hyphens (received: "1api")`],
    ['the stage name has a space', { stageName: 'my stage' },
      `cdk.json context 'secureApi.stageName' must be 1-128 letters, digits, hyphens or underscores (received: "my stage")`],
    ['the rate limit is a word', { throttle: { rateLimit: 'fast' } },
      `cdk.json context 'secureApi.throttle.rateLimit' must be a positive number (received: "fast")`],
    ['the burst limit is fractional', { throttle: { burstLimit: 1.5 } },
      "cdk.json context 'secureApi.throttle.burstLimit' must be a positive integer (received: 1.5)"],
    ['the throttle has an unknown key', { throttle: { rate: 5 } },
      "cdk.json context 'secureApi.throttle.rate' is not a known setting; known settings are rateLimit, burstLimit (received: 5)"],
    ['cors origins is a string', { corsOrigins: 'https://app.example.com' },
      `cdk.json context 'secureApi.corsOrigins' must be an array of non-empty strings (received: "https://app.example.com")`],
    ['callback URLs are empty', { callbackUrls: [] }, "cdk.json context 'secureApi.callbackUrls' must list at least one exact redirect URI (received: [])"],
    ['a callback URL has a wildcard', { callbackUrls: ['https://*.example.com/cb'] },
      `cdk.json context 'secureApi.callbackUrls[0]' must be an exact URL without wildcards (received: "https://*.example.com/cb")`],
    ['a logout URL is plain http', { logoutUrls: ['http://app.example.com/'] },
      `cdk.json context 'secureApi.logoutUrls[0]' must use https (http only for localhost) (received: "http://app.example.com/")`],
    ['external issuers is an object', { externalIssuers: { issuerUrl: 'https://x' } },
      `cdk.json context 'secureApi.externalIssuers' must be an array of issuer objects (received: {"issuerUrl":"https://x"})`],
    ['an issuer URL is http', { externalIssuers: [{ issuerUrl: 'http://login.example.com', audiences: ['a'] }] },
      `cdk.json context 'secureApi.externalIssuers[0].issuerUrl' must be an https URL (received: "http://login.example.com")`],
    ['an issuer has no audience', { externalIssuers: [{ issuerUrl: 'https://login.example.com' }] },
      "cdk.json context 'secureApi.externalIssuers[0].audiences' must list at least one audience unless 'secureApi.externalIssuers[0].audienceCheck' is false (received: undefined)"],
    ['an issuer names both a JWKS URI and discovery', { externalIssuers: [{ issuerUrl: 'https://l.example.com', audiences: ['a'], jwksUri: 'https://l.example.com/jwks', discovery: true }] },
      "cdk.json context 'secureApi.externalIssuers[0].discovery' must not be true when 'secureApi.externalIssuers[0].jwksUri' is set: they are alternatives (received: true)"],
    ['an issuer allows HMAC', { externalIssuers: [{ issuerUrl: 'https://l.example.com', audiences: ['a'], algorithms: ['HS256'] }] },
      `cdk.json context 'secureApi.externalIssuers[0].algorithms[0]' must be one of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA (received: "HS256")`],
    ['an issuer has an unknown key', { externalIssuers: [{ issuerUrl: 'https://l.example.com', audience: 'a' }] },
      "cdk.json context 'secureApi.externalIssuers[0].audience' is not a known setting; known settings are issuerUrl, audiences, audienceCheck, jwksUri, discovery, algorithms, requiredTyp, clientIds, clientIdClaim (received: \"a\")"],
    ['an issuer names an unknown client id claim', { externalIssuers: [{ issuerUrl: 'https://l.example.com', audiences: ['a'], clientIdClaim: 'appid' }] },
      `cdk.json context 'secureApi.externalIssuers[0].clientIdClaim' must be one of client_id, azp, cid (received: "appid")`],
    ['log retention is not a CloudWatch value', { logRetentionDays: 42 },
      "cdk.json context 'secureApi.logRetentionDays' must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 (received: 42)"],
    ['the KMS key ARN is an alias', { kmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:alias/logs' },
      `cdk.json context 'secureApi.kmsKeyArn' must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>) (received: "arn:aws:kms:eu-west-1:123456789012:alias/logs")`],
    ['a key is both named and to be created', { kmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/abc', createKmsKey: true },
      "cdk.json context 'secureApi.createKmsKey' must not be true when 'secureApi.kmsKeyArn' names a key (received: true)"],
    ['createKmsKey is a string', { createKmsKey: 'yes' }, `cdk.json context 'secureApi.createKmsKey' must be true or false (received: "yes")`],
    ['the feature plan is lowercase', { featurePlan: 'plus' },
      `cdk.json context 'secureApi.featurePlan' must be one of "ESSENTIALS", "PLUS", "LITE" (received: "plus")`],
    ['threat protection is set without the plus plan', { threatProtection: 'ENFORCED' },
      `cdk.json context 'secureApi.threatProtection' must be omitted unless 'secureApi.featurePlan' is "PLUS" (received: "ENFORCED")`],
    ['mfa is a boolean', { mfa: true }, `cdk.json context 'secureApi.mfa' must be one of "REQUIRED", "OPTIONAL", "OFF" (received: true)`],
    ['the domain prefix holds a reserved word', { domainPrefix: 'aws-login' },
      `cdk.json context 'secureApi.domainPrefix' must not contain the reserved word 'aws' (received: "aws-login")`],
    ['the access token validity is too short', { accessTokenValidityMinutes: 2 },
      "cdk.json context 'secureApi.accessTokenValidityMinutes' must be an integer from 5 to 1440 (received: 2)"],
    ['the cache TTL exceeds an hour', { authorizerCacheTtlSeconds: 7200 },
      "cdk.json context 'secureApi.authorizerCacheTtlSeconds' must be an integer from 0 to 3600 (received: 7200)"],
    ['the execution log level is lowercase', { executionLogLevel: 'info' },
      `cdk.json context 'secureApi.executionLogLevel' must be one of "ERROR", "INFO", "OFF" (received: "info")`],
    ['a source IP is not a CIDR block', { allowedSourceIps: ['203.0.113.7'] },
      `cdk.json context 'secureApi.allowedSourceIps[0]' must be an IPv4 or IPv6 CIDR block such as "203.0.113.0/24" (received: "203.0.113.7")`],
    ['the api gateway account mode is unknown', { apiGatewayAccount: 'shared' },
      `cdk.json context 'secureApi.apiGatewayAccount' must be one of "create", "existing" (received: "shared")`],
    ['the waf rate limit is below what AWS WAF accepts', { waf: { rateLimit: 5 } },
      "cdk.json context 'secureApi.waf.rateLimit' must be an integer from 10 to 2000000000 (received: 5)"],
    ['the waf window is not one AWS WAF offers', { waf: { rateLimitWindowSeconds: 90 } },
      "cdk.json context 'secureApi.waf.rateLimitWindowSeconds' must be one of 60, 120, 300, 600 (received: 90)"],
    ['the waf body size limit is beyond what AWS WAF inspects', { waf: { maxBodySizeKb: 128 } },
      "cdk.json context 'secureApi.waf.maxBodySizeKb' must be an integer from 1 to 64 (received: 128)"],
    ['a blocked ip is not a CIDR block', { waf: { blockedIps: ['198.51.100.1'] } },
      `cdk.json context 'secureApi.waf.blockedIps[0]' must be an IPv4 or IPv6 CIDR block such as "203.0.113.0/24" (received: "198.51.100.1")`],
    ['a waf key is misspelt', { waf: { ratelimit: 100 } },
      "cdk.json context 'secureApi.waf.ratelimit' is not a known setting; known settings are rateLimit, rateLimitWindowSeconds, maxBodySizeKb, blockedIps, allowedIps, sqlInjection, anonymousIp, botControl, logAllRequests (received: 100)"],
  ])('throws when %s', (_case, raw, message) => {
    expect(() => parseAppConfig(raw)).toThrow(SecureApiValidationError);
    expect(() => parseAppConfig(raw)).toThrow(message);
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
