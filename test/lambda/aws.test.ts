/**
 * The bundle's AWS JSON-protocol client: its SigV4 signature equals the AWS SDK's own signer's over many
 * requests, a real server on 127.0.0.1 (TLS) verifies it, and every failure (no credentials, an error
 * status, a timeout, an oversized or non-JSON answer) is an AwsRequestError with its cause, holding no
 * credential.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { SourceData } from '@smithy/types';
import { AwsRequestError, createAwsJsonClient, credentialsFromEnvironment, DYNAMODB, regionalEndpoint, SECRETS_MANAGER, signAwsRequest, type AwsCredentials } from '../../lambda/aws';
import { createHttpPost } from '../../lambda/http';
import { startFakeAws, TEST_AWS_ENVIRONMENT, TEST_CREDENTIALS, type FakeAws } from '../fixtures/fake-aws';
import { selfSignedCertificate } from '../fixtures/jwks-server';

const bytes = (data: SourceData): string | Buffer =>
  typeof data === 'string' ? data : data instanceof ArrayBuffer ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);

/** The SDK's hash seam, on node:crypto. */
class Sha256 {
  private readonly hash;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
}

const pick = <T>(values: readonly T[]): T => values[randomBytes(1)[0]! % values.length]!;

describe('signAwsRequest', () => {
  test('happy flow: the signature equals the AWS SDK signer over 300 random requests', async () => {
    for (let i = 0; i < 300; i++) {
      const credentials: AwsCredentials = {
        accessKeyId: `AKID${randomBytes(8).toString('hex').toUpperCase()}`,
        secretAccessKey: randomBytes(30).toString('base64'),
        ...(i % 2 ? { sessionToken: randomBytes(40).toString('base64') } : {}),
      };
      const region = pick(['eu-west-1', 'us-east-1', 'ap-southeast-2', 'cn-north-1', 'us-gov-west-1']);
      const service = pick([DYNAMODB, SECRETS_MANAGER]);
      const host = pick([`${service.signingName}.${region}.amazonaws.com`, `127.0.0.1:${1024 + i}`, 'vpce-0abc.dynamodb.eu-west-1.vpce.amazonaws.com']);
      const body = JSON.stringify({ TableName: `t-${i}`, text: pick(['', 'é ü 😀', '  spaced  out  ', randomBytes(64).toString('base64')]) });
      const now = Date.UTC(2020 + (i % 8), i % 12, 1 + (i % 28), i % 24, i % 60, (i * 7) % 60, i % 1000);
      const headers = { 'content-type': `application/x-amz-json-${service.jsonVersion}`, 'x-amz-target': `${service.targetPrefix}.Op${i}` };
      const ours = signAwsRequest({ method: 'POST', host, path: '/', headers, body, region, service: service.signingName, credentials, now });

      const signer = new SignatureV4({ credentials, region, service: service.signingName, sha256: Sha256, applyChecksum: false });
      const [hostname, port] = host.split(':');
      const signed = await signer.sign(
        { method: 'POST', protocol: 'https:', hostname: hostname!, ...(port ? { port: Number(port) } : {}), path: '/', query: {}, headers: { ...headers, host }, body },
        { signingDate: new Date(now) },
      );
      expect(ours.authorization).toBe(signed.headers.authorization);
      expect(ours['x-amz-date']).toBe(signed.headers['x-amz-date']);
      expect(ours['x-amz-security-token']).toBe(signed.headers['x-amz-security-token']);
    }
  });
});

