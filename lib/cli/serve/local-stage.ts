/**
 * `secure-api serve`: a REST API of a synthesized app on 127.0.0.1, with the behaviour that decides who
 * gets in, as API Gateway documents it: resource and method matching with API Gateway's precedence, the
 * authorizer's real bundle from its asset with its real configuration (its issuers replaced by a local
 * one, whose key set this server publishes), identity sources (a missing one is a 401 without calling the
 * authorizer) and result caching (TTL, cache key), the IAM policy judged against the method ARN, the
 * template's gateway responses, and MOCK, HTTP proxy and Lambda proxy integrations (the function's asset
 * run in this process, one call at a time, with its literal environment variables and AWS endpoints pointed
 * at a closed loopback port, so a backend that calls AWS fails fast instead of reaching the network).
 *
 * Stage and method throttling answer 429 as API Gateway's token buckets do (rate per second, burst), before
 * the authorizer is called. Request validation, after it: required request parameters present and not
 * blank, and a JSON body against the method's model (the JSON Schema draft-4 checks of `json-schema.ts`),
 * each failure answered with the template's BAD_REQUEST_PARAMETERS or BAD_REQUEST_BODY response.
 *
 * The web ACL associated with the stage judges every request first, with the rules `waf.ts` can evaluate
 * (the others are listed in `notEmulated`): a block answers with the rule's custom response, or with the
 * template's WAF_FILTERED response.
 *
 * With `accessLog`, every request gives a line in the stage's own access-log format (`access-log.ts`).
 *
 * Cognito user pool authorizers verify tokens of the local issuer as API Gateway verifies those of the
 * user pool (`cognito-authorizer.ts`). Not emulated: IAM authorization (each such method answers 502 saying so).
 *
 * `issuers` points the JWT authorizers at other issuers than the local one (a mock identity provider, a
 * staging issuer).
 *
 * An authorizer that reads a deny list or a pseudonym key reads local stand-ins instead (`local-aws.ts`),
 * signing with placeholder credentials that this process holds while the stage runs.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { generateKeyPairSync, randomUUID, type JsonWebKey } from 'node:crypto';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { arnPatternMatches, compileValidatedRouteTable, CONFIG_ENV_VAR, CONFIG_FILE_NAME, parseConfig, type RouteConfig, type RouteMethod } from '../../../lambda/contract';
import type { AssemblyStack, CfnResource } from '../cloud-assembly';
import { configError } from '../errors';
import { type AccessLogValues, clfTime, renderAccessLogLine } from './access-log';
import { schemaProblem } from './json-schema';
import { LOCAL_DENY_LIST_TABLE, LOCAL_PSEUDONYM_SECRET_ARN, readDenyListFile, startLocalAws, type LocalAws } from './local-aws';
import { verifyCognitoToken } from './cognito-authorizer';
import { stageWebAcl } from './waf';
import { assetFolder, readAuthorizerConfig } from '../report/authorizer-config';
import { resourcePaths } from '../report/routes';
import { type AnyRecord, isRecord, ofType } from '../report/template';
import { references } from '../report/values';

/** The issuer every authorizer of a local stage trusts instead of its own: tokens for it are signed with `privateKeyPem`. */
export interface LocalIssuer {
  readonly issuer: string;
  /** `cognito` when every authorizer of the API is a Cognito user pool authorizer (its tokens carry `token_use`). */
  readonly kind: 'oidc' | 'cognito';
  readonly clientId: string;
  readonly audience: string;
  readonly kid: string;
  /** The RS256 signing key, PKCS#8 PEM. A test key: it exists only while the stage runs. */
  readonly privateKeyPem: string;
}

/** A running local stage. */
export interface LocalStage {
  /** The stage URL, `http://127.0.0.1:<port>/<stage>/`. */
  readonly url: URL;
  readonly issuer: LocalIssuer;
  /** What the stage does not emulate of its template, one item a line: `AWS-AWSManagedRulesCommonRuleSet (managed rule group)`. */
  readonly notEmulated: readonly string[];
  /** Whether the stage's template sets an access-log format (`accessLog` gets lines only then). */
  readonly hasAccessLogFormat: boolean;
  /**
   * The AWS resources an authorizer reads that the stage stands in for, one item a line: `deny list (empty)`,
   * `pseudonym key (random, this run only)`; empty when no authorizer reads any.
   */
  readonly standIns: readonly string[];
  close(): Promise<void>;
}

/** How a local stage is started. */
export interface LocalStageOptions {
  /** The REST API, by logical id or name, when the stack has several. */
  readonly api?: string;
  /** The port on 127.0.0.1; 0 or none for any free port. */
  readonly port?: number;
  /**
   * Receives an access-log line per request, in the format of the stage's `AccessLogSetting`; a stage
   * without one writes none.
   */
  readonly accessLog?: (line: string) => void;
  /**
   * The deny list of authorizers that read one (`revocation`): a file of DynamoDB JSON items, read again at
   * every read of the table (see `local-aws.ts`).
   * @default - an empty deny list
   */
  readonly denyListFile?: string;
  /**
   * The issuers every JWT authorizer trusts instead of the local issuer, in the format of the authorizer
   * configuration's `issuers` (`kind`, `issuer`, `jwksUri` or `keys`, `clientIds`, `audiences`...): a mock
   * identity provider on this machine, or a staging issuer whose real tokens the stage should take. Checked as
   * the authorizer checks its configuration. Cognito user pool authorizers keep the local issuer.
   * @default - the local issuer
   */
  readonly issuers?: readonly unknown[];
}

