import { signRequest } from '../../../lambda/demo-items/sigv4';

// Credentials of the AWS Signature Version 4 test suite.
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

describe('signRequest', () => {
  test('happy flow matches the get-vanilla vector of the AWS SigV4 test suite', () => {
    const headers = signRequest(
      { method: 'GET', host: 'example.amazonaws.com', path: '/', headers: {}, body: '' },
      { region: 'us-east-1', service: 'service', credentials, now: new Date('2015-08-30T12:36:00Z') },
    );
    expect(headers).toEqual({
      host: 'example.amazonaws.com',
      'x-amz-date': '20150830T123600Z',
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, ' +
        'Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    });
  });

  test('happy flow signs a DynamoDB call with temporary credentials as the AWS SDK signer does', () => {
    // Expected value computed with @smithy/signature-v4 (the AWS SDK's signer) for the same input.
    const headers = signRequest(
      {
        method: 'POST',
        host: 'dynamodb.eu-west-1.amazonaws.com',
        path: '/',
        headers: { 'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': 'DynamoDB_20120810.GetItem' },
        body: '{"TableName":"items","Key":{"id":{"S":"42"}}}',
      },
      { region: 'eu-west-1', service: 'dynamodb', credentials: { ...credentials, sessionToken: 'session-token-example' }, now: new Date('2024-01-02T03:04:05Z') },
    );
    expect(headers['x-amz-security-token']).toBe('session-token-example');
    expect(headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240102/eu-west-1/dynamodb/aws4_request, ' +
        'SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, ' +
        'Signature=203552eafc7c0bd2b6c594682071def5f836a49e7a712a9e3ea10c4b858e29e6',
    );
  });

  test('a changed body changes the signature', () => {
    const sign = (body: string) =>
      signRequest(
        { method: 'POST', host: 'h', path: '/', headers: {}, body },
        { region: 'eu-west-1', service: 'dynamodb', credentials, now: new Date('2024-01-02T03:04:05Z') },
      ).authorization;
    expect(sign('{"a":1}')).not.toBe(sign('{"a":2}'));
  });
});
