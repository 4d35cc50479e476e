/**
 * The authorizer core: event in, API Gateway answer out, one decision line logged.
 *
 * {@link Authorizer.handle} either resolves with a well-formed Allow/Deny answer or rejects with exactly
 * `new Error('Unauthorized')` (API Gateway's 401); nothing else can escape (any other error or malformed answer is a 500). Details go
 * to the decision log, never to the client.
 */
import { writeSync } from 'node:fs';
import type { AuthorizerConfig, ClaimCondition, IssuerConfig, RouteConfig } from './contract/config-types';
import { CONFIG_DEFAULTS, deepFreeze, isAwsEndpoint, parseConfig, secretArnRegion } from './contract/config';
import { DECISION_LOG_MSG, encodeList, encodeSingle, encodeText, formatDecision, levelFor, MAX_LENGTH, sanitizeText, type Decision, type DecisionRecord, type ReasonCode } from './contract/decision-log';
import { AuthorizerError, ConfigError, MalformedEventError, NoRouteError, PolicyInvariantError, TokenRejectedError } from './errors';
import { parseAuthorizerEvent } from './event';
import { createAwsJsonClient, credentialsFromEnvironment, DYNAMODB, SECRETS_MANAGER } from './aws';
import { DENY_LIST_LIMITS } from './contract/deny-list';
import { httpGetJson, httpPost, type FetchFunction, type HttpPost } from './http';
import { createPseudonymizer, PSEUDONYM_KEY_LIMITS, type Pseudonymizer } from './pseudonym-key';
import { createDenyList } from './revocation';
import { createKeySet } from './keys';
import { evaluateStatements, routeScopedStatements, tokenScopedStatements, type AuthorizerResult, type PolicyDocument } from './policy';
import { arnPatternMatches, arnPatternMatchesWithinSegments, compileValidatedRouteTable, parseMethodArn, type CompiledRoute, type MethodArn } from './contract/routes';
import { clientIdClaimOf, ownClaim, TokenVerifier, type VerifiedToken, type VerifyTrace } from './verify';
import { TERSE } from './terse';

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
   * @default - a small HTTP/1.1 GET client on `node:tls` (`httpGetJson`)
   */
  readonly fetch?: FetchFunction;
  /**
   * Clock, epoch milliseconds, for token times and key ages.
   * @default Date.now
   */
  readonly now?: () => number;
  /**
   * Sink of decision lines and key-refresh failure lines (one JSON line each, without newline).
   * @default - each line and a newline written to standard output (file descriptor 1), synchronously
   */
  readonly log?: (line: string) => void;
  /**
   * Uniform random numbers in [0, 1), for the jitter of the key-refresh back-off.
   * @default Math.random
   */
  readonly random?: () => number;
  /** Extra authorization rule; see {@link CustomCheck}. */
  readonly customCheck?: CustomCheck;
  /**
   * Transport of the AWS calls (the deny list's Scan, the pseudonym key's GetSecretValue).
   * @default - the strict HTTP/1.1 client on `node:tls` (`httpPost`)
   */
  readonly awsTransport?: HttpPost;
  /**
   * The environment the AWS credentials (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`)
   * and endpoint overrides are read from, at each call.
   * @default process.env
   */
  readonly environment?: Readonly<Record<string, string | undefined>>;
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
  /** The template of the matched route (`GET /items/{id}`), once known: what the `minimal` profiles log. */
  template?: string;
  /** The encoded identity of the verified token, once known. */
  identity?: Identity;
  verifiedClaims?: Readonly<Record<string, unknown>>;
}

/**
 * A sink that writes each line and a newline to file descriptor 1 (what the Lambda runtime captures as the
 * function's log) with a synchronous `fs.writeSync`, so the `process.stdout` stream, costly to create at
 * cold start, is never created. When fd 1 is non-blocking and full, `writeSync` takes part of a line or
 * refuses it (`EAGAIN`): the rest then goes to `process.stdout`, which queues it, and so does every later
 * line, so lines stay whole and in order. A line that cannot be written at all is dropped by the caller
 * (`safeLog`): a decision never fails because its log line did.
 * @returns the sink
 */
