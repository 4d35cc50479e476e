import { isIP } from 'node:net';
import { Aspects, Duration, Lazy, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, IConstruct } from 'constructs';
import { type ClaimCondition, ROUTE_METHODS, type RouteMethod, routePathProblem } from '../../lambda/contract';
import { ApiGatewayAccount } from '../api-gateway-account';
import { scopeToken, type RouteScope } from '../authorizer/api-scope';
import { SECURE_API_DEFAULTS, createAuditLogGroup, renderAccessLogFormat } from '../defaults';
import { SecureApiValidationError, describeValue, validateDuration } from '../errors';
import { JwtAuthorizer, JwtAuthorizerOptions } from '../authorizer/jwt-authorizer';
import { NAG_REASONS, acknowledge } from '../nag-acknowledgements';
import { SecureApiWebAcl, SecureApiWebAclProps } from '../waf/secure-api-web-acl';
import { parseCidr } from '../waf/inputs';
import type { TokenIssuer } from '../authorizer/token-issuer';

/** Execution logging level of the stage. */
export type ExecutionLogLevel = 'ERROR' | 'INFO' | 'OFF';

/** CORS settings of a {@link SecureApi}. */
export interface SecureApiCorsOptions {
  /**
   * Origins allowed to call the API from a browser, e.g. `https://app.example.com`, or `['*']`.
   * `*` cannot be combined with `allowCredentials`.
   */
  readonly allowOrigins: string[];
  /**
   * Allowed methods.
   * @default - apigw.Cors.ALL_METHODS
   */
  readonly allowMethods?: string[];
  /**
   * Allowed request headers.
   * @default - SECURE_API_DEFAULTS.cors.allowHeaders (Authorization, Content-Type)
   */
  readonly allowHeaders?: string[];
  /**
   * Response headers a browser script may read, in addition to `WWW-Authenticate` on error responses.
   * @default - none
   */
  readonly exposeHeaders?: string[];
  /**
   * Whether browsers may send cookies or TLS client certificates.
   * @default false
   */
  readonly allowCredentials?: boolean;
  /**
   * How long browsers may cache a preflight answer.
   * @default - SECURE_API_DEFAULTS.cors.maxAge (10 minutes)
   */
  readonly maxAge?: Duration;
}

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
   * Stage-wide throttling; routes may set their own with `RouteOptions.throttle`.
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
  readonly authorizer?: JwtAuthorizerOptions;
  /**
   * Retention of the access log and authorizer log groups.
   * @default - SECURE_API_DEFAULTS.logRetention (one year)
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Customer-managed KMS key for the access log and authorizer log groups. A key created in this app
   * gets a key policy statement letting CloudWatch Logs of this account and region use it.
   * @default - encrypted with a CloudWatch Logs managed key
   */
  readonly logEncryptionKey?: kms.IKey;
  /**
   * Removal policy of the access log and authorizer log groups.
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
}

/** How a route is protected, and its stage and request settings. */
export interface RouteOptions {
  /**
   * Scopes the access token must all hold, exact and case-sensitive, in its `scope` claim (or, for OIDC
   * issuers, `scp`). An `ApiScope` for a Cognito resource server scope (`<identifier>/<name>`); a string for
   * a scope exactly as another issuer writes it (`'catalog.read'`), validated at synth as an RFC 6749 scope
   * token. Strings rather than a second kind of `ApiScope`: such a scope has no resource server, no
   * description and nothing to create in Cognito.
   * @default - none; then `conditions` or `authenticatedOnly` must say what the route requires
   */
  readonly scopes?: RouteScope[];
  /**
   * Claim conditions the access token must all meet, in addition to the scopes.
   * @default - none
   */
  readonly conditions?: ClaimCondition[];
  /**
   * Accepts any valid access token of a trusted issuer, without scopes or conditions. An explicit choice, because
   * least privilege (per-route scopes) is the default.
   * @default false
   */
  readonly authenticatedOnly?: boolean;
  /**
   * Serves the route without authentication. Must be explicit: every other method is behind the authorizer.
   * @default false
   */
  readonly public?: boolean;
  /**
   * Throttling of this route, overriding the stage's.
   * @default - the stage's throttling
   */
  readonly throttle?: apigw.ThrottleSettings;
  /**
   * JSON schema of the request body (`application/json`); API Gateway rejects bodies that do not match.
   * @default - the body is not validated
   */
  readonly requestModel?: apigw.JsonSchema;
  /**
   * Request parameters, e.g. `{ 'method.request.querystring.page': false }`; `true` marks a required one,
   * which API Gateway checks before the integration.
   * @default - none
   */
  readonly requestParameters?: Record<string, boolean>;
  /**
   * Requires an API key (`x-api-key`) from a usage plan, on top of the access token.
   * @default false
   */
  readonly apiKeyRequired?: boolean;
  /**
   * Further method options (method responses, operation name...). Authorization, request models, parameters
   * and validators are set by the options above and cannot be given here.
   * @default - none
   */
  readonly methodOptions?: apigw.MethodOptions;
}

