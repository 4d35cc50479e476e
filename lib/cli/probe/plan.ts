/**
 * What `secure-api probe` sends: for every protected route of the API, every hostile token (each must get
 * 401 with an RFC 6750 challenge); for every route that needs scopes, a valid token without them (403) and
 * one with exactly them (neither 401 nor 403; not sent to routes with claim conditions, which a token with
 * scopes alone does not meet); and, for each pair of routes needing different scopes, the token of the first
 * reused on the second right after it was accepted there (the cached-answer trap: 403). When the stage's web
 * ACL limits the body, a body one byte over the limit (413); for each method whose request validator checks
 * the body against a model, a body that breaks the model (400). Opt-in, a burst of requests at once that
 * the stage must throttle (429).
 */
import { schemaProblem } from '../serve/json-schema';
import { hostileTokens, hostileTokensFromIssued, type HostileToken, type ProbeIssuer, validAccessToken } from './hostile-tokens';

/** A route of the API, as the report's access matrix lists it. */
export interface ProbeRoute {
  readonly method: string;
  readonly path: string;
  readonly access: 'public' | 'protected';
  /** The scopes the route needs, all of them. */
  readonly scopes: readonly string[];
  /** The claim conditions the route needs besides its scopes, as the report words them. */
  readonly conditions?: readonly string[];
  /** The JSON schema the route's request validator checks bodies against, when it does. */
  readonly requestBodySchema?: unknown;
}

/**
 * What an answer must be: a 401 with a Bearer challenge; a 403; neither 401 nor 403; an error answer with
 * the security headers (`Cache-Control: no-store`, `X-Content-Type-Options: nosniff`, and HSTS over
 * https); a CORS preflight from a foreign origin that no `Access-Control-Allow-Origin` admits.
 */
export type Expectation = 'challenge-401' | 'forbidden-403' | 'not-refused' | 'security-headers' | 'no-foreign-cors' | 'throttled-429' | 'too-large-413' | 'invalid-400';

/** One request of the probe. */
export interface ProbeCase {
  /** Suite and case, for reports: `authentication/alg-none`. */
  readonly name: string;
  readonly suite: 'authentication' | 'authorization' | 'protections';
  readonly route: ProbeRoute;
  /** The `Authorization` header, or undefined for none. */
  readonly authorization: string | undefined;
  /** The HTTP method sent, when not the route's own (a CORS preflight is an OPTIONS). */
  readonly method?: string;
  /** Further request headers. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The request body. */
  readonly body?: string;
  /** For a burst: how many requests are sent at once. */
  readonly burst?: number;
  /** Why the case is not sent (its token cannot be had), when it is not. */
  readonly skip?: string;
  readonly expect: Expectation;
  /** What the case shows, in a sentence. */
  readonly description: string;
}

/** An origin no API allows: the probe's CORS preflights come from it. */
export const PROBE_FOREIGN_ORIGIN = 'https://secure-api-probe.invalid';

/** A scope no route needs: a token with only this one is authenticated and may call nothing protected. */
export const PROBE_NO_SCOPE = 'secure-api-probe/none';

/** Where the probe's tokens come from: a signing key the API trusts, or tokens the issuer issued. */
export interface ProbeCredentials {
  /** A valid access token with `scopes`, or undefined when none can be had. */
  valid(scopes: readonly string[]): string | undefined;
  /** A valid access token lacking at least one of `scopes`, or undefined when none can be had. */
  without(scopes: readonly string[]): string | undefined;
  /** The hostile tokens for a route needing `scopes`; those that cannot be made say why in `skip`. */
  hostile(scopes: readonly string[]): Array<HostileToken & { readonly skip?: string }>;
}

/** A scope set as one string, whatever its order: the key of {@link issuedCredentials}' tokens. */
export const scopeSetKey = (scopes: readonly string[]): string => [...new Set(scopes)].sort().join(' ');

/**
 * Credentials that sign every token with the issuer's key.
 * @param issuer the issuer the API trusts, whose key the probe signs with
 * @param now epoch seconds
 * @param publicKeyPem the issuer's public key, for the key-confusion token
 */
export function signingCredentials(issuer: ProbeIssuer, now: number, publicKeyPem: string): ProbeCredentials {
  return {
    valid: (scopes) => validAccessToken(issuer, scopes, now),
    without: () => validAccessToken(issuer, [PROBE_NO_SCOPE], now),
    hostile: (scopes) => hostileTokens(issuer, scopes, now, publicKeyPem),
  };
}

/** Why a hostile token is not sent without the issuer's signing key. */
export const NEEDS_SIGNING_KEY = "needs the issuer's signing key (--signing-key)";