export function stdoutLineWriter(): (line: string) => void {
  let queued = false;
  return (line) => {
    const text = `${line}\n`;
    let written = 0;
    if (!queued) {
      try {
        written = writeSync(1, text);
      } catch {
        // EAGAIN (or any other refusal): nothing was written; the stream below takes the line.
      }
      if (written === Buffer.byteLength(text)) {
        return;
      }
      queued = true;
    }
    process.stdout.write(written === 0 ? text : Buffer.from(text).subarray(written));
  };
}

const defaultLog = stdoutLineWriter();

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

/**
 * The identity fields of a decision line (and of the integration's context), from verified claims only,
 * each encoded with `encodeText`: exact (never stripped or cut), and safe between JSON quotes.
 */
interface Identity {
  readonly issuer: string | null;
  readonly sub: string | null;
  readonly clientId: string | null;
  readonly scopes: string | null;
  /** Whether whole scopes were left out of `scopes` to keep it under its cap. */
  readonly scopesTruncated: boolean;
  /** `sub` and the client id as the verified token holds them (for pseudonyms), when strings. */
  readonly rawSub?: string;
  readonly rawClientId?: string;
}

/** The identity of a verified token: every field present. */
interface TokenIdentity extends Identity {
  readonly issuer: string;
  readonly sub: string;
  readonly clientId: string;
  readonly scopes: string;
}

const NO_IDENTITY: Identity = Object.freeze({ issuer: null, sub: null, clientId: null, scopes: null, scopesTruncated: false });

/**
 * A single value of a verified token, encoded: exact or the token is refused. Cutting it would let two
 * different values (two subjects) become one.
 */
function exactValue(token: VerifiedToken, name: string, value: string): string {
  const encoded = encodeSingle(value);
  if (encoded === null) {
    throw new TokenRejectedError('INVALID_CLAIM', TERSE ? '' : `the token '${name}' exceeds ${MAX_LENGTH.id} characters once encoded`, { verifiedClaims: token.claims });
  }
  return encoded;
}

function identityOfToken(token: VerifiedToken): TokenIdentity {
  const scopes = encodeList(token.scopes, ' ', MAX_LENGTH.scopes);
  return {
    issuer: token.issuer.config.issuer,
    sub: exactValue(token, 'sub', token.sub),
    clientId: exactValue(token, clientIdClaimOf(token.issuer.config), token.clientId),
    scopes: scopes.value,
    scopesTruncated: scopes.truncated,
    rawSub: token.sub,
    rawClientId: token.clientId,
  };
}

/** The identity of a request that failed: only what a verified token, or the matched issuer, tells. */
function identityOfFailure(trace: Trace): Identity {
  if (trace.identity) {
    return trace.identity;
  }
  const claims = trace.verifiedClaims;
  if (!claims || !trace.issuer) {
    return trace.issuer ? { ...NO_IDENTITY, issuer: trace.issuer.issuer } : NO_IDENTITY;
  }
  const scope = ownClaim(claims, 'scope');
  const scopes = typeof scope === 'string' ? encodeList(scope.split(' '), ' ', MAX_LENGTH.scopes) : undefined;
  const sub = ownClaim(claims, 'sub');
  const clientId = ownClaim(claims, clientIdClaimOf(trace.issuer));
  return {
    issuer: trace.issuer.issuer,
    sub: encodeSingle(sub),
    clientId: encodeSingle(clientId),
    scopes: scopes?.value ?? null,
    scopesTruncated: scopes?.truncated ?? false,
    ...(typeof sub === 'string' ? { rawSub: sub } : {}),
    ...(typeof clientId === 'string' ? { rawClientId: clientId } : {}),
  };
}

/**
 * The principal and the context passed to the integration: string values only, each exact and encoded
 * (see `encodeText`); lists over their cap lose whole items and say so (`scopesTruncated`, `groupsTruncated`).
 */
