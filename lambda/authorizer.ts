/**
 * The authorizer core: event in, API Gateway answer out, one decision line logged.
 *
 * {@link Authorizer.handle} either resolves with a well-formed Allow/Deny answer or rejects with exactly
 * `new Error('Unauthorized')` (API Gateway's 401); nothing else can escape (DESIGN.md fact 3). Details go
 * to the decision log, never to the client.
 */
import type { AuthorizerConfig, IssuerConfig, RouteConfig } from './config-types';
import { CONFIG_DEFAULTS, parseConfig } from './config';
import { formatDecision, levelFor, MAX_LENGTH, sanitizeText, type Decision, type DecisionRecord, type ReasonCode } from './decision-log';
import { AuthorizerError, MalformedEventError, PolicyInvariantError, TokenRejectedError } from './errors';
import { parseAuthorizerEvent } from './event';
import { httpGetJson, type FetchFunction } from './http';
import { createKeySet } from './keys';
import { evaluateStatements, routeScopedStatements, tokenScopedStatements, type AuthorizerResult, type PolicyStatement } from './policy';
import { compileRouteTable, type CompiledRoute } from './routes';
import { extractBearerToken, ownClaim, TokenVerifier, type VerifiedToken, type VerifyTrace } from './verify';

/** What a {@link CustomCheck} receives. */
export interface CustomCheckInput {
  /** The verified claims (frozen; read own properties only). */
  readonly claims: Readonly<Record<string, unknown>>;
  /** The issuer that signed the token. */
  readonly issuer: IssuerConfig;
  /** The route being decided. */
  readonly route?: RouteConfig;
}

/**
 * An extra authorization rule, run after scopes and claim conditions passed for a route. Returning
 * `false` denies that route (403) for the token; `true` or nothing keeps it allowed; any other value
 * denies too (fail closed). Throwing gives a 401 with reason `INTERNAL_ERROR`.
 *
 * With `cacheKeyScope: 'token'` it runs once per route the token's scopes and conditions permit (the
 * cached answer covers them all), concurrently; with `'route'` once, for the called route. Keep it
 * fast, and deterministic for a given token: its answer is cached with the token.
 */
export type CustomCheck = (input: CustomCheckInput) => Promise<boolean | void> | boolean | void;

/** Seams of {@link createAuthorizer}. */
export interface AuthorizerOptions {
  /**
   * Transport for JWKS and discovery documents.
   * @default - a small `node:https` GET client (`httpGetJson`)
   */
  readonly fetch?: FetchFunction;
  /**
   * Clock, epoch milliseconds, for token times and key ages.
   * @default Date.now
   */
  readonly now?: () => number;
  /**
   * Sink of decision lines (one JSON line per decision, without newline).
   * @default - process.stdout.write(line + '\n')
   */
  readonly log?: (line: string) => void;
  /** Extra authorization rule; see {@link CustomCheck}. */
  readonly customCheck?: CustomCheck;
}

/** A configured authorizer. */
export interface Authorizer {
  /**
   * Decides one API Gateway REST authorizer event (TOKEN or REQUEST).
   * @param event the event, treated as untrusted input
   * @param context the Lambda context (only `awsRequestId` is read, for the decision log)
   * @returns an Allow or Deny answer; rejects with exactly `new Error('Unauthorized')` for a 401
   */
  handle(event: unknown, context?: { awsRequestId?: string }): Promise<AuthorizerResult>;
}

interface Outcome {
  readonly decision: Exclude<Decision, 'unauthorized'>;
  readonly reason: ReasonCode;
  readonly result: AuthorizerResult;
}

/** What is known about a request so far, for its decision line. */
interface Trace extends VerifyTrace {
  route: string | null;
  token?: VerifiedToken;
  verifiedClaims?: Readonly<Record<string, unknown>>;
}

const defaultLog = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

function safeLog(log: (line: string) => void, record: DecisionRecord): void {
  try {
    log(formatDecision(record));
  } catch {
    // A failing log sink must not change the answer.
  }
}

function requestIdOf(context: unknown): string | null {
  try {
    return sanitizeText((context as { awsRequestId?: unknown } | undefined)?.awsRequestId);
  } catch {
    return null;
  }
}

