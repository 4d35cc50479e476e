import { Annotations, ArnFormat, Duration, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, type IConstruct } from 'constructs';
import {
  Decision,
  DECISION_LOG_FIELDS,
  DECISION_LOG_MSG,
  DENY_LIST_UNAVAILABLE_MSG,
  KEY_REFRESH_FAILED_MSG,
  KEY_REFRESH_LOG_FIELDS,
  KeyRefreshCause,
  OUTAGE_CAUSES,
  PSEUDONYM_KEY_UNAVAILABLE_MSG,
  ReasonCode,
} from '../../lambda/contract';
import { AuditQueries } from './audit-queries';
import { restrictGrantsToAwsServices } from '../key-policies';
import { MONITORING_DEFAULTS } from '../defaults';
import { describeValue, SecureApiValidationError } from '../errors';
import type { SecureApiWebAcl } from '../waf/secure-api-web-acl';
import { injectedProps, SECURE_API_MONITORING_INJECTION_ID } from '../org-defaults';

/** Alarm thresholds of {@link SecureApiMonitoring}. Counts and rates are per period. */
export interface MonitoringThresholds {
  /**
   * 5XX responses in percent of requests (0 to 100).
   * @default - MONITORING_DEFAULTS.thresholds.serverErrorRatePercent
   */
  readonly serverErrorRatePercent?: number;
  /**
   * 4XX responses in percent of requests (0 to 100).
   * @default - MONITORING_DEFAULTS.thresholds.clientErrorRatePercent
   */
  readonly clientErrorRatePercent?: number;
  /**
   * Error rates are judged only over periods with at least this many requests, so that one failed
   * request at night does not page anyone.
   * @default - MONITORING_DEFAULTS.thresholds.minimumRequests
   */
  readonly minimumRequests?: number;
  /**
   * p99 of the API Gateway latency.
   * @default - MONITORING_DEFAULTS.thresholds.latencyP99
   */
  readonly latencyP99?: Duration;
  /**
   * Errors of the authorizer function.
   * @default - MONITORING_DEFAULTS.thresholds.authorizerErrors
   */
  readonly authorizerErrors?: number;
  /**
   * Errors of each backend function.
   * @default - MONITORING_DEFAULTS.thresholds.backendErrors
   */
  readonly backendErrors?: number;
  /**
   * Requests the authorizer denied (403) or found unauthorized (401).
   * @default - MONITORING_DEFAULTS.thresholds.deniedRequests
   */
  readonly deniedRequests?: number;
  /**
   * Decisions with reason `KEYS_UNAVAILABLE`.
   * @default - MONITORING_DEFAULTS.thresholds.keyFetchFailures
   */
  readonly keyFetchFailures?: number;
  /**
   * Decisions with reason `CONFIG_ERROR`: the authorizer refuses every request because it cannot use its
   * configuration (a `config.json` that fails validation, or the key of the `pseudonymous` log profile that
   * cannot be read from Secrets Manager).
   * @default - MONITORING_DEFAULTS.thresholds.configErrors
   */
  readonly configErrors?: number;
  /**
   * Failed attempts to refresh the issuer keys (`key refresh failed` lines of the authorizer log), whatever
   * their cause: while keys within the grace period still serve, this is the early warning.
   * @default - MONITORING_DEFAULTS.thresholds.keyRefreshFailures
   */
  readonly keyRefreshFailures?: number;
  /**
   * Failed reads of the deny list while the authorizer had no snapshot of it (`deny list unavailable` lines of
   * the authorizer log, one per attempt): with `whenUnavailable: 'allow'`, revoked tokens may pass meanwhile.
   * @default - MONITORING_DEFAULTS.thresholds.denyListUnavailable
   */
  readonly denyListUnavailable?: number;
  /**
   * Requests the web ACL blocked.
   * @default - MONITORING_DEFAULTS.thresholds.wafBlockedRequests
   */
  readonly wafBlockedRequests?: number;
  /**
   * Requests answered 429.
   * @default - MONITORING_DEFAULTS.thresholds.throttledRequests
   */
  readonly throttledRequests?: number;
}

