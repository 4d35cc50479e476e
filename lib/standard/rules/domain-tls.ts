import { fail, pass, type RuleFinding, type StandardRule } from '../rule';
import { at, listAt, type StackTemplate, type TemplateResource } from '../template';

/** Security policies that allow TLS 1.0 or 1.1: the default of a REST custom domain is one of them. */
const LEGACY_POLICIES = new Set(['TLS_1_0']);

function verdict(domain: TemplateResource, policy: unknown, location: string): RuleFinding {
  if (policy === undefined) {
    return fail(domain, 'no SecurityPolicy: API Gateway then accepts TLS 1.0', location);
  }
  return typeof policy === 'string' && LEGACY_POLICIES.has(policy)
    ? fail(domain, `SecurityPolicy ${policy} accepts TLS 1.0 and 1.1`, location)
    : pass(domain, `SecurityPolicy ${JSON.stringify(policy)}`);
}

/** Every custom domain refuses TLS below 1.2. */
export const domainTls: StandardRule = {
  id: 'SecureApi-DomainTls',
  level: 'error',
  description: 'Every API custom domain name requires TLS 1.2 or later.',
  explanation: 'TLS 1.0 and 1.1 have known weaknesses and are refused by current compliance baselines (PCI DSS, NIST SP 800-52r2).',
  fix: 'Set securityPolicy: SecurityPolicy.TLS_1_2 (or a newer policy) on the domain name.',
  evaluate(template: StackTemplate) {
    return [
      ...template.ofType('AWS::ApiGateway::DomainName').map((domain) => verdict(domain, domain.properties.SecurityPolicy, 'Properties/SecurityPolicy')),
      ...template.ofType('AWS::ApiGatewayV2::DomainName').flatMap((domain) =>
        listAt(domain.properties.DomainNameConfigurations).map((configuration, i) =>
          verdict(domain, at(configuration, 'SecurityPolicy'), `Properties/DomainNameConfigurations/${i}/SecurityPolicy`),
        ),
      ),
    ];
  },
};
