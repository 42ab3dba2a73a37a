// kompliant-webhooks/edge in the real runtimes, each a child process serving
// runtime/app.mjs (webhookHandler over the edge entry): Deno (Deno.serve), Bun (Bun.serve),
// workerd (a Worker run by miniflare) and Next.js (next-app/: an App Router route handler on
// the edge runtime, built by `next build` with Turbopack and with webpack, served by
// `next start`). In each: every conformance vector of tests/vectors/webhooks.json with the
// codes node/test/vectors.test.js expects, 405 for a non-POST, and `kompliant sim` deliveries
// over loopback: decrypted, a duplicate answered 200 without running the handler again
// (MemoryGuard, as the Node adapters), a throwing handler answered HANDLER_FAILURE_STATUS (500)
// and redelivered, and a key added to the running receiver's keyring then activated (a
// rotation) received.
//
// Then the programs of docs/edge.md (each fenced block after an `<!-- example: NAME FILE -->`
// line, written to FILE as a user copies it: a Worker, a Deno server, a Bun server, a Next.js
// route handler), each run in its runtime with its key in the environment as a user would set
// it, must receive simulator deliveries: handled once (the line the example logs), a duplicate
// answered 200 without a second line, 405 for a GET, 503 for an unknown key, 400 for a forged
// copy.
//
// The runtimes come from node/test/edge/tools/package-lock.json, installed by
// scripts/suites/edge.sh into KOMPLIANT_EDGE_TOOLS (default
// /var/cache/kompliant-webhooks/edge-tools); the edge entry must be built (npm run build:edge)
// and the simulator too (KOMPLIANT_BIN, default target/debug/kompliant).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import helpers from '../helpers.js';
import { appDir, NODE_DIR } from './app-dir.mjs';

const { stopChild, eventually, REPO, KOMPLIANT_BIN } = helpers;

const HERE = path.dirname(fileURLToPath(import.meta.url));
const TOOLS = process.env.KOMPLIANT_EDGE_TOOLS ?? '/var/cache/kompliant-webhooks/edge-tools';
const VECTORS_TEXT = fs.readFileSync(path.join(REPO, 'tests', 'vectors', 'webhooks.json'), 'utf8');
const VECTOR_CASES = JSON.parse(VECTORS_TEXT).cases;
const BIN = path.join(TOOLS, 'node_modules', '.bin');
const NEXT_BIN = path.join(TOOLS, 'node_modules', 'next', 'dist', 'bin', 'next');
const NEXT_ENV = { NEXT_TELEMETRY_DISABLED: '1' };
const DENO_COMMAND = [path.join(BIN, 'deno'), 'run', '--quiet', '--allow-net', '--allow-read', '--allow-env'];