/** Properties of {@link SecureApiMonitoring}. */
export interface SecureApiMonitoringProps {
  /** The REST API. */
  readonly restApi: apigw.IRestApi;
  /** The stage of `restApi` whose metrics are watched. */
  readonly stage: apigw.Stage;
  /** The JWT authorizer function. */
  readonly authorizerFunction: lambda.IFunction;
  /** The authorizer's log group, which holds its decision log (one JSON line per decision). */
  readonly authorizerLogGroup: logs.ILogGroup;
  /** The stage's access log group, in the `SECURE_API_DEFAULTS.accessLogFields` JSON format. */
  readonly accessLogGroup: logs.ILogGroup;
  /**
   * The web ACL of the stage.
   * @default - no WAF alarm, widgets or queries
   */
  readonly webAcl?: SecureApiWebAcl;
  /**
   * The deny list the authorizer reads (`SecureApi.revocation.table`): adds the `DenyListUnavailable` metric
   * filter and alarm.
   * @default - no deny-list metric or alarm
   */
  readonly denyListTable?: dynamodb.ITable;
  /**
   * Backend functions behind the API: each gets an errors alarm and dashboard widgets.
   * @default - none
   */
  readonly backendFunctions?: lambda.IFunction[];
  /**
   * Where alarms send their ALARM and OK notifications: `true` creates an SNS topic encrypted with a
   * KMS key of its own and reachable over TLS only; `false` leaves alarms without actions.
   *
   * A topic policy replaces SNS's default policy (which lets services of the account publish), so the
   * topic's policy gets a statement that lets `cloudwatch.amazonaws.com` publish for the alarms of this
   * account and region (`aws:SourceAccount`, `aws:SourceArn`), and an encrypted topic's key gets one that
   * lets CloudWatch use it (`kms:Decrypt`, `kms:GenerateDataKey*`, same conditions). A topic of this app
   * given here gets the topic statement when it already has a topic policy (one without keeps SNS's
   * default, which lets the account's alarms publish), and its key, when the key belongs to this app, gets
   * the key statement; an imported topic or key must already allow it (a warning says so).
   * @default - MONITORING_DEFAULTS.alarmTopic
   */
  readonly alarmTopic?: sns.ITopic | boolean;
  /**
   * Alarm thresholds.
   * @default - MONITORING_DEFAULTS.thresholds
   */
  readonly thresholds?: MonitoringThresholds;
  /**
   * Period of the alarms and of the dashboard's metrics.
   * @default - MONITORING_DEFAULTS.period
   */
  readonly period?: Duration;
  /**
   * Namespace of the metrics the log metric filters publish. It must be unique per API, because the
   * metric names are the same for every API.
   * @default - `SecureApi/` followed by a name unique to this construct's path
   */
  readonly metricNamespace?: string;
  /**
   * Name of the dashboard.
   * @default - generated by CloudFormation
   */
  readonly dashboardName?: string;
}

/**
 * Metric filters, alarms, a dashboard and saved Logs Insights queries for a secure REST API: the
 * audit trail's alerting and incident-response side.
 *
 * Metric filters on the decision log publish `AuthorizerDecisions` (dimensions `Decision` and
 * `Reason`, from `$.decision` and `$.reason`: one custom metric per pair seen, about 30 at most),
 * `DeniedRequests` and `KeyFetchFailures`; on the key-refresh failure lines of the same log,
 * `KeyRefreshFailures` (in all, and by `Cause`: one line per failed attempt, never one per request); on the
 * access log, `ThrottledRequests` (status 429); with a deny list, `DenyListUnavailable` (the authorizer's
 * `deny list unavailable` lines). The authorizer log must hold one JSON object per log event,
 * as the authorizer writes it to stdout.
 *
 * Alarms (all with `treatMissingData: NOT_BREACHING`, because every watched metric is only published
 * when there is traffic or a failure, and no traffic is not an incident): 5XX rate, 4XX rate, p99
 * latency, authorizer errors, backend errors, denied requests, key-fetch failures, key-refresh failures,
 * WAF blocked requests, 429 responses, and, with a deny list, failed reads of it.
 */
export class SecureApiMonitoring extends Construct {
  /** The id under which `PropertyInjectors` (and `SecureApiOrgDefaults`) reach this construct's props. */
  public static readonly PROPERTY_INJECTION_ID = SECURE_API_MONITORING_INJECTION_ID;

