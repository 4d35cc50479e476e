import { publicDeclaration } from '../declarations';
import { fail, pass, type StandardRule } from '../rule';
import type { StackTemplate } from '../template';

/** No Lambda function URL is open to unauthenticated callers. */
export const functionUrlAuth: StandardRule = {
  id: 'SecureApi-FunctionUrlAuth',
  level: 'error',
  description: 'Every Lambda function URL requires IAM authentication (AuthType AWS_IAM).',
  explanation:
    'A function URL with AuthType NONE is a public HTTPS endpoint beside the API: it skips the gateway, and with it the authorizer, ' +
    'WAF, throttling and audit logging that the API standard requires.',
  fix: "Set authType: FunctionUrlAuthType.AWS_IAM (and call it with SigV4), route the traffic through the API instead, or declare a deliberately public URL with declarePublic(url, reason).",
  evaluate(template: StackTemplate) {
    return template.ofType('AWS::Lambda::Url').map((url) => {
      const type = url.properties.AuthType;
      if (type === 'AWS_IAM') {
        return pass(url, 'the URL requires SigV4-signed IAM calls');
      }
      const reason = publicDeclaration(url);
      return reason !== undefined
        ? pass(url, `the URL is declared public: ${reason}`)
        : fail(url, `the URL has AuthType ${JSON.stringify(type)}: anyone can call the function`, 'Properties/AuthType');
    });
  },
};
