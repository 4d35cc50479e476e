import { Token } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type { IConstruct } from 'constructs';
import { CONFIG_LIMITS, isScopeToken } from '../../lambda/contract';
import { SecureApiValidationError, describeValue } from '../errors';

// RFC 6749 §3.3 scope-token (%x21 / %x23-5B / %x5D-7E) minus '/', which Cognito reserves as the
// separator between resource server identifier and scope name.
const SCOPE_NAME = /^[\x21\x23-\x2E\x30-\x5B\x5D-\x7E]{1,256}$/;
// Cognito resource server identifier: printable ASCII without whitespace, quote or backslash, so the full scope stays one scope-token.
const RESOURCE_SERVER_IDENTIFIER = /^[\x21\x23-\x5B\x5D-\x7E]{1,256}$/;

/**
 * An OAuth 2.0 scope of the API, shared by the routes that require it and the clients that are granted it.
 *
 * A scope lives on a Cognito resource server (or any issuer's equivalent) and appears in access tokens
 * as `<resourceServerIdentifier>/<scopeName>` in the space-separated `scope` claim.
 *
 * @example
 * const read = ApiScope.of('https://api.example.com', 'items.read', 'Read items');
 * api.addRoute('GET /items', integration, { scopes: [read] });
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.3
 * @see https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-define-resource-servers.html
 */
export class ApiScope {
  /**
   * Declares a scope.
   *
   * @param resourceServerIdentifier identifier of the resource server, e.g. `https://api.example.com`
   * @param scopeName the scope's name on that resource server, e.g. `items.read`
   * @param description what the scope grants, shown on consent screens and in reports
   * @returns the scope
   * @throws SecureApiValidationError when the identifier or the name is not a valid scope token
   */
  public static of(resourceServerIdentifier: string, scopeName: string, description: string): ApiScope {
    return new ApiScope(resourceServerIdentifier, scopeName, description);
  }

  /** Identifier of the resource server the scope belongs to. */
  public readonly resourceServerIdentifier: string;
  /** Name of the scope on its resource server. */
  public readonly scopeName: string;
  /** What the scope grants. */
  public readonly description: string;

  private constructor(resourceServerIdentifier: string, scopeName: string, description: string) {
    if (Token.isUnresolved(resourceServerIdentifier) || Token.isUnresolved(scopeName)) {
      // The route table is compiled into the authorizer bundle at synth, where tokens cannot be resolved.
      throw new SecureApiValidationError(
        `'resourceServerIdentifier' and 'scopeName' must be literal strings, not deploy-time tokens (received: ${describeValue(`${resourceServerIdentifier}/${scopeName}`)})`,
      );
    }
    if (!RESOURCE_SERVER_IDENTIFIER.test(resourceServerIdentifier)) {
      throw new SecureApiValidationError(
        `'resourceServerIdentifier' must be 1-256 printable ASCII characters without spaces, quotes or backslashes (received: ${describeValue(resourceServerIdentifier)})`,
      );
    }
    if (!SCOPE_NAME.test(scopeName)) {
      throw new SecureApiValidationError(
        `'scopeName' must be 1-256 printable ASCII characters without spaces, quotes, backslashes or '/' (received: ${describeValue(scopeName)})`,
      );
    }
    if (description.length === 0 || description.length > 256) {
      throw new SecureApiValidationError(`'description' must be 1-256 characters (received: ${describeValue(description)})`);
    }
    this.resourceServerIdentifier = resourceServerIdentifier;
    this.scopeName = scopeName;
    this.description = description;
  }

  /** The scope as it appears in the token's `scope` claim: `<resourceServerIdentifier>/<scopeName>`. */
  public get fullName(): string {
    return `${this.resourceServerIdentifier}/${this.scopeName}`;
  }

  /** This scope as a Cognito resource server scope, for `UserPoolResourceServer` `scopes`. */
  public toResourceServerScope(): cognito.ResourceServerScope {
    return new cognito.ResourceServerScope({ scopeName: this.scopeName, scopeDescription: this.description });
  }

  /** This scope as a Cognito OAuth scope, for a `UserPoolClient`'s `oAuth.scopes`. */
  public toOAuthScope(): cognito.OAuthScope {
    return cognito.OAuthScope.custom(this.fullName);
  }

  /** The full name, so scopes read naturally in messages and template strings. */
  public toString(): string {
    return this.fullName;
  }
}

/**
 * A scope a route requires: an {@link ApiScope} of a Cognito resource server (or any issuer that prefixes
 * scopes with a resource server identifier), or the scope exactly as another issuer writes it into `scope`
 * or `scp`, e.g. `'catalog.read'` (Okta, Auth0) or `'Orders.Read'` (Microsoft Entra ID).
 */
export type RouteScope = ApiScope | string;

/**
 * The scope token a route requires, as it appears in access tokens.
 *
 * @param construct the construct that takes the scope, named in the message
 * @param prop the prop being validated, for the message (e.g. `scopes[1]`)
 * @param scope an `ApiScope`, or a scope as written in tokens
 * @returns the scope token
 * @throws SecureApiValidationError when a string is a deploy-time token or not an RFC 6749 scope token
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.3
 */
export function scopeToken(construct: IConstruct, prop: string, scope: RouteScope): string {
  if (scope instanceof ApiScope) {
    return scope.fullName;
  }
  if (Token.isUnresolved(scope)) {
    // The route table is compiled into the authorizer bundle at synth, where tokens cannot be resolved.
    throw new SecureApiValidationError(`'${prop}' must be a literal string, not a deploy-time token (received: ${describeValue(scope)})`, construct);
  }
  if (!isScopeToken(scope)) {
    throw new SecureApiValidationError(
      `'${prop}' must be an RFC 6749 scope token: 1-${CONFIG_LIMITS.stringLength} printable ASCII characters without spaces, quotes or backslashes (received: ${describeValue(scope)})`,
      construct,
    );
  }
  return scope;
}
