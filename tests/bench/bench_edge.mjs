// The edge receive benchmark: kompliant-webhooks/edge (the WebAssembly core) against a
// hand-written receiver on the runtime's WebCrypto + JSON.parse, side by side in one process,
// interleaved, in Deno or Bun (the same file runs in both).
//
//   deno run --allow-read --allow-write --v8-flags=--expose-gc tests/bench/bench_edge.mjs \
//     --fixtures DIR --json OUT [--quick] [--leak-iterations N] [--in-flight K]
//   bun tests/bench/bench_edge.mjs --fixtures DIR --json OUT [--quick] [--in-flight K]
//
// DIR holds the fixtures of tests/bench/fixtures.py. The three receivers of edge_common.mjs
// (decryptAsync, decrypt, a hand-written WebCrypto receiver) each give a payload deep-equal to
// the fixture's before anything is timed. workerd has its own driver (bench_edge_workerd.mjs).
// Each round times a batch (~4 ms) of each, in rotating order; medians and p10-p90 over the
// rounds. Then the size of what a deployment ships (wasm + glue, gzipped), and a leak check:
// N decryptAsync calls of the 1k body (default 200,000; --quick 50,000), RSS after a 10%
// warm-up and at the end, each after a full GC.
// --in-flight K (default 1: one call after another, the latency of one webhook) keeps K calls
// in flight through each batch, as a server does under a burst: the time per call is then the
// batch's time over its calls (throughput). scripts/bench runs the default; K is by hand.

import { receivers, descriptionsOf, same, stats, report, round2, SIZES } from './edge_common.mjs';

const isDeno = typeof Deno !== 'undefined';
const argv = isDeno ? Deno.args : Bun.argv.slice(2);
const BATCH_MS = 4;
const ROUNDS = { full: { '1k': 300, '16k': 200, '256k': 60, '4m': 12 }, quick: { '1k': 60, '16k': 40, '256k': 15, '4m': 4 } };
const WARMUP_MS = { full: 600, quick: 150 };

function usage(message) {
  if (message) console.error(`bench_edge: ${message}`);
  console.error('usage: bench_edge.mjs --fixtures DIR --json OUT [--quick] [--leak-iterations N] [--in-flight K]');
  exit(2);
}

function exit(code) {
  if (isDeno) Deno.exit(code);
  process.exit(code);
}

function parseArgs() {
  const args = { fixtures: null, json: null, quick: false, leakIterations: null, inFlight: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
    if (a === '--fixtures') args.fixtures = value();
    else if (a === '--json') args.json = value();
    else if (a === '--quick') args.quick = true;
    else if (a === '--leak-iterations') {
      args.leakIterations = Number(value());
      if (!Number.isSafeInteger(args.leakIterations) || args.leakIterations < 10) usage('--leak-iterations must be an integer >= 10');
    } else if (a === '--in-flight') {
      args.inFlight = Number(value());
      if (!Number.isSafeInteger(args.inFlight) || args.inFlight < 1) usage('--in-flight must be an integer >= 1');
    } else usage(`unknown argument ${a}`);
  }
  if (!args.fixtures) usage('--fixtures DIR is required');
  if (!args.json) usage('--json OUT is required');
  args.leakIterations ??= args.quick ? 50_000 : 200_000;
  return args;
}

const args = parseArgs();
const read = async (p) => (isDeno ? Deno.readFile(p) : new Uint8Array(await Bun.file(p).arrayBuffer()));
const write = async (p, text) => (isDeno ? Deno.writeTextFile(p, text) : Bun.write(p, text));
const log = (line) => console.error(line);
const runtime = `${isDeno ? `Deno ${Deno.version.deno}` : `Bun ${Bun.version}`}${args.inFlight > 1 ? `, ${args.inFlight} calls in flight` : ''}`;

// The package as a user installs it: node/ is the package, its edge entry the bundle
// (`npm run build:edge`) over the WebAssembly core (edge_build).
const edgeDir = new URL('../../node/edge/', import.meta.url);
const { Keyring, WebhookReceiver } = await import(new URL('index.mjs', edgeDir).href);

const td = new TextDecoder();
const key = JSON.parse(td.decode(await read(`${args.fixtures}/key.json`)));
const IMPLEMENTATIONS = await receivers({ Keyring, WebhookReceiver }, key);
const NAMES = Object.keys(IMPLEMENTATIONS);

/** `n` calls of `fn(body)`, `args.inFlight` at a time. */
async function batchOf(fn, body, n) {
  if (args.inFlight === 1) {
    for (let i = 0; i < n; i++) await fn(body);
    return;
  }
  let started = 0;
  const lane = async () => {
    while (started < n) {
      started++;
      await fn(body);
    }
  };
  await Promise.all(Array.from({ length: Math.min(args.inFlight, n) }, lane));
}

