import { CfnOutput, Duration, Stack, StackProps, Token, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ApiScope } from '../authorizer/api-scope';
import { CognitoOAuth } from '../cognito-oauth';
import { restrictGrantsToAwsServices } from '../key-policies';
import { SECURE_API_STACK_DEFAULTS } from '../defaults';
import { DemoItemsService } from './demo-items-service';
import { SecureApiValidationError, describeValue } from '../errors';
import { type LogProfile, type LogRetentionByKind, resolveLogRetention } from '../data-protection';
import { SecureApi } from '../secure-api/secure-api';
import { SecureApiMonitoring } from '../monitoring/secure-api-monitoring';
import type { SecureApiWebAclProps } from '../waf/secure-api-web-acl';
import { TokenIssuer } from '../authorizer/token-issuer';

/** CloudFormation stack names: a letter, then letters, digits and hyphens, 128 characters at most. */
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
/** A KMS key ARN: the only form CloudWatch Logs takes for a log group key. */
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]{1,128}$/;

/** Properties of {@link SecureApiStack}; `bin/app.ts` fills them from the `secureApi` context of `cdk.json`. */
export interface SecureApiStackProps extends StackProps {
  /**
   * API Gateway stage name.
   * @default - SECURE_API_DEFAULTS.stageName
   */
  readonly stageName?: string;
  /**
   * Stage-wide throttling: steady-state requests per second and burst.
   * @default - SECURE_API_DEFAULTS.throttle
   */
  readonly throttle?: { readonly rateLimit?: number; readonly burstLimit?: number };
  /**
   * Browser origins allowed by CORS, exact.
   * @default - CORS off
   */
  readonly corsOrigins?: string[];
  /**
   * Exact redirect URIs of the web (authorization-code + PKCE) client.
   * @default - SECURE_API_STACK_DEFAULTS.callbackUrls (http://localhost:3000/callback)
   */
  readonly callbackUrls?: string[];
  /**
   * Exact sign-out redirect URIs of the web client.
   * @default - SECURE_API_STACK_DEFAULTS.logoutUrls (http://localhost:3000/)
   */
  readonly logoutUrls?: string[];
  /**
   * Further issuers the API trusts besides its own user pool, e.g. a corporate OIDC provider.
   * @default - none
   */
  readonly externalIssuers?: TokenIssuer[];
  /**
   * Retention of every log group of the stack, or of the API's logs per kind (`{ access, decision, waf, execution }`;
   * the items service's log then keeps its default); always bounded (`RetentionDays.INFINITE` is refused).
   * @default - SECURE_API_DEFAULTS.logRetention
   */
  readonly logRetention?: logs.RetentionDays | LogRetentionByKind;
  /**
   * What the audit logs keep about callers. See `SecureApiProps.logProfile`.
   * @default - SECURE_API_DEFAULTS.logProfile ('full')
   */
  readonly logProfile?: LogProfile;
  /**
   * Emergency revocation: a deny list the authorizer reads and `secure-api revoke` writes, with its alarm.
   * @default false
   */
  readonly revocation?: boolean;
  /**
   * ARN of an existing KMS key for the log groups (`arn:aws:kms:<region>:<account>:key/<id>`; the items table has a key of
   * its own); its key policy must already let CloudWatch Logs of this account and region use it.
   * @default - no customer-managed key
   */
  readonly logEncryptionKeyArn?: string;
  /**
   * Create a customer-managed KMS key (rotation on) for the log groups (the items table has a key of its own).
   * @default false
   */
  readonly createLogEncryptionKey?: boolean;
  /**
   * Cognito feature plan.
   * @default - COGNITO_OAUTH_DEFAULTS.featurePlan
   */
  readonly featurePlan?: cognito.FeaturePlan;
  /**
   * Threat protection mode; only with `FeaturePlan.PLUS`.
   * @default - COGNITO_OAUTH_DEFAULTS.plusThreatProtection with PLUS, none otherwise
   */
  readonly threatProtection?: cognito.StandardThreatProtectionMode;
  /**
   * MFA of the user pool. Anything but `Mfa.REQUIRED` is recorded as an acknowledged cdk-nag finding
   * (AwsSolutions-COG2) naming this setting, so the audit trail shows the relaxation.
   * @default - COGNITO_OAUTH_DEFAULTS.mfa (Mfa.REQUIRED)
   */
  readonly mfa?: cognito.Mfa;
  /**
   * Cognito domain prefix.
   * @default - derived from the construct path and the account id
   */
  readonly domainPrefix?: string;
  /**
   * Access-token lifetime.
   * @default - COGNITO_OAUTH_DEFAULTS.accessTokenValidity
   */
  readonly accessTokenValidity?: Duration;
  /**
   * Authorizer cache TTL.
   * @default - SECURE_API_DEFAULTS.authorizerCacheTtl
   */
  readonly authorizerCacheTtl?: Duration;
  /**
   * Execution logging level of the stage.
   * @default - SECURE_API_DEFAULTS.executionLogLevel
   */
  readonly executionLogLevel?: 'ERROR' | 'INFO' | 'OFF';
  /**
   * Source CIDR blocks allowed by the API's resource policy.
   * @default - any source
   */
  readonly allowedSourceIps?: string[];
  /**
   * Options of the AWS WAF web ACL in front of the stage; its log group follows the stack's retention and key.
   * @default - WEB_ACL_DEFAULTS
   */
  readonly webAclOptions?: SecureApiWebAclProps;
  /**
   * Whether the stack sets up API Gateway's account-level CloudWatch Logs role (retained on deletion), or
   * relies on one already set in the account and region. See `SecureApiProps.apiGatewayAccount`.
   * @default - SECURE_API_STACK_DEFAULTS.apiGatewayAccount ('create')
   */
  readonly apiGatewayAccount?: 'create' | 'existing';
}