function principalAndContext(token: VerifiedToken, identity: TokenIdentity, pseudonymizer: Pseudonymizer | undefined): { principalId: string; context: Record<string, string> } {
  const context: Record<string, string> = {
    sub: identity.sub,
    clientId: identity.clientId,
    scopes: identity.scopes,
    issuer: encodeText(identity.issuer),
    tokenUse: token.tokenUse === undefined ? '' : exactValue(token, 'token_use', token.tokenUse),
  };
  if (identity.scopesTruncated) {
    context.scopesTruncated = 'true';
  }
  if (token.username !== undefined) {
    context.username = exactValue(token, 'username', token.username);
  }
  if (token.groups !== undefined) {
    const groups = encodeList(token.groups, ',', MAX_LENGTH.groups);
    context.groups = groups.value;
    if (groups.truncated) {
      context.groupsTruncated = 'true';
    }
  }
  // The access log records the principal: under the pseudonymous profile it is the pseudonym of `sub`.
  return { principalId: pseudonymizer ? pseudonymizer.of(token.sub) : identity.sub, context };
}

function conditionHolds(claims: Readonly<Record<string, unknown>>, condition: ClaimCondition): boolean {
  const value = ownClaim(claims, condition.claim);
  if (condition.equals !== undefined) {
    return typeof value === 'string' && value === condition.equals;
  }
  if (Array.isArray(value)) {
    return value.some((entry) => typeof entry === 'string' && entry === condition.contains);
  }
  if (typeof value === 'string') {
    // `scope`, and `scp` where an issuer sends it as a string, are space-separated lists.
    return condition.claim === 'scope' || condition.claim === 'scp' ? value.split(' ').includes(condition.contains as string) : value === condition.contains;
  }
  return false;
}

/** Scopes, then claim conditions: the reason a route is refused, or undefined when both pass. */
function staticRefusal(route: CompiledRoute, token: VerifiedToken): ReasonCode | undefined {
  for (const scope of route.config.scopes ?? NONE) {
    if (!token.scopes.has(scope)) {
      return 'INSUFFICIENT_SCOPE';
    }
  }
  for (const condition of route.config.conditions ?? NONE) {
    if (!conditionHolds(token.claims, condition)) {
      return 'CONDITION_FAILED';
    }
  }
  return undefined;
}

const NONE: readonly never[] = Object.freeze([]);

function errorName(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return error instanceof Error ? (sanitizeText(typeof code === 'string' ? code : error.name) ?? 'Error') : typeof error;
}

/** Most policy documents kept per authorizer, and most method ARNs remembered; each cache starts over when full. */
const MAX_CACHED_POLICIES = 256;
const MAX_CACHED_TARGETS = 256;
/** Most answers remembered per method ARN. */
const MAX_CACHED_ANSWERS = 16;

/** What is worked out once per method ARN and reused by every request for it. */
interface Target extends MethodArn {
  /** The method ARN itself. */
  readonly methodArn: string;
  /** `GET /items/42`: the route logged while no route of the table is known. */
  readonly route: string;
  /** The route of the table the ARN goes to by API Gateway's precedence; computed on first use. */
  matched?: CompiledRoute | null;
  /** The last resource template of a REQUEST event for this ARN, and the route it names if that accepts the ARN. */
  resource?: string;
  byResource?: CompiledRoute | null;
  /** Per set of permitted routes (a bit mask or string of bits; route scope: the called route and the decision), the answer's policy and what it evaluates to here. */
  readonly answers: Map<number | string, Answer>;
}

interface Answer {
  readonly policy: PolicyDocument;
  /** The decision API Gateway derives from the policy for the target's ARN under both readings of IAM wildcards; undefined when they differ. */
  readonly verdict: Decision | undefined;
}

/** A bounded map: when full, the oldest entry goes. */
function remember<K, V>(map: Map<K, V>, key: K, value: V, max: number): V {
  if (map.size >= max) {
    map.delete(map.keys().next().value as K);
  }
  map.set(key, value);
  return value;
}

