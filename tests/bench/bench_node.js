#!/usr/bin/env node
'use strict';
// The Node receive benchmark: the package's `receiver.decrypt(body).payload` against a
// hand-written receiver (node:crypto + JSON.parse), side by side in one process, interleaved.
//
//   node tests/bench/bench_node.js --fixtures DIR --json OUT [--quick] [--leak-iterations N]
//
// DIR holds the fixtures of tests/bench/fixtures.py ({1k,16k,256k,4m}.body.json, the
// .payload.json plaintexts and key.json). For each size both implementations must give
// payloads deep-equal to the fixture's; then each round times a batch (~4 ms) of each, in
// alternating order, and the per-call time is the batch's time / its length. Medians and
// p10-p90 over the rounds go to stdout as a table, progress to stderr, everything to OUT as
// JSON. Last, a leak check: N decrypts of the 1k body (default 1,000,000; --quick 100,000),
// RSS after a 10% warm-up and at the end, each after a full GC (the script re-runs itself
// with --expose-gc when needed).

const assert = require('node:assert');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const SIZES = ['1k', '16k', '256k', '4m'];
const TARGETS = { '1k': 1.5, '16k': 1.5, '256k': 1.5, '4m': 1.5 }; // issue 16: 1.5x at every size, both shapes
/** Target time of one batch (one implementation, one round). */
const BATCH_NS = 4e6;
/** Rounds per size: full run, --quick. A 4 MiB call is a batch by itself. */
const ROUNDS = { full: { '1k': 1500, '16k': 1200, '256k': 900, '4m': 120 }, quick: { '1k': 500, '16k': 400, '256k': 250, '4m': 40 } };
/** Warm-up per implementation and size before timing (ns). */
const WARMUP_NS = { full: 4e8, quick: 1e8 };

function usage(message) {
  if (message) process.stderr.write(`bench_node: ${message}\n`);
  process.stderr.write('usage: node tests/bench/bench_node.js --fixtures DIR --json OUT [--quick] [--leak-iterations N]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const args = { fixtures: null, json: null, quick: false, leakIterations: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--fixtures') args.fixtures = value();
    else if (a === '--json') args.json = value();
    else if (a === '--quick') args.quick = true;
    else if (a === '--leak-iterations') {
      args.leakIterations = Number(value());
      if (!Number.isSafeInteger(args.leakIterations) || args.leakIterations < 10) usage('--leak-iterations must be an integer >= 10');
    } else if (a === '-h' || a === '--help') usage();
    else usage(`unknown argument ${a}`);
  }
  if (!args.fixtures) usage('--fixtures DIR is required');
  if (!args.json) usage('--json OUT is required');
  args.leakIterations ??= args.quick ? 100_000 : 1_000_000;
  return args;
}

