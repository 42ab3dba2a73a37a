// The edge receive benchmark in workerd (Cloudflare Workers' runtime), run by Node:
//
//   KOMPLIANT_EDGE_TOOLS=DIR node tests/bench/bench_edge_workerd.mjs --fixtures DIR --json OUT [--quick]
//
// bench_edge.mjs's three receivers (edge_common.mjs) in a Worker (bench_edge_worker.mjs),
// bundled and served by node/test/edge/runtime/miniflare-main.mjs as the edge tests serve theirs
// (miniflare and workerd from KOMPLIANT_EDGE_TOOLS, the package as an installed dependency).
// A Worker's clocks stand still while it computes, so this driver times it from outside: each
// round sends one request per receiver running a batch of calls (~40 ms) and one running none;
// a receiver's time per call is (its request's time - the empty request's median) / calls.
// Medians and p10-p90 over the rounds. No leak check or shipped size here: the files are the
// ones bench_edge.mjs weighs, and workerd's memory is not this process's.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { appDir, NODE_DIR } from '../../node/test/edge/app-dir.mjs';
import { report, stats, SIZES } from './edge_common.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BATCH_MS = 40;
const ROUNDS = { full: { '1k': 60, '16k': 40, '256k': 15, '4m': 6 }, quick: { '1k': 15, '16k': 10, '256k': 5, '4m': 3 } };
const WARMUP_MS = { full: 600, quick: 200 };

function usage(message) {
  console.error(`bench_edge_workerd: ${message}`);
  console.error('usage: bench_edge_workerd.mjs --fixtures DIR --json OUT [--quick]');
  process.exit(2);
}

const args = { fixtures: null, json: null, quick: false };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  const value = () => (i + 1 < process.argv.length ? process.argv[++i] : usage(`${a} needs a value`));
  if (a === '--fixtures') args.fixtures = value();
  else if (a === '--json') args.json = value();
  else if (a === '--quick') args.quick = true;
  else usage(`unknown argument ${a}`);
}
if (!args.fixtures || !args.json) usage('--fixtures DIR and --json OUT are required');
const tools = process.env.KOMPLIANT_EDGE_TOOLS;
if (!tools) usage('KOMPLIANT_EDGE_TOOLS must name the directory edge_tools_install fills (scripts/suites/edge.sh)');
const log = (line) => console.error(line);

/** miniflare serving the Worker; resolves to { url, stop } once it listens. */
function serve(dir) {
  const main = path.join(NODE_DIR, 'test', 'edge', 'runtime', 'miniflare-main.mjs');
  const child = spawn(process.execPath, [main, path.join(dir, 'bundle'), path.join(dir, 'bench_edge_worker.mjs')], {
    cwd: dir,
    env: { ...process.env, KOMPLIANT_EDGE_TOOLS: tools, KOMPLIANT_NODE_DIR: NODE_DIR },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stop = () => new Promise((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', resolve), child.kill('SIGTERM'))));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`miniflare exited (${code}) before listening`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /^listening on (\S+)/.exec(line);
      if (m) resolve({ url: m[1], stop });
    });
  });
}

async function call(url, route, body) {
  const res = await fetch(`${url}${route}`, { method: 'POST', body });
  const text = await res.text();
  if (!res.ok) throw new Error(`${route}: ${res.status} ${text}`);
  return text;
}

/** Milliseconds one /run request takes. */
async function timed(url, impl, size, n) {
  const start = performance.now();
  await call(url, `/run?impl=${impl}&size=${size}&n=${n}`);
  return performance.now() - start;
}

/** Per receiver (`names`, as the Worker's /setup answered them): `{ median, p10, p90 }` µs per call. */
async function measureSize(url, names, size, mode) {
  await call(url, `/body?size=${size}`, fs.readFileSync(path.join(args.fixtures, `${size}.body.json`)));
  await call(url, `/check?size=${size}`, fs.readFileSync(path.join(args.fixtures, `${size}.payload.json`)));
  const batch = {};
  for (const name of names) {
    let n = 1;
    let ms = await timed(url, name, size, n);
    const deadline = performance.now() + WARMUP_MS[mode];
    while (performance.now() < deadline || ms < BATCH_MS / 4) {
      if (ms < BATCH_MS / 4) n *= 2;
      ms = await timed(url, name, size, n);
    }
    batch[name] = Math.max(1, Math.round((n * BATCH_MS) / ms));
  }
  const raw = Object.fromEntries(names.map((n) => [n, []]));
  const empty = [];
  const rounds = ROUNDS[mode][size];
  for (let round = 0; round < rounds; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length]);
    for (const name of order) raw[name].push(await timed(url, name, size, batch[name]));
    empty.push(await timed(url, names[0], size, 0));
  }
  const overhead = stats(empty).median;
  const perCall = (name) => raw[name].map((ms) => (Math.max(0, ms - overhead) * 1000) / batch[name]);
  const out = Object.fromEntries(names.map((name) => [name, stats(perCall(name))]));
  log(`  ${size}: ${rounds} rounds (request overhead ${overhead.toFixed(2)} ms subtracted); median ${names.map((n) => `${n} ${out[n].median.toFixed(2)} µs`).join(', ')}`);
  return out;
}

async function main() {
  const mode = args.quick ? 'quick' : 'full';
  const bin = path.join(tools, 'node_modules', '.bin');
  const miniflare = JSON.parse(fs.readFileSync(path.join(tools, 'node_modules', 'miniflare', 'package.json'), 'utf8')).version;
  const runtime = `${execFileSync(path.join(bin, 'workerd'), ['--version'], { encoding: 'utf8' }).trim()} (miniflare ${miniflare})`;
  log(`bench_edge_workerd: ${runtime}, ${mode} run, fixtures ${args.fixtures}`);
  // The Worker and what it imports, in a project with the package installed as a dependency.
  const dir = appDir('kompliant-bench-workerd-', 'bench-worker', ['bench_edge_worker.mjs', 'edge_common.mjs'].map((f) => path.join(HERE, f)));
  const server = await serve(dir);
  try {
    const descriptions = JSON.parse(await call(server.url, '/setup', fs.readFileSync(path.join(args.fixtures, 'key.json'))));
    const results = {};
    for (const size of SIZES) results[size] = await measureSize(server.url, Object.keys(descriptions), size, mode);
    const { json, table } = report(runtime, descriptions, results, {});
    fs.writeFileSync(args.json, `${JSON.stringify(json, null, 2)}\n`);
    console.log(table);
  } finally {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