describe('credentialsFromEnvironment', () => {
  test('happy flow: the runtime variables, the session token when set', () => {
    expect(credentialsFromEnvironment(TEST_AWS_ENVIRONMENT)).toEqual({
      accessKeyId: TEST_CREDENTIALS.accessKeyId,
      secretAccessKey: TEST_CREDENTIALS.secretAccessKey,
      sessionToken: TEST_AWS_ENVIRONMENT.AWS_SESSION_TOKEN,
    });
    expect(credentialsFromEnvironment({ AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' })).toEqual({ accessKeyId: 'a', secretAccessKey: 'b' });
  });

  test('error flow: no key id or no secret is a CREDENTIALS failure', () => {
    for (const env of [{}, { AWS_ACCESS_KEY_ID: 'a' }, { AWS_SECRET_ACCESS_KEY: 'b' }, { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: 'b' }]) {
      const error = (() => {
        try {
          credentialsFromEnvironment(env);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(AwsRequestError);
      expect(error).toMatchObject({ code: 'ERR_AWS_REQUEST', failureCause: 'CREDENTIALS' });
    }
  });
});

describe('createAwsJsonClient over TLS on 127.0.0.1', () => {
  let fake: FakeAws;
  const transport = createHttpPost({ ca: selfSignedCertificate().cert });
  const client = (service = DYNAMODB, timeoutMs = 2000) =>
    createAwsJsonClient({ service, region: 'eu-west-1', endpoint: fake.url, timeoutMs, credentials: () => credentialsFromEnvironment(TEST_AWS_ENVIRONMENT), transport });

  beforeAll(async () => {
    fake = await startFakeAws();
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.fault = 'none';
    fake.requests.length = 0;
    fake.items = [];
  });

  /** The rejection of a call, checked to be an AwsRequestError holding no credential anywhere. */
  async function failure(call: Promise<unknown>): Promise<AwsRequestError> {
    const error = await call.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AwsRequestError);
    const seen: string[] = [];
    for (let current = error as { message?: string; cause?: unknown } | undefined, depth = 0; current && depth < 5; current = current.cause as typeof current, depth++) {
      seen.push(String(current.message), JSON.stringify(current));
    }
    for (const secret of [TEST_CREDENTIALS.secretAccessKey, TEST_AWS_ENVIRONMENT.AWS_SESSION_TOKEN, 'Signature=']) {
      expect(seen.join('\n')).not.toContain(secret);
    }
    return error as AwsRequestError;
  }

  test('happy flow: a signed DynamoDB call (JSON 1.0) the server verifies, and its answer', async () => {
    fake.items = [{ pk: { S: 'sub#a' } }];
    expect(await client()('Scan', { TableName: 'deny' })).toMatchObject({ Items: [{ pk: { S: 'sub#a' } }] });
    const [request] = fake.requests;
    expect(request).toMatchObject({ target: 'DynamoDB_20120810.Scan', signatureValid: true, body: { TableName: 'deny' } });
    expect(request!.headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(request!.headers['x-amz-security-token']).toBe(TEST_AWS_ENVIRONMENT.AWS_SESSION_TOKEN);
    expect(request!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDSECUREAPITEST01\/\d{8}\/eu-west-1\/dynamodb\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature=[0-9a-f]{64}$/);
  });

  test('happy flow: a signed Secrets Manager call (JSON 1.1)', async () => {
    expect(await client(SECRETS_MANAGER)('GetSecretValue', { SecretId: fake.secret.arn })).toMatchObject({ SecretString: fake.secret.value });
    expect(fake.requests[0]).toMatchObject({ target: 'secretsmanager.GetSecretValue', signatureValid: true });
    expect(fake.requests[0]!.headers['content-type']).toBe('application/x-amz-json-1.1');
  });

  test('error flow: a signature made with another secret is refused by the server, as HTTP_STATUS', async () => {
    const wrong = createAwsJsonClient({ service: DYNAMODB, region: 'eu-west-1', endpoint: fake.url, timeoutMs: 2000, credentials: () => ({ ...TEST_CREDENTIALS, secretAccessKey: 'wrong' }), transport });
    expect(await failure(wrong('Scan', {}))).toMatchObject({ failureCause: 'HTTP_STATUS', status: 400, awsError: 'InvalidSignatureException' });
  });

  test.each([
    ['a 4xx answer', 'access-denied', { failureCause: 'HTTP_STATUS', status: 400, awsError: 'AccessDeniedException' }],
    ['a 5xx answer', 'http500', { failureCause: 'HTTP_STATUS', status: 500, awsError: 'InternalServerError' }],
    ['an answer that is not JSON', 'not-json', { failureCause: 'BAD_JSON' }],
    ['an answer over the size cap', 'too-large', { failureCause: 'BAD_JSON' }],
    ['a connection reset', 'reset', { failureCause: 'CONNECT' }],
  ] as const)('error flow: %s', async (_what, fault, expected) => {
    fake.fault = fault;
    expect(await failure(client()('Scan', { TableName: 'deny' }))).toMatchObject({ code: 'ERR_AWS_REQUEST', reason: 'INTERNAL_ERROR', ...expected });
  });

  test('error flow: a server that does not answer times out', async () => {
    fake.fault = 'hang';
    const started = Date.now();
    expect(await failure(client(DYNAMODB, 200)('Scan', {}))).toMatchObject({ failureCause: 'TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  test('error flow: a server whose certificate is not trusted fails as TLS', async () => {
    const untrusting = createAwsJsonClient({ service: DYNAMODB, region: 'eu-west-1', endpoint: fake.url, timeoutMs: 2000, credentials: () => TEST_CREDENTIALS });
    expect(await failure(untrusting('Scan', {}))).toMatchObject({ failureCause: 'TLS' });
    expect(fake.requests).toHaveLength(0);
  });

  test('error flow: no credentials fail before any request', async () => {
    const bare = createAwsJsonClient({ service: DYNAMODB, region: 'eu-west-1', endpoint: fake.url, timeoutMs: 2000, credentials: () => credentialsFromEnvironment({}), transport });
    await expect(bare('Scan', {})).rejects.toMatchObject({ failureCause: 'CREDENTIALS' });
    expect(fake.requests).toHaveLength(0);
  });

  test('happy flow: the regional endpoints', () => {
    expect(regionalEndpoint(DYNAMODB, 'eu-west-1')).toBe('https://dynamodb.eu-west-1.amazonaws.com');
    expect(regionalEndpoint(SECRETS_MANAGER, 'cn-north-1')).toBe('https://secretsmanager.cn-north-1.amazonaws.com.cn');
  });
});
