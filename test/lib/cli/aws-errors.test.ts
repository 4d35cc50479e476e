/**
 * Credential and permission failures, produced for real: the SDK signs with the given credentials and
 * the fake Cognito endpoint verifies the SigV4 signature, so a wrong secret really is a bad signature.
 */
import { ExitCode } from '../../../lib/cli/errors';
import { TestDeployment, startTestDeployment } from './fixtures/deployment';
import { TEST_CREDENTIALS } from './fixtures/fake-cognito';

let deployment: TestDeployment;

beforeAll(async () => {
  deployment = await startTestDeployment();
});

afterAll(async () => {
  await deployment.close();
});

describe('AWS credential errors', () => {
  test('error flow: a wrong secret access key is a bad signature, exit 4', async () => {
    const result = await deployment.run(['users', 'disable', 'alice'], {
      credentials: { accessKeyId: TEST_CREDENTIALS.accessKeyId, secretAccessKey: 'not-the-secret' },
    });

    expect(deployment.cognito.requests.at(-1)).toMatchObject({ action: 'AdminDisableUser', signatureValid: false });
    expect(result).toMatchObject({
      code: ExitCode.AwsAuth,
      stderr: `${deployment.outputsNote('UserPoolId')}secure-api: AWS did not accept your credentials (InvalidSignatureException). Refresh them (for example \`aws sso login\`), or choose another --profile.\n`,
    });
  });

  test('error flow: an unknown access key id is UnrecognizedClientException, exit 4', async () => {
    const result = await deployment.run(['users', 'disable', 'alice'], {
      credentials: { accessKeyId: 'AKIDUNKNOWN000000000', secretAccessKey: TEST_CREDENTIALS.secretAccessKey },
    });

    expect(result).toMatchObject({
      code: ExitCode.AwsAuth,
      stderr: `${deployment.outputsNote('UserPoolId')}secure-api: AWS did not accept your credentials (UnrecognizedClientException). Refresh them (for example \`aws sso login\`), or choose another --profile.\n`,
    });
  });

  test('error flow: an expired session is exit 4 and says to refresh it', async () => {
    deployment.cognito.failNext('AdminEnableUser', { status: 400, type: 'ExpiredTokenException', message: 'The security token included in the request is expired' });

    const result = await deployment.run(['users', 'enable', 'alice']);

    expect(result).toMatchObject({ code: ExitCode.AwsAuth, stderr: `${deployment.outputsNote('UserPoolId')}secure-api: Your AWS session has expired. Refresh it (for example \`aws sso login\`) and retry.\n` });
  });

  test('error flow: an unexpected service error keeps its name and message, exit 5', async () => {
    deployment.cognito.failNext('AdminEnableUser', { status: 400, type: 'UserLambdaValidationException', message: 'PreSignUp failed with error Nope.' });

    const result = await deployment.run(['users', 'enable', 'alice']);

    expect(result).toMatchObject({
      code: ExitCode.AwsOther,
      stderr: `${deployment.outputsNote('UserPoolId')}secure-api: Cognito refused AdminEnableUser on user pool ${deployment.cognito.userPoolId} in eu-west-1 (UserLambdaValidationException): PreSignUp failed with error Nope.\n`,
    });
  });
});
