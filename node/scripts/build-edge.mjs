#!/usr/bin/env node
// Builds kompliant-webhooks/edge (`npm run build:edge`): node/lib and fetch.js, bundled by
// esbuild into three ES modules with no Node built-in, edge/index.mjs (Deno, Bun: fetches the
// .wasm by URL), edge/workerd.mjs (workerd: imports the .wasm as a module) and
// edge/edge-light.mjs (Next.js edge routes: imports `.wasm?module`, see src/init-edge-light.mjs).
// In the bundle the napi loader (lib/native.js) is replaced by edge/src/binding.mjs, a shim
// over the wasm-bindgen glue, and lib/bytes.js, lib/host.js by their edge versions. The glue
// and the .wasm (edge/wasm/, written by scripts/packaging/edge.sh's edge_build) stay files of
// their own, imported by relative path. The outputs are build products (git-ignored).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const nodeDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const edgeDir = path.join(nodeDir, 'edge');
const libDir = path.join(nodeDir, 'lib');
const GLUE = 'kompliant_webhooks.js';
const WASM = 'kompliant_webhooks_bg.wasm';

for (const file of [GLUE, WASM]) {
  if (!existsSync(path.join(edgeDir, 'wasm', file))) {
    console.error(
      `build-edge: edge/wasm/${file} is missing: build the WebAssembly core first ` +
        '(source scripts/lib.sh scripts/packaging/common.sh scripts/packaging/edge.sh; edge_build)',
    );
    process.exit(1);
  }
}

/** lib's Node-only modules → their edge versions. */
const SWAPPED = { './native.js': 'binding.mjs', './bytes.js': 'bytes.mjs', './host.js': 'host.mjs' };

const edgePlugin = {
  name: 'kompliant-edge',
  setup(build) {
    build.onResolve({ filter: /^\.\/(native|bytes|host)\.js$/ }, (args) => {
      if (path.dirname(args.importer) !== libDir) return undefined;
      return { path: path.join(edgeDir, 'src', SWAPPED[args.path]) };
    });
    // The glue and the .wasm stay next to the output: edge/wasm/.
    build.onResolve({ filter: /\/wasm\/kompliant_webhooks(_bg\.wasm(\?module)?|\.js)$/ }, (args) => ({
      path: `./wasm/${path.basename(args.path)}`,
      external: true,
    }));
    // Nothing of Node may reach the edge entry.
    build.onResolve({ filter: /^node:|^(fs|path|url|util|module|os|crypto|buffer)$/ }, (args) => ({
      errors: [{ text: `${args.path} (a Node built-in) reached the edge build from ${path.relative(nodeDir, args.importer)}` }],
    }));
  },
};

const common = {
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  mainFields: ['module', 'main'],
  plugins: [edgePlugin],
  legalComments: 'none',
  // Class names are the API (lib/errors.js keys its classes and `err.name` by `Class.name`):
  // esbuild renames identifiers that collide across the bundle unless told to keep names.
  keepNames: true,
  logLevel: 'warning',
  banner: { js: '// kompliant-webhooks/edge, built by scripts/build-edge.mjs from node/lib: do not edit.' },
};

await Promise.all([
  esbuild.build({ ...common, entryPoints: [path.join(edgeDir, 'src', 'index.mjs')], outfile: path.join(edgeDir, 'index.mjs') }),
  esbuild.build({ ...common, entryPoints: [path.join(edgeDir, 'src', 'workerd.mjs')], outfile: path.join(edgeDir, 'workerd.mjs') }),
  esbuild.build({ ...common, entryPoints: [path.join(edgeDir, 'src', 'edge-light.mjs')], outfile: path.join(edgeDir, 'edge-light.mjs') }),
]);
console.log('build-edge: wrote edge/index.mjs, edge/workerd.mjs and edge/edge-light.mjs');
