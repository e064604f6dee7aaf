// Lint: typescript-eslint's recommended rules on sources, tests, scripts and bench.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

// Layer boundaries (docs/ARCHITECTURE.md), checked: each folder lists what it must not import.
const NO_VSCODE = { name: 'vscode', message: 'src/core and src/local never import vscode: put editor code in src/vscode.' };
const NO_AWS_SDK = { group: ['@aws-sdk/*', '@smithy/*'], message: 'Only src/aws imports the AWS SDK (bundled apart and loaded lazily).' };
const BROWSER_MESSAGE = 'This module is bundled into the results panel (browser code): no Node built-ins.';
const NO_NODE_BUILTIN_NAMES = builtinModules.filter((m) => !m.startsWith('_')).map((name) => ({ name, message: BROWSER_MESSAGE }));
const NO_NODE_BUILTINS = { group: ['node:*'], message: BROWSER_MESSAGE };
/** Core modules the webview bundles (esbuild's metafile of src/webview/panel.ts), plus the shapes it reads. */
const BROWSER_SAFE_CORE = ['src/core/constants.ts', 'src/core/errors.ts', 'src/core/policyMatch.ts', 'src/core/policy.ts', 'src/core/cidr.ts', 'src/core/retainPublish.ts', 'src/core/wildcard.ts', 'src/core/outcomes.ts', 'src/core/result.ts'];
const restrict = (paths, patterns) => ({ 'no-restricted-imports': ['error', { paths, patterns }] });

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.test-runs/**', 'test/fixtures/**', 'examples/**', 'dist-vsix/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
      eqeqeq: ['error', 'smart'],
      // Long message strings stay on one line (greppable); code wraps at 160.
      'max-len': ['error', { code: 160, ignoreUrls: true, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true }],
    },
  },
  { files: ['src/**/*.ts'], ignores: ['src/aws/**'], rules: restrict([], [NO_AWS_SDK]) },
  { files: ['src/core/**/*.ts', 'src/local/**/*.ts'], rules: restrict([NO_VSCODE], [NO_AWS_SDK]) },
  { files: [...BROWSER_SAFE_CORE, 'src/webview/**/*.ts'], rules: restrict([NO_VSCODE, ...NO_NODE_BUILTIN_NAMES], [NO_AWS_SDK, NO_NODE_BUILTINS]) },
  {
    files: ['**/*.js', 'scripts/**', 'esbuild.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly', console: 'readonly', setTimeout: 'readonly', fetch: 'readonly', Buffer: 'readonly', performance: 'readonly', exports: 'writable' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
