'use strict';
// Loads the native module through napi-rs's generated loader (../binding.js, written by
// `napi build --platform --js binding.js`): a file built in this package (`npm run build` in
// a checkout, or the opt-in source build), else the prebuilt per-platform package
// (kompliant-webhooks-<platform>, glibc or musl detected), else the WebAssembly fallback
// (kompliant-webhooks-wasm32-wasi; NAPI_RS_FORCE_WASI=true prefers it). When nothing loads,
// the loader's own message is replaced by one that names what was tried and how to fix it.

const { platformSuffix, BINARY_NAME } = require('./platform.js');

function load() {
  try {
    return require('../binding.js');
  } catch (err) {
    const suffix = platformSuffix();
    const message =
      `kompliant-webhooks: no native module loaded for ${suffix} (Node ${process.version}). Tried: ` +
      `${BINARY_NAME}.${suffix}.node in the package, the prebuilt package ${BINARY_NAME}-${suffix}, ` +
      `and the WebAssembly fallback ${BINARY_NAME}-wasm32-wasi (the causes are in error.cause). ` +
      'To fix: reinstall without omitting optional dependencies (no --omit=optional / --no-optional; ' +
      'npm before 10 could skip them: delete node_modules and package-lock.json, then `npm install`); ' +
      `if node_modules was installed on another platform, install again here or add the package: ` +
      `\`npm install ${BINARY_NAME}-${suffix}\` (or \`npm install --cpu=wasm32 ${BINARY_NAME}-wasm32-wasi\` for the ` +
      'WebAssembly build); or build it from the sources in this package with Rust ' +
      '(https://rustup.rs): `npx kompliant-webhooks-build`.';
    const error = new Error(message, { cause: err });
    error.code = 'KOMPLIANT_NATIVE_MODULE_NOT_FOUND';
    throw error;
  }
}

module.exports = load();
