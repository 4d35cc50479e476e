import { publicDeclaration } from '../declarations';
import { fail, pass, type StandardRule } from '../rule';
import { at, listAt, type StackTemplate } from '../template';

/** Every REST API method requires a caller identity: Cognito with scopes, a Lambda authorizer, or IAM. */
export const authOnEveryMethod: StandardRule = {
  id: 'SecureApi-AuthOnEveryMethod',
  level: 'error',
  description: 'Every REST API method is authorized: a Cognito authorizer with OAuth scopes, a Lambda authorizer, or IAM.',
  explanation:
    'A method without authorization is open to anyone who finds its URL. A Cognito user pool authorizer without scopes accepts any ID ' +
    'token of the pool, whatever client it was issued to, so it does not hold the caller to least privilege either.',
  fix: 'Add the route through SecureApi.addRoute with scopes, or set an authorizer on the method; declare a deliberately public method with declarePublic(method, reason).',
  evaluate(template: StackTemplate) {
    return template.ofType('AWS::ApiGateway::Method').map((method) => {
      const type = method.properties.AuthorizationType ?? 'NONE';
      const verb = method.properties.HttpMethod;
      if (type === 'CUSTOM' || type === 'AWS_IAM') {
        return pass(method, `${verb} is authorized by ${type === 'CUSTOM' ? 'a Lambda authorizer' : 'IAM'}`);
      }
      if (type === 'COGNITO_USER_POOLS') {
        return listAt(method.properties.AuthorizationScopes).length > 0
          ? pass(method, `${verb} requires the scopes ${JSON.stringify(method.properties.AuthorizationScopes)}`)
          : fail(method, `${verb} has a Cognito authorizer without AuthorizationScopes: any ID token of the pool passes`, 'Properties/AuthorizationScopes');
      }
      const reason = publicDeclaration(method);
      if (reason !== undefined) {
        return pass(method, `${verb} is declared public: ${reason}`);
      }
      if (verb === 'OPTIONS' && at(method.properties, 'Integration', 'Type') === 'MOCK') {
        return pass(method, 'a CORS preflight answered by a MOCK integration, which reaches no backend');
      }
      return fail(method, `${String(verb)} has AuthorizationType ${JSON.stringify(type)} and is not declared public`, 'Properties/AuthorizationType');
    });
  },
};
