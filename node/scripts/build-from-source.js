#!/usr/bin/env node
'use strict';
// `npx kompliant-webhooks-build`: builds the native module from the Rust sources this package
// carries (native/, vendored at pack time) with cargo, for a platform with no prebuilt
// package or to audit the build. Explicit on purpose: installing the package never compiles
// (it has no install script); the prebuilt per-platform package, or the WebAssembly one, is
// what loads by default. The result, kompliant-webhooks.<platform>.node in the package
// directory, is what the generated loader tries first.
// KOMPLIANT_WEBHOOKS_TARGET_DIR keeps cargo's build directory (and its cache) elsewhere.

const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');

if (fs.existsSync(path.join(root, 'native', 'Cargo.toml'))) {
  require('./build-native.js').buildVendored(root);
} else if (fs.existsSync(path.join(root, '..', 'bindings', 'node', 'Cargo.toml'))) {
  console.log('kompliant-webhooks: repository checkout; build the native module with `npm run build`');
} else {
  console.error('kompliant-webhooks: this package holds no Rust sources (native/) to build from');
  process.exit(1);
}
