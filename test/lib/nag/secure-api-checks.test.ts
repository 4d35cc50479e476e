import { App, Stack, Validations } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { SecureApiChecks } from '../../../lib/nag';
import { STANDARD_RULES } from '../../../lib/standard/rules';
import { handWired } from '../../fixtures/mixed-app';
import { SCENARIOS } from '../scenarios';

/** The rule ids the synthesis error names, in order of first mention. */
function failedRuleIds(app: App): string[] {
  try {
    app.synth();
  } catch (error) {
    return [...new Set((error as Error).message.match(/SecureApi-[A-Za-z]+/g) ?? [])];
  }
  return [];
}

describe('SecureApiChecks (cdk-nag v3 pack)', () => {
  test('reports every rule of the standard on the hand-wired stack, with the standard’s ids', () => {
    const app = new App();
    Validations.of(app).addPlugins(new SecureApiChecks(app));
    handWired(app);
    expect(failedRuleIds(app).sort()).toEqual(STANDARD_RULES.map((rule) => rule.id).sort());
    expect(new SecureApiChecks().ruleIds).toEqual(STANDARD_RULES.map((rule) => rule.id));
  });

  test('a warning-level rule is reported at cdk-nag’s warning level', () => {
    const app = new App();
    Validations.of(app).addPlugins(new SecureApiChecks(app));
    const stack = handWired(app);
    for (const id of STANDARD_RULES.filter((rule) => rule.level === 'error').map((rule) => rule.id)) {
      Validations.of(stack).acknowledge({ id, reason: 'Only the warning-level rule is under test here' });
    }
    expect(() => app.synth()).toThrow(/WARNING .*\(SecureApi\)\s+HandWired\/TokenAuth\/Resource[\s\S]*SecureApi-AuthorizerCache/);
    expect(() => app.synth()).not.toThrow(/ERROR/);
  });

  test('runs next to AwsSolutions on every public scenario without a finding or a conflict', () => {
    for (const scenario of SCENARIOS) {
      const app = new App();
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new SecureApiChecks(app));
      scenario.build(app);
      expect(() => app.synth()).not.toThrow();
    }
  });

  test('an acknowledgement with the rule id and a reason clears a finding, as for any cdk-nag rule', () => {
    const app = new App();
    Validations.of(app).addPlugins(new SecureApiChecks(app));
    const stack = new Stack(app, 'Team');
    const group = new logs.LogGroup(stack, 'Forever', { retention: logs.RetentionDays.INFINITE });
    expect(failedRuleIds(app)).toEqual(['SecureApi-LogRetention']);

    const acknowledged = new App();
    Validations.of(acknowledged).addPlugins(new SecureApiChecks(acknowledged));
    const kept = new logs.LogGroup(new Stack(acknowledged, 'Team'), 'Forever', { retention: logs.RetentionDays.INFINITE });
    Validations.of(kept).acknowledge({ id: 'SecureApi-LogRetention', reason: 'Legal hold: kept until the case closes' });
    expect(failedRuleIds(acknowledged)).toEqual([]);
    expect(group.node.path).toBe('Team/Forever');
  });
});
