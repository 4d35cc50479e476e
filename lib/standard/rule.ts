import type { StackTemplate, TemplateResource } from './template';

/** How a failed check is reported: an error fails synthesis (and the report's exit code), a warning is listed. */
export type StandardRuleLevel = 'error' | 'warning';

/** The verdict of one rule on one resource. */
export interface RuleFinding {
  /** The resource the verdict is about. */
  readonly resource: TemplateResource;
  /** Whether the resource meets the rule. */
  readonly compliant: boolean;
  /** What was found, in a sentence naming the value (for a failure), or why it passes. */
  readonly detail: string;
  /** Property paths of the resource the finding is about, e.g. `Properties/AuthorizationType`. */
  readonly locations?: readonly string[];
}

/** One rule of the API standard, checked on synthesized templates. */
export interface StandardRule {
  /** The stable rule id, e.g. `SecureApi-AuthOnEveryMethod`: what acknowledgements and reports name. */
  readonly id: string;
  /** Severity of a failure. */
  readonly level: StandardRuleLevel;
  /** What the rule requires, in one sentence. */
  readonly description: string;
  /** Why it exists: the risk it closes. */
  readonly explanation: string;
  /** How to meet it. */
  readonly fix: string;
  /**
   * The verdicts of the rule on one template: one finding per resource the rule applies to (none when it
   * applies to nothing there).
   */
  evaluate(template: StackTemplate): RuleFinding[];
}

/** A passing finding. */
export const pass = (resource: TemplateResource, detail: string): RuleFinding => ({ resource, compliant: true, detail });

/** A failing finding at the given property paths. */
export const fail = (resource: TemplateResource, detail: string, ...locations: string[]): RuleFinding => ({ resource, compliant: false, detail, locations });

/**
 * Whether an acknowledged rule id names this rule: the id alone (`SecureApi-LogRetention`, stored by CDK
 * under its annotation namespace) or qualified by a plugin name (`SecureApiStandard::SecureApi-LogRetention`).
 */
export const acknowledges = (acknowledgedId: string, ruleId: string): boolean => acknowledgedId.split('::').at(-1) === ruleId;
