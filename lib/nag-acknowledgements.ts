import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * The cdk-nag findings that the library's design answers in another way, with the reason a security
 * reviewer can check. One place, so the constructs and the README say the same thing.
 */
export const NAG_REASONS = {
  /** A synchronously invoked function has no asynchronous event a dead-letter queue could keep. */
  synchronousLambdaDlq:
    'API Gateway invokes this function synchronously: a failed call is answered to the caller (the authorizer fails closed), ' +
    'so there is no asynchronous event a dead-letter queue could keep.',
  /** The functions call only public AWS and issuer endpoints; a VPC would need a NAT gateway and adds no control. */
  lambdaOutsideVpc:
    'The function reaches only AWS service endpoints and the token issuers’ public HTTPS key endpoints, no resource inside a VPC; ' +
    'a VPC would add a NAT gateway to the key-fetch path without adding a control. Where policy requires one, the authorizer takes a vpc ' +
    '(authorizerOptions.vpc), and static keys need no egress at all.',
  /** Reserved concurrency would turn a spike into errors; WAF and stage throttling bound the rate upstream. */
  lambdaConcurrency:
    'Request rates are bounded before the function by the WAF per-IP rate rule and stage throttling; a reserved-concurrency cap would turn a ' +
    'spike into errors for every caller. The cap is available as the explicit prop reservedConcurrentExecutions.',
  /** CDK's generated, single-role least-privilege policy. */
  inlinePolicy:
    'The policy is generated for this one role with least-privilege statements naming its own resources; a customer-managed policy would only ' +
    'make these grants attachable to other roles.',
  /** CloudWatch Logs encrypts with service keys unless a customer-managed key is given. */
  logGroupServiceKey:
    'CloudWatch Logs encrypts this log group at rest with AWS-owned keys; a customer-managed KMS key is an explicit opt-in ' +
    '(logEncryptionKey / encryptionKey), because it makes the audit trail depend on the key’s policy and lifetime.',
  /** No API Gateway response cache: responses are per caller. */
  noResponseCache:
    'The stage has no response cache on purpose: responses are per-caller data behind a JWT authorizer, and a shared cache risks serving one ' +
    'caller’s data to another. Authorization answers are cached by the authorizer cache instead.',
  /** Client certificates authenticate API Gateway to HTTP backends only. */
  noHttpBackends:
    'Every integration of this API is an AWS service, Lambda or MOCK integration, which API Gateway calls over signed AWS APIs; a client ' +
    'certificate only authenticates API Gateway to HTTP backends, and this API has none.',
} as const;

/**
 * The ids under which CDK policy validation reports AWS Control Tower's proactive controls, as the cfn-guard
 * plugin (`@cdklabs/cdk-validator-cfnguard`) names them: `<plugin>::<guard rule>`.
 */
export const CONTROL_TOWER = {
  /** CT.LAMBDA.PR.3: a function in a customer-managed VPC. */
  lambdaInsideVpc: 'cdk-validator-cfnguard::lambda_inside_vpc_check',
  /** CT.CLOUDWATCH.PR.3: a log group encrypted with a customer-managed KMS key. */
  logGroupEncrypted: 'cdk-validator-cfnguard::cloudwatch_log_group_encrypted_check',
} as const;

/**
 * Records cdk-nag acknowledgements on a construct, one per rule id, with the given reasons.
 *
 * @param construct the construct the findings are reported on
 * @param acknowledgements rule id (e.g. `NIST.800.53.R5-LambdaDLQ`) to reason
 */
export function acknowledge(construct: IConstruct, acknowledgements: Readonly<Record<string, string>>): void {
  Validations.of(construct).acknowledge(...Object.entries(acknowledgements).map(([id, reason]) => ({ id, reason })));
}

/**
 * Acknowledges what every synchronously invoked function of the library shares (DLQ, VPC, inline policy),
 * and reserved concurrency when none was set.
 *
 * @param fn the function
 * @param role the function's role (its generated default policy is a child of it)
 * @param reservedConcurrency the function's reserved concurrency, if set
 * @param inVpc whether the function runs in a VPC (then nothing about the VPC is acknowledged)
 */
export function acknowledgeSynchronousFunction(fn: IConstruct, role: IConstruct, reservedConcurrency?: number, inVpc = false): void {
  acknowledge(fn, {
    'Serverless-LambdaDLQ': NAG_REASONS.synchronousLambdaDlq,
    'NIST.800.53.R5-LambdaDLQ': NAG_REASONS.synchronousLambdaDlq,
    ...(inVpc ? {} : { 'NIST.800.53.R5-LambdaInsideVPC': NAG_REASONS.lambdaOutsideVpc, [CONTROL_TOWER.lambdaInsideVpc]: NAG_REASONS.lambdaOutsideVpc }),
    ...(reservedConcurrency === undefined ? { 'NIST.800.53.R5-LambdaConcurrency': NAG_REASONS.lambdaConcurrency } : {}),
  });
  acknowledge(role, { 'NIST.800.53.R5-IAMNoInlinePolicy': NAG_REASONS.inlinePolicy });
}
