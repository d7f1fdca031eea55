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
  {
    // The wire format is the bottom of the house: it imports nothing of ours.
    files: ['protocol/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@qingliu/*'], message: 'protocol/ imports nothing of ours: everything else imports it.' }] }],
    },
  },
  {
    // Pipeline code, services and ports see ports only: adapters are chosen by the composition root (cloud/src/app).
    files: ['cloud/src/{ingest,settlement,services,accounting,record,registry,ports,detection}/**/*.ts'],
    ignores: ['**/*.test.ts', '**/*.suite.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['../chain/*', '../store/*', '../broker/*', '../dead-letter/*', '../http/*', '../app/*'], message: 'pipeline code imports ports (cloud/src/ports), never an adapter or the API; cloud/src/app wires adapters in.' }] }],
    },
  },
  {
    // Routes parse, scope, call a service and serialise: they reach no adapter.
    files: ['cloud/src/http/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['../chain/*', '../store/*', '../broker/*', '../dead-letter/*', '../app/*', '../ingest/*', '!../ingest/ingest-stats.js'], message: 'http/ calls services and ports; it imports no adapter (chain, store, broker) and no pipeline stage.' }] }],
    },
  },
  {
    // The edge agent takes its outbox; main.ts and configured-outbox.ts choose the adapter.
    files: ['edge/src/agent.ts', 'edge/src/batch-publisher.ts', 'edge/src/modbus-poller.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['./disk-outbox.js', './memory-outbox.js'], message: 'the agent takes an Outbox (edge/src/outbox.ts); configured-outbox.ts opens the adapter.' }] }],
    },
  },
);
