// What a platform repo sees when it adopts the package: packs it as `npm publish` would, then, for the
// oldest aws-cdk-lib the package supports (the floor of its peer dependency) and the newest on the npm
// registry, creates a throwaway CDK app pinned to that version, installs the tarball, type-checks the app
// under `moduleResolution: node` (both entry points), synthesizes a SecureApi with cdk-nag's AwsSolutions
// pack registered, and reports. With --git it also installs the package from this git repository's HEAD
// (`npm i git+file://...`), which runs `prepare` in a clone.
//
//   npm run check:consumer            # oldest and newest aws-cdk-lib
//   npm run check:consumer -- --git   # and a git install
//   npm run check:consumer -- --keep  # keep the throwaway folder to look around
//   npm run check:consumer -- --runtime=nodejs24.x   # pin the authorizer's runtime (the newest app then fails AwsSolutions-L1)
//
// It installs from the npm registry, so it is not part of `npm test`. Exit code 0 when every app
// synthesizes with no AwsSolutions finding, 1 otherwise.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const args = new Set(process.argv.slice(2));
const runtime = [...args].find((arg) => arg.startsWith('--runtime='))?.slice('--runtime='.length);
const work = mkdtempSync(join(tmpdir(), 'cdk-secure-api-consumer-'));
const quiet = { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 };

function run(command, commandArgs, cwd, env = {}) {
  try {
    return execFileSync(command, commandArgs, { ...quiet, cwd, env: { ...process.env, ...env } });
  } catch (error) {
    throw new Error(`${command} ${commandArgs.join(' ')} failed in ${cwd}:\n${error.stdout ?? ''}${error.stderr ?? ''}`, { cause: error });
  }
}

/** The lowest version a caret range allows: `^2.257.0` gives `2.257.0`. */
function floorOf(range) {
  const match = /^\^?(\d+\.\d+\.\d+)$/.exec(range);
  if (!match) {
    throw new Error(`cannot take the floor of the peer range ${range}`);
  }
  return match[1];
}