  /** Namespace of the metrics published by the metric filters. */
  public readonly metricNamespace: string;
  /** Metric filters on the decision log and the access log. */
  public readonly metricFilters: logs.MetricFilter[];
  /** Every alarm. */
  public readonly alarms: cloudwatch.Alarm[];
  /** 5XX responses above `serverErrorRatePercent` of requests. */
  public readonly serverErrorRateAlarm: cloudwatch.Alarm;
  /** 4XX responses above `clientErrorRatePercent` of requests. */
  public readonly clientErrorRateAlarm: cloudwatch.Alarm;
  /** p99 latency above `latencyP99`. */
  public readonly latencyAlarm: cloudwatch.Alarm;
  /** Authorizer function errors. */
  public readonly authorizerErrorsAlarm: cloudwatch.Alarm;
  /** Denied and unauthorized requests. */
  public readonly deniedRequestsAlarm: cloudwatch.Alarm;
  /** Key-fetch failures of the authorizer. */
  public readonly keyFetchFailuresAlarm: cloudwatch.Alarm;
  /** Failed refreshes of the issuer keys, whatever their cause. */
  public readonly keyRefreshFailuresAlarm: cloudwatch.Alarm;
  /** Fires when the authorizer refuses requests because it cannot use its configuration (`CONFIG_ERROR`). */
  public readonly configErrorsAlarm: cloudwatch.Alarm;
  /** Requests answered 429. */
  public readonly throttledRequestsAlarm: cloudwatch.Alarm;
  /** Failed reads of the deny list without a snapshot, when a deny list is given. */
  public readonly denyListUnavailableAlarm?: cloudwatch.Alarm;
  /** Requests the web ACL blocked, when a web ACL is given. */
  public readonly wafBlockedRequestsAlarm?: cloudwatch.Alarm;
  /** Errors of each backend function, in the order given. */
  public readonly backendErrorsAlarms: cloudwatch.Alarm[];
  /** The topic the alarms notify, unless `alarmTopic` is `false`. */
  public readonly topic?: sns.ITopic;
  /** The key that encrypts the topic, when this construct created the topic. */
  public readonly topicKey?: kms.Key;
  /** The dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;
  /** The saved Logs Insights queries. */
  public readonly queries: AuditQueries;

  private readonly period: Duration;

