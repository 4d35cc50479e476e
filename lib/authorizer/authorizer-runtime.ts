import { Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { SecureApiValidationError, describeValue } from '../errors';

/** The oldest Node.js major version the authorizer runs on: its bundle is built for `node20`. */
export const MIN_AUTHORIZER_NODE_MAJOR = 20;

const NODE_RUNTIME_NAME = /^nodejs(\d+)(?:\.(?:\d+|x))?$/;

/**
 * The newest Node.js Lambda runtime that the aws-cdk-lib in use knows (`lambda.Runtime.ALL`), the same
 * one cdk-nag's latest-runtime rules (AwsSolutions-L1, Serverless-LambdaLatestVersion) expect. So a newer
 * aws-cdk-lib moves the authorizer to its newer runtime, and an older one keeps the newest it has.
 *
 * A fixed runtime (`nodejs24.x`) is chosen over the region-dependent `determineLatestNodeRuntime`, which
 * may put a mapping into templates of environment-agnostic stacks, and over the variable
 * `Runtime.NODEJS_LATEST`, which lags behind the newest runtime.
 *
 * @returns the runtime with the highest Node.js major version
 */
export function newestNodeRuntime(): lambda.Runtime {
  let newest: { runtime: lambda.Runtime; major: number } | undefined;
  for (const runtime of lambda.Runtime.ALL) {
    const major = nodeMajorOf(runtime);
    if (runtime.family !== lambda.RuntimeFamily.NODEJS || runtime.isVariable || major === undefined) {
      continue;
    }
    if (newest === undefined || major > newest.major) {
      newest = { runtime, major };
    }
  }
  // aws-cdk-lib has listed Node.js 20 since long before the oldest version this package supports.
  return newest?.runtime ?? lambda.Runtime.NODEJS_20_X;
}

/**
 * Checks that a runtime can run the authorizer bundle: Node.js, version 20 or later.
 *
 * @param scope the authorizer, named in the message
 * @param runtime the runtime received
 * @returns the runtime
 * @throws SecureApiValidationError when it is not Node.js or older than Node.js 20
 */
export function validateAuthorizerRuntime(scope: IConstruct, runtime: lambda.Runtime): lambda.Runtime {
  if (Token.isUnresolved(runtime.name)) {
    return runtime;
  }
  const major = nodeMajorOf(runtime);
  if (runtime.family !== lambda.RuntimeFamily.NODEJS || major === undefined || major < MIN_AUTHORIZER_NODE_MAJOR) {
    throw new SecureApiValidationError(
      `'runtime' must be a Node.js runtime of version ${MIN_AUTHORIZER_NODE_MAJOR} or later, as the authorizer's bundle is built for ` +
        `Node.js ${MIN_AUTHORIZER_NODE_MAJOR} (received: ${describeValue(runtime.name)})`,
      scope,
    );
  }
  return runtime;
}

function nodeMajorOf(runtime: lambda.Runtime): number | undefined {
  const match = NODE_RUNTIME_NAME.exec(runtime.name);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}
