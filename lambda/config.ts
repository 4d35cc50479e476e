/**
 * Validation of the authorizer configuration ({@link AuthorizerConfig}), once, at cold start.
 *
 * Every error is a {@link ConfigError} whose message names the setting path, the rule and the value
 * received: `issuers[1].audiences: required for an 'oidc' issuer unless audienceCheck is false (received: undefined)`.
 * Unknown settings are refused at every level, so a typo can never silently switch a check off.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CONFIG_ENV_VAR,
  CONFIG_FILE_NAME,
  type AuthorizerConfig,
  type ClaimCondition,
  type IssuerConfig,
  type JwsAlgorithm,
  type KeyOptions,
  type PublicJwk,
  type RouteConfig,
  type RouteMethod,
} from './config-types';
import { ConfigError } from './errors';
import { findInexactRoutes, parseRoutePath, ROUTE_METHODS, routeKey, routePathProblem } from './routes';

/** The algorithms an issuer may accept. */
export const SUPPORTED_ALGORITHMS: readonly JwsAlgorithm[] = Object.freeze([
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA',
] as JwsAlgorithm[]);

/** Defaults of the optional settings. */
export const CONFIG_DEFAULTS = Object.freeze({
  algorithms: Object.freeze(['RS256'] as JwsAlgorithm[]),
  clockSkewSeconds: 60,
  cacheKeyScope: 'token' as const,
  keys: Object.freeze({ fetchTimeoutMs: 1500, maxAgeSeconds: 900, cooldownSeconds: 30, graceSeconds: 3600 }),
});

/** Size limits that keep a configuration (and the policies built from it) bounded. */
export const CONFIG_LIMITS = Object.freeze({
  issuers: 20,
  routes: 1000,
  clientIds: 100,
  audiences: 100,
  staticKeys: 100,
  scopesPerRoute: 50,
  conditionsPerRoute: 20,
  stringLength: 1024,
  maxClockSkewSeconds: 300,
});

const TOP_LEVEL_KEYS = ['version', 'issuers', 'routes', 'clockSkewSeconds', 'maxTokenAgeSeconds', 'keys', 'cacheKeyScope'];
const ISSUER_KEYS = ['kind', 'issuer', 'algorithms', 'jwksUri', 'discovery', 'keys', 'clientIds', 'audiences', 'audienceCheck', 'requiredTyp'];
const ROUTE_KEYS = ['method', 'path', 'scopes', 'conditions'];
const CONDITION_KEYS = ['claim', 'contains', 'equals'];
const KEY_OPTION_KEYS = ['fetchTimeoutMs', 'maxAgeSeconds', 'cooldownSeconds', 'graceSeconds'];
const JWK_MEMBERS = ['kty', 'kid', 'use', 'alg', 'key_ops', 'n', 'e', 'crv', 'x', 'y'];
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const KEY_OPTION_RANGES: Record<keyof KeyOptions, readonly [number, number]> = {
  fetchTimeoutMs: [100, 10_000],
  maxAgeSeconds: [60, 86_400],
  cooldownSeconds: [0, 3_600],
  graceSeconds: [0, 604_800],
};
// RFC 6749 section 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
// RFC 9110 media type: type "/" subtype, both tokens; the "application/" part is optional here.
const MEDIA_TYPE = /^[A-Za-z0-9!#$&^_.+-]+(\/[A-Za-z0-9!#$&^_.+-]+)?$/;
const CURVES_BY_KTY: Record<string, readonly string[]> = { EC: ['P-256', 'P-384', 'P-521'], OKP: ['Ed25519'] };

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

function fail(path: string, rule: string, value: unknown): never {
  throw new ConfigError(`${path}: ${rule} (received: ${describeValue(value)})`);
}

function checkKnownKeys(path: string, value: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      fail(path === '' ? key : `${path}.${key}`, `unknown setting; expected one of ${known.join(', ')}`, value[key]);
    }
  }
}

function objectAt(path: string, value: unknown): Record<string, unknown> {
  if (!isPlainObject(value)) {
    fail(path, 'must be an object', value);
  }
  return value;
}

function boundedString(path: string, value: unknown, rule = 'must be a non-empty string'): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > CONFIG_LIMITS.stringLength) {
    fail(path, `${rule} of at most ${CONFIG_LIMITS.stringLength} characters`, value);
  }
  return value;
}

function stringArray(path: string, value: unknown, max: number, item: (path: string, value: unknown) => string): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > max) {
    fail(path, `must be a non-empty array of at most ${max} strings`, value);
  }
  return value.map((entry, i) => item(`${path}[${i}]`, entry));
}

