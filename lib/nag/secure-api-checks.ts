import { readFileSync } from 'node:fs';
import { CfnResource, Stack, type IPolicyValidationContext, type PolicyValidationPluginReport } from 'aws-cdk-lib';
import { NagMessageLevel, NagPack, NagRuleCompliance, type NagPackProps } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import type { RuleFinding, StandardRule } from '../standard/rule';
import { STANDARD_RULES } from '../standard/rules';
import { stackTemplatesOf } from '../standard/secure-api-standard';
import { StackTemplate } from '../standard/template';

/** The prefix of every rule id of the standard; cdk-nag writes `<pack name>-<suffix>`. */
const PACK_NAME = 'SecureApi';

/**
 * The company's API standard as a cdk-nag v3 rule pack: the rules of `SecureApiStandard`, with the same
 * ids (`SecureApi-AuthOnEveryMethod`...), reported and acknowledged as every cdk-nag rule is.
 *
 * ```ts
 * Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new SecureApiChecks(app));
 * ```
 */
export class SecureApiChecks extends NagPack {
  /** The pack name cdk-nag reports. */
  public readonly name = PACK_NAME;
  /** The rule ids of the pack. */
  public override readonly ruleIds: string[] = STANDARD_RULES.map((rule) => rule.id);
  // The synthesized templates, by stack construct path: the rules read whole templates (a stage and the
  // web ACL association that names it are different resources).
  private readonly templates = new Map<string, StackTemplate>();
  private readonly findings = new Map<string, Map<string, RuleFinding>>();

  /**
   * @param scope the app (cdk-nag uses it to register the pack)
   * @param props cdk-nag pack settings
   */
  constructor(scope?: IConstruct, props?: NagPackProps) {
    super(scope, props);
    this.packName = PACK_NAME;
  }

  /**
   * Reads the synthesized templates, then lets cdk-nag walk the tree.
   * @param context the validation context CDK passes after synthesis
   */
  public override validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    this.templates.clear();
    this.findings.clear();
    for (const { templatePath, stackConstructPath } of stackTemplatesOf(context)) {
      if (stackConstructPath !== undefined) {
        this.templates.set(stackConstructPath, new StackTemplate(templatePath, JSON.parse(readFileSync(templatePath, 'utf8'))));
      }
    }
    return super.validate(context);
  }

  protected checkResource(node: CfnResource): void {
    const stack = Stack.of(node);
    const template = this.templates.get(stack.node.path);
    if (template === undefined) {
      return;
    }
    const logicalId = stack.resolve(node.logicalId) as string;
    for (const rule of STANDARD_RULES) {
      const finding = this.findingsOf(rule, template).get(logicalId);
      if (finding === undefined) {
        continue;
      }
      this.applyRule({
        ruleSuffixOverride: rule.id.slice(PACK_NAME.length + 1),
        info: `${rule.description} ${finding.detail}.`,
        explanation: `${rule.explanation} Fix: ${rule.fix}`,
        level: rule.level === 'error' ? NagMessageLevel.ERROR : NagMessageLevel.WARN,
        node,
        rule: () => (finding.compliant ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT),
      });
    }
  }

  /** A rule's findings on a template, by logical id, worked out once per template. */
  private findingsOf(rule: StandardRule, template: StackTemplate): Map<string, RuleFinding> {
    const key = `${rule.id} ${template.name}`;
    let byId = this.findings.get(key);
    if (byId === undefined) {
      byId = new Map(rule.evaluate(template).map((finding) => [finding.resource.logicalId, finding]));
      this.findings.set(key, byId);
    }
    return byId;
  }
}
