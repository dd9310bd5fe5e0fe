import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'test-output/', 'bench/output/', 'scratch/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['renderer/**/*.tsx', 'test/renderer/**/*.tsx'],
    ...reactHooks.configs.flat.recommended,
  },
  {
    files: ['engine/**', 'shared/**', 'cli/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: ['electron', 'react'] }],
    },
  },
  {
    files: ['shared/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['node:*', 'electron', 'react'] }],
    },
  },
);