function integerIn(path: string, value: unknown, min: number, max: number, unit: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(path, `must be an integer from ${min} to ${max} ${unit}`, value);
  }
  return value;
}

function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]';
}

/**
 * Whether a URL is acceptable for fetching keys or naming an issuer: https, or http to a loopback
 * host (for tests), no credentials, no fragment, no whitespace or control characters.
 */
export function isAcceptableUrl(value: string, allowQuery: boolean): boolean {
  // The URL parser silently drops tabs and newlines; an issuer is compared byte for byte, so refuse them.
  if (/[\p{Cc}\s]/u.test(value)) {
    return false;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  const schemeOk = url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
  return schemeOk && url.username === '' && url.password === '' && url.hash === '' && !value.includes('#') && (allowQuery || url.search === '');
}

const HTTPS_RULE = 'must be an https URL (http only for localhost or 127.0.0.1) without credentials or fragment';

function parseAlgorithms(path: string, value: unknown): JwsAlgorithm[] | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (!Array.isArray(value) || value.length === 0 || value.length > SUPPORTED_ALGORITHMS.length) {
    fail(path, `must be a non-empty array of ${SUPPORTED_ALGORITHMS.join(', ')}`, value);
  }
  return value.map((alg, i) => {
    if (typeof alg === 'string' && (/^HS\d+$/i.test(alg) || alg.toLowerCase() === 'none')) {
      fail(`${path}[${i}]`, "HMAC and 'none' are never accepted: a public key must never serve as a shared secret", alg);
    }
    if (!SUPPORTED_ALGORITHMS.includes(alg as JwsAlgorithm)) {
      fail(`${path}[${i}]`, `must be one of ${SUPPORTED_ALGORITHMS.join(', ')}`, alg);
    }
    return alg as JwsAlgorithm;
  });
}

function parseStaticKey(path: string, value: unknown, algorithms: readonly JwsAlgorithm[]): PublicJwk {
  const jwk = objectAt(path, value);
  for (const member of PRIVATE_JWK_MEMBERS) {
    if (Object.hasOwn(jwk, member)) {
      // Never echo private key material into a log line.
      fail(`${path}.${member}`, 'private or symmetric key material must never be configured', '[redacted]');
    }
  }
  checkKnownKeys(path, jwk, JWK_MEMBERS);
  const kty = jwk.kty;
  if (kty !== 'RSA' && kty !== 'EC' && kty !== 'OKP') {
    fail(`${path}.kty`, 'must be RSA, EC or OKP', kty);
  }
  const kid = boundedString(`${path}.kid`, jwk.kid, 'required, because tokens without a kid are refused: a non-empty string');
  if (jwk.use !== undefined && jwk.use !== 'sig') {
    fail(`${path}.use`, "must be 'sig' when present", jwk.use);
  }
  if (jwk.alg !== undefined && !algorithms.includes(jwk.alg as JwsAlgorithm)) {
    fail(`${path}.alg`, `must be one of the issuer's algorithms (${algorithms.join(', ')}) when present`, jwk.alg);
  }
  if (jwk.key_ops !== undefined && (!Array.isArray(jwk.key_ops) || !jwk.key_ops.includes('verify'))) {
    fail(`${path}.key_ops`, "must include 'verify' when present", jwk.key_ops);
  }
  const members = kty === 'RSA' ? ['n', 'e'] : kty === 'EC' ? ['x', 'y'] : ['x'];
  if (kty !== 'RSA' && !CURVES_BY_KTY[kty].includes(jwk.crv as string)) {
    fail(`${path}.crv`, `must be one of ${CURVES_BY_KTY[kty].join(', ')} for an ${kty} key`, jwk.crv);
  }
  for (const member of members) {
    if (typeof jwk[member] !== 'string' || !/^[A-Za-z0-9_-]+$/.test(jwk[member] as string)) {
      fail(`${path}.${member}`, `required for an ${kty} key: a base64url string`, jwk[member]);
    }
  }
  const copy: Record<string, unknown> = { kty, kid };
  for (const member of ['use', 'alg', 'key_ops', 'crv', ...members]) {
    if (jwk[member] !== undefined) {
      copy[member] = Array.isArray(jwk[member]) ? [...(jwk[member] as unknown[])] : jwk[member];
    }
  }
  return copy as unknown as PublicJwk;
}