async function runFor(fn, body, ms) {
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    await batchOf(fn, body, args.inFlight);
    calls += args.inFlight;
    elapsed = performance.now() - start;
  } while (elapsed < ms);
  return { calls, ms: elapsed };
}

async function measureSize(size, mode) {
  const body = await read(`${args.fixtures}/${size}.body.json`);
  const expected = JSON.parse(td.decode(await read(`${args.fixtures}/${size}.payload.json`)));
  for (const name of NAMES) {
    if (!same(await IMPLEMENTATIONS[name].fn(body), expected)) throw new Error(`${name} must give the fixture's payload (${size})`);
  }
  const batch = {};
  for (const name of NAMES) {
    const fn = IMPLEMENTATIONS[name].fn;
    await runFor(fn, body, WARMUP_MS[mode] / 2);
    const probe = await runFor(fn, body, WARMUP_MS[mode] / 2);
    batch[name] = Math.max(1, Math.round(BATCH_MS / (probe.ms / probe.calls)));
  }
  const rounds = ROUNDS[mode][size];
  const perCall = Object.fromEntries(NAMES.map((n) => [n, []]));
  for (let round = 0; round < rounds; round++) {
    const order = NAMES.map((_, i) => NAMES[(i + round) % NAMES.length]);
    for (const name of order) {
      const fn = IMPLEMENTATIONS[name].fn;
      const n = batch[name];
      const start = performance.now();
      await batchOf(fn, body, n);
      perCall[name].push(((performance.now() - start) * 1000) / n);
    }
  }
  const out = Object.fromEntries(NAMES.map((name) => [name, stats(perCall[name])]));
  log(`  ${size}: ${rounds} rounds; median ${NAMES.map((n) => `${n} ${out[n].median.toFixed(2)} µs`).join(', ')}`);
  return out;
}

async function gzipBytes(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream('gzip'));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

/** What a deployment ships of the core: the .wasm and its wasm-bindgen glue, raw and gzipped. */
async function shipped() {
  const out = {};
  for (const [name, file] of [['wasm', 'wasm/kompliant_webhooks_bg.wasm'], ['glue', 'wasm/kompliant_webhooks.js'], ['bundle', 'index.mjs']]) {
    const bytes = await read(new URL(file, edgeDir).pathname);
    out[name] = { bytes: bytes.length, gzip_bytes: await gzipBytes(bytes) };
  }
  out.wasm_plus_glue_gzip_kib = Math.round(((out.wasm.gzip_bytes + out.glue.gzip_bytes) / 1024) * 10) / 10;
  return out;
}

function fullGc() {
  if (isDeno) {
    if (typeof globalThis.gc === 'function') globalThis.gc();
  } else Bun.gc(true);
}

const rssMb = () => (isDeno ? Deno.memoryUsage().rss : process.memoryUsage().rss) / (1024 * 1024);

async function leakCheck(iterations) {
  const body = await read(`${args.fixtures}/1k.body.json`);
  const warmup = Math.round(iterations / 10);
  const decryptAsync = IMPLEMENTATIONS.sdkAsync.fn; // the payload of receiver.decryptAsync(body)
  let sink = 0;
  for (let i = 0; i < warmup; i++) sink += (await decryptAsync(body)).version.length;
  fullGc();
  const after = rssMb();
  for (let i = warmup; i < iterations; i++) sink += (await decryptAsync(body)).version.length;
  fullGc();
  const end = rssMb();
  if (!(sink > 0)) throw new Error('no payload');
  return { iterations, rss_mb_after_warmup: round2(after), rss_mb_end: round2(end), growth_mb: round2(end - after) };
}

async function main() {
  const mode = args.quick ? 'quick' : 'full';
  if (isDeno && typeof globalThis.gc !== 'function') log('bench_edge: no gc() (run deno with --v8-flags=--expose-gc): the leak check is noisier');
  log(`bench_edge: ${runtime}, ${mode} run, fixtures ${args.fixtures}`);
  const results = {};
  for (const size of SIZES) results[size] = await measureSize(size, mode);
  const size = await shipped();
  log(`  shipped: wasm + glue ${size.wasm_plus_glue_gzip_kib} KiB gzipped (target < 300 KiB)`);
  log(`  leak check: ${args.leakIterations} decryptAsync calls of the 1k body`);
  const leak = await leakCheck(args.leakIterations);
  log(`  RSS ${leak.rss_mb_after_warmup} MB after warm-up, ${leak.rss_mb_end} MB at the end (${leak.growth_mb >= 0 ? '+' : ''}${leak.growth_mb} MB)`);

  const { json, table } = report(runtime, descriptionsOf(IMPLEMENTATIONS), results, { shipped: size, leak });
  await write(args.json, `${JSON.stringify(json, null, 2)}\n`);
  console.log(table);
  console.log(`shipped: wasm ${size.wasm.gzip_bytes} B + glue ${size.glue.gzip_bytes} B gzipped = ${size.wasm_plus_glue_gzip_kib} KiB (target < 300 KiB)`);
}

await main();
