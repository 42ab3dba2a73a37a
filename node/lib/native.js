'use strict';
// Loads the native module: a file built in this package (from source at install time, or by
// `npm run build` in a checkout), else the prebuilt per-platform package.

const path = require('node:path');
const { platformSuffix, BINARY_NAME } = require('./platform.js');

function load() {
  const suffix = platformSuffix();
  const local = path.join(__dirname, '..', `${BINARY_NAME}.${suffix}.node`);
  const attempts = [];
  for (const id of [local, `${BINARY_NAME}-${suffix}`]) {
    try {
      return require(id);
    } catch (err) {
      if (err.code !== 'MODULE_NOT_FOUND' || !String(err.message).includes(id)) throw err;
      attempts.push(id);
    }
  }
  throw new Error(
    `kompliant-webhooks: no native module for ${suffix} (looked for ${attempts.join(' and ')}). ` +
      'It is built from source by the package install script on a machine with Rust ' +
      '(https://rustup.rs). If npm skipped that script (--ignore-scripts, or an install script ' +
      'not approved in allowScripts), approve it and rebuild: ' +
      '`npm install-scripts approve kompliant-webhooks && npm rebuild kompliant-webhooks`. ' +
      'Otherwise install the prebuilt package for this platform, or run `npm run build` in a ' +
      'repository checkout.',
  );
}

module.exports = load();
