/**
 * The AWS WAF rules a local stage can evaluate, read from the web ACL the template associates with the
 * stage: IP set references (IPv4 and IPv6 CIDRs), rate-based rules (per IP, forwarded IP, constant or
 * custom keys, counted over a sliding window of the rule's evaluation window), size constraints and byte
 * matches on the URI path, query string, a query argument, a header, the method or the body (with the
 * NONE, LOWERCASE and URL_DECODE text transformations), AND/OR/NOT of those, in priority order, with the
 * rules' Allow, Block and Count actions, the default action and the custom responses (code, headers, body).
 *
 * A rule this module cannot evaluate (managed and other rule groups, geo and regex matches, label matches,
 * other fields and transformations, CAPTCHA and Challenge actions) is left out and listed in `notEmulated`:
 * a local stage may let through what AWS WAF would block there, and says so.
 *
 * @see https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statements-list.html
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { type AnyRecord, type Resources, isRecord, ofType } from '../report/template';
import { references } from '../report/values';

/** A request as AWS WAF inspects it. */
export interface WafRequest {
  /** The address the connection came from. */
  readonly sourceIp: string;
  readonly method: string;
  /** The URI path as received, stage included: `/prod/items`. */
  readonly uriPath: string;
  /** The query string as received, without its `?`. */
  readonly queryString: string;
  /** The headers, names in lower case. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly body: Buffer;
}

/** What AWS WAF answers with instead of passing a request on: a rule's or the default action's custom response. */
export interface WafCustomResponse {
  readonly status: number;
  /** The response headers, named as WAF sends them (`x-amzn-waf-<name>`). */
  readonly headers: Readonly<Record<string, string>>;
  /** The body and its content type, when the response names one of the web ACL's custom response bodies. */
  readonly body?: { readonly content: string; readonly contentType: string };
}

/** The verdict of a web ACL on one request. */
export interface WafVerdict {
  readonly action: 'ALLOW' | 'BLOCK';
  /** The rule that decided, or undefined when the default action did. */
  readonly rule?: string;
  /** The custom response of a block; without one, API Gateway answers with its `WAF_FILTERED` response. */
  readonly response?: WafCustomResponse;
}

/** A rule of the web ACL a local stage leaves out, and why. */
export interface NotEmulatedRule {
  readonly rule: string;
  readonly reason: string;
}

/** A web ACL, ready to judge requests. */
export interface LocalWebAcl {
  readonly logicalId: string;
  readonly name: string;
  /** The rules left out, in priority order. */
  readonly notEmulated: readonly NotEmulatedRule[];
  /**
   * Judges a request, counting it in the rate-based rules it reaches.
   * @param request the request
   * @param now epoch milliseconds
   */
  evaluate(request: WafRequest, now?: number): WafVerdict;
}

/** AWS WAF's body inspection limit for API Gateway when the web ACL's association config sets none. */
const DEFAULT_INSPECTION_LIMIT_KB = 16;
/** A rate-based rule's evaluation window when the template sets none. */
const DEFAULT_EVALUATION_WINDOW_SEC = 300;
/** The prefix AWS WAF gives the names of custom response headers. */
const CUSTOM_HEADER_PREFIX = 'x-amzn-waf-';
/** The content types of custom response bodies. */
const CONTENT_TYPES: Readonly<Record<string, string>> = { APPLICATION_JSON: 'application/json', TEXT_PLAIN: 'text/plain', TEXT_HTML: 'text/html' };
/** The text transformations cheap enough to do here, on bytes held as latin1 strings. */
const TRANSFORMATIONS: Readonly<Record<string, (value: string) => string>> = {
  NONE: (value) => value,
  LOWERCASE: (value) => value.replace(/[A-Z]/g, (c) => c.toLowerCase()),
  URL_DECODE: (value) => value.replace(/%([0-9a-fA-F]{2})/g, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16))),
};

/** Raised while compiling a statement this module cannot evaluate; the rule is left out. */
class NotEmulated extends Error {}

type Predicate = (request: WafRequest, now: number) => boolean;
/** The values of a field to match (as latin1 strings of their bytes), or `oversize` for a body past the inspection limit. */
type FieldValues = readonly string[] | 'oversize';

const latin1 = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');
const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** An IPv4 address mapped into IPv6 (`::ffff:127.0.0.1`, as dual-stack sockets give it) as IPv4. */
function plainIp(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped?.[1] ?? address;
}

