import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';

const REPO = path.join(__dirname, '..', '..');
const MANIFEST = readFileSync(path.join(REPO, 'package.json'), 'utf8');

/** Diagnostics of a snippet that imports the authorizer entry point, checked against the real lambda/ sources. */
function diagnosticsOf(snippet: string): string[] {
  const file = path.join(REPO, 'test', 'package', '__authorizer-entry-snippet.ts');
  const options: ts.CompilerOptions = { strict: true, module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, types: [], skipLibCheck: true };
  const host = ts.createCompilerHost(options);
  const readSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, ...rest) => {
    if (fileName === file) {
      return ts.createSourceFile(fileName, snippet, languageVersion);
    }
    // jose and the Node.js types are not what this checks: read them as empty modules to stay fast.
    if (fileName.includes('/node_modules/') && !fileName.includes('/node_modules/typescript/lib/')) {
      return ts.createSourceFile(fileName, 'export {};', languageVersion);
    }
    return readSourceFile(fileName, languageVersion, ...rest);
  };
  host.fileExists = ((exists) => (fileName: string) => fileName === file || exists(fileName))(host.fileExists.bind(host));
  const program = ts.createProgram([file], options, host);
  return program.getSemanticDiagnostics(program.getSourceFile(file)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('cdk-secure-api/authorizer', () => {
  let consumer: string;
  beforeAll(() => {
    // A consumer's node_modules holding this package as published: package.json and the declaration files.
    consumer = mkdtempSync(path.join(tmpdir(), 'authorizer-entry-'));
    const installed = path.join(consumer, 'node_modules', 'cdk-secure-api');
    for (const dir of ['dist/lib', 'dist/lambda']) {
      mkdirSync(path.join(installed, dir), { recursive: true });
    }
    writeFileSync(path.join(installed, 'package.json'), MANIFEST);
    writeFileSync(path.join(installed, 'dist', 'lib', 'index.d.ts'), 'export declare const ROOT: true;\n');
    writeFileSync(path.join(installed, 'dist', 'lambda', 'index.d.ts'), 'export declare const AUTHORIZER: true;\n');
  });
  afterAll(() => rmSync(consumer, { recursive: true, force: true }));

  test.each([
    ['node (node10)', ts.ModuleResolutionKind.Node10, ts.ModuleKind.CommonJS],
    ['node16', ts.ModuleResolutionKind.Node16, ts.ModuleKind.Node16],
    ['nodenext', ts.ModuleResolutionKind.NodeNext, ts.ModuleKind.NodeNext],
    ['bundler', ts.ModuleResolutionKind.Bundler, ts.ModuleKind.ESNext],
  ])('resolves to its declarations under moduleResolution %s, as does the package root', (_name, moduleResolution, module) => {
    const options: ts.CompilerOptions = { moduleResolution, module };
    const from = path.join(consumer, 'app.ts');
    const resolve = (name: string) => path.relative(consumer, ts.resolveModuleName(name, from, options, ts.sys).resolvedModule?.resolvedFileName ?? '(unresolved)');
    expect([resolve('cdk-secure-api/authorizer'), resolve('cdk-secure-api')]).toEqual([
      path.join('node_modules', 'cdk-secure-api', 'dist', 'lambda', 'index.d.ts'),
      path.join('node_modules', 'cdk-secure-api', 'dist', 'lib', 'index.d.ts'),
    ]);
  });

  test('createAuthorizer takes a typed configuration: a misspelt setting is a compile error', () => {
    const header = "import { createAuthorizer, loadConfig } from '../../lambda';\n";
    expect(diagnosticsOf(`${header}export const ok = () => createAuthorizer(loadConfig({}, '.'));\n` +
      "export const literal = () => createAuthorizer({ version: 1, issuers: [], routes: [], clockSkewSeconds: 30 });\n")).toEqual([]);
    const errors = diagnosticsOf(`${header}export const bad = () => createAuthorizer({ version: 1, issuers: [], routes: [], clockSkew: 30 });\n`);
    expect(errors).toEqual([expect.stringContaining("'clockSkew' does not exist in type 'AuthorizerConfig'")]);
  });
});
