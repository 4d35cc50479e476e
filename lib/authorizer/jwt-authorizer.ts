import { Annotations, Arn, ArnFormat, Aspects, Duration, Lazy, RemovalPolicy, Size, SizeRoundingBehavior, Stack, Token, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import {
  type AuthorizerConfig,
  type CacheKeyScope,
  cacheKeyScopeFor,
  cacheKeyScopeReason,
  CONFIG_DEFAULTS,
  CONFIG_ENV_VAR,
  CONFIG_LIMITS,
  DENY_LIST_LIMITS,
  type DenyListConfig,
  type IssuerConfig,
  LOG_PROFILES,
  parseConfig,
  PSEUDONYM_KEY_LIMITS,
  type RouteConfig,
  templateKey,
} from '../../lambda/contract';
import { newestNodeRuntime, validateAuthorizerRuntime } from './authorizer-runtime';
import { LateBoundAssetCode, locateAuthorizerBundle, stageAuthorizerAsset, stableStringify } from './authorizer-asset';
import { SECURE_API_DEFAULTS, createAuditLogGroup } from '../defaults';
import { acknowledgeSynchronousFunction } from '../nag-acknowledgements';
import { ServiceInvokeSourceAccount } from '../secure-api/invoke-permissions';
import { SecureApiValidationError, describeValue, validateDuration, validateLogRetention } from '../errors';
import type { TokenIssuer } from './token-issuer';
import type { LogProfile } from '../data-protection';

/** The deny list an authorizer checks verified tokens against (see {@link JwtAuthorizerProps.denyList}). */
export interface JwtAuthorizerDenyList {
  /**
   * The table: partition key `pk` (S), items as the deny list's vocabulary says (`sub#...`, `client#...`,
   * `jti#...`, `before#...`). The authorizer is granted `dynamodb:Scan` on it (and `kms:Decrypt` on its
   * customer-managed key, if it has one), nothing else.
   */
  readonly table: dynamodb.ITable;
  /**
   * The authorizer reads the table again when its copy is older than this; whole seconds, 1 s to 5 minutes.
   * A revocation takes effect within `resultsCacheTtl` + `refresh` + one Scan.
   * @default - 30 seconds
   */
  readonly refresh?: Duration;
  /**
   * What verified tokens meet while the table has never been read (a snapshot once read stays in force
   * while the table cannot be read): `allow` lets them through, with a `deny list unavailable` log line per
   * attempt to alarm on; `deny` refuses them all (401).
   * @default 'allow'
   */
  readonly whenUnavailable?: 'allow' | 'deny';
}

/** Verification and function settings of the JWT authorizer, shared by `JwtAuthorizerProps` and `SecureApiProps`. */
export interface JwtAuthorizerOptions {
  /**
   * Allowed clock skew when checking `exp`, `nbf` and `iat`; whole seconds, at most 5 minutes.
   * @default - SECURE_API_DEFAULTS.authorizer.clockSkew (60 seconds)
   */
  readonly clockSkew?: Duration;
  /**
   * Refuse tokens issued (`iat`) longer ago than this, whatever their `exp` says; whole seconds, at most one year.
   * Bounds the damage of long-lived or revoked tokens (a revoked Cognito token still verifies until it expires).
   * @default - not checked
   */
  readonly maxTokenAge?: Duration;
  /**
   * Refuse tokens minted to live longer than this (`exp - iat`), even while they are young: a leaked token
   * is then usable for this long at most. Whole seconds, at most one year. Raise it only for an issuer whose
   * access tokens are meant to live longer than a day.
   * @default - SECURE_API_DEFAULTS.authorizer.maxTokenLifetime (24 hours, Cognito's longest access-token validity)
   */
  readonly maxTokenLifetime?: Duration;
  /**
   * Timeout of one JWKS or discovery fetch, 100 ms to 10 s: a slow issuer fails closed within this time.
   * @default - SECURE_API_DEFAULTS.authorizer.keyFetchTimeout (1500 milliseconds)
   */
  readonly keyFetchTimeout?: Duration;
  /**
   * Keys older than this are refetched before use; whole seconds, one minute to one day.
   * @default - SECURE_API_DEFAULTS.authorizer.keyMaxAge (15 minutes)
   */
  readonly keyMaxAge?: Duration;
  /**
   * After a refetch for an unknown `kid`, no further refetch for this long, against floods of made-up key ids;
   * also the shortest wait between attempts while the keys cannot be fetched (the back-off doubles from it
   * up to 5 minutes); whole seconds, 1 s to one hour.
   * @default - SECURE_API_DEFAULTS.authorizer.keyCooldown (30 seconds)
   */
  readonly keyCooldown?: Duration;
  /**
   * When a refresh fails, keys fetched less than this long ago keep working; whole seconds, at most seven days.
   * @default - SECURE_API_DEFAULTS.authorizer.keyGracePeriod (1 hour)
   */
  readonly keyGracePeriod?: Duration;
  /**
   * Memory of the authorizer function, 128 MiB to 10240 MiB.
   * @default - SECURE_API_DEFAULTS.authorizer.memorySize (256 MiB)
   */
  readonly memorySize?: Size;
  /**
   * Timeout of the authorizer function; at least twice `keyFetchTimeout` (discovery, then JWKS) plus one second,
   * plus 1.5 s for each of the deny list's and the pseudonym key's reads when they are on.
   * @default - SECURE_API_DEFAULTS.authorizer.timeout (5 seconds), raised to the whole second that covers the deny list's and the pseudonym key's reads when they are on
   */
  readonly timeout?: Duration;
  /**
   * Active X-Ray tracing of the authorizer function. Adds `xray:PutTraceSegments` and `xray:PutTelemetryRecords`
   * on `*` to its role, as X-Ray supports no resource-level permissions.
   * @default - SECURE_API_DEFAULTS.authorizer.tracing (true)
   */
  readonly tracing?: boolean;
  /**
   * Reserved concurrency of the authorizer function, at least 1.
   * @default - the account's unreserved concurrency
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Lambda runtime of the authorizer function: Node.js 20 or later, as its bundle is built for Node.js 20.
   * @default - the newest Node.js runtime that the installed aws-cdk-lib knows (`lambda.Runtime.ALL`), which
   * cdk-nag's latest-runtime rules expect
   */
  readonly runtime?: lambda.Runtime;
  /**
   * A VPC to run the authorizer function in, for accounts whose policy (for example AWS Control Tower's
   * CT.LAMBDA.PR.3) requires every function in a customer-managed VPC. The function then needs a path to
   * each issuer's keys: subnets with egress (a NAT gateway) for remote JWKS endpoints, or issuers with
   * static `keys`, which need no network at all. Isolated subnets with an issuer whose keys are fetched fail
   * at synth.
   * @default - no VPC: the function reaches the issuers' public HTTPS key endpoints directly
   */
  readonly vpc?: ec2.IVpc;
  /**
   * The subnets of `vpc` the function runs in; only with `vpc`.
   * @default - the VPC's private subnets with egress, else its isolated subnets (aws-cdk-lib's default)
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Security groups of the function; only with `vpc`.
   * @default - one security group allowing outbound HTTPS (TCP 443) only, and no inbound traffic
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
}

/** Properties of a {@link JwtAuthorizer}. */
export interface JwtAuthorizerProps extends JwtAuthorizerOptions {
  /**
   * Token issuers the authorizer trusts; more can be added with `addIssuer()`. At least one is required at synth.
   * @default - none
   */
  readonly issuers?: TokenIssuer[];
  /**
   * How long API Gateway caches the authorizer's answer; whole seconds, at most one hour.
   * `Duration.seconds(0)` switches caching off explicitly.
   * @default - SECURE_API_DEFAULTS.authorizerCacheTtl (5 minutes)
   */
  readonly resultsCacheTtl?: Duration;
  /**
   * Retention of the authorizer's log group; always bounded (`RetentionDays.INFINITE` is refused).
   * @default - SECURE_API_DEFAULTS.logRetention (one year)
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Customer-managed KMS key for the authorizer's log group.
   * @default - encrypted with a CloudWatch Logs managed key
   */
  readonly logEncryptionKey?: kms.IKey;
  /**
   * Removal policy of the authorizer's log group.
   * @default - SECURE_API_DEFAULTS.logRemovalPolicy (RemovalPolicy.RETAIN)
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * What the decision log and the principal (which the access log records) keep about callers: `full`,
   * `minimal` (route templates instead of concrete paths) or `pseudonymous` (`minimal`, with keyed pseudonyms
   * for `sub` and the client id, and the pseudonym of `sub` as principal).
   * @default 'full'
   */
  readonly logProfile?: LogProfile;
  /**
   * The secret whose `SecretString` keys the pseudonyms; only with `logProfile: 'pseudonymous'`. The function
   * is granted `secretsmanager:GetSecretValue` on it. It is never rotated by the library: a new key makes new
   * pseudonyms, so lines written before and after no longer join.
   * @default - with 'pseudonymous', a secret of 64 generated letters and digits, kept as long as the logs (`logRemovalPolicy`)
   */
  readonly pseudonymKey?: secretsmanager.ISecret;
  /**
   * Revocation: a deny list checked after a token verifies, before the route's scopes.
   * @default - no revocation check
   */
  readonly denyList?: JwtAuthorizerDenyList;
}

/** The parts of the authorizer configuration and where they travel. */
interface CompiledConfig {
  /** Goes into `config.json` in the asset: never holds tokens. */
  readonly file: Omit<AuthorizerConfig, 'issuers'> & { issuers?: IssuerConfig[] };
  /** Goes into the environment variable: holds the issuers when they carry deploy-time tokens. */
  readonly environment?: { issuers: IssuerConfig[] };
}

/** Conservative lengths of CloudFormation pseudo parameters, for the environment size estimate. */
const PSEUDO_PARAMETER_LENGTHS: Readonly<Record<string, number>> = {
  'AWS::AccountId': 12,
  'AWS::Region': 16,
  'AWS::Partition': 10,
  'AWS::URLSuffix': 16,
  'AWS::StackName': 128,
  'AWS::StackId': 256,
  'AWS::NotificationARNs': 1024,
};
/** Any other deploy-time value counts this many bytes: the maximum length of a Cognito app client id. */
const TOKEN_LENGTH_ESTIMATE = 128;

/**
 * The Lambda JWT authorizer of a REST API: a function running the prebundled `node:crypto` verifier and the
 * REQUEST authorizer that API Gateway calls.
 *
 * The verifier's configuration is compiled at synth from the issuers and the route table:
 * routes and token-free issuers go into `config.json` inside the asset (content-hashed, so the asset and
 * the stage's deployment change whenever they do); issuers holding deploy-time tokens (a user pool id,
 * a client id) go into the `SECURE_API_AUTHORIZER_CONFIG` environment variable, which is checked against
 * Lambda's 4 KB limit for all variables together.
 *
 * The function's role may only write to the function's own log group; no managed policy is attached.
 *
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-use-lambda-authorizer.html
 */
export class JwtAuthorizer extends Construct {
  /** The authorizer function. */
  public readonly function: lambda.Function;
  /** The API Gateway REQUEST authorizer that invokes the function; protected methods name it as their `authorizer`. */
  public readonly requestAuthorizer: apigw.RequestAuthorizer;
  /** The function's log group (decision log). */
  public readonly logGroup: logs.LogGroup;
  /** The function's execution role: CloudWatch Logs write access to `logGroup` only. */
  public readonly role: iam.Role;
  /** How long API Gateway caches an answer; zero when caching is off. */
  public readonly resultsCacheTtl: Duration;
  /**
   * SHA-256 of the bundle and `config.json`, available as a token that resolves at synth.
   * Changes whenever the verifier code or its file configuration changes.
   */
  public readonly assetHash: string;
  /** The environment configuration (issuers with deploy-time tokens) as a token that resolves at synth. */
  public readonly environmentConfig: string;
  /** The secret keying the pseudonyms, with `logProfile: 'pseudonymous'`. */
  public readonly pseudonymKey?: secretsmanager.ISecret;
  /** What the logs keep about callers. */
  public readonly logProfile: LogProfile;

  private readonly issuers: TokenIssuer[] = [];
  private readonly vpcProps: Pick<JwtAuthorizerOptions, 'vpc' | 'vpcSubnets'>;
  private readonly routeTable = new Map<string, RouteConfig>();
  private readonly code = new LateBoundAssetCode();
  private readonly verification: Pick<AuthorizerConfig, 'clockSkewSeconds' | 'maxTokenAgeSeconds' | 'maxTokenLifetimeSeconds' | 'keys'>;
  private readonly dataProtection: Pick<AuthorizerConfig, 'logProfile' | 'pseudonymKey' | 'denyList'>;
  private compiled?: CompiledConfig;
  private stagedHash?: string;

  /**
   * @param scope the parent construct
   * @param id the construct id
   * @param props issuers, cache and function settings
   * @throws SecureApiValidationError when a setting is out of range
   */
  constructor(scope: Construct, id: string, props: JwtAuthorizerProps = {}) {
    super(scope, id);
    const defaults = SECURE_API_DEFAULTS.authorizer;
    const limits = SECURE_API_DEFAULTS.limits;

    this.resultsCacheTtl = props.resultsCacheTtl ?? SECURE_API_DEFAULTS.authorizerCacheTtl;
    validateDuration(this, 'resultsCacheTtl', this.resultsCacheTtl, { unit: 'seconds', max: limits.maxAuthorizerCacheTtl.toSeconds() });
    const clockSkewSeconds = validateDuration(this, 'clockSkew', props.clockSkew ?? defaults.clockSkew, {
      unit: 'seconds',
      max: limits.maxClockSkew.toSeconds(),
    });
    const maxTokenAgeSeconds = validateDuration(this, 'maxTokenAge', props.maxTokenAge, { unit: 'seconds', min: 1, max: limits.maxTokenAge.toSeconds() });
    const maxTokenLifetimeSeconds = validateDuration(this, 'maxTokenLifetime', props.maxTokenLifetime ?? defaults.maxTokenLifetime, {
      unit: 'seconds',
      min: 1,
      max: limits.maxTokenLifetime.toSeconds(),
    });
    const fetchTimeoutMs = validateDuration(this, 'keyFetchTimeout', props.keyFetchTimeout ?? defaults.keyFetchTimeout, {
      unit: 'milliseconds',
      min: limits.keyFetchTimeout.min.toMilliseconds(),
      max: limits.keyFetchTimeout.max.toMilliseconds(),
    });
    const maxAgeSeconds = validateDuration(this, 'keyMaxAge', props.keyMaxAge ?? defaults.keyMaxAge, {
      unit: 'seconds',
      min: limits.keyMaxAge.min.toSeconds(),
      max: limits.keyMaxAge.max.toSeconds(),
    });
    const cooldownSeconds = validateDuration(this, 'keyCooldown', props.keyCooldown ?? defaults.keyCooldown, {
      unit: 'seconds',
      min: limits.keyCooldown.min.toSeconds(),
      max: limits.keyCooldown.max.toSeconds(),
    });
    const graceSeconds = validateDuration(this, 'keyGracePeriod', props.keyGracePeriod ?? defaults.keyGracePeriod, {
      unit: 'seconds',
      min: limits.keyGracePeriod.min.toSeconds(),
      max: limits.keyGracePeriod.max.toSeconds(),
    });
    this.verification = {
      clockSkewSeconds,
      maxTokenAgeSeconds,
      maxTokenLifetimeSeconds,
      keys: { fetchTimeoutMs, maxAgeSeconds, cooldownSeconds, graceSeconds },
    };

    // A cold start may read the pseudonym key and the deny list too, each within its own timeout.
    const awsCallsMs = (props.denyList ? DENY_LIST_LIMITS.requestTimeoutMs : 0) + (props.logProfile === 'pseudonymous' ? PSEUDONYM_KEY_LIMITS.requestTimeoutMs : 0);
    const required = fetchTimeoutMs === undefined ? undefined : 2 * fetchTimeoutMs + limits.authorizerTimeoutMargin.toMilliseconds() + awsCallsMs;
    // Unless set, the timeout grows to cover those reads.
    const timeout =
      props.timeout ?? (required !== undefined && awsCallsMs > 0 && defaults.timeout.toMilliseconds() < required ? Duration.seconds(Math.ceil(required / 1000)) : defaults.timeout);
    const timeoutMs = validateDuration(this, 'timeout', timeout, { unit: 'milliseconds', min: 1000, max: 900_000 });
    if (timeoutMs !== undefined && required !== undefined && timeoutMs < required) {
      const reads = awsCallsMs > 0 ? `, the ${awsCallsMs} ms of the deny list's and the pseudonym key's reads` : '';
      throw new SecureApiValidationError(
        `'timeout' must be at least ${required} ms, twice 'keyFetchTimeout'${reads} plus a ${limits.authorizerTimeoutMargin.toMilliseconds()} ms margin, so a slow issuer fails closed before Lambda times out (received: ${timeoutMs})`,
        this,
      );
    }
    const memorySize = props.memorySize ?? defaults.memorySize;
    const memoryMiB = memorySize.isUnresolved() ? undefined : memorySize.toMebibytes({ rounding: SizeRoundingBehavior.NONE });
    if (memoryMiB !== undefined && (!Number.isInteger(memoryMiB) || memoryMiB < 128 || memoryMiB > 10240)) {
      throw new SecureApiValidationError(`'memorySize' must be a whole number of MiB from 128 to 10240 (received: ${memoryMiB})`, this);
    }
    const reserved = props.reservedConcurrentExecutions;
    if (reserved !== undefined && !Token.isUnresolved(reserved) && (!Number.isInteger(reserved) || reserved < 1)) {
      // Zero would throttle every invocation, and every request would fail with a 500.
      throw new SecureApiValidationError(`'reservedConcurrentExecutions' must be a whole number of at least 1 (received: ${reserved})`, this);
    }

    this.vpcProps = { vpc: props.vpc, vpcSubnets: props.vpcSubnets };
    this.logGroup = createAuditLogGroup(this, 'LogGroup', {
      retention: validateLogRetention(this, 'logRetention', props.logRetention) ?? SECURE_API_DEFAULTS.logRetention,
      removalPolicy: props.logRemovalPolicy ?? SECURE_API_DEFAULTS.logRemovalPolicy,
      encryptionKey: props.logEncryptionKey,
    });
    this.role = new iam.Role(this, 'ServiceRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `JWT authorizer: writes its decision log${props.denyList ? ', reads its deny list' : ''}${props.logProfile === 'pseudonymous' ? ', reads its pseudonym key' : ''}, nothing else`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new lambda.Function(this, 'Function', {
      description: 'Verifies OAuth 2.0 access tokens (JWT) and per-route scopes for API Gateway',
      code: this.code,
      handler: 'index.handler',
      // A fixed runtime rather than the variable NODEJS_LATEST: it changes only with the aws-cdk-lib in use.
      runtime: props.runtime === undefined ? newestNodeRuntime() : validateAuthorizerRuntime(this, props.runtime),
      architecture: lambda.Architecture.ARM_64,
      memorySize: memoryMiB ?? memorySize.toMebibytes(),
      timeout,
      role: this.role,
      logGroup: this.logGroup,
      tracing: props.tracing ?? defaults.tracing ? lambda.Tracing.ACTIVE : undefined,
      reservedConcurrentExecutions: reserved,
      ...this.vpcSettings(props),
    });

    this.logProfile = props.logProfile ?? 'full';
    if (!LOG_PROFILES.includes(this.logProfile)) {
      throw new SecureApiValidationError(`'logProfile' must be one of ${LOG_PROFILES.join(', ')} (received: ${describeValue(this.logProfile)})`, this);
    }
    if (props.pseudonymKey !== undefined && this.logProfile !== 'pseudonymous') {
      throw new SecureApiValidationError(`'pseudonymKey' is only used with logProfile 'pseudonymous' (received: logProfile ${describeValue(this.logProfile)})`, this);
    }
    if (this.logProfile === 'pseudonymous') {
      const key = props.pseudonymKey ?? this.createPseudonymKey(props.logRemovalPolicy ?? SECURE_API_DEFAULTS.logRemovalPolicy);
      this.pseudonymKey = key;
      // A secret known by a partial ARN (by name) matches its full ARN only with the six-character suffix.
      const arn = key.secretFullArn ?? `${key.secretArn}-??????`;
      this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [arn] }));
      key.encryptionKey?.grantDecrypt(this.role);
    }
    let denyList: DenyListConfig | undefined;
    if (props.denyList !== undefined) {
      const { table, refresh, whenUnavailable } = props.denyList;
      const { min, max } = CONFIG_LIMITS.denyListRefreshSeconds;
      const refreshSeconds = validateDuration(this, 'denyList.refresh', refresh, { unit: 'seconds', min, max });
      if (whenUnavailable !== undefined && whenUnavailable !== 'allow' && whenUnavailable !== 'deny') {
        throw new SecureApiValidationError(`'denyList.whenUnavailable' must be 'allow' or 'deny' (received: ${describeValue(whenUnavailable)})`, this);
      }
      this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['dynamodb:Scan'], resources: [table.tableArn] }));
      table.encryptionKey?.grant(this.role, 'kms:Decrypt');
      denyList = {
        tableName: table.tableName,
        // An imported table names its region in its ARN; a table of this app is in its stack's region.
        region: Token.isUnresolved(table.tableArn) ? Stack.of(table).region : (Arn.split(table.tableArn, ArnFormat.SLASH_RESOURCE_NAME).region ?? Stack.of(table).region),
        ...(refreshSeconds === undefined ? {} : { refreshSeconds }),
        ...(whenUnavailable === undefined ? {} : { whenUnavailable }),
      };
    }
    this.dataProtection = {
      ...(this.logProfile === 'full' ? {} : { logProfile: this.logProfile }),
      ...(this.pseudonymKey ? { pseudonymKey: { secretArn: this.pseudonymKey.secretArn } } : {}),
      ...(denyList ? { denyList } : {}),
    };

    acknowledgeSynchronousFunction(this.function, this.role, reserved, props.vpc !== undefined);
    if (props.tracing ?? defaults.tracing) {
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions; the role grants nothing else on *.',
      });
    }

    this.requestAuthorizer = new apigw.RequestAuthorizer(this, 'Authorizer', {
      handler: this.function,
      resultsCacheTtl: this.resultsCacheTtl,
      identitySources: [Lazy.string({ produce: () => this.identitySources().join(',') })],
    });

    for (const issuer of props.issuers ?? []) {
      this.addIssuer(issuer);
    }

    this.assetHash = Lazy.string({ produce: () => this.requireStagedHash() });
    this.environmentConfig = Lazy.string({ produce: () => this.environmentJson() ?? '' });

    // The asset is created in the prepare phase, once every route and issuer has been added.
    Aspects.of(this).add({ visit: (node) => (node === this ? this.materialize() : undefined) });
    Aspects.of(this).add(new ServiceInvokeSourceAccount());
    this.node.addValidation({ validate: () => this.validateAtSynth() });
  }

  /**
   * Trusts one more token issuer.
   *
   * @param issuer the issuer
   */
  public addIssuer(issuer: TokenIssuer): void {
    this.assertOpen('addIssuer');
    this.issuers.push(issuer);
  }

  /**
   * Declares a protected route and what a token needs to call it.
   *
   * @param route method, path, scopes and claim conditions
   * @throws SecureApiValidationError when the route is declared twice or holds tokens
   */
  public addRoute(route: RouteConfig): void {
    this.assertOpen('addRoute');
    const key = `${route.method} ${route.path}`;
    if (this.routeTable.has(key)) {
      throw new SecureApiValidationError(`'route' must be declared once (received: ${describeValue(key)} twice)`, this);
    }
    const normalized: RouteConfig = {
      method: route.method,
      path: route.path,
      scopes: [...new Set(route.scopes ?? [])].sort(),
      conditions: (route.conditions ?? []).map((condition) => ({ ...condition })),
    };
    if (containsTokens(normalized)) {
      throw new SecureApiValidationError(
        `'scopes' and 'conditions' must be literal strings, as they are compiled into the authorizer bundle (received: deploy-time tokens in ${describeValue(key)})`,
        this,
      );
    }
    this.routeTable.set(key, normalized);
  }

  /** The protected routes, sorted by path, then method, as they are compiled into `config.json`. */
  public get routes(): RouteConfig[] {
    return this.declaredRoutes.sort((a, b) => compare(a.path, b.path) || compare(a.method, b.method));
  }

  /** The same protected routes as `routes`, in the order they were declared. */
  public get declaredRoutes(): RouteConfig[] {
    return [...this.routeTable.values()];
  }

  /**
   * How API Gateway's cache key is scoped for the current route table (API Gateway reuses a cached answer on
   * every route called with the same identity source): `token` caches one
   * answer per token for all routes, `route` adds the method and resource path to the cache key.
   */
  public get cacheKeyScope(): CacheKeyScope {
    return cacheKeyScopeFor(this.routes);
  }

  /** The asset holding the bundle and `config.json`; created while the app synthesizes. */
  public get asset(): s3assets.Asset | undefined {
    return this.code.attachedAsset;
  }

  /**
   * The `config.json` text of the asset: as compiled at synth, or, before synthesis, as the routes and
   * issuers added so far would compile (without sealing them).
   */
  public get configJson(): string {
    return stableStringify((this.compiled ?? this.render()).file);
  }

  /**
   * Runs the runtime's own configuration parser over the compiled configuration, deploy-time tokens
   * replaced by placeholders, so a configuration the authorizer would refuse at cold start fails synthesis instead.
   */
  private runtimeCheck(): string[] {
    const compiled = this.compile();
    try {
      parseConfig(withTokenPlaceholders(withDeployTimeStandIns({ ...compiled.file, ...compiled.environment })));
      return [];
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ERR_CONFIG') {
        throw error;
      }
      return [`The authorizer configuration must pass the runtime's checks, or every cold start would fail (received: ${(error as Error).message})`];
    }
  }

  /** Creates the asset: called once, by the aspect, when the route table and issuers are complete. */
  private materialize(): void {
    if (this.code.attachedAsset !== undefined) {
      return;
    }
    const compiled = this.compile();
    const staged = stageAuthorizerAsset(compiled.file, locateAuthorizerBundle());
    this.stagedHash = staged.hash;
    this.code.attach(new s3assets.Asset(this, 'Code', { path: staged.directory, deployTime: true }));
    const environment = this.environmentJson();
    if (environment !== undefined) {
      this.function.addEnvironment(CONFIG_ENV_VAR, environment);
    }
    // Reviewers see the route table in the template (and in `securitySummary`), not only as an asset hash.
    (this.function.node.defaultChild as lambda.CfnFunction).addMetadata(ROUTES_METADATA_KEY, routesMetadata(compiled));
    if (compiled.file.routes.length > 0) {
      Annotations.of(this).addInfo(`cdk-secure-api: authorizer cache key scope '${compiled.file.cacheKeyScope}': ${cacheKeyScopeReason(compiled.file.routes)}`);
    }
  }

  /** Compiles the configuration once; afterwards routes and issuers can no longer change. */
  private compile(): CompiledConfig {
    this.compiled ??= this.render();
    return this.compiled;
  }

  private render(): CompiledConfig {
    const issuers = this.issuers.map((issuer) => issuer.bind(this));
    // Settings holding deploy-time values (a table's name, a secret's ARN) travel in the environment, so the
    // asset, and its hash, stay the same across deployments.
    const deployTime = Object.entries({ issuers, ...this.dataProtection }).filter(([, value]) => containsTokens(value));
    const literal = Object.entries(this.dataProtection).filter(([, value]) => !containsTokens(value));
    const file = {
      version: 1 as const,
      routes: this.routes,
      cacheKeyScope: this.cacheKeyScope,
      ...this.verification,
      ...Object.fromEntries(literal),
      ...(containsTokens(issuers) ? {} : { issuers }),
    };
    return { file, environment: deployTime.length > 0 ? (Object.fromEntries(deployTime) as CompiledConfig['environment']) : undefined };
  }

  /** The pseudonym key made when none is given: generated letters and digits, readable by this function's role only. */
  private createPseudonymKey(removalPolicy: RemovalPolicy): secretsmanager.Secret {
    const secret = new secretsmanager.Secret(this, 'PseudonymKey', {
      description: 'Keys the pseudonyms in the API audit logs (HMAC-SHA256); whoever reads it can join one subject\'s log lines',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy,
    });
    const notRotated =
      'The pseudonym key is not rotated on purpose: a new key makes new pseudonyms, so log lines written before and after a rotation would no longer join for an investigation.';
    Validations.of(secret).acknowledge(
      { id: 'AwsSolutions-SMG4', reason: notRotated },
      { id: 'NIST.800.53.R5-SecretsManagerRotationEnabled', reason: notRotated },
      {
        id: 'NIST.800.53.R5-SecretsManagerUsingKMSKey',
        reason: 'Secrets Manager encrypts the generated key with its AWS managed key; a secret under a customer-managed key is an explicit opt-in (pass it as pseudonymKey).',
      },
    );
    return secret;
  }

  private environmentJson(): string | undefined {
    const environment = this.compile().environment;
    return environment === undefined ? undefined : Stack.of(this).toJsonString(environment);
  }

  private identitySources(): string[] {
    const sources = [apigw.IdentitySource.header('Authorization')];
    if ((this.compiled?.file.cacheKeyScope ?? this.cacheKeyScope) === 'route') {
      sources.push(apigw.IdentitySource.context('httpMethod'), apigw.IdentitySource.context('resourcePath'));
    }
    return sources;
  }

  private requireStagedHash(): string {
    if (this.stagedHash === undefined) {
      throw new SecureApiValidationError('The authorizer asset hash is known once the app synthesizes (received: not yet synthesized)', this);
    }
    return this.stagedHash;
  }

  private assertOpen(operation: string): void {
    if (this.compiled !== undefined) {
      throw new SecureApiValidationError(
        `'${operation}' must be called before the app synthesizes: the authorizer configuration is already compiled (received: a late call)`,
        this,
      );
    }
  }

  /**
   * Every method of the app that uses this authorizer but is not in its route table. Once a token called a
   * declared route, a cached answer could otherwise cover such a method too (`GET/items/*` reaches
   * `GET /items/{id}/export`), and at runtime it could only fail: its access rules were never stated. A
   * method is declared by a route of its verb on the same resource (parameter names may differ), or by an
   * `ANY` route there, whose rules hold for every verb; an `ANY` method only by an `ANY` route.
   */
  private undeclaredMethods(): string[] {
    const declared = new Set(this.routes.map((route) => `${route.method} ${templateKey(route.path)}`));
    const stack = Stack.of(this);
    const ours = JSON.stringify(stack.resolve(this.requestAuthorizer.authorizerId));
    // Every method resource of the app, L2 `Method`s and L1 `CfnMethod`s made by hand alike.
    return this.node.root
      .node.findAll()
      .filter((child): child is apigw.CfnMethod => child instanceof apigw.CfnMethod)
      // The same token, or (a reference written out by hand) the same resolved value within this stack.
      .filter((cfn) => cfn.authorizerId === this.requestAuthorizer.authorizerId || (Stack.of(cfn) === stack && JSON.stringify(stack.resolve(cfn.authorizerId)) === ours))
      .flatMap((cfn) => {
        const httpMethod = String(stack.resolve(cfn.httpMethod));
        const path = methodPath(cfn);
        const template = path === undefined ? undefined : templateKey(path);
        if (template !== undefined && (declared.has(`${httpMethod} ${template}`) || (httpMethod !== 'ANY' && declared.has(`ANY ${template}`)))) {
          return [];
        }
        const shown = path ?? `(the resource of ${cfn.node.path}, whose path is not known at synth)`;
        return [
          `${httpMethod} ${shown} uses the JWT authorizer but is not in its route table: declare it with ` +
            `SecureApi.addRoute('${httpMethod} ${shown}', integration, { scopes }) or JwtAuthorizer.addRoute({ method: '${httpMethod}', path: '${shown}', scopes })`,
        ];
      })
      .sort();
  }

  /** The function's VPC settings: none without `vpc`; with it, the subnets and an HTTPS-only security group unless given. */
  private vpcSettings(props: JwtAuthorizerProps): Pick<lambda.FunctionProps, 'vpc' | 'vpcSubnets' | 'securityGroups'> {
    if (props.vpc === undefined) {
      const stray = props.vpcSubnets !== undefined ? 'vpcSubnets' : props.securityGroups !== undefined ? 'securityGroups' : undefined;
      if (stray !== undefined) {
        throw new SecureApiValidationError(`'${stray}' applies only with 'vpc' (received: '${stray}' without 'vpc')`, this);
      }
      return {};
    }
    if (props.securityGroups !== undefined && props.securityGroups.length === 0) {
      throw new SecureApiValidationError("'securityGroups' must hold at least one security group, or be left out for the HTTPS-only default (received: [])", this);
    }
    const securityGroups = props.securityGroups ?? [this.httpsOnlySecurityGroup(props.vpc)];
    return { vpc: props.vpc, vpcSubnets: props.vpcSubnets, securityGroups };
  }

  private httpsOnlySecurityGroup(vpc: ec2.IVpc): ec2.SecurityGroup {
    const group = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc,
      description: 'JWT authorizer: outbound HTTPS only (issuer keys, AWS APIs), no inbound',
      allowAllOutbound: false,
    });
    group.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to the issuers and AWS endpoints');
    return group;
  }

  /** Isolated subnets reach no JWKS endpoint: only issuers with static keys can work there. */
  private isolatedWithRemoteKeys(): string[] {
    const { vpc, vpcSubnets } = this.vpcProps;
    if (vpc === undefined) {
      return [];
    }
    const selected = vpc.selectSubnets(vpcSubnets);
    const isolated = new Set(vpc.isolatedSubnets.map((subnet) => subnet.subnetId));
    if (selected.subnets.length === 0 || !selected.subnets.every((subnet) => isolated.has(subnet.subnetId))) {
      return [];
    }
    const remote = this.issuers.map((issuer) => issuer.bind(this)).filter((issuer) => issuer.keys === undefined).map((issuer) => issuer.issuer);
    return remote.length === 0
      ? []
      : [
          `'vpcSubnets' must reach the issuers' key endpoints: isolated subnets have no egress, so give these issuers static 'keys' or use subnets with egress (received: isolated subnets and ${describeValue(remote)})`,
        ];
  }

  private validateAtSynth(): string[] {
    const errors: string[] = [...this.undeclaredMethods(), ...this.isolatedWithRemoteKeys()];
    if (this.issuers.length === 0) {
      errors.push("'issuers' must contain at least one token issuer (received: 0)");
    }
    if (this.issuers.length > 0) {
      errors.push(...this.runtimeCheck());
    }
    const stack = Stack.of(this);
    const cfnFunction = this.function.node.defaultChild as lambda.CfnFunction;
    const environment = stack.resolve(cfnFunction.environment) as { variables?: Record<string, unknown> } | undefined;
    const bytes = Object.entries(environment?.variables ?? {}).reduce(
      (sum, [name, value]) => sum + Buffer.byteLength(name) + estimateLength(value),
      0,
    );
    const limit = SECURE_API_DEFAULTS.limits.lambdaEnvironmentBytes;
    if (bytes > limit) {
      errors.push(
        `The authorizer's environment must fit Lambda's ${limit}-byte limit, counting each deploy-time value as up to ${TOKEN_LENGTH_ESTIMATE} bytes; issuers holding deploy-time tokens travel in ${CONFIG_ENV_VAR}: trust fewer issuers or client ids (received: an estimated ${bytes} bytes)`,
      );
    }
    return errors;
  }
}

