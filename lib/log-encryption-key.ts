import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { restrictGrantsToAwsServices } from './key-policies';

/** Properties of a {@link LogEncryptionKey}. */
export interface LogEncryptionKeyProps {
  /**
   * Description of the key.
   * @default - 'Encrypts the audit log groups of a secure API'
   */
  readonly description?: string;
  /**
   * Alias of the key, e.g. `alias/secure-api-logs`.
   * @default - no alias
   */
  readonly alias?: string;
  /**
   * What happens to the key when it leaves the stack. Deleting the key makes every log event it
   * encrypted unreadable, so it is retained unless you say otherwise.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Waiting period before a scheduled key deletion completes (7 to 30 days).
   * @default - Duration.days(30)
   */
  readonly pendingWindow?: Duration;
}

/**
 * A customer-managed KMS key for CloudWatch Logs log groups: the WAF log, the access log and the
 * authorizer's decision log.
 *
 * Automatic yearly rotation is on. Besides the account's own access (CDK's default key policy), the key
 * policy lets the CloudWatch Logs service of this account and region use the key, and only for log groups
 * of this account and region: the `kms:EncryptionContext:aws:logs:arn` condition carries the ARN of the
 * log group that asks. Only AWS services may create grants on it ({@link restrictGrantsToAwsServices}).
 *
 * It is a `kms.Key`, so it goes wherever a key does: `new logs.LogGroup(this, 'Logs', { encryptionKey })`.
 *
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
 */
export class LogEncryptionKey extends kms.Key {
  /**
   * @param scope the parent construct
   * @param id the construct id
   * @param props description, alias and lifecycle of the key
   */
  constructor(scope: Construct, id: string, props: LogEncryptionKeyProps = {}) {
    super(scope, id, {
      description: props.description ?? 'Encrypts the audit log groups of a secure API',
      alias: props.alias,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      pendingWindow: props.pendingWindow,
    });
    allowCloudWatchLogsToUseKey(this);
    restrictGrantsToAwsServices(this);
  }
}

/**
 * Adds the key policy statement that lets CloudWatch Logs of the key's account and region encrypt and
 * decrypt log groups of that account and region with the key. Imported keys are left alone: their policy
 * is not part of the stack and must already allow it.
 *
 * The statement has the same Sid and content as the one `createAuditLogGroup` adds, so a key used by both
 * renders it once.
 *
 * @param key the key
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
 */
export function allowCloudWatchLogsToUseKey(key: kms.IKey): void {
  const stack = Stack.of(key);
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowCloudWatchLogsOfThisAccountAndRegion',
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: '*',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        },
      },
    }),
    true,
  );
}
