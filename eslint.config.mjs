// Lint rules, including the process boundaries (the host and the protocol never import `vscode`; the webview and
// the protocol never import Node built-ins) and the layer order of docs/ARCHITECTURE.md: each layer imports only
// the layers below it, and no file imports itself back through others.
import js from '@eslint/js';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';
import { layerZones } from './eslint.layers.mjs';

const noVscode = { name: 'vscode', message: 'The host and the protocol run headless (CLI, tests); move VS Code code to extension/.' };
const nodePatterns = { group: ['node:*', 'fs', 'path', 'child_process', 'os', 'crypto'], message: 'This code runs in a browser context; Node APIs are not there.' };

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.vscode-test/**', 'test-results/**', 'out/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-namespace': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  { files: ['**/*.mjs'], languageOptions: { globals: { process: 'readonly', console: 'readonly' } } },
  // User tools run in the sandbox, where these are the only globals beyond standard JavaScript.
  {
    files: ['**/.keel/tools/*.js'],
    languageOptions: { globals: { tool: 'readonly', input: 'readonly', readFile: 'readonly', listFiles: 'readonly', fetch: 'readonly', console: 'readonly' } },
  },
  { files: ['host/**/*.ts'], rules: { 'no-restricted-imports': ['error', { paths: [noVscode] }] } },
  { files: ['protocol/**/*.ts'], rules: { 'no-restricted-imports': ['error', { paths: [noVscode], patterns: [nodePatterns] }] } },
  { files: ['webview-ui/**/*.ts'], rules: { 'no-restricted-imports': ['error', { paths: [noVscode], patterns: [nodePatterns] }] } },
  // protocol/node/ holds the Node code both the extension and the host need (path confinement, ignore rules).
  { files: ['protocol/node/**/*.ts'], rules: { 'no-restricted-imports': ['error', { paths: [noVscode] }] } },
  {
    files: ['protocol/**/*.ts', 'host/**/*.ts', 'extension/**/*.ts', 'webview-ui/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json'] })],
      // no-cycle reads the files an import leads to, which are TypeScript.
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/extensions': ['.ts', '.js'],
    },
    rules: {
      'import-x/no-restricted-paths': ['error', { zones: layerZones }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
);