/** Internal: an authorizer for a configuration already validated by `parseConfig` or `parseRuntimeConfig`. */
export function configuredAuthorizer(config: AuthorizerConfig, options: AuthorizerOptions): Authorizer {
  const { customCheck } = options;
  const now = options.now ?? Date.now;
  const log = options.log ?? defaultLog;
  const tokenScope = (config.cacheKeyScope ?? CONFIG_DEFAULTS.cacheKeyScope) === 'token';
  const table = compileValidatedRouteTable(config.routes);
  const routes = table.routes;
  const maskable = routes.length <= 30;
  // Key sets log each failed refresh (never per request) to the same sink as the decisions.
  const keyOptions = { ...CONFIG_DEFAULTS.keys, ...config.keys, fetch: options.fetch ?? httpGetJson, now, log, random: options.random };
  const verifier = new TokenVerifier(
    config.issuers.map((issuer) => ({ config: issuer, algorithms: issuer.algorithms ?? CONFIG_DEFAULTS.algorithms, keySet: createKeySet(issuer, keyOptions) })),
    {
      clockSkewSeconds: config.clockSkewSeconds ?? CONFIG_DEFAULTS.clockSkewSeconds,
      maxTokenAgeSeconds: config.maxTokenAgeSeconds,
      maxTokenLifetimeSeconds: config.maxTokenLifetimeSeconds ?? CONFIG_DEFAULTS.maxTokenLifetimeSeconds,
      now,
    },
  );

  const environment = options.environment ?? process.env;
  const awsTransport = options.awsTransport ?? httpPost;
  const credentials = () => credentialsFromEnvironment(environment);
  const denyList =
    config.denyList &&
    createDenyList({
      config: config.denyList,
      dynamodb: createAwsJsonClient({ service: DYNAMODB, region: config.denyList.region, endpoint: config.denyList.endpoint, timeoutMs: DENY_LIST_LIMITS.requestTimeoutMs, credentials, transport: awsTransport, now }),
      now,
      log,
    });

  const profile = config.logProfile ?? CONFIG_DEFAULTS.logProfile;
  let pseudonymizer: Pseudonymizer | undefined;
  if (config.pseudonymKey) {
    // The SDK's service-specific endpoint variable, for VPC endpoints, local stages and tests: the rule of `denyList.endpoint`.
    const endpoint = environment.AWS_ENDPOINT_URL_SECRETS_MANAGER || undefined;
    if (endpoint !== undefined && !isAwsEndpoint(endpoint)) {
      throw new ConfigError('AWS_ENDPOINT_URL_SECRETS_MANAGER: invalid setting');
    }
    const { secretArn } = config.pseudonymKey;
    pseudonymizer = createPseudonymizer({
      secretArn,
      secretsManager: createAwsJsonClient({ service: SECRETS_MANAGER, region: secretArnRegion(secretArn), endpoint, timeoutMs: PSEUDONYM_KEY_LIMITS.requestTimeoutMs, credentials, transport: awsTransport, now }),
      now,
      log,
    });
  }
  /** What the decision line keeps of the route and the identity, by log profile. */
  const logged = (trace: Trace, identity: Identity): [string | null, Identity] => {
    if (profile === 'full') {
      return [trace.route, identity];
    }
    const route = trace.template ?? null;
    if (!pseudonymizer) {
      return [route, identity];
    }
    const { rawSub, rawClientId } = identity;
    const ready = pseudonymizer.loaded;
    return [route, { ...identity, sub: ready && rawSub !== undefined ? pseudonymizer.of(rawSub) : null, clientId: ready && rawClientId !== undefined ? pseudonymizer.of(rawClientId) : null }];
  };

  // The parsed method ARN and its route, per method ARN: a bounded map, so a flood of distinct ARNs
  // costs a bounded amount of memory. Everything in a target derives from the ARN text alone.
  const targets = new Map<string, Target>();
  const targetOf = (value: unknown): Target | undefined => {
    const cached = typeof value === 'string' ? targets.get(value) : undefined;
    if (cached) {
      return cached;
    }
    const arn = parseMethodArn(value);
    return arn && remember(targets, value as string, { ...arn, methodArn: value as string, route: `${arn.verb} ${arn.path}`, answers: new Map() }, MAX_CACHED_TARGETS);
  };

  // A policy depends only on the API stage, the set of permitted routes and (route scope) the called
  // route and verb, not on the token: built once per combination, deep-frozen, and shared by every
  // answer that needs it (the Lambda runtime only serializes it).
  const policies = new Map<string, PolicyDocument>();
  const answerFor = (target: Target, local: number | string, build: () => PolicyDocument['Statement']): Answer => {
    const cached = target.answers.get(local);
    if (cached) {
      return cached;
    }
    const { apiArnPrefix, verb } = target;
    const key = tokenScope ? `${apiArnPrefix} ${local}` : `${apiArnPrefix} ${verb} ${local}`;
    const policy = policies.get(key) ?? remember(policies, key, deepFreeze<PolicyDocument>({ Version: '2012-10-17', Statement: build() }), MAX_CACHED_POLICIES);
    const decision = evaluateStatements(policy.Statement, target.methodArn, arnPatternMatches);
    const verdict = evaluateStatements(policy.Statement, target.methodArn, arnPatternMatchesWithinSegments) === decision ? decision : undefined;
    return remember(target.answers, local, { policy, verdict }, MAX_CACHED_ANSWERS);
  };

  /** The route the request is for: from a REQUEST event's resource template when present (checked against the method ARN), else by matching the method ARN with API Gateway's precedence. */
  const calledRoute = (target: Target, resource: string | undefined): CompiledRoute | undefined => {
    const { verb, path } = target;
    if (resource === undefined) {
      if (target.matched === undefined) {
        target.matched = table.match(verb, path) ?? null;
      }
      return target.matched ?? undefined;
    }
    if (target.resource !== resource) {
      const named = table.byResource(verb, resource);
      if (named && !named.accepts(verb, path)) {
        throw new MalformedEventError(TERSE ? '' : "the event's resource does not match its methodArn");
      }
      target.byResource = named ?? null;
      target.resource = resource;
    }
    return target.byResource ?? undefined;
  };

  /** The answer for a verified token: synchronous unless a custom check runs. */
  const conclude = (token: VerifiedToken, target: Target, called: CompiledRoute | undefined, trace: Trace): Outcome | Promise<Outcome> => {
    const identity = identityOfToken(token);
    trace.identity = identity;
    if (!called) {
      // Drift between the deployed methods and the table (synth refuses undeclared methods), or a TOKEN
      // event whose path no route takes. A 401 is never cached, and no policy built from the request's own
      // path could be: it may hold `*` or `?`, which IAM reads as wildcards.
      throw new NoRouteError(TERSE ? '' : `no route of the table takes ${trace.route}`);
    }
    const { principalId, context } = principalAndContext(token, identity, pseudonymizer);
    const answered = (reason: ReasonCode | undefined, answer: Answer): Outcome => {
      const decision = reason ? 'deny' : 'allow';
      // The answer API Gateway will derive from the policy must be the decision logged here, under both
      // readings of IAM wildcards (any run of characters; or, within ARN segments, not across a ':').
      if (answer.verdict !== decision) {
        throw new PolicyInvariantError(TERSE ? '' : `the policy for ${trace.route} does not evaluate to '${decision}' under both readings of IAM wildcards`);
      }
      return { decision, reason: reason ?? 'ALLOW', result: { principalId, policyDocument: answer.policy, context } };
    };

    if (tokenScope) {
      // Why each route is refused, undefined where allowed: the answer covers every route.
      const refusals = routes.map((route) => staticRefusal(route, token));
      const withRefusals = (): Outcome => {
        // The set of permitted routes: a bit mask while it fits a small integer, else a string of bits.
        let permitted: number | string = maskable ? 0 : '';
        for (let i = 0; i < refusals.length; i++) {
          permitted = maskable ? (permitted as number) | (refusals[i] ? 0 : 1 << i) : `${permitted}${refusals[i] ? 0 : 1}`;
        }
        return answered(
          refusals[called.index],
          answerFor(target, permitted, () => tokenScopedStatements(table, refusals.map((refusal) => !refusal), target)),
        );
      };
      if (!customCheck) {
        return withRefusals();
      }
      return Promise.all(
        routes.map(async (route, i) => {
          if (!refusals[i] && !(await passes(customCheck, token, route))) {
            refusals[i] = 'CUSTOM_CHECK_FAILED';
          }
        }),
      ).then(withRefusals);
    }
    // A route-scoped answer covers the called route only.
    const withReason = (reason: ReasonCode | undefined): Outcome => {
      const allow = !reason;
      return answered(reason, answerFor(target, called.index * 2 + (allow ? 1 : 0), () => routeScopedStatements(allow, target, called)));
    };
    const reason = staticRefusal(called, token);
    if (reason || !customCheck) {
      return withReason(reason);
    }
    return passes(customCheck, token, called).then((ok) => withReason(ok ? undefined : 'CUSTOM_CHECK_FAILED'));
  };

  /** The decision for an event: synchronous when the issuer's key is at hand and no custom check runs. */
  const decide = (event: unknown, trace: Trace): Outcome | Promise<Outcome> => {
    const request = parseAuthorizerEvent(event, targetOf);
    const target = request.methodArn;
    trace.route = target.route;
    const called = calledRoute(target, request.resource);
    trace.route = called?.key ?? target.route;
    trace.template = called?.key;

    const verified = verifier.verifyBearer(request.authorization, trace);
    // Revocation after the signature and claims, before the route's scopes; synchronous while the deny list's snapshot is fresh.
    const proceed = (token: VerifiedToken): Outcome | Promise<Outcome> => {
      const checked = denyList?.check(token);
      return checked ? checked.then(() => conclude(token, target, called, trace)) : conclude(token, target, called, trace);
    };
    // A key set may answer with any thenable: it is adopted into a native promise, which `handle` awaits.
    return 'then' in verified ? Promise.resolve(verified).then(proceed) : proceed(verified);
  };

  return {
    async handle(event, context) {
      // process.hrtime, not performance.now(): the global `performance` loads perf_hooks (about 1 ms) at cold start.
      const started = process.hrtime.bigint();
      const trace: Trace = { route: null };
      try {
        if (pseudonymizer && !pseudonymizer.loaded) {
          await pseudonymizer.ready();
        }
        const pending = decide(event, trace);
        // No await (and so no extra turn of the event loop) when the decision was made at once.
        const outcome = pending instanceof Promise ? await pending : pending;
        safeLog(log, decisionRecord(context, ...logged(trace, trace.identity ?? NO_IDENTITY), outcome.decision, outcome.reason, started));
        return outcome.result;
      } catch (error) {
        try {
          if (error instanceof TokenRejectedError && error.verifiedClaims) {
            trace.verifiedClaims = error.verifiedClaims;
          }
          const reason = error instanceof AuthorizerError ? error.reason : 'INTERNAL_ERROR';
          safeLog(log, decisionRecord(context, ...logged(trace, identityOfFailure(trace)), 'unauthorized', reason, started, error));
        } catch {
          // Even a failure to describe the failure must end in the 401 below.
        }
        // eslint-disable-next-line preserve-caught-error -- API Gateway's contract is exactly 'Unauthorized'; the cause is in the decision log, never in the answer.
        throw new Error('Unauthorized');
      }
    },
  };
}

