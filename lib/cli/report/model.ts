/**
 * The security report's model: who may call which route (the access matrix), the WAF rules in front of
 * the API, where logs go and how long they stay, and which cdk-nag rules were acknowledged, with the
 * reasons given. Built by {@link buildStackReport} from a synthesized cloud assembly alone.
 */
import type { IssuerConfig } from '../../../lambda/contract';
import type { FunctionUrlReport, HttpApiReport, StandardRuleReport } from './standard';

/** Throttling that applies to one route of one stage. */
export interface RouteThrottling {
  /** The stage name. */
  readonly stage: string;
  /** Steady-state requests per second. @default - the account's limit */
  readonly rateLimit?: number;
  /** Burst bucket size. @default - the account's limit */
  readonly burstLimit?: number;
  /** `method` when a setting for this very route applies, `stage` for the stage-wide `/*` setting, `account` when none does. */
  readonly source: 'method' | 'stage' | 'account';
}

/** One row of the access matrix. */
export interface AccessRow {
  /** The HTTP method (`ANY` rows are expanded per method of the authorizer's route table). */
  readonly method: string;
  /** The resource path, e.g. `/items/{id}`. */
  readonly path: string;
  /** `public` when API Gateway lets anyone call it, `protected` otherwise. */
  readonly access: 'public' | 'protected';
  /** Who decides: `none`, `Lambda authorizer <id>`, `Cognito authorizer <id>`, `IAM`. */
  readonly authorization: string;
  /** Scopes the token must all hold. */
  readonly scopes: readonly string[];
  /** Claim conditions, in words, e.g. `cognito:groups contains admin`. */
  readonly conditions: readonly string[];
  /** Whether an API key is required too. */
  readonly apiKeyRequired: boolean;
  /** The throttling per stage. */
  readonly throttling: readonly RouteThrottling[];
  /** What serves the route, e.g. `Lambda ItemsFunction1234`. */
  readonly backend: string;
  /** What a reviewer should know, e.g. that the authorizer's route table lacks the route. */
  readonly notes: readonly string[];
  /** The JSON schema the method's request validator checks a JSON body against, when it validates bodies. */
  readonly requestBodySchema?: unknown;
}

/** An API Gateway authorizer. */
export interface AuthorizerReport {
  /** Logical id of the `AWS::ApiGateway::Authorizer`. */
  readonly logicalId: string;
  /** `TOKEN`, `REQUEST` or `COGNITO_USER_POOLS`. */
  readonly type: string;
  /** Identity sources, e.g. `method.request.header.Authorization`. */
  readonly identitySource?: string;
  /** How long API Gateway caches an answer, in seconds (API Gateway's default is 300). */
  readonly cacheTtlSeconds: number;
  /** Logical id of the Lambda function, for Lambda authorizers. */
  readonly functionLogicalId?: string;
  /** Where the configuration was read from, or why it could not be. */
  readonly configSource: string;
  /** The trusted issuers, if the configuration names them without deploy-time tokens. */
  readonly issuers: readonly Pick<IssuerConfig, 'kind' | 'issuer' | 'algorithms'>[];
  /** `token` or `route` (see `CacheKeyScope`), if configured. */
  readonly cacheKeyScope?: string;
  /** Why the route table gets that cache key scope (for `route`: the routes whose patterns overlap), if known. */
  readonly cacheKeyScopeReason?: string;
}

/** A REST API stage. */
export interface StageReport {
  /** Logical id of the `AWS::ApiGateway::Stage`. */
  readonly logicalId: string;
  /** The stage name, e.g. `prod`. */
  readonly stageName: string;
  /** Logical id (or ARN) of the access log destination. */
  readonly accessLogDestination?: string;
  /** Execution logging level of the stage-wide setting: `OFF`, `ERROR` or `INFO`. */
  readonly loggingLevel?: string;
  /** Whether full requests and responses go to the execution log. */
  readonly dataTraceEnabled: boolean;
  /** Whether X-Ray tracing is on. */
  readonly tracingEnabled: boolean;
  /** Logical ids of the web ACLs associated with the stage. */
  readonly webAcls: readonly string[];
}

/** A REST API. */
export interface ApiReport {
  /** Logical id of the `AWS::ApiGateway::RestApi`. */
  readonly logicalId: string;
  /** The API name. */
  readonly name: string;
  /** The stages. */
  readonly stages: readonly StageReport[];
  /** The authorizers. */
  readonly authorizers: readonly AuthorizerReport[];
  /** The access matrix, sorted by path, then method. */
  readonly routes: readonly AccessRow[];
}

/** One rule of a web ACL. */
export interface WafRuleReport {
  /** Evaluation order, lowest first. */
  readonly priority: number;
  /** The rule name. */
  readonly name: string;
  /** What the rule matches, in words. */
  readonly statement: string;
  /** What happens on a match. */
  readonly action: string;
}

/** An `AWS::WAFv2::WebACL`. */
export interface WebAclReport {
  /** Logical id. */
  readonly logicalId: string;
  /** The web ACL name, if set. */
  readonly name?: string;
  /** `REGIONAL` or `CLOUDFRONT`. */
  readonly scope: string;
  /** `Allow` or `Block`. */
  readonly defaultAction: string;
  /** The rules, by priority. */
  readonly rules: readonly WafRuleReport[];
  /** What it protects, e.g. `stage prod (ApiDeploymentStageprod1234)`. */
  readonly associatedWith: readonly string[];
  /** Where its logs go, if logging is configured. */
  readonly logDestinations: readonly string[];
  /** Fields redacted from its logs, e.g. `header authorization`. */
  readonly redactedFields: readonly string[];
  /** The largest body in bytes its rules let through (a Block of a body size constraint), when one limits it. */
  readonly maxBodySize?: number;
}

