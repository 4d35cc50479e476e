import { Stack, Token, type IAspect } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';

/** A service principal: `apigateway.amazonaws.com`, `s3.amazonaws.com`, also in the China partition. */
const SERVICE_PRINCIPAL = /^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$/;

/**
 * An aspect that adds `SourceAccount` (the stack's account) to every Lambda permission for an AWS service
 * principal that has none, such as the permissions aws-cdk-lib writes for a `LambdaIntegration` or an
 * authorizer. Their `SourceArn` (the API's `execute-api` ARN) already names the API; the account makes the
 * permission hold even where a check cannot read a `SourceArn` built with `Fn::Join`, as AWS Control
 * Tower's proactive control CT.LAMBDA.PR.2 ("Lambda function policies prohibit public access") reads a
 * template. API Gateway sends its own account as `aws:SourceAccount` when it invokes a function.
 *
 * `SecureApi` and `JwtAuthorizer` apply it to themselves, so every method, route and authorizer they hold is
 * covered. Apply it to a stack or app for permissions outside them:
 * `Aspects.of(stack).add(new ServiceInvokeSourceAccount())`.
 *
 * The static check passes only when the account is a literal: deploy the stack with an explicit
 * `env: { account }`. An environment-agnostic stack writes `{ Ref: AWS::AccountId }`, which the deployed
 * control resolves, but cfn-guard over the template cannot.
 */
export class ServiceInvokeSourceAccount implements IAspect {
  /** @param node the construct visited */
  public visit(node: IConstruct): void {
    if (!(node instanceof lambda.CfnPermission) || node.sourceAccount !== undefined || node.principalOrgId !== undefined) {
      return;
    }
    if (Token.isUnresolved(node.principal) || !SERVICE_PRINCIPAL.test(node.principal)) {
      return;
    }
    node.sourceAccount = Stack.of(node).account;
  }
}