function parseIssuer(path: string, value: unknown): IssuerConfig {
  const raw = objectAt(path, value);
  checkKnownKeys(path, raw, ISSUER_KEYS);
  const kind = raw.kind;
  if (kind !== 'cognito' && kind !== 'oidc') {
    fail(`${path}.kind`, "must be 'cognito' or 'oidc'", kind);
  }
  const issuer = boundedString(`${path}.issuer`, raw.issuer);
  if (!isAcceptableUrl(issuer, false)) {
    fail(`${path}.issuer`, 'must be an https URL (http only for localhost or 127.0.0.1) without credentials, query or fragment', issuer);
  }
  const algorithms = parseAlgorithms(`${path}.algorithms`, raw.algorithms);
  const effectiveAlgorithms = algorithms ?? CONFIG_DEFAULTS.algorithms;

  if (raw.discovery !== undefined && typeof raw.discovery !== 'boolean') {
    fail(`${path}.discovery`, 'must be a boolean', raw.discovery);
  }
  const sources = (['jwksUri', 'discovery', 'keys'] as const).filter((key) => (key === 'discovery' ? raw.discovery === true : raw[key] !== undefined));
  if (sources.length > 1) {
    fail(path, 'must set exactly one key source of jwksUri, discovery or keys', sources);
  }
  if (sources.length === 0 && kind === 'oidc') {
    fail(path, "an 'oidc' issuer needs a key source: jwksUri, discovery: true or keys", []);
  }
  let jwksUri: string | undefined;
  if (raw.jwksUri !== undefined) {
    jwksUri = boundedString(`${path}.jwksUri`, raw.jwksUri);
    if (!isAcceptableUrl(jwksUri, true)) {
      fail(`${path}.jwksUri`, HTTPS_RULE, jwksUri);
    }
  }
  let keys: PublicJwk[] | undefined;
  if (raw.keys !== undefined) {
    if (!Array.isArray(raw.keys) || raw.keys.length === 0 || raw.keys.length > CONFIG_LIMITS.staticKeys) {
      fail(`${path}.keys`, `must be a non-empty array of at most ${CONFIG_LIMITS.staticKeys} public JWKs`, raw.keys);
    }
    keys = raw.keys.map((jwk, i) => parseStaticKey(`${path}.keys[${i}]`, jwk, effectiveAlgorithms));
    keys.forEach((jwk, i) => {
      const first = keys!.findIndex((other) => other.kid === jwk.kid);
      if (first !== i) {
        fail(`${path}.keys[${i}].kid`, `duplicates ${path}.keys[${first}].kid`, jwk.kid);
      }
    });
  }

  const clientIds = raw.clientIds === undefined ? undefined : stringArray(`${path}.clientIds`, raw.clientIds, CONFIG_LIMITS.clientIds, (p, v) => boundedString(p, v));
  if (kind === 'cognito' && clientIds === undefined) {
    fail(`${path}.clientIds`, "required for a 'cognito' issuer: a non-empty array of app client ids", raw.clientIds);
  }
  if (raw.audienceCheck !== undefined && typeof raw.audienceCheck !== 'boolean') {
    fail(`${path}.audienceCheck`, 'must be a boolean', raw.audienceCheck);
  }
  if (kind === 'cognito' && raw.audiences !== undefined) {
    fail(`${path}.audiences`, "not used by a 'cognito' issuer: Cognito access tokens carry no aud; list app clients in clientIds", raw.audiences);
  }
  if (kind === 'cognito' && raw.audienceCheck !== undefined) {
    fail(`${path}.audienceCheck`, "not used by a 'cognito' issuer: its tokens are checked by client_id", raw.audienceCheck);
  }
  let audiences: string[] | undefined;
  if (kind === 'oidc') {
    if (raw.audienceCheck === false && raw.audiences !== undefined) {
      fail(`${path}.audiences`, 'must be omitted when audienceCheck is false', raw.audiences);
    }
    if (raw.audienceCheck !== false) {
      if (raw.audiences === undefined) {
        fail(`${path}.audiences`, "required for an 'oidc' issuer unless audienceCheck is false", raw.audiences);
      }
      audiences = stringArray(`${path}.audiences`, raw.audiences, CONFIG_LIMITS.audiences, (p, v) => boundedString(p, v));
    }
  }
  let requiredTyp: string | undefined;
  if (raw.requiredTyp !== undefined) {
    if (typeof raw.requiredTyp !== 'string' || raw.requiredTyp.length > 128 || !MEDIA_TYPE.test(raw.requiredTyp)) {
      fail(`${path}.requiredTyp`, "must be a media type such as 'at+jwt'", raw.requiredTyp);
    }
    requiredTyp = raw.requiredTyp;
  }

  return {
    kind,
    issuer,
    ...(algorithms && { algorithms }),
    ...(jwksUri !== undefined && { jwksUri }),
    ...(raw.discovery === true && { discovery: true }),
    ...(keys && { keys }),
    ...(clientIds && { clientIds }),
    ...(audiences && { audiences }),
    ...(raw.audienceCheck === false && { audienceCheck: false }),
    ...(requiredTyp !== undefined && { requiredTyp }),
  };
}