/**
 * The deployable demo: a Cognito OAuth 2.0 server, the secure REST API with its JWT authorizer, and a
 * small items service with `items/read` and `items/write` scopes and an admin-only route for members
 * of the `admin` group. `npx cdk synth` with no context builds it with the library's secure defaults.
 *
 * Routes: `GET /items`, `GET /items/{id}` (items/read); `POST /items`, `DELETE /items/{id}` (items/write);
 * `GET /admin/stats` (items/read and group `admin`).
 */
export class SecureApiStack extends Stack {
  /** The OAuth 2.0 authorization server. */
  public readonly auth: CognitoOAuth;
  /** The secure REST API. */
  public readonly api: SecureApi;
  /** The demo backend. */
  public readonly items: DemoItemsService;
  /** Scope of the read routes. */
  public readonly readScope: ApiScope;
  /** Scope of the write routes. */
  public readonly writeScope: ApiScope;
  /** The Cognito group whose members may call the admin route. */
  public readonly adminGroup: cognito.CfnUserPoolGroup;
  /** Metric filters, alarms, dashboard and saved incident queries over the API's logs. */
  public readonly monitoring: SecureApiMonitoring;
  /** The customer-managed key of the log groups, when one was created or named. */
  public readonly logEncryptionKey?: kms.IKey;

