'use strict';
// Keyring files as a running receiver uses them (issue 13): Keyring.watch follows a file
// another process rotates, keeps its keys through a broken file and reports each problem once;
// addToKeyringFile records retirement times and prunes; no empty keyring is ever accepted.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync, spawnSync, spawn } = require('node:child_process');
const k = require('..');
const { tempDir, eventually } = require('./helpers.js');

const PACKAGE = path.join(__dirname, '..');
const KEY_1 = 'whk_20251121_01';
const KEY_2 = 'whk_20251121_02';
const KEY_3 = 'whk_20251121_03';
const SECRETS = {
  [KEY_1]: Buffer.alloc(32, 1).toString('base64'),
  [KEY_2]: Buffer.alloc(32, 2).toString('base64'),
  [KEY_3]: Buffer.alloc(32, 3).toString('base64'),
};
const RFC3339_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

function body(keyId, id = 'wh_1') {
  const meta = { id, eventType: 'WORKFLOW_CREATED', timestamp: '2025-11-21T14:30:22Z', accountId: 'sb_1', schemaVersion: '2025-11-21', keyId };
  return k.sealWebhook(meta, { version: '1.0' }, SECRETS[keyId]).body(0);
}

function fileWith(dir, keys) {
  const file = path.join(dir, 'keys.json');
  fs.writeFileSync(file, JSON.stringify(keys), { mode: 0o600 });
  return file;
}

/** Runs `node -e script` with `args`; a hang fails the test in 20 s instead of blocking it. */
function nodeScript(script, args = [], env = {}) {
  const out = spawnSync(process.execPath, ['-e', script, ...args], {
    cwd: PACKAGE,
    encoding: 'utf8',
    timeout: 20000,
    env: { ...process.env, ...env },
  });
  assert.equal(out.signal, null, `the child process was killed (hung?): ${out.stderr}`);
  return out;
}

function assertInvalidKey(fn, pattern) {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof k.InvalidKeyError, `${err}`);
    assert.equal(err.code, 'INVALID_KEY');
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
}

test('an environment without KOMPLIANT_WEBHOOK_SECRET_* variables is an InvalidKeyError naming what to set', () => {
  assertInvalidKey(() => k.Keyring.fromEnv({ PATH: '/bin', HOME: '/root' }), /KOMPLIANT_WEBHOOK_SECRET_/);
  assertInvalidKey(() => k.Keyring.fromEnv({}), /KOMPLIANT_WEBHOOK_SECRET_/);
  // process.env (the default) without such a variable: the same error.
  const out = nodeScript(
    `const k = require('.'); try { k.Keyring.fromEnv(); console.log('no error'); } catch (e) { console.log(e.constructor.name, e.code); }`,
    [],
    Object.fromEntries(Object.keys(process.env).filter((n) => n.startsWith('KOMPLIANT_WEBHOOK_SECRET_')).map((n) => [n, undefined])),
  );
  assert.equal(out.stdout.trim(), 'InvalidKeyError INVALID_KEY', out.stderr);
});

test('fromFile and watch refuse a file with no keys, a directory, a FIFO (never opened) and non-UTF-8 text as INVALID_KEY', (t) => {
  const dir = tempDir();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const empty = fileWith(dir, {});
  const nonUtf8 = path.join(dir, 'latin1.json');
  fs.writeFileSync(nonUtf8, Buffer.concat([Buffer.from(`{"${KEY_1}": "`), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]));
  for (const load of [(p) => k.Keyring.fromFile(p), (p) => k.Keyring.watch(p)]) {
    assertInvalidKey(() => load(empty), /no key/i);
    assertInvalidKey(() => load(dir), /directory/);
    assertInvalidKey(() => load(nonUtf8), /UTF-8/);
    assert.throws(() => load(path.join(dir, 'missing.json')), (err) => err instanceof k.IoError && err.code === 'IO_ERROR');
  }
  assertInvalidKey(() => k.Keyring.fromJson('{}'));
});

test('a FIFO at the keyring path is INVALID_KEY at once, for fromFile and watch (it would block if opened)', { skip: process.platform === 'win32' }, (t) => {
  const dir = tempDir();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const fifo = path.join(dir, 'keys.json');
  execFileSync('mkfifo', [fifo]);
  // In a child process: opening the FIFO would block its thread, which the timeout turns
  // into a failure instead of a hung test run.
  const out = nodeScript(
    `const k = require('.');
     for (const load of [k.Keyring.fromFile, k.Keyring.watch]) {
       try { load(process.argv[1]); console.log('loaded'); } catch (e) { console.log(e.code, /FIFO|special|pipe/i.test(e.message)); }
     }`,
    [fifo],
  );
  assert.equal(out.stdout.trim(), 'INVALID_KEY true\nINVALID_KEY true', out.stderr);
});