function parseCondition(path: string, value: unknown): ClaimCondition {
  const raw = objectAt(path, value);
  checkKnownKeys(path, raw, CONDITION_KEYS);
  const claim = boundedString(`${path}.claim`, raw.claim);
  const operators = (['contains', 'equals'] as const).filter((op) => raw[op] !== undefined);
  if (operators.length !== 1) {
    fail(path, 'must set exactly one of contains or equals', raw);
  }
  const op = operators[0];
  const operand = boundedString(`${path}.${op}`, raw[op]);
  return op === 'contains' ? { claim, contains: operand } : { claim, equals: operand };
}

function parseRoute(path: string, value: unknown): RouteConfig {
  const raw = objectAt(path, value);
  checkKnownKeys(path, raw, ROUTE_KEYS);
  if (!ROUTE_METHODS.includes(raw.method as RouteMethod)) {
    fail(`${path}.method`, `must be one of ${ROUTE_METHODS.join(', ')}`, raw.method);
  }
  if (typeof raw.path !== 'string') {
    fail(`${path}.path`, 'must be a string', raw.path);
  }
  const problem = routePathProblem(raw.path);
  if (problem !== undefined) {
    fail(`${path}.path`, problem, raw.path);
  }
  let scopes: string[] = [];
  if (raw.scopes !== undefined) {
    if (!Array.isArray(raw.scopes) || raw.scopes.length > CONFIG_LIMITS.scopesPerRoute) {
      fail(`${path}.scopes`, `must be an array of at most ${CONFIG_LIMITS.scopesPerRoute} scopes`, raw.scopes);
    }
    scopes = raw.scopes.map((scope, i) => {
      if (typeof scope !== 'string' || scope.length > CONFIG_LIMITS.stringLength || !SCOPE_TOKEN.test(scope)) {
        fail(`${path}.scopes[${i}]`, `must be a scope token (RFC 6749: visible ASCII without space, '"' or '\\')`, scope);
      }
      return scope;
    });
  }
  let conditions: ClaimCondition[] = [];
  if (raw.conditions !== undefined) {
    if (!Array.isArray(raw.conditions) || raw.conditions.length > CONFIG_LIMITS.conditionsPerRoute) {
      fail(`${path}.conditions`, `must be an array of at most ${CONFIG_LIMITS.conditionsPerRoute} conditions`, raw.conditions);
    }
    conditions = raw.conditions.map((condition, i) => parseCondition(`${path}.conditions[${i}]`, condition));
  }
  return { method: raw.method as RouteMethod, path: raw.path, scopes, conditions };
}