/** One entry of the compiled route table. */
export interface SecureApiRoute {
  /** HTTP method, or `ANY`. */
  readonly method: string;
  /** Resource path. */
  readonly path: string;
  /** Full names of the scopes the route requires. */
  readonly scopes: string[];
  /** Whether the route is public. */
  readonly public: boolean;
}

/** Options of {@link SecureApi.addUsagePlan}. */
export interface SecureApiUsagePlanOptions extends Omit<apigw.UsagePlanProps, 'apiStages'> {
  /**
   * API keys of the plan's clients.
   * @default - none; add keys to the returned plan later
   */
  readonly apiKeys?: apigw.IApiKey[];
}

const STAGE_NAME = /^[A-Za-z0-9_-]{1,128}$/;
const ROUTE = /^(\S+) (\S+)$/;
const ORIGIN = /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/;

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
  public readonly restApi: apigw.RestApi;
  /** The deployment stage. */
  public readonly stage: apigw.Stage;
  /** The JWT authorizer construct (function, log group, role, API Gateway authorizer). */
  public readonly jwtAuthorizer: JwtAuthorizer;
  /** The API Gateway REQUEST authorizer every protected method uses. */
  public readonly authorizer: apigw.RequestAuthorizer;
  /** The authorizer function. */
  public readonly authorizerFunction: lambda.Function;
  /** The authorizer function's log group (its decision log). */
  public readonly authorizerLogGroup: logs.LogGroup;
  /** The stage's access log group (audit JSON records). */
  public readonly accessLogGroup: logs.LogGroup;
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
  private readonly declaredRoutes: SecureApiRoute[] = [];
  private readonly publicMethods = new Set<apigw.Method>();
  private readonly variableSegments = new Map<string, string>();
  private readonly routeMethodSettings: apigw.CfnStage.MethodSettingProperty[] = [];
  private readonly executionLogLevel: ExecutionLogLevel;
  private readonly dataTraceEnabled: boolean;
  private readonly metricsEnabled: boolean;

  /**
   * @param scope the parent construct
   * @param id the construct id
   * @param props issuers and settings
   * @throws SecureApiValidationError when a setting is invalid
   */
  constructor(scope: Construct, id: string, props: SecureApiProps) {
    super(scope, id);
    const stageName = props.stageName ?? SECURE_API_DEFAULTS.stageName;
    if (!Token.isUnresolved(stageName) && !STAGE_NAME.test(stageName)) {
      throw new SecureApiValidationError(
        `'stageName' must be 1-128 letters, digits, hyphens or underscores (received: ${describeValue(stageName)})`,
      );
    }
    const cacheTtl = props.authorizerCacheTtl ?? SECURE_API_DEFAULTS.authorizerCacheTtl;
    validateDuration('authorizerCacheTtl', cacheTtl, {
      unit: 'seconds',
      max: SECURE_API_DEFAULTS.limits.maxAuthorizerCacheTtl.toSeconds(),
    });
    const throttle = validateThrottle('throttle', props.throttle ?? SECURE_API_DEFAULTS.throttle);
    this.executionLogLevel = props.executionLogLevel ?? SECURE_API_DEFAULTS.executionLogLevel;
    if (!['ERROR', 'INFO', 'OFF'].includes(this.executionLogLevel)) {
      throw new SecureApiValidationError(`'executionLogLevel' must be 'ERROR', 'INFO' or 'OFF' (received: ${describeValue(this.executionLogLevel)})`);
    }
    this.dataTraceEnabled = props.unsafeLogFullRequestsAndResponses === true;
    this.metricsEnabled = props.metricsEnabled ?? SECURE_API_DEFAULTS.metricsEnabled;
    const cors = props.cors !== undefined ? validateCors(props.cors) : undefined;
    const policy = props.allowedSourceIps !== undefined ? sourceIpPolicy(props.allowedSourceIps) : undefined;

    this.jwtAuthorizer = new JwtAuthorizer(this, 'JwtAuthorizer', {
      ...props.authorizer,
      issuers: props.issuers,
      resultsCacheTtl: cacheTtl,
      logRetention: props.logRetention,
      logEncryptionKey: props.logEncryptionKey,
      logRemovalPolicy: props.logRemovalPolicy,
    });
    this.authorizer = this.jwtAuthorizer.authorizer;
    this.authorizerFunction = this.jwtAuthorizer.function;
    this.authorizerLogGroup = this.jwtAuthorizer.logGroup;

    this.accessLogGroup = createAuditLogGroup(this, 'AccessLogs', {
      retention: props.logRetention ?? SECURE_API_DEFAULTS.logRetention,
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
        metricsEnabled: this.metricsEnabled,
        loggingLevel: apigw.MethodLoggingLevel[this.executionLogLevel],
        dataTraceEnabled: this.dataTraceEnabled,
        throttlingRateLimit: throttle.rateLimit,
        throttlingBurstLimit: throttle.burstLimit,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: apigw.AccessLogFormat.custom(renderAccessLogFormat(SECURE_API_DEFAULTS.accessLogFields)),
      },
      defaultMethodOptions: { authorizer: this.authorizer, authorizationType: apigw.AuthorizationType.CUSTOM },
      defaultCorsPreflightOptions: cors,
      policy,
      disableExecuteApiEndpoint: props.disableExecuteApiEndpoint,
    });
    this.stage = this.restApi.deploymentStage;
    if (this.executionLogLevel !== 'OFF') {
      const executionLogs = createAuditLogGroup(this, 'ExecutionLogs', {
        retention: props.logRetention ?? SECURE_API_DEFAULTS.logRetention,
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
      throw new SecureApiValidationError(`'apiGatewayAccount' must be 'existing' or 'create' (received: ${describeValue(props.apiGatewayAccount)})`);
    }

    this.addGatewayResponses(cors);
    this.webAcl = this.protectWithWebAcl(props);

    if (props.domain !== undefined) {
      this.domainName = this.addDomain(props.domain);
    }

    // Per-route throttling is known only as routes are added, after the stage exists.
    const cfnStage = this.stage.node.defaultChild as apigw.CfnStage;
    const stageSettings = (cfnStage.methodSettings ?? []) as apigw.CfnStage.MethodSettingProperty[];
    cfnStage.methodSettings = Lazy.any({ produce: () => [...stageSettings, ...this.routeMethodSettings] }, { omitEmptyArray: true });

    // A changed route table, verifier or issuer list must redeploy the stage (API Gateway serves the last deployment until a new one is made).
    this.restApi.latestDeployment?.addToLogicalId({
      authorizerAsset: this.jwtAuthorizer.assetHash,
      authorizerEnvironment: this.jwtAuthorizer.environmentConfig,
    });

    Aspects.of(this).add({ visit: (node: IConstruct) => (node === this ? this.acknowledgeFindings() : undefined) });
    this.node.addValidation({ validate: () => this.findOpenMethods() });
  }

  /** Associates the given web ACL, or a new one, with the stage; WAF is switched off only by `disableWebAcl: true`. */
  private protectWithWebAcl(props: SecureApiProps): SecureApiWebAcl | undefined {
    const given = [
      ['webAcl', props.webAcl],
      ['webAclOptions', props.webAclOptions],
      ['disableWebAcl', props.disableWebAcl ? true : undefined],
    ].filter(([, value]) => value !== undefined).map(([name]) => name);
    if (given.length > 1) {
      throw new SecureApiValidationError(
        `'webAcl', 'webAclOptions' and 'disableWebAcl' are alternatives: set at most one (received: ${given.join(', ')})`,
      );
    }
    if (props.disableWebAcl === true) {
      Validations.of(this.stage).acknowledge({
        id: 'AwsSolutions-APIG3',
        reason: "AWS WAF was switched off explicitly with SecureApi's 'disableWebAcl: true' by the API owner; the stage keeps its throttling, authorizer and access logs.",
      });
      return undefined;
    }
    const webAcl = props.webAcl ?? new SecureApiWebAcl(this, 'WebAcl', this.webAclDefaults(props));
    webAcl.associate(this.stage);
    return webAcl;
  }

  /** The API's log settings flow into the web ACL's logging unless its options set their own. */
  private webAclDefaults(props: SecureApiProps): SecureApiWebAclProps {
    const options = props.webAclOptions ?? {};
    if (options.logging === false) {
      return options;
    }
    return {
      ...options,
      logging: {
        retention: props.logRetention,
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
    const { method, path } = this.parseRoute(route);
    const isPublic = options.public === true;
    const scopes = (options.scopes ?? []).map((scope, i) => scopeToken(`scopes[${i}]`, scope));
    const conditions = (options.conditions ?? []).map((condition) => validateCondition(route, condition));
    if (isPublic && (scopes.length > 0 || conditions.length > 0 || options.authenticatedOnly === true)) {
      throw new SecureApiValidationError(
        `'public' routes must not declare 'scopes', 'conditions' or 'authenticatedOnly' (received: ${describeValue(route)})`,
      );
    }
    if (!isPublic && scopes.length === 0 && conditions.length === 0 && options.authenticatedOnly !== true) {
      throw new SecureApiValidationError(
        `'scopes' must name at least one scope (or 'conditions' one condition) for protected route ${describeValue(route)}; ` +
          "set 'authenticatedOnly: true' to accept any valid token, or 'public: true' for no authentication (received: none)",
      );
    }
    for (const field of ['authorizer', 'authorizationType', 'authorizationScopes', 'requestModels', 'requestParameters', 'requestValidator', 'requestValidatorOptions', 'apiKeyRequired'] as const) {
      if (options.methodOptions?.[field] !== undefined) {
        throw new SecureApiValidationError(
          `'methodOptions.${field}' must not be set: use the route options 'public', 'scopes', 'requestModel', 'requestParameters' and 'apiKeyRequired' (received: ${describeValue(route)})`,
        );
      }
    }
    const throttle = options.throttle !== undefined ? validateThrottle('throttle', options.throttle) : undefined;
    if (this.declaredRoutes.some((declared) => declared.method === method && declared.path === path)) {
      throw new SecureApiValidationError(`'route' must be declared once (received: ${describeValue(route)} twice)`);
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
        : { authorizationType: apigw.AuthorizationType.CUSTOM, authorizer: this.authorizer }),
      requestModels,
      requestParameters: options.requestParameters,
      requestValidator: validated ? this.requestValidator : undefined,
      apiKeyRequired: options.apiKeyRequired,
    });

    if (isPublic) {
      this.publicMethods.add(created);
    } else {
      this.jwtAuthorizer.addRoute({ method, path, scopes, conditions });
    }
    if (throttle !== undefined) {
      this.routeMethodSettings.push({
        // Method settings address resources as '/' plus the path with each '/' escaped as '~1'.
        resourcePath: path === '/' ? '/' : `/${path.replace(/\//g, '~1')}`,
        httpMethod: method === 'ANY' ? '*' : method,
        throttlingRateLimit: throttle.rateLimit,
        throttlingBurstLimit: throttle.burstLimit,
        // A method setting replaces the stage's for that method: repeat the logging and metrics settings.
        loggingLevel: this.executionLogLevel,
        dataTraceEnabled: this.dataTraceEnabled,
        metricsEnabled: this.metricsEnabled,
      });
    }
    this.declaredRoutes.push({ method, path, scopes: [...new Set(scopes)].sort(), public: isPublic });
    return created;
  }

  /**
   * Trusts one more token issuer.
   *
   * @param issuer the issuer
   */
  public addIssuer(issuer: TokenIssuer): void {
    this.jwtAuthorizer.addIssuer(issuer);
  }

  /**
   * The compiled route table: every route declared with `addRoute()`, in declaration order.
   *
   * @returns the routes with their scopes and whether they are public
   */
  public routes(): ReadonlyArray<SecureApiRoute> {
    return this.declaredRoutes.map((route) => ({ ...route, scopes: [...route.scopes] }));
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

  private parseRoute(route: string): { method: RouteMethod; path: string } {
    const match = ROUTE.exec(route);
    if (match === null || !(ROUTE_METHODS as readonly string[]).includes(match[1])) {
      throw new SecureApiValidationError(
        `'route' must be '<METHOD> <path>' with METHOD one of ${ROUTE_METHODS.join(', ')} (received: ${describeValue(route)})`,
      );
    }
    const path = match[2];
    const problem = routePathProblem(path);
    if (problem !== undefined) {
      throw new SecureApiValidationError(`'route' path ${problem} (received: ${describeValue(route)})`);
    }
    // API Gateway allows one variable segment ({id} or {proxy+}) per level of the resource tree.
    const segments = path === '/' ? [] : path.slice(1).split('/');
    segments.forEach((segment, index) => {
      if (!segment.startsWith('{')) {
        return;
      }
      const parent = `/${segments.slice(0, index).join('/')}`;
      const existing = this.variableSegments.get(parent);
      if (existing !== undefined && existing !== segment) {
        throw new SecureApiValidationError(
          `'route' may have one variable segment per level: ${describeValue(segment)} conflicts with ${describeValue(existing)} under ${describeValue(parent)} (received: ${describeValue(route)})`,
        );
      }
    });
    segments.forEach((segment, index) => {
      if (segment.startsWith('{')) {
        this.variableSegments.set(`/${segments.slice(0, index).join('/')}`, segment);
      }
    });
    return { method: match[1] as RouteMethod, path };
  }

  private addGatewayResponses(cors: apigw.CorsOptions | undefined): void {
    const headers: Record<string, string> = {
      'Cache-Control': "'no-store'",
      'X-Content-Type-Options': "'nosniff'",
      'Strict-Transport-Security': `'max-age=${SECURE_API_DEFAULTS.hstsMaxAge.toSeconds()}; includeSubDomains'`,
    };
    if (cors !== undefined) {
      // Gateway responses take static headers only; with several origins the first one is sent, as CDK's preflight does by default.
      headers['Access-Control-Allow-Origin'] = `'${cors.allowOrigins[0]}'`;
      if (cors.allowOrigins[0] !== '*') {
        headers.Vary = "'Origin'";
      }
      if (cors.allowCredentials === true) {
        headers['Access-Control-Allow-Credentials'] = "'true'";
      }
      headers['Access-Control-Expose-Headers'] = `'${['WWW-Authenticate', ...(cors.exposeHeaders ?? [])].join(',')}'`;
    }
    const body = (message: string) => ({
      'application/json': `{"message":${message},"requestId":"$context.requestId"}`,
    });
    const responses: Array<{ type: apigw.ResponseType; statusCode?: string; message: string; wwwAuthenticate?: string }> = [
      // RFC 6750 §3.1: a missing, expired or invalid token. API Gateway answers a missing Authorization header
      // with this type too, without calling the authorizer, so the two cannot be told apart here.
      { type: apigw.ResponseType.UNAUTHORIZED, statusCode: '401', message: '"Unauthorized"', wwwAuthenticate: 'Bearer error="invalid_token"' },
      // RFC 6750 §3.1: a valid token without the scopes (or claims) the route requires.
      { type: apigw.ResponseType.ACCESS_DENIED, statusCode: '403', message: '"Forbidden"', wwwAuthenticate: 'Bearer error="insufficient_scope"' },
      // With no IAM-authorized methods, API Gateway uses this type only for a path or method the API does not
      // have: a 404, not an invitation to authenticate (RFC 6750 §3.1 does not apply), and never API Gateway's
      // own message, which can quote a hash of the Authorization header.
      { type: apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, statusCode: '404', message: '"Not Found"' },
      { type: apigw.ResponseType.THROTTLED, statusCode: '429', message: '"Too Many Requests"' },
      { type: apigw.ResponseType.QUOTA_EXCEEDED, statusCode: '429', message: '"Too Many Requests"' },
      { type: apigw.ResponseType.DEFAULT_4XX, message: '$context.error.messageString' },
      { type: apigw.ResponseType.DEFAULT_5XX, message: '"Internal server error"' },
    ];
    for (const response of responses) {
      this.restApi.addGatewayResponse(`GatewayResponse${response.type.responseType}`, {
        type: response.type,
        statusCode: response.statusCode,
        responseHeaders: {
          ...headers,
          ...(response.wwwAuthenticate !== undefined ? { 'WWW-Authenticate': `'${response.wwwAuthenticate}'` } : {}),
        },
        templates: body(response.message),
      });
    }
  }

  private addDomain(domain: SecureApiDomainOptions): apigw.DomainName {
    if (domain.certificate === undefined) {
      throw new SecureApiValidationError(`'domain.certificate' must be an ACM certificate for the domain (received: undefined)`);
    }
    if (!Token.isUnresolved(domain.domainName) && !/^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/.test(domain.domainName)) {
      throw new SecureApiValidationError(`'domain.domainName' must be a fully qualified domain name (received: ${describeValue(domain.domainName)})`);
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
    const open = this.methods()
      .filter((method) => authorizationTypeOf(method) === apigw.AuthorizationType.NONE)
      .filter((method) => !this.publicMethods.has(method) && !isCorsPreflight(method))
      .map((method) => `${method.httpMethod} ${method.resource.path}`)
      .sort();
    return open.length === 0
      ? []
      : [
          `Every method must be protected by the JWT authorizer or declared with addRoute(..., { public: true }) (received: authorizationType NONE on ${open.join(', ')})`,
        ];
  }

  /**
   * Acknowledges the cdk-nag findings inherent to the design. Methods that use the JWT authorizer without
   * being in its route table fail synthesis in `JwtAuthorizer` itself.
   */
  private acknowledgeFindings(): void {
    const methods = this.methods();
    const protectedMethods = methods.filter(
      (method) => (method.node.defaultChild as apigw.CfnMethod).authorizerId === this.authorizer.authorizerId,
    );
    if (protectedMethods.length === 0) {
      // API Gateway needs at least one method per authorizer; without one, synthesis would fail with an unrelated resolution error.
      throw new SecureApiValidationError(
        `'routes' must include at least one route protected by the JWT authorizer (received: ${this.declaredRoutes.length} public route(s) only)`,
      );
    }
    acknowledge(this.stage, { 'NIST.800.53.R5-APIGWCacheEnabledAndEncrypted': NAG_REASONS.noResponseCache });
    // A client certificate only matters for HTTP backends: it lets them verify that a call comes from this stage.
    if (methods.some(isHttpIntegration)) {
      const cfnStage = this.stage.node.defaultChild as apigw.CfnStage;
      if (cfnStage.clientCertificateId === undefined) {
        this.backendCertificate = new apigw.CfnClientCertificate(this, 'BackendClientCertificate', {
          description: `Presented by the API Gateway stage of ${this.node.path} to its HTTP backends`,
        });
        cfnStage.clientCertificateId = this.backendCertificate.attrClientCertificateId;
      }
    } else {
      acknowledge(this.stage, { 'NIST.800.53.R5-APIGWSSLEnabled': NAG_REASONS.noHttpBackends });
    }
    for (const method of methods) {
      const type = authorizationTypeOf(method);
      if (this.publicMethods.has(method)) {
        Validations.of(method).acknowledge(
          { id: 'AwsSolutions-APIG4', reason: 'The API owner declared this route public with addRoute(..., { public: true }); SecureApi fails synthesis for any other unauthenticated method.' },
          { id: 'AwsSolutions-COG4', reason: 'The API owner declared this route public with addRoute(..., { public: true }); it takes no tokens.' },
        );
      } else if (type === apigw.AuthorizationType.NONE && isCorsPreflight(method)) {
        Validations.of(method).acknowledge(
          { id: 'AwsSolutions-APIG4', reason: 'CORS preflight: browsers send OPTIONS without credentials, and the MOCK integration reaches no backend.' },
          { id: 'AwsSolutions-COG4', reason: 'CORS preflight: browsers send OPTIONS without credentials, and the MOCK integration reaches no backend.' },
        );
      } else if (type === apigw.AuthorizationType.CUSTOM && (method.node.defaultChild as apigw.CfnMethod).authorizerId === this.authorizer.authorizerId) {
        Validations.of(method).acknowledge({
          id: 'AwsSolutions-COG4',
          reason: 'Methods use a Lambda JWT authorizer that verifies Cognito/OIDC access tokens and per-route OAuth scopes.',
        });
      }
    }
  }

  private methods(): apigw.Method[] {
    return this.restApi.node.findAll().filter((child): child is apigw.Method => child instanceof apigw.Method);
  }
}

function authorizationTypeOf(method: apigw.Method): string {
  const cfn = method.node.defaultChild as apigw.CfnMethod;
  return Stack.of(method).resolve(cfn.authorizationType) ?? apigw.AuthorizationType.NONE;
}

/** HTTP and HTTP_PROXY integrations reach a backend over the network, where a client certificate applies. */
function isHttpIntegration(method: apigw.Method): boolean {
  const integration = Stack.of(method).resolve((method.node.defaultChild as apigw.CfnMethod).integration) as { type?: string } | undefined;
  return integration?.type === 'HTTP' || integration?.type === 'HTTP_PROXY';
}

/** CORS preflights are OPTIONS methods on a MOCK integration: they cannot reach a backend. */
function isCorsPreflight(method: apigw.Method): boolean {
  const cfn = method.node.defaultChild as apigw.CfnMethod;
  const integration = Stack.of(method).resolve(cfn.integration) as { type?: string } | undefined;
  return method.httpMethod === 'OPTIONS' && integration?.type === 'MOCK';
}

function validateThrottle(prop: string, throttle: apigw.ThrottleSettings): apigw.ThrottleSettings {
  const { rateLimit, burstLimit } = throttle;
  if (rateLimit !== undefined && !Token.isUnresolved(rateLimit) && !(rateLimit >= 0 && Number.isFinite(rateLimit))) {
    throw new SecureApiValidationError(`'${prop}.rateLimit' must be a non-negative number of requests per second (received: ${rateLimit})`);
  }
  if (burstLimit !== undefined && !Token.isUnresolved(burstLimit) && !(Number.isInteger(burstLimit) && burstLimit >= 0)) {
    throw new SecureApiValidationError(`'${prop}.burstLimit' must be a non-negative whole number of requests (received: ${burstLimit})`);
  }
  return { rateLimit, burstLimit };
}

function validateCors(cors: SecureApiCorsOptions): apigw.CorsOptions {
  if (cors.allowOrigins.length === 0) {
    throw new SecureApiValidationError("'cors.allowOrigins' must name at least one origin (received: [])");
  }
  const wildcard = cors.allowOrigins.includes('*');
  if (wildcard && cors.allowOrigins.length > 1) {
    throw new SecureApiValidationError(`'cors.allowOrigins' must be ['*'] or a list of origins, not both (received: ${describeValue(cors.allowOrigins)})`);
  }
  if (wildcard && cors.allowCredentials === true) {
    throw new SecureApiValidationError("'cors.allowOrigins' must list explicit origins when 'allowCredentials' is true (received: ['*'])");
  }
  for (const origin of cors.allowOrigins) {
    if (origin !== '*' && !Token.isUnresolved(origin) && !ORIGIN.test(origin)) {
      throw new SecureApiValidationError(
        `'cors.allowOrigins' must hold origins of the form scheme://host[:port], without path or trailing slash (received: ${describeValue(origin)})`,
      );
    }
  }
  validateDuration('cors.maxAge', cors.maxAge, { unit: 'seconds' });
  return {
    allowOrigins: [...cors.allowOrigins],
    allowMethods: cors.allowMethods !== undefined ? [...cors.allowMethods] : apigw.Cors.ALL_METHODS,
    allowHeaders: [...(cors.allowHeaders ?? SECURE_API_DEFAULTS.cors.allowHeaders)],
    exposeHeaders: cors.exposeHeaders !== undefined ? [...cors.exposeHeaders] : undefined,
    allowCredentials: cors.allowCredentials,
    maxAge: cors.maxAge ?? SECURE_API_DEFAULTS.cors.maxAge,
  };
}

function validateCondition(route: string, condition: ClaimCondition): ClaimCondition {
  const { claim, contains, equals } = condition;
  if (typeof claim !== 'string' || claim.length === 0) {
    throw new SecureApiValidationError(`'conditions' must name a claim (received: ${describeValue(condition)} on ${describeValue(route)})`);
  }
  if ((contains === undefined) === (equals === undefined)) {
    throw new SecureApiValidationError(
      `'conditions' must set exactly one of 'contains' and 'equals' (received: ${describeValue(condition)} on ${describeValue(route)})`,
    );
  }
  return contains !== undefined ? { claim, contains } : { claim, equals };
}

function sourceIpPolicy(allowedSourceIps: string[]): iam.PolicyDocument {
  if (allowedSourceIps.length === 0) {
    throw new SecureApiValidationError("'allowedSourceIps' must name at least one address or CIDR range (received: [])");
  }
  for (const entry of allowedSourceIps) {
    if (!Token.isUnresolved(entry) && !isAddressOrCidr(entry)) {
      throw new SecureApiValidationError(
        `'allowedSourceIps' must hold IPv4 or IPv6 addresses or CIDR ranges such as 203.0.113.0/24 (received: ${describeValue(entry)})`,
      );
    }
  }
  const invoke = { principals: [new iam.AnyPrincipal()], actions: ['execute-api:Invoke'], resources: ['execute-api:/*'] };
  return new iam.PolicyDocument({
    statements: [
      new iam.PolicyStatement({ effect: iam.Effect.ALLOW, ...invoke }),
      new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        ...invoke,
        conditions: { NotIpAddress: { 'aws:SourceIp': [...allowedSourceIps] } },
      }),
    ],
  });
}

/** An IPv4 or IPv6 address, or a CIDR range of one. */
function isAddressOrCidr(value: string): boolean {
  return isIP(value) !== 0 || parseCidr(value) !== undefined;
}

/** A construct id for a route, e.g. `GetItemsParamId` for `GET /items/{id}`. */
function constructIdFor(method: string, path: string): string {
  const spelled = path.replace(/\{/g, '/Param-').replace(/\+\}/g, '-Plus');
  const words = [method, ...spelled.split(/[^A-Za-z0-9]+/)].filter((word) => word.length > 0);
  return words.map((word) => word.charAt(0).toUpperCase() + word.slice(1).toLowerCase()).join('');
}
