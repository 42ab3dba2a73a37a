'use strict';
// Shared test helpers: paths, the local simulator (`kompliant sim`), a free-port HTTP server.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const readline = require('node:readline');

const REPO = path.join(__dirname, '..', '..');
const VECTORS = path.join(REPO, 'tests', 'vectors', 'webhooks.json');
const KOMPLIANT_BIN = process.env.KOMPLIANT_BIN || path.join(REPO, 'target', 'debug', 'kompliant');

function tempDir(prefix = 'kompliant-node-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Reads `KEY=VALUE` lines. */
function parseEnvFile(text) {
  const env = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) env[m[1]] = m[2].replace(/^(['"])(.*)\1$/, '$2');
  }
  return env;
}

/** Waits for the first stdout line of `child`. */
function firstLine(child, what) {
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout });
    const timer = setTimeout(() => reject(new Error(`${what}: no output within 20 s`)), 20000);
    rl.once('line', (line) => {
      clearTimeout(timer);
      resolve({ line, rl });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code} before printing anything`));
    });
  });
}

/**
 * Starts `kompliant sim` on a free loopback port (fast redeliveries). Resolves to
 * `{ baseUrl, env, accountId, stop() }`; env holds the KOMPLIANT_* credentials.
 */
async function startSim() {
  if (!fs.existsSync(KOMPLIANT_BIN)) {
    throw new Error(`the simulator binary ${KOMPLIANT_BIN} is missing: cargo build --locked -p kompliant-cli (scripts/test node does)`);
  }
  const dir = tempDir('kompliant-sim-');
  const envFile = path.join(dir, 'sim.env');
  const child = spawn(KOMPLIANT_BIN, ['sim', '--listen', '127.0.0.1:0', '--retry-base-ms', '20', '--env-file', envFile, '--quiet'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const { line } = await firstLine(child, 'kompliant sim');
  const m = /^listening on (http:\/\/\S+)/.exec(line);
  if (!m) throw new Error(`unexpected first line from kompliant sim: ${line}`);
  for (let i = 0; i < 100 && !(fs.existsSync(envFile) && fs.statSync(envFile).size > 0); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const env = parseEnvFile(fs.readFileSync(envFile, 'utf8'));
  return {
    baseUrl: m[1],
    env,
    accountId: env.KOMPLIANT_ACCOUNT_ID,
    dir,
    async stop() {
      await stopChild(child);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Stops a child process: SIGTERM, then SIGKILL if it is still there after 5 s. */
async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** Listens on a free loopback port; resolves to the base URL. */
function listen(server) {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`));
  });
}

/** Polls `check()` until it returns a truthy value, or fails after `ms`. */
async function eventually(check, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * The scenario with any guard: two receivers (Express over HTTP, `guards[0]` and
 * `guards[1]`) with a 1 s lease and a 3 s handler: the first delivery at 0 s, a redelivery
 * to the other receiver at 1.5 s, and one more after both finished (`bodyOf(retry)`).
 * Resolves to the statuses, how often the handler ran and what onError saw.
 */
async function slowScenario(receiver, bodyOf, guards, renew) {
  const express = require('express');
  const http = require('node:http');
  const { webhookMiddleware } = require('kompliant-webhooks/express');
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  let handled = 0;
  const errors = [];
  const servers = guards.map((guard) => {
    const app = express();
    app.use('/webhooks', webhookMiddleware({ receiver, guard, leaseSeconds: 1, renew, onWebhook: async () => {
      handled++;
      await sleep(3000);
    }, onError: (e) => errors.push(e) }));
    return http.createServer(app);
  });
  const urls = await Promise.all(servers.map((s) => listen(s)));
  const post = async (url, data) => (await fetch(`${url}/webhooks`, { method: 'POST', body: data })).status;
  try {
    const first = post(urls[0], bodyOf(0));
    await sleep(1500);
    const redelivery = await post(urls[1], bodyOf(1));
    const firstStatus = await first;
    const last = await post(urls[1], bodyOf(2));
    return { statuses: [firstStatus, redelivery, last], handled, errors };
  } finally {
    for (const s of servers) {
      s.closeAllConnections?.();
      await new Promise((r) => s.close(r));
    }
  }
}

module.exports = { stopChild, REPO, VECTORS, KOMPLIANT_BIN, tempDir, startSim, listen, eventually, parseEnvFile, firstLine, slowScenario };
