/**
 * Validation of the authorizer configuration ({@link AuthorizerConfig}), once, at cold start.
 *
 * Every error is a {@link ConfigError} whose message names the setting path, the rule and the value
 * received: `issuers[1].audiences: required for an 'oidc' issuer unless audienceCheck is false (received: undefined)`.
 * Unknown settings are refused at every level, so a typo can never silently switch a check off.
 *
 * The checks are written with a handful of small validators (object with known keys, bounded string,
 * bounded array, integer range) that produce every message in one place, so the bundled runtime stays small.
 */
import {
  type AuthorizerConfig,
  type ClaimCondition,
  type ClientIdClaim,
  type DenyListConfig,
  type DenyListWhenUnavailable,
  type LogProfile,
  type PseudonymKeyConfig,
  type IssuerConfig,
  type JwsAlgorithm,
  type KeyOptions,
  type PublicJwk,
  type RouteConfig,
  type RouteMethod,
} from './config-types';
import { ConfigError } from './errors';
import { itemAt } from './item-at';
import { findInexactRoutes, ROUTE_METHODS, routeKey, routePathProblem, templateKey } from './routes';

/** The algorithms an issuer may accept. */
export const SUPPORTED_ALGORITHMS: readonly JwsAlgorithm[] = Object.freeze([
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA',
] as JwsAlgorithm[]);

/** Defaults of the optional settings. */
export const CONFIG_DEFAULTS = Object.freeze({
  algorithms: Object.freeze(['RS256'] as JwsAlgorithm[]),
  clockSkewSeconds: 60,
  cacheKeyScope: 'token' as const,
  /** One day: Cognito's longest access-token validity. */
  maxTokenLifetimeSeconds: 86_400,
  /** RFC 9068 section 2.2: the client of an access token is `client_id`. */
  clientIdClaim: 'client_id' as const,
  keys: Object.freeze({ fetchTimeoutMs: 1500, maxAgeSeconds: 900, cooldownSeconds: 30, graceSeconds: 3600 }),
  logProfile: 'full' as const,
  denyList: Object.freeze({ refreshSeconds: 30, whenUnavailable: 'allow' as const }),
});

/** An inclusive range of an integer setting. */
export interface ConfigRange {
  readonly min: number;
  readonly max: number;
}

/** Size limits and ranges that keep a configuration (and the policies built from it) bounded. */
export const CONFIG_LIMITS = Object.freeze({
  issuers: 20,
  routes: 1000,
  clientIds: 100,
  audiences: 100,
  staticKeys: 100,
  scopesPerRoute: 50,
  conditionsPerRoute: 20,
  stringLength: 1024,
  /** Longest `requiredTyp` of an issuer. */
  requiredTypLength: 128,
  maxClockSkewSeconds: 300,
  /** One year. */
  maxTokenAgeSeconds: 31_536_000,
  /** One year. */
  maxTokenLifetimeSeconds: 31_536_000,
  /** Range of each key option (`keys`), in the order the settings are listed in messages. */
  keys: Object.freeze({
    fetchTimeoutMs: Object.freeze({ min: 100, max: 10_000 }),
    maxAgeSeconds: Object.freeze({ min: 60, max: 86_400 }),
    // At least 1 s: the cooldown is the floor of the refetch back-off, so 0 would let every request fetch.
    cooldownSeconds: Object.freeze({ min: 1, max: 3_600 }),
    graceSeconds: Object.freeze({ min: 0, max: 604_800 }),
  } satisfies Readonly<Record<keyof KeyOptions, ConfigRange>>),
  /**
   * Longest wait between two attempts to fetch the keys of a key set without usable keys, unless the
   * cooldown is longer: the ceiling of the back-off (five minutes).
   */
  maxKeyBackoffMs: 300_000,
  /** Range of `denyList.refreshSeconds`: at most five minutes, so a revocation takes effect within a bounded delay. */
  denyListRefreshSeconds: Object.freeze({ min: 1, max: 300 }),
});

/** The log profiles (`logProfile`). */
export const LOG_PROFILES: readonly LogProfile[] = Object.freeze(['full', 'minimal', 'pseudonymous'] as LogProfile[]);
/** The choices of `denyList.whenUnavailable`. */
export const DENY_LIST_WHEN_UNAVAILABLE: readonly DenyListWhenUnavailable[] = Object.freeze(['allow', 'deny'] as DenyListWhenUnavailable[]);

