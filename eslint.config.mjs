import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import noDataKeyAssignment from './eslint-rules/no-data-key-assignment.mjs';

export default tseslint.config(
  { ignores: ['dist/', 'gen-nodejs/', 'node_modules/', 'data/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // Untrusted names are data: `obj[key] = v` with a string key is written once, in setOwn.
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { local: { rules: { 'no-data-key-assignment': noDataKeyAssignment } } },
    rules: { 'local/no-data-key-assignment': 'error' },
  },
  {
    files: ['**/*.cjs', '**/*.mjs', '**/*.js'],
    languageOptions: { globals: { require: 'readonly', module: 'writable', process: 'readonly', console: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The web console's browser code (an ES module served as is).
    files: ['server/http/console/static/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        ['fetch', 'setTimeout', 'EventSource', 'location', 'addEventListener', 'removeEventListener', 'document'].map(
          (name) => [name, 'readonly'],
        ),
      ),
    },
  },
);