function headerValue(request: WafRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return value === undefined ? undefined : typeof value === 'string' ? value : value.join(', ');
}

/** The raw (still encoded) query arguments of a query string, as `[name, value]`. */
function queryArguments(queryString: string): Array<[string, string]> {
  return queryString
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const at = part.indexOf('=');
      return at < 0 ? [part, ''] : [part.slice(0, at), part.slice(at + 1)];
    });
}

/** The address a forwarded-IP config names: the header's first address, or undefined when there is none. */
function forwardedIp(request: WafRequest, config: AnyRecord, position: string = 'FIRST'): string[] | undefined {
  const header = headerValue(request, String(config.HeaderName ?? 'X-Forwarded-For'));
  const addresses = (header ?? '').split(',').map((part) => plainIp(part.trim())).filter((part) => isIPv4(part) || isIPv6(part));
  if (addresses.length === 0) return undefined;
  return position === 'LAST' ? [addresses.at(-1)!] : position === 'ANY' ? addresses : [addresses[0]!];
}

/** Compiles a web ACL's statements over one template. */
class StatementCompiler {
  constructor(
    private readonly resources: Resources,
    private readonly inspectionLimit: number,
  ) {}

  /** A statement as a predicate; a top-level rate-based statement counts the requests it sees. */
  compile(statement: unknown, topLevel = false): Predicate {
    if (!isRecord(statement)) throw new NotEmulated('a statement that is not an object');
    const [kind, body] = Object.entries(statement)[0] ?? ['?', undefined];
    const value = isRecord(body) ? body : {};
    switch (kind) {
      case 'AndStatement': {
        const parts = asList(value.Statements).map((part) => this.compile(part));
        return (request, now) => parts.every((part) => part(request, now));
      }
      case 'OrStatement': {
        const parts = asList(value.Statements).map((part) => this.compile(part));
        return (request, now) => parts.some((part) => part(request, now));
      }
      case 'NotStatement': {
        const inner = this.compile(value.Statement);
        return (request, now) => !inner(request, now);
      }
      case 'IPSetReferenceStatement':
        return this.ipSet(value);
      case 'SizeConstraintStatement':
        return this.sizeConstraint(value);
      case 'ByteMatchStatement':
        return this.byteMatch(value);
      case 'RateBasedStatement':
        if (!topLevel) throw new NotEmulated('a nested RateBasedStatement');
        return this.rateBased(value);
      case 'ManagedRuleGroupStatement':
        throw new NotEmulated('managed rule group');
      case 'RuleGroupReferenceStatement':
        throw new NotEmulated('rule group');
      default:
        throw new NotEmulated(kind);
    }
  }

  private ipSet(value: AnyRecord): Predicate {
    const setId = [...references(value.Arn)].find((ref) => this.resources[ref]?.Type === 'AWS::WAFv2::IPSet');
    const set = setId === undefined ? undefined : this.resources[setId]?.Properties;
    if (set === undefined) throw new NotEmulated('an IP set outside this template');
    const version = set.IPAddressVersion === 'IPV6' ? 'ipv6' : 'ipv4';
    const list = new BlockList();
    for (const cidr of asList(set.Addresses).map(String)) {
      const [network, prefix] = cidr.split('/');
      list.addSubnet(network!, Number(prefix ?? (version === 'ipv6' ? 128 : 32)), version);
    }
    const contains = (address: string): boolean => {
      const ip = plainIp(address);
      return version === 'ipv4' ? isIPv4(ip) && list.check(ip, 'ipv4') : isIPv6(ip) && list.check(ip, 'ipv6');
    };
    const forwarded = isRecord(value.IPSetForwardedIPConfig) ? value.IPSetForwardedIPConfig : undefined;
    if (forwarded === undefined) return (request) => contains(request.sourceIp);
    return (request) => {
      const addresses = forwardedIp(request, forwarded, String(forwarded.Position ?? 'FIRST'));
      return addresses === undefined ? forwarded.FallbackBehavior === 'MATCH' : addresses.some(contains);
    };
  }

