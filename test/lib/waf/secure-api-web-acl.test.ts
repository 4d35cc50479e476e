import { App, Duration, Lazy, Size, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { WEB_ACL_DEFAULTS } from '../../../lib/defaults';
import { SecureApiValidationError } from '../../../lib/errors';
import { ApiScope } from '../../../lib/authorizer/api-scope';
import { SecureApi } from '../../../lib/secure-api/secure-api';
import { SecureApiWebAcl, type SecureApiWebAclProps } from '../../../lib/waf/secure-api-web-acl';
import { TokenIssuer } from '../../../lib/authorizer/token-issuer';
import { estimateStatementCapacity } from '../../../lib/waf/capacity';
import { WAF_COUNTRY_CODES } from '../../../lib/waf/inputs';
import { TemplateValues } from '../../fixtures/iam-policy-evaluator';

const ENV = { account: '123456789012', region: 'eu-west-1' };
/** Ids CloudFormation gives the stack `WafStack` when it is created, and when it is created again after a delete. */
const FIRST_STACK_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/WafStack/3c0ae1a0-ca5f-11ef-9b7e-0a1b2c3d4e5f';
const SECOND_STACK_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/WafStack/7d41f2b0-cb02-11ef-8a6d-0a1b2c3d4e5f';

/** A synthesized template fragment, navigated key by key in assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- template JSON has no static type
type CfnJson = Record<string, any>;

/** The retention values CloudWatch Logs offers, INFINITE aside, as the retention rule lists them. */
const BOUNDED_DAYS = Object.values(logs.RetentionDays).filter((days) => typeof days === 'number' && days !== logs.RetentionDays.INFINITE).join(', ');

function build(props?: SecureApiWebAclProps): { stack: Stack; acl: SecureApiWebAcl } {
  const stack = new Stack(new App(), 'WafStack', { env: ENV });
  return { stack, acl: new SecureApiWebAcl(stack, 'WebAcl', props) };
}

/** The rules of the only web ACL of the stack, as synthesized. */
function rulesOf(stack: Stack): Array<CfnJson> {
  const acls = Template.fromStack(stack).findResources('AWS::WAFv2::WebACL');
  const [acl] = Object.values(acls);
  return acl!.Properties.Rules;
}

function rule(stack: Stack, name: string): CfnJson | undefined {
  return rulesOf(stack).find((r) => r.Name === name);
}

function restApi(stack: Stack, id: string): apigw.RestApi {
  const api = new apigw.RestApi(stack, id, { cloudWatchRole: false });
  api.root.addMethod('GET', new apigw.MockIntegration());
  return api;
}

function customRule(name: string, priority: number, statement: wafv2.CfnWebACL.StatementProperty): wafv2.CfnWebACL.RuleProperty {
  return { name, priority, action: { block: {} }, statement, visibilityConfig: { cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: name } };
}

describe('SecureApiWebAcl', () => {
  test('default secure web acl', () => {
    const { stack, acl } = build();
    const template = Template.fromStack(stack);

    template.resourceCountIs('AWS::WAFv2::WebACL', 1);
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'REGIONAL',
      DefaultAction: { Allow: {} },
      Name: acl.webAclName,
      VisibilityConfig: { CloudWatchMetricsEnabled: true, SampledRequestsEnabled: true, MetricName: acl.webAclName },
      CustomResponseBodies: {
        RateLimited: { ContentType: 'APPLICATION_JSON', Content: '{"message":"Too Many Requests"}' },
        BodyTooLarge: { ContentType: 'APPLICATION_JSON', Content: '{"message":"Request Entity Too Large"}' },
      },
      AssociationConfig: { RequestBody: { API_GATEWAY: { DefaultSizeInspectionLimit: 'KB_16' } } },
    });
    expect(rulesOf(stack).map((r) => [r.Priority, r.Name])).toEqual([
      [40, 'RateLimitPerIp'],
      [60, 'BodySizeLimit'],
      [100, 'AWS-AWSManagedRulesAmazonIpReputationList'],
      [120, 'AWS-AWSManagedRulesKnownBadInputsRuleSet'],
      [130, 'AWS-AWSManagedRulesCommonRuleSet'],
    ]);
    for (const r of rulesOf(stack)) {
      expect(r.VisibilityConfig).toEqual({ CloudWatchMetricsEnabled: true, SampledRequestsEnabled: true, MetricName: r.Name });
    }
    expect(acl.webAclName).toMatch(/^WafStack-WebAcl-[0-9A-F]{8}$/);
    expect(acl.capacity).toBe(2 + 1 + 25 + 200 + 700);
    template.resourceCountIs('AWS::WAFv2::IPSet', 0);
    template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
  });

  test('each default of WEB_ACL_DEFAULTS reaches the template', () => {
    const { stack } = build();
    const template = Template.fromStack(stack);

    expect(rule(stack, 'RateLimitPerIp')).toEqual(expect.objectContaining({
      Action: { Block: { CustomResponse: { ResponseCode: 429, CustomResponseBodyKey: 'RateLimited' } } },
      Statement: {
        RateBasedStatement: {
          AggregateKeyType: 'IP',
          Limit: WEB_ACL_DEFAULTS.rateLimit.limit,
          EvaluationWindowSec: WEB_ACL_DEFAULTS.rateLimit.window.toSeconds(),
        },
      },
    }));
    expect(rule(stack, 'BodySizeLimit')).toEqual(expect.objectContaining({
      Action: { Block: { CustomResponse: { ResponseCode: 413, CustomResponseBodyKey: 'BodyTooLarge' } } },
      Statement: {
        SizeConstraintStatement: {
          FieldToMatch: { Body: { OversizeHandling: 'MATCH' } },
          ComparisonOperator: 'GT',
          Size: WEB_ACL_DEFAULTS.maxBodySize.toBytes(),
          TextTransformations: [{ Priority: 0, Type: 'NONE' }],
        },
      },
    }));
    expect(rule(stack, 'AWS-AWSManagedRulesCommonRuleSet')).toEqual(expect.objectContaining({
      OverrideAction: { None: {} },
      Statement: {
        ManagedRuleGroupStatement: {
          VendorName: 'AWS',
          Name: 'AWSManagedRulesCommonRuleSet',
          RuleActionOverrides: [{ Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } }],
        },
      },
    }));
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      AssociationConfig: { RequestBody: { API_GATEWAY: { DefaultSizeInspectionLimit: `KB_${WEB_ACL_DEFAULTS.bodyInspectionLimit.toKibibytes()}` } } },
      DataProtectionConfig: {
        DataProtections: [
          { Action: 'SUBSTITUTION', Field: { FieldType: 'SINGLE_HEADER', FieldKeys: [...WEB_ACL_DEFAULTS.protectedHeaders] } },
          { Action: 'SUBSTITUTION', Field: { FieldType: 'SINGLE_QUERY_ARGUMENT', FieldKeys: [...WEB_ACL_DEFAULTS.protectedQueryArguments] } },
        ],
      },
    });
    const managed = rulesOf(stack).flatMap((r) => (r.Statement.ManagedRuleGroupStatement ? [r.Statement.ManagedRuleGroupStatement.Name] : []));
    const enabledByDefault = Object.entries(WEB_ACL_DEFAULTS.managedRuleGroups).filter(([, on]) => on).length;
    expect(managed).toHaveLength(enabledByDefault);
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: WEB_ACL_DEFAULTS.logging.retention },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    template.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', { LoggingFilter: Match.objectLike({ DefaultBehavior: 'DROP' }) });
  });

  test('waf log group name starts with aws-waf-logs- and the logging configuration points at it without the :* suffix', () => {
    const { stack, acl } = build();
    const template = Template.fromStack(stack);
    const logGroups = template.findResources('AWS::Logs::LogGroup');
    const [logGroupId] = Object.keys(logGroups);
    expect(logGroups[logGroupId!]!.Properties.LogGroupName).toEqual({
      'Fn::Join': ['', [expect.stringMatching(/^aws-waf-logs-WafStack-WebAcl-[0-9A-F]{8}-$/), { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] }]],
    });
    template.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      ResourceArn: { 'Fn::GetAtt': [stack.getLogicalId(acl.cfnWebAcl), 'Arn'] },
      LogDestinationConfigs: [
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:eu-west-1:123456789012:log-group:', { Ref: logGroupId }]] },
      ],
    });
  });

  test('exposes the web ACL resource with its ARN, id and name', () => {
    const { stack, acl } = build({ webAclName: 'PartnerApi' });
    const logicalId = stack.getLogicalId(acl.cfnWebAcl);
    expect(Object.keys(Template.fromStack(stack).findResources('AWS::WAFv2::WebACL'))).toEqual([logicalId]);
    expect(stack.resolve(acl.webAclArn)).toEqual({ 'Fn::GetAtt': [logicalId, 'Arn'] });
    expect(stack.resolve(acl.webAclId)).toEqual({ 'Fn::GetAtt': [logicalId, 'Id'] });
    expect(acl.webAclName).toBe('PartnerApi');
    expect(stack.resolve(acl.cfnWebAcl.name)).toBe('PartnerApi');
  });

  test('waf log group name is new for each creation of the stack, so a stack destroyed with its retained group deploys again', () => {
    const { stack } = build();
    const template = Template.fromStack(stack).toJSON();
    const [logGroupId] = Object.keys(Template.fromStack(stack).findResources('AWS::Logs::LogGroup'));
    // The same template, deployed, destroyed (the group is retained) and deployed again: two stack ids.
    const names = [FIRST_STACK_ID, SECOND_STACK_ID].map((stackId) => {
      const values = new TemplateValues(template, { ...ENV, refs: { 'AWS::StackId': stackId } });
      const name = values.resolve({ Ref: logGroupId }) as string;
      const logging = Object.values(template.Resources as CfnJson).find((r) => r.Type === 'AWS::WAFv2::LoggingConfiguration');
      expect(values.resolve(logging.Properties.LogDestinationConfigs)).toEqual([`arn:aws:logs:eu-west-1:123456789012:log-group:${name}`]);
      return name;
    });
    expect(names).toEqual([
      expect.stringMatching(/^aws-waf-logs-WafStack-WebAcl-[0-9A-F]{8}-3c0ae1a0-ca5f-11ef-9b7e-0a1b2c3d4e5f$/),
      expect.stringMatching(/^aws-waf-logs-WafStack-WebAcl-[0-9A-F]{8}-7d41f2b0-cb02-11ef-8a6d-0a1b2c3d4e5f$/),
    ]);
    expect(names[0]).not.toBe(names[1]);
  });

  test('waf log group name of a deeply nested web acl stays within 512 characters and the characters cloudwatch logs allows', () => {
    const stack = new Stack(new App(), 'WafStack', { env: ENV });
    let scope: Construct = stack;
    for (let level = 0; level < 4; level += 1) {
      scope = new Construct(scope, `Platform${level}${'x'.repeat(200)}`);
    }
    new SecureApiWebAcl(scope, 'WebAcl');
    const template = Template.fromStack(stack).toJSON();
    const [logGroupId] = Object.keys(Template.fromStack(stack).findResources('AWS::Logs::LogGroup'));
    const name = new TemplateValues(template, { ...ENV, refs: { 'AWS::StackId': FIRST_STACK_ID } }).resolve({ Ref: logGroupId }) as string;
    expect(name).toHaveLength(512);
    expect(name).toMatch(/^aws-waf-logs-WafStack-Platform0x+-[\w./#-]+-3c0ae1a0-ca5f-11ef-9b7e-0a1b2c3d4e5f$/);
  });

  test('waf logging redacts the authorization, cookie and x-api-key headers and keeps only blocked and counted requests', () => {
    const { stack } = build();
    Template.fromStack(stack).hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      RedactedFields: [{ SingleHeader: { Name: 'authorization' } }, { SingleHeader: { Name: 'cookie' } }, { SingleHeader: { Name: 'x-api-key' } }],
      LoggingFilter: {
        DefaultBehavior: 'DROP',
        Filters: [
          {
            Behavior: 'KEEP',
            Requirement: 'MEETS_ANY',
            Conditions: [{ ActionCondition: { Action: 'BLOCK' } }, { ActionCondition: { Action: 'COUNT' } }],
          },
        ],
      },
    });
  });

  test('no log configuration references bodies, and no account-level logs resource policy is created', () => {
    const { stack } = build({ clientRateLimit: { limit: 100 } });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Logs::ResourcePolicy', 0);
    const logging = Object.values(template.findResources('AWS::WAFv2::LoggingConfiguration'))[0];
    expect(JSON.stringify(logging)).not.toMatch(/Body/i);
    const acl = Object.values(template.findResources('AWS::WAFv2::WebACL'))[0];
    // The only body the web ACL looks at is its size; no rule matches on a body's content.
    const bodyFields = JSON.stringify(acl!.Properties.Rules).match(/"(Body|JsonBody)":/g) ?? [];
    expect(bodyFields).toEqual(['"Body":']);
  });

  test('waf logging of every request, a custom log group name and a kms key', () => {
    const stack = new Stack(new App(), 'WafStack', { env: ENV });
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    new SecureApiWebAcl(stack, 'WebAcl', {
      logging: { logAllRequests: true, logGroupName: 'aws-waf-logs-orders-api', retention: logs.RetentionDays.THREE_MONTHS, encryptionKey: key },
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: 'aws-waf-logs-orders-api',
      RetentionInDays: 90,
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', { LoggingFilter: Match.absent() });
    // CloudWatch Logs can only write to the group if the key policy lets it use the key.
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([Match.objectLike({
          Sid: 'AllowCloudWatchLogsOfThisAccountAndRegion',
          Principal: { Service: 'logs.eu-west-1.amazonaws.com' },
          Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': Match.anyValue() } },
        })]),
      },
    });
  });

  test('waf logging can be switched off', () => {
    const { stack, acl } = build({ logging: false });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::WAFv2::LoggingConfiguration', 0);
    template.resourceCountIs('AWS::Logs::LogGroup', 0);
    expect(acl.logGroup).toBeUndefined();
    expect(acl.loggingConfiguration).toBeUndefined();
  });

  test('ip deny and allow lists are split into ipv4 and ipv6 ip sets and evaluated first', () => {
    const { stack, acl } = build({
      blockedIps: ['198.51.100.0/24', '2001:DB8:BAD::/48', '198.51.100.0/24'],
      allowedIps: ['203.0.113.0/24'],
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::WAFv2::IPSet', 3);
    template.hasResourceProperties('AWS::WAFv2::IPSet', { Scope: 'REGIONAL', IPAddressVersion: 'IPV4', Addresses: ['198.51.100.0/24'] });
    template.hasResourceProperties('AWS::WAFv2::IPSet', { Scope: 'REGIONAL', IPAddressVersion: 'IPV6', Addresses: ['2001:db8:bad::/48'] });
    template.hasResourceProperties('AWS::WAFv2::IPSet', { Scope: 'REGIONAL', IPAddressVersion: 'IPV4', Addresses: ['203.0.113.0/24'] });
    const [v4, v6] = acl.blockedIpSets.map((set) => ({ 'Fn::GetAtt': [stack.getLogicalId(set), 'Arn'] }));
    expect(rule(stack, 'IpDenyList')).toEqual(expect.objectContaining({
      Priority: 10,
      Action: { Block: {} },
      Statement: { OrStatement: { Statements: [{ IPSetReferenceStatement: { Arn: v4 } }, { IPSetReferenceStatement: { Arn: v6 } }] } },
    }));
    const allowed = { 'Fn::GetAtt': [stack.getLogicalId(acl.allowedIpSets[0]!), 'Arn'] };
    expect(rule(stack, 'IpAllowList')).toEqual(expect.objectContaining({
      Priority: 20,
      Action: { Block: {} },
      Statement: { NotStatement: { Statement: { IPSetReferenceStatement: { Arn: allowed } } } },
    }));
    // The allow list only restricts: allowed addresses still meet the managed rules.
    expect(rule(stack, 'AWS-AWSManagedRulesCommonRuleSet')).toBeDefined();
    expect(acl.capacity).toBe(2 + 1 + 2 + 1 + 25 + 200 + 700);
  });

  test('geo restriction blocks countries, or allows only some', () => {
    const blocked = build({ geoRestriction: { blockedCountries: ['KP', 'IR', 'KP'] } }).stack;
    expect(rule(blocked, 'GeoRestriction')).toEqual(expect.objectContaining({
      Priority: 30,
      Action: { Block: {} },
      Statement: { GeoMatchStatement: { CountryCodes: ['KP', 'IR'] } },
    }));
    const allowOnly = build({ geoRestriction: { allowedCountries: ['DE', 'FR'] } }).stack;
    expect(rule(allowOnly, 'GeoRestriction')).toEqual(expect.objectContaining({
      Statement: { NotStatement: { Statement: { GeoMatchStatement: { CountryCodes: ['DE', 'FR'] } } } },
    }));
  });

  test('per-ip rate limit with a custom limit and window, or none', () => {
    const { stack } = build({ rateLimit: { limit: 10, window: Duration.minutes(1) } });
    expect(rule(stack, 'RateLimitPerIp')!.Statement).toEqual({ RateBasedStatement: { AggregateKeyType: 'IP', Limit: 10, EvaluationWindowSec: 60 } });
    const off = build({ rateLimit: false });
    expect(rule(off.stack, 'RateLimitPerIp')).toBeUndefined();
    expect(off.acl.capacity).toBe(1 + 25 + 200 + 700);
  });

  test('per-client rate limit keyed on a header, optionally per ip, with the header protected', () => {
    const { stack, acl } = build({ clientRateLimit: { limit: 600, window: Duration.minutes(10), headerName: 'X-Client-Id', perIp: true } });
    expect(rule(stack, 'RateLimitPerClient')).toEqual(expect.objectContaining({
      Priority: 50,
      Action: { Block: { CustomResponse: { ResponseCode: 429, CustomResponseBodyKey: 'RateLimited' } } },
      Statement: {
        RateBasedStatement: {
          AggregateKeyType: 'CUSTOM_KEYS',
          CustomKeys: [{ Header: { Name: 'x-client-id', TextTransformations: [{ Priority: 0, Type: 'NONE' }] } }, { IP: {} }],
          Limit: 600,
          EvaluationWindowSec: 600,
        },
      },
    }));
    expect(acl.protectedHeaders).toEqual(['authorization', 'cookie', 'x-api-key', 'x-client-id']);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      RedactedFields: ['authorization', 'cookie', 'x-api-key', 'x-client-id'].map((Name) => ({ SingleHeader: { Name } })),
    });
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      DataProtectionConfig: {
        DataProtections: Match.arrayWith([{ Action: 'SUBSTITUTION', Field: { FieldType: 'SINGLE_HEADER', FieldKeys: ['authorization', 'cookie', 'x-api-key', 'x-client-id'] } }]),
      },
    });
    expect(acl.capacity).toBe(2 + 62 + 1 + 25 + 200 + 700);
  });

  test('an api key never reaches the waf log or sampled requests in clear, on a secure api whose routes require one', () => {
    const stack = new Stack(new App(), 'ApiStack', { env: ENV });
    const api = new SecureApi(stack, 'Api', {
      issuers: [TokenIssuer.oidc({ issuerUrl: 'https://login.example.com', audiences: ['api'] })],
    });
    api.addRoute('GET /reports', new apigw.MockIntegration(), { scopes: [ApiScope.of('https://api.example.com', 'reports.read', 'Read')], apiKeyRequired: true });
    api.addUsagePlan('Partners', { apiKeys: [api.restApi.addApiKey('PartnerKey')] });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'GET', ApiKeyRequired: true });
    template.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      RedactedFields: ['authorization', 'cookie', 'x-api-key'].map((Name) => ({ SingleHeader: { Name } })),
    });
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      DataProtectionConfig: {
        DataProtections: Match.arrayWith([{ Action: 'SUBSTITUTION', Field: { FieldType: 'SINGLE_HEADER', FieldKeys: ['authorization', 'cookie', 'x-api-key'] } }]),
      },
    });
  });

  test('a default protected header named again is protected once', () => {
    const { stack, acl } = build({ protectedHeaders: ['X-Api-Key', 'Authorization'] });
    expect(acl.protectedHeaders).toEqual([...WEB_ACL_DEFAULTS.protectedHeaders]);
    Template.fromStack(stack).hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      RedactedFields: WEB_ACL_DEFAULTS.protectedHeaders.map((Name) => ({ SingleHeader: { Name } })),
    });
  });

  test('per-client rate limit defaults to the authorization header', () => {
    const { stack } = build({ clientRateLimit: { limit: 100 } });
    expect(rule(stack, 'RateLimitPerClient')!.Statement.RateBasedStatement).toEqual({
      AggregateKeyType: 'CUSTOM_KEYS',
      CustomKeys: [{ Header: { Name: 'authorization', TextTransformations: [{ Priority: 0, Type: 'NONE' }] } }],
      Limit: 100,
      EvaluationWindowSec: 300,
    });
  });

  test('body size limit up to a larger inspection limit, or none', () => {
    const { stack } = build({ maxBodySize: Size.kibibytes(32), bodyInspectionLimit: Size.kibibytes(32) });
    expect(rule(stack, 'BodySizeLimit')!.Statement.SizeConstraintStatement.Size).toBe(32768);
    Template.fromStack(stack).hasResourceProperties('AWS::WAFv2::WebACL', {
      AssociationConfig: { RequestBody: { API_GATEWAY: { DefaultSizeInspectionLimit: 'KB_32' } } },
    });
    const off = build({ maxBodySize: false }).stack;
    expect(rule(off, 'BodySizeLimit')).toBeUndefined();
    // The Common rule set's 8 KB body rule stays counted: an API that opts out of a body limit means it.
    expect(rule(off, 'AWS-AWSManagedRulesCommonRuleSet')!.Statement.ManagedRuleGroupStatement.RuleActionOverrides).toEqual([
      { Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } },
    ]);
  });

  test('web acl with all managed rule groups, versions, overrides and count mode', () => {
    const { stack, acl } = build({
      managedRuleGroups: {
        ipReputation: { countOnly: true },
        anonymousIp: true,
        knownBadInputs: { version: 'Version_1.22' },
        commonRuleSet: { version: 'Version_1.12', ruleActionOverrides: { NoUserAgent_HEADER: 'COUNT', SizeRestrictions_QUERYSTRING: 'CHALLENGE' } },
        sqlInjection: { ruleActionOverrides: { SQLi_BODY: 'CAPTCHA' } },
        botControl: { inspectionLevel: 'TARGETED' },
      },
    });
    expect(rulesOf(stack).map((r) => [r.Priority, r.Name])).toEqual([
      [40, 'RateLimitPerIp'],
      [60, 'BodySizeLimit'],
      [100, 'AWS-AWSManagedRulesAmazonIpReputationList'],
      [110, 'AWS-AWSManagedRulesAnonymousIpList'],
      [120, 'AWS-AWSManagedRulesKnownBadInputsRuleSet'],
      [130, 'AWS-AWSManagedRulesCommonRuleSet'],
      [140, 'AWS-AWSManagedRulesSQLiRuleSet'],
      [150, 'AWS-AWSManagedRulesBotControlRuleSet'],
    ]);
    expect(rule(stack, 'AWS-AWSManagedRulesAmazonIpReputationList')!.OverrideAction).toEqual({ Count: {} });
    expect(rule(stack, 'AWS-AWSManagedRulesKnownBadInputsRuleSet')!.Statement.ManagedRuleGroupStatement.Version).toBe('Version_1.22');
    expect(rule(stack, 'AWS-AWSManagedRulesCommonRuleSet')!.Statement.ManagedRuleGroupStatement).toEqual({
      VendorName: 'AWS',
      Name: 'AWSManagedRulesCommonRuleSet',
      Version: 'Version_1.12',
      RuleActionOverrides: [
        { Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } },
        { Name: 'NoUserAgent_HEADER', ActionToUse: { Count: {} } },
        { Name: 'SizeRestrictions_QUERYSTRING', ActionToUse: { Challenge: {} } },
      ],
    });
    expect(rule(stack, 'AWS-AWSManagedRulesSQLiRuleSet')!.Statement.ManagedRuleGroupStatement.RuleActionOverrides).toEqual([
      { Name: 'SQLi_BODY', ActionToUse: { Captcha: {} } },
    ]);
    expect(rule(stack, 'AWS-AWSManagedRulesBotControlRuleSet')!.Statement.ManagedRuleGroupStatement.ManagedRuleGroupConfigs).toEqual([
      { AWSManagedRulesBotControlRuleSet: { InspectionLevel: 'TARGETED' } },
    ]);
    expect(acl.capacity).toBe(2 + 1 + 25 + 50 + 200 + 700 + 200 + 50);
  });

  test('bot control defaults to the common inspection level, and managed rule groups can be removed', () => {
    const { stack } = build({ managedRuleGroups: { botControl: true, commonRuleSet: false, knownBadInputs: false, ipReputation: false } });
    expect(rulesOf(stack).map((r) => r.Name)).toEqual(['RateLimitPerIp', 'BodySizeLimit', 'AWS-AWSManagedRulesBotControlRuleSet']);
    expect(rule(stack, 'AWS-AWSManagedRulesBotControlRuleSet')!.Statement.ManagedRuleGroupStatement.ManagedRuleGroupConfigs).toEqual([
      { AWSManagedRulesBotControlRuleSet: { InspectionLevel: WEB_ACL_DEFAULTS.botControlInspectionLevel } },
    ]);
  });

  test('addRule adds a rule of your own, estimates its capacity and keeps rules in priority order', () => {
    const { stack, acl } = build();
    acl.addRule(customRule('BlockAdminPath', 5, {
      byteMatchStatement: {
        fieldToMatch: { uriPath: {} },
        positionalConstraint: 'STARTS_WITH',
        searchString: '/admin',
        textTransformations: [{ priority: 0, type: 'LOWERCASE' }],
      },
    }));
    acl.addRule(customRule('OwnGroup', 200, { ruleGroupReferenceStatement: { arn: 'arn:aws:wafv2:eu-west-1:123456789012:regional/rulegroup/own/1' } }), { capacity: 40 });
    expect(rulesOf(stack).map((r) => r.Name)).toEqual([
      'BlockAdminPath', 'RateLimitPerIp', 'BodySizeLimit', 'AWS-AWSManagedRulesAmazonIpReputationList',
      'AWS-AWSManagedRulesKnownBadInputsRuleSet', 'AWS-AWSManagedRulesCommonRuleSet', 'OwnGroup',
    ]);
    expect(acl.capacity).toBe(928 + 12 + 40);
  });

  test('one web acl is associated with several stages, each association living with its api', () => {
    const { stack, acl } = build();
    const apiStack = new Stack(stack.node.root as App, 'ApiStack', { env: ENV });
    const orders = restApi(apiStack, 'Orders');
    const billing = restApi(apiStack, 'Billing');
    const association = acl.associate(orders.deploymentStage);
    acl.associate(billing.deploymentStage);

    expect(association.node.scope).toBe(orders.deploymentStage);
    const template = Template.fromStack(apiStack);
    template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 2);
    template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      ResourceArn: {
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':apigateway:eu-west-1::/restapis/', { Ref: apiStack.getLogicalId(orders.node.defaultChild as apigw.CfnRestApi) }, '/stages/', { Ref: Match.stringLikeRegexp('^OrdersDeploymentStageprod') }]],
      },
      WebACLArn: { 'Fn::ImportValue': Match.stringLikeRegexp('^WafStack:ExportsOutputFnGetAttWebAcl') },
    });
  });

  test('metrics of the web acl carry the WebACL, Region and Rule dimensions', () => {
    const { stack, acl } = build();
    const blocked = acl.metricBlockedRequests();
    expect(blocked.namespace).toBe('AWS/WAFV2');
    expect(blocked.metricName).toBe('BlockedRequests');
    expect(blocked.statistic).toBe('Sum');
    expect(blocked.period.toMinutes()).toBe(5);
    expect(stack.resolve(blocked.dimensions)).toEqual({ WebACL: acl.webAclName, Region: 'eu-west-1', Rule: 'ALL' });
    expect(stack.resolve(acl.metricRateLimitedRequests().dimensions)).toEqual({ WebACL: acl.webAclName, Region: 'eu-west-1', Rule: 'RateLimitPerIp' });
    expect(acl.metricAllowedRequests().metricName).toBe('AllowedRequests');
    expect(acl.metricCountedRequests().metricName).toBe('CountedRequests');
  });

  describe('validation', () => {
    test.each<[string, SecureApiWebAclProps, string]>([
      ['the rate limit is below 10', { rateLimit: { limit: 5 } }, "'rateLimit.limit' must be an integer between 10 and 2000000000 (received: 5)"],
      ['the rate limit is above 2000000000', { rateLimit: { limit: 2000000001 } }, "'rateLimit.limit' must be an integer between 10 and 2000000000 (received: 2000000001)"],
      ['the rate limit is fractional', { rateLimit: { limit: 10.5 } }, "'rateLimit.limit' must be an integer between 10 and 2000000000 (received: 10.5)"],
      ['the evaluation window is not one WAF offers', { rateLimit: { window: Duration.seconds(90) } }, "'rateLimit.window' must be 60, 120, 300 or 600 seconds (received: 90)"],
      ['the client evaluation window is not one WAF offers', { clientRateLimit: { limit: 100, window: Duration.minutes(15) } }, "'clientRateLimit.window' must be 60, 120, 300 or 600 seconds (received: 900)"],
      ['the client rate limit is below 10', { clientRateLimit: { limit: 1 } }, "'clientRateLimit.limit' must be an integer between 10 and 2000000000 (received: 1)"],
      ['the client header is not a header name', { clientRateLimit: { limit: 100, headerName: 'x client' } }, "'clientRateLimit.headerName' must be an HTTP header name of 1 to 64 token characters (received: 'x client')"],
      ['a protected header is not a header name', { protectedHeaders: ['x-api-key:'] }, "'protectedHeaders' must be an HTTP header name of 1 to 64 token characters (received: 'x-api-key:')"],
      ['a blocked ip has no prefix length', { blockedIps: ['192.0.2.7'] }, "'blockedIps' must hold CIDR ranges with a prefix length of 1 to 32 (IPv4) or 1 to 128 (IPv6) (received: '192.0.2.7')"],
      ['a blocked range is /0', { blockedIps: ['0.0.0.0/0'] }, "'blockedIps' must hold CIDR ranges with a prefix length of 1 to 32 (IPv4) or 1 to 128 (IPv6) (received: '0.0.0.0/0')"],
      ['an allowed ipv4 range has a prefix over 32', { allowedIps: ['192.0.2.0/33'] }, "'allowedIps' must hold CIDR ranges with a prefix length of 1 to 32 (IPv4) or 1 to 128 (IPv6) (received: '192.0.2.0/33')"],
      ['an allowed ipv6 range has a prefix over 128', { allowedIps: ['2001:db8::/129'] }, "'allowedIps' must hold CIDR ranges with a prefix length of 1 to 32 (IPv4) or 1 to 128 (IPv6) (received: '2001:db8::/129')"],
      ['a blocked range has host bits set', { blockedIps: ['203.0.113.7/24'] }, "'blockedIps' must hold CIDR ranges in network form, without host bits: write '203.0.113.0/24' (received: '203.0.113.7/24')"],
      ['an allowed ipv6 range has host bits set', { allowedIps: ['2001:db8::1/32'] }, "'allowedIps' must hold CIDR ranges in network form, without host bits: write '2001:db8::/32' (received: '2001:db8::1/32')"],
      ['the log retention is infinite', { logging: { retention: logs.RetentionDays.INFINITE } }, `'logging.retention' must be a bounded retention, one of ${BOUNDED_DAYS} days (never RetentionDays.INFINITE) (received: RetentionDays.INFINITE)`],
      ['an allowed address is not an address', { allowedIps: ['256.1.1.1/32'] }, "'allowedIps' must hold CIDR ranges with a prefix length of 1 to 32 (IPv4) or 1 to 128 (IPv6) (received: '256.1.1.1/32')"],
      ['the allow list is empty', { allowedIps: [] }, "'allowedIps' must hold at least one CIDR range, or be left out (received: [])"],
      ['a country code is not iso 3166-1 alpha-2', { geoRestriction: { blockedCountries: ['UK'] } }, "'geoRestriction.blockedCountries' must hold upper-case ISO 3166-1 alpha-2 country codes (received: 'UK')"],
      ['a country code is lower case', { geoRestriction: { allowedCountries: ['de'] } }, "'geoRestriction.allowedCountries' must hold upper-case ISO 3166-1 alpha-2 country codes (received: 'de')"],
      ['the country list is empty', { geoRestriction: { blockedCountries: [] } }, "'geoRestriction.blockedCountries' must hold at least one country code (received: [])"],
      ['both country lists are set', { geoRestriction: { blockedCountries: ['KP'], allowedCountries: ['DE'] } }, `'geoRestriction' must set exactly one of 'blockedCountries' and 'allowedCountries' (received: {"blockedCountries":["KP"],"allowedCountries":["DE"]})`],
      ['the body limit exceeds the inspection limit', { maxBodySize: Size.kibibytes(20) }, "'maxBodySize' must be between 1 byte and 'bodyInspectionLimit' (16384 bytes), as WAF sees no further (received: 20480 bytes)"],
      ['the inspection limit is not one WAF offers', { bodyInspectionLimit: Size.kibibytes(20) }, "'bodyInspectionLimit' must be 16, 32, 48 or 64 KB (received: 20 KB)"],
      ['the web acl name has a space', { webAclName: 'orders api' }, "'webAclName' must be 1 to 128 letters, digits, '-' or '_' (received: 'orders api')"],
      ['the capacity budget exceeds the waf maximum', { maxCapacity: 6000 }, "'maxCapacity' must be an integer between 1 and 5000 (received: 6000)"],
      ['the log group name lacks the waf prefix', { logging: { logGroupName: '/aws/waf/orders' } }, "'logging.logGroupName' must start with 'aws-waf-logs-', as AWS WAF requires, and continue with letters, digits, '_', '-', '/', '.' or '#' (received: '/aws/waf/orders')"],
      ['the log group name exceeds 512 characters', { logging: { logGroupName: `aws-waf-logs-${'o'.repeat(500)}` } }, "'logging.logGroupName' must be at most 512 characters, the CloudWatch Logs limit (received: 513 characters)"],
      ['a rule action override is unknown', { managedRuleGroups: { commonRuleSet: { ruleActionOverrides: { NoUserAgent_HEADER: 'DROP' as 'COUNT' } } } }, "'managedRuleGroups.commonRuleSet.ruleActionOverrides.NoUserAgent_HEADER' must be ALLOW, BLOCK, COUNT, CAPTCHA or CHALLENGE (received: 'DROP')"],
    ])('throws when %s', (_name, props, message) => {
      expect(() => build(props)).toThrow(SecureApiValidationError);
      expect(() => build(props)).toThrow(new Error(`WafStack/WebAcl: ${message}`));
    });

    test('throws when the protected headers exceed the 100 redacted fields a waf logging configuration accepts', () => {
      const headers = (n: number) => Array.from({ length: n }, (_, i) => `x-partner-${i}`);
      expect(build({ protectedHeaders: headers(97) }).acl.protectedHeaders).toHaveLength(100);
      expect(() => build({ protectedHeaders: headers(98) })).toThrow(SecureApiValidationError);
      expect(() => build({ protectedHeaders: headers(98) })).toThrow(
        "'protectedHeaders' together with the 3 headers always protected must be at most 100 headers, the most redacted fields a WAF logging configuration accepts (received: 101 headers)",
      );
      expect(build({ protectedHeaders: headers(98), logging: false }).acl.protectedHeaders).toHaveLength(101);
    });

    test('throws when the rules exceed the capacity budget', () => {
      expect(() => build({ maxCapacity: 1000, managedRuleGroups: { sqlInjection: true } })).toThrow(
        "'maxCapacity' must cover the web ACL's rules: adding 'AWS-AWSManagedRulesSQLiRuleSet' (200 WCUs) needs 1128 WCUs (received: 1000)",
      );
    });

    test('every managed rule group and both rate limits fit the default budget, and a smaller budget throws', () => {
      const everything: SecureApiWebAclProps = { managedRuleGroups: { sqlInjection: true, anonymousIp: true, botControl: true }, clientRateLimit: { limit: 100, perIp: true } };
      expect(build(everything).acl.capacity).toBe(2 + 62 + 1 + 25 + 50 + 200 + 700 + 200 + 50);
      expect(() => build({ ...everything, maxCapacity: 1250 })).toThrow(
        "'maxCapacity' must cover the web ACL's rules: adding 'AWS-AWSManagedRulesBotControlRuleSet' (50 WCUs) needs 1290 WCUs (received: 1250)",
      );
    });

    test('throws when an ip range is a token', () => {
      const stack = new Stack(new App(), 'WafStack', { env: ENV });
      const cidr = new apigw.RestApi(stack, 'Api').restApiId;
      expect(() => new SecureApiWebAcl(stack, 'WebAcl', { blockedIps: [cidr] })).toThrow(
        "'blockedIps' must hold literal CIDR ranges: an IP set is split by address family at synth (received: a token)",
      );
    });

    test('throws when a rule of your own takes a built-in priority', () => {
      const { acl } = build();
      expect(() => acl.addRule(customRule('Mine', 40, { labelMatchStatement: { scope: 'LABEL', key: 'a:b' } }))).toThrow(
        "'priority' of rule 'Mine' must be unique in the web ACL: rule 'RateLimitPerIp' has it (received: 40)",
      );
    });

    test('throws when a rule of your own takes a built-in name', () => {
      const { acl } = build();
      expect(() => acl.addRule(customRule('BodySizeLimit', 1, { labelMatchStatement: { scope: 'LABEL', key: 'a:b' } }))).toThrow(
        "'name' of a rule must be unique in the web ACL (received: 'BodySizeLimit')",
      );
    });

    test('throws when a rule of your own cannot be estimated and has no capacity hint', () => {
      const { acl } = build();
      expect(() => acl.addRule(customRule('OwnGroup', 300, { ruleGroupReferenceStatement: { arn: 'arn:aws:wafv2:eu-west-1:123456789012:regional/rulegroup/own/1' } }))).toThrow(
        "'capacity' is required for rule 'OwnGroup': its statement cannot be estimated at synth (received: undefined)",
      );
    });

    test('throws when a rule of your own would exceed the capacity budget', () => {
      const { acl } = build();
      expect(() => acl.addRule(customRule('Xss', 300, {
        xssMatchStatement: { fieldToMatch: { body: {} }, textTransformations: [{ priority: 0, type: 'URL_DECODE' }, { priority: 1, type: 'HTML_ENTITY_DECODE' }] },
      }), { capacity: 600 })).toThrow("'maxCapacity' must cover the web ACL's rules: adding 'Xss' (600 WCUs) needs 1528 WCUs (received: 1500)");
    });

    test('throws when a rule has a negative priority', () => {
      const { acl } = build();
      expect(() => acl.addRule(customRule('Mine', -1, { labelMatchStatement: { scope: 'LABEL', key: 'a:b' } }))).toThrow(
        "'priority' must be an integer between 0 and 2147483647 (received: -1)",
      );
    });

    test('throws when a stage is associated twice', () => {
      const { stack, acl } = build();
      const api = restApi(stack, 'Orders');
      acl.associate(api.deploymentStage);
      expect(() => acl.associate(api.deploymentStage)).toThrow(
        "'stage' is already associated with web ACL 'WafStack/WebAcl' (received: stage 'WafStack/Orders/DeploymentStage.prod')",
      );
    });
  });
});