/** Where the local issuer's key set is published on the stage's server. */
const JWKS_PATH = '/.secure-api-local/jwks.json';
/** The client id and audience local tokens carry. */
const LOCAL_CLIENT = 'secure-api-local';
/** Region, account and API id in the method ARNs of a local stage (shaped as API Gateway's, which authorizers check). */
const LOCAL_ACCOUNT = '000000000000';
const LOCAL_API_ID = 'local00000';
const ARN_PREFIX = `arn:aws:execute-api:us-east-1:${LOCAL_ACCOUNT}:${LOCAL_API_ID}`;

interface Method {
  readonly verb: string;
  readonly path: string;
  readonly authorizationType: string;
  readonly authorizerId?: string;
  /** The method's authorization scopes (Cognito user pool authorizers). */
  readonly scopes: readonly string[];
  readonly integration: AnyRecord;
  /** The required request parameters (`method.request.querystring.q`...), when the validator checks them. */
  readonly requiredParameters: readonly string[];
  /** The JSON schema of the body, when the validator checks it. */
  readonly bodySchema?: unknown;
}

interface Authorizer {
  readonly type: 'TOKEN' | 'REQUEST';
  /** Header names (lower case) and context variables whose values key the cache. */
  readonly identitySources: readonly string[];
  readonly ttlSeconds: number;
  readonly handler: (event: unknown, context: unknown) => Promise<unknown>;
  readonly cache: Map<string, { statements: Statement[]; principalId?: unknown; context?: unknown; expiresAt: number }>;
}

interface Statement {
  readonly Effect?: unknown;
  readonly Action?: unknown;
  readonly Resource?: unknown;
}

interface GatewayResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly template?: string;
}

/** API Gateway's defaults for the responses a local stage gives itself. */
const DEFAULT_RESPONSES: Readonly<Record<string, { status: number; message: string }>> = {
  UNAUTHORIZED: { status: 401, message: 'Unauthorized' },
  ACCESS_DENIED: { status: 403, message: 'User is not authorized to access this resource' },
  MISSING_AUTHENTICATION_TOKEN: { status: 403, message: 'Missing Authentication Token' },
  AUTHORIZER_CONFIGURATION_ERROR: { status: 500, message: 'Internal server error' },
  THROTTLED: { status: 429, message: 'Too Many Requests' },
  BAD_REQUEST_PARAMETERS: { status: 400, message: 'Missing required request parameters' },
  BAD_REQUEST_BODY: { status: 400, message: 'Invalid request body' },
  WAF_FILTERED: { status: 403, message: 'Forbidden' },
};

/** A token bucket: `rate` tokens a second up to `burst`, one per request. */
class TokenBucket {
  private tokens: number;
  private at = Date.now();

  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }

  /** Takes a token if there is one. */
  take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** The `ResourcePath` of a stage's method setting for a resource template: `/items/{id}` is `/~1items~1{id}`. */
const settingPath = (template: string): string => `/${template.replaceAll('/', '~1')}`;

const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]);

/**
 * The path parameters of a request: each `{name}` segment of the resource template takes the request's
 * segment at its place, a greedy `{name+}` the rest of the path.
 */
export function pathParameters(template: string, path: string): Record<string, string> {
  const names = template.split('/');
  const segments = path.split('/');
  const parameters: Record<string, string> = {};
  names.forEach((segment, i) => {
    const match = /^\{([^}+]+)(\+?)\}$/.exec(segment);
    if (match) parameters[match[1]!] = match[2] ? segments.slice(i).join('/') : (segments[i] ?? '');
  });
  return parameters;
}

/**
 * What every function run by a local stage finds in its environment: a region, placeholder credentials, and
 * every AWS endpoint on a closed loopback port, so an SDK call fails at once rather than reaching AWS.
 */
const LAMBDA_ENVIRONMENT: Readonly<Record<string, string>> = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'secure-api-local',
  AWS_SECRET_ACCESS_KEY: 'secure-api-local',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
};

/** The request body, whole (a local stage takes what API Gateway would: at most 10 MB). */
async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > 10 * 1024 * 1024) break;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The body length of each answer sent, for `$context.responseLength`. */
const responseLengths = new WeakMap<ServerResponse, number>();

/** Sends a whole answer. */
function send(response: ServerResponse, status: number, headers: Readonly<Record<string, string>>, body: string | Buffer = ''): void {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  responseLengths.set(response, bytes.length);
  response.writeHead(status, headers).end(bytes);
}

/** An answer of the local stage itself (not API Gateway's): a JSON `message`. */
const sendMessage = (response: ServerResponse, status: number, message: string): void => send(response, status, { 'content-type': 'application/json' }, JSON.stringify({ message }));

/**
 * The headers a response-parameter map sets to literal values (`'no-store'`, quoted as API Gateway writes
 * them): `prefix` is `gatewayresponse.header.` or `method.response.header.`. Mapped values are left out.
 */
