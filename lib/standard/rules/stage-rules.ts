import { fail, pass, type StandardRule } from '../rule';
import { at, listAt, refersTo, type StackTemplate, type TemplateResource } from '../template';

const stages = (template: StackTemplate): TemplateResource[] => template.ofType('AWS::ApiGateway::Stage');

/** A stage's method settings that apply to every method (`/*` and `*`). */
function stageWideSetting(stage: TemplateResource): Record<string, unknown> | undefined {
  return listAt(stage.properties.MethodSettings).find(
    (setting): setting is Record<string, unknown> => at(setting, 'ResourcePath') === '/*' && at(setting, 'HttpMethod') === '*',
  );
}

/** Whether a WAF web ACL association points at this stage. */
function hasWebAcl(template: StackTemplate, stage: TemplateResource): boolean {
  const api = template.referenced(stage.properties.RestApiId);
  const stageName = stage.properties.StageName;
  return template.ofType('AWS::WAFv2::WebACLAssociation').some((association) => {
    const arn = association.properties.ResourceArn;
    if (refersTo(arn, stage.logicalId)) {
      return true;
    }
    // The ARN may name the stage by its literal name next to a reference to the API.
    return api !== undefined && typeof stageName === 'string' && refersTo(arn, api.logicalId) && JSON.stringify(arn).includes(`/stages/${stageName}`);
  });
}

/** Every REST API stage is behind an AWS WAF web ACL. */
export const stageWebAcl: StandardRule = {
  id: 'SecureApi-StageWebAcl',
  level: 'error',
  description: 'Every REST API stage is associated with an AWS WAF web ACL.',
  explanation:
    'Without a web ACL nothing limits the request rate per client or filters known exploit patterns before the authorizer and the ' +
    'backend: a single client can exhaust the account-level throttle for everyone.',
  fix: 'Associate a web ACL with the stage (SecureApi does by default; SecureApiWebAcl can be shared with hand-wired APIs).',
  evaluate: (template) =>
    stages(template).map((stage) =>
      hasWebAcl(template, stage) ? pass(stage, 'a web ACL is associated with the stage') : fail(stage, 'no AWS::WAFv2::WebACLAssociation names this stage'),
    ),
};

/** Every REST API stage sets its own throttle. */
export const stageThrottling: StandardRule = {
  id: 'SecureApi-StageThrottling',
  level: 'error',
  description: 'Every REST API stage sets a rate and burst limit for all its methods (MethodSettings for /* and *).',
  explanation:
    "Without a stage throttle a stage may take the whole account's API Gateway quota in its region (10,000 requests per second by " +
    'default), so one API under load or attack throttles every other API of the account.',
  fix: 'Set deployOptions.throttlingRateLimit and throttlingBurstLimit (SecureApi sets them by default).',
  evaluate: (template) =>
    stages(template).map((stage) => {
      const setting = stageWideSetting(stage);
      const rate = at(setting, 'ThrottlingRateLimit');
      const burst = at(setting, 'ThrottlingBurstLimit');
      return rate !== undefined && burst !== undefined
        ? pass(stage, `every method is throttled at ${JSON.stringify(rate)} requests per second, bursts of ${JSON.stringify(burst)}`)
        : fail(stage, 'the stage sets no ThrottlingRateLimit and ThrottlingBurstLimit for /* and *', 'Properties/MethodSettings');
    }),
};

/** Every REST API stage logs execution data off. */
export const noDataTrace: StandardRule = {
  id: 'SecureApi-NoDataTrace',
  level: 'error',
  description: 'No REST API stage logs full requests and responses (DataTraceEnabled is off).',
  explanation:
    'Data tracing writes request and response bodies and headers, including Authorization tokens and personal data, into CloudWatch ' +
    'execution logs, which makes the logs themselves a store of credentials.',
  fix: 'Leave deployOptions.dataTraceEnabled off; use access logs and the authorizer decision log for auditing.',
  evaluate: (template) =>
    stages(template).map((stage) => {
      const traced = listAt(stage.properties.MethodSettings).filter((setting) => at(setting, 'DataTraceEnabled') === true);
      return traced.length === 0
        ? pass(stage, 'no method setting enables data tracing')
        : fail(stage, `DataTraceEnabled is on for ${traced.map((setting) => `${String(at(setting, 'HttpMethod'))} ${String(at(setting, 'ResourcePath'))}`).join(', ')}`, 'Properties/MethodSettings');
    }),
};

/**
 * The access-log fields an audit needs, each as one of the context variables that carry it: who called
 * (request id, source IP, principal), what came of it (status), and what the authorizer and WAF said.
 */
export const REQUIRED_ACCESS_LOG_FIELDS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  'request id': Object.freeze(['$context.requestId', '$context.extendedRequestId']),
  caller: Object.freeze(['$context.identity.sourceIp']),
  principal: Object.freeze(['$context.authorizer.principalId', '$context.authorizer.claims.sub', '$context.identity.userArn', '$context.identity.caller']),
  status: Object.freeze(['$context.status']),
  authorizer: Object.freeze(['$context.authorizer.status', '$context.authorizer.error', '$context.authorizer.latency']),
  WAF: Object.freeze(['$context.waf.status', '$context.waf.error', '$context.wafResponseCode', '$context.webaclArn']),
});

/** Every REST API stage writes access logs with the audit fields. */
export const accessLogging: StandardRule = {
  id: 'SecureApi-AccessLogging',
  level: 'error',
  description: `Every REST API stage writes access logs holding the audit fields (${Object.keys(REQUIRED_ACCESS_LOG_FIELDS).join(', ')}).`,
  explanation:
    'After an incident the access log is the record of who called what and what the gateway decided; a log without the caller, the ' +
    'principal or the authorizer and WAF outcome cannot answer those questions.',
  fix: 'Set deployOptions.accessLogDestination and an access log format with the fields (renderAccessLogFormat gives the library’s).',
  evaluate: (template) =>
    stages(template).map((stage) => {
      const destination = at(stage.properties, 'AccessLogSetting', 'DestinationArn');
      const format = at(stage.properties, 'AccessLogSetting', 'Format');
      if (destination === undefined || format === undefined) {
        return fail(stage, 'the stage writes no access log', 'Properties/AccessLogSetting');
      }
      const text = JSON.stringify(format);
      const missing = Object.entries(REQUIRED_ACCESS_LOG_FIELDS)
        .filter(([, variables]) => !variables.some((variable) => text.includes(variable)))
        .map(([field]) => field);
      return missing.length === 0
        ? pass(stage, 'the access log holds every audit field')
        : fail(stage, `the access log format lacks ${missing.join(', ')}`, 'Properties/AccessLogSetting/Format');
    }),
};
