import { Token } from 'aws-cdk-lib';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import type { Construct } from 'constructs';
import {
  CLIENT_ID_CLAIMS,
  type ClientIdClaim,
  type IssuerConfig,
  isRequiredTyp,
  type JwsAlgorithm,
  LOOPBACK_HOSTS,
  PRIVATE_JWK_MEMBERS,
  type PublicJwk,
  SUPPORTED_ALGORITHMS,
} from '../../lambda/contract';
import { SECURE_API_DEFAULTS } from '../defaults';
import { SecureApiValidationError, describeValue } from '../errors';

/** Algorithms the authorizer may be told to accept: asymmetric only, never `none`, never HMAC (RFC 8725 §3.1, §3.2). */
const ALLOWED_ALGORITHMS: ReadonlySet<string> = new Set<string>(SUPPORTED_ALGORITHMS);


/** Options of {@link TokenIssuer.cognito}. */
export interface CognitoTokenIssuerOptions {
  /** The user pool that issues the access tokens; created in this app or imported. */
  readonly userPool: cognito.IUserPool;
  /**
   * App clients whose access tokens the API accepts (checked against the token's `client_id`).
   * Cognito access tokens carry no `aud`, so the client id is the audience check.
   *
   * At least one of `clients` and `clientIds` must name a client.
   * @default - none
   */
  readonly clients?: cognito.IUserPoolClient[];
  /**
   * Client ids whose access tokens the API accepts, for clients not managed in this app.
   * @default - none
   */
  readonly clientIds?: string[];
  /**
   * Accepted JWS algorithms. Cognito signs with RS256.
   * @default - SECURE_API_DEFAULTS.authorizer.algorithms (['RS256'])
   */
  readonly algorithms?: JwsAlgorithm[];
}

/** Options of {@link TokenIssuer.oidc}. */
export interface OidcTokenIssuerOptions {
  /**
   * The exact issuer identifier (`iss`), compared byte for byte. Must be `https://`
   * (`http://` only for loopback hosts, for local tests).
   */
  readonly issuerUrl: string;
  /**
   * Accepted `aud` values; a token must carry at least one (RFC 9068 §4).
   * Required unless `audienceCheck` is `false`.
   * @default - none
   */
  readonly audiences?: string[];
  /**
   * Set to `false` to switch the audience check off explicitly, for issuers whose access tokens
   * carry no `aud`. Then `clientIds` should bind tokens to clients instead.
   * @default true
   */
  readonly audienceCheck?: boolean;
  /**
   * The JWKS endpoint. At most one of `jwksUri`, `discovery` and `keys`.
   * @default - discovery: the `jwks_uri` of `<issuerUrl>/.well-known/openid-configuration`
   */
  readonly jwksUri?: string;
  /**
   * Find the JWKS endpoint through OpenID Connect discovery.
   * @default - true when neither `jwksUri` nor `keys` is set
   */
  readonly discovery?: boolean;
  /**
   * Static public keys, for issuers without a reachable JWKS endpoint. Rotating them needs a redeploy.
   * @default - none
   */
  readonly keys?: PublicJwk[];
  /**
   * Accepted JWS algorithms.
   * @default - SECURE_API_DEFAULTS.authorizer.algorithms (['RS256'])
   */
  readonly algorithms?: JwsAlgorithm[];
  /**
   * Required JOSE `typ` header, e.g. `at+jwt` (RFC 9068 §2.1), so that ID tokens cannot pass as access tokens.
   * @default - no `typ`, `JWT`, `at+jwt` or `application/at+jwt` (case-insensitive); other kinds of JWT
   * (`dpop+jwt`, `logout+jwt`, `secevent+jwt`...) are refused (RFC 8725 §3.11)
   */
  readonly requiredTyp?: string;
  /**
   * Accepted client ids (values of the `clientIdClaim` claim), an extra check on top of the audience.
   * @default - not checked
   */
  readonly clientIds?: string[];
  /**
   * The claim that names the client. Every access token must carry it (RFC 9068 §2.2), and `clientIds` is
   * checked against it; it is the `clientId` the backend and the logs see. Only this claim counts, never a
   * fallback to another. Set `'azp'` for Microsoft Entra ID (v2.0 access tokens carry `azp`, not
   * `client_id`) and `'cid'` for Okta; Auth0, Keycloak and RFC 9068 issuers use `client_id`.
   * @default 'client_id'
   * @see https://www.rfc-editor.org/rfc/rfc9068#section-2.2
   */
  readonly clientIdClaim?: ClientIdClaim;
}

