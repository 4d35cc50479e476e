import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';

/** The Sid of the statement {@link restrictGrantsToAwsServices} adds. */
export const GRANTS_FOR_AWS_SERVICES_ONLY_SID = 'DenyGrantsExceptForAwsServices';

/**
 * Adds the key policy statement that lets only AWS services create grants on the key: `kms:CreateGrant` is
 * denied to every principal unless the grant is for an AWS resource (`kms:GrantIsForAWSResource`, as when
 * DynamoDB or Lambda create grants for a table or function on the caller's behalf) or the caller is an AWS
 * service (`aws:PrincipalIsAWSService`). A grant is a second, policy-free way to hand the key to another
 * principal; without this statement any principal allowed `kms:CreateGrant` (the account root's `kms:*`
 * included) can delegate the key to anyone.
 *
 * This is the statement AWS Control Tower's proactive control CT.KMS.PR.3 checks for. Every key the
 * library creates carries it; imported keys are left alone, because their policy is not part of the stack.
 *
 * @param key the key
 * @see https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-is-for-aws-resource
 */
export function restrictGrantsToAwsServices(key: kms.IKey): void {
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: GRANTS_FOR_AWS_SERVICES_ONLY_SID,
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['kms:CreateGrant'],
      resources: ['*'],
      conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
    }),
    true,
  );
}
