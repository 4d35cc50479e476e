/**
 * The lean validation the bundled authorizer runs at cold start. It refuses every configuration that
 * {@link parseConfig} refuses, and returns the same deep-frozen copy of every configuration it accepts, but
 * its messages name the setting path only: the constructs run the full validator at synth, which names the
 * rule and the value received, so the bundle does not carry those texts. Unknown settings are refused at
 * every level; no value is ever echoed (a private key member is refused by its name alone).
 */
import type { AuthorizerConfig, ClientIdClaim, DenyListConfig, DenyListWhenUnavailable, IssuerConfig, JwsAlgorithm, LogProfile, PublicJwk, RouteConfig, RouteMethod } from './config-types';
import {
  BASE64URL,
  CLIENT_ID_CLAIMS,
  CONFIG_DEFAULTS,
  CONFIG_LIMITS,
  CONFIG_SETTINGS,
  configuredKey,
  CURVES_BY_KTY,
  deepFreeze,
  defined,
  DENY_LIST_WHEN_UNAVAILABLE,
  isAwsEndpoint,
  isAwsRegion,
  isSecretArn,
  isTableName,
  LOG_PROFILES,
  issuerConfig,
  isAcceptableUrl,
  isPlainObject,
  isRequiredTyp,
  isScopeToken,
  JWK_MEMBERS,
  keyMembersOf,
  SUPPORTED_ALGORITHMS,
} from './config';
import { ConfigError } from './errors';
import { findInexactRoutes, isRoutePath, ROUTE_METHODS, templateKey } from './routes';

/** Refuses at `path` unless `ok`. */
function check(ok: boolean, path: string): void {
  if (!ok) {
    throw new ConfigError(`${path}: invalid setting`);
  }
}

/** An object whose keys are all in `known`. */
function known(path: string, value: unknown, names: readonly string[]): Record<string, unknown> {
  check(isPlainObject(value), path || 'configuration');
  for (const key of Object.keys(value as object)) {
    check(names.includes(key), path ? `${path}.${key}` : key);
  }
  return value as Record<string, unknown>;
}

/** A non-empty string of at most {@link CONFIG_LIMITS}.stringLength characters. */
function text(path: string, value: unknown): string {
  check(typeof value === 'string' && value !== '' && value.length <= CONFIG_LIMITS.stringLength, path);
  return value as string;
}

/** An array of `min` to `max` entries, each parsed by `item`. */
function list<T>(path: string, value: unknown, min: number, max: number, item: (path: string, value: unknown) => T): T[] {
  check(Array.isArray(value) && value.length >= min && value.length <= max, path);
  return (value as unknown[]).map((entry, i) => item(`${path}[${i}]`, entry));
}

const texts = (path: string, value: unknown, max: number): string[] => list(path, value, 1, max, text);

/** Refuses at the first value equal to an earlier one, naming it with `path(i)`. */
function distinct(values: readonly unknown[], path: (i: number) => string): void {
  values.forEach((value, i) => check(values.indexOf(value) === i, path(i)));
}

function optionalInteger(path: string, value: unknown, min: number, max: number): number | undefined {
  check(value === undefined || (Number.isInteger(value) && (value as number) >= min && (value as number) <= max), path);
  return value as number | undefined;
}

const optionalBoolean = (path: string, value: unknown): void => check(value === undefined || typeof value === 'boolean', path);

function staticKey(path: string, value: unknown, algorithms: readonly JwsAlgorithm[]): PublicJwk {
  const jwk = known(path, value, JWK_MEMBERS);
  const { kty, use, alg, key_ops: ops, crv } = jwk;
  const at = (member: string): string => `${path}.${member}`;
  check(kty === 'RSA' || kty === 'EC' || kty === 'OKP', at('kty'));
  text(at('kid'), jwk.kid);
  check(use === undefined || use === 'sig', at('use'));
  check(alg === undefined || algorithms.includes(alg as JwsAlgorithm), at('alg'));
  check(ops === undefined || (Array.isArray(ops) && ops.includes('verify')), at('key_ops'));
  const curves = CURVES_BY_KTY[kty as string];
  check(!curves || curves.includes(crv as string), at('crv'));
  for (const member of keyMembersOf(kty)) {
    check(typeof jwk[member] === 'string' && BASE64URL.test(jwk[member] as string), at(member));
  }
  return configuredKey(jwk);
}

