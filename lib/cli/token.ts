/**
 * The OAuth 2.0 client-credentials grant against a Cognito token endpoint, with the local token cache.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 * @see https://docs.aws.amazon.com/cognito/latest/developerguide/token-endpoint.html
 */
import { DescribeUserPoolClientCommand } from '@aws-sdk/client-cognito-identity-provider';
import { CognitoTarget, callAws } from './cognito';
import { CliError, ExitCode, configError, usageError } from './errors';
import { HttpSeams, toNetworkError } from './http';
import { CachedToken, TokenCache, TokenCacheKey, normalizeScopes } from './token-cache';
import { verifyPoolTokenEndpoint } from './token-endpoint';

/** How `secure-api token` prints the token. */
export type TokenFormat = 'raw' | 'header' | 'json';

/** Every {@link TokenFormat}. */
export const TOKEN_FORMATS: readonly TokenFormat[] = ['raw', 'header', 'json'];

/** Default timeout of one HTTP request, in milliseconds. */
export const DEFAULT_HTTP_TIMEOUT_MS = 10_000;

/** The machine-to-machine app client, as `DescribeUserPoolClient` returns it. */
export interface MachineClient {
  /** The app client id. */
  readonly clientId: string;
  /** The client secret. Keep it in memory only. */
  readonly clientSecret: string;
  /** The scopes the client may request. */
  readonly allowedScopes: readonly string[];
}

/**
 * Reads the app client with `DescribeUserPoolClient` and checks that it can use the client-credentials
 * grant: it has a secret, allows the flow, and allows every requested scope.
 *
 * @throws CliError (exit 3) when the client cannot use the grant, (exit 2) when a scope is not allowed,
 * or the mapped AWS error
 */
export async function describeMachineClient(target: CognitoTarget, clientId: string, scopes: readonly string[]): Promise<MachineClient> {
  const response = await callAws({ action: 'DescribeUserPoolClient', region: target.region, userPoolId: target.userPoolId, clientId }, () =>
    target.client.send(new DescribeUserPoolClientCommand({ UserPoolId: target.userPoolId, ClientId: clientId })),
  );
  const appClient = response.UserPoolClient;
  if (!appClient?.ClientSecret) {
    throw configError(
      'ERR_CLIENT_HAS_NO_SECRET',
      `App client ${clientId} has no client secret, so it cannot use the client-credentials grant. Use the machine client (MachineClientId), created with generateSecret: true.`,
    );
  }
  if (!(appClient.AllowedOAuthFlows ?? []).includes('client_credentials')) {
    throw configError(
      'ERR_CLIENT_CREDENTIALS_NOT_ALLOWED',
      `App client ${clientId} does not allow the client_credentials flow (allowed: ${(appClient.AllowedOAuthFlows ?? []).join(', ') || 'none'}). Use the machine client (MachineClientId).`,
    );
  }
  const allowedScopes = appClient.AllowedOAuthScopes ?? [];
  const refused = scopes.filter((scope) => !allowedScopes.includes(scope));
  if (refused.length > 0) {
    throw usageError(
      'ERR_SCOPE_NOT_ALLOWED',
      `App client ${clientId} may not request ${refused.join(', ')} (allowed: ${allowedScopes.join(', ') || 'none'}). Pass only allowed scopes to --scope.`,
    );
  }
  return { clientId, clientSecret: appClient.ClientSecret, allowedScopes };
}

/** A client-credentials token request. */
export interface ClientCredentialsRequest {
  /** The token endpoint, already checked with `parseSecureUrl`. */
  readonly tokenEndpoint: URL;
  /** The client id. */
  readonly clientId: string;
  /** The client secret, sent with `client_secret_basic` only. */
  readonly clientSecret: string;
  /** Scopes to request; empty requests every scope the client may have. */
  readonly scopes: readonly string[];
}

/**
 * Requests a token with the client-credentials grant, authenticating with `client_secret_basic`
 * (RFC 6749 §2.3.1: id and secret form-encoded, then Base64).
 *
 * @throws CliError mapping the OAuth error (`invalid_client` → exit 4, `invalid_scope` → 2,
 * `unauthorized_client` → 3, others → 5) or the network failure (exit 6)
 */