  /**
   * @param scope the parent construct
   * @param id the construct id
   * @param props what to watch, thresholds and where to notify
   * @throws SecureApiValidationError on invalid thresholds, or a stage of another API
   */
  constructor(scope: Construct, id: string, props: SecureApiMonitoringProps) {
    super(scope, id);
    // Explicit props, over the organization's defaults (SecureApiOrgDefaults), over MONITORING_DEFAULTS.
    props = injectedProps(SecureApiMonitoring.PROPERTY_INJECTION_ID, scope, id, props);
    if (props.stage.restApi !== props.restApi) {
      throw new SecureApiValidationError(
        `'stage' must be a stage of 'restApi' (received: stage '${props.stage.node.path}' of '${props.stage.restApi.node.path}')`,
        this,
      );
    }
    this.period = props.period ?? MONITORING_DEFAULTS.period;
    const periodSeconds = this.period.toSeconds({ integral: false });
    if (periodSeconds < 60 || periodSeconds % 60 !== 0) {
      throw new SecureApiValidationError(`'period' must be a whole number of minutes (received: ${periodSeconds} seconds)`, this);
    }
    const thresholds = resolveThresholds(this, props.thresholds ?? {});

    this.metricNamespace = props.metricNamespace ?? `SecureApi/${Names.uniqueResourceName(this, { maxLength: 200, separator: '-' })}`;
    this.metricFilters = this.createMetricFilters(props.authorizerLogGroup, props.accessLogGroup, props.denyListTable !== undefined);

    const stage = props.stage;
    const requests = stage.metricCount({ statistic: 'Sum', period: this.period });
    const apiLabel = `${props.restApi.node.path} (stage ${stage.node.id})`;
    const alarms: cloudwatch.Alarm[] = [];
    const alarm = (alarmId: string, description: string, metric: cloudwatch.Metric | cloudwatch.MathExpression, threshold: number, tuning: Partial<cloudwatch.CreateAlarmOptions> = {}) => {
      const created = metric.createAlarm(this, alarmId, {
        alarmDescription: `${description} - ${apiLabel}`,
        threshold,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...tuning,
      });
      alarms.push(created);
      return created;
    };
    // Rates over a busy period only: IF() turns quiet periods into 0 instead of a 100% spike.
    const rate = (errors: cloudwatch.IMetric, label: string) => new cloudwatch.MathExpression({
      expression: `IF(requests >= ${thresholds.minimumRequests}, 100 * errors / requests, 0)`,
      usingMetrics: { errors, requests },
      period: this.period,
      label,
    });
    // A rate or latency breach must hold for 2 of 3 periods, so a single slow burst does not page.
    const sustained = { evaluationPeriods: 3, datapointsToAlarm: 2, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD };

    this.serverErrorRateAlarm = alarm('ServerErrorRate', `5XX responses above ${thresholds.serverErrorRatePercent}% of requests`,
      rate(stage.metricServerError({ statistic: 'Sum', period: this.period }), '5XX %'), thresholds.serverErrorRatePercent, sustained);
    this.clientErrorRateAlarm = alarm('ClientErrorRate', `4XX responses above ${thresholds.clientErrorRatePercent}% of requests`,
      rate(stage.metricClientError({ statistic: 'Sum', period: this.period }), '4XX %'), thresholds.clientErrorRatePercent, sustained);
    this.latencyAlarm = alarm('LatencyP99', `p99 latency above ${thresholds.latencyP99Ms} ms`,
      stage.metricLatency({ statistic: 'p99', period: this.period }), thresholds.latencyP99Ms, sustained);
    this.authorizerErrorsAlarm = alarm('AuthorizerErrors', 'The JWT authorizer function fails (API Gateway answers 500)',
      props.authorizerFunction.metricErrors({ statistic: 'Sum', period: this.period }), thresholds.authorizerErrors);
    this.deniedRequestsAlarm = alarm('DeniedRequests', `At least ${thresholds.deniedRequests} requests denied or unauthorized by the authorizer`,
      this.metricDeniedRequests(), thresholds.deniedRequests);
    this.keyFetchFailuresAlarm = alarm('KeyFetchFailures', `The authorizer cannot fetch the issuer keys and fails closed (${ReasonCode.KEYS_UNAVAILABLE})`,
      this.metricKeyFetchFailures(), thresholds.keyFetchFailures);
    this.keyRefreshFailuresAlarm = alarm('KeyRefreshFailures',
      `At least ${thresholds.keyRefreshFailures} failed refreshes of the issuer keys; the cause is in the authorizer log ` +
      `(${OUTAGE_CAUSES.join(', ')}: identity provider or network outage; others: misconfiguration)`,
      this.metricKeyRefreshFailures(), thresholds.keyRefreshFailures);
    this.configErrorsAlarm = alarm('ConfigErrors',
      `The authorizer cannot use its configuration and refuses every request (${ReasonCode.CONFIG_ERROR}); the cause is in the authorizer log ` +
      `(a config.json that fails validation, or "${PSEUDONYM_KEY_UNAVAILABLE_MSG}")`,
      this.metricConfigErrors(), thresholds.configErrors);
    this.throttledRequestsAlarm = alarm('ThrottledRequests', `At least ${thresholds.throttledRequests} requests answered 429`,
      this.metricThrottledRequests(), thresholds.throttledRequests);
    if (props.denyListTable !== undefined) {
      this.denyListUnavailableAlarm = alarm('DenyListUnavailable',
        `At least ${thresholds.denyListUnavailable} failed reads of the deny list with no snapshot of it: revocations may not apply (authorizer log, msg "${DENY_LIST_UNAVAILABLE_MSG}")`,
        this.metricDenyListUnavailable(), thresholds.denyListUnavailable);
    }
    if (props.webAcl) {
      this.wafBlockedRequestsAlarm = alarm('WafBlockedRequests', `At least ${thresholds.wafBlockedRequests} requests blocked by the web ACL`,
        props.webAcl.metricBlockedRequests({ period: this.period }), thresholds.wafBlockedRequests);
    }
    this.backendErrorsAlarms = (props.backendFunctions ?? []).map((fn) =>
      alarm(`BackendErrors${Names.nodeUniqueId(fn.node)}`, `Backend function ${fn.node.path} fails`,
        fn.metricErrors({ statistic: 'Sum', period: this.period }), thresholds.backendErrors));
    this.alarms = alarms;

    const topicSetting = props.alarmTopic ?? MONITORING_DEFAULTS.alarmTopic;
    if (topicSetting === true) {
      this.topicKey = new kms.Key(this, 'AlarmTopicKey', {
        description: `Encrypts the alarm topic of ${apiLabel}`,
        enableKeyRotation: true,
        // The key protects notifications in transit through SNS only, so nothing is lost with it.
        removalPolicy: RemovalPolicy.DESTROY,
      });
      restrictGrantsToAwsServices(this.topicKey);
      this.topic = new sns.Topic(this, 'AlarmTopic', { masterKey: this.topicKey, enforceSSL: true });
    } else if (topicSetting !== false) {
      this.topic = topicSetting;
    }
    if (this.topic) {
      allowCloudWatchAlarmsToPublish(this, this.topic);
      const action = new cwActions.SnsAction(this.topic);
      for (const a of alarms) {
        a.addAlarmAction(action);
        a.addOkAction(action);
      }
    }

    this.queries = new AuditQueries(this, 'Queries', {
      accessLogGroup: props.accessLogGroup,
      authorizerLogGroup: props.authorizerLogGroup,
      wafLogGroup: props.webAcl?.logGroup,
    });

    this.dashboard = this.createDashboard(props, apiLabel, requests);
  }

