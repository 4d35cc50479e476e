import { fail, pass, type StandardRule } from '../rule';
import { refersTo, type StackTemplate, type TemplateResource } from '../template';
import { stages } from './stages';

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

