'use strict';
// `prepack` hook: copies the Rust sources into native/ so the packed tarball builds from
// source on its own (`npm install kompliant-webhooks-<v>.tgz` on a machine with Rust).
// A packed crate must be self-contained, so the manifests are rewritten from `cargo metadata`
// (workspace inheritance resolved, no path outside the package):
//   native/Cargo.toml, build.rs, src/   the napi crate (bindings/node)
//   native/core/Cargo.toml, src/        the core (kompliant-webhooks)
//   native/js-shared/Cargo.toml, src/   what the napi and WebAssembly bindings share
//                                       (kompliant-webhooks-js-shared)
//   native/Cargo.lock                   the workspace's lock, trimmed to these crates (no cargo
//                                       cache needed: `npm pack` works with no crate downloaded)
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
const JS_SHARED = 'kompliant-webhooks-js-shared';

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
    // Platform-specific ones (the core's `[target.'cfg(unix)'.dependencies]`) keep their
    // `cfg(…)` or target triple, as `cargo metadata` reports it.
    const ofKind = pkg.dependencies.filter((d) => d.kind === kind);
    const targets = [null, ...new Set(ofKind.map((d) => d.target).filter(Boolean))];
    for (const target of targets) {
      const deps = ofKind.filter((d) => (d.target || null) === target);
      if (!deps.length) continue;
      lines.push('', target ? `[target.${toml(target)}.${table}]` : `[${table}]`);
      for (const d of deps) lines.push(dependencyLine(d, paths[d.name]));
    }
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

/**
 * The Cargo.lock text `lock` keeping only the packages reachable from the path packages in
 * `roots` (name → `cargo metadata` package), whose own entries keep only their non-dev
 * dependencies. Entries and their order are left as cargo wrote them.
 */
function trimLock(lock, roots) {
  const [header, ...blocks] = lock.split(/\n(?=\[\[package\]\]\n)/);
  const entries = blocks.map((text) => {
    const field = (name) => (new RegExp(`^${name} = "([^"]*)"$`, 'm').exec(text) || [])[1];
    const deps = /^dependencies = \[\n([\s\S]*?)\n\]$/m.exec(text);
    return {
      text,
      name: field('name'),
      version: field('version'),
      source: field('source'),
      deps: deps ? deps[1].split('\n').map((l) => l.trim().replace(/^"|",?$/g, '')) : [],
    };
  });
  // A dependency is written "name", "name version" or "name version (source)".
  const find = (ref) => {
    const [name, version, source] = ref.split(' ');
    const hits = entries.filter(
      (e) => e.name === name && (!version || e.version === version) && (!source || `(${e.source})` === source),
    );
    if (hits.length !== 1) throw new Error(`vendor-native.js: Cargo.lock: cannot resolve "${ref}" (${hits.length} matches)`);
    return hits[0];
  };
  const keep = new Set();
  const visit = (entry) => {
    if (keep.has(entry)) return;
    keep.add(entry);
    const root = entry.source === undefined ? roots[entry.name] : undefined;
    if (entry.source === undefined && !root) throw new Error(`vendor-native.js: ${entry.name} is a path dependency outside the package`);
    for (const ref of entry.deps) {
      const dep = find(ref);
      if (root && !root.dependencies.some((d) => d.kind !== 'dev' && d.name === dep.name)) continue;
      visit(dep);
    }
  };
  for (const name of Object.keys(roots)) visit(find(name));
  const out = entries.filter((e) => keep.has(e)).map((e) => {
    const root = e.source === undefined ? roots[e.name] : undefined;
    if (!root || !e.deps.length) return e.text;
    // A root's entry: drop its dev-dependencies (criterion, proptest, ...) from the list.
    const deps = e.deps.filter((ref) => root.dependencies.some((d) => d.kind !== 'dev' && d.name === find(ref).name));
    const list = deps.length ? `dependencies = [\n${deps.map((r) => ` "${r}",`).join('\n')}\n]` : '';
    return e.text.replace(/^dependencies = \[\n[\s\S]*?\n\]$/m, list).replace(/\n{2,}$/, '\n');
  });
  return `${[header, ...out].join('\n')}${lock.endsWith('\n') ? '' : '\n'}`;
}

function copyTree(from, to) {
  fs.cpSync(from, to, { recursive: true, filter: (src) => !src.endsWith('~') });
}

const meta = JSON.parse(cargo(['metadata', '--format-version', '1', '--no-deps', '--locked'], repo));
const byName = Object.fromEntries(meta.packages.map((p) => [p.name, p]));
const core = byName[CORE];
const node = byName[NODE_CRATE];
const jsShared = byName[JS_SHARED];
if (!core || !node || !jsShared) throw new Error('vendor-native.js: core, js-shared or napi crate missing from the workspace');
if (core.dependencies.some((d) => d.kind !== 'dev' && d.source === null && d.path)) {
  throw new Error('vendor-native.js: the core gained a path dependency; vendor it too');
}
const vendored = new Set([CORE, JS_SHARED]);
for (const crate of [node, jsShared]) {
  const other = crate.dependencies.find((d) => d.kind !== 'dev' && d.source === null && d.path && !vendored.has(d.name));
  if (other) throw new Error(`vendor-native.js: ${crate.name} gained the path dependency ${other.name}; vendor it too`);
}

fs.rmSync(outDir, { recursive: true, force: true });
fs.mkdirSync(path.join(outDir, 'core'), { recursive: true });
const coreDir = path.dirname(core.manifest_path);
const nodeDir = path.dirname(node.manifest_path);
copyTree(path.join(coreDir, 'src'), path.join(outDir, 'core', 'src'));
fs.writeFileSync(path.join(outDir, 'core', 'Cargo.toml'), manifest(core, { isRoot: false, paths: {} }));
copyTree(path.join(path.dirname(jsShared.manifest_path), 'src'), path.join(outDir, 'js-shared', 'src'));
fs.writeFileSync(path.join(outDir, 'js-shared', 'Cargo.toml'), manifest(jsShared, { isRoot: false, paths: { [CORE]: '../core' } }));
copyTree(path.join(nodeDir, 'src'), path.join(outDir, 'src'));
fs.copyFileSync(path.join(nodeDir, 'build.rs'), path.join(outDir, 'build.rs'));
fs.writeFileSync(
  path.join(outDir, 'Cargo.toml'),
  manifest(node, { crateTypes: ['cdylib'], isRoot: true, paths: { [CORE]: 'core', [JS_SHARED]: 'js-shared' } }),
);
// The workspace's exact versions, trimmed to what these three crates use. Trimmed here, not by
// cargo: `npm pack` must work on a machine whose cargo cache holds none of these crates
// (cargo would need the registry to resolve). The trim keeps every package the workspace
// lock reaches from the three crates' own (non-dev) dependencies: a superset of what cargo
// resolves for them alone (another workspace member may enable an optional dependency of a
// shared crate), so the source build runs without --locked and cargo drops any such extra
// entry; it never changes a pinned version.
const roots = { [NODE_CRATE]: node, [CORE]: core, [JS_SHARED]: jsShared };
fs.writeFileSync(path.join(outDir, 'Cargo.lock'), trimLock(fs.readFileSync(path.join(repo, 'Cargo.lock'), 'utf8'), roots));
console.error(`vendor-native.js: Rust sources vendored into ${path.relative(process.cwd(), outDir) || outDir}`);
