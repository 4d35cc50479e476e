// ESLint keeps the rooms rooms: runtime code never imports the CDK or jose (it verifies with node:crypto); infrastructure code never imports jose
// and reaches the runtime only through its contract (lambda/contract/); the contract has no I/O, no jose and
// nothing from outside its folder; the library's constructs never import the demo or the CLI.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const lambdaImports = {
  patterns: [
    { group: ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs', 'cdk-nag'], message: 'lambda/ is runtime code: it never imports the CDK.' },
    // jose is the differential test's oracle (test/lambda/differential.test.ts), not a runtime dependency.
    { group: ['jose', 'jose/*'], message: 'lambda/ verifies with node:crypto: jose is only the tests\' oracle.' },
  ],
};
const joseImports = { group: ['jose', 'jose/*'], message: 'lib/ is infrastructure code: it never imports jose.' };
const runtimeImports = {
  regex: '(^|/)lambda(/(?!contract$).*)?$',
  message: 'lib/ reaches the authorizer runtime only through its contract: import from lambda/contract (its index).',
};
const appImports = {
  group: ['**/demo', '**/demo/*', '**/cli', '**/cli/*', '**/bin/*'],
  message: 'The library does not import the demo app, the operator CLI or an entry point: they are built on it, not part of it.',
};
// The globals Node.js gives every module (the `globals` package is not installed, so they are listed here).
const nodeGlobals = Object.fromEntries(
  [
    'AbortController', 'AbortSignal', 'Blob', 'Buffer', 'Event', 'EventTarget', 'Headers', 'Request', 'Response',
    'TextDecoder', 'TextEncoder', 'URL', 'URLSearchParams', 'atob', 'btoa', 'clearImmediate', 'clearInterval',
    'clearTimeout', 'console', 'crypto', 'fetch', 'global', 'performance', 'process', 'queueMicrotask',
    'setImmediate', 'setInterval', 'setTimeout', 'structuredClone',
  ].map((name) => [name, 'readonly']),
);
// What a CommonJS module has on top: its own require, module and paths.
const commonJsGlobals = Object.fromEntries(['require', 'module', 'exports', '__dirname', '__filename'].map((name) => [name, 'readonly']));

const contractImports = {
  patterns: [
    { group: ['jose', 'jose/*', 'node:*', 'aws-cdk-lib', 'aws-cdk-lib/*', 'constructs', '@aws-sdk/*'], message: 'lambda/contract/ is pure: no jose, no I/O, no CDK.' },
    { group: ['../*', '!./*'], message: 'lambda/contract/ imports nothing from outside its own folder.' },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'cdk.out/**', 'dist/**', 'assets/**', 'coverage/**', 'bench/.results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // The build, bench and test scripts run on Node.js as they are: ES modules, and CommonJS where the file says so.
  { files: ['**/*.js', '**/*.mjs', '**/*.cjs'], languageOptions: { sourceType: 'module', globals: nodeGlobals } },
  {
    files: ['**/*.cjs', 'jest.config.js'],
    languageOptions: { sourceType: 'commonjs', globals: { ...nodeGlobals, ...commonJsGlobals } },
    // require() is how a CommonJS module imports.
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  { files: ['lambda/**/*.ts'], rules: { 'no-restricted-imports': ['error', lambdaImports] } },
  { files: ['lambda/contract/**/*.ts'], rules: { 'no-restricted-imports': ['error', contractImports] } },
  { files: ['lib/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [joseImports, runtimeImports] }] } },
  {
    files: ['lib/**/*.ts'],
    ignores: ['lib/demo/**', 'lib/cli/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [joseImports, runtimeImports, appImports] }] },
  },
  // The demo's Lambda handler is runtime code like the authorizer.
  { files: ['lib/demo/items-handler/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [lambdaImports.patterns[0], joseImports, runtimeImports] }] } },
);
