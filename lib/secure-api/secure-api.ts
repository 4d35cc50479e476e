import { Aspects, Duration, RemovalPolicy, Token, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, IConstruct } from 'constructs';
import { ApiGatewayAccount } from '../api-gateway-account';
import { REVOCATION_DEFAULTS, SECURE_API_DEFAULTS, createAuditLogGroup, renderAccessLogFormat } from '../defaults';
import { DenyList } from '../revocation/deny-list';
import { SecureApiValidationError, describeValue, validateDuration } from '../errors';
import { type LogProfile, type LogRetentionByKind, accessLogFieldsFor, resolveLogRetention, validateLogProfile } from '../data-protection';
import { ServiceInvokeSourceAccount } from './invoke-permissions';
import { JwtAuthorizer, JwtAuthorizerOptions } from '../authorizer/jwt-authorizer';
import { SecureApiWebAcl, SecureApiWebAclProps } from '../waf/secure-api-web-acl';
import type { TokenIssuer } from '../authorizer/token-issuer';
import { PUBLIC_ROUTE_DECLARATION, acknowledgeDisabledWebAcl, acknowledgeSecureApiFindings } from './acknowledgements';
import { injectedProps, SECURE_API_INJECTION_ID } from '../org-defaults';
import { declarePublic } from '../standard/declarations';
import { addGatewayResponses } from './gateway-responses';
import { authorizationTypeOf, isCorsPreflight, isHttpIntegration, methodsOf, usesAuthorizer } from './methods';
import { type RouteOptions, type SecureApiRoute, constructIdFor, parseRoute, routeRequirements } from './routes';
import {
  type ExecutionLogLevel,
  type SecureApiCorsOptions,
  type StageLogging,
  appendRouteMethodSettings,
  routeThrottleSetting,
  sourceIpPolicy,
  validateCors,
  validateExecutionLogLevel,
  validateStageName,
  validateThrottle,
} from './stage-options';

/** Custom domain of a {@link SecureApi}. */
export interface SecureApiDomainOptions {
  /** The domain name, e.g. `api.example.com`. */
  readonly domainName: string;
  /** An ACM certificate for the domain, in the API's region. */
  readonly certificate: acm.ICertificate;
  /**
   * Base path under which the API is mapped.
   * @default - the API is mapped at the root of the domain
   */
  readonly basePath?: string;
}

/** Emergency revocation of a {@link SecureApi}: the deny list its authorizer reads. */
export interface SecureApiRevocationOptions {
  /**
   * How old the authorizer's snapshot of the deny list may grow before it reads the table again; whole seconds,
   * 1 to 300. A revocation takes effect within the authorizer cache TTL, plus this, plus one read of the table.
   * @default - REVOCATION_DEFAULTS.refresh (30 seconds)
   */
  readonly refresh?: Duration;
  /**
   * What the authorizer does with a verified token when it has never been able to read the deny list (a snapshot
   * once read stays in force while later reads fail): `'allow'` lets the token through and logs
   * `deny list unavailable` (which `SecureApiMonitoring` alarms on); `'deny'` refuses every token until the table
   * can be read (401, reason `DENY_LIST_UNAVAILABLE`), trading availability for the certainty that no revoked
   * token passes.
   * @default - REVOCATION_DEFAULTS.whenUnavailable ('allow')
   */
  readonly whenUnavailable?: 'allow' | 'deny';
  /**
   * An existing deny-list table, e.g. one several APIs share (its key schema must be the {@link DenyList}'s).
   * @default - a new {@link DenyList} with its defaults
   */
  readonly table?: dynamodb.ITable;
}

/** The deny list a {@link SecureApi}'s authorizer reads, and how. */
export interface SecureApiRevocation {
  /** The deny-list table. */
  readonly table: dynamodb.ITable;
  /** How old the authorizer's snapshot of the table may grow. */
  readonly refresh: Duration;
  /** What the authorizer does when it has never read the table. */
  readonly whenUnavailable: 'allow' | 'deny';
}