function issuer(path: string, value: unknown): IssuerConfig {
  const raw = known(path, value, CONFIG_SETTINGS.issuer);
  const at = (setting: string): string => `${path}.${setting}`;
  const { kind, discovery, jwksUri, keys, clientIds, clientIdClaim, audiences, audienceCheck, requiredTyp } = raw;
  const cognito = kind === 'cognito';
  check(cognito || kind === 'oidc', at('kind'));
  const url = text(at('issuer'), raw.issuer);
  check(isAcceptableUrl(url, false), at('issuer'));
  const algorithms =
    raw.algorithms === undefined
      ? undefined
      : list(at('algorithms'), raw.algorithms, 1, SUPPORTED_ALGORITHMS.length, (p, alg) => {
          check(SUPPORTED_ALGORITHMS.includes(alg as JwsAlgorithm), p);
          return alg as JwsAlgorithm;
        });
  optionalBoolean(at('discovery'), discovery);
  const sources = (jwksUri !== undefined ? 1 : 0) + (discovery ? 1 : 0) + (keys !== undefined ? 1 : 0);
  check(sources <= 1 && (sources === 1 || cognito), path);
  check(jwksUri === undefined || isAcceptableUrl(text(at('jwksUri'), jwksUri), true), at('jwksUri'));
  let staticKeys: PublicJwk[] | undefined;
  if (keys !== undefined) {
    const effective = algorithms ?? CONFIG_DEFAULTS.algorithms;
    staticKeys = list(at('keys'), keys, 1, CONFIG_LIMITS.staticKeys, (p, jwk) => staticKey(p, jwk, effective));
    distinct(
      staticKeys.map((jwk) => jwk.kid),
      (i) => at(`keys[${i}].kid`),
    );
  }
  const parsedClientIds = clientIds === undefined ? undefined : texts(at('clientIds'), clientIds, CONFIG_LIMITS.clientIds);
  check(!cognito || parsedClientIds !== undefined, at('clientIds'));
  check(clientIdClaim === undefined || (!cognito && CLIENT_ID_CLAIMS.includes(clientIdClaim as ClientIdClaim)), at('clientIdClaim'));
  optionalBoolean(at('audienceCheck'), audienceCheck);
  let parsedAudiences: string[] | undefined;
  if (cognito || audienceCheck === false) {
    check(audiences === undefined, at('audiences'));
    check(!cognito || audienceCheck === undefined, at('audienceCheck'));
  } else {
    parsedAudiences = texts(at('audiences'), audiences, CONFIG_LIMITS.audiences);
  }
  check(requiredTyp === undefined || isRequiredTyp(requiredTyp), at('requiredTyp'));
  return issuerConfig({
    kind,
    issuer: url,
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

function route(path: string, value: unknown): RouteConfig {
  const raw = known(path, value, CONFIG_SETTINGS.route);
  const method = raw.method as RouteMethod;
  check(ROUTE_METHODS.includes(method), `${path}.method`);
  check(typeof raw.path === 'string' && isRoutePath(raw.path), `${path}.path`);
  const scopes = list(`${path}.scopes`, raw.scopes === undefined ? [] : raw.scopes, 0, CONFIG_LIMITS.scopesPerRoute, (p, scope) => {
    check(isScopeToken(scope), p);
    return scope as string;
  });
  const conditions = list(`${path}.conditions`, raw.conditions === undefined ? [] : raw.conditions, 0, CONFIG_LIMITS.conditionsPerRoute, (p, condition) => {
    const c = known(p, condition, CONFIG_SETTINGS.condition);
    const claim = text(`${p}.claim`, c.claim);
    const op = c.contains === undefined ? 'equals' : 'contains';
    check(c.contains === undefined || c.equals === undefined, p);
    return { claim, [op]: text(c[op] === undefined ? p : `${p}.${op}`, c[op]) };
  });
  return { method, path: raw.path as string, scopes, conditions };
}

/**
 * Validates a configuration as {@link parseConfig} does (same refusals, same result), with messages that
 * name the setting path only.
 * @param input the configuration, typically merged parsed JSON
 * @throws ConfigError `<setting path>: invalid setting`
 */
export function parseRuntimeConfig(input: unknown): AuthorizerConfig {
  const raw = known('', input, CONFIG_SETTINGS.top);
  check(raw.version === 1, 'version');
  const issuers = list('issuers', raw.issuers, 1, CONFIG_LIMITS.issuers, issuer);
  distinct(
    issuers.map((parsed) => parsed.issuer),
    (i) => `issuers[${i}].issuer`,
  );
  const routes = deepFreeze(list('routes', raw.routes, 0, CONFIG_LIMITS.routes, route));
  distinct(
    routes.map((parsed) => `${parsed.method} ${templateKey(parsed.path)}`),
    (i) => `routes[${i}]`,
  );
  const clockSkewSeconds = optionalInteger('clockSkewSeconds', raw.clockSkewSeconds, 0, CONFIG_LIMITS.maxClockSkewSeconds);
  const maxTokenAgeSeconds = optionalInteger('maxTokenAgeSeconds', raw.maxTokenAgeSeconds, 1, CONFIG_LIMITS.maxTokenAgeSeconds);
  const maxTokenLifetimeSeconds = optionalInteger('maxTokenLifetimeSeconds', raw.maxTokenLifetimeSeconds, 1, CONFIG_LIMITS.maxTokenLifetimeSeconds);
  let keys: AuthorizerConfig['keys'];
  if (raw.keys !== undefined) {
    const options = known('keys', raw.keys, Object.keys(CONFIG_LIMITS.keys));
    keys = defined(Object.fromEntries(Object.entries(CONFIG_LIMITS.keys).map(([name, { min, max }]) => [name, optionalInteger(`keys.${name}`, options[name], min, max)])));
  }
  const cacheKeyScope = raw.cacheKeyScope as AuthorizerConfig['cacheKeyScope'];
  check(cacheKeyScope === undefined || cacheKeyScope === 'token' || cacheKeyScope === 'route', 'cacheKeyScope');
  check(cacheKeyScope === 'route' || !findInexactRoutes(routes), 'cacheKeyScope');
  const logProfile = raw.logProfile as LogProfile | undefined;
  check(logProfile === undefined || LOG_PROFILES.includes(logProfile), 'logProfile');
  const pseudonymous = logProfile === 'pseudonymous';
  check(pseudonymous === (raw.pseudonymKey !== undefined), 'pseudonymKey');
  const pseudonymKey = pseudonymous ? { secretArn: known('pseudonymKey', raw.pseudonymKey, CONFIG_SETTINGS.pseudonymKey).secretArn } : undefined;
  check(!pseudonymKey || isSecretArn(pseudonymKey.secretArn), 'pseudonymKey.secretArn');
  let denyList: DenyListConfig | undefined;
  if (raw.denyList !== undefined) {
    const d = known('denyList', raw.denyList, CONFIG_SETTINGS.denyList);
    check(isTableName(d.tableName), 'denyList.tableName');
    check(isAwsRegion(d.region), 'denyList.region');
    const { min, max } = CONFIG_LIMITS.denyListRefreshSeconds;
    const refreshSeconds = optionalInteger('denyList.refreshSeconds', d.refreshSeconds, min, max);
    check(d.whenUnavailable === undefined || DENY_LIST_WHEN_UNAVAILABLE.includes(d.whenUnavailable as DenyListWhenUnavailable), 'denyList.whenUnavailable');
    check(d.endpoint === undefined || isAwsEndpoint(d.endpoint), 'denyList.endpoint');
    denyList = defined({ tableName: d.tableName, region: d.region, refreshSeconds, whenUnavailable: d.whenUnavailable, endpoint: d.endpoint } as DenyListConfig);
  }
  return deepFreeze(
    defined({ version: 1, issuers, routes, clockSkewSeconds, maxTokenAgeSeconds, maxTokenLifetimeSeconds, keys, cacheKeyScope, logProfile, pseudonymKey, denyList } as AuthorizerConfig),
  );
}