/**
 * The resource path of a method: its L2 `Method`'s resource, or, for an L1 `CfnMethod`, the path spelled
 * by following its `ResourceId` up the `AWS::ApiGateway::Resource` chain of its stack to the API's root.
 * Undefined when the chain leaves the stack or is not made of literal path parts.
 */
function methodPath(cfn: apigw.CfnMethod): string | undefined {
  if (cfn.node.scope instanceof apigw.Method) {
    return cfn.node.scope.resource.path;
  }
  const stack = Stack.of(cfn);
  const byLogicalId = new Map<string, apigw.CfnResource>();
  for (const child of stack.node.findAll()) {
    if (child instanceof apigw.CfnResource) {
      byLogicalId.set(stack.resolve(child.logicalId) as string, child);
    }
  }
  const parts: string[] = [];
  let id = stack.resolve(cfn.resourceId) as { Ref?: unknown; 'Fn::GetAtt'?: unknown[] } | undefined;
  for (let depth = 0; depth <= byLogicalId.size; depth++) {
    if (Array.isArray(id?.['Fn::GetAtt']) && id['Fn::GetAtt'][1] === 'RootResourceId') {
      return `/${parts.join('/')}`;
    }
    const resource = typeof id?.Ref === 'string' ? byLogicalId.get(id.Ref) : undefined;
    const part = resource === undefined ? undefined : stack.resolve(resource.pathPart);
    if (typeof part !== 'string') {
      return undefined;
    }
    parts.unshift(part);
    id = stack.resolve(resource!.parentId) as typeof id;
  }
  return undefined;
}

