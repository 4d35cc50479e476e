/**
 * The authorizer's configuration wire format (version 1).
 *
 * This module is the contract between the constructs in `lib/` (which compile the route table and
 * issuers at synth) and the runtime in `lambda/` (which validates it once at cold start). It holds
 * types only, so `lib/` may import it without pulling runtime code or `jose` into the CDK app.
 *
 * Delivery: the runtime reads two sources and merges their top-level keys, the environment winning:
 * 1. `config.json` next to the bundle (`__dirname/config.json`), if present: written by the construct
 *    into the asset at synth. It carries what can outgrow the 4 KB Lambda environment (routes,
 *    static keys) and must not contain CloudFormation tokens.
 * 2. The `SECURE_API_AUTHORIZER_CONFIG` environment variable, if set: a JSON object. It carries what
 *    holds deploy-time tokens (issuer URLs with a user pool id, client ids).
 *
 * Every field name is stable: renaming one is a breaking change of the asset contract.
 */

/** Name of the environment variable that carries (part of) the configuration. */
export const CONFIG_ENV_VAR = 'SECURE_API_AUTHORIZER_CONFIG';
/** Name of the file, next to the bundle, that carries (part of) the configuration. */
export const CONFIG_FILE_NAME = 'config.json';

/** JWS algorithms the authorizer can be configured to accept. Never `none`, never HMAC. */
export type JwsAlgorithm = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA';

/** HTTP methods of a route; `ANY` matches every method. */
export type RouteMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS' | 'ANY';

/** A public JWK as served in a JWKS document (only public members are allowed). */
export interface PublicJwk {
  readonly kty: string;
  readonly kid?: string;
  readonly use?: string;
  readonly alg?: string;
  readonly key_ops?: string[];
  readonly n?: string;
  readonly e?: string;
  readonly crv?: string;
  readonly x?: string;
  readonly y?: string;
  readonly [member: string]: unknown;
}

/** One trusted token issuer. */
export interface IssuerConfig {
  /**
   * `cognito`: an Amazon Cognito user pool. Tokens must carry `token_use: "access"` and a `client_id`
   * from `clientIds` (Cognito access tokens have no `aud`).
   * `oidc`: any OAuth 2.0 / OIDC issuer. `aud` must match `audiences` unless `audienceCheck` is false.
   */
  readonly kind: 'cognito' | 'oidc';
  /** Exact issuer (`iss`) value, compared byte for byte, e.g. `https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC`. */
  readonly issuer: string;
  /** Accepted algorithms. @default ['RS256'] */
  readonly algorithms?: JwsAlgorithm[];
  /** Key source, exactly one of: `jwksUri`, `discovery: true` (issuer + `/.well-known/openid-configuration`), or `keys`. For `cognito` the default is `issuer + '/.well-known/jwks.json'`. */
  readonly jwksUri?: string;
  readonly discovery?: boolean;
  readonly keys?: PublicJwk[];
  /** Cognito: allowed `client_id` values (required, non-empty). OIDC: optional extra check of the client claim (see `clientIdClaim`). */
  readonly clientIds?: string[];
  /**
   * OIDC: the claim that names the client, required on every token (RFC 9068 section 2.2 names `client_id`).
   * `azp` for issuers that put the client there instead (Microsoft Entra ID), `cid` for Okta. Not used by a
   * `cognito` issuer, whose tokens always carry `client_id`. @default 'client_id'
   */
  readonly clientIdClaim?: ClientIdClaim;
  /** OIDC: accepted `aud` values (any one must match). Required unless `audienceCheck` is false. */
  readonly audiences?: string[];
  /** OIDC: set false to explicitly switch the audience check off. @default true */
  readonly audienceCheck?: boolean;
  /**
   * Required JOSE `typ` header, e.g. `at+jwt` (RFC 9068). Compared case-insensitively, `application/` prefix optional.
   * @default - no `typ`, `JWT` or `at+jwt` (RFC 8725 section 3.11): other kinds of JWT (`dpop+jwt`, `logout+jwt`...) are refused
   */
  readonly requiredTyp?: string;
}

/** Claims an OIDC issuer may name its client with: see {@link IssuerConfig.clientIdClaim}. */
export type ClientIdClaim = 'client_id' | 'azp' | 'cid';

/** A condition on a claim, in addition to scopes. */
export interface ClaimCondition {
  /** Claim name, e.g. `cognito:groups`. */
  readonly claim: string;
  /** The claim (a string, or an array of strings, or a space-separated string for `scope` and `scp`) must contain this value. */
  readonly contains?: string;
  /** The claim must equal this string exactly. */
  readonly equals?: string;
}