// The leak check needs global.gc(): re-run this script with --expose-gc.
if (typeof global.gc !== 'function') {
  const child = spawnSync(process.execPath, ['--expose-gc', ...process.execArgv, __filename, ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  process.exit(child.status ?? 1);
}

const args = parseArgs(process.argv.slice(2));
const { Keyring, WebhookReceiver } = require(path.join(__dirname, '..', '..', 'node'));

const key = JSON.parse(fs.readFileSync(path.join(args.fixtures, 'key.json'), 'utf8'));
const receiver = new WebhookReceiver(new Keyring({ [key.key_id]: key.secret }));

/** The package: one call, the payload as a plain object. */
function sdk(body) {
  return receiver.decrypt(body).payload;
}

// The hand-written receiver, as a competent engineer writes it with node:crypto: the key
// decoded once, the body parsed, `data` base64-decoded, AES-256-GCM with the six metadata
// fields joined by "|" as AAD and the last 16 bytes as the tag, the plaintext parsed. The
// plaintext is `update()`'s Buffer as is (`final()` only checks the tag), not a concatenation.
const secret = Buffer.from(key.secret, 'base64');
function handwritten(body) {
  const env = JSON.parse(body.toString('utf8'));
  const data = Buffer.from(env.data, 'base64');
  const decipher = crypto.createDecipheriv('aes-256-gcm', secret, data.subarray(0, 12));
  decipher.setAAD(
    Buffer.from([env.id, env.event_type, env.timestamp, env.account_id, env.schema_version, env.key_id].join('|'), 'utf8'),
  );
  decipher.setAuthTag(data.subarray(data.length - 16));
  const plaintext = decipher.update(data.subarray(12, data.length - 16));
  decipher.final();
  return JSON.parse(plaintext.toString('utf8'));
}

const IMPLEMENTATIONS = {
  sdk: {
    fn: sdk,
    description: 'kompliant-webhooks: receiver.decrypt(body).payload (Buffer in, payload as a plain object)',
  },
  handwritten: {
    fn: handwritten,
    description:
      "node:crypto: JSON.parse(body.toString('utf8')), Buffer.from(data, 'base64'), " +
      "createDecipheriv('aes-256-gcm') with setAAD(six fields joined by '|') and setAuthTag(last 16 bytes), " +
      "update (its Buffer is the plaintext, no Buffer.concat) + final (the tag check), JSON.parse(plaintext.toString('utf8'))",
  },
};
const NAMES = Object.keys(IMPLEMENTATIONS);

const now = () => process.hrtime.bigint();
const log = (line) => process.stderr.write(`${line}\n`);

/** Calls `fn(body)` for about `ns` nanoseconds; returns the calls made and the time taken. */
function runFor(fn, body, ns) {
  let calls = 0;
  const start = now();
  let elapsed = 0n;
  do {
    fn(body);
    calls++;
    elapsed = now() - start;
  } while (elapsed < BigInt(ns));
  return { calls, ns: Number(elapsed) };
}

/** The p-th percentile (0..1) of sorted `values`, linearly interpolated. */
function percentile(sorted, p) {
  const at = (sorted.length - 1) * p;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

function measureSize(size, mode) {
  const body = fs.readFileSync(path.join(args.fixtures, `${size}.body.json`));
  const expected = JSON.parse(fs.readFileSync(path.join(args.fixtures, `${size}.payload.json`), 'utf8'));
  for (const name of NAMES) {
    assert.deepStrictEqual(IMPLEMENTATIONS[name].fn(body), expected, `${name} must give the fixture's payload (${size})`);
  }

  // Warm up (JIT, caches), then size each implementation's batch to ~BATCH_NS.
  const batch = {};
  for (const name of NAMES) {
    const fn = IMPLEMENTATIONS[name].fn;
    runFor(fn, body, WARMUP_NS[mode] / 2);
    const probe = runFor(fn, body, WARMUP_NS[mode] / 2);
    batch[name] = Math.max(1, Math.round(BATCH_NS / (probe.ns / probe.calls)));
  }

  const rounds = ROUNDS[mode][size];
  const perCall = Object.fromEntries(NAMES.map((n) => [n, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? NAMES : [...NAMES].reverse();
    for (const name of order) {
      const fn = IMPLEMENTATIONS[name].fn;
      const n = batch[name];
      const start = now();
      for (let i = 0; i < n; i++) fn(body);
      perCall[name].push(Number(now() - start) / n / 1000);
    }
  }

  const stats = {};
  for (const name of NAMES) {
    const sorted = perCall[name].sort((a, b) => a - b);
    stats[name] = { median: percentile(sorted, 0.5), p10: percentile(sorted, 0.1), p90: percentile(sorted, 0.9) };
  }
  log(
    `  ${size}: ${rounds} rounds, batches sdk ${batch.sdk} / handwritten ${batch.handwritten} calls; ` +
      `median sdk ${stats.sdk.median.toFixed(2)} µs, handwritten ${stats.handwritten.median.toFixed(2)} µs`,
  );
  return stats;
}

function rssMb() {
  return process.memoryUsage().rss / (1024 * 1024);
}

function fullGc() {
  global.gc();
  global.gc();
}

function leakCheck(iterations) {
  const body = fs.readFileSync(path.join(args.fixtures, '1k.body.json'));
  const warmup = Math.round(iterations / 10);
  let sink = 0;
  for (let i = 0; i < warmup; i++) sink += sdk(body).version.length;
  fullGc();
  const after = rssMb();
  for (let i = warmup; i < iterations; i++) sink += sdk(body).version.length;
  fullGc();
  const end = rssMb();
  assert.ok(sink > 0);
  return { iterations, rss_mb_after_warmup: round2(after), rss_mb_end: round2(end), growth_mb: round2(end - after) };
}

function round2(x) {
  return Math.round(x * 100) / 100;
}

function main() {
  const mode = args.quick ? 'quick' : 'full';
  log(`bench_node: ${process.version}, ${mode} run, fixtures ${args.fixtures}`);
  const results = {};
  for (const size of SIZES) results[size] = measureSize(size, mode);

  log(`  leak check: ${args.leakIterations} decrypts of the 1k body`);
  const leak = leakCheck(args.leakIterations);
  log(`  RSS ${leak.rss_mb_after_warmup} MB after warm-up, ${leak.rss_mb_end} MB at the end (${leak.growth_mb >= 0 ? '+' : ''}${leak.growth_mb} MB)`);

  const pick = (field) =>
    Object.fromEntries(NAMES.map((name) => [name, Object.fromEntries(SIZES.map((s) => [s, round2(results[s][name][field])]))]));
  const ratios = Object.fromEntries(SIZES.map((s) => [s, round2(results[s].handwritten.median / results[s].sdk.median)]));
  const report = {
    language: `Node ${process.version}`,
    implementations: Object.fromEntries(NAMES.map((name) => [name, IMPLEMENTATIONS[name].description])),
    sizes: SIZES,
    median_us: pick('median'),
    p10_us: pick('p10'),
    p90_us: pick('p90'),
    ratios: { 'handwritten/sdk': ratios },
    targets: { 'handwritten/sdk': TARGETS },
    leak,
  };
  fs.writeFileSync(args.json, `${JSON.stringify(report, null, 2)}\n`);

  const cell = (name, s) => {
    const r = results[s][name];
    return `${r.median.toFixed(1)} (${r.p10.toFixed(1)}–${r.p90.toFixed(1)})`;
  };
  const rows = [['size', 'SDK median µs (p10–p90)', 'hand-written median µs (p10–p90)', 'ratio', 'target']];
  for (const s of SIZES) {
    const met = ratios[s] >= TARGETS[s] ? 'met' : 'NOT met';
    rows.push([s, cell('sdk', s), cell('handwritten', s), `${ratios[s].toFixed(2)}×`, `≥ ${TARGETS[s]}× ${met}`]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r) => `| ${r.map((v, c) => v.padEnd(widths[c])).join(' | ')} |`;
  const out = [line(rows[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)];
  out.push('', `leak: ${leak.iterations} decrypts, RSS ${leak.rss_mb_after_warmup} → ${leak.rss_mb_end} MB (${leak.growth_mb} MB)`);
  process.stdout.write(`${out.join('\n')}\n`);
}

main();
