'use strict';
// Secrets, case by case: every object that holds or handles a secret, rendered every way a
// user could (util.inspect with showHidden and depth Infinity, util.format, String(), template
// strings, JSON.stringify, console.log, own and enumerable properties, prototype getters,
// structuredClone; for errors message, stack and toString), never shows the secret in any
// spelling (see secret-forms.js: latin-1, base64 with and without padding, URL-safe base64,
// hex in both cases). What the package logs (the middlewares' default onError) is checked too.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');
const { pathToFileURL } = require('node:url');
const k = require('..');
const { webhookHandler } = require('kompliant-webhooks/fetch');
const { startSim, tempDir } = require('./helpers.js');
const {
  WEBHOOK_SECRET_A,
  WEBHOOK_SECRET_B,
  WEBHOOK_SECRET_ENV,
  WEBHOOK_SECRET_FILE,
  CLIENT_SECRET_KEY,
  CLIENT_AUTH_TOKEN,
  b64,
  forms,
  textForms,
  allForms,
  leaks,
  assertNoLeak,
} = require('./secret-forms.js');

const KEY_A = 'whk_20251121_01';
const KEY_B = 'whk_20251121_02';
const LOOPBACK = 'http://127.0.0.1:9';
const META = {
  id: 'wh_secretsTest0001',
  eventType: 'WORKFLOW_COMPLETED',
  timestamp: '2025-11-21T14:30:22.123Z',
  accountId: 'sb_secrets',
  schemaVersion: '2025-11-21',
  keyId: KEY_A,
};

function sealedWith(raw, keyId = KEY_A) {
  return k.sealWebhook({ ...META, keyId }, { version: '1.0' }, b64(raw)).body(0);
}

/** What `fn` writes through the real console.log / console.error / console.dir (synchronous). */
function consoleOutput(fn) {
  const chunks = [];
  const out = process.stdout.write;
  const err = process.stderr.write;
  const capture = (chunk) => {
    chunks.push(String(chunk));
    return true;
  };
  process.stdout.write = capture;
  process.stderr.write = capture;
  try {
    fn();
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  return chunks.join('');
}

/** Accessor names on the prototype chain of `obj` (below Object.prototype). */
function prototypeGetters(obj) {
  const names = new Set();
  for (let p = Object.getPrototypeOf(obj); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const [name, d] of Object.entries(Object.getOwnPropertyDescriptors(p))) if (d.get) names.add(name);
  }
  return [...names];
}

/**
 * Every text a user could get out of `obj` without asking for a secret explicitly. `reveal`
 * names the documented accessors that return the secret on purpose (never read here);
 * `withCause: false` leaves out renderings that print an error's `cause` (the caller's own
 * error, documented as unmasked).
 */
function renderings(obj, { reveal = [], withCause = true } = {}) {
  const deep = { showHidden: true, depth: Infinity, getters: true, showProxy: true };
  const out = {
    'String()': safe(() => String(obj)),
    template: safe(() => `${obj}`),
    'JSON.stringify': safe(() => JSON.stringify(obj)),
    'util.format %j': util.format('%j', obj),
  };
  if (withCause) {
    Object.assign(out, {
      inspect: util.inspect(obj),
      'inspect deep': util.inspect(obj, deep),
      'util.format %s %o %O': util.format('%s %o %O', obj, obj, obj),
      'console.log/error/dir': consoleOutput(() => {
        console.log(obj);
        console.log('%s', obj);
        console.error(obj);
        console.dir(obj, { showHidden: true, depth: null });
      }),
      structuredClone: safe(() => util.inspect(structuredClone(obj), deep)),
    });
  }
  for (const key of Reflect.ownKeys(obj)) {
    if (!withCause && key === 'cause') continue;
    out[`own ${String(key)}`] = safe(() => util.inspect(obj[key], deep));
  }
  for (const key in obj) out[`for-in ${key}`] = safe(() => util.inspect(obj[key], deep));
  out['Object.keys'] = util.inspect(Object.keys(obj));
  out['Object.entries'] = safe(() => util.inspect(Object.entries(obj), deep));
  for (const name of prototypeGetters(obj)) {
    if (reveal.includes(name)) continue;
    out[`getter ${name}`] = safe(() => util.inspect(obj[name], withCause ? deep : {}));
  }
  if (obj instanceof Error) {
    out.message = obj.message;
    out.stack = obj.stack;
    out.toString = obj.toString();
    out['console.log message'] = consoleOutput(() => console.log(`${obj.name}: ${obj.message}\n${obj.stack}`));
  }
  return out;
}

