/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  reporters: ['default', '<rootDir>/test/support/totals-reporter.js'],
  // Lab tests build real network namespaces and sshds; give them room, but never let one hang CI.
  testTimeout: 120000,
};
