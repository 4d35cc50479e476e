import { fail, pass, type StandardRule } from '../rule';
import { at } from '../template';
import { stages, stageWideSetting } from './stages';

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

