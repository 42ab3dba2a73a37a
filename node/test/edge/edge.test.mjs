// kompliant-webhooks/edge in the real runtimes, each a child process serving
// runtime/app.mjs (webhookHandler over the edge entry): Deno (Deno.serve), Bun (Bun.serve)
// and workerd (a Worker run by miniflare). In each: every conformance vector of
// tests/vectors/webhooks.json with the codes node/test/vectors.test.js expects, 405 for a
// non-POST, and `kompliant sim` deliveries over loopback: decrypted, a duplicate answered 200
// without running the handler again (MemoryGuard, as the Node adapters), a throwing handler
// answered HANDLER_FAILURE_STATUS (500) and redelivered, and a key added to the running
// receiver's keyring then activated (a rotation) received.
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
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import helpers from '../helpers.js';

const { stopChild, eventually, REPO, KOMPLIANT_BIN } = helpers;

const HERE = path.dirname(fileURLToPath(import.meta.url));
const NODE_DIR = path.resolve(HERE, '..', '..');
const TOOLS = process.env.KOMPLIANT_EDGE_TOOLS ?? '/var/cache/kompliant-webhooks/edge-tools';
const VECTORS_TEXT = fs.readFileSync(path.join(REPO, 'tests', 'vectors', 'webhooks.json'), 'utf8');
const VECTOR_CASES = JSON.parse(VECTORS_TEXT).cases;
const BIN = path.join(TOOLS, 'node_modules', '.bin');

/** The runtimes: how to start the receiver, and their versions (for the suite's summary). */
const RUNTIMES = {
  deno: {
    command: [path.join(BIN, 'deno'), 'run', '--quiet', '--allow-net', '--allow-read', '--allow-env', 'deno-main.mjs'],
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
};

const only = process.env.KOMPLIANT_EDGE_RUNTIMES?.split(',').filter(Boolean);

/**
 * A project directory as a user has it: node_modules/kompliant-webhooks is the package (a
 * symlink to node/), so `kompliant-webhooks/edge` resolves through its export conditions.
 */
function appDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kompliant-edge-'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(NODE_DIR, path.join(dir, 'node_modules', 'kompliant-webhooks'), 'dir');
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'edge-app', private: true, type: 'module' }));
  for (const f of fs.readdirSync(path.join(HERE, 'runtime'))) fs.copyFileSync(path.join(HERE, 'runtime', f), path.join(dir, f));
  return dir;
}

/** Starts a child whose first stdout line is `listening on <url>`; resolves to { url, stop }. */
async function startServer(name, command, cwd, env = {}) {
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
  const lines = createInterface({ input: child.stdout });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}: no "listening on" line in 90 s; stderr: ${stderr}`)), 90_000);
    lines.on('line', (line) => {
      const m = /^listening on (http:\/\/\S+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      } else process.stderr.write(`[${name}] ${line}\n`);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) before listening; stderr: ${stderr}`));
    });
  });
  return {
    url,
    stop: () => stopChild(child),
  };
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


for (const [name, runtime] of Object.entries(RUNTIMES)) {
  if (only && !only.includes(name)) continue;
  describe(name, () => {
    let dir;
    let server;
    let sim;
    const get = async (p) => (await fetch(`${server.url}${p}`)).json();
    const post = async (p, body) => (await fetch(`${server.url}${p}`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) })).json();

    before(async () => {
      dir = appDir();
      console.log(`# runtime ${name}: ${runtime.version()}`);
      server = await startServer(name, runtime.command, dir);
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
        const attempts = await eventually(() => deliveries(id).then((d) => d.length >= 2 && d), 30_000, 'both deliveries');
        for (const a of attempts) assert.equal(a.outcome.status, 200, JSON.stringify(a));
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
        await sim.call('sim.faults.set', { unknown_key_id: 1 });
        const { webhook_id: unknown } = await sim.call('sim.event.trigger', { event_type: 'WORKFLOW_CREATED' });
        const [refused] = await eventually(() => deliveries(unknown).then((d) => d.length && d), 30_000, 'the unknown-key attempt');
        assert.equal(refused.outcome.status, 503, JSON.stringify(refused));
        await sim.call('sim.faults.set', { forge: 1 });
        const { webhook_id: forgedId } = await sim.call('sim.event.trigger', { event_type: 'WORKFLOW_CREATED' });
        const attempts = await eventually(() => deliveries(forgedId).then((d) => d.some((a) => a.forged) && d.length >= 2 && d), 30_000, 'the forged copy');
        assert.equal(attempts.find((a) => a.forged).outcome.status, 400);
        assert.equal(attempts.find((a) => !a.forged).outcome.status, 200);
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
