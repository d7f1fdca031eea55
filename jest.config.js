/**
 * Tests are written in TypeScript beside the code and run from their compiled
 * form (`tsc -b` first), as native ESM.
 * @type {import('jest').Config}
 */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>'],
  testMatch: ['<rootDir>/*/dist/**/*.test.js'],
  testPathIgnorePatterns: ['/node_modules/'],
  transform: {},
  testTimeout: 60_000,
  // Two cores: run test files two at a time at most.
  maxWorkers: 2,
};