// eu-west-1, us-gov-west-1, cn-north-1, ap-southeast-2...
const AWS_REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;
// DynamoDB table names: 3 to 255 of letters, digits, '_', '-' and '.'.
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
// A Secrets Manager secret ARN (the partition's name, the region, the account, the name with its suffix).
const SECRET_ARN = /^arn:aws(?:-[a-z]+)*:secretsmanager:[a-z]{2}(?:-[a-z]+)+-\d{1,2}:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$/;

/** Whether a value is an AWS region name such as `eu-west-1`. */
export function isAwsRegion(value: unknown): value is string {
  return typeof value === 'string' && AWS_REGION.test(value);
}

/** Whether a value is a DynamoDB table name (3 to 255 of `A-Za-z0-9_.-`). */
export function isTableName(value: unknown): value is string {
  return typeof value === 'string' && TABLE_NAME.test(value);
}

/** Whether a value is the ARN of a Secrets Manager secret. */
export function isSecretArn(value: unknown): value is string {
  return typeof value === 'string' && SECRET_ARN.test(value);
}

/** The region of a Secrets Manager secret ARN that {@link isSecretArn} accepts. */
export const secretArnRegion = (arn: string): string => arn.split(':')[3] as string;

/**
 * Whether a value is an AWS endpoint the authorizer may sign requests for: `https://host[:port]`, or
 * `http://` on a loopback host (a local stage such as `secure-api serve`, or a test server: nothing leaves the
 * machine), without credentials, path, query or fragment (a signature covers the host; anything else would
 * not be sent).
 */
export function isAwsEndpoint(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > CONFIG_LIMITS.stringLength || /[\p{Cc}\s]/u.test(value) || !URL.canParse(value)) {
    return false;
  }
  const url = new URL(value);
  const scheme = url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.includes(url.hostname));
  return scheme && !url.username && !url.password && url.pathname === '/' && !url.search && !url.hash && !value.includes('#') && !value.includes('?');
}