/**
 * The key of the CloudFormation `Metadata` entry on the authorizer function that shows reviewers what the
 * authorizer enforces: routes with their scopes and claim conditions, the cache key scope, and the trusted
 * issuers. Values known only at deploy time (a user pool id, a client id) read `(deploy-time)`; static
 * public keys are not repeated (`keySource: 'keys'`). It holds nothing secret: the same facts are in the asset.
 */
export const ROUTES_METADATA_KEY = 'cdk-secure-api:routes';

const DEPLOY_TIME = '(deploy-time)';

/** The route table and issuers of a compiled configuration, as written into the function's metadata. */
function routesMetadata(compiled: CompiledConfig): Record<string, unknown> {
  const literal = (value: string): string => (Token.isUnresolved(value) ? DEPLOY_TIME : value);
  const issuers = (compiled.file.issuers ?? compiled.environment?.issuers ?? []).map((issuer) => ({
    kind: issuer.kind,
    issuer: literal(issuer.issuer),
    keySource: issuer.keys !== undefined ? 'keys' : issuer.discovery === true ? 'discovery' : issuer.jwksUri !== undefined ? literal(issuer.jwksUri) : 'issuer/.well-known/jwks.json',
    algorithms: issuer.algorithms ?? [...CONFIG_DEFAULTS.algorithms],
    ...(issuer.audiences === undefined ? {} : { audiences: issuer.audiences.map(literal) }),
    ...(issuer.audienceCheck === false ? { audienceCheck: false } : {}),
    ...(issuer.clientIds === undefined ? {} : { clientIds: issuer.clientIds.map(literal) }),
    ...(issuer.clientIdClaim === undefined ? {} : { clientIdClaim: issuer.clientIdClaim }),
    ...(issuer.requiredTyp === undefined ? {} : { requiredTyp: literal(issuer.requiredTyp) }),
  }));
  return {
    cacheKeyScope: compiled.file.cacheKeyScope ?? CONFIG_DEFAULTS.cacheKeyScope,
    routes: compiled.file.routes.map((route) => ({
      route: `${route.method} ${route.path}`,
      scopes: route.scopes ?? [],
      ...(route.conditions?.length ? { conditions: route.conditions } : {}),
    })),
    issuers,
  };
}