/** fn()'s value, or the text of what it threw (a refusal is a rendering too). */
function safe(fn) {
  try {
    return String(fn());
  } catch (err) {
    return `threw ${err?.name}: ${err?.message}`;
  }
}

function thrown(fn) {
  try {
    fn();
  } catch (err) {
    return err;
  }
  assert.fail('expected an error');
}

async function rejected(promise) {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  assert.fail('expected a rejection');
}

// --- the checker itself -------------------------------------------------------------------------

test('the checker finds every form of a secret (it cannot silently pass)', () => {
  for (const secret of [WEBHOOK_SECRET_A, CLIENT_SECRET_KEY, CLIENT_AUTH_TOKEN]) {
    const spelled = typeof secret === 'string' ? textForms(secret) : forms(secret);
    for (const [name, form] of Object.entries(spelled)) {
      assert.ok(leaks(`log line: ${form} (end)`, [secret]).length > 0, name);
      assert.ok(leaks(`cut: ${form.slice(3, 19)}…`, [secret]).length > 0, `a 16-character piece of the ${name} form`);
      assert.throws(() => assertNoLeak({ planted: `x${form}x` }, [secret]), /secret shown/);
      // Through the renderings too: an object that carries the form in any property.
      assert.throws(() => assertNoLeak(renderings({ hidden: form }), [secret]), /secret shown/);
    }
    assert.deepEqual(leaks("Keyring { keyIds: [ 'whk_20251121_01' ], secrets: '[REDACTED]' }", [secret]), []);
  }
  const hidden = {};
  Object.defineProperty(hidden, 'k', { value: forms(WEBHOOK_SECRET_A).hex, enumerable: false });
  assert.throws(() => assertNoLeak(renderings(hidden), [WEBHOOK_SECRET_A]), /secret shown/, 'non-enumerable too');
  class Getter {
    get token() {
      return forms(WEBHOOK_SECRET_A)['url-safe base64 unpadded'];
    }
  }
  assert.throws(() => assertNoLeak(renderings(new Getter()), [WEBHOOK_SECRET_A]), /secret shown/, 'prototype getters too');
  const a = forms(WEBHOOK_SECRET_A);
  assert.notEqual(a.base64, a['url-safe base64'], 'URL-safe base64 is a distinct spelling');
  assert.ok(a.base64.endsWith('=') && a.hex !== a.HEX);
  assert.ok([...a['latin-1']].some((c) => c.charCodeAt(0) > 127), 'the latin-1 spelling holds non-ASCII');
  assert.equal(new Set(allForms([WEBHOOK_SECRET_A, WEBHOOK_SECRET_B]).map(([, f]) => f)).size, 14);
});

// --- keyrings -----------------------------------------------------------------------------------

