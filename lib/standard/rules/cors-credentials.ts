import { fail, pass, type StandardRule } from '../rule';
import { at, listAt, type StackTemplate } from '../template';

const ORIGIN = 'method.response.header.Access-Control-Allow-Origin';
const CREDENTIALS = 'method.response.header.Access-Control-Allow-Credentials';

/** CORS never lets any origin send credentials. */
export const corsCredentials: StandardRule = {
  id: 'SecureApi-CorsCredentials',
  level: 'error',
  description: 'No API allows every origin (*) together with credentials in its CORS configuration.',
  explanation:
    'Allowing credentials for any origin lets every website a signed-in user visits call the API with that user’s cookies or ' +
    'credentials and read the answers.',
  fix: 'List the allowed origins explicitly, or do not allow credentials.',
  evaluate(template: StackTemplate) {
    const httpApis = template.ofType('AWS::ApiGatewayV2::Api').flatMap((api) => {
      const cors = api.properties.CorsConfiguration;
      if (cors === undefined) {
        return [];
      }
      const anyOrigin = listAt(at(cors, 'AllowOrigins')).includes('*');
      return [
        anyOrigin && at(cors, 'AllowCredentials') === true
          ? fail(api, 'CorsConfiguration allows origin * with credentials', 'Properties/CorsConfiguration')
          : pass(api, anyOrigin ? 'origin * without credentials' : 'explicit origins'),
      ];
    });
    const preflights = template.ofType('AWS::ApiGateway::Method').flatMap((method) => {
      const responses = listAt(at(method.properties, 'Integration', 'IntegrationResponses'));
      const headers = responses.map((response) => at(response, 'ResponseParameters')).filter((parameters) => at(parameters, ORIGIN) !== undefined);
      if (headers.length === 0) {
        return [];
      }
      const open = headers.some((parameters) => at(parameters, ORIGIN) === "'*'" && at(parameters, CREDENTIALS) === "'true'");
      return [open ? fail(method, 'a response allows origin * with credentials', 'Properties/Integration/IntegrationResponses') : pass(method, 'no response allows origin * with credentials')];
    });
    return [...httpApis, ...preflights];
  },
};
