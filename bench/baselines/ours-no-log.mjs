// Reference (not a competitor): our authorizer built from the same sources as the shipped bundle, with the
// decision log's sink replaced by a no-op. The difference to "ours" is what writing one decision line per
// request costs (formatting it and one synchronous write to stdout); the shipped authorizer never runs
// without it.
import { configuredAuthorizer } from '../../lambda/authorizer';
import { readConfigSources } from '../../lambda/config';
import { parseRuntimeConfig } from '../../lambda/contract/runtime-config';

// The bench configures every implementation through the environment; the folder is only searched for a config.json.
const authorizer = configuredAuthorizer(parseRuntimeConfig(readConfigSources(process.env, process.cwd())), { log: () => {} });

/**
 * API Gateway Lambda authorizer.
 * @param {unknown} event
 * @param {{ awsRequestId?: string }} context
 */
export function handler(event, context) {
  return authorizer.handle(event, context);
}