/** JWK members that only private or symmetric keys carry: a configured or fetched key holding one is refused. */
export const PRIVATE_JWK_MEMBERS: readonly string[] = Object.freeze(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']);

/** Hosts that an issuer or key URL may reach over plain http (for tests). */
export const LOOPBACK_HOSTS: readonly string[] = Object.freeze(['localhost', '127.0.0.1', '[::1]']);

/** The members a configured public JWK may hold. */
export const JWK_MEMBERS: readonly string[] = Object.freeze(['kty', 'kid', 'use', 'alg', 'key_ops', 'n', 'e', 'crv', 'x', 'y']);
// RFC 6749 section 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
/** Claims an OIDC issuer may name its client with (`clientIdClaim`). */
export const CLIENT_ID_CLAIMS: readonly ClientIdClaim[] = Object.freeze(['client_id', 'azp', 'cid'] as ClientIdClaim[]);

/**
 * Whether a value is a scope token a route can require (RFC 6749 section 3.3: visible ASCII without space,
 * `"` or `\`) of at most {@link CONFIG_LIMITS}.stringLength characters.
 */
export function isScopeToken(value: unknown): value is string {
  return typeof value === 'string' && value.length <= CONFIG_LIMITS.stringLength && SCOPE_TOKEN.test(value);
}

// RFC 9110 media type: type "/" subtype, both tokens; the "application/" part is optional here.
const MEDIA_TYPE = /^[A-Za-z0-9!#$&^_.+-]+(\/[A-Za-z0-9!#$&^_.+-]+)?$/;

/**
 * Whether a value is an acceptable `requiredTyp` of an issuer: a media type such as `at+jwt` (RFC 9110,
 * the `application/` part optional) of at most {@link CONFIG_LIMITS}.requiredTypLength characters.
 */
export function isRequiredTyp(value: unknown): value is string {
  return typeof value === 'string' && value.length <= CONFIG_LIMITS.requiredTypLength && MEDIA_TYPE.test(value);
}
/** The curves a configured EC or OKP key may name. */
export const CURVES_BY_KTY: Readonly<Record<string, readonly string[]>> = Object.freeze({ EC: ['P-256', 'P-384', 'P-521'], OKP: ['Ed25519'] });

/** The key members a configured JWK of each key type must carry, as base64url strings. */
export const keyMembersOf = (kty: unknown): readonly string[] => (kty === 'RSA' ? ['n', 'e'] : kty === 'EC' ? ['x', 'y'] : ['x']);

/** A base64url string (no padding), as JWK key members are. */
export const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The known settings of each object of a configuration, in the order messages list them. */
export const CONFIG_SETTINGS = Object.freeze({
  top: Object.freeze(['version', 'issuers', 'routes', 'clockSkewSeconds', 'maxTokenAgeSeconds', 'maxTokenLifetimeSeconds', 'keys', 'cacheKeyScope', 'logProfile', 'pseudonymKey', 'denyList']),
  issuer: Object.freeze(['kind', 'issuer', 'algorithms', 'jwksUri', 'discovery', 'keys', 'clientIds', 'clientIdClaim', 'audiences', 'audienceCheck', 'requiredTyp']),
  route: Object.freeze(['method', 'path', 'scopes', 'conditions']),
  condition: Object.freeze(['claim', 'contains', 'equals']),
  pseudonymKey: Object.freeze(['secretArn']),
  denyList: Object.freeze(['tableName', 'region', 'refreshSeconds', 'whenUnavailable', 'endpoint']),
});
const URL_RULE = 'must be an https URL (http only for localhost or 127.0.0.1) without credentials';

/** Whether a value is a plain JSON-like object (not null, not an array, no exotic prototype). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return false;
  }
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Renders a received value for an error message: JSON, truncated, `undefined` spelled out. */
export function describeValue(value: unknown): string {
  if (value === undefined) {
    return 'undefined';
  }
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

/**
 * Whether a URL is acceptable for fetching keys or naming an issuer: https, or http to a loopback
 * host (for tests), no credentials, no fragment, no whitespace or control characters.
 */
export function isAcceptableUrl(value: string, allowQuery: boolean): boolean {
  // The URL parser silently drops tabs and newlines; an issuer is compared byte for byte, so refuse them.
  if (/[\p{Cc}\s#]/u.test(value) || !URL.canParse(value)) {
    return false;
  }
  const url = new URL(value);
  const loopback = LOOPBACK_HOSTS.includes(url.hostname);
  return (url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) && !url.username && !url.password && (allowQuery || !url.search);
}

function fail(path: string, rule: string, value: unknown): never {
  throw new ConfigError(`${path}: ${rule} (received: ${describeValue(value)})`);
}

/** An object whose keys are all known; `path` '' is the top level. */
function record(path: string, value: unknown, known: readonly string[]): Record<string, unknown> {
  if (!isPlainObject(value)) {
    fail(path, 'must be an object', value);
  }
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      fail(path ? `${path}.${key}` : key, `unknown setting; expected one of ${known.join(', ')}`, value[key]);
    }
  }
  return value;
}

function text(path: string, value: unknown, rule = 'must be a non-empty string'): string {
  if (typeof value !== 'string' || !value || value.length > CONFIG_LIMITS.stringLength) {
    fail(path, `${rule} of at most ${CONFIG_LIMITS.stringLength} characters`, value);
  }
  return value;
}

/** An array of at most `max` entries (at least one when `nonEmpty`), each parsed by `item`. */
function list<T>(path: string, value: unknown, nonEmpty: boolean, max: number, what: string, item: (path: string, value: unknown) => T): T[] {
  if (!Array.isArray(value) || (nonEmpty && !value.length) || value.length > max) {
    fail(path, `must be ${nonEmpty ? 'a non-empty' : 'an'} array of ${what}`, value);
  }
  return value.map((entry, i) => item(`${path}[${i}]`, entry));
}

const texts = (path: string, value: unknown, max: number): string[] => list(path, value, true, max, `at most ${max} strings`, (p, v) => text(p, v));

function integer(path: string, value: unknown, min: number, max: number, unit = 'seconds'): number {
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    fail(path, `must be an integer from ${min} to ${max} ${unit}`, value);
  }
  return value as number;
}

function boolean(path: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean') {
    fail(path, 'must be a boolean', value);
  }
}

/** Fails on the first value equal to an earlier one. */
function unique(values: readonly unknown[], report: (i: number, first: number) => never): void {
  values.forEach((value, i) => {
    const first = values.indexOf(value);
    if (first !== i) {
      report(i, first);
    }
  });
}

/** A copy without the undefined members, so the parsed configuration holds only what was set. */
export const defined = <T extends object>(value: T): T => Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;

