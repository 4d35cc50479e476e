/**
 * Reads a synthesized cloud assembly (`cdk.out`) from disk: its stacks, their CloudFormation templates
 * and their construct metadata. Nested assemblies (CDK stages) are followed. No AWS call, no CDK code:
 * only the files `cdk synth` wrote.
 *
 * @see https://github.com/aws/aws-cdk/tree/main/packages/%40aws-cdk/cloud-assembly-schema
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { configError } from './errors';

/** A CloudFormation resource, as far as the report reads it. */
export interface CfnResource {
  /** The resource type, e.g. `AWS::ApiGateway::Method`. */
  readonly Type: string;
  /** The resource properties (values may be intrinsic functions). */
  readonly Properties?: Record<string, unknown>;
  /** The resource metadata (`aws:asset:path`, `cdk_nag`...). */
  readonly Metadata?: Record<string, unknown>;
  /** `Retain`, `Delete` or `Snapshot`. */
  readonly DeletionPolicy?: string;
}

/** A CloudFormation template, as far as the report reads it. */
export interface CfnTemplate {
  /** Logical id to resource. */
  readonly Resources?: Record<string, CfnResource>;
}

/** One construct metadata entry, as `cdk synth` records it per construct path. */
export interface MetadataEntry {
  /** The kind of entry, e.g. `aws:cdk:logicalId` or `aws:cdk:acknowledged-rules`. */
  readonly type: string;
  /** The entry's data. */
  readonly data?: unknown;
}

/** One stack of the assembly. */
export interface AssemblyStack {
  /** The artifact id in the manifest. */
  readonly artifactId: string;
  /** The CloudFormation stack name. */
  readonly stackName: string;
  /** The human name, e.g. `Prod/Api` for a stack in a stage. */
  readonly displayName: string;
  /** The directory the stack's template and assets live in (nested assemblies have their own). */
  readonly assemblyDir: string;
  /** The synthesized template. */
  readonly template: CfnTemplate;
  /** Construct path to metadata entries. */
  readonly metadata: Readonly<Record<string, readonly MetadataEntry[]>>;
}

interface ManifestArtifact {
  readonly type?: string;
  readonly displayName?: string;
  readonly properties?: { readonly templateFile?: string; readonly stackName?: string; readonly directoryName?: string };
  readonly metadata?: Record<string, MetadataEntry[]>;
  readonly additionalMetadataFile?: string;
}

/**
 * Returns every CloudFormation stack of the assembly in `dir`, in manifest order.
 *
 * @param dir the assembly directory
 * @param label how to name the directory in error messages, e.g. as the operator typed it
 * @throws CliError (exit 3) when `dir` holds no readable `manifest.json`, or a template it names is missing
 */
export function readCloudAssembly(dir: string, label: string = dir): AssemblyStack[] {
  const assemblyDir = resolve(dir);
  const manifestFile = join(assemblyDir, 'manifest.json');
  if (!existsSync(manifestFile)) {
    throw configError('ERR_NO_CLOUD_ASSEMBLY', `${label} holds no cloud assembly (manifest.json). Run \`npx cdk synth\` first, or pass its directory to --cdk-out.`);
  }
  const manifest = readJson<{ artifacts?: Record<string, ManifestArtifact> }>(manifestFile, label);
  const stacks: AssemblyStack[] = [];
  for (const [artifactId, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type === 'cdk:cloud-assembly' && artifact.properties?.directoryName) {
      stacks.push(...readCloudAssembly(join(assemblyDir, artifact.properties.directoryName), join(label, artifact.properties.directoryName)));
    } else if (artifact.type === 'aws:cloudformation:stack' && artifact.properties?.templateFile) {
      const templateFile = join(assemblyDir, artifact.properties.templateFile);
      if (!existsSync(templateFile)) {
        throw configError('ERR_TEMPLATE_MISSING', `${label} names the template ${artifact.properties.templateFile}, which does not exist. Run \`npx cdk synth\` again.`);
      }
      // Recent CDK versions move construct metadata out of the manifest into a side file.
      const metadata = artifact.additionalMetadataFile
        ? readJson<Record<string, MetadataEntry[]>>(join(assemblyDir, artifact.additionalMetadataFile), label)
        : (artifact.metadata ?? {});
      stacks.push({
        artifactId,
        stackName: artifact.properties.stackName ?? artifactId,
        displayName: artifact.displayName ?? artifactId,
        assemblyDir,
        template: readJson<CfnTemplate>(templateFile, label),
        metadata,
      });
    }
  }
  return stacks;
}

function readJson<T>(file: string, label: string): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (error) {
    throw configError('ERR_CLOUD_ASSEMBLY_MALFORMED', `${basename(file)} in ${label} is not readable JSON. Run \`npx cdk synth\` again.`, error);
  }
}
