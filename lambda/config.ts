/**
 * Reads the authorizer configuration from where the deployed function receives it: `config.json` inside
 * the bundle and the configuration environment variable. {@link loadConfig} validates it with the contract's
 * {@link parseConfig}; the bundled handler reads the same sources and validates them with the lean
 * `parseRuntimeConfig` (the same refusals, shorter messages).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_ENV_VAR, CONFIG_FILE_NAME, type AuthorizerConfig } from './contract/config-types';
import { mergeConfigSources, parseConfig, parseJsonObject } from './contract/config';
import { ConfigError } from './contract/errors';

/**
 * Loads the configuration the way the deployed authorizer receives it: `config.json` in `dir` (if
 * present) and the {@link CONFIG_ENV_VAR} environment variable (if set), merged by top-level key with
 * the environment winning, then validated with {@link parseConfig}.
 * @param env the environment, usually `process.env`
 * @param dir the folder holding `config.json`, usually the bundle's `__dirname`
 * @throws ConfigError when neither source exists, one is not a JSON object, or validation fails
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>, dir: string): AuthorizerConfig {
  return parseConfig(readConfigSources(env, dir));
}

/**
 * Reads and merges the two configuration sources, not yet validated (see {@link loadConfig}).
 * @param env the environment, usually `process.env`
 * @param dir the folder holding `config.json`
 * @throws ConfigError when neither source exists or one is not a JSON object
 */
export function readConfigSources(env: Readonly<Record<string, string | undefined>>, dir: string): Record<string, unknown> {
  const file = join(dir, CONFIG_FILE_NAME);
  let fileText: string | undefined;
  try {
    fileText = readFileSync(file, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') {
      throw new ConfigError(`${CONFIG_FILE_NAME}: cannot be read (${code ?? 'unknown error'})`, { cause });
    }
  }
  const envText = env[CONFIG_ENV_VAR] || undefined;
  if (fileText === undefined && envText === undefined) {
    throw new ConfigError(`configuration: none found: neither ${file} nor the ${CONFIG_ENV_VAR} environment variable is set`);
  }
  return mergeConfigSources(
    fileText === undefined ? undefined : parseJsonObject(CONFIG_FILE_NAME, fileText),
    envText === undefined ? undefined : parseJsonObject(CONFIG_ENV_VAR, envText),
  );
}
