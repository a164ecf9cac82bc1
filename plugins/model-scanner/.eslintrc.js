module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  // the esbuild bundle of the CLI (generated, git-ignored)
  ignorePatterns: ['dist-cli/'],
});