/** The runtimes: how to start the receiver, and their versions (for the suite's summary). */
const RUNTIMES = {
  deno: {
    command: [...DENO_COMMAND, 'deno-main.mjs'],
    version: () => execFileSync(path.join(BIN, 'deno'), ['--version'], { encoding: 'utf8' }).split('\n')[0].replace(/ \(.*$/, ''),
  },
  bun: {
    command: [path.join(BIN, 'bun'), 'bun-main.mjs'],
    version: () => `bun ${execFileSync(path.join(BIN, 'bun'), ['--version'], { encoding: 'utf8' }).trim()}`,
  },
  workerd: {
    command: [process.execPath, 'miniflare-main.mjs', 'worker-bundle'],
    version: () => {
      const miniflare = JSON.parse(fs.readFileSync(path.join(TOOLS, 'node_modules', 'miniflare', 'package.json'), 'utf8')).version;
      return `${execFileSync(path.join(BIN, 'workerd'), ['--version'], { encoding: 'utf8' }).trim()} (miniflare ${miniflare})`;
    },
  },
  // next-app/ built once by each of `next build`'s bundlers (nextBuild), served by `next start`
  // on a free loopback port.
  next: {
    start: async () => startNext(await nextBuild('turbopack')),
    version: () => `next ${nextVersion()} (Turbopack)`,
  },
  'next-webpack': {
    start: async () => startNext(await nextBuild('webpack')),
    version: () => `next ${nextVersion()} (webpack)`,
  },
};

function nextVersion() {
  return JSON.parse(fs.readFileSync(path.join(TOOLS, 'node_modules', 'next', 'package.json'), 'utf8')).version;
}

const only = process.env.KOMPLIANT_EDGE_RUNTIMES?.split(',').filter(Boolean);

/** A project directory holding the runtime apps (runtime/) and the package (app-dir.mjs). */
function runtimeAppDir() {
  const runtime = path.join(HERE, 'runtime');
  return appDir('kompliant-edge-', 'edge-app', fs.readdirSync(runtime).map((f) => path.join(runtime, f)));
}

/**
 * Starts a child server; resolves to { url, stop, lines } once it serves: when its stdout
 * prints `listening on <url>`, or, given `url`, when a request to it is answered. `lines` is
 * its stdout so far (what the handler logs).
 */
async function startServer(name, command, cwd, env = {}, { url: knownUrl } = {}) {
  const child = spawn(command[0], command.slice(1), {
    cwd,
    env: { ...process.env, KOMPLIANT_EDGE_TOOLS: TOOLS, KOMPLIANT_NODE_DIR: NODE_DIR, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
    process.stderr.write(`[${name}] ${d}`);
  });
  const output = [];
  const lines = createInterface({ input: child.stdout });
  let exited = null;
  let settled = false;
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      settled = true;
      child.kill('SIGKILL');
      reject(new Error(`${name}: not serving after 90 s; stderr: ${stderr}`));
    }, 90_000);
    lines.on('line', (line) => {
      output.push(line);
      const m = /^listening on (http:\/\/\S+)/.exec(line);
      if (m && !knownUrl) {
        clearTimeout(timer);
        resolve(m[1]);
      } else process.stderr.write(`[${name}] ${line}\n`);
    });
    child.on('exit', (code, signal) => {
      exited = code ?? signal;
      clearTimeout(timer);
      reject(new Error(`${name} exited (${exited}) before serving; stderr: ${stderr}`));
    });
    if (knownUrl) {
      (async () => {
        while (exited === null && !settled) {
          try {
            await fetch(knownUrl, { signal: AbortSignal.timeout(2000) });
            clearTimeout(timer);
            settled = true;
            return resolve(knownUrl);
          } catch {
            await sleep(100);
          }
        }
      })();
    }
  });
  return {
    url,
    lines: output,
    stop: () => stopChild(child),
  };
}

/** A free loopback port, for a server that is told its port (next start -p, PORT). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Runs a command to its end; rejects with its output if it fails. */
function run(name, command, cwd, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('exit', (code, signal) => (code === 0 ? resolve(output) : reject(new Error(`${name} failed (${code ?? signal}):\n${output}`))));
  });
}

/**
 * The programs of docs/edge.md: the fenced block after each `<!-- example: NAME FILE -->` line,
 * by NAME, with the FILE it is saved as.
 */
function docExamples() {
  const doc = fs.readFileSync(path.join(REPO, 'docs', 'edge.md'), 'utf8');
  const examples = {};
  for (const m of doc.matchAll(/^<!-- example: (\S+) (\S+) -->\n```[a-z]*\n([\s\S]*?)^```$/gm)) {
    examples[m[1]] = { file: m[2], code: m[3] };
  }
  return examples;
}

const DOC_EXAMPLES = docExamples();

/**
 * next-app/ (with runtime/ and docs/edge.md's Next.js route handler added) built once per
 * bundler by `next build` (Turbopack, its default) or `next build --webpack`, in a directory
 * under KOMPLIANT_EDGE_TOOLS (next, react resolve from its node_modules; removed after the
 * tests). The package is copied into its node_modules as npm installs it, not symlinked:
 * Turbopack does not follow a link out of the project.
 */