function parseAlgorithm(path: string, alg: unknown): JwsAlgorithm {
  if (typeof alg === 'string' && /^(hs\d+|none)$/i.test(alg)) {
    fail(path, "HMAC and 'none' are never accepted: a public key must never serve as a shared secret", alg);
  }
  if (!SUPPORTED_ALGORITHMS.includes(alg as JwsAlgorithm)) {
    fail(path, `must be one of ${SUPPORTED_ALGORITHMS.join(', ')}`, alg);
  }
  return alg as JwsAlgorithm;
}

function parseStaticKey(path: string, value: unknown, algorithms: readonly JwsAlgorithm[]): PublicJwk {
  if (isPlainObject(value)) {
    const member = PRIVATE_JWK_MEMBERS.find((name) => Object.hasOwn(value, name));
    if (member) {
      // Never echo private key material into a log line.
      fail(`${path}.${member}`, 'private or symmetric key material must never be configured', '[redacted]');
    }
  }
  const jwk = record(path, value, JWK_MEMBERS);
  const { kty, use, alg, key_ops: ops, crv } = jwk;
  const at = (member: string): string => `${path}.${member}`;
  if (kty !== 'RSA' && kty !== 'EC' && kty !== 'OKP') {
    fail(at('kty'), 'must be RSA, EC or OKP', kty);
  }
  text(at('kid'), jwk.kid, 'required, because tokens without a kid are refused: a non-empty string');
  if (use !== undefined && use !== 'sig') {
    fail(at('use'), "must be 'sig' when present", use);
  }
  if (alg !== undefined && !algorithms.includes(alg as JwsAlgorithm)) {
    fail(at('alg'), `must be one of the issuer's algorithms (${algorithms.join(', ')}) when present`, alg);
  }
  if (ops !== undefined && !(Array.isArray(ops) && ops.includes('verify'))) {
    fail(at('key_ops'), "must include 'verify' when present", ops);
  }
  const curves = CURVES_BY_KTY[kty];
  if (curves && !curves.includes(crv as string)) {
    fail(at('crv'), `must be one of ${curves.join(', ')} for an ${kty} key`, crv);
  }
  for (const member of keyMembersOf(kty)) {
    if (typeof jwk[member] !== 'string' || !BASE64URL.test(jwk[member] as string)) {
      fail(at(member), `required for an ${kty} key: a base64url string`, jwk[member]);
    }
  }
  return configuredKey(jwk);
}

/** A copy of a checked static key holding only the members that describe its key type. */
export function configuredKey(jwk: Record<string, unknown>): PublicJwk {
  return defined(Object.fromEntries(['kty', 'kid', 'use', 'alg', 'key_ops', 'crv', ...keyMembersOf(jwk.kty)].map((member) => [member, structuredClone(jwk[member])]))) as PublicJwk;
}

