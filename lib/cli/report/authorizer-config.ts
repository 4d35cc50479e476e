/**
 * An authorizer of the template and its configuration: `config.json` in the Lambda asset and the
 * configuration environment variable, merged the way the authorizer merges them at cold start.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  cacheKeyScopeReason,
  compileRouteTable,
  CONFIG_ENV_VAR,
  CONFIG_FILE_NAME,
  type IssuerConfig,
  mergeConfigSources,
  type RouteConfig,
  type RouteTable,
} from '../../../lambda/contract';
import type { AssemblyStack, CfnResource } from '../cloud-assembly';
import type { AuthorizerReport } from './model';
import { type AnyRecord, type Resources, isRecord } from './template';
import { references, renderValue } from './values';

/** An authorizer of the template, with the route table its configuration declares. */
export interface LoadedAuthorizer {
  /** What the report shows of it. */
  readonly report: AuthorizerReport;
  /** The declared routes, compiled as the runtime compiles them; absent when unknown or not valid. */
  readonly table?: RouteTable;
  /** Why the route table is unknown, when the configuration is read but its routes cannot be compiled. */
  readonly tableProblem?: string;
}

/** API Gateway's results-cache TTL of an authorizer that does not set one. */
export const GATEWAY_DEFAULT_CACHE_TTL_SECONDS = 300;

/** Reads an `AWS::ApiGateway::Authorizer`, and the configuration of its Lambda function when it is in the stack. */
export function loadAuthorizer(stack: AssemblyStack, resources: Resources, id: string, authorizer: CfnResource): LoadedAuthorizer {
  const props = authorizer.Properties ?? {};
  const type = String(props.Type ?? 'TOKEN');
  const report = {
    logicalId: id,
    type,
    identitySource: typeof props.IdentitySource === 'string' ? props.IdentitySource : undefined,
    cacheTtlSeconds: typeof props.AuthorizerResultTtlInSeconds === 'number' ? props.AuthorizerResultTtlInSeconds : GATEWAY_DEFAULT_CACHE_TTL_SECONDS,
  };
  if (type === 'COGNITO_USER_POOLS') {
    return { report: { ...report, configSource: 'Cognito user pools (scopes on each method)', issuers: [] } };
  }
  const functionId = [...references(props.AuthorizerUri)].find((ref) => resources[ref]?.Type === 'AWS::Lambda::Function');
  const fn = functionId === undefined ? undefined : resources[functionId];
  if (functionId === undefined || fn === undefined) {
    return { report: { ...report, configSource: 'the authorizer function is not in this stack', issuers: [] } };
  }
  const loaded = readAuthorizerConfig(stack, fn);
  const config = loaded.config;
  const issuers = Array.isArray(config?.issuers)
    ? (config.issuers as IssuerConfig[]).map((issuer) => ({ kind: issuer.kind, issuer: issuer.issuer, algorithms: issuer.algorithms }))
    : [];
  return {
    report: {
      ...report,
      functionLogicalId: functionId,
      configSource: loaded.source,
      issuers,
      cacheKeyScope: typeof config?.cacheKeyScope === 'string' ? config.cacheKeyScope : undefined,
      cacheKeyScopeReason: Array.isArray(config?.routes) ? scopeReason(config.routes as RouteConfig[]) : undefined,
    },
    ...compileRoutes(config?.routes),
  };
}

/** The route table of a configuration, as the runtime compiles it, or why it cannot be. */
function compileRoutes(routes: unknown): Pick<LoadedAuthorizer, 'table' | 'tableProblem'> {
  if (!Array.isArray(routes)) {
    return {};
  }
  try {
    return { table: compileRouteTable(routes as RouteConfig[]) };
  } catch (error) {
    return { tableProblem: `the authorizer's route table is not valid (${error instanceof Error ? error.message : String(error)})` };
  }
}

/** The asset folder of a Lambda function in the cloud assembly: `Metadata['aws:asset:path']`, else the asset hash in `Code.S3Key`. */
export function assetFolder(stack: AssemblyStack, fn: CfnResource): string | undefined {
  const assetPath = fn.Metadata?.['aws:asset:path'];
  const s3Key = (fn.Properties?.Code as AnyRecord | undefined)?.S3Key;
  const hash = typeof s3Key === 'string' ? /^([0-9a-f]{64})\.zip$/.exec(s3Key)?.[1] : undefined;
  return typeof assetPath === 'string' ? resolve(stack.assemblyDir, assetPath) : hash !== undefined ? join(stack.assemblyDir, `asset.${hash}`) : undefined;
}

/**
 * Reads the authorizer configuration of a function (and says where its asset folder is): `config.json` from its asset folder (found through
 * `Metadata['aws:asset:path']`, else the asset hash in `Code.S3Key`), then the environment variable's
 * top-level keys over it, merged by the contract's {@link mergeConfigSources} as the runtime merges them.
 */
export function readAuthorizerConfig(stack: AssemblyStack, fn: CfnResource): { config?: AnyRecord; source: string; folder?: string } {
  const folder = assetFolder(stack, fn);
  let fileConfig: AnyRecord | undefined;
  const sources: string[] = [];
  if (folder !== undefined && existsSync(join(folder, CONFIG_FILE_NAME))) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(join(folder, CONFIG_FILE_NAME), 'utf8'));
      fileConfig = isRecord(parsed) ? parsed : undefined;
      sources.push(`${CONFIG_FILE_NAME} in the asset`);
    } catch {
      return { source: `${CONFIG_FILE_NAME} in the asset is not valid JSON` };
    }
  }
  const environmentValue = ((fn.Properties?.Environment as AnyRecord | undefined)?.Variables as AnyRecord | undefined)?.[CONFIG_ENV_VAR];
  let environmentConfig: AnyRecord | undefined;
  if (environmentValue !== undefined) {
    try {
      // Deploy-time values sit inside JSON strings (Stack.toJsonString), so placeholders keep the JSON valid.
      const parsed: unknown = JSON.parse(renderValue(environmentValue));
      environmentConfig = isRecord(parsed) ? parsed : undefined;
      sources.push(CONFIG_ENV_VAR);
    } catch {
      sources.push(`${CONFIG_ENV_VAR} (unreadable)`);
    }
  }
  if (fileConfig === undefined && environmentConfig === undefined) {
    return { source: folder === undefined ? 'no asset found for the authorizer function' : `no ${CONFIG_FILE_NAME} in the authorizer's asset` };
  }
  return { config: mergeConfigSources(fileConfig, environmentConfig), source: sources.join(' + '), ...(folder !== undefined ? { folder } : {}) };
}

/** Why a route table gets its cache key scope, or undefined when the table is not one the authorizer would accept. */
function scopeReason(routes: readonly RouteConfig[]): string | undefined {
  try {
    return cacheKeyScopeReason(routes);
  } catch {
    return undefined;
  }
}