/** Properties of a {@link SecureApi}. */
export interface SecureApiProps {
  /** Who may issue access tokens for the API; more can be added with `addIssuer()`. */
  readonly issuers: TokenIssuer[];
  /**
   * Name of the REST API.
   * @default - the construct's path
   */
  readonly restApiName?: string;
  /**
   * Description of the REST API.
   * @default - none
   */
  readonly description?: string;
  /**
   * Name of the stage.
   * @default - SECURE_API_DEFAULTS.stageName ('prod')
   */
  readonly stageName?: string;
  /**
   * Stage-wide throttling; routes may set their own with `RouteOptions.throttle`. `rateLimit` must be greater
   * than 0 and `burstLimit` a whole number of at least 1: a limit of 0 would switch the stage off.
   * @default - SECURE_API_DEFAULTS.throttle (100 requests per second, bursts of 200)
   */
  readonly throttle?: apigw.ThrottleSettings;
  /**
   * How long API Gateway caches the authorizer's answer per token; whole seconds, at most one hour.
   * `Duration.seconds(0)` switches caching off explicitly (one Lambda call per request).
   * @default - SECURE_API_DEFAULTS.authorizerCacheTtl (5 minutes)
   */
  readonly authorizerCacheTtl?: Duration;
  /**
   * Verification and function settings of the JWT authorizer.
   * @default - SECURE_API_DEFAULTS.authorizer
   */
  readonly authorizerOptions?: JwtAuthorizerOptions;
  /**
   * What the audit logs keep about callers (see docs/data-protection.md):
   * - `'full'`: the access log holds the caller's IP address, the principal, `sub` and client id; the decision
   *   log `sub`, the client id, and the concrete path of a request that matches no route.
   * - `'minimal'`: no IP address, no user agent, no concrete path in the access log (the resource template
   *   stays); the decision log keeps `sub` and the client id.
   * - `'pseudonymous'`: minimal, and the decision log writes keyed pseudonyms of `sub` and the client id; the
   *   principal the access log records is the pseudonym of `sub`, and the access log leaves out the `sub` and
   *   client id the authorizer passes to the backend in clear.
   *
   * A profile other than `'full'` leaves the caller's IP address out of the access log on purpose, so the API
   * standard's `SecureApi-AccessLogging` rule (which asks for it) is acknowledged on the stage with that reason;
   * and it cannot be combined with `unsafeLogFullRequestsAndResponses`, which logs every header and body.
   * @default - SECURE_API_DEFAULTS.logProfile ('full')
   */
  readonly logProfile?: LogProfile;
  /**
   * The Secrets Manager secret whose value keys the pseudonyms, with `logProfile: 'pseudonymous'` only. An
   * investigator who may join one subject's lines reads it (`secure-api subject-records`); rotating it
   * changes every pseudonym from then on.
   * @default - a generated secret, readable by the authorizer function only
   */
  readonly pseudonymKey?: secretsmanager.ISecret;
  /**
   * Retention of the audit logs: one value for the access, decision (authorizer), WAF and execution logs, or one
   * per kind (`{ access, decision, waf, execution }`, each defaulting as below). Always bounded
   * (`RetentionDays.INFINITE` is refused). `waf` applies to the web ACL this API creates; the web ACL's own
   * `webAclOptions.logging.retention` is the alternative to it.
   * @default - SECURE_API_DEFAULTS.logRetention (one year) for the access, decision and execution logs,
   * WEB_ACL_DEFAULTS.logging.retention (one year) for the WAF log
   */
  readonly logRetention?: logs.RetentionDays | LogRetentionByKind;
  /**
   * Customer-managed KMS key for the access log and authorizer log groups. A key created in this app
   * gets a key policy statement letting CloudWatch Logs of this account and region use it.
   * @default - encrypted with a CloudWatch Logs managed key
   */
  readonly logEncryptionKey?: kms.IKey;
  /**
   * Removal policy of the access, decision (authorizer), WAF and execution log groups. By default the groups
   * outlive the stack, so that the audit trail survives a `cdk destroy` until their retention ends (and is then
   * billed for storage, and must be deleted by hand when no longer needed). `RemovalPolicy.DESTROY` deletes them,
   * and every log event in them, with the stack: an explicit choice, for stacks whose logs need not outlive them.
   * @default - SECURE_API_DEFAULTS.logRemovalPolicy (RemovalPolicy.RETAIN)
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Execution logging level of the stage. `'OFF'` must be chosen explicitly.
   * @default - SECURE_API_DEFAULTS.executionLogLevel ('ERROR')
   */
  readonly executionLogLevel?: ExecutionLogLevel;
  /**
   * Logs full requests and responses, headers (the `Authorization` header with its token) and bodies
   * included, into the execution logs. For short debugging sessions in non-production stages only.
   * @default false
   */
  readonly unsafeLogFullRequestsAndResponses?: boolean;
  /**
   * X-Ray tracing of the stage.
   * @default - SECURE_API_DEFAULTS.tracingEnabled (true)
   */
  readonly tracingEnabled?: boolean;
  /**
   * Per-method CloudWatch metrics of the stage.
   * @default - SECURE_API_DEFAULTS.metricsEnabled (true)
   */
  readonly metricsEnabled?: boolean;
  /**
   * CORS: preflight (OPTIONS) methods on every resource, and CORS headers on error responses.
   * @default - no CORS
   */
  readonly cors?: SecureApiCorsOptions;
  /**
   * A custom domain with TLS 1.2 or later.
   * @default - only the execute-api endpoint
   */
  readonly domain?: SecureApiDomainOptions;
  /**
   * Switches the default `execute-api` endpoint off, so clients must use the custom domain (and its WAF).
   * @default false
   */
  readonly disableExecuteApiEndpoint?: boolean;
  /**
   * Source IP addresses or CIDR ranges (IPv4 or IPv6) allowed to call the API; a resource policy denies every other.
   * @default - no IP restriction
   */
  readonly allowedSourceIps?: string[];
  /**
   * Where the account-level CloudWatch Logs role of API Gateway comes from (API Gateway has one such setting per account and region).
   *
   * API Gateway writes execution and access logs with one role per account and region, set in
   * `AWS::ApiGateway::Account`; CloudFormation fails to create a logging stage when none is set.
   * - `'existing'`: the role is already set, e.g. by an {@link ApiGatewayAccount} deployed once per account and
   *   region in its own stack. Nothing account-wide is created, so any number of API stacks can live side by side.
   * - `'create'`: this stack creates (and retains) the account setting and role. Use it for a single-API account only:
   *   every stack doing so overwrites the same setting.
   * @default - SECURE_API_DEFAULTS.apiGatewayAccount ('existing')
   */
  readonly apiGatewayAccount?: 'existing' | 'create';
  /**
   * An existing web ACL to put in front of the stage, e.g. one shared by several APIs.
   * Mutually exclusive with `webAclOptions` and `disableWebAcl`.
   * @default - a new SecureApiWebAcl built from `webAclOptions` (WEB_ACL_DEFAULTS)
   */
  readonly webAcl?: SecureApiWebAcl;
  /**
   * Options of the web ACL this API creates when `webAcl` is not given. Its log group takes the API's
   * `logRetention`, `logEncryptionKey` and `logRemovalPolicy` unless these options set their own.
   * @default - WEB_ACL_DEFAULTS: per-IP rate limit, body-size limit, AWS managed rule groups, redacted logging
   */
  readonly webAclOptions?: SecureApiWebAclProps;
  /**
   * Explicitly leaves the stage without AWS WAF: no rate limiting per client IP, no managed rules, no WAF logs.
   * Only for stages already protected in another way (e.g. a web ACL associated outside this construct).
   * The cdk-nag finding AwsSolutions-APIG3 is then acknowledged with a reason naming this prop.
   * @default false
   */
  readonly disableWebAcl?: boolean;
  /**
   * Emergency revocation: a deny list (DynamoDB) of subjects, clients, token ids and "issued before" times that
   * the authorizer refuses with 401 even while their tokens verify. `true` creates a {@link DenyList} with the
   * defaults; the operator CLI's `secure-api revoke` writes to it.
   * @default false
   */
  readonly revocation?: boolean | SecureApiRevocationOptions;
}