function parseIssuer(path: string, value: unknown): IssuerConfig {
  const raw = record(path, value, CONFIG_SETTINGS.issuer);
  const at = (setting: string): string => `${path}.${setting}`;
  const { kind, discovery, jwksUri, keys, clientIds, clientIdClaim, audiences, audienceCheck, requiredTyp } = raw;
  const cognito = kind === 'cognito';
  if (!cognito && kind !== 'oidc') {
    fail(at('kind'), "must be 'cognito' or 'oidc'", kind);
  }
  const issuer = text(at('issuer'), raw.issuer);
  if (!isAcceptableUrl(issuer, false)) {
    fail(at('issuer'), `${URL_RULE}, query or fragment`, issuer);
  }
  const algorithms =
    raw.algorithms === undefined ? undefined : list(at('algorithms'), raw.algorithms, true, SUPPORTED_ALGORITHMS.length, SUPPORTED_ALGORITHMS.join(', '), parseAlgorithm);

  boolean(at('discovery'), discovery);
  const sources = Object.entries({ jwksUri, discovery: discovery || undefined, keys }).flatMap(([source, set]) => (set === undefined ? [] : [source]));
  if (sources.length > 1) {
    fail(path, 'must set exactly one key source of jwksUri, discovery or keys', sources);
  }
  if (!sources.length && !cognito) {
    fail(path, "an 'oidc' issuer needs a key source: jwksUri, discovery: true or keys", sources);
  }
  if (jwksUri !== undefined && !isAcceptableUrl(text(at('jwksUri'), jwksUri), true)) {
    fail(at('jwksUri'), `${URL_RULE} or fragment`, jwksUri);
  }
  let staticKeys: PublicJwk[] | undefined;
  if (keys !== undefined) {
    const effective = algorithms ?? CONFIG_DEFAULTS.algorithms;
    staticKeys = list(at('keys'), keys, true, CONFIG_LIMITS.staticKeys, `at most ${CONFIG_LIMITS.staticKeys} public JWKs`, (p, v) => parseStaticKey(p, v, effective));
    unique(
      staticKeys.map((jwk) => jwk.kid),
      (i, first) => fail(at(`keys[${i}].kid`), `duplicates ${at(`keys[${first}].kid`)}`, itemAt(staticKeys!, i).kid),
    );
  }

  const parsedClientIds = clientIds === undefined ? undefined : texts(at('clientIds'), clientIds, CONFIG_LIMITS.clientIds);
  if (cognito && !parsedClientIds) {
    fail(at('clientIds'), "required for a 'cognito' issuer: a non-empty array of app client ids", clientIds);
  }
  if (clientIdClaim !== undefined) {
    if (cognito) {
      fail(at('clientIdClaim'), "not used by a 'cognito' issuer: its tokens always carry client_id", clientIdClaim);
    }
    if (!CLIENT_ID_CLAIMS.includes(clientIdClaim as ClientIdClaim)) {
      fail(at('clientIdClaim'), `must be one of ${CLIENT_ID_CLAIMS.join(', ')}`, clientIdClaim);
    }
  }
  boolean(at('audienceCheck'), audienceCheck);
  let parsedAudiences: string[] | undefined;
  if (cognito) {
    if (audiences !== undefined) {
      fail(at('audiences'), "not used by a 'cognito' issuer: Cognito access tokens carry no aud; list app clients in clientIds", audiences);
    }
    if (audienceCheck !== undefined) {
      fail(at('audienceCheck'), "not used by a 'cognito' issuer: its tokens are checked by client_id", audienceCheck);
    }
  } else if (audienceCheck === false) {
    if (audiences !== undefined) {
      fail(at('audiences'), 'must be omitted when audienceCheck is false', audiences);
    }
  } else {
    if (audiences === undefined) {
      fail(at('audiences'), "required for an 'oidc' issuer unless audienceCheck is false", audiences);
    }
    parsedAudiences = texts(at('audiences'), audiences, CONFIG_LIMITS.audiences);
  }
  if (requiredTyp !== undefined && !isRequiredTyp(requiredTyp)) {
    fail(at('requiredTyp'), "must be a media type such as 'at+jwt'", requiredTyp);
  }

  return issuerConfig({
    kind,
    issuer,
    algorithms,
    jwksUri,
    discovery,
    keys: staticKeys,
    clientIds: parsedClientIds,
    clientIdClaim,
    audiences: parsedAudiences,
    audienceCheck,
    requiredTyp,
  } as IssuerConfig);
}

/**
 * The validated issuer as both validators return it: settings at their default left out (`discovery`
 * unless true, `audienceCheck` unless false), so the two produce identical configurations.
 * @param fields the validated settings
 */
export function issuerConfig(fields: IssuerConfig): IssuerConfig {
  return defined({
    ...fields,
    discovery: fields.discovery || undefined,
    audienceCheck: fields.audienceCheck === false ? false : undefined,
  } as IssuerConfig);
}

function parseCondition(path: string, value: unknown): ClaimCondition {
  const raw = record(path, value, CONFIG_SETTINGS.condition);
  const claim = text(`${path}.claim`, raw.claim);
  const operators = ['contains', 'equals'].filter((op) => raw[op] !== undefined);
  const [op] = operators;
  if (operators.length !== 1 || op === undefined) {
    fail(path, 'must set exactly one of contains or equals', raw);
  }
  return { claim, [op]: text(`${path}.${op}`, raw[op]) };
}

