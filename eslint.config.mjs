// ESLint keeps the rooms rooms: runtime code never imports the CDK, infrastructure code never imports jose.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const cdkImports = {
  patterns: [
    { group: ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs', 'cdk-nag'], message: 'lambda/ is runtime code: it never imports the CDK.' },
  ],
};
const joseImports = {
  patterns: [{ group: ['jose', 'jose/*'], message: 'lib/ is infrastructure code: it never imports jose.' }],
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'cdk.out/**', 'dist/**', 'assets/**', 'coverage/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['lambda/**/*.ts'], rules: { 'no-restricted-imports': ['error', cdkImports] } },
  { files: ['lib/**/*.ts'], rules: { 'no-restricted-imports': ['error', joseImports] } },
);