  /** The values of a `FieldToMatch`, after the statement's text transformations. */
  private field(fieldToMatch: unknown, transformations: unknown): (request: WafRequest) => FieldValues {
    if (!isRecord(fieldToMatch)) throw new NotEmulated('a statement without FieldToMatch');
    const steps = asList(transformations)
      .filter(isRecord)
      .sort((a, b) => Number(a.Priority ?? 0) - Number(b.Priority ?? 0))
      .map((step) => {
        const transform = TRANSFORMATIONS[String(step.Type)];
        if (transform === undefined) throw new NotEmulated(`text transformation ${String(step.Type)}`);
        return transform;
      });
    const transform = (values: readonly string[]): string[] => values.map((value) => steps.reduce((text, step) => step(text), value));
    const [kind, body] = Object.entries(fieldToMatch)[0] ?? ['?', undefined];
    const settings = isRecord(body) ? body : {};
    switch (kind) {
      case 'UriPath':
        return (request) => transform([latin1(request.uriPath)]);
      case 'QueryString':
        return (request) => transform([latin1(request.queryString)]);
      case 'Method':
        return (request) => transform([request.method]);
      case 'SingleHeader': {
        const name = String(settings.Name ?? '');
        return (request) => {
          const value = headerValue(request, name);
          return value === undefined ? [] : transform([latin1(value)]);
        };
      }
      case 'SingleQueryArgument': {
        const name = String(settings.Name ?? '').toLowerCase();
        return (request) => transform(queryArguments(request.queryString).filter(([key]) => key.toLowerCase() === name).map(([, value]) => latin1(value)));
      }
      case 'AllQueryArguments':
        return (request) => transform(queryArguments(request.queryString).map(([, value]) => latin1(value)));
      case 'Body': {
        const oversize = String(settings.OversizeHandling ?? 'CONTINUE');
        return (request) => {
          if (request.body.length > this.inspectionLimit && oversize !== 'CONTINUE') return 'oversize';
          return transform([request.body.subarray(0, this.inspectionLimit).toString('latin1')]);
        };
      }
      default:
        throw new NotEmulated(`FieldToMatch ${kind}`);
    }
  }

  /** A body past the inspection limit matches or not as its `OversizeHandling` says. */
  private static oversizeMatches(fieldToMatch: unknown): boolean {
    const body = isRecord(fieldToMatch) && isRecord(fieldToMatch.Body) ? fieldToMatch.Body : {};
    return body.OversizeHandling === 'MATCH';
  }

  private sizeConstraint(value: AnyRecord): Predicate {
    const values = this.field(value.FieldToMatch, value.TextTransformations);
    const size = Number(value.Size);
    const compare: Readonly<Record<string, (n: number) => boolean>> = {
      EQ: (n) => n === size,
      NE: (n) => n !== size,
      LE: (n) => n <= size,
      LT: (n) => n < size,
      GE: (n) => n >= size,
      GT: (n) => n > size,
    };
    const check = compare[String(value.ComparisonOperator)];
    if (check === undefined || !Number.isFinite(size)) throw new NotEmulated(`SizeConstraintStatement ${String(value.ComparisonOperator)}`);
    const oversize = StatementCompiler.oversizeMatches(value.FieldToMatch);
    return (request) => {
      const found = values(request);
      return found === 'oversize' ? oversize : found.some((text) => check(text.length));
    };
  }

  private byteMatch(value: AnyRecord): Predicate {
    const values = this.field(value.FieldToMatch, value.TextTransformations);
    const search = typeof value.SearchStringBase64 === 'string' ? Buffer.from(value.SearchStringBase64, 'base64').toString('latin1') : latin1(String(value.SearchString ?? ''));
    const word = (text: string, at: number): boolean => at < 0 || at >= text.length || !/[A-Za-z0-9_]/.test(text[at]!);
    const containsWord = (text: string): boolean => {
      for (let at = text.indexOf(search); at >= 0; at = text.indexOf(search, at + 1)) {
        if (word(text, at - 1) && word(text, at + search.length)) return true;
      }
      return false;
    };
    const positional: Readonly<Record<string, (text: string) => boolean>> = {
      EXACTLY: (text) => text === search,
      STARTS_WITH: (text) => text.startsWith(search),
      ENDS_WITH: (text) => text.endsWith(search),
      CONTAINS: (text) => text.includes(search),
      CONTAINS_WORD: containsWord,
    };
    const check = positional[String(value.PositionalConstraint)];
    if (check === undefined) throw new NotEmulated(`ByteMatchStatement ${String(value.PositionalConstraint)}`);
    const oversize = StatementCompiler.oversizeMatches(value.FieldToMatch);
    return (request) => {
      const found = values(request);
      return found === 'oversize' ? oversize : found.some(check);
    };
  }

