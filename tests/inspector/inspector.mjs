// The web inspectors in a real browser: headless Chromium (Debian's) driven by
// puppeteer-core. Starts `kompliant sim` and `kompliant listen --inspect`, acts through the
// API (the CLI: a key rotation, an endpoint) and through the pages' buttons (trigger, faults,
// redeliver, replay), and asserts what the pages show. Screenshots go to --out.
//
//   node tests/inspector/inspector.mjs --kompliant target/debug/kompliant --chromium /usr/bin/chromium --out target/inspector
//
// Prints one line `inspector: PASS - …` (or throws).

import { spawn, execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import puppeteer from 'puppeteer-core';

function fail0(message) {
  console.error(`inspector.mjs: ${message}`);
  process.exit(2);
}

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, a, i, all) => (a.startsWith('--') ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), []),
);
const kompliant = resolve(args.kompliant ?? fail0('--kompliant PATH is required'));
const out = resolve(args.out ?? 'target/inspector');
const chromium = args.chromium ?? fail0('--chromium PATH is required');
mkdirSync(out, { recursive: true });
const work = mkdtempSync(join(tmpdir(), 'kompliant-inspector-'));
const children = [];

function fail(message) {
  throw new Error(message);
}

/** Starts `kompliant ARGS`, resolving with the process and a function awaiting a line. */
function start(argv, env = {}) {
  const child = spawn(kompliant, argv, { cwd: work, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const lines = [];
  const waiters = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    for (const w of [...waiters]) if (w.test(line)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(line); }
  });
  const waitLine = (test, ms = 10_000) => new Promise((resolve, reject) => {
    const found = lines.find(test);
    if (found) return resolve(found);
    const timer = setTimeout(() => reject(new Error(`no line from kompliant ${argv[0]} within ${ms} ms; got ${JSON.stringify(lines)}`)), ms);
    waiters.push({ test, resolve: (l) => { clearTimeout(timer); resolve(l); } });
  });
  return { child, lines, waitLine };
}

let simEnv = {};
/** `kompliant ARGS` with the simulator's credentials; its stdout. */
function cli(...argv) {
  return execFileSync(kompliant, argv, { cwd: work, env: { ...process.env, ...simEnv }, encoding: 'utf8' });
}

/** Waits until `predicate()` (run in the page) is true. */
/**
 * Clicks `selector` as a user would. The pages re-render their tables as state arrives, so
 * the element puppeteer found can be replaced before its click lands ("Node is detached from
 * document"): then the click is tried again on the element now matching, up to 5 times.
 */
