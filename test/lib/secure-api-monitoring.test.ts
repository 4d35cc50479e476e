import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { formatDecision, ReasonCode } from '../../lambda/decision-log';
import { MONITORING_DEFAULTS } from '../../lib/defaults';
import { SecureApiValidationError } from '../../lib/errors';
import { SecureApiMonitoring, type SecureApiMonitoringProps } from '../../lib/secure-api-monitoring';
import { SecureApiWebAcl } from '../../lib/secure-api-web-acl';

const ENV = { account: '123456789012', region: 'eu-west-1' };

/** A synthesized template fragment, navigated key by key in assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- template JSON has no static type
type CfnJson = Record<string, any>;

/** A REST API, its stage, an authorizer function and the two log groups: a stand-in for `SecureApi`. */
function standIn(stack: Stack): Omit<SecureApiMonitoringProps, 'alarmTopic'> {
  const accessLogGroup = new logs.LogGroup(stack, 'AccessLogs', { retention: logs.RetentionDays.ONE_YEAR });
  const restApi = new apigw.RestApi(stack, 'Api', {
    cloudWatchRole: false,
    deployOptions: { accessLogDestination: new apigw.LogGroupLogDestination(accessLogGroup) },
  });
  restApi.root.addMethod('GET', new apigw.MockIntegration());
  const authorizerFunction = new lambda.Function(stack, 'Authorizer', {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => { throw new Error("Unauthorized"); };'),
  });
  const authorizerLogGroup = new logs.LogGroup(stack, 'AuthorizerLogs', { retention: logs.RetentionDays.ONE_YEAR });
  return { restApi, stage: restApi.deploymentStage, authorizerFunction, authorizerLogGroup, accessLogGroup };
}

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
  return found[0];
}

describe('SecureApiMonitoring', () => {
  test('default secure api monitoring', () => {
    const { stack, monitoring, template } = build();
    expect(monitoring.metricNamespace).toMatch(/^SecureApi\/MonitoringStack-Monitoring-[0-9A-F]{8}$/);

    template.resourceCountIs('AWS::Logs::MetricFilter', 4);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 7);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.resourceCountIs('AWS::Logs::QueryDefinition', 5);
    expect(monitoring.alarms).toHaveLength(7);
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
        Statement: Match.arrayWith([{
          Sid: 'AllowCloudWatchAlarmsToPublish',
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          Resource: '*',
        }]),
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
      LogGroupName: group(base.accessLogGroup),
      FilterPattern: '{ ($.status = "429") || ($.status = 429) }',
      MetricTransformations: transformation(MONITORING_DEFAULTS.throttledMetricName),
    });
  });

  test('the metric filters key on fields and values the authorizer really writes', () => {
    const line = JSON.parse(formatDecision({
      level: 'error', msg: 'authorizer decision', requestId: null, route: null, decision: 'unauthorized', reason: ReasonCode.KEYS_UNAVAILABLE,
      issuer: null, sub: null, clientId: null, scopes: null, latencyMs: 3,
    })) as Record<string, unknown>;
    expect(line).toEqual(expect.objectContaining({ msg: 'authorizer decision', decision: 'unauthorized', reason: 'KEYS_UNAVAILABLE' }));
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
        wafBlockedRequests: 50,
        throttledRequests: 10,
      },
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 9);
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
      'Authorizer function', 'Throttled (429)', 'WAF: allowed, blocked, counted', 'Backend Orders', 'Alarms',
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
      expect(() => build(props)).toThrow(new Error(message));
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
