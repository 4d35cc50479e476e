import { fail, pass, type StandardRule } from '../rule';
import { at } from '../template';
import { stages } from './stages';

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