test('watch: a key another process adds is used by the next decrypt, without a restart or waiting for the interval', async (t) => {
  const dir = tempDir();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'keys.json');
  await k.addToKeyringFile(file, KEY_1, SECRETS[KEY_1]);
  const events = [];
  // An hour-long interval: only the unknown key id can make it look at the file.
  const keyring = k.Keyring.watch(file, { intervalMs: 3_600_000, onEvent: (e) => events.push(e) });
  assert.equal(keyring.watchedPath, file);
  assert.equal(new k.Keyring().watchedPath, null);
  const receiver = new k.WebhookReceiver(keyring);
  assert.equal(receiver.decrypt(body(KEY_1)).keyId, KEY_1);

  // Another process stores the rotated key (the store step of rotateWebhookKey).
  const child = spawn(
    process.execPath,
    ['-e', `require('.').addToKeyringFile(process.argv[1], process.argv[2], process.argv[3]).catch((e) => { console.error(e); process.exit(1); })`, file, KEY_2, SECRETS[KEY_2]],
    { cwd: PACKAGE, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const [status] = await new Promise((resolve) => child.on('exit', (...a) => resolve(a)));
  assert.equal(status, 0);

  const w = receiver.decrypt(body(KEY_2, 'wh_2'));
  assert.equal(w.keyId, KEY_2);
  assert.equal(receiver.decrypt(body(KEY_1, 'wh_3')).keyId, KEY_1, 'the retired key still decrypts redeliveries');
  assert.deepEqual(keyring.keyIds(), [KEY_1, KEY_2]);
  const [reloaded] = await eventually(() => events.length > 0 && events, 10000, 'the reload event');
  assert.equal(reloaded.type, 'reloaded');
  assert.equal(reloaded.path, file);
  assert.deepEqual(reloaded.keyIds, [KEY_1, KEY_2]);
  assert.match(reloaded.message, /reloaded/);
  assert.ok(!reloaded.message.includes(SECRETS[KEY_2]));
});

test('watch: a corrupt or deleted file keeps the old keys and reports each problem once, until a good file returns', async (t) => {
  const dir = tempDir();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = fileWith(dir, { [KEY_1]: SECRETS[KEY_1] });
  const events = [];
  const keyring = k.Keyring.watch(file, { intervalMs: 0, onEvent: (e) => events.push(e) });
  const receiver = new k.WebhookReceiver(keyring);

  // Half-written: every decrypt still works with the keys loaded before.
  fs.writeFileSync(file, `{"${KEY_1}": "${SECRETS[KEY_1].slice(0, 10)}`);
  for (let i = 0; i < 5; i++) assert.equal(receiver.decrypt(body(KEY_1, `wh_a${i}`)).keyId, KEY_1);
  // A key id the keyring lacks checks the file at once: still the same problem, no new report.
  assert.throws(() => receiver.decrypt(body(KEY_2)), k.UnknownKeyError);
  // Deleted: another problem, reported once.
  fs.rmSync(file);
  for (let i = 0; i < 5; i++) assert.equal(receiver.decrypt(body(KEY_1, `wh_b${i}`)).keyId, KEY_1);
  assert.throws(() => receiver.decrypt(body(KEY_2)), k.UnknownKeyError);
  assert.deepEqual(keyring.keyIds(), [KEY_1]);
  // A good file returns.
  fileWith(dir, { [KEY_1]: SECRETS[KEY_1], [KEY_2]: SECRETS[KEY_2] });
  assert.equal(receiver.decrypt(body(KEY_2)).keyId, KEY_2);

  // Events arrive in order: everything reported before the reload has arrived with it.
  await eventually(() => events.some((e) => e.type === 'reloaded'), 10000, 'the reload event');
  assert.deepEqual(
    events.map((e) => [e.type, e.error?.code]),
    [
      ['problem', 'INVALID_KEY'],
      ['problem', 'IO_ERROR'],
      ['reloaded', undefined],
    ],
  );
  const [corrupt, deleted, reloaded] = events;
  assert.ok(corrupt.error instanceof k.InvalidKeyError);
  assert.ok(corrupt.error instanceof k.WebhookError);
  assert.ok(deleted.error instanceof k.IoError);
  assert.equal(corrupt.path, file);
  assert.match(corrupt.message, /keeping the keys/);
  for (const e of events) assert.ok(!e.message.includes(SECRETS[KEY_1].slice(0, 10)), e.message);
  assert.deepEqual(reloaded.keyIds, [KEY_1, KEY_2]);

  // After a good load, a new breakage is reported again.
  fs.writeFileSync(file, 'not json');
  assert.equal(receiver.decrypt(body(KEY_2)).keyId, KEY_2);
  await eventually(() => events.length === 4, 10000, 'the second problem');
  assert.equal(events[3].type, 'problem');
});

test('watch without onEvent: each problem is one process warning (KOMPLIANT_KEYRING_FILE); a throwing onEvent is a warning too', async (t) => {
  const dir = tempDir();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const warnings = [];
  const onWarning = (w) => warnings.push(w);
  process.on('warning', onWarning);
  t.after(() => process.off('warning', onWarning));

  const file = fileWith(dir, { [KEY_1]: SECRETS[KEY_1] });
  const receiver = new k.WebhookReceiver(k.Keyring.watch(file, { intervalMs: 0 }));
  fs.writeFileSync(file, '[]');
  for (let i = 0; i < 3; i++) receiver.decrypt(body(KEY_1, `wh_${i}`));
  fileWith(dir, { [KEY_1]: SECRETS[KEY_1], [KEY_2]: SECRETS[KEY_2] });
  assert.equal(receiver.decrypt(body(KEY_2)).keyId, KEY_2); // reloaded: silent (NODE_DEBUG=kompliant shows it)
  fs.rmSync(file);
  for (let i = 0; i < 3; i++) receiver.decrypt(body(KEY_2, `wh_${i}`));
  // In order: the second warning comes after anything the first breakage could have added.
  await eventually(() => warnings.length >= 2, 10000, 'two warnings');
  assert.deepEqual(warnings.map((w) => w.code), ['KOMPLIANT_KEYRING_FILE', 'KOMPLIANT_KEYRING_FILE']);
  assert.match(warnings[0].message, /cannot be loaded, keeping the keys/);
  assert.match(warnings[1].message, /keys\.json/);

  // A listener that throws: the decrypt is unaffected, the process carries on, a warning says so.
  warnings.length = 0;
  const file2 = path.join(dir, 'other.json');
  fs.writeFileSync(file2, JSON.stringify({ [KEY_1]: SECRETS[KEY_1] }));
  const throwing = new k.WebhookReceiver(
    k.Keyring.watch(file2, {
      intervalMs: 0,
      onEvent: () => {
        throw new Error('listener bug');
      },
    }),
  );
  fs.writeFileSync(file2, JSON.stringify({ [KEY_1]: SECRETS[KEY_1], [KEY_3]: SECRETS[KEY_3] }));
  assert.equal(throwing.decrypt(body(KEY_3)).keyId, KEY_3);
  await eventually(() => warnings.length >= 1, 10000, 'the listener warning');
  assert.equal(warnings[0].code, 'KOMPLIANT_KEYRING_LISTENER');
  assert.match(warnings[0].message, /listener bug/);
});

test('a watched keyring with a listener never keeps the process alive', () => {
  const dir = tempDir();
  try {
    const file = fileWith(dir, { [KEY_1]: SECRETS[KEY_1] });
    const out = nodeScript(
      `const k = require('.'); const fs = require('fs');
       const ring = k.Keyring.watch(process.argv[1], { intervalMs: 0, onEvent: (e) => console.log('event', e.type) });
       fs.writeFileSync(process.argv[1], 'broken');
       ring.has('whk_20251121_01');
       console.log('done');`,
      [file],
    );
    // A referenced thread-safe function would keep it running until the 20 s timeout.
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /^done\n(event problem\n)?$/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('watch checks its options', (t) => {
  const dir = tempDir();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = fileWith(dir, { [KEY_1]: SECRETS[KEY_1] });
  assert.equal(k.Keyring.watch(new URL(`file://${file}`)).size, 1);
  for (const intervalMs of [-1, Number.NaN, Infinity, '1000']) {
    assert.throws(() => k.Keyring.watch(file, { intervalMs }), RangeError);
  }
  assert.throws(() => k.Keyring.watch(file, { onEvent: 'log' }), TypeError);
  assert.throws(() => k.Keyring.watch(file, null), TypeError);
  assert.throws(() => k.Keyring.watch(5), TypeError);
});

test('addToKeyringFile: the new key is in use, the others get retired_at (RFC 3339 UTC) and stay readable', async (t) => {
  const dir = tempDir();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'keys.json');
  await k.addToKeyringFile(file, KEY_1, SECRETS[KEY_1]);
  assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), { [KEY_1]: SECRETS[KEY_1] });
  const before = Date.now();
  await k.addToKeyringFile(file, KEY_2, SECRETS[KEY_2]);
  const written = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.equal(written[KEY_2], SECRETS[KEY_2]);
  assert.equal(written[KEY_1].secret, SECRETS[KEY_1]);
  assert.match(written[KEY_1].retired_at, RFC3339_UTC);
  const retiredAt = Date.parse(written[KEY_1].retired_at);
  assert.ok(retiredAt >= before - 1000 && retiredAt <= Date.now() + 1000, written[KEY_1].retired_at);
  if (process.platform !== 'win32') assert.equal(fs.statSync(file).mode & 0o777, 0o600);

  // Readers hold every key of the file: the retired one still decrypts redeliveries.
  const receiver = new k.WebhookReceiver(k.Keyring.fromFile(file));
  assert.equal(receiver.decrypt(body(KEY_1)).keyId, KEY_1);
  assert.equal(receiver.decrypt(body(KEY_2)).keyId, KEY_2);

  // A file written by hand (or by another language) in the same format reads the same.
  const handWritten = fileWith(dir, { [KEY_1]: { secret: SECRETS[KEY_1], retired_at: '2025-11-20T08:00:00Z' }, [KEY_2]: SECRETS[KEY_2] });
  assert.deepEqual(k.Keyring.fromFile(handWritten).keyIds(), [KEY_1, KEY_2]);
  assertInvalidKey(() => k.Keyring.fromJson({ [KEY_1]: { secret: SECRETS[KEY_1], retired_at: 'yesterday' } }));

  // The same key id with another secret is refused and leaves the file as it was.
  const unchanged = fs.readFileSync(file, 'utf8');
  await assert.rejects(k.addToKeyringFile(file, KEY_1, SECRETS[KEY_3]), (err) => err instanceof k.InvalidKeyError && err.code === 'INVALID_KEY');
  assert.equal(fs.readFileSync(file, 'utf8'), unchanged);
});

test('addToKeyringFile removes keys retired longer than the retention (7 days by default, or retentionSeconds)', async (t) => {
  const dir = tempDir();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
  const file = fileWith(dir, {
    [KEY_1]: { secret: SECRETS[KEY_1], retired_at: '2020-01-01T00:00:00Z' },
    [KEY_2]: { secret: SECRETS[KEY_2], retired_at: hourAgo },
  });
  await k.addToKeyringFile(file, KEY_3, SECRETS[KEY_3]);
  let written = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.deepEqual(Object.keys(written).sort(), [KEY_2, KEY_3], 'the key retired in 2020 is gone, the one retired an hour ago stays');
  assert.ok(!fs.readFileSync(file, 'utf8').includes(SECRETS[KEY_1]));
  // An earlier retirement time is kept (written to the second).
  assert.ok(Math.abs(Date.parse(written[KEY_2].retired_at) - Date.parse(hourAgo)) < 1000, written[KEY_2].retired_at);

  // A shorter retention: the key just retired stays, and so does the key the rotation before
  // retired an hour ago (the core keeps it whatever the retention: it may still be ACTIVE).
  await k.addToKeyringFile(file, KEY_1, SECRETS[KEY_1], { retentionSeconds: 60 });
  written = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.deepEqual(Object.keys(written).sort(), [KEY_1, KEY_2, KEY_3]);
  assert.equal(written[KEY_1], SECRETS[KEY_1]);
  assert.match(written[KEY_3].retired_at, RFC3339_UTC);

  for (const retentionSeconds of [-1, Number.NaN, Infinity, '1']) {
    await assert.rejects(k.addToKeyringFile(file, KEY_2, SECRETS[KEY_2], { retentionSeconds }), RangeError);
  }
  await assert.rejects(k.addToKeyringFile(file, KEY_2, SECRETS[KEY_2], null), TypeError);
});
