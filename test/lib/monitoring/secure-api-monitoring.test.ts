import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { createAuthorizer, createFailClosedAuthorizer } from '../../../lambda/authorizer';
import { ReasonCode } from '../../../lambda/contract/decision-log';
import { KeyRefreshCause } from '../../../lambda/contract/key-refresh-log';
import { cognitoIssuerConfig, testConfig } from '../../fixtures/config';
import { tokenEvent } from '../../fixtures/events';
import { testKey } from '../../fixtures/keys';
import { LogCapture } from '../../fixtures/logs';
import { cognitoAccessToken } from '../../fixtures/tokens';
import { evaluatePolicy, TemplateValues, type PolicyRequest } from '../../fixtures/iam-policy-evaluator';
import { MONITORING_DEFAULTS } from '../../../lib/defaults';
import { SecureApiValidationError } from '../../../lib/errors';
import { SecureApiMonitoring, type SecureApiMonitoringProps } from '../../../lib/monitoring/secure-api-monitoring';
import { SecureApiWebAcl } from '../../../lib/waf/secure-api-web-acl';
import { standIn } from './stand-in';

const ENV = { account: '123456789012', region: 'eu-west-1' };

/**
 * The lines the real authorizer writes for one request while the issuer's keys cannot be fetched: a
 * key-refresh failure line and a KEYS_UNAVAILABLE decision line, parsed.
 */
