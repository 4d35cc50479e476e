/**
 * Reading API Gateway REST authorizer events (TOKEN and REQUEST) as the hostile `unknown` they are:
 * every member used is shape-checked, and the Authorization value must be unambiguous.
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-input.html
 */
import { isPlainObject } from './contract/config';
import { MalformedEventError, TokenRejectedError } from './errors';
import { parseMethodArn, type MethodArn } from './contract/routes';
import { TERSE } from './terse';
import { ownClaim } from './verify';

/** What the authorizer needs from an event. */
export interface AuthorizerRequest<A extends MethodArn = MethodArn> {
  /** The authorizer type of the event. */
  readonly type: 'TOKEN' | 'REQUEST';
  /** The parsed `methodArn`. */
  readonly methodArn: A;
  /** The one Authorization value, or undefined when there is none. */
  readonly authorization: string | undefined;
  /** REQUEST events: the resource template (`/items/{id}`), when given. */
  readonly resource?: string;
}

const malformed = (message: string): never => {
  throw new MalformedEventError(message);
};

/**
 * The one Authorization value of a REQUEST event: from `multiValueHeaders` when it holds any, else from
 * `headers` (API Gateway repeats the last value of each header there). Header names match in any case;
 * several values, or a `headers` value that differs from the one value, are refused.
 */
function authorizationOf(event: Record<string, unknown>): string | undefined {
  const headers = ownClaim(event, 'headers') ?? {};
  const multiValueHeaders = ownClaim(event, 'multiValueHeaders') ?? {};
  if (!isPlainObject(headers)) {
    malformed(TERSE ? '' : "'headers' is not an object");
  }
  if (!isPlainObject(multiValueHeaders)) {
    malformed(TERSE ? '' : "'multiValueHeaders' is not an object");
  }
  // Every value is type-checked before any is compared, so a malformed event is reported as such.
  let single: string | undefined;
  let singles = 0;
  let differ = false;
  for (const name of Object.keys(headers as object)) {
    if (name.toLowerCase() === 'authorization') {
      const value = (headers as Record<string, unknown>)[name];
      if (typeof value !== 'string') {
        malformed(TERSE ? '' : "an 'authorization' value of 'headers' is not of the expected type");
      }
      differ ||= singles++ > 0 && value !== single;
      single = value as string;
    }
  }
  let multi: string | undefined;
  let multis = 0;
  for (const name of Object.keys(multiValueHeaders as object)) {
    if (name.toLowerCase() === 'authorization') {
      const values = (multiValueHeaders as Record<string, unknown>)[name];
      if (!Array.isArray(values) || !values.every((entry) => typeof entry === 'string')) {
        malformed(TERSE ? '' : "an 'authorization' value of 'multiValueHeaders' is not of the expected type");
      }
      multis += (values as string[]).length;
      multi ??= (values as string[])[0];
    }
  }
  // Without multiValueHeaders, two entries of `headers` are several values even when equal.
  if (multis > 1 || (multis === 1 ? singles > 0 && (differ || single !== multi) : singles > 1)) {
    throw new TokenRejectedError('MALFORMED_TOKEN', TERSE ? '' : 'the request carries several Authorization values');
  }
  return multis === 1 ? multi : single;
}

/**
 * Reads a TOKEN or REQUEST authorizer event.
 * @param event the event, untrusted
 * @param arnOf parses the `methodArn` (undefined when it is not an execute-api method ARN); the authorizer
 *   passes a memoised parser that also carries what it works out once per method ARN
 * @throws MalformedEventError when the event or its `methodArn` is malformed
 * @throws TokenRejectedError `MALFORMED_TOKEN` when a REQUEST event carries several Authorization values
 */
export function parseAuthorizerEvent<A extends MethodArn = MethodArn>(event: unknown, arnOf: (value: unknown) => A | undefined = parseMethodArn as (value: unknown) => A | undefined): AuthorizerRequest<A> {
  if (!isPlainObject(event)) {
    return malformed(TERSE ? '' : 'the event is not an object');
  }
  const type = ownClaim(event, 'type');
  if (type !== 'TOKEN' && type !== 'REQUEST') {
    return malformed(TERSE ? '' : "'type' is neither TOKEN nor REQUEST");
  }
  const methodArn = arnOf(ownClaim(event, 'methodArn')) ?? malformed(TERSE ? '' : "'methodArn' is not an execute-api method ARN");
  if (type === 'TOKEN') {
    const token = ownClaim(event, 'authorizationToken') ?? undefined;
    if (token !== undefined && typeof token !== 'string') {
      malformed(TERSE ? '' : "'authorizationToken' is not a string");
    }
    return { type, methodArn, authorization: token as string | undefined };
  }
  const httpMethod = ownClaim(event, 'httpMethod');
  if (httpMethod !== undefined && httpMethod !== methodArn.verb) {
    malformed(TERSE ? '' : "'httpMethod' is not the verb of 'methodArn'");
  }
  const resource = ownClaim(event, 'resource');
  if (resource !== undefined && typeof resource !== 'string') {
    malformed(TERSE ? '' : "'resource' is not a string");
  }
  return { type, methodArn, authorization: authorizationOf(event), ...(resource !== undefined && { resource: resource as string }) };
}
