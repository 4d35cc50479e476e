import * as fs from 'node:fs';
import * as path from 'node:path';
import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { restrictGrantsToAwsServices } from '../key-policies';
import { Construct } from 'constructs';
import { CONTROL_TOWER, NAG_REASONS, acknowledge, acknowledgeSynchronousFunction } from '../nag-acknowledgements';
import { DEMO_ITEMS_DEFAULTS } from '../defaults';
import { SecureApiValidationError, validateLogRetention } from '../errors';

/** Properties of {@link DemoItemsService}. */
export interface DemoItemsServiceProps {
  /**
   * Retention of the function's log group; always bounded (`RetentionDays.INFINITE` is refused).
   * @default - DEMO_ITEMS_DEFAULTS.logRetention
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Customer-managed key for the function's log group. The table has a key of its own
   * (`tableEncryptionKey`): the function may use that one, and only through DynamoDB; it gets no right on
   * this one (CloudWatch Logs encrypts with it under the key's own policy).
   * @default - AWS-owned encryption for the log group
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Customer-managed key for the table. Its policy must let the account's IAM policies grant its use
   * (the default key policy does), as the function's role is granted it through IAM; the role may use it
   * only through DynamoDB in the stack's region (`kms:ViaService`).
   * @default - a new customer-managed key for this table only, with yearly automatic rotation
   */
  readonly tableEncryptionKey?: kms.IKey;
  /**
   * What happens to the table and the log group when they leave the stack.
   * @default - DEMO_ITEMS_DEFAULTS.removalPolicy (RemovalPolicy.RETAIN)
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The backend of the demo: a Lambda function behind API Gateway's proxy integration that lists,
 * reads, creates and deletes items in a DynamoDB table.
 *
 * It trusts the authorizer entirely (the JWT authorizer has verified the token and the route's scopes
 * before a request reaches it) and has least-privilege access: the four table actions it uses, on its
 * own table; the table's key, only through DynamoDB; and write access to its own log group.
 */
export class DemoItemsService extends Construct {
  /** The items table (partition key `id`). */
  public readonly table: dynamodb.Table;
  /** The table's customer-managed key. */
  public readonly tableEncryptionKey: kms.IKey;
  /** The function serving the routes. */
  public readonly function: lambda.Function;
  /** The function's log group. */
  public readonly logGroup: logs.LogGroup;
  /** The proxy integration to put behind the API's routes. */
  public readonly integration: apigw.LambdaIntegration;

  constructor(scope: Construct, id: string, props: DemoItemsServiceProps = {}) {
    super(scope, id);
    const defaults = DEMO_ITEMS_DEFAULTS;
    const removalPolicy = props.removalPolicy ?? defaults.removalPolicy;

    // A key of the table's own, not the AWS-managed aws/dynamodb key (which every principal of the account
    // may use through DynamoDB) nor the log key: its use is audited per table in CloudTrail, it can be
    // disabled to cut access to the data, and the function's right to it is scoped to DynamoDB. CDK's
    // default key policy lets the account's IAM policies grant it: administrators keep control through
    // IAM, the deploying role lets DynamoDB create its grants on the key, and the function's role uses it
    // through the statement below.
    // Only AWS services create grants on it: DynamoDB does, for the table, on the deploying role's behalf.
    this.tableEncryptionKey = props.tableEncryptionKey ?? createTableKey(this, removalPolicy);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.tableEncryptionKey,
      removalPolicy,
    });

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: validateLogRetention(this, 'logRetention', props.logRetention) ?? defaults.logRetention,
      encryptionKey: props.encryptionKey,
      removalPolicy,
    });

    // An explicit role instead of AWSLambdaBasicExecutionRole: log writes to this log group only.
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Demo items service: its own log group, four actions on its own table, its table key through DynamoDB',
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Scan'],
        resources: [this.table.tableArn],
      }),
    );
    // What DynamoDB calls on the caller's behalf for a table under a customer-managed key, named one by
    // one (no wildcard), and only through DynamoDB: the role cannot call KMS with this key directly.
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: TABLE_KEY_ACTIONS,
        resources: [this.tableEncryptionKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );

    this.function = new lambda.Function(this, 'Function', {
      description: 'Demo items service behind the secure API',
      runtime: defaults.runtime,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(locateDemoItemsBundle()),
      memorySize: defaults.memorySize.toMebibytes(),
      timeout: defaults.timeout,
      tracing: lambda.Tracing.ACTIVE,
      role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: { ITEMS_TABLE_NAME: this.table.tableName },
    });

    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Active X-Ray tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level ' +
        'permissions (Resource must be *); every other statement of this role names its own table and log group.',
    });
    acknowledgeSynchronousFunction(this.function, role);
    acknowledge(this.table, {
      'NIST.800.53.R5-DynamoDBInBackupPlan':
        'The demo table has point-in-time recovery (continuous backups, 35 days); enrolling tables in an AWS Backup plan is an organisation-level ' +
        'policy applied outside this stack.',
    });
    if (props.encryptionKey === undefined) {
      acknowledge(this.logGroup, { 'NIST.800.53.R5-CloudWatchLogGroupEncrypted': NAG_REASONS.logGroupServiceKey, [CONTROL_TOWER.logGroupEncrypted]: NAG_REASONS.logGroupServiceKey });
    }

    this.integration = new apigw.LambdaIntegration(this.function, { proxy: true, allowTestInvoke: false });
  }
}

/**
 * The KMS actions DynamoDB performs with the table's key on behalf of a caller reading and writing items.
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.usagenotes.html
 */
const TABLE_KEY_ACTIONS = [
  'kms:Decrypt',
  'kms:DescribeKey',
  'kms:Encrypt',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
];

/**
 * Finds the prebundled demo service (`assets/demo-items/index.js`, built by `node scripts/bundle.mjs`),
 * from the sources (`lib/demo/`) and from the compiled package (`dist/lib/demo/`).
 *
 * @returns absolute path of the folder holding `index.js`
 * @throws SecureApiValidationError when the bundle has not been built
 */
export function locateDemoItemsBundle(): string {
  const candidates = [
    path.resolve(__dirname, '..', '..', 'assets', 'demo-items'),
    path.resolve(__dirname, '..', '..', '..', 'assets', 'demo-items'),
  ];
  const found = candidates.find((candidate) => fs.existsSync(path.join(candidate, 'index.js')));
  if (found === undefined) {
    throw new SecureApiValidationError(
      `The demo items bundle must be built before synthesis: run 'npm run bundle' (received: no index.js in ${candidates.join(' or ')})`,
    );
  }
  return found;
}

/** The items table's own key; only AWS services may create grants on it. */
function createTableKey(scope: Construct, removalPolicy: RemovalPolicy): kms.Key {
  const key = new kms.Key(scope, 'TableKey', {
    description: `Encrypts the items table of ${scope.node.path}`,
    enableKeyRotation: true,
    removalPolicy,
  });
  restrictGrantsToAwsServices(key);
  return key;
}