/** Whether the custom check keeps a route allowed for the token: `true` or nothing; any other answer denies. */
async function passes(customCheck: CustomCheck, token: VerifiedToken, route: CompiledRoute): Promise<boolean> {
  const verdict = await customCheck({ claims: token.claims, issuer: token.issuer.config, route: route.config });
  return verdict === true || verdict === undefined;
}

/** The decision line of a request: every field always present, in the documented order. */
function decisionRecord(context: unknown, route: string | null, identity: Identity, decision: Decision, reason: ReasonCode, started: bigint, error?: unknown): DecisionRecord {
  const record: DecisionRecord = {
    level: levelFor(decision, reason),
    msg: DECISION_LOG_MSG,
    requestId: requestIdOf(context),
    route: sanitizeText(route, MAX_LENGTH.route),
    decision,
    reason,
    issuer: identity.issuer,
    sub: identity.sub,
    clientId: identity.clientId,
    scopes: identity.scopes,
    ...(identity.scopesTruncated ? { scopesTruncated: true as const } : undefined),
    latencyMs: Math.round(Number(process.hrtime.bigint() - started) / 1000) / 1000,
  };
  return reason === 'INTERNAL_ERROR' && error !== undefined ? { ...record, error: errorName(error) } : record;
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
        msg: DECISION_LOG_MSG,
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
