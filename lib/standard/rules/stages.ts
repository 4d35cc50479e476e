import type { StackTemplate, TemplateResource } from '../template';
import { at, listAt } from '../template';

/** The REST API stages of a template. */
export const stages = (template: StackTemplate): TemplateResource[] => template.ofType('AWS::ApiGateway::Stage');

/** A stage's method settings that apply to every method (`/*` and `*`). */
export function stageWideSetting(stage: TemplateResource): Record<string, unknown> | undefined {
  return listAt(stage.properties.MethodSettings).find(
    (setting): setting is Record<string, unknown> => at(setting, 'ResourcePath') === '/*' && at(setting, 'HttpMethod') === '*',
  );
}