/**
 * Who may issue access tokens for the API: an Amazon Cognito user pool, or any OAuth 2.0 / OIDC issuer.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8725 JSON Web Token Best Current Practices
 * @see https://www.rfc-editor.org/rfc/rfc9068 JWT Profile for OAuth 2.0 Access Tokens
 */
export abstract class TokenIssuer {
  /**
   * Trusts access tokens of a Cognito user pool, issued to the given app clients.
   *
   * Tokens must carry `token_use: "access"` (so ID tokens are refused) and a `client_id` of one of the clients.
   *
   * @param options the user pool and its clients
   * @returns the issuer
   * @throws SecureApiValidationError when no client is named or an algorithm is not allowed
   */
  public static cognito(options: CognitoTokenIssuerOptions): TokenIssuer {
    return new CognitoTokenIssuer(options);
  }

  /**
   * Trusts access tokens of an OAuth 2.0 / OpenID Connect issuer.
   *
   * @param options the issuer, its audiences and key source
   * @returns the issuer
   * @throws SecureApiValidationError when the issuer, audience, key source or algorithms are invalid
   */
  public static oidc(options: OidcTokenIssuerOptions): TokenIssuer {
    return new OidcTokenIssuer(options);
  }

  /**
   * Renders this issuer for the authorizer's configuration.
   *
   * @param scope the construct that binds the issuer (the authorizer)
   * @returns the issuer's configuration; values may hold deploy-time tokens
   */
  public abstract bind(scope: Construct): IssuerConfig;
}

class CognitoTokenIssuer extends TokenIssuer {
  private readonly userPool: cognito.IUserPool;
  private readonly clientIds: string[];
  private readonly algorithms: JwsAlgorithm[];

  constructor(options: CognitoTokenIssuerOptions) {
    super();
    this.userPool = options.userPool;
    this.clientIds = [...(options.clients ?? []).map((client) => client.userPoolClientId), ...(options.clientIds ?? [])];
    if (this.clientIds.length === 0) {
      throw new SecureApiValidationError(
        "'clients' or 'clientIds' must name at least one app client: Cognito access tokens have no 'aud', the client id is the audience check (received: none)",
      );
    }
    validateStrings('clientIds', this.clientIds);
    this.algorithms = validateAlgorithms(options.algorithms);
  }

  public bind(_scope: Construct): IssuerConfig {
    return {
      kind: 'cognito',
      issuer: `https://${this.userPool.userPoolProviderName}`,
      algorithms: [...this.algorithms],
      clientIds: [...this.clientIds],
    };
  }
}

class OidcTokenIssuer extends TokenIssuer {
  private readonly config: IssuerConfig;