  /**
   * A metric published by this construct's metric filters.
   *
   * @param metricName `AuthorizerDecisions`, `DeniedRequests`, `KeyFetchFailures`, `KeyRefreshFailures`, `ThrottledRequests` or `DenyListUnavailable`
   * @param props overrides; statistic `Sum` over the construct's period unless set
   * @returns the metric
   */
  public metric(metricName: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({ namespace: this.metricNamespace, metricName, statistic: 'Sum', period: this.period, ...props });
  }

  /**
   * Requests the authorizer denied (403) or found unauthorized (401): sum per period.
   * @param props overrides
   * @returns the metric
   */
  public metricDeniedRequests(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('DeniedRequests', props);
  }

  /**
   * Decisions that failed because the issuer's keys were unavailable: sum per period.
   * @param props overrides
   * @returns the metric
   */
  public metricKeyFetchFailures(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('KeyFetchFailures', props);
  }

  /**
   * Decisions with reason `CONFIG_ERROR` (the authorizer cannot use its configuration or its pseudonym key
   * and refuses every request): sum per period.
   * @param props overrides
   * @returns the metric
   */
  public metricConfigErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ConfigErrors', props);
  }

  /**
   * Failed refreshes of the issuer keys (one `key refresh failed` line of the authorizer per failed
   * attempt, never one per request): sum per period.
   * @param props overrides
   * @returns the metric
   */
  public metricKeyRefreshFailures(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('KeyRefreshFailures', props);
  }

  /**
   * Failed refreshes of the issuer keys with one cause, e.g. `TIMEOUT` (an outage) or `NO_USABLE_KEY`
   * (a misconfiguration): sum per period.
   * @param cause a key-refresh cause
   * @param props overrides
   * @returns the metric
   */
  public metricKeyRefreshFailuresByCause(cause: KeyRefreshCause, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.metric('KeyRefreshFailures', { ...props, dimensionsMap: { Cause: cause } });
  }

  /**
   * Failed reads of the deny list while the authorizer had no snapshot of it (one `deny list unavailable` line
   * per attempt): sum per period. Published only when the monitoring is given a deny list.
   * @param props overrides
   * @returns the metric
   */
  public metricDenyListUnavailable(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MONITORING_DEFAULTS.denyListUnavailableMetricName, props);
  }

  /**
   * Requests answered 429 (WAF rate limits and stage throttling), from the access log: sum per period.
   * @param props overrides
   * @returns the metric
   */
  public metricThrottledRequests(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MONITORING_DEFAULTS.throttledMetricName, props);
  }

  /**
   * Authorizer decisions of one kind and reason, e.g. (`deny`, `INSUFFICIENT_SCOPE`): sum per period.
   * @param decision `allow`, `deny` or `unauthorized`
   * @param reason a decision-log reason code
   * @param props overrides
   * @returns the metric
   */
  public metricDecisions(decision: Decision, reason: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.metric('AuthorizerDecisions', { ...props, dimensionsMap: { Decision: decision, Reason: reason } });
  }

  private createMetricFilters(authorizerLogGroup: logs.ILogGroup, accessLogGroup: logs.ILogGroup, denyList: boolean): logs.MetricFilter[] {
    const decision = `$.${DECISION_LOG_FIELDS.decision}`;
    const reason = `$.${DECISION_LOG_FIELDS.reason}`;
    const decisionLine = logs.FilterPattern.stringValue(`$.${DECISION_LOG_FIELDS.msg}`, '=', DECISION_LOG_MSG);
    const refreshLine = logs.FilterPattern.stringValue(`$.${KEY_REFRESH_LOG_FIELDS.msg}`, '=', KEY_REFRESH_FAILED_MSG);
    const filter = (id: string, logGroup: logs.ILogGroup, metricName: string, filterPattern: logs.IFilterPattern, dimensions?: Record<string, string>) =>
      new logs.MetricFilter(this, id, {
        logGroup,
        metricNamespace: this.metricNamespace,
        metricName,
        filterPattern,
        metricValue: '1',
        dimensions,
        unit: cloudwatch.Unit.COUNT,
      });
    return [
      filter('DecisionsFilter', authorizerLogGroup, 'AuthorizerDecisions', decisionLine, { Decision: decision, Reason: reason }),
      filter('DeniedFilter', authorizerLogGroup, 'DeniedRequests',
        logs.FilterPattern.all(decisionLine, logs.FilterPattern.stringValue(decision, '!=', Decision.ALLOW))),
      filter('KeyFetchFailuresFilter', authorizerLogGroup, 'KeyFetchFailures',
        logs.FilterPattern.all(decisionLine, logs.FilterPattern.stringValue(reason, '=', ReasonCode.KEYS_UNAVAILABLE))),
      filter('ConfigErrorsFilter', authorizerLogGroup, 'ConfigErrors',
        logs.FilterPattern.all(decisionLine, logs.FilterPattern.stringValue(reason, '=', ReasonCode.CONFIG_ERROR))),
      // One line per failed refresh attempt: counted in all (for the alarm) and by cause (for the dashboard).
      filter('KeyRefreshFailuresFilter', authorizerLogGroup, 'KeyRefreshFailures', refreshLine),
      filter('KeyRefreshFailuresByCauseFilter', authorizerLogGroup, 'KeyRefreshFailures', refreshLine, { Cause: `$.${KEY_REFRESH_LOG_FIELDS.cause}` }),
      // The access log writes `status` as a string; a number matches too, should the format change.
      filter('ThrottledFilter', accessLogGroup, MONITORING_DEFAULTS.throttledMetricName,
        logs.FilterPattern.any(logs.FilterPattern.stringValue('$.status', '=', '429'), logs.FilterPattern.numberValue('$.status', '=', 429))),
      ...(denyList
        ? [filter('DenyListUnavailableFilter', authorizerLogGroup, MONITORING_DEFAULTS.denyListUnavailableMetricName,
          logs.FilterPattern.stringValue(`$.${DECISION_LOG_FIELDS.msg}`, '=', DENY_LIST_UNAVAILABLE_MSG))]
        : []),
    ];
  }

  private createDashboard(props: SecureApiMonitoringProps, apiLabel: string, requests: cloudwatch.IMetric): cloudwatch.Dashboard {
    const stage = props.stage;
    const p = { period: this.period };
    const width = 8;
    const graph = (title: string, left: cloudwatch.IMetric[], extra: Partial<cloudwatch.GraphWidgetProps> = {}) =>
      new cloudwatch.GraphWidget({ title, left, width, height: 6, ...extra });
    const decisionsByReason = (decision: Decision) => new cloudwatch.MathExpression({
      expression: `SEARCH('{${this.metricNamespace},Decision,Reason} MetricName="AuthorizerDecisions" Decision="${decision}"', 'Sum', ${this.period.toSeconds()})`,
      period: this.period,
    });

    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.hours(3),
    });
    dashboard.addWidgets(new cloudwatch.TextWidget({
      markdown: `# ${apiLabel}\nTraffic, errors, latency, authorizer decisions, WAF and throttling. ` +
        `Incident response: CloudWatch Logs Insights, saved queries, folder \`${this.queries.folder}\`.`,
      width: 24,
      height: 2,
    }));
    dashboard.addWidgets(
      graph('Traffic (requests)', [requests], {
        right: props.webAcl ? [props.webAcl.metricAllowedRequests(p), props.webAcl.metricBlockedRequests(p)] : [],
      }),
      graph('Errors', [stage.metricClientError({ statistic: 'Sum', ...p }), stage.metricServerError({ statistic: 'Sum', ...p })]),
      graph('Latency (ms)', [
        stage.metricLatency({ statistic: 'p50', ...p }),
        stage.metricLatency({ statistic: 'p99', ...p }),
        stage.metricIntegrationLatency({ statistic: 'p99', ...p }),
      ]),
    );
    dashboard.addWidgets(
      graph('Authorizer: denied (403) by reason', [decisionsByReason(Decision.DENY)]),
      graph('Authorizer: unauthorized (401) by reason', [decisionsByReason(Decision.UNAUTHORIZED)]),
      graph('Authorizer function', [
        props.authorizerFunction.metricInvocations({ statistic: 'Sum', ...p }),
        props.authorizerFunction.metricErrors({ statistic: 'Sum', ...p }),
        this.metricKeyFetchFailures(),
        ...(props.denyListTable !== undefined ? [this.metricDenyListUnavailable()] : []),
      ], { right: [props.authorizerFunction.metricDuration({ statistic: 'p99', ...p })] }),
    );
    dashboard.addWidgets(
      graph('Authorizer: key refresh failures by cause', [new cloudwatch.MathExpression({
        expression: `SEARCH('{${this.metricNamespace},Cause} MetricName="KeyRefreshFailures"', 'Sum', ${this.period.toSeconds()})`,
        period: this.period,
      })], { width: 16 }),
      new cloudwatch.TextWidget({
        markdown: `**Key refresh causes** (authorizer log, \`${KEY_REFRESH_LOG_FIELDS.msg} = "${KEY_REFRESH_FAILED_MSG}"\`)\n\n` +
          `Outage of the identity provider or the network: ${OUTAGE_CAUSES.join(', ')} (5XX).\n\n` +
          `Misconfiguration: ${Object.values(KeyRefreshCause).filter((cause) => !OUTAGE_CAUSES.includes(cause)).join(', ')}, ${KeyRefreshCause.HTTP_STATUS} 3XX/4XX.`,
        width: 8,
        height: 6,
      }),
    );
    dashboard.addWidgets(
      graph('Throttled (429)', [this.metricThrottledRequests()],
        props.webAcl ? { right: [props.webAcl.metricRateLimitedRequests(p)] } : {}),
      ...(props.webAcl
        ? [graph('WAF: allowed, blocked, counted', [
          props.webAcl.metricAllowedRequests(p), props.webAcl.metricBlockedRequests(p), props.webAcl.metricCountedRequests(p),
        ])]
        : []),
      ...(props.backendFunctions ?? []).map((fn) => graph(`Backend ${fn.node.id}`, [
        fn.metricInvocations({ statistic: 'Sum', ...p }), fn.metricErrors({ statistic: 'Sum', ...p }),
      ], { right: [fn.metricDuration({ statistic: 'p99', ...p })] })),
    );
    dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 }));
    return dashboard;
  }
}