  constructor(scope: Construct, id: string, props: SecureApiStackProps = {}) {
    // Checked before Stack's own check, so the message names the rule as every other one does.
    const stackName = props.stackName ?? (scope.node.scope === undefined ? id : undefined);
    if (stackName !== undefined && !Token.isUnresolved(stackName) && !STACK_NAME.test(stackName)) {
      throw new SecureApiValidationError(
        `'stackName' must start with a letter and hold at most 128 letters, digits and hyphens (received: ${describeValue(stackName)})`,
        [scope.node.path, id].filter((part) => part !== '').join('/'),
      );
    }
    super(scope, id, props);
    const defaults = SECURE_API_STACK_DEFAULTS;

    resolveLogRetention(this, 'logRetention', props.logRetention);
    if (props.logEncryptionKeyArn !== undefined && props.createLogEncryptionKey) {
      throw new SecureApiValidationError(
        `'logEncryptionKeyArn' and 'createLogEncryptionKey' are alternatives: set at most one (received: ${describeValue(props.logEncryptionKeyArn)} and true)`,
        this,
      );
    }
    if (props.logEncryptionKeyArn !== undefined && !Token.isUnresolved(props.logEncryptionKeyArn) && !KMS_KEY_ARN.test(props.logEncryptionKeyArn)) {
      throw new SecureApiValidationError(
        `'logEncryptionKeyArn' must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>) (received: ${describeValue(props.logEncryptionKeyArn)})`,
        this,
      );
    }
    if (props.createLogEncryptionKey) {
      this.logEncryptionKey = new kms.Key(this, 'LogEncryptionKey', {
        description: `Encrypts the log groups of ${id}`,
        enableKeyRotation: true,
      });
      restrictGrantsToAwsServices(this.logEncryptionKey);
    } else if (props.logEncryptionKeyArn !== undefined) {
      this.logEncryptionKey = kms.Key.fromKeyArn(this, 'LogEncryptionKey', props.logEncryptionKeyArn);
    }

    this.readScope = ApiScope.of(defaults.resourceServerIdentifier, 'read', 'Read items');
    this.writeScope = ApiScope.of(defaults.resourceServerIdentifier, 'write', 'Create and delete items');

    this.auth = new CognitoOAuth(this, 'Auth', {
      scopes: [this.readScope, this.writeScope],
      featurePlan: props.featurePlan,
      standardThreatProtectionMode: props.threatProtection,
      mfa: props.mfa,
      domainPrefix: props.domainPrefix,
      accessTokenValidity: props.accessTokenValidity,
      webClient: {
        callbackUrls: [...(props.callbackUrls ?? defaults.callbackUrls)],
        logoutUrls: [...(props.logoutUrls ?? defaults.logoutUrls)],
      },
    });
    if (props.mfa !== undefined && props.mfa !== cognito.Mfa.REQUIRED) {
      Validations.of(this.auth.userPool).acknowledge({
        id: 'AwsSolutions-COG2',
        reason: `MFA set to ${props.mfa} by the deployer's explicit 'mfa' setting (cdk.json context 'secureApi.mfa'); the library default is REQUIRED.`,
      });
    }
    this.adminGroup = new cognito.CfnUserPoolGroup(this, 'AdminGroup', {
      userPoolId: this.auth.userPool.userPoolId,
      groupName: defaults.adminGroup,
      description: 'Members may call the admin routes of the API',
    });

    this.api = new SecureApi(this, 'Api', {
      issuers: [this.auth.issuer(), ...(props.externalIssuers ?? [])],
      stageName: props.stageName,
      throttle: props.throttle,
      authorizerCacheTtl: props.authorizerCacheTtl,
      logRetention: props.logRetention,
      logEncryptionKey: this.logEncryptionKey,
      logProfile: props.logProfile,
      revocation: props.revocation,
      executionLogLevel: props.executionLogLevel,
      cors: props.corsOrigins ? { allowOrigins: [...props.corsOrigins] } : undefined,
      allowedSourceIps: props.allowedSourceIps,
      webAclOptions: props.webAclOptions,
      apiGatewayAccount: props.apiGatewayAccount ?? defaults.apiGatewayAccount,
    });

    this.items = new DemoItemsService(this, 'Items', {
      logRetention: typeof props.logRetention === 'number' ? props.logRetention : undefined,
      encryptionKey: this.logEncryptionKey,
    });
    const read = { scopes: [this.readScope] };
    const write = { scopes: [this.writeScope] };
    this.api.addRoute('GET /items', this.items.integration, read);
    this.api.addRoute('GET /items/{id}', this.items.integration, read);
    this.api.addRoute('POST /items', this.items.integration, { ...write, requestModel: ITEM_INPUT_SCHEMA });
    this.api.addRoute('DELETE /items/{id}', this.items.integration, write);
    this.api.addRoute('GET /admin/stats', this.items.integration, {
      ...read,
      conditions: [{ claim: 'cognito:groups', contains: defaults.adminGroup }],
    });

    this.monitoring = new SecureApiMonitoring(this, 'Monitoring', {
      restApi: this.api.restApi,
      stage: this.api.stage,
      authorizerFunction: this.api.authorizerFunction,
      authorizerLogGroup: this.api.authorizerLogGroup,
      accessLogGroup: this.api.accessLogGroup,
      webAcl: this.api.webAcl,
      denyListTable: this.api.revocation?.table,
      backendFunctions: [this.items.function],
    });

    const output = (outputId: string, value: string, description: string) => new CfnOutput(this, outputId, { value, description });
    output('ApiUrl', this.api.url, 'Base URL of the API stage');
    output('TokenEndpoint', this.auth.tokenEndpoint, 'OAuth 2.0 token endpoint of the user pool domain');
    output('UserPoolId', this.auth.userPool.userPoolId, 'Cognito user pool id');
    output('MachineClientId', this.auth.machineClient.userPoolClientId, 'Client-credentials app client id (secret: DescribeUserPoolClient)');
    output('WebClientId', this.auth.webClient!.userPoolClientId, 'Authorization-code + PKCE app client id');
    output('ItemsReadScope', this.readScope.fullName, 'Scope of the read routes');
    output('ItemsWriteScope', this.writeScope.fullName, 'Scope of the write routes');
    output('AccessLogGroupName', this.api.accessLogGroup.logGroupName, 'API Gateway access log group');
    output('AuthorizerLogGroupName', this.api.authorizerLogGroup.logGroupName, 'JWT authorizer decision log group');
    if (this.api.executionLogGroup !== undefined) {
      output('ExecutionLogGroupName', this.api.executionLogGroup.logGroupName, 'API Gateway execution log group of the stage');
    }
    output('LogProfile', this.api.logProfile, 'What the audit logs keep about callers: full, minimal or pseudonymous');
    if (this.api.revocation !== undefined) {
      output('DenyListTableName', this.api.revocation.table.tableName, 'DynamoDB deny list the authorizer reads (secure-api revoke writes it)');
    }
    if (this.api.pseudonymKey !== undefined) {
      output('PseudonymKeySecretArn', this.api.pseudonymKey.secretArn, 'Secret keying the log pseudonyms (secure-api subject-records reads it)');
    }
    if (this.api.webAcl !== undefined) {
      output('WebAclArn', this.api.webAcl.webAclArn, 'AWS WAF web ACL in front of the stage');
      if (this.api.webAcl.logGroup !== undefined) {
        output('WafLogGroupName', this.api.webAcl.logGroup.logGroupName, 'AWS WAF log group (Authorization and cookies redacted)');
      }
    }
    output('DashboardName', this.monitoring.dashboard.dashboardName, 'CloudWatch dashboard of the API');
    if (this.monitoring.topic !== undefined) {
      output('AlarmTopicArn', this.monitoring.topic.topicArn, 'SNS topic the alarms notify: subscribe your on-call here');
    }
  }
}

/** Request model of `POST /items`: API Gateway rejects other bodies before they reach the function. */
const ITEM_INPUT_SCHEMA: apigw.JsonSchema = {
  schema: apigw.JsonSchemaVersion.DRAFT4,
  title: 'ItemInput',
  type: apigw.JsonSchemaType.OBJECT,
  required: ['name'],
  additionalProperties: false,
  properties: {
    name: { type: apigw.JsonSchemaType.STRING, minLength: 1, maxLength: 200 },
    description: { type: apigw.JsonSchemaType.STRING, maxLength: 2000 },
  },
};
