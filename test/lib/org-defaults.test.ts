import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ApiScope } from '../../lib/authorizer/api-scope';
import { TokenIssuer } from '../../lib/authorizer/token-issuer';
import { SecureApiMonitoring } from '../../lib/monitoring/secure-api-monitoring';
import { mergeOrgDefaults, SecureApiOrgDefaults } from '../../lib/org-defaults';
import { SecureApi, type SecureApiProps } from '../../lib/secure-api/secure-api';
import { ENV } from './scenarios';

const OIDC = 'https://login.example.com/';

function teamApi(stack: Stack, props: Partial<SecureApiProps> = {}): SecureApi {
  const api = new SecureApi(stack, 'Api', { issuers: [TokenIssuer.oidc({ issuerUrl: OIDC, audiences: ['https://api.example.com'] })], ...props });
  api.addRoute('GET /orders', new apigw.MockIntegration(), { scopes: [ApiScope.of('https://api.example.com', 'orders.read', 'Read orders')] });
  return api;
}

/** The stage-wide throttle and the access-log retention of a stack's SecureApi. */
function settingsOf(stack: Stack) {
  const template = Template.fromStack(stack);
  const stage = Object.values(template.findResources('AWS::ApiGateway::Stage'))[0]!.Properties;
  const all = stage.MethodSettings.find((setting: { ResourcePath: string }) => setting.ResourcePath === '/*');
  const retentions = Object.values(template.findResources('AWS::Logs::LogGroup')).map((group) => group.Properties.RetentionInDays as number);
  const rateRule = Object.values(template.findResources('AWS::WAFv2::WebACL'))[0]!.Properties.Rules.find((rule: { Statement: { RateBasedStatement?: unknown } }) => rule.Statement.RateBasedStatement);
  return { rate: all.ThrottlingRateLimit, burst: all.ThrottlingBurstLimit, retentions: [...new Set(retentions)], wafLimit: rateRule.Statement.RateBasedStatement.Limit };
}

describe('SecureApiOrgDefaults', () => {
  test('two teams inherit the organization values; a third overrides one value and keeps the rest', () => {
    const app = new App();
    SecureApiOrgDefaults.apply(app, {
      secureApi: { throttle: { rateLimit: 50, burstLimit: 100 }, logRetention: logs.RetentionDays.THREE_MONTHS, webAclOptions: { rateLimit: { limit: 300 } } },
    });
    const teams = ['Payments', 'Orders', 'Search'].map((name) => new Stack(app, name, { env: ENV }));
    teamApi(teams[0]!);
    teamApi(teams[1]!);
    teamApi(teams[2]!, { throttle: { rateLimit: 20 } });
    expect(settingsOf(teams[0]!)).toEqual({ rate: 50, burst: 100, retentions: [90], wafLimit: 300 });
    expect(settingsOf(teams[1]!)).toEqual({ rate: 50, burst: 100, retentions: [90], wafLimit: 300 });
    expect(settingsOf(teams[2]!)).toEqual({ rate: 20, burst: 100, retentions: [90], wafLimit: 300 });
  });

  test('without organization defaults the library defaults apply, and a registration covers only its subtree', () => {
    const app = new App();
    const governed = new Stack(app, 'Governed', { env: ENV });
    SecureApiOrgDefaults.apply(governed, { secureApi: { throttle: { rateLimit: 10, burstLimit: 20 } } });
    const other = new Stack(app, 'Other', { env: ENV });
    teamApi(governed);
    teamApi(other);
    expect(settingsOf(governed)).toMatchObject({ rate: 10, burst: 20 });
    expect(settingsOf(other)).toEqual({ rate: 100, burst: 200, retentions: [365], wafLimit: 2000 });
  });

  test('monitoring inherits the organization alarm topic', () => {
    const app = new App();
    const platform = new Stack(app, 'Platform', { env: ENV });
    const topic = new sns.Topic(platform, 'Alarms');
    SecureApiOrgDefaults.apply(app, { monitoring: { alarmTopic: topic } });
    const api = teamApi(platform);
    const monitoring = new SecureApiMonitoring(platform, 'Monitoring', {
      restApi: api.restApi,
      stage: api.stage,
      authorizerFunction: api.authorizerFunction,
      authorizerLogGroup: api.authorizerLogGroup,
      accessLogGroup: api.accessLogGroup,
    });
    expect(monitoring.topic).toBe(topic);
    expect(monitoring.topicKey).toBeUndefined();
  });

  test('throws when an API trusts an issuer outside the organization list', () => {
    const app = new App();
    SecureApiOrgDefaults.apply(app, { allowedIssuers: ['https://cognito-idp.eu-west-1.amazonaws.com/', 'https://login.partner.example/'] });
    expect(() => teamApi(new Stack(app, 'Team', { env: ENV }))).toThrow(
      "Team/Api: 'issuers' must be among the organization's allowedIssuers (https://cognito-idp.eu-west-1.amazonaws.com/, https://login.partner.example/) (received: 'https://login.example.com/')",
    );
    const allowed = new App();
    SecureApiOrgDefaults.apply(allowed, { allowedIssuers: [OIDC] });
    expect(() => teamApi(new Stack(allowed, 'Team', { env: ENV }))).not.toThrow();
  });

  test('mergeOrgDefaults: explicit over defaults, plain objects key by key, constructs and arrays replaced, inputs untouched', () => {
    const topic = {} as sns.ITopic;
    const defaults = { a: 1, nested: { x: 1, y: 2 }, list: [1, 2], topic, keep: 'org' };
    const explicit = { a: 2, nested: { y: 3 }, list: [9], topic: undefined, extra: true };
    expect(mergeOrgDefaults<Record<string, unknown>>(defaults, explicit)).toEqual({ a: 2, nested: { x: 1, y: 3 }, list: [9], topic, keep: 'org', extra: true });
    expect(defaults).toEqual({ a: 1, nested: { x: 1, y: 2 }, list: [1, 2], topic, keep: 'org' });
    expect(explicit).toEqual({ a: 2, nested: { y: 3 }, list: [9], topic: undefined, extra: true });
  });
});
