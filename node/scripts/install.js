'use strict';
// npm `install` hook: make sure a native module for this platform exists.
//  1. a prebuilt file in the package, or the prebuilt per-platform package → nothing to do;
//  2. the Rust crate vendored into the tarball (native/) → build it with cargo;
//  3. a repository checkout (../bindings/node) → `npm run build` builds it, nothing to do here.
// KOMPLIANT_WEBHOOKS_SKIP_BUILD=1 skips the build.

const fs = require('node:fs');
const path = require('node:path');
const { platformSuffix, BINARY_NAME } = require('../lib/platform.js');

const root = path.join(__dirname, '..');
const suffix = platformSuffix();

function prebuilt() {
  if (fs.existsSync(path.join(root, `${BINARY_NAME}.${suffix}.node`))) return true;
  try {
    require.resolve(`${BINARY_NAME}-${suffix}`, { paths: [root] });
    return true;
  } catch {
    return false;
  }
}

if (process.env.KOMPLIANT_WEBHOOKS_SKIP_BUILD === '1') {
  console.log('kompliant-webhooks: KOMPLIANT_WEBHOOKS_SKIP_BUILD=1, not building the native module');
} else if (prebuilt()) {
  // Prebuilt: nothing to do.
} else if (fs.existsSync(path.join(root, 'native', 'Cargo.toml'))) {
  require('./build-native.js').buildVendored(root);
} else if (fs.existsSync(path.join(root, '..', 'bindings', 'node', 'Cargo.toml'))) {
  console.log('kompliant-webhooks: repository checkout; build the native module with `npm run build`');
} else {
  console.error(
    `kompliant-webhooks: no prebuilt native module for ${suffix} and no Rust sources to build one from`,
  );
  process.exit(1);
}
