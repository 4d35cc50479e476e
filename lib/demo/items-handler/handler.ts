/**
 * Lambda entry point of the demo items service. Configuration is read and the client built once, at cold start.
 */
import { createItemsApp, InvocationContext, ProxyEvent, ProxyResult } from './app';
import { createDynamoDbClient } from './dynamodb';
import { DynamoDbItemStore } from './store';

/** Environment variable naming the DynamoDB table. */
export const TABLE_NAME_ENV_VAR = 'ITEMS_TABLE_NAME';
/** Optional environment variable pointing the client at another DynamoDB endpoint (DynamoDB Local, tests). */
export const ENDPOINT_ENV_VAR = 'ITEMS_DYNAMODB_ENDPOINT';

const tableName = process.env[TABLE_NAME_ENV_VAR] ?? '';
const region = process.env.AWS_REGION ?? '';
// Credentials come from the SDK's default chain: in Lambda, the execution role's, from the environment.
const app = createItemsApp({
  store: new DynamoDbItemStore(createDynamoDbClient({ region, endpoint: process.env[ENDPOINT_ENV_VAR] || undefined }), tableName),
});

/** API Gateway REST proxy integration handler. */
export async function handler(event: ProxyEvent, context?: InvocationContext): Promise<ProxyResult> {
  if (tableName === '' || region === '') {
    process.stdout.write(`${JSON.stringify({ level: 'error', msg: `items service misconfigured: ${TABLE_NAME_ENV_VAR} and AWS_REGION must be set` })}\n`);
    return { statusCode: 500, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: '{"message":"internal error"}' };
  }
  return app(event, context);
}
