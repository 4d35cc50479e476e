import * as fs from 'node:fs';
import * as path from 'node:path';
import { Stack, Stage } from 'aws-cdk-lib';

/** Options of {@link stableTemplate}. */
export interface StableTemplateOptions {
  /**
   * Asset hashes to keep as they are because you have made their assets deterministic yourself.
   * @default - only this package's prebundled assets are kept
   */
  readonly keepAssetHashes?: string[];
}

/** The asset hashes of one stack, split by whether a snapshot may show them. */
export interface StackAssetHashes {
  /** Assets built from this package's prebundled, byte-for-byte reproducible handlers. */
  readonly stable: string[];
  /** Every other asset (CDK-provided handlers, your own assets): their hash may change with the machine or the CDK version. */
  readonly unstable: string[];
}

const PACKAGE_ROOTS = [path.resolve(__dirname, '..'), path.resolve(__dirname, '..', '..')];
const PREBUNDLED = ['authorizer', 'demo-items'];

/**
 * The stack's CloudFormation template, ready for a Jest snapshot that stays the same on every machine,
 * every Node version and every patch of the CDK.
 *
 * What may vary is masked: the hashes of assets that are not reproducible by construction (CDK-provided
 * custom-resource handlers, Docker images, your own assets unless listed in `keepAssetHashes`), and the
 * CDK version metadata (`AWS::CDK::Metadata`, `aws:cdk:path` and `aws:asset:*` resource metadata).
 * This package's own assets (the JWT authorizer and the demo service) are bundled deterministically,
 * so their hashes are kept: a snapshot diff on them means the authorizer code or its configuration changed.
 *
 * @example
 * expect(stableTemplate(stack)).toMatchSnapshot();
 *
 * @param stack a stack of an app (synthesized on demand, as `Template.fromStack` does)
 * @param options which further asset hashes to keep
 * @returns the template as a plain object with the varying parts masked
 */
export function stableTemplate(stack: Stack, options: StableTemplateOptions = {}): Record<string, unknown> {
  const { template, hashes } = synthesized(stack);
  const keep = new Set([...hashes.stable, ...(options.keepAssetHashes ?? [])]);
  const masks = new Map<string, string>();
  for (const hash of hashes.unstable) {
    if (!keep.has(hash)) {
      masks.set(hash, `[ASSET HASH ${masks.size + 1}]`);
    }
  }
  return maskValue(withoutVersionMetadata(template), masks) as Record<string, unknown>;
}

/**
 * Classifies the stack's asset hashes: stable ones come from this package's prebundled handlers
 * (recognised by their `index.js` being byte-identical to the package's bundle), the rest are unstable.
 *
 * @param stack a stack of an app
 * @returns the stable and the unstable asset hashes
 */
export function stackAssetHashes(stack: Stack): StackAssetHashes {
  return synthesized(stack).hashes;
}

function synthesized(stack: Stack): { template: Record<string, unknown>; hashes: StackAssetHashes } {
  const stage = Stage.of(stack);
  if (stage === undefined) {
    throw new Error(`stack '${stack.stackName}' must belong to an App or a Stage to be synthesized`);
  }
  const assembly = stage.synth();
  const artifact = assembly.getStackArtifact(stack.artifactId);
  const stable: string[] = [];
  const unstable: string[] = [];
  const bundles = packageBundles();
  for (const dependency of artifact.dependencies) {
    const file = (dependency as { file?: string }).file;
    if (!file || !file.endsWith('.assets.json')) {
      continue;
    }
    const manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as {
      files?: Record<string, { source: { path?: string } }>;
      dockerImages?: Record<string, unknown>;
    };
    for (const [hash, entry] of Object.entries(manifest.files ?? {})) {
      const source = entry.source.path ? path.join(assembly.directory, entry.source.path) : undefined;
      if (source !== undefined && isPackageAsset(source, bundles)) {
        stable.push(hash);
      } else if (!entry.source.path?.endsWith('.template.json')) {
        unstable.push(hash);
      }
    }
    unstable.push(...Object.keys(manifest.dockerImages ?? {}));
  }
  return { template: artifact.template as Record<string, unknown>, hashes: { stable: stable.sort(), unstable: unstable.sort() } };
}

function packageBundles(): Buffer[] {
  const bundles: Buffer[] = [];
  for (const root of PACKAGE_ROOTS) {
    for (const name of PREBUNDLED) {
      const file = path.join(root, 'assets', name, 'index.js');
      if (fs.existsSync(file)) {
        bundles.push(fs.readFileSync(file));
      }
    }
  }
  return bundles;
}

function isPackageAsset(source: string, bundles: Buffer[]): boolean {
  const handler = path.join(source, 'index.js');
  if (!fs.existsSync(handler) || !fs.statSync(source).isDirectory()) {
    return false;
  }
  const bytes = fs.readFileSync(handler);
  return bundles.some((bundle) => bundle.equals(bytes));
}

function withoutVersionMetadata(template: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(template);
  const resources = (copy.Resources ?? {}) as Record<string, Record<string, unknown>>;
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Type === 'AWS::CDK::Metadata') {
      delete resources[logicalId];
      continue;
    }
    const metadata = resource.Metadata as Record<string, unknown> | undefined;
    if (metadata) {
      for (const key of Object.keys(metadata)) {
        if (key === 'aws:cdk:path' || key.startsWith('aws:asset:')) {
          delete metadata[key];
        }
      }
      if (Object.keys(metadata).length === 0) {
        delete resource.Metadata;
      }
    }
  }
  const conditions = copy.Conditions as Record<string, unknown> | undefined;
  if (conditions && 'CDKMetadataAvailable' in conditions) {
    delete conditions.CDKMetadataAvailable;
    if (Object.keys(conditions).length === 0) {
      delete copy.Conditions;
    }
  }
  return copy;
}

function maskValue(value: unknown, masks: ReadonlyMap<string, string>): unknown {
  if (typeof value === 'string') {
    let masked = value;
    for (const [hash, label] of masks) {
      masked = masked.split(hash).join(label);
    }
    return masked;
  }
  if (Array.isArray(value)) {
    return value.map((item) => maskValue(item, masks));
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [maskValue(key, masks) as string, maskValue(item, masks)]));
  }
  return value;
}
