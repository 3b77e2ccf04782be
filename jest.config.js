/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': 'ts-jest',
    '/node_modules/@hpcc-js/wasm-graphviz/.+\\.js$': '<rootDir>/test/support/esm-to-commonjs.js',
  },
  // Everything in node_modules runs as it is, but for that ES-module-only package (see test/support/esm-to-commonjs.js).
  transformIgnorePatterns: ['/node_modules/(?!@hpcc-js/wasm-graphviz/)'],
  // bin/netstrap runs lib/ only: rebuild it when a source is newer (test/support/build-lib.js).
  globalSetup: '<rootDir>/test/support/build-lib.js',
  reporters: ['default', '<rootDir>/test/support/totals-reporter.js'],
  // Lab tests build real network namespaces and sshds; give them room, but never let one hang CI.
  testTimeout: 120000,
};