/** Options of {@link SecureApi.addUsagePlan}. */
export interface SecureApiUsagePlanOptions extends Omit<apigw.UsagePlanProps, 'apiStages'> {
  /**
   * API keys of the plan's clients.
   * @default - none; add keys to the returned plan later
   */
  readonly apiKeys?: apigw.IApiKey[];
}

/**
 * A Regional Amazon API Gateway REST API whose every method is behind a Lambda JWT authorizer,
 * with per-route OAuth scopes, RFC 6750 error responses, stage throttling, request validation,
 * X-Ray tracing and an audit-grade JSON access log.
 *
 * Routes are declared next to their integration, with the scopes they need:
 * `api.addRoute('GET /items/{id}', integration, { scopes: [readScope] })`. The route table is compiled
 * into the authorizer at synth. A validation fails synthesis when any method of the REST API, including
 * methods added directly on `restApi`, is open (`AuthorizationType.NONE`) without being declared `public`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750 Bearer Token Usage
 */
export class SecureApi extends Construct {
  /** The REST API. */
  /** The id under which `PropertyInjectors` (and `SecureApiOrgDefaults`) reach this construct's props. */
  public static readonly PROPERTY_INJECTION_ID = SECURE_API_INJECTION_ID;

  public readonly restApi: apigw.RestApi;
  /** The deployment stage. */
  public readonly stage: apigw.Stage;
  /**
   * The JWT authorizer (function, log group, role, and the API Gateway REQUEST authorizer every protected
   * method uses, `authorizer.requestAuthorizer`). Its route table is the API's: `routes()` reads it.
   */
  public readonly authorizer: JwtAuthorizer;
  /** The authorizer function. */
  public readonly authorizerFunction: lambda.Function;
  /** The authorizer function's log group (its decision log). */
  public readonly authorizerLogGroup: logs.LogGroup;
  /** The stage's access log group (audit JSON records). */
  public readonly accessLogGroup: logs.LogGroup;
  /** What the audit logs keep about callers: the access log's fields and the authorizer's decision log follow it. */
  public readonly logProfile: LogProfile;
  /** The secret keying the pseudonyms, with `logProfile: 'pseudonymous'`. */
  public readonly pseudonymKey?: secretsmanager.ISecret;
  /** The deny list this API created, when `revocation` is on without a `table` of its own. */
  public readonly denyList?: DenyList;
  /** The deny list the authorizer reads and how, when `revocation` is on. */
  public readonly revocation?: SecureApiRevocation;
  /**
   * The stage's execution log group (`API-Gateway-Execution-Logs_<api-id>/<stage>`), owned by the stack so
   * that it has the same retention, key and removal policy as the other audit logs; API Gateway would
   * otherwise create it with no retention. Undefined when `executionLogLevel` is `'OFF'`.
   */
  public readonly executionLogGroup?: logs.LogGroup;
  /** The request validator used by routes with a `requestModel` or `requestParameters`. */
  public readonly requestValidator: apigw.RequestValidator;
  /** The custom domain, when `domain` is set. */
  public readonly domainName?: apigw.DomainName;
  /** The account-level logging setting, when `apiGatewayAccount` is `'create'`. */
  public readonly apiGatewayAccount?: ApiGatewayAccount;
  /** The AWS WAF web ACL in front of the stage; undefined only with `disableWebAcl: true`. */
  public readonly webAcl?: SecureApiWebAcl;
  /** URL of the stage on the execute-api endpoint. */
  public readonly url: string;