function parseRoute(path: string, value: unknown): RouteConfig {
  const raw = record(path, value, CONFIG_SETTINGS.route);
  const method = raw.method as RouteMethod;
  if (!ROUTE_METHODS.includes(method)) {
    fail(`${path}.method`, `must be one of ${ROUTE_METHODS.join(', ')}`, method);
  }
  if (typeof raw.path !== 'string') {
    fail(`${path}.path`, 'must be a string', raw.path);
  }
  const problem = routePathProblem(raw.path);
  if (problem) {
    fail(`${path}.path`, problem, raw.path);
  }
  const { scopesPerRoute, conditionsPerRoute } = CONFIG_LIMITS;
  const scopes = list(`${path}.scopes`, raw.scopes === undefined ? [] : raw.scopes, false, scopesPerRoute, `at most ${scopesPerRoute} scopes`, (p, scope) => {
    if (!isScopeToken(scope)) {
      fail(p, `must be a scope token (RFC 6749: visible ASCII without space, '"' or '\\')`, scope);
    }
    return scope;
  });
  const conditions = list(`${path}.conditions`, raw.conditions === undefined ? [] : raw.conditions, false, conditionsPerRoute, `at most ${conditionsPerRoute} conditions`, parseCondition);
  return { method, path: raw.path, scopes, conditions };
}

function parseDenyList(value: unknown): DenyListConfig {
  const raw = record('denyList', value, CONFIG_SETTINGS.denyList);
  if (!isTableName(raw.tableName)) {
    fail('denyList.tableName', 'must be a DynamoDB table name: 3 to 255 letters, digits, _, - or .', raw.tableName);
  }
  if (!isAwsRegion(raw.region)) {
    fail('denyList.region', "must be an AWS region such as 'eu-west-1'", raw.region);
  }
  const { min, max } = CONFIG_LIMITS.denyListRefreshSeconds;
  const refreshSeconds = raw.refreshSeconds === undefined ? undefined : integer('denyList.refreshSeconds', raw.refreshSeconds, min, max);
  const whenUnavailable = raw.whenUnavailable as DenyListWhenUnavailable | undefined;
  if (whenUnavailable !== undefined && !DENY_LIST_WHEN_UNAVAILABLE.includes(whenUnavailable)) {
    fail('denyList.whenUnavailable', `must be one of ${DENY_LIST_WHEN_UNAVAILABLE.join(', ')}`, whenUnavailable);
  }
  if (raw.endpoint !== undefined && !isAwsEndpoint(raw.endpoint)) {
    fail('denyList.endpoint', 'must be an https URL of a host (and port; http only for localhost, 127.0.0.1 or [::1]), without credentials, path, query or fragment', raw.endpoint);
  }
  return defined({ tableName: raw.tableName, region: raw.region, refreshSeconds, whenUnavailable, endpoint: raw.endpoint as string | undefined });
}

/** Freezes a value and everything it holds. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

const parsedConfigs = new WeakSet<object>();

/**
 * Validates a configuration and returns a deep-frozen copy holding only the known settings.
 * @param input the configuration, typically parsed JSON
 * @throws ConfigError naming the first bad setting, its rule and the value received
 */
