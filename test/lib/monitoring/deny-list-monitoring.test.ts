import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { MONITORING_DEFAULTS } from '../../../lib/defaults';
import { SecureApiMonitoring, type SecureApiMonitoringProps } from '../../../lib/monitoring/secure-api-monitoring';
import { DENY_LIST_UNAVAILABLE_MSG } from '../../../lambda/contract';
import { DenyList } from '../../../lib/revocation/deny-list';
import { standIn } from './stand-in';

function build(withDenyList: boolean, props: Partial<SecureApiMonitoringProps> = {}) {
  const stack = new Stack(new App(), 'MonitoringStack', { env: { account: '123456789012', region: 'eu-west-1' } });
  const base = standIn(stack);
  const denyList = withDenyList ? new DenyList(stack, 'DenyList') : undefined;
  const monitoring = new SecureApiMonitoring(stack, 'Monitoring', {
    ...base,
    denyListTable: denyList?.table,
    ...props,
  });
  return { stack, monitoring, authorizerLogGroup: base.authorizerLogGroup, template: Template.fromStack(stack) };
}

describe('SecureApiMonitoring with a deny list', () => {
  test('a metric filter counts the deny list unavailable lines of the authorizer log, and an alarm watches it', () => {
    const { stack, monitoring, authorizerLogGroup, template } = build(true);

    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: { Ref: stack.getLogicalId(authorizerLogGroup.node.defaultChild as logs.CfnLogGroup) },
      FilterPattern: `{ $.msg = "${DENY_LIST_UNAVAILABLE_MSG}" }`,
      MetricTransformations: [{ MetricNamespace: monitoring.metricNamespace, MetricName: 'DenyListUnavailable', MetricValue: '1', Unit: 'Count' }],
    });
    expect(DENY_LIST_UNAVAILABLE_MSG).toBe('deny list unavailable');
    expect(monitoring.denyListUnavailableAlarm).toBeDefined();
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: MONITORING_DEFAULTS.denyListUnavailableMetricName,
      Namespace: monitoring.metricNamespace,
      Threshold: MONITORING_DEFAULTS.thresholds.denyListUnavailable,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(monitoring.metricDenyListUnavailable().metricName).toBe('DenyListUnavailable');
  });

  test('without a deny list there is no deny-list filter or alarm', () => {
    const without = build(false);
    const withList = build(true);

    expect(without.monitoring.denyListUnavailableAlarm).toBeUndefined();
    expect(withList.monitoring.metricFilters).toHaveLength(without.monitoring.metricFilters.length + 1);
    expect(withList.monitoring.alarms).toHaveLength(without.monitoring.alarms.length + 1);
  });

  test('throws when the deny-list threshold is not a whole number of at least 1', () => {
    expect(() => build(true, { thresholds: { denyListUnavailable: 0 } })).toThrow(
      "MonitoringStack/Monitoring: 'thresholds.denyListUnavailable' must be a whole number of at least 1 (received: 0)",
    );
  });
});