  constructor(options: OidcTokenIssuerOptions) {
    super();
    validateUrl('issuerUrl', options.issuerUrl, true);
    const audienceCheck = options.audienceCheck ?? true;
    const audiences = options.audiences ?? [];
    if (audienceCheck && audiences.length === 0) {
      throw new SecureApiValidationError(
        "'audiences' must name at least one audience, or 'audienceCheck' must be false to switch the check off explicitly (received: none)",
      );
    }
    if (!audienceCheck && audiences.length > 0) {
      throw new SecureApiValidationError(
        `'audiences' must be empty when 'audienceCheck' is false (received: ${describeValue(audiences)})`,
      );
    }
    validateStrings('audiences', audiences);
    validateStrings('clientIds', options.clientIds ?? []);
    const clientIdClaim = options.clientIdClaim;
    if (clientIdClaim !== undefined && !CLIENT_ID_CLAIMS.includes(clientIdClaim)) {
      throw new SecureApiValidationError(`'clientIdClaim' must be one of ${CLIENT_ID_CLAIMS.join(', ')} (received: ${describeValue(clientIdClaim)})`);
    }

    const sources = [
      options.jwksUri !== undefined ? 'jwksUri' : undefined,
      options.discovery === true ? 'discovery' : undefined,
      options.keys !== undefined ? 'keys' : undefined,
    ].filter((source): source is string => source !== undefined);
    if (sources.length > 1) {
      throw new SecureApiValidationError(
        `'jwksUri', 'discovery' and 'keys' are alternatives: set at most one (received: ${describeValue(sources)})`,
      );
    }
    if (sources.length === 0 && options.discovery === false) {
      throw new SecureApiValidationError(
        "'discovery' may be false only when 'jwksUri' or 'keys' provides the keys (received: false)",
      );
    }
    if (options.jwksUri !== undefined) {
      validateUrl('jwksUri', options.jwksUri, false);
    }
    if (options.keys !== undefined) {
      validateKeys(options.keys);
    }
    if (options.requiredTyp !== undefined && !Token.isUnresolved(options.requiredTyp) && !isRequiredTyp(options.requiredTyp)) {
      throw new SecureApiValidationError(
        `'requiredTyp' must be a media type such as 'at+jwt' (received: ${describeValue(options.requiredTyp)})`,
      );
    }

    this.config = omitUndefined({
      kind: 'oidc' as const,
      issuer: options.issuerUrl,
      algorithms: validateAlgorithms(options.algorithms),
      jwksUri: options.jwksUri,
      discovery: sources.length === 0 ? true : options.discovery,
      keys: options.keys?.map((key) => ({ ...key })),
      clientIds: options.clientIds && options.clientIds.length > 0 ? [...options.clientIds] : undefined,
      clientIdClaim,
      audiences: audiences.length > 0 ? [...audiences] : undefined,
      audienceCheck: audienceCheck ? undefined : false,
      requiredTyp: options.requiredTyp,
    });
  }

  public bind(_scope: Construct): IssuerConfig {
    return structuredClone(this.config);
  }
}

function validateAlgorithms(algorithms: JwsAlgorithm[] | undefined): JwsAlgorithm[] {
  const chosen = algorithms ?? SECURE_API_DEFAULTS.authorizer.algorithms;
  if (chosen.length === 0 || chosen.some((alg) => !ALLOWED_ALGORITHMS.has(alg))) {
    throw new SecureApiValidationError(
      `'algorithms' must be a non-empty list of ${[...ALLOWED_ALGORITHMS].join(', ')}: never 'none' or HMAC (received: ${describeValue(chosen)})`,
    );
  }
  return [...new Set(chosen)];
}

function validateStrings(prop: string, values: string[]): void {
  for (const value of values) {
    if (!Token.isUnresolved(value) && value.trim().length === 0) {
      throw new SecureApiValidationError(`'${prop}' must not contain empty values (received: ${describeValue(values)})`);
    }
  }
}

function validateUrl(prop: string, value: string, isIssuer: boolean): void {
  if (Token.isUnresolved(value)) {
    return;
  }
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  const secure = url !== undefined && (url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.includes(url.hostname)));
  if (url === undefined || !secure || url.username !== '' || url.password !== '' || url.hash !== '' || (isIssuer && url.search !== '')) {
    throw new SecureApiValidationError(
      `'${prop}' must be an https URL without credentials${isIssuer ? ', query' : ''} or fragment (http only for loopback hosts) (received: ${describeValue(value)})`,
    );
  }
}

function validateKeys(keys: PublicJwk[]): void {
  if (keys.length === 0) {
    throw new SecureApiValidationError("'keys' must hold at least one public JWK (received: [])");
  }
  for (const key of keys) {
    if (!['RSA', 'EC', 'OKP'].includes(key.kty)) {
      throw new SecureApiValidationError(`'keys' must hold public JWKs with 'kty' RSA, EC or OKP (received: ${describeValue(key.kty)})`);
    }
    if (typeof key.kid !== 'string' || key.kid.length === 0) {
      // The authorizer refuses tokens without a `kid`, so a key without one could never verify anything.
      throw new SecureApiValidationError(`'keys' must hold JWKs with a non-empty 'kid' (received: ${describeValue(key.kid)})`);
    }
    const privateMembers = PRIVATE_JWK_MEMBERS.filter((member) => member in key);
    if (privateMembers.length > 0) {
      throw new SecureApiValidationError(
        `'keys' must hold public keys only: a JWK carries private members (received: ${describeValue(privateMembers)}${key.kid ? ` in kid ${describeValue(key.kid)}` : ''})`,
      );
    }
  }
}

function omitUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined)) as T;
}
