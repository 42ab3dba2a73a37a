// The edge tests' receiver in workerd: worker.mjs bundled by esbuild the way wrangler bundles
// a Worker (the `workerd` export condition, the .wasm left as a module of its own), then run
// by miniflare with a CompiledWasm module rule and its HTTP server on a free loopback port.
// Run by Node: node miniflare-main.mjs <bundle dir> [<worker entry>, default worker.mjs]
// (miniflare from KOMPLIANT_EDGE_TOOLS, esbuild from node/'s devDependencies). The
// KOMPLIANT_WEBHOOK_SECRET_* variables of its environment become the Worker's secrets (its
// `env`), as `wrangler secret put` makes them.
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.resolve(process.argv[2]);
mkdirSync(outDir, { recursive: true });
const tools = process.env.KOMPLIANT_EDGE_TOOLS;
const nodeDir = process.env.KOMPLIANT_NODE_DIR;
const esbuild = createRequire(path.join(nodeDir, 'package.json'))('esbuild');
const { Miniflare } = await import(pathToFileURL(createRequire(path.join(tools, 'package.json')).resolve('miniflare')).href);

await esbuild.build({
  entryPoints: [path.resolve(process.argv[3] ?? path.join(here, 'worker.mjs'))],
  outfile: path.join(outDir, 'worker.mjs'),
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  conditions: ['workerd', 'worker', 'browser'],
  mainFields: ['module', 'main'],
  logLevel: 'warning',
  plugins: [
    {
      name: 'wasm-module',
      setup(build) {
        build.onResolve({ filter: /\.wasm$/ }, (args) => {
          const file = path.resolve(args.resolveDir, args.path);
          copyFileSync(file, path.join(outDir, path.basename(file)));
          return { path: `./${path.basename(file)}`, external: true };
        });
      },
    },
  ],
});

const mf = new Miniflare({
  modules: true,
  scriptPath: path.join(outDir, 'worker.mjs'),
  modulesRoot: outDir,
  modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
  compatibilityDate: '2025-01-01',
  bindings: Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('KOMPLIANT_WEBHOOK_SECRET_'))),
  host: '127.0.0.1',
  port: 0,
});
const url = await mf.ready;
console.log(`listening on ${String(url).replace(/\/$/, '')}`);
const stop = async () => {
  await mf.dispose();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
