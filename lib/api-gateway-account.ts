import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** Properties of an {@link ApiGatewayAccount}. */
export interface ApiGatewayAccountProps {
  /**
   * A role API Gateway assumes to write execution and access logs to CloudWatch Logs.
   * @default - a new role with the AWS managed policy `AmazonAPIGatewayPushToCloudWatchLogs`
   */
  readonly role?: iam.IRole;
  /**
   * What happens to the account setting and the role when they leave the stack. Keep `RETAIN`: the setting
   * is shared by every REST API of the account and region, and deleting it breaks their logging.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The account-level API Gateway settings (`AWS::ApiGateway::Account`): the CloudWatch Logs role that
 * every REST API stage of the account and region uses for execution and access logs.
 *
 * There is one such setting per account and region. Creating it in every API stack
 * means the last stack deployed wins, and deleting any of them can remove the role the others log
 * with. Deploy this construct once per account and region, in a small bootstrap-like stack, and let
 * every `SecureApi` use `apiGatewayAccount: 'existing'` (the default). Both the setting and the role are
 * retained on deletion, so removing that stack never breaks logging.
 *
 * @example
 * const bootstrap = new Stack(app, 'ApiGatewayAccount', { env });
 * new ApiGatewayAccount(bootstrap, 'Account');
 *
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html
 */
export class ApiGatewayAccount extends Construct {
  /**
   * Returns the stack's `ApiGatewayAccount`, creating it on first use, so several APIs of one stack share it.
   *
   * @param scope any construct of the stack
   * @returns the stack's single `ApiGatewayAccount`
   */
  public static ofStack(scope: Construct): ApiGatewayAccount {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(SINGLETON_ID);
    return existing instanceof ApiGatewayAccount ? existing : new ApiGatewayAccount(stack, SINGLETON_ID);
  }

  /** The role API Gateway uses to write logs. */
  public readonly role: iam.IRole;
  /** The account setting. */
  public readonly cfnAccount: apigw.CfnAccount;

  /**
   * @param scope the parent construct
   * @param id the construct id
   * @param props the role and removal policy
   */
  constructor(scope: Construct, id: string, props: ApiGatewayAccountProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    if (props.role !== undefined) {
      this.role = props.role;
    } else {
      const role = new iam.Role(this, 'CloudWatchRole', {
        assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
        description: 'Lets API Gateway write execution and access logs of every REST API in this account and region',
        managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs')],
      });
      role.applyRemovalPolicy(removalPolicy);
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          'AmazonAPIGatewayPushToCloudWatchLogs is the AWS-documented policy for the account-level API Gateway logging role; ' +
          'API Gateway names the execution log groups at runtime (API-Gateway-Execution-Logs_<api-id>/<stage>), so no narrower static policy exists.',
      });
      this.role = role;
    }
    this.cfnAccount = new apigw.CfnAccount(this, 'Resource', { cloudWatchRoleArn: this.role.roleArn });
    this.cfnAccount.applyRemovalPolicy(removalPolicy);
  }
}

const SINGLETON_ID = 'SecureApiGatewayAccount';