export async function requestClientCredentialsToken(request: ClientCredentialsRequest, seams: HttpSeams): Promise<CachedToken> {
  const body = new URLSearchParams({ grant_type: 'client_credentials' });
  if (request.scopes.length > 0) {
    body.set('scope', request.scopes.join(' '));
  }
  const basic = Buffer.from(`${formEncode(request.clientId)}:${formEncode(request.clientSecret)}`).toString('base64');
  const requestedAt = seams.now();
  let response: Response;
  let text: string;
  try {
    response = await seams.fetch(request.tokenEndpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: body.toString(),
      redirect: 'error',
      signal: AbortSignal.timeout(seams.timeoutMs),
    });
    text = await response.text();
  } catch (error) {
    throw toNetworkError(error, request.tokenEndpoint) ?? error;
  }
  const payload = parseJsonObject(text);
  if (!response.ok) {
    throw oauthError(response.status, payload, request);
  }
  const accessToken = payload?.access_token;
  const tokenType = payload?.token_type;
  const expiresIn = payload?.expires_in;
  if (typeof accessToken !== 'string' || typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer' || typeof expiresIn !== 'number' || !(expiresIn > 0)) {
    throw new CliError(
      'ERR_TOKEN_RESPONSE_MALFORMED',
      `The token endpoint ${request.tokenEndpoint.origin} answered ${response.status} without a bearer access_token and expires_in. Check --token-endpoint.`,
      { exitCode: ExitCode.AwsOther },
    );
  }
  return {
    accessToken,
    tokenType: 'Bearer',
    scope: typeof payload?.scope === 'string' ? payload.scope : undefined,
    // Counted from when the request left, so the cache errs on the side of refreshing early.
    expiresAt: Math.floor(requestedAt / 1000) + expiresIn,
  };
}

function oauthError(status: number, payload: Record<string, unknown> | undefined, request: ClientCredentialsRequest): CliError {
  const error = typeof payload?.error === 'string' ? payload.error : undefined;
  const origin = request.tokenEndpoint.origin;
  switch (error) {
    case 'invalid_client':
      return new CliError(
        'ERR_OAUTH_INVALID_CLIENT',
        `The token endpoint ${origin} rejected client ${request.clientId} (invalid_client). Its secret may have been rotated, or the client belongs to another user pool: check --client-id and --user-pool-id.`,
        { exitCode: ExitCode.AwsAuth },
      );
    case 'invalid_scope':
      return usageError(
        'ERR_OAUTH_INVALID_SCOPE',
        `The token endpoint ${origin} refused the scopes ${request.scopes.join(' ') || '(none)'} (invalid_scope). Pass scopes of the API's resource server to --scope.`,
      );
    case 'unauthorized_client':
      return configError(
        'ERR_OAUTH_UNAUTHORIZED_CLIENT',
        `The token endpoint ${origin} does not let client ${request.clientId} use the client-credentials grant (unauthorized_client). Use the machine client.`,
      );
    default:
      return new CliError(
        'ERR_OAUTH_REQUEST_FAILED',
        `The token endpoint ${origin} answered ${status}${error ? ` (${error})` : ''}. Check --token-endpoint, then retry.`,
        { exitCode: ExitCode.AwsOther },
      );
  }
}

/** What {@link getMachineToken} needs to know. */
export interface MachineTokenRequest {
  /** The token endpoint, already checked with `parseSecureUrl`. */
  readonly tokenEndpoint: URL;
  /** Where the token endpoint came from, for messages, e.g. `--token-endpoint`. @default 'the token endpoint setting' */
  readonly tokenEndpointSource?: string;
  /**
   * The operator vouched for the endpoint on the command line (`--trust-token-endpoint`), so it is not
   * checked against the user pool's domains.
   * @default false
   */
  readonly trustTokenEndpoint?: boolean;
  /** The user pool of the client (part of the cache key; used to read the secret). */
  readonly userPoolId: string;
  /** The machine client. */
  readonly clientId: string;
  /** Scopes to request; empty requests every scope the client may have. */
  readonly scopes: readonly string[];
  /** The token cache; `undefined` with `--no-cache`. */
  readonly cache?: TokenCache;
  /** Reads the secret even when the cached token is still good (for `--show-secret`). */
  readonly needSecret?: boolean;
}

