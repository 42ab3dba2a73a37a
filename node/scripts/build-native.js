'use strict';
// Builds the Rust crate vendored into the package (native/, written at pack time by
// scripts/vendor-native.js) with cargo and puts the library next to package.json as
// kompliant-webhooks.<platform>.node, where the generated loader (binding.js) looks first.
// Used by `npx kompliant-webhooks-build` (scripts/build-from-source.js) only.
// KOMPLIANT_WEBHOOKS_TARGET_DIR keeps cargo's build directory (and its cache) elsewhere;
// by default it is native/target and is deleted after the build.

const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { platformSuffix, BINARY_NAME } = require('../lib/platform.js');

const LIB_NAME = 'kompliant_webhooks_node';

function libraryFile() {
  if (process.platform === 'win32') return `${LIB_NAME}.dll`;
  if (process.platform === 'darwin') return `lib${LIB_NAME}.dylib`;
  return `lib${LIB_NAME}.so`;
}

function buildVendored(root) {
  const manifest = path.join(root, 'native', 'Cargo.toml');
  const cargo = process.env.CARGO || 'cargo';
  const probe = spawnSync(cargo, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    console.error(
      'kompliant-webhooks: building the native module from source needs Rust (cargo), and ' +
        `\`${cargo} --version\` did not run. Install Rust from https://rustup.rs and run ` +
        '`npx kompliant-webhooks-build` again, or use the prebuilt packages instead (see the README).',
    );
    process.exit(1);
  }
  const ownTarget = !process.env.KOMPLIANT_WEBHOOKS_TARGET_DIR;
  const targetDir = process.env.KOMPLIANT_WEBHOOKS_TARGET_DIR || path.join(root, 'native', 'target');
  console.log(`kompliant-webhooks: building the native module from source (${probe.stdout.trim()})`);
  // Not --locked: native/Cargo.lock pins every version, but vendor-native.js trims it without
  // cargo and may leave an entry cargo does not need, which cargo then drops (see there).
  const build = spawnSync(cargo, ['build', '--release', '--manifest-path', manifest], {
    stdio: 'inherit',
    env: { ...process.env, CARGO_TARGET_DIR: targetDir },
  });
  if (build.error || build.status !== 0) {
    console.error('kompliant-webhooks: cargo build failed (see above)');
    process.exit(1);
  }
  const out = path.join(root, `${BINARY_NAME}.${platformSuffix()}.node`);
  fs.copyFileSync(path.join(targetDir, 'release', libraryFile()), out);
  if (ownTarget) fs.rmSync(targetDir, { recursive: true, force: true });
  console.log(`kompliant-webhooks: built ${path.basename(out)}`);
}

module.exports = { buildVendored };
