import { readFileSync } from 'node:fs';
import { CfnResource, Stack, Validations, type IPolicyValidationContext, type IPolicyValidationPlugin, type PolicyValidationPluginReport, type PolicyViolation } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { SecureApiValidationError } from '../errors';
import { acknowledges, type RuleFinding, type StandardRule, type StandardRuleLevel } from './rule';
import { STANDARD_RULES } from './rules';
import { StackTemplate } from './template';

/** Props of {@link SecureApiStandard}. */
export interface SecureApiStandardProps {
  /**
   * The rules to check.
   * @default - STANDARD_RULES, every rule of the standard
   */
  readonly rules?: readonly StandardRule[];
  /**
   * Whether a failed warning-level rule fails synthesis too (as an error-level rule does).
   * @default false
   */
  readonly strict?: boolean;
}

/** The verdicts of one rule on one template. */
export interface StandardRuleResult {
  /** The rule. */
  readonly rule: StandardRule;
  /** The template. */
  readonly template: StackTemplate;
  /** One finding per resource the rule applies to. */
  readonly findings: readonly RuleFinding[];
}

/**
 * Checks templates against rules: every rule on every template.
 * @param templates the synthesized templates
 * @param rules the rules
 */
export function checkTemplates(templates: readonly StackTemplate[], rules: readonly StandardRule[] = STANDARD_RULES): StandardRuleResult[] {
  return templates.flatMap((template) => rules.map((rule) => ({ rule, template, findings: rule.evaluate(template) })));
}

/**
 * The reason a finding was acknowledged with, if it was: `Validations.of(scope).acknowledge({ id, reason })` on
 * the resource's construct or any construct above it, with the rule id alone (`SecureApi-LogRetention`, as
 * cdk-nag rules are acknowledged) or qualified by a plugin name (`SecureApiStandard::SecureApi-LogRetention`).
 * @param root the app
 * @param constructPath the resource's construct path (`Stack/Api/Resource`)
 * @param ruleId the rule id
 */
export function acknowledgementOf(root: IConstruct, constructPath: string | undefined, ruleId: string): string | undefined {
  if (constructPath === undefined) {
    return undefined;
  }
  let scope: IConstruct | undefined = root;
  const scopes: IConstruct[] = [root];
  for (const id of constructPath.split('/')) {
    scope = scope?.node.tryFindChild(id);
    if (scope === undefined) {
      break;
    }
    scopes.push(scope);
  }
  // The closest acknowledgement wins, as CDK resolves its own.
  for (const candidate of scopes.reverse()) {
    for (const entry of candidate.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY || typeof entry.data !== 'object' || entry.data === null) {
        continue;
      }
      for (const [id, reason] of Object.entries(entry.data as Record<string, unknown>)) {
        if (acknowledges(id, ruleId) && typeof reason === 'string') {
          return reason;
        }
      }
    }
  }
  return undefined;
}

/**
 * The templates to check, each with its stack's construct path. aws-cdk-lib versions before `stackTemplates`
 * give the paths only: the construct paths then come from the templates' own metadata, when present.
 */
export function stackTemplatesOf(context: IPolicyValidationContext): ReadonlyArray<{ templatePath: string; stackConstructPath?: string }> {
  return (context.stackTemplates as IPolicyValidationContext['stackTemplates'] | undefined) ?? context.templatePaths.map((templatePath) => ({ templatePath }));
}

/** The construct path of each CloudFormation resource of a stack, by logical id. */
function constructPathsByLogicalId(root: IConstruct, stackConstructPath: string): Map<string, string> {
  const stack = root.node.findAll().find((construct) => construct.node.path === stackConstructPath);
  const paths = new Map<string, string>();
  if (stack === undefined || !Stack.isStack(stack)) {
    return paths;
  }
  for (const construct of stack.node.findAll()) {
    if (CfnResource.isCfnResource(construct) && Stack.of(construct) === stack) {
      paths.set(stack.resolve(construct.logicalId) as string, construct.node.path);
    }
  }
  return paths;
}

/**
 * The company's API standard as a CDK policy-validation plugin: every API in the app (REST, HTTP and
 * WebSocket APIs, function URLs, and what they log to) is checked after synthesis, whether or not it was
 * built with this library. A failed error-level rule fails `cdk synth`, like a cdk-nag v3 pack; a finding
 * is acknowledged the cdk-nag way, with a reason, by `Validations.of(construct).acknowledge({ id, reason })`.
 *
 * ```ts
 * Validations.of(app).addPlugins(new SecureApiStandard());
 * ```
 */
export class SecureApiStandard implements IPolicyValidationPlugin {
  /** The plugin name shown in CDK's validation report. */
  public readonly name = 'SecureApiStandard';
  /** The rule ids it checks. */
  public readonly ruleIds: string[];
  private readonly rules: readonly StandardRule[];
  private readonly strict: boolean;

  /** @param props the rules and strictness */
  constructor(props: SecureApiStandardProps = {}) {
    this.rules = props.rules ?? STANDARD_RULES;
    const ids = this.rules.map((rule) => rule.id);
    const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
    if (duplicate !== undefined) {
      throw new SecureApiValidationError(`SecureApiStandard: 'rules' must have distinct ids (received: '${duplicate}' twice)`);
    }
    this.ruleIds = ids;
    this.strict = props.strict ?? false;
  }

  /**
   * Called by CDK after synthesis with the paths of the synthesized templates.
   * @param context the templates to check
   */
  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const root = context.appConstruct as IConstruct | undefined;
    const violations: PolicyViolation[] = [];
    for (const { templatePath, stackConstructPath } of stackTemplatesOf(context)) {
      const template = new StackTemplate(templatePath, JSON.parse(readFileSync(templatePath, 'utf8')));
      // Templates carry construct paths only when path metadata is on: the tree gives them in any case.
      const paths = root === undefined || stackConstructPath === undefined ? new Map<string, string>() : constructPathsByLogicalId(root, stackConstructPath);
      for (const { rule, findings } of checkTemplates([template], this.rules)) {
        const failed = findings.filter((finding) => {
          const path = finding.resource.constructPath ?? paths.get(finding.resource.logicalId);
          return !finding.compliant && (root === undefined || acknowledgementOf(root, path, rule.id) === undefined);
        });
        if (failed.length === 0) {
          continue;
        }
        violations.push({
          ruleName: rule.id,
          description: `${rule.description} ${failed.map((finding) => `${finding.resource.logicalId}: ${finding.detail}.`).join(' ')}`,
          fix: rule.fix,
          severity: this.severity(rule.level),
          ruleMetadata: { explanation: rule.explanation },
          violatingResources: failed.map((finding) => ({
            resourceLogicalId: finding.resource.logicalId,
            templatePath,
            locations: [...(finding.locations ?? [])],
          })),
        });
      }
    }
    return { success: !violations.some((violation) => violation.severity === 'error'), violations };
  }

  private severity(level: StandardRuleLevel): string {
    return level === 'error' || this.strict ? 'error' : 'warning';
  }
}
