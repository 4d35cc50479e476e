/**
 * AWS Signature Version 4 for JSON-protocol requests, on `node:crypto` only.
 *
 * The demo backend talks to DynamoDB directly rather than bundling the AWS SDK: the bundle stays a
 * few kilobytes, builds byte for byte the same everywhere, and needs no dependency beyond Node.
 *
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */
import { createHash, createHmac } from 'node:crypto';

/** Credentials of the Lambda execution role, as the runtime exposes them in the environment. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Present for temporary credentials, which is always the case in Lambda. */
  readonly sessionToken?: string;
}

/** What the signer needs to know about one HTTP request. */
export interface SignableRequest {
  readonly method: string;
  readonly host: string;
  /** Absolute path, already URI-encoded; no query string. */
  readonly path: string;
  /** Headers to sign besides `host`, `x-amz-date` and `x-amz-security-token`, which the signer adds. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Where and as what the request is signed. */
export interface SigningScope {
  readonly region: string;
  readonly service: string;
  readonly credentials: AwsCredentials;
  readonly now: Date;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';

/**
 * Returns the request's headers plus the SigV4 `authorization`, `x-amz-date` and, for temporary
 * credentials, `x-amz-security-token` headers. Header names come back lowercase.
 */
export function signRequest(request: SignableRequest, scope: SigningScope): Record<string, string> {
  const amzDate = scope.now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const date = amzDate.slice(0, 8);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    headers[name.toLowerCase()] = value;
  }
  headers.host = request.host;
  headers['x-amz-date'] = amzDate;
  if (scope.credentials.sessionToken) {
    headers['x-amz-security-token'] = scope.credentials.sessionToken;
  }

  const names = Object.keys(headers).sort();
  const canonicalHeaders = names.map((name) => `${name}:${headers[name].trim().replace(/\s+/g, ' ')}\n`).join('');
  const signedHeaders = names.join(';');
  const canonicalRequest = [request.method, request.path, '', canonicalHeaders, signedHeaders, sha256Hex(request.body)].join('\n');
  const credentialScope = `${date}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = [ALGORITHM, amzDate, credentialScope, sha256Hex(canonicalRequest)].join('\n');

  const kDate = hmac(`AWS4${scope.credentials.secretAccessKey}`, date);
  const kRegion = hmac(kDate, scope.region);
  const kService = hmac(kRegion, scope.service);
  const kSigning = hmac(kService, 'aws4_request');
  const signature = createHmac('sha256', kSigning).update(stringToSign, 'utf8').digest('hex');

  headers.authorization =
    `${ALGORITHM} Credential=${scope.credentials.accessKeyId}/${credentialScope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return headers;
}

function sha256Hex(data: string): string {
  return createHash('sha256').update(data, 'utf8').digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}