  /**
   * The client certificate the stage presents to HTTP backends, so they can verify that a call comes from
   * API Gateway. Created at synthesis when the API has at least one HTTP or HTTP_PROXY integration.
   */
  public get backendClientCertificate(): apigw.CfnClientCertificate | undefined {
    return this.backendCertificate;
  }

  private backendCertificate?: apigw.CfnClientCertificate;
  /**
   * The public routes, by `'<METHOD> <path>'`. The authorizer never sees them, so its route table cannot hold
   * them: each keeps its method (for the open-method check and its acknowledgements) and its place among all
   * declared routes (for `routes()`).
   */
  private readonly publicRoutes = new Map<string, PublicRoute>();
  private readonly variableSegments = new Map<string, string>();
  private readonly routeMethodSettings: apigw.CfnStage.MethodSettingProperty[] = [];
  private readonly stageLogging: StageLogging;

  /**
   * @param scope the parent construct
   * @param id the construct id
   * @param props issuers and settings
   * @throws SecureApiValidationError when a setting is invalid
   */
  constructor(scope: Construct, id: string, props: SecureApiProps) {
    super(scope, id);
    // Explicit props, over the organization's defaults (SecureApiOrgDefaults), over SECURE_API_DEFAULTS.
    props = injectedProps(SecureApi.PROPERTY_INJECTION_ID, scope, id, props);
    const stageName = validateStageName(this, props.stageName ?? SECURE_API_DEFAULTS.stageName);
    const retention = resolveLogRetention(this, 'logRetention', props.logRetention);
    this.logProfile = validateLogProfile(this, 'logProfile', props.logProfile ?? SECURE_API_DEFAULTS.logProfile);
    const cacheTtl = props.authorizerCacheTtl ?? SECURE_API_DEFAULTS.authorizerCacheTtl;
    validateDuration(this, 'authorizerCacheTtl', cacheTtl, {
      unit: 'seconds',
      max: SECURE_API_DEFAULTS.limits.maxAuthorizerCacheTtl.toSeconds(),
    });
    const throttle = validateThrottle(this, 'throttle', props.throttle ?? SECURE_API_DEFAULTS.throttle);
    this.stageLogging = {
      executionLogLevel: validateExecutionLogLevel(this, props.executionLogLevel ?? SECURE_API_DEFAULTS.executionLogLevel),
      dataTraceEnabled: props.unsafeLogFullRequestsAndResponses === true,
      metricsEnabled: props.metricsEnabled ?? SECURE_API_DEFAULTS.metricsEnabled,
    };
    if (this.logProfile !== 'full' && this.stageLogging.dataTraceEnabled) {
      throw new SecureApiValidationError(
        `'unsafeLogFullRequestsAndResponses' logs every header and body, which 'logProfile' ${describeValue(this.logProfile)} keeps out of the logs: ` +
          `set at most one (received: unsafeLogFullRequestsAndResponses true)`,
        this,
      );
    }
    const cors = props.cors !== undefined ? validateCors(this, props.cors) : undefined;
    const policy = props.allowedSourceIps !== undefined ? sourceIpPolicy(this, props.allowedSourceIps) : undefined;

    const revocation = this.resolveRevocation(props.revocation);
    if (revocation !== undefined) {
      this.denyList = revocation.table === undefined ? new DenyList(this, 'DenyList') : undefined;
      this.revocation = { ...revocation, table: revocation.table ?? this.denyList!.table };
    }

    this.authorizer = new JwtAuthorizer(this, 'JwtAuthorizer', {
      ...props.authorizerOptions,
      issuers: props.issuers,
      resultsCacheTtl: cacheTtl,
      logRetention: retention.decision,
      logEncryptionKey: props.logEncryptionKey,
      logRemovalPolicy: props.logRemovalPolicy,
      logProfile: this.logProfile,
      pseudonymKey: props.pseudonymKey,
      denyList: this.revocation,
    });
    this.authorizerFunction = this.authorizer.function;
    this.pseudonymKey = this.authorizer.pseudonymKey;
    this.authorizerLogGroup = this.authorizer.logGroup;

    this.accessLogGroup = createAuditLogGroup(this, 'AccessLogs', {
      retention: retention.access ?? SECURE_API_DEFAULTS.logRetention,
      removalPolicy: props.logRemovalPolicy ?? SECURE_API_DEFAULTS.logRemovalPolicy,
      encryptionKey: props.logEncryptionKey,
    });

    this.restApi = new apigw.RestApi(this, 'RestApi', {
      restApiName: props.restApiName,
      description: props.description,
      endpointTypes: [apigw.EndpointType.REGIONAL],
      // The account-level role is managed by ApiGatewayAccount, never per API (API Gateway has one such setting per account and region).
      cloudWatchRole: false,
      deploy: true,
      deployOptions: {
        stageName,
        tracingEnabled: props.tracingEnabled ?? SECURE_API_DEFAULTS.tracingEnabled,
        metricsEnabled: this.stageLogging.metricsEnabled,
        loggingLevel: apigw.MethodLoggingLevel[this.stageLogging.executionLogLevel],
        dataTraceEnabled: this.stageLogging.dataTraceEnabled,
        throttlingRateLimit: throttle.rateLimit,
        throttlingBurstLimit: throttle.burstLimit,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: apigw.AccessLogFormat.custom(renderAccessLogFormat(accessLogFieldsFor(this.logProfile, SECURE_API_DEFAULTS.accessLogFields))),
      },
      defaultMethodOptions: { authorizer: this.authorizer.requestAuthorizer, authorizationType: apigw.AuthorizationType.CUSTOM },
      defaultCorsPreflightOptions: cors,
      policy,
      disableExecuteApiEndpoint: props.disableExecuteApiEndpoint,
    });
    this.stage = this.restApi.deploymentStage;
    if (this.logProfile !== 'full') {
      Validations.of(this.stage).acknowledge({
        id: 'SecureApi-AccessLogging',
        reason: `The API owner chose logProfile '${this.logProfile}': the access log leaves the caller's IP address out on purpose (data minimisation); ` +
          'the principal, status, authorizer and WAF fields stay.',
      });
    }
    if (this.stageLogging.executionLogLevel !== 'OFF') {
      const executionLogs = createAuditLogGroup(this, 'ExecutionLogs', {
        retention: retention.execution ?? SECURE_API_DEFAULTS.logRetention,
        removalPolicy: props.logRemovalPolicy ?? SECURE_API_DEFAULTS.logRemovalPolicy,
        encryptionKey: props.logEncryptionKey,
      });
      (executionLogs.node.defaultChild as logs.CfnLogGroup).logGroupName = `API-Gateway-Execution-Logs_${this.restApi.restApiId}/${stageName}`;
      // The group must exist before the stage logs anything, or API Gateway creates it without retention first.
      this.stage.node.addDependency(executionLogs);
      this.executionLogGroup = executionLogs;
    }
    this.url = this.restApi.url;
    this.requestValidator = this.restApi.addRequestValidator('RequestValidator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });

    if ((props.apiGatewayAccount ?? SECURE_API_DEFAULTS.apiGatewayAccount) === 'create') {
      this.apiGatewayAccount = ApiGatewayAccount.ofStack(this);
      this.stage.node.addDependency(this.apiGatewayAccount);
    } else if (props.apiGatewayAccount !== undefined && props.apiGatewayAccount !== 'existing') {
      throw new SecureApiValidationError(`'apiGatewayAccount' must be 'existing' or 'create' (received: ${describeValue(props.apiGatewayAccount)})`, this);
    }

    addGatewayResponses(this.restApi, cors);
    this.webAcl = this.protectWithWebAcl(props, retention.waf);

    if (props.domain !== undefined) {
      this.domainName = this.addDomain(props.domain);
    }

    // Per-route throttling is known only as routes are added, after the stage exists.
    appendRouteMethodSettings(this.stage, this.routeMethodSettings);

    // A changed route table, verifier or issuer list must redeploy the stage (API Gateway serves the last deployment until a new one is made).
    this.restApi.latestDeployment?.addToLogicalId({
      authorizerAsset: this.authorizer.assetHash,
      authorizerEnvironment: this.authorizer.environmentConfig,
    });

    // Once every method exists (routes and methods added on restApi directly alike).
    Aspects.of(this).add({ visit: (node: IConstruct) => (node === this ? this.completeMethods() : undefined) });
    Aspects.of(this).add(new ServiceInvokeSourceAccount());
    this.node.addValidation({ validate: () => this.findOpenMethods() });
  }

  /** Checks the revocation settings; undefined when revocation is off. */
  private resolveRevocation(given: SecureApiProps['revocation']): (Omit<SecureApiRevocation, 'table'> & { table?: dynamodb.ITable }) | undefined {
    if (given === undefined || given === false) {
      return undefined;
    }
    if (given !== true && (typeof given !== 'object' || given === null || Array.isArray(given))) {
      throw new SecureApiValidationError(`'revocation' must be true, false or an object of revocation options (received: ${describeValue(given)})`, this);
    }
    const options: SecureApiRevocationOptions = given === true ? {} : given;
    const refresh = options.refresh ?? REVOCATION_DEFAULTS.refresh;
    const limits = REVOCATION_DEFAULTS.limits.refresh;
    validateDuration(this, 'revocation.refresh', refresh, { unit: 'seconds', min: limits.min.toSeconds(), max: limits.max.toSeconds() });
    const whenUnavailable = options.whenUnavailable ?? REVOCATION_DEFAULTS.whenUnavailable;
    if (whenUnavailable !== 'allow' && whenUnavailable !== 'deny') {
      throw new SecureApiValidationError(`'revocation.whenUnavailable' must be 'allow' or 'deny' (received: ${describeValue(whenUnavailable)})`, this);
    }
    return { refresh, whenUnavailable, table: options.table };
  }

  /** Associates the given web ACL, or a new one, with the stage; WAF is switched off only by `disableWebAcl: true`. */
  private protectWithWebAcl(props: SecureApiProps, wafRetention: logs.RetentionDays | undefined): SecureApiWebAcl | undefined {
    const given = [
      ['webAcl', props.webAcl],
      ['webAclOptions', props.webAclOptions],
      ['disableWebAcl', props.disableWebAcl ? true : undefined],
    ].filter(([, value]) => value !== undefined).map(([name]) => name);
    if (given.length > 1) {
      throw new SecureApiValidationError(
        `'webAcl', 'webAclOptions' and 'disableWebAcl' are alternatives: set at most one (received: ${given.join(', ')})`,
        this,
      );
    }
    const wafRetentionGiven = typeof props.logRetention === 'object' && props.logRetention.waf !== undefined;
    const logging = props.webAclOptions?.logging;
    if (wafRetentionGiven && (props.webAcl !== undefined || props.disableWebAcl === true || logging === false)) {
      const without = props.webAcl !== undefined ? "'webAcl'" : props.disableWebAcl === true ? "'disableWebAcl'" : "'webAclOptions.logging: false'";
      throw new SecureApiValidationError(
        `'logRetention.waf' applies to the log of the web ACL this API creates, and there is none with ${without} set: leave it out (received: ${describeValue(props.logRetention)})`,
        this,
      );
    }
    if (wafRetentionGiven && logging !== undefined && logging !== false && logging.retention !== undefined) {
      throw new SecureApiValidationError(
        `'logRetention.waf' and 'webAclOptions.logging.retention' are alternatives: set at most one (received: ${wafRetention} and ${logging.retention})`,
        this,
      );
    }
    if (props.disableWebAcl === true) {
      acknowledgeDisabledWebAcl(this.stage);
      return undefined;
    }
    const webAcl = props.webAcl ?? new SecureApiWebAcl(this, 'WebAcl', this.webAclDefaults(props, wafRetention));
    webAcl.associate(this.stage);
    return webAcl;
  }

  /** The API's log settings flow into the web ACL's logging unless its options set their own. */
  private webAclDefaults(props: SecureApiProps, wafRetention: logs.RetentionDays | undefined): SecureApiWebAclProps {
    const options = props.webAclOptions ?? {};
    if (options.logging === false) {
      return options;
    }
    return {
      ...options,
      logging: {
        retention: wafRetention,
        encryptionKey: props.logEncryptionKey,
        removalPolicy: props.logRemovalPolicy,
        ...options.logging,
      },
    };
  }

  /**
   * Adds a route: creates the resources of its path as needed and a method behind the JWT authorizer
   * (unless `public`), and records the route and its scopes in the authorizer's route table.
   *
   * A protected route must say what a token needs: at least one scope or condition, or `authenticatedOnly: true`.
   *
   * @param route `'<METHOD> <path>'`, e.g. `'GET /items/{id}'`; METHOD is GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS or ANY
   * @param integration the backend
   * @param options scopes, conditions and stage settings of the route
   * @returns the method
   * @throws SecureApiValidationError when the route or its options are invalid
   */
  public addRoute(route: string, integration: apigw.Integration, options: RouteOptions = {}): apigw.Method {
    const { method, path } = parseRoute(this, route, this.variableSegments);
    const { isPublic, scopes, conditions, throttle } = routeRequirements(this, route, options);
    if (this.isDeclared(method, path)) {
      throw new SecureApiValidationError(`'route' must be declared once (received: ${describeValue(route)} twice)`, this);
    }

    const resource = this.restApi.root.resourceForPath(path);
    const requestModels =
      options.requestModel !== undefined
        ? {
            'application/json': this.restApi.addModel(`${constructIdFor(method, path)}Model`, {
              contentType: 'application/json',
              schema: options.requestModel,
            }),
          }
        : undefined;
    const validated = requestModels !== undefined || options.requestParameters !== undefined;
    const created = resource.addMethod(method, integration, {
      ...options.methodOptions,
      ...(isPublic
        ? { authorizationType: apigw.AuthorizationType.NONE, authorizer: undefined }
        : { authorizationType: apigw.AuthorizationType.CUSTOM, authorizer: this.authorizer.requestAuthorizer }),
      requestModels,
      requestParameters: options.requestParameters,
      requestValidator: validated ? this.requestValidator : undefined,
      apiKeyRequired: options.apiKeyRequired,
    });

    if (isPublic) {
      declarePublic(created, PUBLIC_ROUTE_DECLARATION);
      this.publicRoutes.set(`${method} ${path}`, { method: created, position: this.authorizer.declaredRoutes.length + this.publicRoutes.size });
    } else {
      this.authorizer.addRoute({ method, path, scopes, conditions });
    }
    if (throttle !== undefined) {
      this.routeMethodSettings.push(routeThrottleSetting(method, path, throttle, this.stageLogging));
    }
    return created;
  }

  /**
   * Trusts one more token issuer.
   *
   * @param issuer the issuer
   */
  public addIssuer(issuer: TokenIssuer): void {
    this.authorizer.addIssuer(issuer);
  }

  /**
   * The compiled route table, in declaration order: the authorizer's protected routes (those declared with
   * `addRoute()` and any added to `authorizer` directly) and the public routes.
   *
   * @returns the routes with their scopes and whether they are public
   */
  public routes(): ReadonlyArray<SecureApiRoute> {
    const routes: SecureApiRoute[] = this.authorizer.declaredRoutes.map((route) => ({
      method: route.method,
      path: route.path,
      scopes: [...(route.scopes ?? [])],
      public: false,
    }));
    // Each public route goes back to its place: in ascending order, everything declared before it is already in the list.
    const publicRoutes = [...this.publicRoutes.values()].sort((a, b) => a.position - b.position);
    for (const { method, position } of publicRoutes) {
      routes.splice(position, 0, { method: method.httpMethod, path: method.resource.path, scopes: [], public: true });
    }
    return routes;
  }

  /**
   * Adds a usage plan on this API's stage, e.g. one per client tier, with its API keys.
   * Routes opt into API keys with `RouteOptions.apiKeyRequired`.
   *
   * @param id the construct id of the plan
   * @param options throttle, quota and keys of the plan
   * @returns the usage plan
   */
  public addUsagePlan(id: string, options: SecureApiUsagePlanOptions = {}): apigw.UsagePlan {
    const { apiKeys, ...planProps } = options;
    const plan = this.restApi.addUsagePlan(id, { ...planProps, apiStages: [{ api: this.restApi, stage: this.stage }] });
    for (const key of apiKeys ?? []) {
      plan.addApiKey(key);
    }
    return plan;
  }

  /**
   * A metric of this API's stage (namespace `AWS/ApiGateway`, dimensions `ApiName` and `Stage`).
   *
   * @param metricName e.g. `4XXError`, `Latency`
   * @param props statistic, period and other options
   * @returns the metric
   */
  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stage.metric(metricName, props);
  }

