import { fail, pass, type StandardRule } from '../rule';
import { listAt, type StackTemplate } from '../template';

/** Cognito app clients use the code flow and can have their tokens revoked. */
export const cognitoClient: StandardRule = {
  id: 'SecureApi-CognitoClient',
  level: 'error',
  description: 'No Cognito app client allows the implicit grant, and every one keeps token revocation on.',
  explanation:
    'The implicit grant returns tokens in the redirect URL, where browser history, referrers and proxies can leak them (OAuth 2.0 ' +
    'Security BCP, RFC 9700); without token revocation a leaked refresh token keeps minting access tokens until it expires.',
  fix: "Use the authorization code grant with PKCE (oAuth.flows.authorizationCodeGrant) and leave enableTokenRevocation on.",
  evaluate(template: StackTemplate) {
    return template.ofType('AWS::Cognito::UserPoolClient').map((client) => {
      if (listAt(client.properties.AllowedOAuthFlows).includes('implicit')) {
        return fail(client, 'AllowedOAuthFlows includes implicit', 'Properties/AllowedOAuthFlows');
      }
      return client.properties.EnableTokenRevocation === false
        ? fail(client, 'EnableTokenRevocation is false', 'Properties/EnableTokenRevocation')
        : pass(client, 'no implicit grant; token revocation on');
    });
  },
};
