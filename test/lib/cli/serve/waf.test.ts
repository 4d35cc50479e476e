import type { Resources } from '../../../../lib/cli/report/template';
import { localWebAcl, stageWebAcl, type WafRequest } from '../../../../lib/cli/serve/waf';

const BODIES = {
  RateLimited: { Content: '{"message":"Too Many Requests"}', ContentType: 'APPLICATION_JSON' },
  BodyTooLarge: { Content: '{"message":"Request Entity Too Large"}', ContentType: 'APPLICATION_JSON' },
};

/** A template with one web ACL of these rules, and two IP sets it may refer to. */
function template(rules: unknown[], extra: Record<string, unknown> = {}): Resources {
  return {
    Blocked: { Type: 'AWS::WAFv2::IPSet', Properties: { IPAddressVersion: 'IPV4', Addresses: ['192.0.2.0/24', '198.51.100.7/32'] } },
    BlockedV6: { Type: 'AWS::WAFv2::IPSet', Properties: { IPAddressVersion: 'IPV6', Addresses: ['2001:db8::/32'] } },
    Acl: { Type: 'AWS::WAFv2::WebACL', Properties: { Name: 'acl', DefaultAction: { Allow: {} }, CustomResponseBodies: BODIES, Rules: rules, ...extra } },
  };
}

const request = (overrides: Partial<WafRequest> = {}): WafRequest => ({ sourceIp: '203.0.113.9', method: 'GET', uriPath: '/prod/items', queryString: '', headers: {}, body: Buffer.alloc(0), ...overrides });

const ipRule = (name: string, priority: number, sets: string[], negate = false) => {
  const match = sets.length === 1 ? { IPSetReferenceStatement: { Arn: { 'Fn::GetAtt': [sets[0], 'Arn'] } } } : { OrStatement: { Statements: sets.map((set) => ({ IPSetReferenceStatement: { Arn: { 'Fn::GetAtt': [set, 'Arn'] } } })) } };
  return { Name: name, Priority: priority, Action: { Block: {} }, Statement: negate ? { NotStatement: { Statement: match } } : match };
};

const byteMatch = (field: unknown, search: string, positional: string, transformations: string[] = ['NONE']) => ({
  ByteMatchStatement: { FieldToMatch: field, SearchString: search, PositionalConstraint: positional, TextTransformations: transformations.map((type, priority) => ({ Priority: priority, Type: type })) },
});