/** The identity fields of a decision line: only from a verified token, sanitized. */
function identityOf(trace: Trace): Pick<DecisionRecord, 'issuer' | 'sub' | 'clientId' | 'scopes'> {
  if (trace.token) {
    return {
      issuer: trace.token.issuer.config.issuer,
      sub: sanitizeText(trace.token.sub),
      clientId: sanitizeText(trace.token.clientId),
      scopes: sanitizeText([...trace.token.scopes].join(' '), MAX_LENGTH.scopes),
    };
  }
  const claims = trace.verifiedClaims;
  const scope = claims && ownClaim(claims, 'scope');
  return {
    issuer: trace.issuer?.issuer ?? null,
    sub: claims ? sanitizeText(ownClaim(claims, 'sub')) : null,
    clientId: claims ? sanitizeText(ownClaim(claims, 'client_id')) : null,
    scopes: typeof scope === 'string' ? sanitizeText(scope, MAX_LENGTH.scopes) : null,
  };
}

/** Builds the principal and the context passed to the integration (string values only, sanitized). */
function principalAndContext(token: VerifiedToken): { principalId: string; context: Record<string, string> } {
  const principalId = sanitizeText(token.sub) || sanitizeText(token.clientId);
  if (!principalId) {
    throw new TokenRejectedError('INVALID_CLAIM', "neither 'sub' nor 'client_id' holds a usable principal", { verifiedClaims: token.claims });
  }
  const context: Record<string, string> = {
    sub: sanitizeText(token.sub) ?? '',
    clientId: sanitizeText(token.clientId) ?? '',
    scopes: sanitizeText([...token.scopes].join(' '), MAX_LENGTH.scopes) ?? '',
    issuer: token.issuer.config.issuer,
    tokenUse: sanitizeText(token.tokenUse) ?? '',
  };
  if (token.username !== undefined) {
    context.username = sanitizeText(token.username) ?? '';
  }
  if (token.groups !== undefined) {
    context.groups = sanitizeText(token.groups.join(','), MAX_LENGTH.groups) ?? '';
  }
  return { principalId, context };
}

function conditionHolds(claims: Readonly<Record<string, unknown>>, condition: NonNullable<RouteConfig['conditions']>[number]): boolean {
  const value = ownClaim(claims, condition.claim);
  if (condition.equals !== undefined) {
    return typeof value === 'string' && value === condition.equals;
  }
  if (Array.isArray(value)) {
    return value.some((entry) => typeof entry === 'string' && entry === condition.contains);
  }
  if (typeof value === 'string') {
    return condition.claim === 'scope' ? value.split(' ').includes(condition.contains as string) : value === condition.contains;
  }
  return false;
}

/** Scopes, then claim conditions: the reason a route is refused, or undefined when both pass. */
function staticRefusal(route: CompiledRoute, token: VerifiedToken): ReasonCode | undefined {
  if (!(route.config.scopes ?? []).every((scope) => token.scopes.has(scope))) {
    return 'INSUFFICIENT_SCOPE';
  }
  if (!(route.config.conditions ?? []).every((condition) => conditionHolds(token.claims, condition))) {
    return 'CONDITION_FAILED';
  }
  return undefined;
}

function errorName(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return error instanceof Error ? (sanitizeText(typeof code === 'string' ? code : error.name) ?? 'Error') : typeof error;
}