  /**
   * Client errors (4XX, throttled requests and authorizer denials included). Sum over 5 minutes by default.
   *
   * @param props statistic, period and other options
   * @returns the metric
   */
  public metricClientError(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stage.metricClientError(props);
  }

  /**
   * Server errors (5XX, authorizer failures included). Sum over 5 minutes by default.
   *
   * @param props statistic, period and other options
   * @returns the metric
   */
  public metricServerError(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stage.metricServerError(props);
  }

  /**
   * Time from request to response, authorizer and integration included, in milliseconds. Average over 5 minutes by default.
   *
   * @param props statistic (e.g. `p99`), period and other options
   * @returns the metric
   */
  public metricLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stage.metricLatency(props);
  }

  /**
   * Time spent in the integration, in milliseconds. Average over 5 minutes by default.
   *
   * @param props statistic, period and other options
   * @returns the metric
   */
  public metricIntegrationLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stage.metricIntegrationLatency(props);
  }

  /**
   * Number of requests. Sum over 5 minutes by default.
   *
   * @param props statistic, period and other options
   * @returns the metric
   */
  public metricCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stage.metricCount(props);
  }

  /**
   * Errors of the authorizer function (each one a 500 to the client). Sum over 5 minutes by default.
   * API Gateway publishes no throttling metric for REST APIs: throttled requests count in `metricClientError()`
   * and appear as status 429 in the access log.
   *
   * @param props statistic, period and other options
   * @returns the metric
   */
  public metricAuthorizerErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.authorizerFunction.metricErrors(props);
  }

  /**
   * Duration of the authorizer function, in milliseconds. Average over 5 minutes by default.
   *
   * @param props statistic (e.g. `p99`), period and other options
   * @returns the metric
   */
  public metricAuthorizerDuration(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.authorizerFunction.metricDuration(props);
  }

  private addDomain(domain: SecureApiDomainOptions): apigw.DomainName {
    if (domain.certificate === undefined) {
      throw new SecureApiValidationError(`'domain.certificate' must be an ACM certificate for the domain (received: undefined)`, this);
    }
    if (!Token.isUnresolved(domain.domainName) && !/^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/.test(domain.domainName)) {
      throw new SecureApiValidationError(`'domain.domainName' must be a fully qualified domain name (received: ${describeValue(domain.domainName)})`, this);
    }
    return this.restApi.addDomainName('CustomDomain', {
      domainName: domain.domainName,
      certificate: domain.certificate,
      endpointType: apigw.EndpointType.REGIONAL,
      securityPolicy: apigw.SecurityPolicy.TLS_1_2,
      basePath: domain.basePath,
    });
  }

  /** Every method of the REST API with authorization type NONE that was not declared public, except CORS preflights. */
  private findOpenMethods(): string[] {
    const open = methodsOf(this.restApi)
      .filter((method) => authorizationTypeOf(method) === apigw.AuthorizationType.NONE)
      .filter((method) => !this.isPublicMethod(method) && !isCorsPreflight(method))
      .map((method) => `${method.httpMethod} ${method.resource.path}`)
      .sort();
    return open.length === 0
      ? []
      : [
          `Every method must be protected by the JWT authorizer or declared with addRoute(..., { public: true }) (received: authorizationType NONE on ${open.join(', ')})`,
        ];
  }

  /**
   * Runs once every method exists: requires a protected method, gives HTTP backends a client certificate,
   * and acknowledges the cdk-nag findings of the design. Methods that use the JWT authorizer without being
   * in its route table fail synthesis in `JwtAuthorizer` itself.
   */
  private completeMethods(): void {
    const methods = methodsOf(this.restApi);
    this.requireProtectedMethod(methods);
    this.createBackendClientCertificate(methods);
    acknowledgeSecureApiFindings({
      stage: this.stage,
      methods,
      requestAuthorizer: this.authorizer.requestAuthorizer,
      isPublic: (method) => this.isPublicMethod(method),
    });
  }

  /** API Gateway needs at least one method per authorizer; without one, synthesis would fail with an unrelated resolution error. */
  private requireProtectedMethod(methods: apigw.Method[]): void {
    if (!methods.some((method) => usesAuthorizer(method, this.authorizer.requestAuthorizer))) {
      throw new SecureApiValidationError(
        `'routes' must include at least one route protected by the JWT authorizer (received: ${this.publicRoutes.size} public route(s) only)`,
        this,
      );
    }
  }

  /**
   * Creates the client certificate the stage presents to its HTTP backends, so they can verify that a call comes
   * from this stage: only when a method has an HTTP or HTTP_PROXY integration and the stage has no certificate yet.
   */
  private createBackendClientCertificate(methods: apigw.Method[]): void {
    const cfnStage = this.stage.node.defaultChild as apigw.CfnStage;
    if (!methods.some(isHttpIntegration) || cfnStage.clientCertificateId !== undefined) {
      return;
    }
    this.backendCertificate = new apigw.CfnClientCertificate(this, 'BackendClientCertificate', {
      description: `Presented by the API Gateway stage of ${this.node.path} to its HTTP backends`,
    });
    cfnStage.clientCertificateId = this.backendCertificate.attrClientCertificateId;
  }

  /** Whether a route of this method and path is declared, public or in the authorizer's route table. */
  private isDeclared(method: string, path: string): boolean {
    return this.publicRoutes.has(`${method} ${path}`) || this.authorizer.declaredRoutes.some((route) => route.method === method && route.path === path);
  }

  private isPublicMethod(method: apigw.Method): boolean {
    return this.publicRoutes.get(`${method.httpMethod} ${method.resource.path}`)?.method === method;
  }
}

/** A public route: the method made for it, and how many routes (public or protected) were declared before it. */
interface PublicRoute {
  readonly method: apigw.Method;
  readonly position: number;
}