describe('estimateStatementCapacity', () => {
  const none = [{ priority: 0, type: 'NONE' }];
  const lower = [{ priority: 0, type: 'LOWERCASE' }];
  test.each<[string, wafv2.CfnWebACL.StatementProperty, number]>([
    ['an ip set', { ipSetReferenceStatement: { arn: 'arn:ipset' } }, 1],
    ['an ip set on any forwarded address', { ipSetReferenceStatement: { arn: 'arn:ipset', ipSetForwardedIpConfig: { headerName: 'X-Forwarded-For', fallbackBehavior: 'MATCH', position: 'ANY' } } }, 5],
    ['a geo match', { geoMatchStatement: { countryCodes: ['DE'] } }, 1],
    ['a label match', { labelMatchStatement: { scope: 'LABEL', key: 'awswaf:managed:aws:bot-control:bot:verified' } }, 1],
    ['a size constraint with a lowercase transformation', { sizeConstraintStatement: { fieldToMatch: { uriPath: {} }, comparisonOperator: 'GT', size: 100, textTransformations: lower } }, 11],
    ['an exact string match', { byteMatchStatement: { fieldToMatch: { uriPath: {} }, positionalConstraint: 'EXACTLY', searchString: '/', textTransformations: none } }, 2],
    ['a contains match on the json body', { byteMatchStatement: { fieldToMatch: { jsonBody: { matchPattern: { all: {} }, matchScope: 'ALL' } }, positionalConstraint: 'CONTAINS', searchString: 'x', textTransformations: none } }, 20],
    ['a contains-word match on all query arguments', { byteMatchStatement: { fieldToMatch: { allQueryArguments: {} }, positionalConstraint: 'CONTAINS_WORD', searchString: 'x', textTransformations: none } }, 20],
    ['a regex match', { regexMatchStatement: { fieldToMatch: { uriPath: {} }, regexString: '^/a', textTransformations: none } }, 3],
    ['a regex pattern set', { regexPatternSetReferenceStatement: { arn: 'arn:regex', fieldToMatch: { uriPath: {} }, textTransformations: none } }, 25],
    ['a low-sensitivity sql injection match', { sqliMatchStatement: { fieldToMatch: { body: {} }, textTransformations: none } }, 20],
    ['a high-sensitivity sql injection match', { sqliMatchStatement: { fieldToMatch: { body: {} }, textTransformations: none, sensitivityLevel: 'HIGH' } }, 30],
    ['an xss match with two transformations', { xssMatchStatement: { fieldToMatch: { body: {} }, textTransformations: [{ priority: 0, type: 'URL_DECODE' }, { priority: 1, type: 'HTML_ENTITY_DECODE' }] } }, 60],
    ['an and of two statements', { andStatement: { statements: [{ geoMatchStatement: { countryCodes: ['DE'] } }, { labelMatchStatement: { scope: 'LABEL', key: 'a:b' } }] } }, 2],
    ['a not of an or', { notStatement: { statement: { orStatement: { statements: [{ geoMatchStatement: { countryCodes: ['DE'] } }, { ipSetReferenceStatement: { arn: 'arn:ipset' } }] } } } }, 2],
    ['a rate-based statement on two custom keys with a scope-down', { rateBasedStatement: { aggregateKeyType: 'CUSTOM_KEYS', limit: 10, customKeys: [{ header: { name: 'x', textTransformations: none } }, { uriPath: { textTransformations: lower } }], scopeDownStatement: { geoMatchStatement: { countryCodes: ['DE'] } } } }, 2 + 30 + 40 + 1],
    ['a known managed rule group with a scope-down', { managedRuleGroupStatement: { vendorName: 'AWS', name: 'AWSManagedRulesCommonRuleSet', scopeDownStatement: { labelMatchStatement: { scope: 'LABEL', key: 'a:b' } } } }, 701],
  ])('estimates %s', (_name, statement, wcu) => {
    expect(estimateStatementCapacity(statement)).toBe(wcu);
  });

  test.each<[string, unknown]>([
    ['a rule group of your own', { ruleGroupReferenceStatement: { arn: 'arn:rulegroup' } }],
    ['a marketplace managed rule group', { managedRuleGroupStatement: { vendorName: 'F5', name: 'OWASP' } }],
    ['a statement with a token', { sqliMatchStatement: { fieldToMatch: { body: {} }, textTransformations: Lazy.list({ produce: () => [] }) } }],
    ['a statement of two kinds', { geoMatchStatement: { countryCodes: ['DE'] }, labelMatchStatement: { scope: 'LABEL', key: 'a:b' } }],
    ['an and with an unknown nested statement', { andStatement: { statements: [{ geoMatchStatement: { countryCodes: ['DE'] } }, { ruleGroupReferenceStatement: { arn: 'arn:rulegroup' } }] } }],
  ])('cannot estimate %s', (_name, statement) => {
    expect(estimateStatementCapacity(statement as wafv2.CfnWebACL.StatementProperty)).toBeUndefined();
  });
});

describe('WAF_COUNTRY_CODES', () => {
  test('holds the 249 ISO 3166-1 alpha-2 codes and Kosovo, and nothing that is not a code', () => {
    expect(WAF_COUNTRY_CODES.size).toBe(250);
    for (const code of ['DE', 'US', 'KP', 'AX', 'XK']) {
      expect(WAF_COUNTRY_CODES.has(code)).toBe(true);
    }
    for (const notACode of ['UK', 'EU', 'ZZ', 'de']) {
      expect(WAF_COUNTRY_CODES.has(notACode)).toBe(false);
    }
  });
});