function configuredAuthorizer(config: AuthorizerConfig, options: AuthorizerOptions): Authorizer {
  const { customCheck } = options;
  const now = options.now ?? Date.now;
  const log = options.log ?? defaultLog;
  const tokenScope = (config.cacheKeyScope ?? CONFIG_DEFAULTS.cacheKeyScope) === 'token';
  const table = compileRouteTable(config.routes);
  if (tokenScope) {
    // Cold-start work: the overlap analysis every token-scoped answer needs.
    void table.routes[0]?.patternHits;
  }
  const keyOptions = { ...CONFIG_DEFAULTS.keys, ...config.keys, fetch: options.fetch ?? httpGetJson, now };
  const verifier = new TokenVerifier(
    config.issuers.map((issuer) => ({ config: issuer, algorithms: issuer.algorithms ?? CONFIG_DEFAULTS.algorithms, keySet: createKeySet(issuer, keyOptions) })),
    { clockSkewSeconds: config.clockSkewSeconds ?? CONFIG_DEFAULTS.clockSkewSeconds, maxTokenAgeSeconds: config.maxTokenAgeSeconds, now },
  );

  const decide = async (event: unknown, trace: Trace): Promise<Outcome> => {
    const request = parseAuthorizerEvent(event);
    const { methodArn: arn, resource } = request;
    trace.route = `${arn.verb} ${arn.path}`;
    // The route the request is for: from the REQUEST event's resource template when present (checked
    // against the method ARN), else by matching the method ARN with API Gateway's precedence.
    const called = resource === undefined ? table.match(arn.verb, arn.path) : table.byResource(arn.verb, resource);
    if (called && !called.accepts(arn.verb, arn.path)) {
      throw new MalformedEventError("the event's resource does not match its methodArn");
    }
    trace.route = called?.key ?? trace.route;

    const token = await verifier.verify(extractBearerToken(request.authorization), trace);
    trace.token = token;
    const { principalId, context } = principalAndContext(token);

    // Why each route is refused, undefined where allowed. A route-scoped answer covers the called route only.
    const refusals = table.routes.map((route): ReasonCode | undefined => (tokenScope || route === called ? staticRefusal(route, token) : 'NO_ROUTE'));
    if (customCheck) {
      await Promise.all(
        table.routes.map(async (route, i) => {
          if (!refusals[i]) {
            const verdict = await customCheck({ claims: token.claims, issuer: token.issuer.config, route: route.config });
            if (verdict !== true && verdict !== undefined) {
              refusals[i] = 'CUSTOM_CHECK_FAILED';
            }
          }
        }),
      );
    }
    const allowed = refusals.map((refusal) => !refusal);

    const decision = called && allowed[called.index] ? 'allow' : 'deny';
    const statements: PolicyStatement[] = tokenScope ? tokenScopedStatements(table, allowed, arn, called) : routeScopedStatements(decision === 'allow', arn, called);
    const reason: ReasonCode = !called ? 'NO_ROUTE' : (refusals[called.index] ?? 'ALLOW');
    // The answer API Gateway will derive from the policy must be the decision logged here.
    if (evaluateStatements(statements, `${arn.apiArnPrefix}/${arn.suffix}`) !== decision) {
      throw new PolicyInvariantError(`the policy for ${trace.route} does not evaluate to '${decision}'`);
    }
    return { decision, reason, result: { principalId, policyDocument: { Version: '2012-10-17', Statement: statements }, context } };
  };

  return {
    async handle(event, context) {
      const started = performance.now();
      const trace: Trace = { route: null };
      const line = (decision: Decision, reason: ReasonCode, error?: unknown): DecisionRecord => ({
        level: levelFor(decision, reason),
        msg: 'authorizer decision',
        requestId: requestIdOf(context),
        route: sanitizeText(trace.route, MAX_LENGTH.route),
        decision,
        reason,
        ...identityOf(trace),
        latencyMs: Math.round((performance.now() - started) * 1000) / 1000,
        ...(reason === 'INTERNAL_ERROR' && error !== undefined && { error: errorName(error) }),
      });
      try {
        const outcome = await decide(event, trace);
        safeLog(log, line(outcome.decision, outcome.reason));
        return outcome.result;
      } catch (error) {
        try {
          if (error instanceof TokenRejectedError && error.verifiedClaims) {
            trace.verifiedClaims = error.verifiedClaims;
          }
          safeLog(log, line('unauthorized', error instanceof AuthorizerError ? error.reason : 'INTERNAL_ERROR', error));
        } catch {
          // Even a failure to describe the failure must end in the 401 below.
        }
        // eslint-disable-next-line preserve-caught-error -- API Gateway's contract is exactly 'Unauthorized'; the cause is in the decision log, never in the answer.
        throw new Error('Unauthorized');
      }
    },
  };
}

/**
 * Creates an authorizer. The configuration is validated here, once; cold-start work (route table
 * compilation and overlap analysis, key set creation) happens here too.
 * @param config the configuration (see `config-types.ts`), typically from {@link loadConfig}
 * @param options seams: transport, clock, log sink, custom check
 * @throws ConfigError (code `ERR_CONFIG`) naming the bad setting
 */
export function createAuthorizer(config: unknown, options: AuthorizerOptions = {}): Authorizer {
  return configuredAuthorizer(parseConfig(config), options);
}

/**
 * An authorizer for a configuration that failed validation: every request is a 401, logged with reason
 * `CONFIG_ERROR`. Used by the Lambda handler so that a bad deployment fails closed, visibly.
 * @param options the log sink (other seams are unused)
 */
export function createFailClosedAuthorizer(options: Pick<AuthorizerOptions, 'log'> = {}): Authorizer {
  const log = options.log ?? defaultLog;
  return {
    async handle(_event: unknown, context?: { awsRequestId?: string }): Promise<AuthorizerResult> {
      safeLog(log, {
        level: 'error',
        msg: 'authorizer decision',
        requestId: requestIdOf(context),
        route: null,
        decision: 'unauthorized',
        reason: 'CONFIG_ERROR',
        issuer: null,
        sub: null,
        clientId: null,
        scopes: null,
        latencyMs: 0,
      });
      throw new Error('Unauthorized');
    },
  };
}
