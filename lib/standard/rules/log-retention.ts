import { fail, pass, type StandardRule } from '../rule';
import type { StackTemplate } from '../template';

/** Every log group expires its events. */
export const logRetention: StandardRule = {
  id: 'SecureApi-LogRetention',
  level: 'error',
  description: 'Every CloudWatch log group has a retention period (RetentionInDays).',
  explanation:
    'A log group without retention keeps every event forever: access logs and authorizer decisions hold personal data (caller ' +
    'identities, IP addresses), which data-protection rules allow to be kept only as long as needed, and the cost grows without bound.',
  fix: "Set the log group's retention (logs.RetentionDays), e.g. through createAuditLogGroup or the construct's logRetention prop.",
  evaluate(template: StackTemplate) {
    return template.ofType('AWS::Logs::LogGroup').map((group) => {
      const days = group.properties.RetentionInDays;
      return days === undefined
        ? fail(group, 'the log group has no RetentionInDays: its events are kept forever', 'Properties/RetentionInDays')
        : pass(group, `events expire after ${JSON.stringify(days)} days`);
    });
  },
};