interface ResolvedThresholds {
  readonly serverErrorRatePercent: number;
  readonly clientErrorRatePercent: number;
  readonly minimumRequests: number;
  readonly latencyP99Ms: number;
  readonly authorizerErrors: number;
  readonly backendErrors: number;
  readonly deniedRequests: number;
  readonly keyFetchFailures: number;
  readonly configErrors: number;
  readonly keyRefreshFailures: number;
  readonly wafBlockedRequests: number;
  readonly throttledRequests: number;
  readonly denyListUnavailable: number;
}

function resolveThresholds(scope: IConstruct, given: MonitoringThresholds): ResolvedThresholds {
  const d = MONITORING_DEFAULTS.thresholds;
  const percent = (name: keyof MonitoringThresholds, value: number) => {
    if (!Token.isUnresolved(value) && !(value > 0 && value <= 100)) {
      throw new SecureApiValidationError(`'thresholds.${name}' must be a percentage above 0 and at most 100 (received: ${describeValue(value)})`, scope);
    }
    return value;
  };
  const count = (name: keyof MonitoringThresholds, value: number) => {
    if (!Token.isUnresolved(value) && !(Number.isInteger(value) && value >= 1)) {
      throw new SecureApiValidationError(`'thresholds.${name}' must be a whole number of at least 1 (received: ${describeValue(value)})`, scope);
    }
    return value;
  };
  const latency = given.latencyP99 ?? d.latencyP99;
  const latencyMs = latency.toMilliseconds();
  if (latencyMs <= 0) {
    throw new SecureApiValidationError(`'thresholds.latencyP99' must be longer than 0 ms (received: ${latencyMs} ms)`, scope);
  }
  return {
    serverErrorRatePercent: percent('serverErrorRatePercent', given.serverErrorRatePercent ?? d.serverErrorRatePercent),
    clientErrorRatePercent: percent('clientErrorRatePercent', given.clientErrorRatePercent ?? d.clientErrorRatePercent),
    minimumRequests: count('minimumRequests', given.minimumRequests ?? d.minimumRequests),
    latencyP99Ms: latencyMs,
    authorizerErrors: count('authorizerErrors', given.authorizerErrors ?? d.authorizerErrors),
    backendErrors: count('backendErrors', given.backendErrors ?? d.backendErrors),
    deniedRequests: count('deniedRequests', given.deniedRequests ?? d.deniedRequests),
    keyFetchFailures: count('keyFetchFailures', given.keyFetchFailures ?? d.keyFetchFailures),
    configErrors: count('configErrors', given.configErrors ?? d.configErrors),
    keyRefreshFailures: count('keyRefreshFailures', given.keyRefreshFailures ?? d.keyRefreshFailures),
    wafBlockedRequests: count('wafBlockedRequests', given.wafBlockedRequests ?? d.wafBlockedRequests),
    throttledRequests: count('throttledRequests', given.throttledRequests ?? d.throttledRequests),
    denyListUnavailable: count('denyListUnavailable', given.denyListUnavailable ?? d.denyListUnavailable),
  };
}