export function parseConfig(input: unknown): AuthorizerConfig {
  if (parsedConfigs.has(input as object)) {
    // Already validated, deep-frozen output of this function: nothing can have changed.
    return input as AuthorizerConfig;
  }
  if (!isPlainObject(input)) {
    fail('configuration', 'must be a JSON object', input);
  }
  const raw = record('', input, CONFIG_SETTINGS.top);
  if (raw.version !== 1) {
    fail('version', 'must be 1', raw.version);
  }
  const { issuers: issuerLimit, routes: routeLimit } = CONFIG_LIMITS;
  const issuers = list('issuers', raw.issuers, true, issuerLimit, `at most ${issuerLimit} issuers`, parseIssuer);
  unique(
    issuers.map((issuer) => issuer.issuer),
    (i, first) => fail(`issuers[${i}].issuer`, `duplicates issuers[${first}].issuer`, itemAt(issuers, i).issuer),
  );

  const routes = deepFreeze(list('routes', raw.routes, false, routeLimit, `at most ${routeLimit} routes`, parseRoute));
  // Parameter names do not change which requests a route receives: `/a/{id}` and `/a/{name}` are one resource.
  unique(
    routes.map((route) => `${route.method} ${templateKey(route.path)}`),
    (i, first) => fail(`routes[${i}]`, `duplicates routes[${first}] (${routeKey(itemAt(routes, first))})`, routeKey(itemAt(routes, i))),
  );

  const optionalInteger = (name: string, min: number, max: number): number | undefined => (raw[name] === undefined ? undefined : integer(name, raw[name], min, max));
  const clockSkewSeconds = optionalInteger('clockSkewSeconds', 0, CONFIG_LIMITS.maxClockSkewSeconds);
  const maxTokenAgeSeconds = optionalInteger('maxTokenAgeSeconds', 1, CONFIG_LIMITS.maxTokenAgeSeconds);
  const maxTokenLifetimeSeconds = optionalInteger('maxTokenLifetimeSeconds', 1, CONFIG_LIMITS.maxTokenLifetimeSeconds);
  let keys: KeyOptions | undefined;
  if (raw.keys !== undefined) {
    const options = record('keys', raw.keys, Object.keys(CONFIG_LIMITS.keys));
    keys = defined(
      Object.fromEntries(
        Object.entries(CONFIG_LIMITS.keys).map(([name, { min, max }]) => [
          name,
          options[name] === undefined ? undefined : integer(`keys.${name}`, options[name], min, max, name.endsWith('Ms') ? 'milliseconds' : 'seconds'),
        ]),
      ),
    );
  }

  const cacheKeyScope = raw.cacheKeyScope as AuthorizerConfig['cacheKeyScope'];
  if (cacheKeyScope !== undefined && cacheKeyScope !== 'token' && cacheKeyScope !== 'route') {
    fail('cacheKeyScope', "must be 'token' or 'route'", cacheKeyScope);
  }
  const witness = cacheKeyScope === 'route' ? undefined : findInexactRoutes(routes);
  if (witness) {
    const [r, q, qPrime] = witness.map((i) => routeKey(itemAt(routes, i)));
    fail(
      'cacheKeyScope',
      `'token' cannot answer every route exactly: the ARN pattern of ${r} matches paths of ${q} and the ARN pattern of ${qPrime} matches paths of ${r}; use 'route'`,
      cacheKeyScope,
    );
  }

  const logProfile = raw.logProfile as LogProfile | undefined;
  if (logProfile !== undefined && !LOG_PROFILES.includes(logProfile)) {
    fail('logProfile', `must be one of ${LOG_PROFILES.join(', ')}`, logProfile);
  }
  let pseudonymKey: PseudonymKeyConfig | undefined;
  if (logProfile === 'pseudonymous') {
    if (raw.pseudonymKey === undefined) {
      fail('pseudonymKey', "required when logProfile is 'pseudonymous'", raw.pseudonymKey);
    }
    const key = record('pseudonymKey', raw.pseudonymKey, CONFIG_SETTINGS.pseudonymKey);
    if (!isSecretArn(key.secretArn)) {
      fail('pseudonymKey.secretArn', 'must be the ARN of a Secrets Manager secret', key.secretArn);
    }
    pseudonymKey = { secretArn: key.secretArn };
  } else if (raw.pseudonymKey !== undefined) {
    fail('pseudonymKey', "only used when logProfile is 'pseudonymous'", raw.pseudonymKey);
  }
  const denyList = raw.denyList === undefined ? undefined : parseDenyList(raw.denyList);

  const config = deepFreeze(
    defined({ version: 1, issuers, routes, clockSkewSeconds, maxTokenAgeSeconds, maxTokenLifetimeSeconds, keys, cacheKeyScope, logProfile, pseudonymKey, denyList } as AuthorizerConfig),
  );
  parsedConfigs.add(config);
  return config;
}

/**
 * Parses one configuration source (`config.json` or the environment variable) as a JSON object.
 * @param source the name of the source, for the error message
 * @param json its text
 * @throws ConfigError when the text is not JSON or not an object
 */
export function parseJsonObject(source: string, json: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (cause) {
    throw new ConfigError(`${source}: must be valid JSON (${(cause as Error).message})`, { cause });
  }
  if (!isPlainObject(value)) {
    throw new ConfigError(`${source}: must be a JSON object`);
  }
  return value;
}

/**
 * Merges the two configuration sources as the authorizer does at cold start: the environment variable's
 * top-level keys over `config.json`'s. The CLI's report reads a synthesized template through this too.
 * Spread copies own data properties only, so a `"__proto__"` key stays an ordinary key, which validation refuses.
 * @param fileConfig `config.json`, parsed, when present
 * @param environmentConfig the configuration environment variable, parsed, when set
 * @returns the merged, not yet validated configuration
 */
export function mergeConfigSources(
  fileConfig: Readonly<Record<string, unknown>> | undefined,
  environmentConfig: Readonly<Record<string, unknown>> | undefined,
): Record<string, unknown> {
  return { ...fileConfig, ...environmentConfig };
}