/** A log group. */
export interface LogGroupReport {
  /** Logical id. */
  readonly logicalId: string;
  /** The log group name, with deploy-time values as `${LogicalId}`; generated when absent. */
  readonly name?: string;
  /** Retention in days; absent means the logs never expire. */
  readonly retentionDays?: number;
  /** The KMS key, as a logical id or ARN; absent means CloudWatch Logs' own encryption. */
  readonly kmsKey?: string;
  /** `Retain`, `Delete` or `Snapshot`; CloudFormation deletes when absent. */
  readonly deletionPolicy?: string;
  /** What writes to or reads from it. */
  readonly usedBy: readonly string[];
}

/** One log of a REST API, as data protection sees it. */
export interface PersonalDataLogReport {
  /** `access`, `decision` (the authorizer's log), `waf` or `execution`. */
  readonly kind: 'access' | 'decision' | 'waf' | 'execution';
  /** The stage the log belongs to; absent for the decision log, which serves every stage. */
  readonly stage?: string;
  /** The personal data the log holds, e.g. `IP address`, `sub`, `principal (pseudonym of sub)`; empty when none. */
  readonly personalFields: readonly string[];
  /** Where the personal fields were read: the access log format, the authorizer's `logProfile`, the stage's logging level... */
  readonly source: string;
  /** What else a reviewer should know, e.g. that only blocked requests are logged. */
  readonly notes: readonly string[];
  /** Logical id of the log group, when it is in this stack. */
  readonly logGroup?: string;
  /** Retention in days; absent means the log never expires (or the group is not in this stack). */
  readonly retentionDays?: number;
  /** The KMS key, as a logical id or ARN; absent means CloudWatch Logs' own encryption. */
  readonly kmsKey?: string;
  /** `Retain`, `Delete` or `Snapshot`; CloudFormation deletes when absent. */
  readonly deletionPolicy?: string;
}

/** The data-protection view of one REST API. */
export interface ApiDataProtectionReport {
  /** The API name. */
  readonly api: string;
  /** Logical id of the `AWS::ApiGateway::RestApi`. */
  readonly logicalId: string;
  /** The log profile of its authorizer's configuration (`full` when it names none), if known. */
  readonly logProfile?: string;
  /** Its logs: access, decision, WAF and execution. */
  readonly logs: readonly PersonalDataLogReport[];
  /** Logical ids of the deny-list tables its authorizer reads. */
  readonly denyLists: readonly string[];
}

/** A deny-list table (emergency revocation). */
export interface DenyListReport {
  /** Logical id of the `AWS::DynamoDB::Table`. */
  readonly logicalId: string;
  /** The table name, when fixed. */
  readonly name?: string;
  /** The personal data its entries can hold. */
  readonly personalFields: readonly string[];
  /** The TTL attribute after which DynamoDB deletes an entry, if any. */
  readonly timeToLiveAttribute?: string;
  /** How the table is encrypted at rest: `AWS owned key`, `AWS managed key (aws/dynamodb)` or `KMS <key>`. */
  readonly encryption: string;
  /** Whether point-in-time recovery is on (its backups keep deleted entries for up to 35 days). */
  readonly pointInTimeRecovery: boolean;
  /** `Retain`, `Delete` or `Snapshot`; CloudFormation deletes when absent. */
  readonly deletionPolicy?: string;
}

/** One acknowledged rule and the reason given. */
export interface AcknowledgementReport {
  /** The rule id, e.g. `AwsSolutions-COG4`. */
  readonly rule: string;
  /** The reason recorded with the acknowledgement. */
  readonly reason: string;
  /** Where it applies: construct paths, or logical ids when only the template records it. */
  readonly scopes: readonly string[];
}

/** The report for one stack. */
export interface StackReport {
  /** The CloudFormation stack name. */
  readonly stackName: string;
  /** The REST APIs. */
  readonly apis: readonly ApiReport[];
  /** The web ACLs. */
  readonly webAcls: readonly WebAclReport[];
  /** The log groups. */
  readonly logGroups: readonly LogGroupReport[];
  /** Lambda functions that log to an implicit `/aws/lambda/...` group, which never expires. */
  readonly functionsWithImplicitLogGroups: readonly string[];
  /** The acknowledged rules. */
  readonly acknowledgements: readonly AcknowledgementReport[];
  /** Per REST API, the personal data of each log, its retention, key and removal policy. */
  readonly dataProtection: readonly ApiDataProtectionReport[];
  /** The deny-list tables. */
  readonly denyLists: readonly DenyListReport[];
  /** The HTTP and WebSocket APIs, each route with its authorization. */
  readonly httpApis: readonly HttpApiReport[];
  /** The Lambda function URLs. */
  readonly functionUrls: readonly FunctionUrlReport[];
  /** Every rule of the API standard: pass, fail, or acknowledged with its reason, per resource. */
  readonly standard: readonly StandardRuleReport[];
}