function literalHeaders(parameters: unknown, prefix: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(isRecord(parameters) ? parameters : {})) {
    const literal = typeof value === 'string' ? /^'(.*)'$/s.exec(value)?.[1] : undefined;
    if (name.startsWith(prefix) && literal !== undefined) headers[name.slice(prefix.length)] = literal;
  }
  return headers;
}

/** Whether a policy lets the call through: an Allow of `execute-api:Invoke` covers the ARN and no Deny does. */
function allows(statements: readonly Statement[], methodArn: string): boolean {
  const covers = (statement: Statement) =>
    asList(statement.Action).some((action) => action === '*' || action === 'execute-api:*' || action === 'execute-api:Invoke') &&
    asList(statement.Resource).some((resource) => typeof resource === 'string' && arnPatternMatches(resource, methodArn));
  return !statements.some((statement) => statement.Effect === 'Deny' && covers(statement)) && statements.some((statement) => statement.Effect === 'Allow' && covers(statement));
}

/** Loads the authorizer bundle of an asset folder with `config` over its configuration, in a folder of its own. */
function loadAuthorizerBundle(folder: string, config: AnyRecord, work: string): (event: unknown, context: unknown) => Promise<unknown> {
  const copy = mkdtempSync(join(work, 'authorizer-'));
  copyFileSync(join(folder, 'index.js'), join(copy, 'index.js'));
  if (existsSync(join(folder, CONFIG_FILE_NAME))) copyFileSync(join(folder, CONFIG_FILE_NAME), join(copy, CONFIG_FILE_NAME));
  const saved = process.env[CONFIG_ENV_VAR];
  process.env[CONFIG_ENV_VAR] = JSON.stringify(config);
  try {
    // The bundle reads its configuration once, when it loads.
    return (createRequire(join(copy, 'index.js'))(join(copy, 'index.js')) as { handler: (event: unknown, context: unknown) => Promise<unknown> }).handler;
  } finally {
    if (saved === undefined) delete process.env[CONFIG_ENV_VAR];
    else process.env[CONFIG_ENV_VAR] = saved;
  }
}

/**
 * Starts a local stage of a REST API of `stack`.
 * @param stack the stack, from the cloud assembly
 * @param options which API (by logical id or name, when the stack has several) and port
 */
