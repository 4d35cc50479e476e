import { fail, pass, type StandardRule } from '../rule';
import { at, listAt } from '../template';
import { stages } from './stages';

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

