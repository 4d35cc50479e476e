/**
 * The Lambda entry point (bundled to `assets/authorizer/index.js`). Cold start: the configuration is
 * loaded and validated once, from `config.json` next to the bundle and the `SECURE_API_AUTHORIZER_CONFIG`
 * environment variable. An invalid configuration is logged once, naming the bad setting, and every
 * request then fails closed with `Unauthorized`.
 */
import { createAuthorizer, createFailClosedAuthorizer, type Authorizer } from './authorizer';
import { loadConfig } from './config';
import { AuthorizerError } from './errors';
import type { AuthorizerResult } from './policy';

function initialize(): Authorizer {
  try {
    return createAuthorizer(loadConfig(process.env, __dirname));
  } catch (error) {
    process.stdout.write(
      `${JSON.stringify({
        level: 'error',
        msg: 'authorizer configuration invalid',
        code: error instanceof AuthorizerError ? error.code : 'ERR_INTERNAL',
        error: error instanceof Error ? error.message : String(error),
      })}\n`,
    );
    return createFailClosedAuthorizer();
  }
}

const authorizer = initialize();

/**
 * API Gateway REST Lambda authorizer (TOKEN or REQUEST). Resolves with an Allow/Deny policy or rejects
 * with exactly `Unauthorized`.
 * @param event the authorizer event
 * @param context the Lambda context
 */
export function handler(event: unknown, context?: { awsRequestId?: string }): Promise<AuthorizerResult> {
  return authorizer.handle(event, context);
}