async function click(page, selector) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await page.click(selector);
    } catch (err) {
      if (attempt >= 5 || !/detached|not clickable|no node found/i.test(String(err?.message))) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function until(page, predicate, arg, what, ms = 15_000) {
  try {
    await page.waitForFunction(predicate, { timeout: ms, polling: 100 }, arg);
  } catch (e) {
    await page.screenshot({ path: join(out, 'failure.png'), fullPage: true });
    fail(`the page never showed ${what} (screenshot: ${join(out, 'failure.png')})`);
  }
}

const checks = [];
function check(what) { checks.push(what); }

async function main() {
  const sim = start(['sim', '--env-file', join(work, 'sim.env'), '--retry-base-ms', '50']);
  const simUrl = (await sim.waitLine((l) => l.startsWith('listening on '))).slice('listening on '.length);
  await sim.waitLine((l) => l.startsWith('credentials of '));
  simEnv = Object.fromEntries(readFileSync(join(work, 'sim.env'), 'utf8').split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  const account = simEnv.KOMPLIANT_ACCOUNT_ID;
  const keyring = join(work, 'keys.json');

  // A key created and activated through the API (the client), before the receiver starts.
  const first = JSON.parse(cli('keys', 'rotate', '--keyring', keyring)).new_key_id;
  const listen = start(['listen', '--keys', keyring, '--inspect']);
  const listenUrl = (await listen.waitLine((l) => l.startsWith('listening on '))).slice('listening on '.length);
  cli('endpoints', 'create', `${listenUrl}/webhooks`);

  const browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1400, height: 900 });
    const problems = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });

    // --- kompliant sim at / ---
    await page.goto(`${simUrl}/`, { waitUntil: 'domcontentloaded' });
    await until(page, () => document.body.dataset.loaded === '1', null, 'its first state');
    await until(page, (k) => document.querySelector(`tr.key[data-key-id="${k}"]`)?.dataset.status === 'ACTIVE', first, `key ${first} ACTIVE`);
    await until(page, () => /1 of 100 created today/.test(document.querySelector('.keys-today')?.textContent ?? ''), null, 'today\'s key count');
    await until(page, () => document.querySelectorAll('li.endpoint').length === 1, null, 'the endpoint');
    check('sim: key ACTIVE with its timeline, 1 of 100 keys today, the endpoint');

    // Trigger an event with the page's button: delivered to listen.
    await click(page, `button.trigger[data-event-type="WORKFLOW_CREATED"][data-account-id="${account}"]`);
    await until(page, () => document.querySelector('tr.delivery[data-outcome="DELIVERED"]') !== null, null, 'a delivered webhook');
    const delivered = await page.$eval('tr.delivery[data-outcome="DELIVERED"]', (tr) => tr.dataset.webhookId);
    check('sim: trigger button → delivery DELIVERED');

    // Arm a tampered tag for the next event: every attempt fails, and is shown so.
    await page.$eval(`#fault-tamper_tag-${account}`, (input) => { input.value = '1'; });
    await click(page, `button.set-faults[data-account-id="${account}"]`);
    await until(page, () => /faults armed/.test(document.getElementById('message').textContent), null, 'the faults armed');
    await click(page, `button.trigger[data-event-type="SUBJECT_RECORD_DATA_UPDATED"][data-account-id="${account}"]`);
    await until(page, () => [...document.querySelectorAll('tr.delivery[data-outcome="FAILED"]')].some((tr) => Number(tr.dataset.attempt) >= 2), null, 'a tampered delivery failing and retried');
    check('sim: tamper_tag fault → FAILED attempts, retried');

    // Rotate through the API: the page shows the old key DELETED and the new one ACTIVE.
    const second = JSON.parse(cli('keys', 'rotate', '--keyring', keyring)).new_key_id;
    await until(page, ([a, b]) => document.querySelector(`tr.key[data-key-id="${a}"]`)?.dataset.status === 'DELETED'
      && document.querySelector(`tr.key[data-key-id="${b}"]`)?.dataset.status === 'ACTIVE', [first, second], 'the rotation');
    await until(page, () => /2 of 100 created today/.test(document.querySelector('.keys-today')?.textContent ?? ''), null, 'two keys today');
    const timeline = await page.$eval(`tr.key[data-key-id="${first}"] .timeline`, (td) => td.textContent);
    if (!/INACTIVE .* → ACTIVE .* → DELETED /.test(timeline)) fail(`timeline of ${first}: ${timeline}`);
    check('sim: rotation through the API → old key DELETED (INACTIVE → ACTIVE → DELETED timeline), new ACTIVE, 2 of 100');
    // An event after the rotation is sealed with the new key (listen's watched keyring has it).
    await click(page, `button.trigger[data-event-type="WORKFLOW_COMPLETED"][data-account-id="${account}"]`);

    // Redeliver the first webhook with its button: a new attempt 1 for the same id.
    const before = await page.$$eval(`tr.delivery[data-webhook-id="${delivered}"]`, (rows) => rows.length);
    await click(page, `button.redeliver[data-webhook-id="${delivered}"]`);
    await until(page, ([id, n]) => document.querySelectorAll(`tr.delivery[data-webhook-id="${id}"][data-outcome="DELIVERED"]`).length > n - 0 && document.querySelectorAll(`tr.delivery[data-webhook-id="${id}"]`).length > n, [delivered, before], 'the redelivery');
    check('sim: redeliver button → the same webhook delivered again');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(out, 'sim.png'), fullPage: false });

    // No secret in the page: neither the keys' nor the account's.
    const html = await page.content();
    const secrets = Object.values(JSON.parse(readFileSync(keyring, 'utf8'))).map((v) => (typeof v === 'string' ? v : v.secret));
    for (const secret of [...secrets, simEnv.KOMPLIANT_SECRET_KEY, simEnv.KOMPLIANT_AUTH_TOKEN]) {
      if (secret && html.includes(secret)) fail('a secret is in the simulator page');
    }
    check('sim: no key secret or credential in the page');

    // --- kompliant listen --inspect at /_inspect ---
    await page.goto(`${listenUrl}/_inspect`, { waitUntil: 'domcontentloaded' });
    await until(page, (id) => document.querySelector(`tr.delivery[data-webhook-id="${id}"][data-verdict="ok"]`) !== null, delivered, `webhook ${delivered} ok`);
    const payload = await page.$eval(`tr.delivery[data-webhook-id="${delivered}"][data-verdict="ok"] pre.payload`, (pre) => pre.textContent);
    const parsed = JSON.parse(payload);
    if (parsed.version === undefined || !payload.includes('\n  ')) fail(`the payload is not shown decrypted and pretty-printed: ${payload}`);
    check('listen: the webhook received, verdict ok, decrypted payload pretty-printed');
    await until(page, () => document.querySelector('tr.delivery[data-verdict="DECRYPTION_FAILED"]') !== null, null, 'the tampered delivery refused');
    check('listen: the tampered delivery shown as DECRYPTION_FAILED');
    await until(page, (k) => [...document.querySelectorAll('tr.delivery[data-verdict="ok"] dd[data-field="key_id"]')].some((dd) => dd.textContent === k), second, `a webhook under the new key ${second} ok`);
    check('listen: after the rotation, a webhook under the new key decrypted (the keyring file is watched)');
    const replays = await page.$$eval(`tr.delivery[data-webhook-id="${delivered}"]`, (rows) => rows.length);
    await click(page, `tr.delivery[data-webhook-id="${delivered}"][data-verdict="ok"] button.replay`);
    await until(page, ([id, n]) => document.querySelectorAll(`tr.delivery[data-webhook-id="${id}"]`).length > n
      && document.querySelector(`tr.delivery[data-webhook-id="${id}"][data-verdict="duplicate"]`) !== null, [delivered, replays], 'the replay, as a duplicate');
    check('listen: replay button → the same body again, a duplicate');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(out, 'listen.png'), fullPage: false });
    const listenHtml = await page.content();
    for (const secret of secrets) if (listenHtml.includes(secret)) fail('a key secret is in the listen page');
    check('listen: no key secret in the page');

    if (problems.length) fail(problems.join('\n'));
  } finally {
    await browser.close();
  }
  for (const c of checks) console.log(`  ok: ${c}`);
  console.log(`inspector: PASS - ${checks.length} checks of both pages in headless Chromium; screenshots in ${out}`);
}

try {
  await main();
} finally {
  for (const child of children) child.kill();
  rmSync(work, { recursive: true, force: true });
}
