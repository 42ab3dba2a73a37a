'use strict';
// `prepack` hook: copies the Rust sources into native/ so the packed tarball builds from
// source on its own (`npm install kompliant-webhooks-<v>.tgz` on a machine with Rust).
// A packed crate must be self-contained, so the manifests are rewritten from `cargo metadata`
// (workspace inheritance resolved, no path outside the package):
//   native/Cargo.toml, build.rs, src/   the napi crate (bindings/node)
//   native/core/Cargo.toml, src/        the core (kompliant-webhooks)
//   native/Cargo.lock                   the workspace's lock, trimmed to these crates
// `--clean` (the `postpack` hook) removes native/ again.

const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const pkgRoot = path.join(__dirname, '..');
const repo = path.join(pkgRoot, '..');
const outDir = path.join(pkgRoot, 'native');

if (process.argv.includes('--clean')) {
  fs.rmSync(outDir, { recursive: true, force: true });
  process.exit(0);
}

const CORE = 'kompliant-webhooks';
const NODE_CRATE = 'kompliant-webhooks-node';

function cargo(args, cwd) {
  return execFileSync(process.env.CARGO || 'cargo', args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
}

function toml(value) {
  if (Array.isArray(value)) return `[${value.map(toml).join(', ')}]`;
  if (typeof value === 'boolean') return String(value);
  return JSON.stringify(String(value)); // TOML basic strings accept JSON string escapes
}

/** One `[dependencies]` line from a `cargo metadata` dependency. */
function dependencyLine(dep, pathOverride) {
  const fields = [];
  if (dep.rename) fields.push(`package = ${toml(dep.name)}`);
  if (pathOverride) fields.push(`path = ${toml(pathOverride)}`);
  else fields.push(`version = ${toml(dep.req)}`);
  if (!dep.uses_default_features) fields.push('default-features = false');
  if (dep.features.length) fields.push(`features = ${toml(dep.features)}`);
  if (dep.optional) fields.push('optional = true');
  return `${dep.rename || dep.name} = { ${fields.join(', ')} }`;
}

function manifest(pkg, { crateTypes, isRoot, paths }) {
  const lib = pkg.targets.find((t) => t.kind.includes('lib') || t.kind.includes('cdylib'));
  const lines = [
    '# Written by node/scripts/vendor-native.js from the repository workspace; do not edit.',
    '[package]',
    `name = ${toml(pkg.name)}`,
    `version = ${toml(pkg.version)}`,
    `edition = ${toml(pkg.edition)}`,
  ];
  if (pkg.rust_version) lines.push(`rust-version = ${toml(pkg.rust_version)}`);
  if (pkg.license) lines.push(`license = ${toml(pkg.license)}`);
  if (pkg.description) lines.push(`description = ${toml(pkg.description)}`);
  lines.push('publish = false', '', '[lib]', `name = ${toml(lib.name)}`, 'path = "src/lib.rs"');
  if (crateTypes) lines.push(`crate-type = ${toml(crateTypes)}`);
  for (const [kind, table] of [
    [null, 'dependencies'],
    ['build', 'build-dependencies'],
  ]) {
    const deps = pkg.dependencies.filter((d) => d.kind === kind && !d.target);
    if (pkg.dependencies.some((d) => d.kind === kind && d.target)) {
      throw new Error(`${pkg.name}: target-specific dependencies are not supported by vendor-native.js`);
    }
    if (!deps.length) continue;
    lines.push('', `[${table}]`);
    for (const d of deps) lines.push(dependencyLine(d, paths[d.name]));
  }
  const features = Object.entries(pkg.features);
  if (features.length) {
    lines.push('', '[features]');
    for (const [name, list] of features) lines.push(`${toml(name)} = ${toml(list)}`);
  }
  if (isRoot) {
    // Its own workspace: never joined to a workspace the user's project happens to be in.
    lines.push('', '[workspace]', '', '[profile.release]', 'lto = "thin"', 'codegen-units = 1');
  }
  return `${lines.join('\n')}\n`;
}

function copyTree(from, to) {
  fs.cpSync(from, to, { recursive: true, filter: (src) => !src.endsWith('~') });
}

const meta = JSON.parse(cargo(['metadata', '--format-version', '1', '--no-deps', '--locked'], repo));
const byName = Object.fromEntries(meta.packages.map((p) => [p.name, p]));
const core = byName[CORE];
const node = byName[NODE_CRATE];
if (!core || !node) throw new Error('vendor-native.js: core or napi crate missing from the workspace');
if (core.dependencies.some((d) => d.kind !== 'dev' && d.source === null && d.path)) {
  throw new Error('vendor-native.js: the core gained a path dependency; vendor it too');
}

fs.rmSync(outDir, { recursive: true, force: true });
fs.mkdirSync(path.join(outDir, 'core'), { recursive: true });
const coreDir = path.dirname(core.manifest_path);
const nodeDir = path.dirname(node.manifest_path);
copyTree(path.join(coreDir, 'src'), path.join(outDir, 'core', 'src'));
fs.writeFileSync(path.join(outDir, 'core', 'Cargo.toml'), manifest(core, { isRoot: false, paths: {} }));
copyTree(path.join(nodeDir, 'src'), path.join(outDir, 'src'));
fs.copyFileSync(path.join(nodeDir, 'build.rs'), path.join(outDir, 'build.rs'));
fs.writeFileSync(
  path.join(outDir, 'Cargo.toml'),
  manifest(node, { crateTypes: ['cdylib'], isRoot: true, paths: { [CORE]: 'core' } }),
);
// The workspace's exact versions, trimmed to what these two crates use (offline: the
// workspace build already fetched every package).
fs.copyFileSync(path.join(repo, 'Cargo.lock'), path.join(outDir, 'Cargo.lock'));
cargo(['metadata', '--format-version', '1', '--offline'], outDir);
console.error(`vendor-native.js: Rust sources vendored into ${path.relative(process.cwd(), outDir) || outDir}`);