const nextBuilt = {};
const nextBuildDirs = [];
function nextBuild(bundler) {
  nextBuilt[bundler] ??= (async () => {
    fs.mkdirSync(path.join(TOOLS, 'next-builds'), { recursive: true });
    const dir = fs.mkdtempSync(path.join(TOOLS, 'next-builds', `${bundler}-`));
    nextBuildDirs.push(dir);
    const pkg = path.join(dir, 'node_modules', 'kompliant-webhooks');
    fs.mkdirSync(pkg, { recursive: true });
    fs.copyFileSync(path.join(NODE_DIR, 'package.json'), path.join(pkg, 'package.json'));
    const edgeSrc = path.join(NODE_DIR, 'edge', 'src');
    fs.cpSync(path.join(NODE_DIR, 'edge'), path.join(pkg, 'edge'), { recursive: true, filter: (f) => f !== edgeSrc });
    fs.cpSync(path.join(HERE, 'next-app'), dir, { recursive: true });
    fs.cpSync(path.join(HERE, 'runtime'), path.join(dir, 'runtime'), { recursive: true });
    const example = DOC_EXAMPLES.next;
    if (example) {
      fs.mkdirSync(path.dirname(path.join(dir, example.file)), { recursive: true });
      fs.writeFileSync(path.join(dir, example.file), example.code);
    }
    await run(`next build (${bundler})`, [process.execPath, NEXT_BIN, 'build', ...(bundler === 'webpack' ? ['--webpack'] : [])], dir, NEXT_ENV);
    return dir;
  })();
  return nextBuilt[bundler];
}