  private rateBased(value: AnyRecord): Predicate {
    const limit = Number(value.Limit);
    const windowSeconds = Number(value.EvaluationWindowSec ?? DEFAULT_EVALUATION_WINDOW_SEC);
    if (!Number.isFinite(limit) || !Number.isFinite(windowSeconds)) throw new NotEmulated('a RateBasedStatement without a numeric limit');
    const scopeDown = value.ScopeDownStatement === undefined ? undefined : this.compile(value.ScopeDownStatement);
    const key = this.aggregateKey(value);
    // Requests per key, in one-second slots over the window: memory stays bounded by the window, not the rate.
    const counts = new Map<string, Map<number, number>>();
    return (request, now) => {
      if (scopeDown !== undefined && !scopeDown(request, now)) return false;
      const aggregate = key(request);
      if (aggregate === undefined) return false;
      const second = Math.floor(now / 1000);
      const slots = counts.get(aggregate) ?? new Map<number, number>();
      counts.set(aggregate, slots);
      slots.set(second, (slots.get(second) ?? 0) + 1);
      let total = 0;
      for (const [slot, count] of slots) {
        if (slot <= second - windowSeconds) slots.delete(slot);
        else total += count;
      }
      return total > limit;
    };
  }

  /** The key a rate-based rule counts by, or undefined for a request it does not count (a missing key part). */
  private aggregateKey(value: AnyRecord): (request: WafRequest) => string | undefined {
    const forwarded = isRecord(value.ForwardedIPConfig) ? value.ForwardedIPConfig : {};
    const forwardedKey = (request: WafRequest): string | undefined => forwardedIp(request, forwarded)?.[0];
    switch (String(value.AggregateKeyType ?? 'IP')) {
      case 'IP':
        return (request) => plainIp(request.sourceIp);
      case 'FORWARDED_IP':
        return forwardedKey;
      case 'CONSTANT':
        return () => 'constant';
      case 'CUSTOM_KEYS': {
        const parts = asList(value.CustomKeys)
          .filter(isRecord)
          .map((customKey): ((request: WafRequest) => string | undefined) => {
            const [kind, body] = Object.entries(customKey)[0] ?? ['?', undefined];
            const settings = isRecord(body) ? body : {};
            switch (kind) {
              case 'IP':
                return (request) => plainIp(request.sourceIp);
              case 'ForwardedIP':
                return forwardedKey;
              case 'HTTPMethod':
                return (request) => request.method;
              case 'Header': {
                const values = this.field({ SingleHeader: { Name: settings.Name } }, settings.TextTransformations);
                return (request) => (values(request) as readonly string[])[0];
              }
              case 'QueryArgument': {
                const values = this.field({ SingleQueryArgument: { Name: settings.Name } }, settings.TextTransformations);
                return (request) => (values(request) as readonly string[])[0];
              }
              case 'QueryString': {
                const values = this.field({ QueryString: {} }, settings.TextTransformations);
                return (request) => (request.queryString === '' ? undefined : (values(request) as readonly string[])[0]);
              }
              case 'UriPath': {
                const values = this.field({ UriPath: {} }, settings.TextTransformations);
                return (request) => (values(request) as readonly string[])[0];
              }
              default:
                throw new NotEmulated(`rate-based custom key ${kind}`);
            }
          });
        return (request) => {
          const values = parts.map((part) => part(request));
          return values.some((part) => part === undefined || part === '') ? undefined : JSON.stringify(values);
        };
      }
      default:
        throw new NotEmulated(`AggregateKeyType ${String(value.AggregateKeyType)}`);
    }
  }
}

/** The custom response of a Block action, or undefined when it names none. */
function customResponse(block: unknown, bodies: AnyRecord): WafCustomResponse | undefined {
  const response = isRecord(block) && isRecord(block.CustomResponse) ? block.CustomResponse : undefined;
  if (response === undefined) return undefined;
  const headers = Object.fromEntries(asList(response.ResponseHeaders).filter(isRecord).map((header) => [`${CUSTOM_HEADER_PREFIX}${String(header.Name)}`.toLowerCase(), String(header.Value ?? '')]));
  const key = response.CustomResponseBodyKey;
  const body = typeof key === 'string' && isRecord(bodies[key]) ? bodies[key] : undefined;
  return {
    status: Number(response.ResponseCode ?? 403),
    headers,
    ...(body !== undefined ? { body: { content: String(body.Content ?? ''), contentType: CONTENT_TYPES[String(body.ContentType)] ?? 'text/plain' } } : {}),
  };
}