/**
 * Lets the CloudWatch alarms of the topic's account and region publish to it, and use its KMS key. A topic
 * policy replaces SNS's default policy, which is what let services of the account publish; without this
 * statement every alarm deploys and its notifications are dropped. `aws:SourceAccount` and `aws:SourceArn`
 * keep another account's alarms (the confused deputy) out.
 *
 * @see https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-actions.html
 */
function allowCloudWatchAlarmsToPublish(scope: Construct, topic: sns.ITopic): void {
  const stack = Stack.of(topic);
  const principals = [new iam.ServicePrincipal('cloudwatch.amazonaws.com')];
  const conditions = {
    StringEquals: { 'aws:SourceAccount': stack.account },
    ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
  };
  if (!(topic instanceof sns.Topic)) {
    Annotations.of(scope).addWarningV2('cdk-secure-api:alarm-topic-policy',
      `The alarm topic ${topic.node.path} is imported: its policy must let cloudwatch.amazonaws.com publish (sns:Publish) for the alarms of this account ` +
      '(SNS\'s default policy does; a topic policy of your own must say so), or the alarms notify nobody');
  } else if (topic.node.children.some((child) => child instanceof sns.TopicPolicy)) {
    // A topic policy already replaces the default one: it must name CloudWatch itself. A topic without one
    // keeps SNS's default policy, which lets services of the account publish; creating a policy here would
    // take that away from every other publisher of the topic.
    topic.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AllowCloudWatchAlarmsOfThisAccountToPublish',
      principals,
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions,
    }));
  }
  const key = topic.masterKey;
  if (key) {
    // CloudWatch publishes to an encrypted topic only if the key lets it encrypt the message for SNS.
    const used = key.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AllowCloudWatchAlarmsOfThisAccountToPublish',
      principals,
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions,
    }));
    if (!used.statementAdded) {
      Annotations.of(scope).addWarningV2('cdk-secure-api:alarm-topic-key-policy',
        `The key of the alarm topic ${topic.node.path} is imported: its key policy must let cloudwatch.amazonaws.com use it (kms:Decrypt, kms:GenerateDataKey*), or the alarms notify nobody`);
    }
  }
}