export async function startLocalStage(stack: AssemblyStack, options: LocalStageOptions = {}): Promise<LocalStage> {
  const resources = stack.template.Resources ?? {};
  const apis = ofType(resources, 'AWS::ApiGateway::RestApi').filter(([id, api]) => options.api === undefined || id === options.api || api.Properties?.Name === options.api);
  if (apis.length !== 1) {
    throw configError('ERR_NO_API', `Stack ${stack.stackName} has ${apis.length === 0 ? 'no REST API' : `${apis.length} REST APIs`}${options.api ? ` named ${options.api}` : ''}: serve takes exactly one (--api).`);
  }
  if (options.issuers !== undefined) {
    try {
      parseConfig({ version: 1, issuers: options.issuers, routes: [] });
    } catch (error) {
      throw configError('ERR_BAD_ISSUERS', `The issuers cannot be used: ${error instanceof Error ? error.message : String(error)}.`);
    }
  }
  const denyListProblem = options.denyListFile === undefined ? undefined : readDenyListFile(options.denyListFile);
  if (typeof denyListProblem === 'string') {
    throw configError('ERR_DENY_LIST_FILE', `The deny-list file ${options.denyListFile} ${denyListProblem}.`);
  }
  const [apiId] = apis[0]!;
  const belongs = (resource: CfnResource) => references(resource.Properties?.RestApiId).has(apiId);
  const [stageId, stage] = ofType(resources, 'AWS::ApiGateway::Stage').find(([, candidate]) => belongs(candidate)) ?? [];
  const stageName = String(stage?.Properties?.StageName ?? 'prod');
  const accessLogSetting = stage?.Properties?.AccessLogSetting;
  const accessLogFormat = isRecord(accessLogSetting) && typeof accessLogSetting.Format === 'string' ? accessLogSetting.Format : undefined;
  // Throttling: a bucket per method setting that sets a limit, the stage-wide one (`/*`, `*`) for every other method.
  const buckets = new Map<string, TokenBucket>();
  for (const setting of asList(stage?.Properties?.MethodSettings).filter(isRecord)) {
    const rate = setting.ThrottlingRateLimit;
    const burst = setting.ThrottlingBurstLimit;
    if (typeof rate === 'number' && typeof burst === 'number') {
      buckets.set(`${String(setting.HttpMethod)} ${String(setting.ResourcePath)}`, new TokenBucket(rate, burst));
    }
  }
  const throttled = (verb: string, template: string): boolean => {
    const bucket = buckets.get(`${verb} ${settingPath(template)}`) ?? buckets.get('* /*');
    return bucket !== undefined && !bucket.take();
  };
  const waf = stageId === undefined ? {} : stageWebAcl(resources, stageId);
  const notEmulated = [
    ...(waf.outside !== undefined ? [`web ACL ${waf.outside} (not in this template)`] : []),
    ...(waf.acl?.notEmulated ?? []).map((rule) => `${rule.rule} (${rule.reason})`),
  ];
  const pathOf = resourcePaths(resources, apiId);
  const methods: Method[] = ofType(resources, 'AWS::ApiGateway::Method')
    .filter(([, method]) => belongs(method))
    .map(([, method]) => {
      const props = method.Properties ?? {};
      const validatorId = [...references(props.RequestValidatorId)][0];
      const validator = validatorId === undefined ? undefined : resources[validatorId]?.Properties;
      const modelId = isRecord(props.RequestModels) ? [...references(props.RequestModels['application/json'] ?? props.RequestModels.$default)][0] : undefined;
      const parameters = isRecord(props.RequestParameters) ? props.RequestParameters : {};
      return {
        verb: String(props.HttpMethod ?? 'ANY'),
        path: pathOf(props.ResourceId),
        authorizationType: String(props.AuthorizationType ?? 'NONE'),
        authorizerId: [...references(props.AuthorizerId)][0],
        scopes: asList(props.AuthorizationScopes).map(String),
        integration: isRecord(props.Integration) ? props.Integration : {},
        requiredParameters: validator?.ValidateRequestParameters === true ? Object.keys(parameters).filter((name) => parameters[name] === true) : [],
        ...(validator?.ValidateRequestBody === true && modelId !== undefined ? { bodySchema: resources[modelId]?.Properties?.Schema } : {}),
      };
    });
  notEmulated.push(...methods.filter((method) => method.authorizationType === 'AWS_IAM').map((method) => `AWS_IAM authorization of ${method.verb} ${method.path} (answers 502)`));
  const table = compileValidatedRouteTable(methods.map((method): RouteConfig => ({ method: method.verb as RouteMethod, path: method.path })));

  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const work = mkdtempSync(join(tmpdir(), 'secure-api-serve-'));
  const server = createServer();
  await new Promise<void>((resolveListen) => server.listen(options.port ?? 0, '127.0.0.1', resolveListen));
  const port = (server.address() as { port: number }).port;
  const origin = `http://127.0.0.1:${port}`;
  const apiAuthorizers = ofType(resources, 'AWS::ApiGateway::Authorizer').filter(([, a]) => belongs(a));
  const onlyCognito = apiAuthorizers.length > 0 && apiAuthorizers.every(([, a]) => a.Properties?.Type === 'COGNITO_USER_POOLS');
  const issuer: LocalIssuer = {
    issuer: `${origin}/.secure-api-local`,
    kind: onlyCognito ? 'cognito' : 'oidc',
    clientId: LOCAL_CLIENT,
    audience: LOCAL_CLIENT,
    kid: `local-${randomUUID()}`,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
  const userPool = { issuer: issuer.issuer, kid: issuer.kid, publicKey };
  const jwks = { keys: [{ ...(publicKey.export({ format: 'jwk' }) as JsonWebKey), kid: issuer.kid, alg: 'RS256', use: 'sig' }] };

  // The deny list and the pseudonym key of authorizers that read them: local stand-ins, started on first need.
  let localAws: LocalAws | undefined;
  const standIns = new Set<string>();
  const savedEnvironment = new Map<string, string | undefined>();
  const setEnvironment = (name: string, value: string | undefined): void => {
    if (!savedEnvironment.has(name)) savedEnvironment.set(name, process.env[name]);
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  };
  const localDataProtection = async (config: AnyRecord): Promise<AnyRecord> => {
    const denyList = isRecord(config.denyList) ? config.denyList : undefined;
    const pseudonymKey = isRecord(config.pseudonymKey) ? config.pseudonymKey : undefined;
    if (denyList === undefined && pseudonymKey === undefined) return {};
    if (localAws === undefined) {
      localAws = await startLocalAws({ ...(options.denyListFile !== undefined ? { denyListFile: options.denyListFile } : {}) });
      // The bundle signs its calls with the credentials of its environment, as in Lambda: placeholders, so a
      // local stage never holds (or sends) the operator's own, whatever this process was started with.
      for (const [name, value] of Object.entries(LAMBDA_ENVIRONMENT)) setEnvironment(name, value);
      setEnvironment('AWS_SESSION_TOKEN', undefined);
      setEnvironment('AWS_ENDPOINT_URL_SECRETS_MANAGER', localAws.url);
    }
    const replaced: AnyRecord = {};
    if (denyList !== undefined) {
      replaced.denyList = { ...denyList, tableName: LOCAL_DENY_LIST_TABLE, region: 'us-east-1', endpoint: localAws.url };
      standIns.add(`deny list (${localAws.denyListSource === 'empty' ? 'empty' : `${localAws.denyListSource}, read at every refresh`})`);
    }
    if (pseudonymKey !== undefined) {
      replaced.pseudonymKey = { secretArn: LOCAL_PSEUDONYM_SECRET_ARN };
      standIns.add('pseudonym key (random, this run only)');
    }
    return replaced;
  };

  const authorizers = new Map<string, Authorizer>();
  // Cognito user pool authorizers: the header their token comes in (lower case), by logical id.
  const cognitoAuthorizers = new Map<string, string>();
  for (const [id, authorizer] of apiAuthorizers) {
    const props = authorizer.Properties ?? {};
    const type = String(props.Type);
    if (type === 'COGNITO_USER_POOLS') {
      cognitoAuthorizers.set(id, String(props.IdentitySource ?? 'method.request.header.Authorization').replace(/^method\.request\.header\./, '').toLowerCase());
      continue;
    }
    const functionId = [...references(props.AuthorizerUri)].find((ref) => resources[ref]?.Type === 'AWS::Lambda::Function');
    if ((type !== 'TOKEN' && type !== 'REQUEST') || functionId === undefined) continue;
    const loaded = readAuthorizerConfig(stack, resources[functionId]!);
    if (loaded.config === undefined || loaded.folder === undefined || !existsSync(join(loaded.folder, 'index.js'))) continue;
    const trusted = options.issuers ?? [{ kind: 'oidc', issuer: issuer.issuer, jwksUri: `${origin}${JWKS_PATH}`, clientIds: [LOCAL_CLIENT], audiences: [LOCAL_CLIENT], algorithms: ['RS256'] }];
    const sources = String(props.IdentitySource ?? (type === 'TOKEN' ? 'method.request.header.Authorization' : ''))
      .split(',')
      .map((source) => source.trim().replace(/^method\.request\.header\./, 'header:').toLowerCase())
      .filter((source) => source !== '');
    authorizers.set(id, {
      type,
      identitySources: sources,
      ttlSeconds: typeof props.AuthorizerResultTtlInSeconds === 'number' ? props.AuthorizerResultTtlInSeconds : 300,
      handler: loadAuthorizerBundle(loaded.folder, { ...loaded.config, issuers: trusted, ...(await localDataProtection(loaded.config)) }, work),
      cache: new Map(),
    });
  }

  // Lambda functions run in this process: loaded in place (so their own imports resolve as in the project),
  // with their literal environment variables, one call at a time (they share process.env).
  const lambdas = new Map<string, ((event: unknown, context: unknown) => Promise<unknown>) | undefined>();
  const lambdaHandler = (functionId: string): ((event: unknown, context: unknown) => Promise<unknown>) | undefined => {
    if (!lambdas.has(functionId)) {
      const fn = resources[functionId]!;
      const [file, exportName] = String(fn.Properties?.Handler ?? 'index.handler').split(/\.(?=[^.]+$)/);
      const code = isRecord(fn.Properties?.Code) ? fn.Properties.Code : {};
      let folder = assetFolder(stack, fn);
      if (typeof code.ZipFile === 'string') {
        // Inline code (lambda.Code.fromInline) is in the template itself.
        folder = mkdtempSync(join(work, 'inline-'));
        writeFileSync(join(folder, `${file}.js`), code.ZipFile);
      }
      const entry = folder === undefined ? undefined : join(folder, `${file}.js`);
      if (entry === undefined || !existsSync(entry)) {
        lambdas.set(functionId, undefined);
      } else {
        const variables = isRecord(fn.Properties?.Environment) && isRecord(fn.Properties.Environment.Variables) ? fn.Properties.Environment.Variables : {};
        Object.assign(process.env, LAMBDA_ENVIRONMENT, Object.fromEntries(Object.entries(variables).filter((entry): entry is [string, string] => typeof entry[1] === 'string')));
        const loaded = createRequire(entry)(entry) as Record<string, unknown>;
        const handler = loaded[exportName ?? 'handler'];
        lambdas.set(functionId, typeof handler === 'function' ? (event, context) => Promise.resolve((handler as (e: unknown, c: unknown) => unknown)(event, context)) : undefined);
      }
    }
    return lambdas.get(functionId);
  };
  let queue: Promise<unknown> = Promise.resolve();
  const invokeOneAtATime = <T>(call: () => Promise<T>): Promise<T> => {
    const result = queue.then(call, call);
    queue = result.catch(() => undefined);
    return result;
  };

  const gatewayResponses = new Map<string, GatewayResponse>();
  for (const [, response] of ofType(resources, 'AWS::ApiGateway::GatewayResponse').filter(([, r]) => belongs(r))) {
    const props = response.Properties ?? {};
    const headers = literalHeaders(props.ResponseParameters, 'gatewayresponse.header.');
    const template = isRecord(props.ResponseTemplates) ? props.ResponseTemplates['application/json'] : undefined;
    gatewayResponses.set(String(props.ResponseType), {
      status: Number(props.StatusCode ?? 0),
      headers,
      ...(typeof template === 'string' ? { template } : {}),
    });
  }

  const gateway = (response: ServerResponse, type: string, log: Map<string, string | number | undefined>): void => {
    const requestId = String(log.get('requestId'));
    const fallback = DEFAULT_RESPONSES[type] ?? { status: 500, message: 'Internal server error' };
    const family = fallback.status >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX';
    const own = gatewayResponses.get(type);
    const general = gatewayResponses.get(family);
    const headers = { ...general?.headers, ...own?.headers };
    const template = own?.template ?? general?.template;
    const body =
      template === undefined
        ? JSON.stringify({ message: fallback.message })
        : template.replaceAll('$context.error.messageString', JSON.stringify(fallback.message)).replaceAll('$context.error.message', fallback.message).replaceAll('$context.requestId', requestId);
    log.set('error.responseType', type);
    log.set('error.message', fallback.message);
    log.set('error.messageString', JSON.stringify(fallback.message));
    send(response, own?.status || fallback.status, { 'content-type': 'application/json', ...headers }, body);
  };

  const integrate = async (
    response: ServerResponse,
    method: Method,
    request: IncomingMessage,
    path: string,
    call: { log: Map<string, string | number | undefined>; authorizer?: Record<string, unknown>; prefix: string; body: Buffer },
  ): Promise<void> => {
    const { log } = call;
    const requestId = String(log.get('requestId'));
    const type = String(method.integration.Type ?? '');
    const started = Date.now();
    const integrated = (status: number | undefined, error?: string): void => {
      log.set('integration.status', status);
      log.set('integrationStatus', status);
      log.set('integration.latency', Date.now() - started);
      log.set('integrationLatency', Date.now() - started);
      log.set('integration.error', error);
    };
    if (type === 'AWS_PROXY') {
      const functionId = [...references(method.integration.Uri)].find((ref) => resources[ref]?.Type === 'AWS::Lambda::Function');
      const handler = functionId === undefined ? undefined : lambdaHandler(functionId);
      if (handler === undefined) {
        sendMessage(response, 502, 'secure-api serve cannot run this function: its asset is not in cdk.out');
        return;
      }
      const url = new URL(request.url ?? '/', origin);
      const body = call.body;
      const headers = Object.fromEntries(Object.entries(request.headers).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
      const event = {
        resource: method.path,
        path,
        httpMethod: request.method,
        headers,
        multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
        queryStringParameters: url.searchParams.size > 0 ? Object.fromEntries(url.searchParams) : null,
        pathParameters: method.path.includes('{') ? pathParameters(method.path, path) : null,
        stageVariables: null,
        requestContext: { accountId: LOCAL_ACCOUNT, apiId: LOCAL_API_ID, stage: stageName, resourcePath: method.path, httpMethod: request.method, path: `${call.prefix}${path}`, requestId, authorizer: call.authorizer ?? null, identity: { sourceIp: request.socket.remoteAddress } },
        body: body.length > 0 ? body.toString('utf8') : null,
        isBase64Encoded: false,
      };
      const invocationId = randomUUID();
      log.set('integration.requestId', invocationId);
      let result: unknown;
      try {
        result = await invokeOneAtATime(() => handler(event, { awsRequestId: invocationId, functionName: functionId, getRemainingTimeInMillis: () => 29_000 }));
      } catch {
        // Lambda itself answers 200 for a function that throws; API Gateway turns it into a 502.
        integrated(200, 'The function threw');
        sendMessage(response, 502, 'Internal server error');
        return;
      }
      integrated(200);
      if (!isRecord(result) || typeof result.statusCode !== 'number') {
        log.set('integration.error', 'Malformed Lambda proxy response');
        sendMessage(response, 502, 'Internal server error');
        return;
      }
      const answerHeaders = Object.fromEntries(Object.entries(isRecord(result.headers) ? result.headers : {}).map(([name, value]) => [name, String(value)]));
      const answerBody = typeof result.body === 'string' ? Buffer.from(result.body, result.isBase64Encoded === true ? 'base64' : 'utf8') : Buffer.alloc(0);
      send(response, result.statusCode, answerHeaders, answerBody);
      return;
    }
    if (type === 'MOCK') {
      const template = isRecord(method.integration.RequestTemplates) ? method.integration.RequestTemplates['application/json'] : undefined;
      const status = typeof template === 'string' ? Number(/"statusCode"\s*:\s*(\d{3})/.exec(template)?.[1] ?? 200) : 200;
      const integrationResponse = asList(method.integration.IntegrationResponses).find((entry) => isRecord(entry) && String(entry.StatusCode) === String(status));
      const headers = literalHeaders(isRecord(integrationResponse) ? integrationResponse.ResponseParameters : undefined, 'method.response.header.');
      const body = isRecord(integrationResponse) && isRecord(integrationResponse.ResponseTemplates) ? integrationResponse.ResponseTemplates['application/json'] : undefined;
      integrated(status);
      send(response, status, { 'content-type': 'application/json', ...headers }, typeof body === 'string' ? body : '');
      return;
    }
    if (type === 'HTTP_PROXY' && typeof method.integration.Uri === 'string') {
      // The backend gets the request's path parameters in the URI's places (no header, so no token, is forwarded).
      const target = method.integration.Uri.replace(/\{([^}+]+)\+?\}/g, (_match, name: string) => pathParameters(method.path, path)[name] ?? '');
      try {
        const answer = await fetch(target, { method: request.method, redirect: 'manual' });
        const answerBody = Buffer.from(await answer.arrayBuffer());
        integrated(answer.status);
        send(response, answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }, answerBody);
      } catch {
        integrated(undefined, 'The HTTP backend did not answer');
        sendMessage(response, 502, 'Bad Gateway: the HTTP backend did not answer');
      }
      return;
    }
    sendMessage(response, 502, `secure-api serve does not run ${type || 'this'} integrations yet`);
  };

  /**
   * A Lambda authorizer's verdict on a request (from its cache when it holds one): the authorizer context
   * for the integration, or the gateway response refusing it.
   */
  const authorizeCustom = async (
    method: Method,
    request: IncomingMessage,
    exchange: { url: URL; path: string; prefix: string; log: Map<string, string | number | undefined> },
  ): Promise<{ context: Record<string, unknown> } | { refusal: string }> => {
    const { url, path, prefix, log } = exchange;
    const requestId = String(log.get('requestId'));
    const verb = request.method ?? 'GET';
    const authorizer = method.authorizerId === undefined ? undefined : authorizers.get(method.authorizerId);
    if (authorizer === undefined) return { refusal: 'AUTHORIZER_CONFIGURATION_ERROR' };
    const context: Record<string, string> = { 'context.httpmethod': verb, 'context.resourcepath': method.path };
    const values = authorizer.identitySources.map((source) => (source.startsWith('header:') ? request.headers[source.slice('header:'.length)] : context[source]));
    if (values.some((value) => typeof value !== 'string' || value === '')) {
      // API Gateway answers 401 without calling the authorizer when an identity source is missing or empty.
      return { refusal: 'UNAUTHORIZED' };
    }
    const started = Date.now();
    const key = JSON.stringify(values);
    const methodArn = `${ARN_PREFIX}/${stageName}/${verb}${path}`;
    let cached = authorizer.cache.get(key);
    if (cached === undefined || cached.expiresAt <= Date.now()) {
      const headers = Object.fromEntries(Object.entries(request.headers).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
      const event =
        authorizer.type === 'TOKEN'
          ? { type: 'TOKEN', authorizationToken: request.headers[authorizer.identitySources[0]!.slice('header:'.length)], methodArn }
          : {
              type: 'REQUEST',
              methodArn,
              resource: method.path,
              path,
              httpMethod: verb,
              headers,
              multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
              queryStringParameters: Object.fromEntries(url.searchParams),
              requestContext: { accountId: LOCAL_ACCOUNT, apiId: LOCAL_API_ID, stage: stageName, httpMethod: verb, resourcePath: method.path, path: `${prefix}${path}`, requestId },
            };
      const invocationId = randomUUID();
      log.set('authorizer.requestId', invocationId);
      let answer: unknown;
      try {
        answer = await authorizer.handler(event, { awsRequestId: invocationId });
      } catch (error) {
        const unauthorized = error instanceof Error && error.message === 'Unauthorized';
        log.set('authorizer.integrationLatency', Date.now() - started);
        log.set('authorizer.latency', Date.now() - started);
        log.set('authorizer.status', unauthorized ? 401 : 500);
        log.set('authorizer.error', unauthorized ? 'Unauthorized' : 'The authorizer failed');
        return { refusal: unauthorized ? 'UNAUTHORIZED' : 'AUTHORIZER_CONFIGURATION_ERROR' };
      }
      log.set('authorizer.integrationLatency', Date.now() - started);
      const statements = isRecord(answer) && isRecord(answer.policyDocument) ? asList(answer.policyDocument.Statement).filter(isRecord) : [];
      cached = { statements, principalId: isRecord(answer) ? answer.principalId : undefined, context: isRecord(answer) ? answer.context : undefined, expiresAt: Date.now() + authorizer.ttlSeconds * 1000 };
      if (authorizer.ttlSeconds > 0) authorizer.cache.set(key, cached);
    }
    log.set('authorizer.latency', Date.now() - started);
    const authorizerContext = { ...(isRecord(cached.context) ? cached.context : {}), principalId: cached.principalId };
    for (const [name, value] of Object.entries(authorizerContext)) {
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') log.set(`authorizer.${name}`, String(value));
    }
    if (!allows(cached.statements, methodArn)) {
      log.set('authorizer.status', 403);
      return { refusal: 'ACCESS_DENIED' };
    }
    log.set('authorizer.status', 200);
    return { context: authorizerContext };
  };

  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const receivedAt = Date.now();
    const requestId = randomUUID();
    const url = new URL(request.url ?? '/', origin);
    if (request.method === 'GET' && url.pathname === JWKS_PATH) {
      send(response, 200, { 'content-type': 'application/json' }, JSON.stringify(jwks));
      return;
    }
    const verb = request.method ?? 'GET';
    // What the access-log line knows of the request: never a header beyond the User-Agent, so never a token.
    const log = new Map<string, string | number | undefined>([
      ['requestId', requestId],
      ['extendedRequestId', requestId],
      ['requestTime', clfTime(receivedAt)],
      ['requestTimeEpoch', receivedAt],
      ['identity.sourceIp', request.socket.remoteAddress],
      ['identity.userAgent', request.headers['user-agent']],
      ['httpMethod', verb],
      ['path', url.pathname],
      ['protocol', `HTTP/${request.httpVersion}`],
      ['stage', stageName],
      ['apiId', LOCAL_API_ID],
      ['accountId', LOCAL_ACCOUNT],
      ['domainName', request.headers.host],
    ]);
    if (accessLogFormat !== undefined && options.accessLog !== undefined) {
      const write = options.accessLog;
      response.on('finish', () => {
        log.set('status', response.statusCode);
        log.set('responseLength', responseLengths.get(response) ?? 0);
        log.set('responseLatency', Date.now() - receivedAt);
        write(renderAccessLogLine(accessLogFormat, log as AccessLogValues));
      });
    }
    void (async () => {
      const body = await readBody(request);
      if (waf.acl !== undefined) {
        // AWS WAF sees the request line as sent, before any normalisation.
        const [rawPath = '/', ...rawQuery] = (request.url ?? '/').split('?');
        const wafStarted = Date.now();
        const verdict = waf.acl.evaluate({ sourceIp: request.socket.remoteAddress ?? '', method: verb, uriPath: rawPath, queryString: rawQuery.join('?'), headers: request.headers, body });
        log.set('waf.latency', Date.now() - wafStarted);
        log.set('wafResponseCode', `WAF_${verdict.action}`);
        log.set('waf.status', verdict.action === 'ALLOW' ? 200 : (verdict.response?.status ?? 403));
        if (verdict.action === 'BLOCK') {
          const custom = verdict.response;
          if (custom === undefined) {
            gateway(response, 'WAF_FILTERED', log);
          } else {
            send(response, custom.status, { ...(custom.body !== undefined ? { 'content-type': custom.body.contentType } : {}), ...custom.headers }, custom.body?.content ?? '');
          }
          return;
        }
      }
      const prefix = `/${stageName}`;
      const path = url.pathname === prefix ? '/' : url.pathname.startsWith(`${prefix}/`) ? url.pathname.slice(prefix.length) : undefined;
      const route = path === undefined ? undefined : table.match(verb as never, path);
      const method = route === undefined ? undefined : methods[route.index];
      if (method === undefined || path === undefined) {
        gateway(response, 'MISSING_AUTHENTICATION_TOKEN', log);
        return;
      }
      log.set('resourcePath', method.path);
      if (throttled(method.verb, method.path)) {
        gateway(response, 'THROTTLED', log);
        return;
      }
      let authorizerContext: Record<string, unknown> | undefined;
      if (method.authorizationType === 'CUSTOM') {
        const verdict = await authorizeCustom(method, request, { url, path, prefix, log });
        if ('refusal' in verdict) {
          gateway(response, verdict.refusal, log);
          return;
        }
        authorizerContext = verdict.context;
      } else if (method.authorizationType === 'COGNITO_USER_POOLS') {
        const header = method.authorizerId === undefined ? undefined : cognitoAuthorizers.get(method.authorizerId);
        if (header === undefined) {
          gateway(response, 'AUTHORIZER_CONFIGURATION_ERROR', log);
          return;
        }
        const value = request.headers[header];
        const verdict = typeof value === 'string' && value !== '' ? verifyCognitoToken(value, userPool, method.scopes, Math.floor(Date.now() / 1000)) : { refusal: 'missing' };
        if ('refusal' in verdict) {
          log.set('authorizer.status', 401);
          log.set('authorizer.error', `Unauthorized (${verdict.refusal})`);
          gateway(response, 'UNAUTHORIZED', log);
          return;
        }
        log.set('authorizer.status', 200);
        for (const [name, claim] of Object.entries(verdict.claims)) {
          if (typeof claim === 'string' || typeof claim === 'number' || typeof claim === 'boolean') log.set(`authorizer.claims.${name}`, String(claim));
        }
        // API Gateway hands the integration every claim as a string.
        authorizerContext = { claims: Object.fromEntries(Object.entries(verdict.claims).map(([name, claim]) => [name, typeof claim === 'string' ? claim : JSON.stringify(claim)])) };
      } else if (method.authorizationType !== 'NONE') {
        // SigV4 needs AWS credentials and IAM policies, which a local stage has neither of.
        sendMessage(response, 502, `secure-api serve does not emulate ${method.authorizationType} authorization: call this method on a deployed stage`);
        return;
      }
      const missing = method.requiredParameters.filter((parameter) => {
        const [, , where, name] = parameter.split('.');
        const value = where === 'querystring' ? url.searchParams.get(name ?? '') : where === 'header' ? request.headers[(name ?? '').toLowerCase()] : where === 'path' ? pathParameters(method.path, path)[name ?? ''] : undefined;
        return typeof value !== 'string' || value.trim() === '';
      });
      if (missing.length > 0) {
        gateway(response, 'BAD_REQUEST_PARAMETERS', log);
        return;
      }
      if (method.bodySchema !== undefined) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(body.toString('utf8'));
        } catch {
          gateway(response, 'BAD_REQUEST_BODY', log);
          return;
        }
        if (schemaProblem(method.bodySchema, parsed) !== undefined) {
          gateway(response, 'BAD_REQUEST_BODY', log);
          return;
        }
      }
      await integrate(response, method, request, path, { log, authorizer: authorizerContext, prefix, body });
    })().catch(() => {
      if (!response.headersSent) sendMessage(response, 500, 'Internal server error');
    });
  });

  return {
    url: new URL(`${origin}/${stageName}/`),
    issuer,
    notEmulated,
    hasAccessLogFormat: accessLogFormat !== undefined,
    standIns: [...standIns],
    close: async () => {
      await new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeAllConnections();
        rmSync(work, { recursive: true, force: true });
      });
      await localAws?.close();
      for (const [name, value] of savedEnvironment) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    },
  };
}
