/**
 * Two projects:
 * - unit: `*.test.ts`, no outside processes (loopback servers started inside a test are fine).
 * - integration: `*.int.test.ts`, with a global setup that starts the local AWS stand-ins (radosgw) once per run.
 * Jest only runs a project's global setup when that project has tests selected.
 */
const transform = {
  // Type-checking is done once by `npm run typecheck`; jest only transpiles.
  '^.+\\.ts$': ['ts-jest', { isolatedModules: true, diagnostics: false }],
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.test.ts'],
      testPathIgnorePatterns: ['\\.int\\.test\\.ts$'],
      transform,
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.int.test.ts'],
      transform,
      globalSetup: '<rootDir>/test/global-setup.ts',
      globalTeardown: '<rootDir>/test/global-teardown.ts',
    },
  ],
  testTimeout: 60_000,
  maxWorkers: 2,
};