describe('localWebAcl', () => {
  test('an IP deny list blocks its IPv4 and IPv6 ranges (mapped IPv4 addresses too) and nothing else', () => {
    const acl = localWebAcl(template([ipRule('IpDenyList', 10, ['Blocked', 'BlockedV6'])]), 'Acl');
    expect(['192.0.2.44', '::ffff:192.0.2.44', '198.51.100.7', '2001:db8::1', '198.51.100.8', '203.0.113.9', '2001:db9::1'].map((sourceIp) => acl.evaluate(request({ sourceIp })).action)).toEqual([
      'BLOCK',
      'BLOCK',
      'BLOCK',
      'BLOCK',
      'ALLOW',
      'ALLOW',
      'ALLOW',
    ]);
    expect(acl.evaluate(request({ sourceIp: '192.0.2.1' }))).toEqual({ action: 'BLOCK', rule: 'IpDenyList' });
  });

  test('an IP allow list (NOT of an IP set) blocks every address outside it', () => {
    const acl = localWebAcl(template([ipRule('IpAllowList', 20, ['Blocked'], true)]), 'Acl');
    expect([acl.evaluate(request({ sourceIp: '192.0.2.1' })).action, acl.evaluate(request()).action, acl.evaluate(request({ sourceIp: '2001:db8::1' })).action]).toEqual(['ALLOW', 'BLOCK', 'BLOCK']);
  });

  test('rules run in priority order: an Allow before a Block ends the evaluation, a Count does not', () => {
    const rules = [
      ipRule('Deny', 30, ['Blocked']),
      { Name: 'AllowHealth', Priority: 20, Action: { Allow: {} }, Statement: byteMatch({ UriPath: {} }, '/prod/health', 'EXACTLY') },
      { Name: 'CountAll', Priority: 10, Action: { Count: {} }, Statement: byteMatch({ Method: {} }, 'GET', 'EXACTLY') },
    ];
    const acl = localWebAcl(template(rules), 'Acl');
    expect(acl.evaluate(request({ sourceIp: '192.0.2.1', uriPath: '/prod/health' }))).toEqual({ action: 'ALLOW', rule: 'AllowHealth' });
    expect(acl.evaluate(request({ sourceIp: '192.0.2.1' }))).toEqual({ action: 'BLOCK', rule: 'Deny' });
  });

  test('a rate-based rule counts per IP over a sliding window and answers with its custom response', () => {
    const acl = localWebAcl(
      template([
        {
          Name: 'RateLimitPerIp',
          Priority: 40,
          Action: { Block: { CustomResponse: { ResponseCode: 429, CustomResponseBodyKey: 'RateLimited', ResponseHeaders: [{ Name: 'retry', Value: '60' }] } } },
          Statement: { RateBasedStatement: { AggregateKeyType: 'IP', Limit: 3, EvaluationWindowSec: 60 } },
        },
      ]),
      'Acl',
    );
    const at = (seconds: number, sourceIp = '203.0.113.9') => acl.evaluate(request({ sourceIp }), 1_000_000_000 + seconds * 1000).action;
    expect([at(0), at(10), at(20), at(30), at(31, '203.0.113.10')]).toEqual(['ALLOW', 'ALLOW', 'ALLOW', 'BLOCK', 'ALLOW']);
    expect(acl.evaluate(request(), 1_000_000_000 + 40_000)).toEqual({
      action: 'BLOCK',
      rule: 'RateLimitPerIp',
      response: { status: 429, headers: { 'x-amzn-waf-retry': '60' }, body: { content: '{"message":"Too Many Requests"}', contentType: 'application/json' } },
    });
    // At 75 s the requests of 0 s and 10 s have left the window: 20, 30, 40 and 75 are four, still over 3.
    expect(at(75)).toBe('BLOCK');
    // At 95 s only 40, 75 and 95 remain.
    expect(at(95)).toBe('ALLOW');
  });

  test('a rate-based rule with a scope-down statement and a header key counts only what it keys', () => {
    const acl = localWebAcl(
      template([
        {
          Name: 'RateLimitPerClient',
          Priority: 50,
          Action: { Block: {} },
          Statement: {
            RateBasedStatement: {
              AggregateKeyType: 'CUSTOM_KEYS',
              CustomKeys: [{ Header: { Name: 'x-client-id', TextTransformations: [{ Priority: 0, Type: 'NONE' }] } }],
              Limit: 1,
              EvaluationWindowSec: 60,
              ScopeDownStatement: byteMatch({ Method: {} }, 'POST', 'EXACTLY'),
            },
          },
        },
      ]),
      'Acl',
    );
    const post = (client?: string) => acl.evaluate(request({ method: 'POST', headers: client === undefined ? {} : { 'x-client-id': client } }), 5_000).action;
    expect([post('a'), post('a'), post('b'), post(), post(), acl.evaluate(request({ headers: { 'x-client-id': 'a' } }), 5_000).action]).toEqual(['ALLOW', 'BLOCK', 'ALLOW', 'ALLOW', 'ALLOW', 'ALLOW']);
  });

  test('a size constraint on the body answers 413 past its size, and a body past the inspection limit matches as OversizeHandling says', () => {
    const sizeRule = (name: string, priority: number, size: number, oversize: string) => ({
      Name: name,
      Priority: priority,
      Action: { Block: { CustomResponse: { ResponseCode: 413, CustomResponseBodyKey: 'BodyTooLarge' } } },
      Statement: { SizeConstraintStatement: { FieldToMatch: { Body: { OversizeHandling: oversize } }, ComparisonOperator: 'GT', Size: size, TextTransformations: [{ Priority: 0, Type: 'NONE' }] } },
    });
    const acl = localWebAcl(template([sizeRule('BodySizeLimit', 60, 10, 'MATCH')], { AssociationConfig: { RequestBody: { API_GATEWAY: { DefaultSizeInspectionLimit: 'KB_32' } } } }), 'Acl');
    expect([acl.evaluate(request({ body: Buffer.alloc(10) })).action, acl.evaluate(request({ body: Buffer.alloc(40 * 1024) })).action]).toEqual(['ALLOW', 'BLOCK']);
    expect(acl.evaluate(request({ body: Buffer.alloc(11) }))).toEqual({
      action: 'BLOCK',
      rule: 'BodySizeLimit',
      response: { status: 413, headers: {}, body: { content: '{"message":"Request Entity Too Large"}', contentType: 'application/json' } },
    });
    // NO_MATCH lets an uninspectable body through; CONTINUE judges its first 16 KB (the default inspection limit).
    const lenient = localWebAcl(template([sizeRule('NoMatch', 1, 20 * 1024, 'NO_MATCH')]), 'Acl');
    expect(lenient.evaluate(request({ body: Buffer.alloc(17 * 1024) })).action).toBe('ALLOW');
    const continued = localWebAcl(template([sizeRule('Continue', 1, 16 * 1024 - 1, 'CONTINUE')]), 'Acl');
    expect([continued.evaluate(request({ body: Buffer.alloc(16 * 1024 - 1) })).action, continued.evaluate(request({ body: Buffer.alloc(100 * 1024) })).action]).toEqual(['ALLOW', 'BLOCK']);
  });

  test('byte matches on the URI path, query string, a header and a query argument, with their text transformations', () => {
    const block = (name: string, priority: number, statement: unknown) => ({ Name: name, Priority: priority, Action: { Block: {} }, Statement: statement });
    const acl = localWebAcl(
      template([
        block('Admin', 1, byteMatch({ UriPath: {} }, '/prod/admin', 'STARTS_WITH', ['LOWERCASE'])),
        block('Script', 2, byteMatch({ QueryString: {} }, '<script', 'CONTAINS', ['URL_DECODE', 'LOWERCASE'])),
        block('Curl', 3, byteMatch({ SingleHeader: { Name: 'User-Agent' } }, 'curl', 'CONTAINS_WORD', ['LOWERCASE'])),
        block('Debug', 4, byteMatch({ SingleQueryArgument: { Name: 'debug' } }, 'true', 'EXACTLY')),
        block('Json', 5, { AndStatement: { Statements: [byteMatch({ Method: {} }, 'DELETE', 'EXACTLY'), { NotStatement: { Statement: byteMatch({ UriPath: {} }, '.json', 'ENDS_WITH') } }] } }),
      ]),
      'Acl',
    );
    const rule = (overrides: Partial<WafRequest>) => acl.evaluate(request(overrides)).rule;
    expect([
      rule({ uriPath: '/prod/ADMIN/users' }),
      rule({ uriPath: '/prod/items/admin' }),
      rule({ queryString: 'q=%3CScRiPt%3Ealert(1)' }),
      rule({ queryString: 'q=script' }),
      rule({ headers: { 'user-agent': 'CURL/8.0' } }),
      rule({ headers: { 'user-agent': 'curlish/1.0' } }),
      rule({ queryString: 'DEBUG=true&x=1' }),
      rule({ queryString: 'debug=truex' }),
      rule({ method: 'DELETE', uriPath: '/prod/items/1' }),
      rule({ method: 'DELETE', uriPath: '/prod/items/1.json' }),
    ]).toEqual(['Admin', undefined, 'Script', undefined, 'Curl', undefined, 'Debug', undefined, 'Json', undefined]);
  });

  test('a default Block action answers with its custom response', () => {
    const acl = localWebAcl(
      template([{ Name: 'AllowKnown', Priority: 1, Action: { Allow: {} }, Statement: byteMatch({ SingleHeader: { Name: 'x-known' } }, 'yes', 'EXACTLY') }], {
        DefaultAction: { Block: { CustomResponse: { ResponseCode: 404 } } },
      }),
      'Acl',
    );
    expect([acl.evaluate(request({ headers: { 'x-known': 'yes' } })), acl.evaluate(request())]).toEqual([
      { action: 'ALLOW', rule: 'AllowKnown' },
      { action: 'BLOCK', response: { status: 404, headers: {} } },
    ]);
  });

  test('what cannot be evaluated locally is left out and listed, and the rest still applies', () => {
    const acl = localWebAcl(
      template([
        { Name: 'AWS-AWSManagedRulesCommonRuleSet', Priority: 130, OverrideAction: { None: {} }, Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesCommonRuleSet' } } },
        { Name: 'GeoRestriction', Priority: 30, Action: { Block: {} }, Statement: { NotStatement: { Statement: { GeoMatchStatement: { CountryCodes: ['DE'] } } } } },
        { Name: 'Squeezed', Priority: 5, Action: { Block: {} }, Statement: byteMatch({ UriPath: {} }, 'x', 'CONTAINS', ['COMPRESS_WHITE_SPACE']) },
        { Name: 'Captcha', Priority: 6, Action: { Captcha: {} }, Statement: byteMatch({ UriPath: {} }, 'x', 'CONTAINS') },
        { Name: 'Shared', Priority: 7, Action: { Block: {} }, Statement: { IPSetReferenceStatement: { Arn: 'arn:aws:wafv2:eu-west-1:123456789012:regional/ipset/shared/abc' } } },
        ipRule('IpDenyList', 10, ['Blocked']),
      ]),
      'Acl',
    );
    expect(acl.notEmulated).toEqual([
      { rule: 'Squeezed', reason: 'text transformation COMPRESS_WHITE_SPACE' },
      { rule: 'Captcha', reason: 'CAPTCHA action' },
      { rule: 'Shared', reason: 'an IP set outside this template' },
      { rule: 'GeoRestriction', reason: 'GeoMatchStatement' },
      { rule: 'AWS-AWSManagedRulesCommonRuleSet', reason: 'managed rule group' },
    ]);
    expect([acl.evaluate(request({ uriPath: '/prod/x' })).action, acl.evaluate(request({ sourceIp: '192.0.2.1' })).action]).toEqual(['ALLOW', 'BLOCK']);
  });
});

describe('stageWebAcl', () => {
  test('finds the web ACL associated with a stage, and names one outside the template', () => {
    const resources: Resources = {
      ...template([ipRule('IpDenyList', 10, ['Blocked'])]),
      Stage: { Type: 'AWS::ApiGateway::Stage', Properties: { StageName: 'prod' } },
      Other: { Type: 'AWS::ApiGateway::Stage', Properties: { StageName: 'dev' } },
      Shared: { Type: 'AWS::ApiGateway::Stage', Properties: { StageName: 'shared' } },
      Association: { Type: 'AWS::WAFv2::WebACLAssociation', Properties: { ResourceArn: { 'Fn::Join': ['', ['arn:aws:apigateway:eu-west-1::/restapis/x/stages/', { Ref: 'Stage' }]] }, WebACLArn: { 'Fn::GetAtt': ['Acl', 'Arn'] } } },
      SharedAssociation: { Type: 'AWS::WAFv2::WebACLAssociation', Properties: { ResourceArn: { Ref: 'Shared' }, WebACLArn: 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/shared/abc' } },
    };
    expect(stageWebAcl(resources, 'Stage').acl?.name).toBe('acl');
    expect(stageWebAcl(resources, 'Other')).toEqual({});
    expect(stageWebAcl(resources, 'Shared')).toEqual({ outside: '"arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/shared/abc"' });
  });
});