async function linesWhileKeysAreUnavailable(): Promise<{ decision: Record<string, unknown>; refresh: Record<string, unknown> }> {
  const key = await testKey('RS256');
  const logs = new LogCapture();
  const now = Date.UTC(2030, 0, 15, 12, 0, 0);
  const authorizer = createAuthorizer(testConfig([cognitoIssuerConfig({ jwksUri: 'https://idp.example.test/jwks.json' })]), {
    now: () => now,
    log: logs.log,
    fetch: () => Promise.reject(Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' })),
  });
  await expect(authorizer.handle(tokenEvent(`Bearer ${cognitoAccessToken(key, { now: now / 1000 })}`), { awsRequestId: 'req-1' })).rejects.toThrow('Unauthorized');
  const lines = logs.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(lines).toHaveLength(2);
  const decision = lines.find((line) => 'decision' in line)!;
  const refresh = lines.find((line) => 'cause' in line)!;
  return { decision, refresh };
}

/** A synthesized template fragment, navigated key by key in assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- template JSON has no static type
type CfnJson = Record<string, any>;

function build(props: Partial<SecureApiMonitoringProps> = {}, extras: { webAcl?: boolean; backend?: boolean } = {}) {
  const stack = new Stack(new App(), 'MonitoringStack', { env: ENV });
  const base = standIn(stack);
  const webAcl = extras.webAcl ? new SecureApiWebAcl(stack, 'WebAcl') : undefined;
  const backend = extras.backend
    ? new lambda.Function(stack, 'Orders', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({});') })
    : undefined;
  const monitoring = new SecureApiMonitoring(stack, 'Monitoring', {
    ...base,
    webAcl,
    backendFunctions: backend ? [backend] : undefined,
    ...props,
  });
  return { stack, monitoring, base, webAcl, backend, template: Template.fromStack(stack) };
}

function alarmsOf(template: Template): Array<CfnJson> {
  return Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
}

function alarmByDescription(template: Template, start: string): CfnJson {
  const found = alarmsOf(template).filter((a) => (a.AlarmDescription as string).startsWith(start));
  expect(found).toHaveLength(1);
  return found[0]!;
}

describe('SecureApiMonitoring', () => {
  test('default secure api monitoring', () => {
    const { stack, monitoring, template } = build();
    expect(monitoring.metricNamespace).toMatch(/^SecureApi\/MonitoringStack-Monitoring-[0-9A-F]{8}$/);

    template.resourceCountIs('AWS::Logs::MetricFilter', 7);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 9);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.resourceCountIs('AWS::Logs::QueryDefinition', 6);
    expect(monitoring.alarms).toHaveLength(9);
    expect(monitoring.queries.wafBlocks).toBeUndefined();

    // Every alarm notifies the topic on ALARM and on OK, and treats missing data as fine.
    const topicRef = { Ref: stack.getLogicalId(monitoring.topic!.node.defaultChild as sns.CfnTopic) };
    for (const alarm of alarmsOf(template)) {
      expect(alarm.AlarmActions).toEqual([topicRef]);
      expect(alarm.OKActions).toEqual([topicRef]);
      expect(alarm.TreatMissingData).toBe('notBreaching');
    }
  });

  test('the alarm topic is encrypted with a rotating key that cloudwatch may use, and takes TLS only', () => {
    const { stack, monitoring, template } = build();
    const keyId = stack.getLogicalId(monitoring.topicKey!.node.defaultChild as never);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([Match.objectLike({
          Sid: 'AllowCloudWatchAlarmsOfThisAccountToPublish',
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          Resource: '*',
        })]),
      },
    });
    // The key only protects notifications passing through SNS, so it goes with the stack.
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });

  test('metric filters on the decision log count decisions by decision and reason, denials and key-fetch failures', () => {
    const { stack, monitoring, template, base } = build();
    const group = (g: logs.ILogGroup) => ({ Ref: stack.getLogicalId(g.node.defaultChild as logs.CfnLogGroup) });
    const transformation = (name: string, dimensions?: unknown) => [{
      MetricNamespace: monitoring.metricNamespace,
      MetricName: name,
      MetricValue: '1',
      Unit: 'Count',
      ...(dimensions ? { Dimensions: dimensions } : {}),
    }];
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: group(base.authorizerLogGroup),
      FilterPattern: '{ $.msg = "authorizer decision" }',
      MetricTransformations: transformation('AuthorizerDecisions', [{ Key: 'Decision', Value: '$.decision' }, { Key: 'Reason', Value: '$.reason' }]),
    });
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: group(base.authorizerLogGroup),
      FilterPattern: '{ ($.msg = "authorizer decision") && ($.decision != "allow") }',
      MetricTransformations: transformation('DeniedRequests'),
    });
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: group(base.authorizerLogGroup),
      FilterPattern: '{ ($.msg = "authorizer decision") && ($.reason = "KEYS_UNAVAILABLE") }',
      MetricTransformations: transformation('KeyFetchFailures'),
    });
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: group(base.authorizerLogGroup),
      FilterPattern: '{ ($.msg = "authorizer decision") && ($.reason = "CONFIG_ERROR") }',
      MetricTransformations: transformation('ConfigErrors'),
    });
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: group(base.accessLogGroup),
      FilterPattern: '{ ($.status = "429") || ($.status = 429) }',
      MetricTransformations: transformation(MONITORING_DEFAULTS.throttledMetricName),
    });
  });

  test('the metric filters key on fields and values the authorizer really writes', async () => {
    // The literals of the filter patterns above, read back from a line of the real authorizer.
    const { decision } = await linesWhileKeysAreUnavailable();
    expect(decision).toEqual(expect.objectContaining({ msg: 'authorizer decision', decision: 'unauthorized', reason: 'KEYS_UNAVAILABLE' }));
    // A deployment whose configuration fails validation: the same line, with CONFIG_ERROR (the bundle writes it
    // for an unreadable pseudonym key too: test/lambda/log-profiles.test.ts).
    const logs = new LogCapture();
    await expect(createFailClosedAuthorizer({ log: logs.log }).handle(tokenEvent('Bearer x'), { awsRequestId: 'req-2' })).rejects.toThrow('Unauthorized');
    expect(JSON.parse(logs.lines[0]!)).toEqual(expect.objectContaining({ msg: 'authorizer decision', decision: 'unauthorized', reason: 'CONFIG_ERROR' }));
  });

  test('each default of MONITORING_DEFAULTS reaches the template', () => {
    const { template } = build({}, { webAcl: true, backend: true });
    const t = MONITORING_DEFAULTS.thresholds;
    const period = MONITORING_DEFAULTS.period.toSeconds();
    const serverErrors = alarmByDescription(template, `5XX responses above ${t.serverErrorRatePercent}% of requests`);
    expect(serverErrors).toEqual(expect.objectContaining({
      Threshold: t.serverErrorRatePercent,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
    }));
    const expression = serverErrors.Metrics.find((m: Record<string, unknown>) => m.Expression);
    expect(expression.Expression).toBe(`IF(requests >= ${t.minimumRequests}, 100 * errors / requests, 0)`);
    const errors = serverErrors.Metrics.find((m: CfnJson) => m.Id === 'errors');
    expect(errors.MetricStat).toEqual(expect.objectContaining({ Stat: 'Sum', Period: period }));
    expect(errors.MetricStat.Metric).toEqual(expect.objectContaining({ Namespace: 'AWS/ApiGateway', MetricName: '5XXError' }));
    expect(errors.MetricStat.Metric.Dimensions.map((d: { Name: string }) => d.Name).sort()).toEqual(['ApiName', 'Stage']);

    expect(alarmByDescription(template, `4XX responses above ${t.clientErrorRatePercent}% of requests`).Threshold).toBe(t.clientErrorRatePercent);
    expect(alarmByDescription(template, 'p99 latency above')).toEqual(expect.objectContaining({
      MetricName: 'Latency', Namespace: 'AWS/ApiGateway', ExtendedStatistic: 'p99', Threshold: t.latencyP99.toMilliseconds(), Period: period,
    }));
    expect(alarmByDescription(template, 'The JWT authorizer function fails')).toEqual(expect.objectContaining({
      MetricName: 'Errors', Namespace: 'AWS/Lambda', Statistic: 'Sum', Threshold: t.authorizerErrors,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 1, DatapointsToAlarm: 1,
    }));
    expect(alarmByDescription(template, 'Backend function').Threshold).toBe(t.backendErrors);
    expect(alarmByDescription(template, `At least ${t.deniedRequests} requests denied`)).toEqual(expect.objectContaining({ MetricName: 'DeniedRequests', Threshold: t.deniedRequests }));
    expect(alarmByDescription(template, 'The authorizer cannot fetch the issuer keys')).toEqual(expect.objectContaining({ MetricName: 'KeyFetchFailures', Threshold: t.keyFetchFailures }));
    expect(alarmByDescription(template, 'The authorizer cannot use its configuration')).toEqual(expect.objectContaining({ MetricName: 'ConfigErrors', Threshold: t.configErrors }));
    expect(alarmByDescription(template, `At least ${t.keyRefreshFailures} failed refreshes of the issuer keys`)).toEqual(expect.objectContaining({ MetricName: 'KeyRefreshFailures', Threshold: t.keyRefreshFailures }));
    expect(alarmByDescription(template, `At least ${t.throttledRequests} requests answered 429`)).toEqual(expect.objectContaining({ MetricName: 'ThrottledRequests', Threshold: t.throttledRequests }));
    expect(alarmByDescription(template, `At least ${t.wafBlockedRequests} requests blocked by the web ACL`).Threshold).toBe(t.wafBlockedRequests);
    expect(alarmsOf(template).every((a) => a.AlarmActions?.length === 1)).toBe(MONITORING_DEFAULTS.alarmTopic);
  });

  test('secure api monitoring with a web acl, backend functions and all props specified', () => {
    const stack = new Stack(new App(), 'MonitoringStack', { env: ENV });
    const base = standIn(stack);
    const webAcl = new SecureApiWebAcl(stack, 'WebAcl');
    const backend = new lambda.Function(stack, 'Orders', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({});') });
    const topic = new sns.Topic(stack, 'OnCall', { enforceSSL: true });
    const monitoring = new SecureApiMonitoring(stack, 'Monitoring', {
      ...base,
      webAcl,
      backendFunctions: [backend],
      alarmTopic: topic,
      period: Duration.minutes(1),
      metricNamespace: 'Orders/Audit',
      dashboardName: 'orders-api',
      thresholds: {
        serverErrorRatePercent: 0.5,
        clientErrorRatePercent: 10,
        minimumRequests: 50,
        latencyP99: Duration.millis(800),
        authorizerErrors: 3,
        backendErrors: 5,
        deniedRequests: 20,
        keyFetchFailures: 2,
        keyRefreshFailures: 4,
        wafBlockedRequests: 50,
        throttledRequests: 10,
      },
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 11);
    expect(alarmByDescription(template, 'At least 4 failed refreshes of the issuer keys').Threshold).toBe(4);
    template.resourceCountIs('AWS::SNS::Topic', 1);
    expect(monitoring.topic).toBe(topic);
    expect(monitoring.topicKey).toBeUndefined();
    expect(monitoring.metricNamespace).toBe('Orders/Audit');
    expect(monitoring.queries.wafBlocks).toBeDefined();
    expect(monitoring.backendErrorsAlarms).toHaveLength(1);

    const serverErrors = alarmByDescription(template, '5XX responses above 0.5% of requests');
    expect(serverErrors.Threshold).toBe(0.5);
    expect(serverErrors.Metrics.find((m: Record<string, unknown>) => m.Expression).Expression).toBe('IF(requests >= 50, 100 * errors / requests, 0)');
    expect(alarmByDescription(template, 'p99 latency above 800 ms')).toEqual(expect.objectContaining({ Threshold: 800, Period: 60 }));
    const waf = alarmByDescription(template, 'At least 50 requests blocked by the web ACL');
    expect(waf).toEqual(expect.objectContaining({ Namespace: 'AWS/WAFV2', MetricName: 'BlockedRequests', Statistic: 'Sum', Period: 60, Threshold: 50 }));
    expect(waf.Dimensions).toEqual([
      { Name: 'Region', Value: 'eu-west-1' },
      { Name: 'Rule', Value: 'ALL' },
      { Name: 'WebACL', Value: webAcl.webAclName },
    ]);
    expect(alarmByDescription(template, 'Backend function MonitoringStack/Orders fails')).toEqual(expect.objectContaining({
      Namespace: 'AWS/Lambda', MetricName: 'Errors', Threshold: 5, Dimensions: [{ Name: 'FunctionName', Value: { Ref: stack.getLogicalId(backend.node.defaultChild as lambda.CfnFunction) } }],
    }));
    template.hasResourceProperties('AWS::Logs::MetricFilter', { MetricTransformations: [Match.objectLike({ MetricNamespace: 'Orders/Audit' })] });
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'orders-api' });
  });

  test('the dashboard shows traffic, errors, latency, authorizer decisions, waf and throttles', () => {
    const { stack, monitoring, webAcl } = build({}, { webAcl: true, backend: true });
    const body = JSON.stringify(stack.resolve((monitoring.dashboard.node.defaultChild as never as { dashboardBody: unknown }).dashboardBody));
    for (const title of [
      'Traffic (requests)', 'Errors', 'Latency (ms)', 'Authorizer: denied (403) by reason', 'Authorizer: unauthorized (401) by reason',
      'Authorizer function', 'Authorizer: key refresh failures by cause', 'Throttled (429)', 'WAF: allowed, blocked, counted', 'Backend Orders', 'Alarms',
    ]) {
      expect(body).toContain(`\\"title\\":\\"${title}\\"`);
    }
    expect(body).toContain(`SEARCH('{${monitoring.metricNamespace},Decision,Reason} MetricName=\\\\\\"AuthorizerDecisions\\\\\\" Decision=\\\\\\"deny\\\\\\"', 'Sum', 300)`);
    for (const metric of ['\\"Count\\"', '\\"4XXError\\"', '\\"5XXError\\"', '\\"IntegrationLatency\\"', '\\"BlockedRequests\\"', '\\"AllowedRequests\\"', '\\"ThrottledRequests\\"', '\\"KeyFetchFailures\\"']) {
      expect(body).toContain(metric);
    }
    expect(body).toContain(webAcl!.webAclName);
    expect(body).toContain(`saved queries, folder \``);
    expect(body).toContain(monitoring.queries.folder);
  });

  test('alarms without actions when the alarm topic is switched off', () => {
    const { monitoring, template } = build({ alarmTopic: false });
    template.resourceCountIs('AWS::SNS::Topic', 0);
    template.resourceCountIs('AWS::KMS::Key', 0);
    expect(monitoring.topic).toBeUndefined();
    for (const alarm of alarmsOf(template)) {
      expect(alarm.AlarmActions).toBeUndefined();
    }
  });

  test('metric helpers point at the metric filters and the decision dimensions', () => {
    const { stack, monitoring } = build();
    const decisions = monitoring.metricDecisions('deny', ReasonCode.INSUFFICIENT_SCOPE);
    expect(decisions.namespace).toBe(monitoring.metricNamespace);
    expect(decisions.metricName).toBe('AuthorizerDecisions');
    expect(stack.resolve(decisions.dimensions)).toEqual({ Decision: 'deny', Reason: 'INSUFFICIENT_SCOPE' });
    expect(monitoring.metricDeniedRequests().statistic).toBe('Sum');
    expect(monitoring.metricThrottledRequests().metricName).toBe('ThrottledRequests');
    expect(monitoring.metricKeyFetchFailures().period.toMinutes()).toBe(5);
  });

  test('metric filters count every failed key refresh, in all and by cause, on the lines the authorizer really writes', async () => {
    const { stack, monitoring, template, base } = build();
    const group = { Ref: stack.getLogicalId(base.authorizerLogGroup.node.defaultChild as logs.CfnLogGroup) };
    const { refresh: line } = await linesWhileKeysAreUnavailable();
    expect(line).toEqual(expect.objectContaining({ msg: 'key refresh failed', cause: KeyRefreshCause.TIMEOUT }));
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: group,
      FilterPattern: `{ $.msg = "${line.msg}" }`,
      MetricTransformations: [{ MetricNamespace: monitoring.metricNamespace, MetricName: 'KeyRefreshFailures', MetricValue: '1', Unit: 'Count' }],
    });
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: group,
      FilterPattern: `{ $.msg = "${line.msg}" }`,
      MetricTransformations: [{ MetricNamespace: monitoring.metricNamespace, MetricName: 'KeyRefreshFailures', MetricValue: '1', Unit: 'Count', Dimensions: [{ Key: 'Cause', Value: '$.cause' }] }],
    });
    const alarm = alarmByDescription(template, 'At least 2 failed refreshes of the issuer keys');
    expect(alarm).toEqual(expect.objectContaining({ Namespace: monitoring.metricNamespace, MetricName: 'KeyRefreshFailures', Statistic: 'Sum', Threshold: 2 }));
    expect(alarm.Dimensions).toBeUndefined();
    expect(alarm.AlarmDescription).toContain('TIMEOUT, DNS, CONNECT, HTTP_STATUS: identity provider or network outage');
    expect(stack.resolve(monitoring.metricKeyRefreshFailuresByCause('NO_USABLE_KEY').dimensions)).toEqual({ Cause: 'NO_USABLE_KEY' });
    const body = JSON.stringify(stack.resolve((monitoring.dashboard.node.defaultChild as never as { dashboardBody: unknown }).dashboardBody));
    expect(body).toContain(`SEARCH('{${monitoring.metricNamespace},Cause} MetricName=\\\\\\"KeyRefreshFailures\\\\\\"', 'Sum', 300)`);
    expect(body).toContain('Misconfiguration: TLS, BAD_JSON, NO_USABLE_KEY');
  });

  describe('alarm notifications reach the topic', () => {
    const ACCOUNT = ENV.account;
    const OTHER_ACCOUNT = '210987654321';

    /** The resolved topic policy, key policy, topic ARN and an alarm ARN of a synthesized monitoring stack. */
    function publishPath(template: Template) {
      const json = template.toJSON();
      const values = new TemplateValues(json, { account: ACCOUNT, region: ENV.region });
      const policies = Object.values(template.findResources('AWS::SNS::TopicPolicy'));
      expect(policies).toHaveLength(1);
      const topicPolicy = values.resolve(policies[0]!.Properties.PolicyDocument);
      const topicArn = (values.resolve(policies[0]!.Properties.Topics) as string[])[0]!;
      const topicId = Object.keys(template.findResources('AWS::SNS::Topic'))[0]!;
      const keyArn = json.Resources[topicId].Properties.KmsMasterKeyId ? values.resolve(json.Resources[topicId].Properties.KmsMasterKeyId) as string : undefined;
      const keyId = keyArn ? Object.keys(template.findResources('AWS::KMS::Key')).find((id) => values.getAtt(id, 'Arn') === keyArn) : undefined;
      const keyPolicy = keyId ? values.resolve(json.Resources[keyId].Properties.KeyPolicy) : undefined;
      const alarmArns = Object.keys(template.findResources('AWS::CloudWatch::Alarm')).map((id) => values.getAtt(id, 'Arn'));
      return { topicPolicy, topicArn, keyPolicy, keyArn, alarmArns };
    }
    const cloudwatch = { service: 'cloudwatch.amazonaws.com' } as const;
    const publish = (topicArn: string, sourceArn: string, overrides: Partial<PolicyRequest> & { tls?: boolean; account?: string } = {}): PolicyRequest => ({
      principal: cloudwatch,
      action: 'sns:Publish',
      resource: topicArn,
      context: { 'aws:SourceAccount': overrides.account ?? sourceArn.split(':')[4]!, 'aws:SourceArn': sourceArn, 'aws:SecureTransport': overrides.tls ?? true },
      ...overrides,
    });
    const useKey = (keyArn: string, action: string, sourceArn: string): PolicyRequest => ({
      principal: cloudwatch,
      action,
      resource: keyArn,
      context: { 'aws:SourceAccount': sourceArn.split(':')[4]!, 'aws:SourceArn': sourceArn, 'kms:ViaService': `sns.${ENV.region}.amazonaws.com`, 'aws:SecureTransport': true },
    });

    test('happy flow: every alarm of this account may publish to the encrypted topic over TLS, and use its key', () => {
      const { topicPolicy, topicArn, keyPolicy, keyArn, alarmArns } = publishPath(build().template);
      expect(alarmArns).toHaveLength(9);
      for (const alarmArn of alarmArns) {
        expect(evaluatePolicy(topicPolicy, publish(topicArn, alarmArn))).toEqual({ decision: 'allow', statements: ['AllowCloudWatchAlarmsOfThisAccountToPublish'] });
        for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) {
          expect(evaluatePolicy(keyPolicy, useKey(keyArn!, action, alarmArn))).toEqual({ decision: 'allow', statements: ['AllowCloudWatchAlarmsOfThisAccountToPublish'] });
        }
      }
    });

    test('error flow: plain http, another account\'s alarm, another region\'s alarm and other services are refused', () => {
      const { topicPolicy, topicArn, keyPolicy, keyArn, alarmArns } = publishPath(build().template);
      const alarmName = alarmArns[0]!.split(':alarm:')[1];
      const foreign = `arn:aws:cloudwatch:${ENV.region}:${OTHER_ACCOUNT}:alarm:${alarmName}`;
      expect(evaluatePolicy(topicPolicy, publish(topicArn, alarmArns[0]!, { tls: false })).decision).toBe('explicit-deny');
      expect(evaluatePolicy(topicPolicy, publish(topicArn, foreign)).decision).toBe('implicit-deny');
      // A confused deputy: CloudWatch acting for another account's alarm that names this account's topic.
      expect(evaluatePolicy(topicPolicy, publish(topicArn, foreign, { account: ACCOUNT })).decision).toBe('implicit-deny');
      expect(evaluatePolicy(topicPolicy, publish(topicArn, `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:${alarmName}`)).decision).toBe('implicit-deny');
      expect(evaluatePolicy(topicPolicy, { ...publish(topicArn, alarmArns[0]!), principal: { service: 'events.amazonaws.com' } }).decision).toBe('implicit-deny');
      expect(evaluatePolicy(topicPolicy, { principal: { anonymous: true }, action: 'sns:Publish', resource: topicArn, context: { 'aws:SecureTransport': true } }).decision).toBe('implicit-deny');
      for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) {
        expect(evaluatePolicy(keyPolicy, useKey(keyArn!, action, foreign)).decision).toBe('implicit-deny');
      }
      expect(evaluatePolicy(keyPolicy, useKey(keyArn!, 'kms:ScheduleKeyDeletion', alarmArns[0]!)).decision).toBe('implicit-deny');
      // The account itself keeps administering the key through IAM.
      expect(evaluatePolicy(keyPolicy, { principal: { arn: `arn:aws:iam::${ACCOUNT}:role/admin` }, action: 'kms:ScheduleKeyDeletion', resource: keyArn! }).decision).toBe('allow');
    });

    test('happy flow: a topic of this app given as alarmTopic, and the key that encrypts it, let the alarms publish too', () => {
      const stack = new Stack(new App(), 'MonitoringStack', { env: ENV });
      const key = new kms.Key(stack, 'OnCallKey', { enableKeyRotation: true });
      const topic = new sns.Topic(stack, 'OnCall', { enforceSSL: true, masterKey: key });
      new SecureApiMonitoring(stack, 'Monitoring', { ...standIn(stack), alarmTopic: topic });
      const { topicPolicy, topicArn, keyPolicy, keyArn, alarmArns } = publishPath(Template.fromStack(stack));
      expect(evaluatePolicy(topicPolicy, publish(topicArn, alarmArns[0]!)).decision).toBe('allow');
      expect(evaluatePolicy(topicPolicy, publish(topicArn, alarmArns[0]!, { tls: false })).decision).toBe('explicit-deny');
      expect(evaluatePolicy(keyPolicy, useKey(keyArn!, 'kms:GenerateDataKey', alarmArns[0]!)).decision).toBe('allow');
    });

    test('a topic of this app without a topic policy keeps SNS\'s default policy, which already lets the account\'s alarms publish', () => {
      const stack = new Stack(new App(), 'MonitoringStack', { env: ENV });
      const topic = new sns.Topic(stack, 'OnCall');
      new SecureApiMonitoring(stack, 'Monitoring', { ...standIn(stack), alarmTopic: topic });
      const template = Template.fromStack(stack);
      // Creating a policy would replace the default for every other publisher of the topic.
      template.resourceCountIs('AWS::SNS::TopicPolicy', 0);
      const topicArn = new TemplateValues(template.toJSON(), { account: ACCOUNT, region: ENV.region }).ref(stack.getLogicalId(topic.node.defaultChild as sns.CfnTopic));
      // The default policy SNS gives a topic without a policy of its own (GetTopicAttributes shows it).
      const snsDefault = {
        Statement: [{
          Sid: '__default_statement_ID', Effect: 'Allow', Principal: { AWS: '*' }, Resource: topicArn,
          Action: ['SNS:GetTopicAttributes', 'SNS:SetTopicAttributes', 'SNS:AddPermission', 'SNS:RemovePermission', 'SNS:DeleteTopic', 'SNS:Subscribe', 'SNS:ListSubscriptionsByTopic', 'SNS:Publish'],
          Condition: { StringEquals: { 'AWS:SourceOwner': ACCOUNT } },
        }],
      };
      const alarmArn = `arn:aws:cloudwatch:${ENV.region}:${ACCOUNT}:alarm:any`;
      expect(evaluatePolicy(snsDefault, { ...publish(topicArn, alarmArn), context: { 'AWS:SourceOwner': ACCOUNT, 'aws:SourceArn': alarmArn } }).decision).toBe('allow');
    });

    test('an imported topic cannot be given a policy: a warning says what it must allow', () => {
      const stack = new Stack(new App(), 'MonitoringStack', { env: ENV });
      const topic = sns.Topic.fromTopicArn(stack, 'Shared', `arn:aws:sns:${ENV.region}:${ENV.account}:on-call`);
      new SecureApiMonitoring(stack, 'Monitoring', { ...standIn(stack), alarmTopic: topic });
      Annotations.fromStack(stack).hasWarning('/MonitoringStack/Monitoring', Match.stringLikeRegexp('must let cloudwatch.amazonaws.com publish'));
    });
  });

  describe('validation', () => {
    test.each<[string, Partial<SecureApiMonitoringProps>, string]>([
      ['a rate threshold is above 100 percent', { thresholds: { serverErrorRatePercent: 150 } }, "'thresholds.serverErrorRatePercent' must be a percentage above 0 and at most 100 (received: 150)"],
      ['a rate threshold is 0', { thresholds: { clientErrorRatePercent: 0 } }, "'thresholds.clientErrorRatePercent' must be a percentage above 0 and at most 100 (received: 0)"],
      ['a count threshold is 0', { thresholds: { keyFetchFailures: 0 } }, "'thresholds.keyFetchFailures' must be a whole number of at least 1 (received: 0)"],
      ['a count threshold is fractional', { thresholds: { deniedRequests: 2.5 } }, "'thresholds.deniedRequests' must be a whole number of at least 1 (received: 2.5)"],
      ['the latency threshold is 0', { thresholds: { latencyP99: Duration.millis(0) } }, "'thresholds.latencyP99' must be longer than 0 ms (received: 0 ms)"],
      ['the period is not whole minutes', { period: Duration.seconds(90) }, "'period' must be a whole number of minutes (received: 90 seconds)"],
    ])('throws when %s', (_name, props, message) => {
      expect(() => build(props)).toThrow(SecureApiValidationError);
      expect(() => build(props)).toThrow(new Error(`MonitoringStack/Monitoring: ${message}`));
    });

    test('throws when the stage belongs to another api', () => {
      const stack = new Stack(new App(), 'MonitoringStack', { env: ENV });
      const base = standIn(stack);
      const other = new apigw.RestApi(stack, 'Other', { cloudWatchRole: false });
      other.root.addMethod('GET', new apigw.MockIntegration());
      expect(() => new SecureApiMonitoring(stack, 'Monitoring', { ...base, stage: other.deploymentStage })).toThrow(
        "'stage' must be a stage of 'restApi' (received: stage 'MonitoringStack/Other/DeploymentStage.prod' of 'MonitoringStack/Other')",
      );
    });
  });
});