/**
 * The web ACL of a template, ready to judge requests.
 * @param resources the template's resources
 * @param aclId the logical id of its `AWS::WAFv2::WebACL`
 */
export function localWebAcl(resources: Resources, aclId: string): LocalWebAcl {
  const props = resources[aclId]?.Properties ?? {};
  const association = isRecord(props.AssociationConfig) && isRecord(props.AssociationConfig.RequestBody) ? props.AssociationConfig.RequestBody.API_GATEWAY : undefined;
  const limitKb = isRecord(association) ? Number(/^KB_(\d+)$/.exec(String(association.DefaultSizeInspectionLimit))?.[1] ?? DEFAULT_INSPECTION_LIMIT_KB) : DEFAULT_INSPECTION_LIMIT_KB;
  const compiler = new StatementCompiler(resources, limitKb * 1024);
  const bodies = isRecord(props.CustomResponseBodies) ? props.CustomResponseBodies : {};
  const notEmulated: NotEmulatedRule[] = [];
  const rules = asList(props.Rules)
    .filter(isRecord)
    .sort((a, b) => Number(a.Priority ?? 0) - Number(b.Priority ?? 0))
    .flatMap((rule) => {
      const name = String(rule.Name ?? '?');
      const [action, settings] = Object.entries(isRecord(rule.Action) ? rule.Action : {})[0] ?? ['?', undefined];
      try {
        if (!['Allow', 'Block', 'Count'].includes(action)) throw new NotEmulated(isRecord(rule.OverrideAction) ? 'rule group' : `${action.toUpperCase()} action`);
        return [{ name, action, matches: compiler.compile(rule.Statement, true), response: action === 'Block' ? customResponse(settings, bodies) : undefined }];
      } catch (error) {
        if (!(error instanceof NotEmulated)) throw error;
        // A group's statement says more than its override action does.
        const reason = isRecord(rule.Statement) && 'ManagedRuleGroupStatement' in rule.Statement ? 'managed rule group' : error.message;
        notEmulated.push({ rule: name, reason });
        return [];
      }
    });
  const defaultBlock = isRecord(props.DefaultAction) && 'Block' in props.DefaultAction;
  const defaultResponse = defaultBlock && isRecord(props.DefaultAction) ? customResponse(props.DefaultAction.Block, bodies) : undefined;
  return {
    logicalId: aclId,
    name: String(props.Name ?? aclId),
    notEmulated,
    evaluate: (request, now = Date.now()) => {
      for (const rule of rules) {
        if (!rule.matches(request, now) || rule.action === 'Count') continue;
        return rule.action === 'Allow' ? { action: 'ALLOW', rule: rule.name } : { action: 'BLOCK', rule: rule.name, ...(rule.response !== undefined ? { response: rule.response } : {}) };
      }
      return defaultBlock ? { action: 'BLOCK', ...(defaultResponse !== undefined ? { response: defaultResponse } : {}) } : { action: 'ALLOW' };
    },
  };
}

/**
 * The web ACL a template associates with a stage (`AWS::WAFv2::WebACLAssociation`).
 * @param resources the template's resources
 * @param stageId the logical id of the `AWS::ApiGateway::Stage`
 * @returns the web ACL, or undefined when none is associated; `outside` names an associated web ACL that is
 *   not in the template (a shared one, by ARN), which a local stage cannot evaluate
 */
export function stageWebAcl(resources: Resources, stageId: string): { acl?: LocalWebAcl; outside?: string } {
  const associations = ofType(resources, 'AWS::WAFv2::WebACLAssociation').filter(([, association]) => references(association.Properties?.ResourceArn).has(stageId));
  const [association] = associations;
  if (association === undefined) return {};
  const aclId = [...references(association[1].Properties?.WebACLArn)].find((ref) => resources[ref]?.Type === 'AWS::WAFv2::WebACL');
  return aclId === undefined ? { outside: JSON.stringify(association[1].Properties?.WebACLArn) } : { acl: localWebAcl(resources, aclId) };
}