/**
 * Credentials from tokens the issuer issued (client credentials), by {@link scopeSetKey}. The hostile
 * tokens are signed with `signing` when given; without it, those that need the key are skipped.
 * @param tokens the issued access tokens, by scope set
 * @param signing the signing credentials, when the probe also holds a key the API trusts
 */
export function issuedCredentials(tokens: ReadonlyMap<string, string>, signing?: ProbeCredentials): ProbeCredentials {
  const lacking = (scopes: readonly string[]): string | undefined =>
    [...tokens].find(([key]) => !scopes.every((scope) => key.split(' ').includes(scope)))?.[1];
  // Routes needing the same scopes get the same hostile set: each set costs a fresh RSA key.
  const made = new Map<string, Array<HostileToken & { readonly skip?: string }>>();
  return {
    valid: (scopes) => tokens.get(scopeSetKey(scopes)),
    without: lacking,
    hostile: (scopes) => {
      if (signing !== undefined) return signing.hostile(scopes);
      const key = scopeSetKey(scopes);
      const issued = tokens.get(key);
      if (issued === undefined) return [];
      if (!made.has(key)) {
        made.set(key, hostileTokensFromIssued(issued).map(({ needsSigningKey, ...token }) => (needsSigningKey ? { ...token, skip: NEEDS_SIGNING_KEY } : token)));
      }
      return made.get(key)!;
    },
  };
}

/** What the plan needs to know besides the routes. */
export interface ProbePlanOptions {
  /** Send this many requests at once and expect 429. */
  readonly burst?: number;
  /** The largest body the stage's web ACL lets through, in bytes, when it limits the body. */
  readonly maxBodySize?: number;
}

/** Methods whose requests carry a body (the probe cannot send one with GET or HEAD). */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'ANY']);

/** JSON values tried in turn as a body that breaks a route's model; the first the model refuses is sent. */
const MODEL_BREAKERS: readonly unknown[] = [[], {}, 'secure-api-probe', 0, null];

/**
 * The cases of the body protections: one body a byte over the web ACL's limit, and a body breaking each
 * validated route's model. Each is sent with a valid token for the route, so that only the body can be the
 * reason for a refusal; routes with claim conditions, which such a token does not meet, are left out.
 */
function bodyCases(routes: readonly ProbeRoute[], credentials: ProbeCredentials, maxBodySize: number | undefined): ProbeCase[] {
  const reachable = routes.filter((route) => (route.conditions ?? []).length === 0);
  const authorization = (route: ProbeRoute): string | undefined => (route.access === 'protected' ? bearer(credentials.valid(route.scopes)) : undefined);
  const skip = (route: ProbeRoute) => (route.access === 'protected' ? skipWithout(credentials.valid(route.scopes), route.scopes) : {});
  const sentAs = (route: ProbeRoute): string => (route.method === 'ANY' ? 'POST' : route.method);
  const cases: ProbeCase[] = [];
  const byPreference = [...reachable.filter((route) => route.access === 'protected'), ...reachable.filter((route) => route.access === 'public')];
  // The web ACL judges the body before API Gateway matches a route, so a route without a body method still
  // shows the limit when POSTed to.
  const target = byPreference.find((route) => BODY_METHODS.has(route.method)) ?? byPreference[0];
  if (maxBodySize !== undefined && target !== undefined) {
    const size = maxBodySize + 1;
    const wrapper = '{"x":""}';
    cases.push({
      name: 'protections/body-too-large',
      suite: 'protections',
      route: target,
      authorization: authorization(target),
      ...skip(target),
      method: BODY_METHODS.has(target.method) ? sentAs(target) : 'POST',
      headers: { 'content-type': 'application/json' },
      // JSON where it fits, so that nothing but its size sets it apart.
      body: size < wrapper.length ? 'x'.repeat(size) : `{"x":"${'x'.repeat(size - wrapper.length)}"}`,
      expect: 'too-large-413',
      description: `a body of ${size} bytes, one over the web ACL's limit of ${maxBodySize}`,
    });
  }
  for (const route of reachable.filter((candidate) => candidate.requestBodySchema !== undefined && BODY_METHODS.has(candidate.method))) {
    const breaker = MODEL_BREAKERS.find((value) => schemaProblem(route.requestBodySchema, value) !== undefined);
    if (breaker === undefined) continue;
    cases.push({
      name: 'protections/request-validation',
      suite: 'protections',
      route,
      authorization: authorization(route),
      ...skip(route),
      method: sentAs(route),
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(breaker),
      expect: 'invalid-400',
      description: `a body the route's model refuses (${schemaProblem(route.requestBodySchema, breaker)})`,
    });
  }
  return cases;
}