/** One protected route. Public routes never reach the authorizer and are not listed. */
export interface RouteConfig {
  /** HTTP method, or `ANY`. */
  readonly method: RouteMethod;
  /** API Gateway resource path: starts with `/`, segments may be `{param}`, the last may be `{proxy+}`. */
  readonly path: string;
  /** Scopes the token must hold, all of them (exact, case-sensitive). @default [] */
  readonly scopes?: string[];
  /** Claim conditions that must all hold. @default [] */
  readonly conditions?: ClaimCondition[];
}

/** Key-set behaviour. */
export interface KeyOptions {
  /** Timeout of one JWKS/discovery fetch, in milliseconds. @default 1500 */
  readonly fetchTimeoutMs?: number;
  /** Keys older than this are refetched before use, in seconds. @default 900 */
  readonly maxAgeSeconds?: number;
  /**
   * After a fetch for an unknown `kid`, no new fetch for this long, in seconds (1..3600); also the shortest
   * wait between attempts while the keys cannot be fetched (the back-off doubles from it up to 5 minutes).
   * @default 30
   */
  readonly cooldownSeconds?: number;
  /** When a refresh fails, keys fetched less than this long ago keep working, in seconds. @default 3600 */
  readonly graceSeconds?: number;
}

/** The whole configuration. */
export interface AuthorizerConfig {
  readonly version: 1;
  readonly issuers: IssuerConfig[];
  readonly routes: RouteConfig[];
  /** Allowed clock skew for `exp`, `nbf`, `iat`, in seconds (0..300). @default 60 */
  readonly clockSkewSeconds?: number;
  /** Maximum token age from `iat`, in seconds. @default - not checked */
  readonly maxTokenAgeSeconds?: number;
  /**
   * Maximum token lifetime `exp - iat`, in seconds (1..31536000): a token minted to live longer is refused,
   * whatever its age. @default 86400 (one day, Cognito's longest access-token validity)
   */
  readonly maxTokenLifetimeSeconds?: number;
  readonly keys?: KeyOptions;
  /** See {@link CacheKeyScope}. @default 'token' */
  readonly cacheKeyScope?: CacheKeyScope;
  /** What the decision log (and the principal) keeps about callers; see {@link LogProfile}. @default 'full' */
  readonly logProfile?: LogProfile;
  /** The key of the pseudonyms: required when `logProfile` is `pseudonymous`, refused otherwise. */
  readonly pseudonymKey?: PseudonymKeyConfig;
  /** The deny list checked after a token verifies. @default - no revocation check */
  readonly denyList?: DenyListConfig;
}

/**
 * What the audit logs keep about callers.
 * `full`: the route, `sub`, the client id and the scopes.
 * `minimal`: no concrete path (the matched route template, or null when none matched); keeps `sub` and the client id.
 * `pseudonymous`: `minimal`, with `sub` and the client id written as keyed pseudonyms (`pseudonym.ts`), and
 * the principal (which the access log records) the pseudonym of `sub`.
 */
export type LogProfile = 'full' | 'minimal' | 'pseudonymous';

/** Where the key of the pseudonyms is read, once per cold start. */
export interface PseudonymKeyConfig {
  /** ARN of the Secrets Manager secret whose `SecretString` (its UTF-8 bytes) is the HMAC key. */
  readonly secretArn: string;
}

/** What a request meets while the deny list has never been read: see {@link DenyListConfig.whenUnavailable}. */
export type DenyListWhenUnavailable = 'allow' | 'deny';

/** The deny list: a DynamoDB table read whole into memory and refreshed (see `deny-list.ts`). */
export interface DenyListConfig {
  /** The table's name. */
  readonly tableName: string;
  /** The table's region, e.g. `eu-west-1`. */
  readonly region: string;
  /** The snapshot in memory is read again when older than this, in seconds (1..300). @default 30 */
  readonly refreshSeconds?: number;
  /**
   * With no snapshot read yet and the table unreadable: `allow` lets verified tokens through (and logs
   * `deny list unavailable` once per attempt), `deny` refuses every token (`DENY_LIST_UNAVAILABLE`). A
   * snapshot once read stays in force while the table cannot be read. @default 'allow'
   */
  readonly whenUnavailable?: DenyListWhenUnavailable;
  /** The DynamoDB endpoint: `https://host[:port]` (a VPC endpoint), or `http://` on a loopback host (a local stage, a test server). @default - the regional endpoint */
  readonly endpoint?: string;
}

/**
 * How API Gateway's authorizer cache key is scoped, decided at synth from the route table.
 * `token`: identity source is the Authorization header only; the answer is a policy covering every route
 * (Allow for the routes the token may call, Deny for the rest), so one cached answer serves all routes.
 * `route`: identity source also holds `context.httpMethod` and `context.resourcePath`, because some route
 * patterns overlap in a way no single IAM policy can express exactly; the answer covers the called route only.
 */
export type CacheKeyScope = 'token' | 'route';