test('keyrings from the constructor, add, JSON, the environment and a file never show their secrets', () => {
  const dir = tempDir();
  try {
    const added = new k.Keyring().add(KEY_A, b64(WEBHOOK_SECRET_A)).add(KEY_B, new Uint8Array(WEBHOOK_SECRET_B));
    added.retire(KEY_B);
    const constructed = new k.Keyring({ [KEY_A]: b64(WEBHOOK_SECRET_A), [KEY_B]: Buffer.from(WEBHOOK_SECRET_B) });
    const fromJsonText = k.Keyring.fromJson(JSON.stringify({ [KEY_A]: b64(WEBHOOK_SECRET_A), [KEY_B]: b64(WEBHOOK_SECRET_B) }));
    const fromJsonObject = k.Keyring.fromJson({ [KEY_B]: b64(WEBHOOK_SECRET_B) });
    const fromEnv = k.Keyring.fromEnv({ PATH: '/bin', KOMPLIANT_WEBHOOK_SECRET_20251121_03: b64(WEBHOOK_SECRET_ENV) });
    const file = path.join(dir, 'keys.json');
    fs.writeFileSync(file, JSON.stringify({ whk_20251121_04: b64(WEBHOOK_SECRET_FILE) }));
    const fromFile = k.Keyring.fromFile(file);
    const fromFileUrl = k.Keyring.fromFile(pathToFileURL(file));

    const everything = [WEBHOOK_SECRET_A, WEBHOOK_SECRET_B, WEBHOOK_SECRET_ENV, WEBHOOK_SECRET_FILE];
    for (const [name, ring, keyId, secret] of [
      ['add (base64)', added, KEY_A, WEBHOOK_SECRET_A],
      ['add (bytes), retired', added, KEY_B, WEBHOOK_SECRET_B],
      ['constructor', constructed, KEY_B, WEBHOOK_SECRET_B],
      ['fromJson text', fromJsonText, KEY_A, WEBHOOK_SECRET_A],
      ['fromJson object', fromJsonObject, KEY_B, WEBHOOK_SECRET_B],
      ['fromEnv', fromEnv, 'whk_20251121_03', WEBHOOK_SECRET_ENV],
      ['fromFile', fromFile, 'whk_20251121_04', WEBHOOK_SECRET_FILE],
      ['fromFile URL', fromFileUrl, 'whk_20251121_04', WEBHOOK_SECRET_FILE],
    ]) {
      // The keyring really holds the secret: it opens a webhook sealed with it.
      assert.equal(new k.WebhookReceiver(ring).decrypt(sealedWith(secret, keyId)).keyId, keyId, name);
      const shown = renderings(ring);
      assert.match(shown['inspect deep'], new RegExp(keyId), name);
      assert.match(shown['inspect deep'], /\[REDACTED\]/, name);
      assertNoLeak(shown, everything);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('webhook receivers and the guards beside them never show the secret', () => {
  const ring = new k.Keyring({ [KEY_A]: b64(WEBHOOK_SECRET_A) });
  const receiver = new k.WebhookReceiver(ring, { maxBodyBytes: 4096 });
  const guard = new k.MemoryGuard();
  assert.equal(guard.claim(receiver.decrypt(sealedWith(WEBHOOK_SECRET_A)).id, 'holderToken'), 'ACQUIRED');
  const handler = webhookHandler({ receiver, guard, onWebhook: () => {} });
  for (const obj of [receiver, guard, handler]) assertNoLeak(renderings(obj), [WEBHOOK_SECRET_A]);
  assert.match(util.inspect(receiver, { showHidden: true, depth: Infinity, getters: true }), /whk_20251121_01/);
});

// --- API clients ----------------------------------------------------------------------------------

test('clients from credentials and from the environment never show the secret key or the token', () => {
  const secrets = [CLIENT_SECRET_KEY, CLIENT_AUTH_TOKEN];
  const options = { apiKey: 'ak_test_public', secretKey: b64(CLIENT_SECRET_KEY), authToken: CLIENT_AUTH_TOKEN, baseUrl: LOOPBACK };
  const env = {
    KOMPLIANT_API_KEY: 'ak_test_public',
    KOMPLIANT_SECRET_KEY: b64(CLIENT_SECRET_KEY),
    KOMPLIANT_AUTH_TOKEN: CLIENT_AUTH_TOKEN,
    KOMPLIANT_BASE_URL: LOOPBACK,
  };
  for (const client of [new k.KompliantClient(options), k.KompliantClient.fromEnv(env)]) {
    const shown = renderings(client);
    assert.match(shown['inspect deep'], /ak_test_public/);
    assert.equal(shown['JSON.stringify'].match(/\[REDACTED\]/g).length, 2);
    assertNoLeak(shown, secrets);
  }
});

test('created keys (from the simulator) never show their secret; the explicit getter does', async (t) => {
  const sim = await startSim();
  t.after(() => sim.stop());
  const client = k.KompliantClient.fromEnv(sim.env);
  const credentials = [Buffer.from(sim.env.KOMPLIANT_SECRET_KEY, 'base64'), sim.env.KOMPLIANT_AUTH_TOKEN];
  assertNoLeak(renderings(client), credentials);

  const created = await client.createWebhookKey(sim.accountId);
  const secret = Buffer.from(created.secret, 'base64');
  assert.equal(secret.length, 32);
  const shown = renderings(created, { reveal: ['secret'] });
  assert.match(shown['inspect deep'], new RegExp(created.keyId));
  assert.match(shown['JSON.stringify'], /"secret":"\[REDACTED\]"/);
  assertNoLeak(shown, [secret, ...credentials]);
  // The getter is the one documented way to the secret, and the checker sees it there.
  assert.ok(leaks(created.secret, [secret]).length > 0);
});

// --- a failed rotation store --------------------------------------------------------------------

test('a failed store rejects with a StoreFailedError that never shows the new secret', async (t) => {
  const sim = await startSim();
  t.after(() => sim.stop());
  const client = k.KompliantClient.fromEnv(sim.env);
  const credentials = [Buffer.from(sim.env.KOMPLIANT_SECRET_KEY, 'base64'), sim.env.KOMPLIANT_AUTH_TOKEN];

  // A chatty secret manager: its error quotes the new secret in every base64 spelling the core
  // masks (docs/node.md "Key rotation") and the client's credentials.
  const stored = [];
  const echoing = await rejected(
    client.rotateWebhookKey(sim.accountId, async (keyId, secret) => {
      stored.push([keyId, secret]);
      const f = forms(Buffer.from(secret, 'base64'));
      throw new Error(
        `vault refused ${f.base64} / ${f['base64 unpadded']} / ${f['url-safe base64']} / ${f['url-safe base64 unpadded']}` +
          ` (secret key ${sim.env.KOMPLIANT_SECRET_KEY}, token ${sim.env.KOMPLIANT_AUTH_TOKEN})`,
      );
    }),
  );
  // A quiet one: its error holds nothing secret, so even util.inspect (which prints the cause)
  // must show no secret.
  const quiet = await rejected(
    client.rotateWebhookKey(sim.accountId, async (keyId, secret) => {
      stored.push([keyId, secret]);
      throw new Error('vault unavailable');
    }),
  );
  assert.equal(stored.length, 2);
  const newSecrets = stored.map(([, s]) => Buffer.from(s, 'base64'));
  for (const [err, [keyId], withCause] of [
    [echoing, stored[0], false],
    [quiet, stored[1], true],
  ]) {
    assert.ok(err instanceof k.StoreFailedError, String(err));
    assert.equal(err.code, 'STORE_FAILED');
    assert.match(err.message, new RegExp(`${keyId}.*NOT activated`));
    assert.ok(err.cause instanceof Error, 'the cause is the store error (documented: unmasked)');
    assertNoLeak(renderings(err, { withCause }), [...newSecrets, ...credentials]);
    assert.equal((await client.getWebhookKey(keyId)).status, 'INACTIVE');
  }
  assert.match(echoing.message, /vault refused \[REDACTED\]/);
});

// --- errors about bad secrets and bad keyrings -------------------------------------------------

test('errors for a bad secret never quote it', async () => {
  const a = b64(WEBHOOK_SECRET_A);
  const short = WEBHOOK_SECRET_A.subarray(0, 31);
  const long = Buffer.concat([WEBHOOK_SECRET_A, Buffer.from([0xfe])]);
  const notBase64 = `${a.slice(0, 20)}!${a.slice(21)}`;
  const cases = [
    ['not base64', notBase64, [WEBHOOK_SECRET_A, notBase64]],
    ['URL-safe instead of standard base64', forms(WEBHOOK_SECRET_A)['url-safe base64'], [WEBHOOK_SECRET_A]],
    ['unpadded base64', a.replace(/=+$/, ''), [WEBHOOK_SECRET_A]],
    ['hex instead of base64', WEBHOOK_SECRET_A.toString('hex'), [WEBHOOK_SECRET_A]],
    ['31 bytes (base64)', b64(short), [short]],
    ['33 bytes (base64)', b64(long), [long]],
    ['31 bytes (Uint8Array)', new Uint8Array(short), [short]],
    ['33 bytes (Buffer)', long, [long]],
    ['with a space inside', `${a.slice(0, 22)} ${a.slice(22)}`, [WEBHOOK_SECRET_A]],
  ];
  const dir = tempDir();
  try {
    const file = path.join(dir, 'keys.json');
    for (const [label, secret, lookFor] of cases) {
      for (const [where, err] of [
        ['add', thrown(() => new k.Keyring().add(KEY_A, secret))],
        ['constructor', thrown(() => new k.Keyring({ [KEY_A]: secret }))],
        ['sealWebhook', thrown(() => k.sealWebhook(META, { version: '1.0' }, secret))],
        ['addToKeyringFile', await rejected(k.addToKeyringFile(file, KEY_A, secret))],
      ]) {
        assert.ok(err instanceof k.InvalidKeyError, `${label} (${where}): ${err}`);
        assert.equal(err.code, 'INVALID_KEY');
        const shown = renderings(err);
        assertNoLeak(Object.fromEntries(Object.entries(shown).map(([n, v]) => [`${label} (${where}) ${n}`, v])), lookFor);
      }
    }
    assert.ok(!fs.existsSync(file));

    // A keyring file that already holds the key id with another secret.
    await k.addToKeyringFile(file, KEY_A, a);
    const conflict = await rejected(k.addToKeyringFile(file, KEY_A, b64(WEBHOOK_SECRET_B)));
    assert.ok(conflict instanceof k.InvalidKeyError);
    assertNoLeak(renderings(conflict), [WEBHOOK_SECRET_A, WEBHOOK_SECRET_B]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }

  // A body sealed with another secret than the keyring's.
  const forged = thrown(() => new k.WebhookReceiver(new k.Keyring({ [KEY_A]: a })).decrypt(sealedWith(WEBHOOK_SECRET_B)));
  assert.ok(forged instanceof k.DecryptionError);
  assertNoLeak(renderings(forged), [WEBHOOK_SECRET_A, WEBHOOK_SECRET_B]);
});

test('a keyring with a bad entry is refused without quoting any secret', async () => {
  const good = b64(WEBHOOK_SECRET_A);
  const bad = b64(WEBHOOK_SECRET_B.subarray(0, 30));
  const secrets = [WEBHOOK_SECRET_A, WEBHOOK_SECRET_B.subarray(0, 30)];
  const texts = {
    'wrong length entry': JSON.stringify({ [KEY_A]: good, [KEY_B]: bad }),
    'not base64 entry': JSON.stringify({ [KEY_A]: good, [KEY_B]: `!${bad}` }),
    'syntax error after a secret': `{"${KEY_A}": "${good}", oops}`,
    'unquoted secret': `{"${KEY_A}": ${good}}`,
    truncated: `{"${KEY_A}": "${good}`,
    'secret as a list': JSON.stringify({ [KEY_A]: [good] }),
    'secret swapped into the key id': JSON.stringify({ [good]: KEY_A }),
    'bare secret': good,
    'duplicate key id': `{"${KEY_A}": "${good}", "${KEY_A}": "${bad}"}`,
  };
  const dir = tempDir();
  try {
    const file = path.join(dir, 'keys.json');
    for (const [label, text] of Object.entries(texts)) {
      fs.writeFileSync(file, text);
      for (const [where, err, lookFor] of [
        ['fromJson', thrown(() => k.Keyring.fromJson(text)), secrets],
        ['fromFile', thrown(() => k.Keyring.fromFile(file)), secrets],
        ['addToKeyringFile', await rejected(k.addToKeyringFile(file, 'whk_20251121_09', b64(WEBHOOK_SECRET_ENV))), [...secrets, WEBHOOK_SECRET_ENV]],
      ]) {
        assert.ok(err instanceof k.InvalidKeyError, `${label} (${where}): ${err}`);
        assertNoLeak(Object.fromEntries(Object.entries(renderings(err)).map(([n, v]) => [`${label} (${where}) ${n}`, v])), lookFor);
      }
    }
    const objectWithBadEntry = thrown(() => k.Keyring.fromJson({ [KEY_A]: good, [KEY_B]: bad }));
    assert.ok(objectWithBadEntry instanceof k.InvalidKeyError);
    assertNoLeak(renderings(objectWithBadEntry), secrets);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const fromEnv = thrown(() =>
    k.Keyring.fromEnv({ KOMPLIANT_WEBHOOK_SECRET_20251121_01: good, KOMPLIANT_WEBHOOK_SECRET_20251121_02: bad }),
  );
  assert.ok(fromEnv instanceof k.InvalidKeyError);
  assertNoLeak(renderings(fromEnv), secrets);
});

test('client configuration errors never quote the credentials', () => {
  const key = b64(CLIENT_SECRET_KEY);
  const secrets = [CLIENT_SECRET_KEY, CLIENT_AUTH_TOKEN];
  for (const [label, secretKey, authToken] of [
    ['secret key not base64', `!${key}`, CLIENT_AUTH_TOKEN],
    ['secret key URL-safe', forms(CLIENT_SECRET_KEY)['url-safe base64'], CLIENT_AUTH_TOKEN],
    ['token with a newline', key, `${CLIENT_AUTH_TOKEN}\n${CLIENT_AUTH_TOKEN}`],
    ['token with a space', key, `${CLIENT_AUTH_TOKEN} x`],
  ]) {
    const direct = thrown(() => new k.KompliantClient({ apiKey: 'ak', secretKey, authToken, baseUrl: LOOPBACK }));
    const env = { KOMPLIANT_API_KEY: 'ak', KOMPLIANT_SECRET_KEY: secretKey, KOMPLIANT_AUTH_TOKEN: authToken, KOMPLIANT_BASE_URL: LOOPBACK };
    const fromEnv = thrown(() => k.KompliantClient.fromEnv(env));
    for (const [where, err] of [
      ['constructor', direct],
      ['fromEnv', fromEnv],
    ]) {
      assert.ok(err instanceof k.InvalidConfigurationError, `${label} (${where}): ${err}`);
      assertNoLeak(Object.fromEntries(Object.entries(renderings(err)).map(([n, v]) => [`${label} (${where}) ${n}`, v])), secrets);
    }
  }
});

// --- what the package logs -----------------------------------------------------------------------

const GUARD_PASSWORD = 'redis-pw-Kw7Test9Secret4Guard';

/** A guard whose store is down in `failing`; its errors quote the store's URL with a password. */
function failingGuard(failing) {
  const memory = new k.MemoryGuard();
  const fail = (method) => {
    if (method === failing) throw new Error(`redis://:${GUARD_PASSWORD}@10.0.0.7:6379 refused ${method}`);
  };
  return {
    async claim(id, token, lease) {
      fail('claim');
      return memory.claim(id, token, lease);
    },
    async renew(id, token, lease) {
      fail('renew');
      return memory.renew(id, token, lease);
    },
    async complete(id, token) {
      fail('complete');
      return memory.complete(id, token);
    },
    async release(id, token) {
      fail('release');
      return memory.release(id, token);
    },
  };
}

test('the default onError log line of a refusal or a failing guard shows no secret', async (t) => {
  const lines = [];
  const original = console.error;
  console.error = (...args) => lines.push(util.format(...args));
  t.after(() => {
    console.error = original;
  });
  const receiver = new k.WebhookReceiver(new k.Keyring({ [KEY_A]: b64(WEBHOOK_SECRET_A) }));
  const post = (handler, body) => handler(new Request('http://localhost/webhooks', { method: 'POST', body }));

  const plain = webhookHandler({ receiver, onWebhook: () => {} });
  assert.equal((await post(plain, sealedWith(WEBHOOK_SECRET_B))).status, 400, 'forged: sealed with another secret');
  const badClaim = webhookHandler({ receiver, guard: failingGuard('claim'), onWebhook: () => {} });
  assert.equal((await post(badClaim, sealedWith(WEBHOOK_SECRET_A))).status, 500);
  const badComplete = webhookHandler({ receiver, guard: failingGuard('complete'), onWebhook: () => {} });
  assert.equal((await post(badComplete, sealedWith(WEBHOOK_SECRET_A))).status, 200, 'the answer follows the handler');
  const badRelease = webhookHandler({
    receiver,
    guard: failingGuard('release'),
    onWebhook: () => {
      throw new Error('handler failed');
    },
  });
  assert.equal((await post(badRelease, sealedWith(WEBHOOK_SECRET_A))).status, 500);

  console.error = original;
  const text = lines.join('\n');
  assert.match(text, /DECRYPTION_FAILED/);
  assert.match(text, /claim\(\) failed \(Error\)/);
  assert.match(text, /complete\(\) failed \(Error\)/);
  assert.match(text, /release\(\) failed \(Error\)/);
  assertNoLeak(
    Object.fromEntries(lines.map((line, i) => [`line ${i}`, line])),
    [WEBHOOK_SECRET_A, WEBHOOK_SECRET_B, GUARD_PASSWORD],
  );
});
