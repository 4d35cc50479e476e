/**
 * Reading API Gateway REST authorizer events (TOKEN and REQUEST) as the hostile `unknown` they are:
 * every member used is shape-checked, and the Authorization value must be unambiguous.
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-input.html
 */
import { isPlainObject } from './contract/config';
import { MalformedEventError, TokenRejectedError } from './errors';
import { parseMethodArn, type MethodArn } from './contract/routes';

/** What the authorizer needs from an event. */
export interface AuthorizerRequest {
  /** The authorizer type of the event. */
  readonly type: 'TOKEN' | 'REQUEST';
  /** The parsed `methodArn`. */
  readonly methodArn: MethodArn;
  /** The one Authorization value, or undefined when there is none. */
  readonly authorization: string | undefined;
  /** REQUEST events: the resource template (`/items/{id}`), when given. */
  readonly resource?: string;
}

const member = (object: Record<string, unknown>, name: string): unknown => (Object.hasOwn(object, name) ? object[name] : undefined);

const malformed = (message: string): never => {
  throw new MalformedEventError(message);
};

/** The values of every header named `authorization` (in any case) of a header map, checked with `valid`. */
function authorizationValues(event: Record<string, unknown>, name: string, valid: (value: unknown) => boolean): unknown[] {
  const map = member(event, name) ?? {};
  if (!isPlainObject(map)) {
    malformed(`'${name}' is not an object`);
  }
  return Object.entries(map as object).flatMap(([header, value]) => {
    if (header.toLowerCase() !== 'authorization') {
      return [];
    }
    return valid(value) ? [value] : malformed(`an 'authorization' value of '${name}' is not of the expected type`);
  });
}

function authorizationOf(event: Record<string, unknown>): string | undefined {
  const single = authorizationValues(event, 'headers', (value) => typeof value === 'string') as string[];
  const multi = (authorizationValues(event, 'multiValueHeaders', (values) => Array.isArray(values) && values.every((value) => typeof value === 'string')) as string[][]).flat();
  // API Gateway repeats the last value of each header in `headers`; every value is in `multiValueHeaders`.
  const values = multi.length > 0 ? multi : single;
  if (values.length > 1 || single.some((value) => value !== values[0])) {
    throw new TokenRejectedError('MALFORMED_TOKEN', 'the request carries several Authorization values');
  }
  return values[0];
}

/**
 * Reads a TOKEN or REQUEST authorizer event.
 * @throws MalformedEventError when the event or its `methodArn` is malformed
 * @throws TokenRejectedError `MALFORMED_TOKEN` when a REQUEST event carries several Authorization values
 */
export function parseAuthorizerEvent(event: unknown): AuthorizerRequest {
  if (!isPlainObject(event)) {
    return malformed('the event is not an object');
  }
  const type = member(event, 'type');
  if (type !== 'TOKEN' && type !== 'REQUEST') {
    return malformed("'type' is neither TOKEN nor REQUEST");
  }
  const methodArn = parseMethodArn(member(event, 'methodArn')) ?? malformed("'methodArn' is not an execute-api method ARN");
  if (type === 'TOKEN') {
    const token = member(event, 'authorizationToken') ?? undefined;
    if (token !== undefined && typeof token !== 'string') {
      malformed("'authorizationToken' is not a string");
    }
    return { type, methodArn, authorization: token as string | undefined };
  }
  const httpMethod = member(event, 'httpMethod');
  if (httpMethod !== undefined && httpMethod !== methodArn.verb) {
    malformed("'httpMethod' is not the verb of 'methodArn'");
  }
  const resource = member(event, 'resource');
  if (resource !== undefined && typeof resource !== 'string') {
    malformed("'resource' is not a string");
  }
  return { type, methodArn, authorization: authorizationOf(event), ...(resource !== undefined && { resource: resource as string }) };
}