function parseKeyOptions(value: unknown): KeyOptions | undefined {
  if (value === undefined) {
    return undefined;
  }
  const raw = objectAt('keys', value);
  checkKnownKeys('keys', raw, KEY_OPTION_KEYS);
  const options: Record<string, number> = {};
  for (const key of KEY_OPTION_KEYS as (keyof KeyOptions)[]) {
    if (raw[key] !== undefined) {
      const [min, max] = KEY_OPTION_RANGES[key];
      options[key] = integerIn(`keys.${key}`, raw[key], min, max, key === 'fetchTimeoutMs' ? 'milliseconds' : 'seconds');
    }
  }
  return options;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

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
  checkKnownKeys('', input, TOP_LEVEL_KEYS);
  if (input.version !== 1) {
    fail('version', 'must be 1', input.version);
  }

  if (!Array.isArray(input.issuers) || input.issuers.length === 0 || input.issuers.length > CONFIG_LIMITS.issuers) {
    fail('issuers', `must be a non-empty array of at most ${CONFIG_LIMITS.issuers} issuers`, input.issuers);
  }
  const issuers = input.issuers.map((issuer, i) => parseIssuer(`issuers[${i}]`, issuer));
  issuers.forEach((issuer, i) => {
    const first = issuers.findIndex((other) => other.issuer === issuer.issuer);
    if (first !== i) {
      fail(`issuers[${i}].issuer`, `duplicates issuers[${first}].issuer`, issuer.issuer);
    }
  });

  if (!Array.isArray(input.routes) || input.routes.length > CONFIG_LIMITS.routes) {
    fail('routes', `must be an array of at most ${CONFIG_LIMITS.routes} routes`, input.routes);
  }
  const routes = deepFreeze(input.routes.map((route, i) => parseRoute(`routes[${i}]`, route)));
  const seen = new Map<string, number>();
  routes.forEach((route, i) => {
    const shape = `${route.method} ${parseRoutePath(route.path)
      .map((s) => (s.kind === 'literal' ? s.value : s.kind === 'param' ? '{}' : '{+}'))
      .join('/')}`;
    const first = seen.get(shape);
    if (first !== undefined) {
      fail(`routes[${i}]`, `duplicates routes[${first}] (${routeKey(routes[first])})`, routeKey(route));
    }
    seen.set(shape, i);
  });

  let clockSkewSeconds: number | undefined;
  if (input.clockSkewSeconds !== undefined) {
    clockSkewSeconds = integerIn('clockSkewSeconds', input.clockSkewSeconds, 0, CONFIG_LIMITS.maxClockSkewSeconds, 'seconds');
  }
  let maxTokenAgeSeconds: number | undefined;
  if (input.maxTokenAgeSeconds !== undefined) {
    maxTokenAgeSeconds = integerIn('maxTokenAgeSeconds', input.maxTokenAgeSeconds, 1, 31_536_000, 'seconds');
  }
  const keys = parseKeyOptions(input.keys);

  if (input.cacheKeyScope !== undefined && input.cacheKeyScope !== 'token' && input.cacheKeyScope !== 'route') {
    fail('cacheKeyScope', "must be 'token' or 'route'", input.cacheKeyScope);
  }
  const cacheKeyScope = input.cacheKeyScope;
  if (cacheKeyScope !== 'route') {
    const witness = findInexactRoutes(routes);
    if (witness) {
      const [r, q, qPrime] = witness.map((i) => routeKey(routes[i]));
      fail(
        'cacheKeyScope',
        `'token' cannot answer every route exactly: the ARN pattern of ${r} matches paths of ${q} and the ARN pattern of ${qPrime} matches paths of ${r}; use 'route'`,
        cacheKeyScope,
      );
    }
  }

  const config: AuthorizerConfig = deepFreeze({
    version: 1 as const,
    issuers,
    routes,
    ...(clockSkewSeconds !== undefined && { clockSkewSeconds }),
    ...(maxTokenAgeSeconds !== undefined && { maxTokenAgeSeconds }),
    ...(keys && { keys }),
    ...(cacheKeyScope !== undefined && { cacheKeyScope }),
  });
  parsedConfigs.add(config);
  return config;
}

const parsedConfigs = new WeakSet<object>();

function parseJsonObject(source: string, text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(`${source}: must be valid JSON (${(cause as Error).message})`, { cause });
  }
  if (!isPlainObject(value)) {
    fail(source, 'must be a JSON object', value);
  }
  return value;
}

/**
 * Loads the configuration the way the deployed authorizer receives it: `config.json` in `dir` (if
 * present) and the {@link CONFIG_ENV_VAR} environment variable (if set), merged by top-level key with
 * the environment winning, then validated with {@link parseConfig}.
 * @param env the environment, usually `process.env`
 * @param dir the folder holding `config.json`, usually the bundle's `__dirname`
 * @throws ConfigError when neither source exists, one is not a JSON object, or validation fails
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>, dir: string): AuthorizerConfig {
  const file = join(dir, CONFIG_FILE_NAME);
  let fileText: string | undefined;
  try {
    fileText = readFileSync(file, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ConfigError(`${CONFIG_FILE_NAME}: cannot be read (${(cause as NodeJS.ErrnoException).code ?? 'unknown error'})`, { cause });
    }
  }
  const envText = env[CONFIG_ENV_VAR];
  if (fileText === undefined && (envText === undefined || envText === '')) {
    throw new ConfigError(`configuration: none found: neither ${file} nor the ${CONFIG_ENV_VAR} environment variable is set`);
  }
  const fromFile = fileText === undefined ? {} : parseJsonObject(CONFIG_FILE_NAME, fileText);
  const fromEnv = envText === undefined || envText === '' ? {} : parseJsonObject(CONFIG_ENV_VAR, envText);
  // Spread copies own data properties only (a "__proto__" key stays an ordinary, refused key).
  return parseConfig({ ...fromFile, ...fromEnv });
}
