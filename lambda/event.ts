/**
 * Reading API Gateway REST authorizer events (TOKEN and REQUEST) as the hostile `unknown` they are:
 * every member used is shape-checked, and the Authorization value must be unambiguous.
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-input.html
 */
import { isPlainObject } from './config';
import { MalformedEventError, TokenRejectedError } from './errors';
import { HTTP_VERBS, parseMethodArn, type HttpVerb, type MethodArn } from './routes';

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

function ownMember(object: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(object, name) ? object[name] : undefined;
}

function optionalMap(event: Record<string, unknown>, name: string): Record<string, unknown> | undefined {
  const value = ownMember(event, name);
  if (value === undefined || value === null) {
    return undefined;
  }
  if (!isPlainObject(value)) {
    throw new MalformedEventError(`'${name}' is not an object`);
  }
  return value;
}

function authorizationOf(event: Record<string, unknown>): string | undefined {
  const single: string[] = [];
  for (const [name, value] of Object.entries(optionalMap(event, 'headers') ?? {})) {
    if (name.toLowerCase() === 'authorization') {
      if (typeof value !== 'string') {
        throw new MalformedEventError("an 'authorization' header value is not a string");
      }
      single.push(value);
    }
  }
  const multi: string[] = [];
  for (const [name, values] of Object.entries(optionalMap(event, 'multiValueHeaders') ?? {})) {
    if (name.toLowerCase() === 'authorization') {
      if (!Array.isArray(values) || !values.every((value) => typeof value === 'string')) {
        throw new MalformedEventError("an 'authorization' multi-value header is not an array of strings");
      }
      multi.push(...values);
    }
  }
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
    throw new MalformedEventError('the event is not an object');
  }
  const type = ownMember(event, 'type');
  if (type !== 'TOKEN' && type !== 'REQUEST') {
    throw new MalformedEventError("'type' is neither TOKEN nor REQUEST");
  }
  const methodArn = parseMethodArn(ownMember(event, 'methodArn'));
  if (!methodArn) {
    throw new MalformedEventError("'methodArn' is not an execute-api method ARN");
  }
  if (type === 'TOKEN') {
    const token = ownMember(event, 'authorizationToken');
    if (token !== undefined && token !== null && typeof token !== 'string') {
      throw new MalformedEventError("'authorizationToken' is not a string");
    }
    return { type, methodArn, authorization: token ?? undefined };
  }

  const httpMethod = ownMember(event, 'httpMethod');
  if (httpMethod !== undefined && (typeof httpMethod !== 'string' || !HTTP_VERBS.includes(httpMethod as HttpVerb) || httpMethod !== methodArn.verb)) {
    throw new MalformedEventError("'httpMethod' is not the verb of 'methodArn'");
  }
  const resource = ownMember(event, 'resource');
  if (resource !== undefined && typeof resource !== 'string') {
    throw new MalformedEventError("'resource' is not a string");
  }
  return { type, methodArn, authorization: authorizationOf(event), ...(resource !== undefined && { resource }) };
}