/** A token ready to print. */
export interface MachineToken extends CachedToken {
  /** True when it came from the cache, without any request. */
  readonly fromCache: boolean;
  /** The client secret, present only when it was asked for. */
  readonly clientSecret?: string;
}

/** Progress hooks, so the command can tell the operator what it waits for. */
export interface TokenProgress {
  /** Called before each network step with a short description. */
  step(text: string): void;
  /** Called with a fact worth a line in `--verbose`, e.g. that the token endpoint passed its check. */
  note?(text: string): void;
  /** Called when something failed that does not stop the command, e.g. a cache that cannot be written. */
  warn?(text: string): void;
}

/**
 * Returns a client-credentials access token: from the cache if it stays valid long enough, otherwise
 * checks that the token endpoint belongs to the user pool (DescribeUserPool, unless the operator
 * trusted it explicitly), reads the client secret (DescribeUserPoolClient), requests a token and caches
 * it. A cache that cannot be written is a warning: the token is good, only the next call costs more.
 *
 * @param connect creates the Cognito target lazily, so a cache hit needs neither credentials nor network
 */
export async function getMachineToken(
  request: MachineTokenRequest,
  connect: () => CognitoTarget,
  seams: HttpSeams,
  progress: TokenProgress = { step: () => undefined },
): Promise<MachineToken> {
  const scopes = normalizeScopes(request.scopes);
  const key: TokenCacheKey = { tokenEndpoint: request.tokenEndpoint.href, userPoolId: request.userPoolId, clientId: request.clientId, scopes };
  const cached = request.cache?.read(key, seams.now());
  if (cached && !request.needSecret) {
    return { ...cached, fromCache: true };
  }
  if (!cached) {
    // Before the secret is even read: it must only ever travel to the pool's own token endpoint.
    if (request.trustTokenEndpoint) {
      progress.note?.(`Token endpoint ${request.tokenEndpoint.href} is trusted on the command line, not checked against user pool ${request.userPoolId}.`);
    } else {
      progress.step(`Checking the token endpoint against user pool ${request.userPoolId}`);
      await verifyPoolTokenEndpoint(connect(), request.tokenEndpoint, request.tokenEndpointSource ?? 'the token endpoint setting');
      progress.note?.(`Token endpoint ${request.tokenEndpoint.href} is a domain of user pool ${request.userPoolId} (DescribeUserPool).`);
    }
  }
  progress.step(`Reading app client ${request.clientId}`);
  const client = await describeMachineClient(connect(), request.clientId, scopes);
  const secretIfAsked = request.needSecret ? { clientSecret: client.clientSecret } : {};
  if (cached) {
    return { ...cached, fromCache: true, ...secretIfAsked };
  }
  progress.step(`Requesting a token from ${request.tokenEndpoint.host}`);
  const token = await requestClientCredentialsToken(
    { tokenEndpoint: request.tokenEndpoint, clientId: request.clientId, clientSecret: client.clientSecret, scopes },
    seams,
  );
  try {
    request.cache?.write(key, token);
  } catch (error) {
    progress.warn?.(`${error instanceof Error ? error.message : String(error)} The token is printed anyway; the next call will request a new one.`);
  }
  return { ...token, fromCache: false, ...secretIfAsked };
}

/** Renders a token in `format`; `nowMs` computes the remaining lifetime for `json`. */
export function formatToken(token: MachineToken, format: TokenFormat, clientId: string, nowMs: number): string {
  switch (format) {
    case 'raw':
      return `${token.accessToken}\n`;
    case 'header':
      return `Authorization: Bearer ${token.accessToken}\n`;
    case 'json':
      return `${JSON.stringify(
        {
          access_token: token.accessToken,
          token_type: token.tokenType,
          expires_in: Math.max(0, token.expiresAt - Math.floor(nowMs / 1000)),
          expires_at: new Date(token.expiresAt * 1000).toISOString(),
          ...(token.scope === undefined ? {} : { scope: token.scope }),
          client_id: clientId,
          cached: token.fromCache,
          ...(token.clientSecret === undefined ? {} : { client_secret: token.clientSecret }),
        },
        undefined,
        2,
      )}\n`;
  }
}

function formEncode(value: string): string {
  return new URLSearchParams([['v', value]]).toString().slice(2);
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
