import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CfnResource, Lazy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import type { Construct } from 'constructs';
import { CONFIG_FILE_NAME } from '../../lambda/contract';
import { SecureApiValidationError } from '../errors';

/** File name of the prebundled authorizer handler inside its asset folder. */
export const AUTHORIZER_BUNDLE_FILE = 'index.js';

/**
 * Finds the folder holding the prebundled authorizer (`assets/authorizer/index.js`), built by
 * `node scripts/bundle.mjs` at build time (`npm run bundle`, and `prepare`/`pretest`).
 *
 * Looks next to the package root both from the TypeScript sources (`lib/`) and from the compiled
 * output (`dist/lib/authorizer/`), so the library works from a checkout and from the npm package alike.
 *
 * @returns absolute path of the folder holding `index.js`
 * @throws SecureApiValidationError when the bundle has not been built
 */
export function locateAuthorizerBundle(): string {
  const candidates = [
    path.resolve(__dirname, '..', '..', 'assets', 'authorizer'),
    path.resolve(__dirname, '..', '..', '..', 'assets', 'authorizer'),
  ];
  const found = candidates.find((candidate) => fs.existsSync(path.join(candidate, AUTHORIZER_BUNDLE_FILE)));
  if (found === undefined) {
    throw new SecureApiValidationError(
      `The authorizer bundle must be built before synthesis: run 'npm run bundle' (received: no ${AUTHORIZER_BUNDLE_FILE} in ${candidates.join(' or ')})`,
    );
  }
  return found;
}

/**
 * Serializes JSON with object keys sorted at every level, so equal configurations give equal bytes.
 *
 * @param value a JSON-compatible value
 * @returns the canonical JSON text
 */
export function stableStringify(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(sortKeys);
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/** A staged authorizer asset folder. */
export interface StagedAuthorizerAsset {
  /** Absolute path of the folder: the bundle plus `config.json`. */
  readonly directory: string;
  /** SHA-256 over the bundle and the configuration, hex. */
  readonly hash: string;
  /** The exact `config.json` text written into the folder. */
  readonly configJson: string;
}

/**
 * Writes the prebundled handler and `config.json` into a content-addressed folder under the OS temp
 * directory. The folder's name and content depend only on the bundle bytes and the configuration, so
 * the asset hash CDK computes from it is the same on every machine and every run.
 *
 * @param config the file part of the authorizer configuration; must not contain CloudFormation tokens
 * @param bundleDir folder holding the prebundled `index.js`
 * @returns the staged folder
 */
export function stageAuthorizerAsset(config: object, bundleDir: string = locateAuthorizerBundle()): StagedAuthorizerAsset {
  const bundle = readBundle(bundleDir);
  const configJson = `${stableStringify(config)}\n`;
  const hash = createHash('sha256').update(bundle).update('\0').update(configJson).digest('hex');
  const directory = path.join(os.tmpdir(), 'cdk-secure-api-authorizer', hash);
  if (!fs.existsSync(path.join(directory, CONFIG_FILE_NAME))) {
    // Write to a private folder, then rename: parallel synths (jest workers) never see a half-written folder.
    const partial = `${directory}.${process.pid}.${randomBytes(4).toString('hex')}`;
    fs.mkdirSync(partial, { recursive: true });
    fs.writeFileSync(path.join(partial, AUTHORIZER_BUNDLE_FILE), bundle);
    fs.writeFileSync(path.join(partial, CONFIG_FILE_NAME), configJson);
    try {
      fs.renameSync(partial, directory);
    } catch (error) {
      fs.rmSync(partial, { recursive: true, force: true });
      if (!fs.existsSync(path.join(directory, CONFIG_FILE_NAME))) {
        throw error;
      }
    }
  }
  return { directory, hash, configJson };
}

const BUNDLES = new Map<string, Buffer>();

// Read once per process: every synth of one process then stages the same bytes, even if the bundle is
// rebuilt meanwhile (e.g. by a parallel `npm run bundle`), so one app never mixes two authorizer builds.
function readBundle(bundleDir: string): Buffer {
  const file = path.join(bundleDir, AUTHORIZER_BUNDLE_FILE);
  let bundle = BUNDLES.get(file);
  if (bundle === undefined) {
    bundle = fs.readFileSync(file);
    BUNDLES.set(file, bundle);
  }
  return bundle;
}

/**
 * Lambda code whose S3 location is decided after the function exists.
 *
 * The authorizer's route table is complete only once every route has been added, which is after the
 * function was created. This code hands the function lazy bucket and key values; `attach()` supplies the
 * asset during the prepare phase (from an aspect), before anything resolves them.
 */
export class LateBoundAssetCode extends lambda.Code {
  private asset?: s3assets.Asset;
  private boundResource?: CfnResource;
  private resourceProperty = 'Code';

  /** Returns lazy S3 coordinates that resolve to the attached asset. */
  public bind(_scope: Construct): lambda.CodeConfig {
    return {
      s3Location: {
        bucketName: Lazy.string({ produce: () => this.requireAsset().s3BucketName }),
        objectKey: Lazy.string({ produce: () => this.requireAsset().s3ObjectKey }),
      },
    };
  }

  /** Remembers the function resource, to mark it with the asset's metadata once attached (for local tooling such as SAM). */
  public override bindToResource(resource: CfnResource, options: lambda.ResourceBindOptions = {}): void {
    this.boundResource = resource;
    this.resourceProperty = options.resourceProperty ?? 'Code';
  }

  /**
   * Supplies the asset. Call once, before synthesis resolves the function.
   *
   * @param asset the staged asset
   */
  public attach(asset: s3assets.Asset): void {
    if (this.asset !== undefined) {
      throw new SecureApiValidationError('The authorizer asset must be attached once (received: a second asset)');
    }
    this.asset = asset;
    if (this.boundResource !== undefined) {
      asset.addResourceMetadata(this.boundResource, this.resourceProperty);
    }
  }

  /** The attached asset, if any. */
  public get attachedAsset(): s3assets.Asset | undefined {
    return this.asset;
  }

  private requireAsset(): s3assets.Asset {
    if (this.asset === undefined) {
      throw new SecureApiValidationError(
        'The authorizer asset is created while the app synthesizes; resolve the function only through app.synth() (received: no asset yet)',
      );
    }
    return this.asset;
  }
}