after(() => {
  for (const dir of nextBuildDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** `next start` of a build on a free loopback port. */
async function startNext(buildDir, env = {}) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  return startServer('next', [process.execPath, NEXT_BIN, 'start', '-H', '127.0.0.1', '-p', String(port)], buildDir, { ...NEXT_ENV, ...env }, { url });
}

/** `kompliant sim` on a free loopback port, with a signed `call(method, body)`. */
async function startSim(dir) {
  if (!fs.existsSync(KOMPLIANT_BIN)) throw new Error(`${KOMPLIANT_BIN} is missing: cargo build --locked -p kompliant-cli`);
  const envFile = path.join(dir, 'sim.env');
  const server = await startServer('sim', [KOMPLIANT_BIN, 'sim', '--listen', '127.0.0.1:0', '--retry-base-ms', '20', '--env-file', envFile, '--quiet'], dir);
  for (let i = 0; i < 100 && !(fs.existsSync(envFile) && fs.statSync(envFile).size > 0); i++) await sleep(50);
  const env = {};
  for (const line of fs.readFileSync(envFile, 'utf8').split('\n')) {
    const m = /^(\w+)=(.*)$/.exec(line.trim());
    if (m) env[m[1]] = m[2].replace(/^['"]|['"]$/g, '');
  }
  // The request signature of spec §5: HMAC-SHA256 over the API key with the secret key.
  const signature = createHmac('sha256', Buffer.from(env.KOMPLIANT_SECRET_KEY, 'base64')).update(env.KOMPLIANT_API_KEY).digest('base64');
  async function call(method, body) {
    const res = await fetch(`${server.url}/${method}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-api-key': env.KOMPLIANT_API_KEY,
        'x-api-auth-token': env.KOMPLIANT_AUTH_TOKEN,
        'x-api-signed-elements': 'API-Key',
        authorization: `KSig1-HMAC-SHA256 ${signature}`,
      },
      body: JSON.stringify(body),
    });
    const answer = await res.json();
    if (res.status !== 200) throw new Error(`${method}: HTTP ${res.status} ${JSON.stringify(answer)}`);
    return answer.data;
  }
  return { ...server, accountId: env.KOMPLIANT_ACCOUNT_ID, call };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));


/**
 * The simulator's two copies of webhook `id` (its `duplicate` fault sends them at once) both
 * end answered 200. A copy arriving while the other is being handled is answered 503 by the
 * duplicate guard ("in progress": Kompliant retries) and its retry 200, so an attempt may be
 * a 503, never anything else.
 */
async function bothCopiesAnswered(deliveries, id) {
  const attempts = await eventually(
    () => deliveries(id).then((d) => d.filter((a) => a.outcome.status === 200).length >= 2 && d),
    60_000,
    'both copies answered 200',
  );
  for (const a of attempts) assert.ok([200, 503].includes(a.outcome.status), JSON.stringify(a));
}

/**
 * Through the simulator's faults: a webhook under an unknown key is answered 503, a forged
 * copy 400 and its genuine twin 200. `deliveries(id)` lists a webhook's delivery attempts.
 */
async function checkRefusalStatuses(sim, deliveries) {
  await sim.call('sim.faults.set', { unknown_key_id: 1 });
  const { webhook_id: unknown } = await sim.call('sim.event.trigger', { event_type: 'WORKFLOW_CREATED' });
  const [refused] = await eventually(() => deliveries(unknown).then((d) => d.length && d), 30_000, 'the unknown-key attempt');
  assert.equal(refused.outcome.status, 503, JSON.stringify(refused));
  await sim.call('sim.faults.set', { forge: 1 });
  const { webhook_id: forgedId } = await sim.call('sim.event.trigger', { event_type: 'WORKFLOW_CREATED' });
  const attempts = await eventually(() => deliveries(forgedId).then((d) => d.some((a) => a.forged) && d.length >= 2 && d), 30_000, 'the forged copy');
  assert.equal(attempts.find((a) => a.forged).outcome.status, 400);
  assert.equal(attempts.find((a) => !a.forged).outcome.status, 200);
}

for (const [name, runtime] of Object.entries(RUNTIMES)) {
  if (only && !only.includes(name)) continue;
  describe(name, () => {
    let dir;
    let server;
    let sim;
    const get = async (p) => (await fetch(`${server.url}${p}`)).json();
    const post = async (p, body) => (await fetch(`${server.url}${p}`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) })).json();

    before(async () => {
      dir = runtimeAppDir();
      console.log(`# runtime ${name}: ${runtime.version()}`);
      server = runtime.start ? await runtime.start(dir) : await startServer(name, runtime.command, dir);
    });
    after(async () => {
      await sim?.stop();
      await server?.stop();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    test('the edge entry loads: HANDLER_FAILURE_STATUS, ERROR_CODES and error classes are the Node entry\'s', async () => {
      const info = await get('/control/info');
      assert.equal(info.handlerFailureStatus, 500);
      assert.equal(info.errorCodes, 26);
      // Class names survive the bundle (err.name, and lib/errors.js's class table).
      assert.equal(info.errorName, 'UnknownKeyError');
      assert.equal(info.errorStatus, 503);
      // No file system on the edge: a clear IoError, not a missing function.
      assert.equal(info.fromFile.name, 'IoError');
      assert.equal(info.fromFile.code, 'IO_ERROR');
      assert.match(info.fromFile.message, /not available/);
      // The route ran on Next.js's edge runtime (`export const runtime = 'edge'`), not Node.
      if (name.startsWith('next')) assert.equal(info.edgeRuntime, 'edge-runtime');
    });

    test('conformance vectors', async (t) => {
      const results = await post('/vectors', VECTORS_TEXT);
      assert.equal(results.length, VECTOR_CASES.length);
      assert.ok(results.length >= 152, `only ${results.length} cases`);
      for (const r of results) {
        await t.test(`vector: ${r.name}`, () => assert.equal(r.failure, null));
      }
    });

    test("decryptAsync (WebCrypto, keys cached per key entry) follows a key id re-added with another secret", async () => {
      assert.deepEqual(await post('/same-id-new-secret', {}), {
        firstAsync: 1,
        secondAsync: 2,
        secondSync: 2,
        firstAsyncAfter: 'DECRYPTION_FAILED',
        firstSyncAfter: 'DECRYPTION_FAILED',
      });
    });

    test('a burst of large decryptAsync calls in flight at once: each gives its own webhook', async () => {
      assert.deepEqual(await post('/burst', {}), { calls: 48, ownWebhook: 48, firstFailure: null });
    });

    test('a request other than POST is answered 405', async () => {
      const res = await fetch(`${server.url}/webhook`);
      assert.equal(res.status, 405);
      assert.equal(res.headers.get('allow'), 'POST');
    });

    test('simulator deliveries: decrypted, duplicates, a throwing handler, a rotated key', async (t) => {
      sim = await startSim(dir);
      const account = sim.accountId;
      const key1 = await sim.call('webhook.key.create', { account_id: account });
      await post('/control/add-key', { keyId: key1.key_id, secret: key1.shared_secret });
      await sim.call('webhook.key.activate', { key_id: key1.key_id });
      await sim.call('webhook.config.create', { account_id: account, config: { url: `${server.url}/webhook` } });
      const received = async () => (await get('/control/received')).received;
      const deliveries = async (id) => (await sim.call('sim.deliveries.list', {})).deliveries.filter((d) => d.webhook_id === id);

      await t.test('a delivery is decrypted', async () => {
        const { webhook_id: id } = await sim.call('sim.event.trigger', { event_type: 'WORKFLOW_CREATED' });
        const got = await eventually(async () => (await received()).find((w) => w.id === id), 30_000, 'the delivery');
        assert.equal(got.eventType, 'WORKFLOW_CREATED');
        assert.equal(got.keyId, key1.key_id);
        assert.equal(got.payload.version, '1.0');
        const [attempt] = await eventually(() => deliveries(id).then((d) => d.length && d), 30_000, 'the delivery record');
        assert.equal(attempt.outcome.status, 200);
      });

      await t.test('a duplicate delivery is answered 200 and not handled twice', async () => {
        await sim.call('sim.faults.set', { duplicate: 1 });
        const { webhook_id: id } = await sim.call('sim.event.trigger', { event_type: 'WORKFLOW_STARTED' });
        await bothCopiesAnswered(deliveries, id);
        await sleep(200);
        assert.equal((await received()).filter((w) => w.id === id).length, 1);
      });

      await t.test('a throwing handler is answered 500 (HANDLER_FAILURE_STATUS) and the redelivery is handled', async () => {
        await post('/control/fail', { eventType: 'DOCUMENT_UPLOADED' });
        const { webhook_id: id } = await sim.call('sim.event.trigger', { event_type: 'DOCUMENT_UPLOADED' });
        const retried = await eventually(async () => (await received()).find((w) => w.id === id && w.retryCount === 1), 30_000, 'the redelivery');
        assert.equal(retried.eventType, 'DOCUMENT_UPLOADED');
        const attempts = await eventually(() => deliveries(id).then((d) => d.length >= 2 && d), 30_000, 'two attempts');
        const first = attempts.find((a) => a.retry_count === 0);
        assert.equal(first.outcome.status, 500, JSON.stringify(first));
      });

      await t.test('refusals get the Node adapters\' statuses: unknown key 503, forged copy 400', async () => {
        await checkRefusalStatuses(sim, deliveries);
        const { errors } = await get('/control/received');
        assert.ok(errors.some((e) => e.name === 'UnknownKeyError' && e.code === 'UNKNOWN_KEY'), JSON.stringify(errors));
        assert.ok(errors.some((e) => e.name === 'DecryptionError' && e.code === 'DECRYPTION_FAILED'), JSON.stringify(errors));
      });

      await t.test('a key added to the running keyring and then activated is received', async () => {
        const key2 = await sim.call('webhook.key.create', { account_id: account });
        await post('/control/add-key', { keyId: key2.key_id, secret: key2.shared_secret });
        await sim.call('webhook.key.activate', { key_id: key2.key_id });
        const { webhook_id: id } = await sim.call('sim.event.trigger', { event_type: 'WORKFLOW_COMPLETED' });
        const got = await eventually(async () => (await received()).find((w) => w.id === id), 30_000, 'the delivery with the new key');
        assert.equal(got.keyId, key2.key_id);
        assert.notEqual(key2.key_id, key1.key_id);
      });
    });
  });
}

/**
 * How each docs/edge.md example is run, as its doc says: given the project directory, the
 * example's file and its environment (the key), a server whose `url` is the webhook URL.
 */
const nextExample = (bundler) => async (dir, file, env) => {
  const server = await startNext(await nextBuild(bundler), env);
  return { ...server, url: `${server.url}/${path.posix.dirname(file).replace(/^app\//, '')}` };
};

const EXAMPLES = {
  worker: {
    doc: 'worker',
    runtime: 'workerd',
    start: (dir, file, env) => startServer('example worker', [process.execPath, 'miniflare-main.mjs', 'example-bundle', file], dir, env),
  },
  deno: {
    doc: 'deno',
    runtime: 'deno',
    start: async (dir, file, env) => {
      const port = await freePort();
      const command = [path.join(BIN, 'deno'), 'run', '--allow-net', '--allow-read', '--allow-env', file];
      return startServer('example deno', command, dir, { ...env, PORT: String(port) }, { url: `http://127.0.0.1:${port}` });
    },
  },
  bun: {
    doc: 'bun',
    runtime: 'bun',
    start: async (dir, file, env) => {
      const port = await freePort();
      return startServer('example bun', [path.join(BIN, 'bun'), file], dir, { ...env, PORT: String(port) }, { url: `http://127.0.0.1:${port}` });
    },
  },
  // Built into nextBuild's app beside the test app; its URL path is its directory under app/.
  next: { doc: 'next', runtime: 'next', start: nextExample('turbopack') },
  'next (webpack)': { doc: 'next', runtime: 'next-webpack', start: nextExample('webpack') },
};

describe('docs/edge.md examples', () => {
  test('docs/edge.md has a Worker, a Deno server, a Bun server and a Next.js route handler', () => {
    assert.deepEqual(Object.keys(DOC_EXAMPLES).sort(), [...new Set(Object.values(EXAMPLES).map((e) => e.doc))].sort());
  });

  for (const [name, runner] of Object.entries(EXAMPLES)) {
    if (only && !only.includes(runner.runtime)) continue;
    test(`${name}: ${DOC_EXAMPLES[runner.doc]?.file} receives simulator deliveries`, async (t) => {
      const example = DOC_EXAMPLES[runner.doc];
      assert.ok(example, `docs/edge.md has no <!-- example: ${runner.doc} FILE --> block`);
      const dir = runtimeAppDir();
      let sim;
      let server;
      try {
        if (runner.doc !== 'next') {
          fs.mkdirSync(path.dirname(path.join(dir, example.file)), { recursive: true });
          fs.writeFileSync(path.join(dir, example.file), example.code);
        }
        sim = await startSim(dir);
        const account = sim.accountId;
        const key = await sim.call('webhook.key.create', { account_id: account });
        await sim.call('webhook.key.activate', { key_id: key.key_id });
        // The key as a user sets it: KOMPLIANT_WEBHOOK_SECRET_<YYYYMMDD>_<NN> for whk_<YYYYMMDD>_<NN>.
        assert.match(key.key_id, /^whk_\d{8}_\d{2}$/);
        const env = { [`KOMPLIANT_WEBHOOK_SECRET_${key.key_id.slice(4)}`]: key.shared_secret };
        server = await runner.start(dir, example.file, env);
        await sim.call('webhook.config.create', { account_id: account, config: { url: server.url } });
        const handled = (id, eventType) => server.lines.filter((line) => line.includes(`webhook ${id} ${eventType}`)).length;
        const deliveries = async (id) => (await sim.call('sim.deliveries.list', {})).deliveries.filter((d) => d.webhook_id === id);

        await t.test('a delivery is decrypted and handled', async () => {
          const { webhook_id: id } = await sim.call('sim.event.trigger', { event_type: 'WORKFLOW_CREATED' });
          const [attempt] = await eventually(() => deliveries(id).then((d) => d.length && d), 30_000, 'the delivery');
          assert.equal(attempt.outcome.status, 200, JSON.stringify(attempt));
          await eventually(async () => handled(id, 'WORKFLOW_CREATED') === 1, 10_000, 'the line the example logs');
        });

        await t.test('a duplicate delivery is answered 200 and handled once', async () => {
          await sim.call('sim.faults.set', { duplicate: 1 });
          const { webhook_id: id } = await sim.call('sim.event.trigger', { event_type: 'WORKFLOW_STARTED' });
          await bothCopiesAnswered(deliveries, id);
          await eventually(async () => handled(id, 'WORKFLOW_STARTED') >= 1, 10_000, 'the line the example logs');
          await sleep(200);
          assert.equal(handled(id, 'WORKFLOW_STARTED'), 1);
        });

        await t.test('a GET is answered 405', async () => {
          assert.equal((await fetch(server.url)).status, 405);
        });

        await t.test('an unknown key is answered 503, a forged copy 400', async () => {
          await checkRefusalStatuses(sim, deliveries);
        });
      } finally {
        await sim?.stop();
        await server?.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