const APP = `import { App, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ApiScope, SecureApi, SecureApiProps, TokenIssuer } from 'cdk-secure-api';
import type { AuthorizerConfig } from 'cdk-secure-api/authorizer';
import * as fs from 'node:fs';

// Types of both entry points, as a platform repo would use them.
const props: SecureApiProps = { issuers: [TokenIssuer.oidc({ issuerUrl: 'https://login.example.com', audiences: ['orders'] })] };
// --runtime=<name> pins the authorizer's runtime, e.g. to see the check fail on an outdated one.
const pinned = lambda.Runtime.ALL.find((runtime) => runtime.name === process.env.CONSUMER_AUTHORIZER_RUNTIME && !runtime.isVariable);
const config: Pick<AuthorizerConfig, 'version'> = { version: 1 };

const app = new App({ outdir: 'cdk.out' });
const stack = new Stack(app, 'Orders', { env: { account: '123456789012', region: 'eu-west-1' } });
const api = new SecureApi(stack, 'Api', { ...props, authorizerOptions: pinned === undefined ? undefined : { runtime: pinned } });
api.addRoute('GET /orders', new apigw.MockIntegration(), { scopes: [ApiScope.of('https://api.example.com', 'orders.read', 'Read orders')] });
api.addRoute('GET /health', new apigw.MockIntegration(), { public: true });
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

let error: string | undefined;
try {
  app.synth();
} catch (caught) {
  error = (caught as Error).message.split('\\n')[0];
}
// aws-cdk-lib writes the plugins' report under one of these names, depending on its version.
const reportFile = ['cdk.out/validation-report.json', 'cdk.out/policy-validation-report.json'].find((file) => fs.existsSync(file));
const report = reportFile === undefined ? {} : JSON.parse(fs.readFileSync(reportFile, 'utf8'));
// The report's shape changed across aws-cdk-lib versions: read both.
type Violation = { ruleName: string; violatingConstructs?: { constructPath: string }[]; violatingResources?: { resourceLogicalId: string }[] };
type PluginReport = { pluginName?: string; conclusion?: string; summary?: { pluginName?: string; status?: string; metadata?: unknown }; violations?: Violation[] };
const plugins: PluginReport[] = report.pluginReports ?? [];
const findings = plugins.flatMap((plugin) =>
  (plugin.violations ?? []).flatMap((violation) =>
    (violation.violatingConstructs?.map((c) => c.constructPath) ?? violation.violatingResources?.map((r) => r.resourceLogicalId) ?? ['?']).map(
      (where) => violation.ruleName + ' ' + where,
    ),
  ),
);
// A plugin that failed without a finding could not run: no verdict is a failure too.
const pluginErrors = plugins
  .filter((plugin) => (plugin.conclusion ?? plugin.summary?.status) === 'failure' && (plugin.violations ?? []).length === 0)
  .map((plugin) => (plugin.pluginName ?? plugin.summary?.pluginName) + ': ' + JSON.stringify(plugin.summary?.metadata ?? {}));
const template = fs.existsSync('cdk.out/Orders.template.json') ? JSON.parse(fs.readFileSync('cdk.out/Orders.template.json', 'utf8')) : { Resources: {} };
const runtimes = Object.values(template.Resources as Record<string, { Type: string; Properties: { Runtime?: string } }>)
  .filter((resource) => resource.Type === 'AWS::Lambda::Function')
  .map((resource) => resource.Properties.Runtime);
// The CDK app must not load the operator CLI's dependencies.
const cliModules = Object.keys(require.cache).filter((file) => /node_modules[\\\\/](commander|@aws-sdk[\\\\/]client-cognito-identity-provider)[\\\\/]/.test(file));
console.log(JSON.stringify({ awsCdkLib: require('aws-cdk-lib/package.json').version, configVersion: config.version, runtimes, findings, pluginErrors, cliModules, error, exitCode: process.exitCode ?? 0 }));
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'commonjs',
    moduleResolution: 'node',
    strict: true,
    esModuleInterop: true,
    skipLibCheck: true,
    outDir: 'out',
    types: ['node'],
  },
  files: ['app.ts'],
};

/** Creates, installs, compiles and synthesizes one consumer app. */
function checkConsumer(name, awsCdkLib, constructs, packageSpec) {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify(
      {
        name: `consumer-${name}`,
        private: true,
        dependencies: { 'aws-cdk-lib': awsCdkLib, constructs, 'cdk-nag': manifest.devDependencies['cdk-nag'] },
        devDependencies: { typescript: manifest.devDependencies.typescript, '@types/node': manifest.devDependencies['@types/node'] },
      },
      null,
      2,
    ),
  );
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
  writeFileSync(join(dir, 'app.ts'), APP);
  const started = Date.now();
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], dir);
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', packageSpec], dir);
  const installSeconds = (Date.now() - started) / 1000;
  // One aws-cdk-lib in the tree: the app's own (a second copy is what peer dependencies prevent).
  const copies = run('npm', ['ls', 'aws-cdk-lib', '--all', '--parseable'], dir).trim().split('\n').filter(Boolean);
  run(join(dir, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], dir);
  // A failed validation sets the exit code of the app without throwing: read its answer either way.
  const synth = spawnSync('node', [join('out', 'app.js')], { ...quiet, cwd: dir, env: { ...process.env, CONSUMER_AUTHORIZER_RUNTIME: runtime ?? '' } });
  const answer = synth.stdout.trim().split('\n').filter((line) => line.startsWith('{')).pop();
  if (answer === undefined) {
    throw new Error(`the app in ${dir} did not answer (exit ${synth.status}):\n${synth.stdout}${synth.stderr}`);
  }
  const result = JSON.parse(answer);
  const version = run(join(dir, 'node_modules', '.bin', 'secure-api'), ['--version'], dir).trim();
  return { name, ...result, awsCdkLibCopies: copies.length, cliVersion: version, installSeconds };
}

const results = [];
let failed = false;
try {
  const started = Date.now();
  // npm pack runs `prepare`, which builds dist/ from clean.
  const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], root));
  const tarball = join(work, packed[0].filename);
  console.log(`packed ${packed[0].filename}: ${packed[0].entryCount} files, ${(packed[0].size / 1024).toFixed(0)} KiB (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  const unexpected = packed[0].files.map((file) => file.path).filter((path) => /^(test|bench|scripts|lib|lambda|bin)\//.test(path) || /\.test\./.test(path));
  if (unexpected.length > 0) {
    console.log(`unexpected files in the tarball: ${unexpected.join(', ')}`);
    failed = true;
  }

  const oldest = floorOf(manifest.peerDependencies['aws-cdk-lib']);
  const newest = run('npm', ['view', 'aws-cdk-lib', 'version'], root).trim();
  const newestConstructs = run('npm', ['view', 'constructs', 'version'], root).trim();
  // cdk-nag 3 asks for constructs ^10.5.1, one patch above the floor aws-cdk-lib itself asks for.
  const cdkNagConstructs = floorOf(JSON.parse(run('npm', ['view', `cdk-nag@${manifest.devDependencies['cdk-nag']}`, 'peerDependencies', '--json'], root)).constructs);
  results.push(checkConsumer('oldest', oldest, cdkNagConstructs, tarball));
  results.push(checkConsumer('newest', newest, newestConstructs, tarball));
  if (args.has('--git')) {
    results.push(checkConsumer('git', newest, newestConstructs, `git+file://${root}`));
  }
} catch (error) {
  console.error(error.message);
  failed = true;
} finally {
  for (const result of results) {
    const ok =
      result.error === undefined && result.exitCode === 0 && result.findings.length === 0 && result.pluginErrors.length === 0 && result.cliModules.length === 0 && result.awsCdkLibCopies === 1;
    failed ||= !ok;
    console.log(
      `${ok ? 'ok  ' : 'FAIL'} ${result.name.padEnd(6)} aws-cdk-lib ${result.awsCdkLib} (${result.awsCdkLibCopies} copy), ` +
        `authorizer runtime ${result.runtimes.join(', ')}, AwsSolutions findings: ${result.findings.length === 0 ? 'none' : result.findings.join('; ')}, ` +
        `CLI modules loaded by the app: ${result.cliModules.length}, secure-api --version ${result.cliVersion}, install ${result.installSeconds.toFixed(0)} s` +
        (result.pluginErrors.length > 0 ? `, plugins that could not run: ${result.pluginErrors.join('; ')}` : '') +
        (result.exitCode !== 0 ? `, app exit code ${result.exitCode}` : '') +
        (result.error ? `, synth error: ${result.error}` : ''),
    );
  }
  if (args.has('--keep')) {
    console.log(`kept ${work}: ${readdirSync(work).join(', ')}`);
  } else {
    rmSync(work, { recursive: true, force: true });
  }
}
process.exitCode = failed ? 1 : 0;
