import { CfnResource, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { SecureApiValidationError } from '../errors';
import type { TemplateResource } from './template';

/**
 * The template metadata key that declares a method or route public on purpose, with the reason as its
 * value. The standard's authorization rules accept such a resource and the report lists the reason.
 */
export const PUBLIC_DECLARATION_METADATA_KEY = 'cdk-secure-api:public';

/** The resource types that can be declared public. */
const PUBLIC_DECLARABLE_TYPES: readonly string[] = ['AWS::ApiGateway::Method', 'AWS::ApiGatewayV2::Route', 'AWS::Lambda::Url'];

/**
 * Declares that an API method, route or Lambda function URL takes no authentication on purpose: `SecureApi` does this for
 * routes added with `{ public: true }`; a hand-wired method (`apigateway.Method`, an `HttpRoute`, or their
 * L1 resources) is declared with this function. The reason goes into the template, so the report shows it.
 * @param method the method or route (or its CloudFormation resource)
 * @param reason why it is public, for reviewers (at least 10 characters)
 */
export function declarePublic(method: IConstruct, reason: string): void {
  const resource = method instanceof CfnResource ? method : method.node.defaultChild;
  if (!(resource instanceof CfnResource) || !PUBLIC_DECLARABLE_TYPES.includes(resource.cfnResourceType)) {
    throw new SecureApiValidationError(
      `declarePublic: 'method' must be an API Gateway method or route, a Lambda function URL, or one of their resources (${PUBLIC_DECLARABLE_TYPES.join(', ')}) (received: ${method.node.path})`,
    );
  }
  if (!Token.isUnresolved(reason) && reason.trim().length < 10) {
    throw new SecureApiValidationError(`declarePublic: 'reason' must say why the method is public, in at least 10 characters (received: '${reason}')`);
  }
  resource.addMetadata(PUBLIC_DECLARATION_METADATA_KEY, reason);
}

/** The reason a resource was declared public with, if it was. */
export function publicDeclaration(resource: TemplateResource): string | undefined {
  const reason = resource.metadata[PUBLIC_DECLARATION_METADATA_KEY];
  return typeof reason === 'string' && reason.trim() !== '' ? reason : undefined;
}