const bearer = (token: string | undefined): string | undefined => (token === undefined ? undefined : `Bearer ${token}`);

/** The skip reason of a case whose token could not be had. */
const skipWithout = (token: string | undefined, scopes: readonly string[]): { skip?: string } =>
  token === undefined ? { skip: `no token with ${scopes.join(' ') || 'the client’s scopes'} could be had` } : {};

/**
 * The probe's cases, in the order they are sent.
 * @param routes the API's routes
 * @param credentials where the tokens come from
 */
export function probePlan(routes: readonly ProbeRoute[], credentials: ProbeCredentials, options: ProbePlanOptions = {}): ProbeCase[] {
  const protectedRoutes = routes.filter((route) => route.access === 'protected');
  const cases: ProbeCase[] = [];
  for (const route of protectedRoutes) {
    const tokens = credentials.hostile(route.scopes);
    if (tokens.length === 0) {
      cases.push({ name: 'authentication/hostile-tokens', suite: 'authentication', route, authorization: undefined, ...skipWithout(undefined, route.scopes), expect: 'challenge-401', description: 'the hostile tokens, made from a valid one' });
    }
    for (const token of tokens) {
      cases.push({
        name: `authentication/${token.id}`,
        suite: 'authentication',
        route,
        authorization: token.authorization,
        ...(token.skip !== undefined ? { skip: token.skip } : {}),
        expect: 'challenge-401',
        description: token.description,
      });
    }
  }
  for (const route of protectedRoutes) {
    cases.push({ name: 'protections/security-headers', suite: 'protections', route, authorization: undefined, expect: 'security-headers', description: 'the 401 of a request without a token carries the security headers' });
  }
  for (const route of routes) {
    cases.push({
      name: 'protections/foreign-origin',
      suite: 'protections',
      route,
      authorization: undefined,
      method: 'OPTIONS',
      headers: { origin: PROBE_FOREIGN_ORIGIN, 'access-control-request-method': route.method === 'ANY' ? 'GET' : route.method, 'access-control-request-headers': 'authorization' },
      expect: 'no-foreign-cors',
      description: `a CORS preflight from ${PROBE_FOREIGN_ORIGIN}, which no API should admit`,
    });
  }
  const scoped = protectedRoutes.filter((route) => route.scopes.length > 0);
  for (const route of scoped) {
    cases.push({
      name: 'authorization/without-scope',
      suite: 'authorization',
      route,
      authorization: bearer(credentials.without(route.scopes)),
      ...(credentials.without(route.scopes) === undefined ? { skip: `no token lacking ${route.scopes.join(' ')} could be had` } : {}),
      expect: 'forbidden-403',
      description: `a valid token without ${route.scopes.join(' ')}`,
    });
    if ((route.conditions ?? []).length > 0) {
      // A token with the scopes alone does not meet the route's claim conditions: no positive case for it.
      continue;
    }
    cases.push({
      name: 'authorization/with-scope',
      suite: 'authorization',
      route,
      authorization: bearer(credentials.valid(route.scopes)),
      ...skipWithout(credentials.valid(route.scopes), route.scopes),
      expect: 'not-refused',
      description: `a valid token with exactly ${route.scopes.join(' ')}`,
    });
  }
  const positive = scoped.filter((route) => (route.conditions ?? []).length === 0);
  for (const first of positive) {
    const other = scoped.find((route) => route !== first && !route.scopes.every((scope) => first.scopes.includes(scope)));
    if (other === undefined) {
      continue;
    }
    const token = bearer(credentials.valid(first.scopes));
    if (token === undefined) {
      continue;
    }
    cases.push({ name: 'authorization/cache-trap-first', suite: 'authorization', route: first, authorization: token, expect: 'not-refused', description: `the token of ${first.method} ${first.path}, where it is allowed` });
    cases.push({
      name: 'authorization/cache-trap-reuse',
      suite: 'authorization',
      route: other,
      authorization: token,
      expect: 'forbidden-403',
      description: `the same token, just accepted on ${first.method} ${first.path}, reused on a route needing ${other.scopes.join(' ')}`,
    });
  }
  cases.push(...bodyCases(routes, credentials, options.maxBodySize));
  const target = routes.find((route) => route.access === 'public') ?? routes[0];
  if (options.burst !== undefined && target !== undefined) {
    cases.push({
      name: 'protections/rate-limit',
      suite: 'protections',
      route: target,
      authorization: undefined,
      burst: options.burst,
      expect: 'throttled-429',
      description: `${options.burst} requests at once, more than the stage's burst: some must get 429`,
    });
  }
  return cases;
}