/** Replaces each token inside strings with a placeholder, keeping the literal parts (e.g. `https://`) around it. */
function withTokenPlaceholders(value: unknown): unknown {
  if (typeof value === 'string') {
    // Each distinct token gets its own placeholder, so two different deploy-time values never look like duplicates.
    return Token.isUnresolved(value)
      ? value.replace(/\$\{Token\[([^\]]*)\]\}/g, (_token, name: string) => `deploy-time-${name.replace(/[^A-Za-z0-9]+/g, '-')}`)
      : value;
  }
  if (Array.isArray(value)) {
    return value.map(withTokenPlaceholders);
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, member]) => [key, withTokenPlaceholders(member)]));
  }
  return value;
}

/**
 * A region or a secret ARN known at deploy time only cannot be checked at synth: valid stand-ins take their
 * place for the runtime's checks (CloudFormation resolves them to a real region and ARN).
 */
function withDeployTimeStandIns(config: Record<string, unknown>): Record<string, unknown> {
  const { denyList, pseudonymKey } = config as Pick<AuthorizerConfig, 'denyList' | 'pseudonymKey'>;
  return {
    ...config,
    ...(denyList && containsTokens(denyList.region) ? { denyList: { ...denyList, region: 'us-east-1' } } : {}),
    ...(pseudonymKey && containsTokens(pseudonymKey.secretArn) ? { pseudonymKey: { secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:deploy-time' } } : {}),
  };
}

function containsTokens(value: unknown): boolean {
  if (typeof value === 'string' || typeof value === 'number') {
    return Token.isUnresolved(value);
  }
  if (Array.isArray(value)) {
    return value.some(containsTokens);
  }
  if (value !== null && typeof value === 'object') {
    return Object.values(value).some(containsTokens);
  }
  return false;
}

/** Upper estimate of the deployed length of a resolved CloudFormation value. */
function estimateLength(value: unknown): number {
  if (typeof value === 'string') {
    return Buffer.byteLength(value);
  }
  if (typeof value === 'number' || typeof value === 'boolean') {
    return String(value).length;
  }
  if (Array.isArray(value)) {
    return value.reduce((sum: number, item) => sum + estimateLength(item), 0);
  }
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (Array.isArray(record['Fn::Join'])) {
      const [delimiter, parts] = record['Fn::Join'] as [string, unknown[]];
      return parts.reduce((sum: number, part) => sum + estimateLength(part), 0) + delimiter.length * Math.max(parts.length - 1, 0);
    }
    if (typeof record.Ref === 'string' && record.Ref in PSEUDO_PARAMETER_LENGTHS) {
      return PSEUDO_PARAMETER_LENGTHS[record.Ref] ?? 0;
    }
  }
  return TOKEN_LENGTH_ESTIMATE;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
