/**
 * The Lambda entry point (bundled to `assets/authorizer/index.js`). Cold start: the configuration is
 * loaded and validated once, from `config.json` next to the bundle and the `SECURE_API_AUTHORIZER_CONFIG`
 * environment variable. An invalid configuration is logged once, naming the bad setting, and every
 * request then fails closed with `Unauthorized`. The constructs validate the same configuration at synth
 * with the full messages; here the lean validator refuses the same configurations, naming the setting only.
 * Nothing else happens at load: no output, no network module (loaded on the first key fetch, if any). The
 * pseudonym key and the deny list, when configured, are read on the first request that needs them.
 */
import { configuredAuthorizer, createFailClosedAuthorizer, stdoutLineWriter, type Authorizer } from './authorizer';
import { readConfigSources } from './config';
import { parseRuntimeConfig } from './contract/runtime-config';
import { AuthorizerError } from './errors';
import type { AuthorizerResult } from './policy';

const log = stdoutLineWriter();

function initialize(): Authorizer {
  try {
    return configuredAuthorizer(parseRuntimeConfig(readConfigSources(process.env, __dirname)), { log });
  } catch (error) {
    try {
      log(
        JSON.stringify({
          level: 'error',
          msg: 'authorizer configuration invalid',
          code: error instanceof AuthorizerError ? error.code : 'ERR_INTERNAL',
          error: error instanceof Error ? error.message : String(error),
        }),
      );
    } catch {
      // The requests below fail closed, and log why, whether or not this line was written.
    }
    return createFailClosedAuthorizer({ log });
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
