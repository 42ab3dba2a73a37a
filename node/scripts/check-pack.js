'use strict';
// `prepack` hook, run before vendor-native.js: every file package.json's `files` names must
// exist, or `npm pack` fails here. npm itself silently leaves out a listed file that is not
// there, which would ship a package whose `./edge` export points at nothing. The edge entry's
// files are build products: edge/wasm/ from scripts/packaging/edge.sh's edge_build, the
// bundles from `npm run build:edge` (scripts/package node runs both before packing); a bundle
// older than a source it is built from is refused too (rebuild it).
//
// KOMPLIANT_PACK_WITHOUT_EDGE=1 packs without the edge entry's build products: only for the
// node suite's throwaway tarballs, which test the Node entry's install (scripts/test dist
// tests the edge entry from the real tarball).

const fs = require('node:fs');
const path = require('node:path');

const pkgRoot = path.join(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(pkgRoot, 'package.json'), 'utf8'));
const withoutEdge = process.env.KOMPLIANT_PACK_WITHOUT_EDGE === '1';

// Built by edge_build / build:edge, not committed.
const BUNDLES = ['edge/index.mjs', 'edge/workerd.mjs', 'edge/edge-light.mjs'];
const EDGE_BUILT = new Set([...BUNDLES, 'edge/wasm/kompliant_webhooks.js', 'edge/wasm/kompliant_webhooks_bg.wasm']);
// Made by the other prepack step (vendor-native.js), after this one.
const VENDORED = new Set(['native/']);

const problems = [];
for (const entry of pkg.files) {
  if (/[*?[]/.test(entry) || VENDORED.has(entry)) {
    continue;
  }
  if (withoutEdge && EDGE_BUILT.has(entry)) {
    continue;
  }
  if (!fs.existsSync(path.join(pkgRoot, entry))) {
    problems.push(
      EDGE_BUILT.has(entry)
        ? `${entry} is missing: build the edge entry first (scripts/packaging/edge.sh's edge_build, then npm run build:edge; scripts/package node does both)`
        : `${entry} is missing`,
    );
  }
}
const unlisted = [...EDGE_BUILT].filter((f) => !pkg.files.includes(f));
if (unlisted.length) {
  problems.push(`package.json's files does not list ${unlisted.join(', ')}: the ./edge export needs them`);
}

// A bundle older than what it is built from would ship stale code.
if (!withoutEdge && !problems.length) {
  const sources = [
    ...fs.readdirSync(path.join(pkgRoot, 'lib')).filter((f) => f.endsWith('.js')).map((f) => `lib/${f}`),
    ...fs.readdirSync(path.join(pkgRoot, 'edge', 'src')).map((f) => `edge/src/${f}`),
    'fetch.js',
    'edge/wasm/kompliant_webhooks.js',
  ];
  const mtime = (f) => fs.statSync(path.join(pkgRoot, f)).mtimeMs;
  for (const bundle of BUNDLES) {
    const newer = sources.filter((s) => mtime(s) > mtime(bundle));
    if (newer.length) {
      problems.push(`${bundle} is older than ${newer.join(', ')}: run npm run build:edge again`);
    }
  }
}

if (problems.length) {
  console.error(`npm pack: refusing to pack kompliant-webhooks:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
if (withoutEdge) {
  console.error('npm pack: KOMPLIANT_PACK_WITHOUT_EDGE=1: packing without the edge entry\'s build products (a test tarball, not for release)');
}
