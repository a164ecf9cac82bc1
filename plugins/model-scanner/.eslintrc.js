module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  // the esbuild bundle of the CLI (generated, git-ignored)
  ignorePatterns: ['dist-cli/'],
  rules: {
    // shared test assertions (src/testing/results.ts) count as assertions
    'jest/expect-expect': [
      'warn',
      { assertFunctionNames: ['expect', 'expectSafe'] },
    ],
  },
});
