/**
 * The report of one stack, built from a synthesized cloud assembly alone.
 *
 * Routes come from `AWS::ApiGateway::Method` and `AWS::ApiGateway::Resource` (paths rebuilt through
 * `ParentId`/`PathPart`); scopes and claim conditions from the authorizer's configuration, read from
 * the `config.json` in its Lambda asset and the `SECURE_API_AUTHORIZER_CONFIG` variable, merged the way
 * the authorizer merges them at cold start.
 */
import type { AssemblyStack } from '../cloud-assembly';
import { buildAcknowledgements } from './acknowledgements';
import { buildDataProtection, buildDenyLists } from './data-protection';
import { buildLogGroups, implicitLogGroups } from './log-groups';
import type { StackReport } from './model';
import { buildApi } from './routes';
import { StackTemplate } from '../../standard/template';
import { buildFunctionUrls, buildHttpApis, buildStandardReport } from './standard';
import { type Resources, ofType } from './template';
import { buildWebAcl } from './waf';

/** Builds the report of one stack. */
export function buildStackReport(stack: AssemblyStack): StackReport {
  const resources: Resources = stack.template.Resources ?? {};
  const template = new StackTemplate(stack.stackName, stack.template);
  const logGroups = buildLogGroups(resources);
  return {
    stackName: stack.stackName,
    apis: ofType(resources, 'AWS::ApiGateway::RestApi').map(([id, api]) => buildApi(stack, resources, id, api)),
    webAcls: ofType(resources, 'AWS::WAFv2::WebACL').map(([id, acl]) => buildWebAcl(resources, id, acl)),
    logGroups,
    functionsWithImplicitLogGroups: implicitLogGroups(resources),
    acknowledgements: buildAcknowledgements(stack, resources),
    dataProtection: buildDataProtection(stack, resources, logGroups),
    denyLists: buildDenyLists(stack, resources),
    httpApis: buildHttpApis(template),
    functionUrls: buildFunctionUrls(template),
    standard: buildStandardReport(stack, template),
  };
}
