import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'contracts/artifacts/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Analytics is a library the cloud uses: it never reaches back into the pipeline.
    files: ['analytics/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@qingliu/cloud', '@qingliu/cloud/*', '@qingliu/edge', '@qingliu/edge/*', '@qingliu/demo', '@qingliu/demo/*', '**/cloud/**', '**/edge/**'], message: 'analytics must not import the pipeline (cloud, edge, demo); the cloud imports analytics.' }] }],
    },
  },
);
