'use strict';
// The receive path at its boundaries: whatever bytes arrive, in whatever form a Node server
// hands them over, `decrypt` either returns exactly the webhook that was sealed or throws the
// WebhookError subclass of a documented receive-path code (docs/errors.md) with the core's
// answer. Never another exception type, never a crash. Wrong JavaScript types are programming
// errors: a TypeError explaining raw bodies (docs/node.md "Errors").

const test = require('node:test');
const assert = require('node:assert/strict');
const k = require('..');

const KEY_ID = 'whk_20251121_01';
const SECRET = Buffer.alloc(32, 0x42).toString('base64');
const META = {
  id: 'wh_boundaries00000000001',
  eventType: 'WORKFLOW_CREATED',
  timestamp: '2025-11-21T14:30:22.123Z',
  accountId: 'sb_boundaries',
  schemaVersion: '2025-11-21',
  keyId: KEY_ID,
};
const PAYLOAD = JSON.stringify({
  version: '1.0',
  subject_record_id: 'sr_1',
  user_context: { user_id: 'u_1', user_type: 'USER' },
  workflow_id: 'w_1',
  workflow_type: 'BUSINESS_APPLICATION',
});
const MAX = 4096;

/** What `decrypt` may throw for a body: the receive-path codes input can cause (docs/errors.md). */
const BODY_CODES = new Set(['MALFORMED_ENVELOPE', 'UNKNOWN_KEY', 'DECRYPTION_FAILED', 'PAYLOAD_NOT_JSON', 'BODY_TOO_LARGE']);
/** The documented class of each receive-path code (docs/node.md "Errors"). */
const CLASS_OF = {
  MALFORMED_ENVELOPE: k.MalformedEnvelopeError,
  UNKNOWN_KEY: k.UnknownKeyError,
  DECRYPTION_FAILED: k.DecryptionError,
  PAYLOAD_NOT_JSON: k.PayloadNotJsonError,
  BODY_TOO_LARGE: k.BodyTooLargeError,
  TIMESTAMP_OUT_OF_RANGE: k.TimestampOutOfRangeError,
};

const receiver = new k.WebhookReceiver(new k.Keyring({ [KEY_ID]: SECRET }), { maxBodyBytes: MAX });
const VALID = k.sealWebhook(META, PAYLOAD, SECRET, { nonce: Buffer.alloc(12, 9) }).body(2);

/** A small seeded PRNG (mulberry32): the same inputs on every run. */
function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)); // inclusive
  const bytes = (n) => Buffer.from(Array.from({ length: n }, () => int(0, 255)));
  return { next, int, bytes };
}

/** The same bytes in each form a Node server may hand over (index picks one). */
function asForm(buf, index) {
  switch (index % 6) {
    case 0:
      return buf;
    case 1:
      return new Uint8Array(buf);
    case 2:
      return new Uint8Array(buf).buffer;
    case 3: {
      const copy = new Uint8Array(buf);
      return new DataView(copy.buffer, copy.byteOffset, copy.byteLength);
    }
    case 4: {
      // A view into the middle of a larger buffer: only the view is read.
      const big = Buffer.concat([Buffer.from('{"id":"junk"'), buf, Buffer.from('}}}}')]);
      return big.subarray(12, 12 + buf.length);
    }
    default:
      return buf.toString('utf8'); // what a string-typed body would be (invalid UTF-8 becomes U+FFFD)
  }
}

/**
 * Decrypts `body` with `recv`; returns 'ok' or the error code, failing the test unless the
 * outcome is the original webhook or a documented WebhookError with the core's answer.
 */
function outcome(body, recv = receiver, allowed = BODY_CODES) {
  let webhook;
  try {
    webhook = recv.decrypt(body);
  } catch (err) {
    assert.ok(err instanceof k.WebhookError, `not a WebhookError: ${err?.name}: ${err?.message}`);
    assert.ok(allowed.has(err.code), `undocumented code for a body: ${err.code}: ${err.message}`);
    assert.equal(err.constructor, CLASS_OF[err.code], err.code);
    assert.equal(err.name, CLASS_OF[err.code].name);
    const answer = k.httpAnswer(err.code);
    assert.equal(err.httpStatus, answer.status);
    assert.equal(err.publicMessage, answer.publicMessage);
    assert.equal(typeof err.message, 'string');
    return err.code;
  }
  // An accepted body is the sealed webhook, exactly: the tag covers everything but retry_count.
  assert.deepEqual(webhook.metadata, META);
  assert.equal(webhook.payloadText, PAYLOAD);
  assert.ok(Number.isInteger(webhook.retryCount) && webhook.retryCount >= 0);
  return 'ok';
}

test('the valid body opens in every body form, and the outcome of a body does not depend on its form', () => {
  for (let i = 0; i < 6; i++) assert.equal(outcome(asForm(VALID, i)), 'ok', `form ${i}`);
  const malformed = Buffer.from('{"id": 1}');
  const forged = Buffer.from(VALID.toString().replace(/"data":"(.)/, (m, c) => `"data":"${c === 'A' ? 'B' : 'A'}`));
  for (let i = 0; i < 6; i++) {
    assert.equal(outcome(asForm(malformed, i)), 'MALFORMED_ENVELOPE', `form ${i}`);
    assert.equal(outcome(asForm(forged, i)), 'DECRYPTION_FAILED', `form ${i}`);
  }
  // Other typed-array views are read as their bytes.
  const even = VALID.length % 2 === 0 ? VALID : Buffer.concat([VALID, Buffer.from(' ')]);
  const u8 = new Uint8Array(even);
  assert.equal(outcome(new Uint16Array(u8.buffer, u8.byteOffset, u8.length / 2)), 'ok');
  assert.equal(outcome(new Uint16Array(u8.buffer, u8.byteOffset, u8.length / 2 - 1)), 'MALFORMED_ENVELOPE', 'two bytes short');
  const shared = new SharedArrayBuffer(VALID.length);
  new Uint8Array(shared).set(VALID);
  assert.equal(outcome(shared), 'ok');
});

test('3,000 seeded mutations of a sealed body: the original webhook or a documented WebhookError', (t) => {
  const r = rng(20251121);
  const seen = new Map();
  for (let n = 0; n < 3000; n++) {
    let body = Buffer.from(VALID);
    for (let ops = r.int(1, 4); ops > 0; ops--) {
      const choice = r.next();
      if (choice < 0.5 && body.length > 0) {
        body[r.int(0, body.length - 1)] = r.int(0, 255); // replace a byte
      } else if (choice < 0.75 && body.length > 0) {
        body = body.subarray(0, r.int(0, body.length - 1)); // truncate
      } else {
        const at = r.int(0, body.length); // insert 1-8 random bytes
        body = Buffer.concat([body.subarray(0, at), r.bytes(r.int(1, 8)), body.subarray(at)]);
      }
    }
    const code = outcome(asForm(Buffer.from(body), n));
    seen.set(code, (seen.get(code) ?? 0) + 1);
  }
  t.diagnostic(`outcomes: ${JSON.stringify(Object.fromEntries(seen))}`);
  // Mutations land in every check; none escapes as another exception type.
  assert.ok(seen.has('MALFORMED_ENVELOPE'), JSON.stringify([...seen]));
  assert.ok(seen.has('DECRYPTION_FAILED'), JSON.stringify([...seen]));
  assert.equal([...seen.values()].reduce((a, b) => a + b), 3000);
});

test('whole random byte strings and random JSON-like token soups are refused with documented codes', () => {
  const r = rng(7);
  const seen = new Set();
  for (let n = 0; n < 500; n++) seen.add(outcome(asForm(r.bytes(r.int(0, 600)), n)));
  const tokens = ['{', '}', '[', ']', ':', ',', '"', '"id"', '"data"', '"key_id"', `"${KEY_ID}"`, '"retry_count"', '0', '-1', '1e309',
    'true', 'null', '"\\u0000"', '"\\ud800"', '"|"', '"AAAA"', ' ', '\n', '\u00e9', '\uffff', '"event_type"', '"timestamp"'];
  for (let n = 0; n < 500; n++) {
    const text = Array.from({ length: r.int(0, 40) }, () => tokens[r.int(0, tokens.length - 1)]).join('');
    seen.add(outcome(asForm(Buffer.from(text, 'utf8'), n)));
  }
  assert.ok(seen.has('MALFORMED_ENVELOPE'));
  assert.ok(!seen.has('ok'), 'no random input is a valid webhook');
});

test('envelopes with a field missing, duplicated, of the wrong type, or holding the separator are malformed', () => {
  const env = JSON.parse(VALID.toString());
  const fields = Object.keys(env);
  assert.deepEqual(new Set(fields), new Set(['id', 'event_type', 'timestamp', 'account_id', 'schema_version', 'key_id', 'retry_count', 'data']));
  const seen = new Set();
  for (const field of fields) {
    const { [field]: _removed, ...missing } = env;
    assert.equal(outcome(Buffer.from(JSON.stringify(missing))), 'MALFORMED_ENVELOPE', `missing ${field}`);
    const duplicated = JSON.stringify(env).replace(/}$/, `,"${field}":${JSON.stringify(env[field])}}`);
    assert.equal(outcome(Buffer.from(duplicated)), 'MALFORMED_ENVELOPE', `duplicated ${field}`);
    for (const wrong of [null, true, 12, -1.5, [], {}, [env[field]], { v: env[field] }]) {
      if (typeof wrong === 'number' && field === 'retry_count' && Number.isInteger(wrong) && wrong >= 0) continue;
      const code = outcome(Buffer.from(JSON.stringify({ ...env, [field]: wrong })));
      assert.equal(code, 'MALFORMED_ENVELOPE', `${field}: ${JSON.stringify(wrong)}`);
    }
    if (typeof env[field] === 'string' && field !== 'data') {
      // The AAD separator in a metadata field is refused, never authenticated around.
      seen.add(outcome(Buffer.from(JSON.stringify({ ...env, [field]: `${env[field]}|x` }))));
    }
  }
  assert.deepEqual(seen, new Set(['MALFORMED_ENVELOPE']));
  for (const data of ['', 'AAAA', Buffer.alloc(27).toString('base64'), `${env.data}=`, env.data.replace(/=*$/, '!'), env.data.slice(1)]) {
    assert.equal(outcome(Buffer.from(JSON.stringify({ ...env, data }))), 'MALFORMED_ENVELOPE', `data ${data.slice(0, 20)}`);
  }
  // Strict base64 of 28+ bytes that is not the sealed data: the tag refuses it.
  assert.equal(outcome(Buffer.from(JSON.stringify({ ...env, data: Buffer.alloc(28, 1).toString('base64') }))), 'DECRYPTION_FAILED');
  // Unknown key ids are a "retry later", before any decryption.
  assert.equal(outcome(Buffer.from(JSON.stringify({ ...env, key_id: 'whk_20991231_99' }))), 'UNKNOWN_KEY');
  // retry_count is not authenticated: any count opens the same webhook.
  assert.equal(outcome(Buffer.from(JSON.stringify({ ...env, retry_count: 94 }))), 'ok');
});

test('empty, non-UTF-8 and hugely nested bodies', () => {
  for (const empty of [Buffer.alloc(0), new Uint8Array(0), new ArrayBuffer(0), '', new DataView(new ArrayBuffer(0))]) {
    assert.equal(outcome(empty), 'MALFORMED_ENVELOPE');
  }
  const text = VALID.toString();
  const at = text.indexOf(META.id) + 3;
  for (const bad of [[0xff], [0xc3], [0xed, 0xa0, 0x80] /* a UTF-16 surrogate */, [0xc0, 0xaf] /* overlong "/" */, [0xf5, 0x80, 0x80, 0x80]]) {
    const body = Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from(bad), Buffer.from(text.slice(at))]);
    assert.equal(outcome(body), 'MALFORMED_ENVELOPE', `bytes ${bad}`);
    assert.equal(outcome(Buffer.concat([Buffer.from(bad), VALID])), 'MALFORMED_ENVELOPE');
  }
  assert.equal(outcome(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), VALID])), 'MALFORMED_ENVELOPE', 'a byte-order mark');
  assert.equal(outcome(`${text.slice(0, at)}\ud800${text.slice(at)}`), 'DECRYPTION_FAILED', 'a lone surrogate in a string body');

  const big = new k.WebhookReceiver(new k.Keyring({ [KEY_ID]: SECRET }), { maxBodyBytes: 4 * 1024 * 1024 });
  for (const [name, body] of [
    ['arrays', '['.repeat(1_000_000)],
    ['arrays, closed', `${'['.repeat(500_000)}${']'.repeat(500_000)}`],
    ['objects', '{"a":'.repeat(400_000)],
    ['objects, closed', `${'{"a":'.repeat(300_000)}1${'}'.repeat(300_000)}`],
    ['in the data field', JSON.stringify({ ...JSON.parse(text), data: [[[[[[]]]]]] }).replace('[[[[[[]]]]]]', `${'['.repeat(300_000)}${']'.repeat(300_000)}`)],
  ]) {
    assert.equal(outcome(Buffer.from(body), big), 'MALFORMED_ENVELOPE', name);
    assert.equal(outcome(body, big), 'MALFORMED_ENVELOPE', `${name} (string)`);
  }
  // Unknown envelope fields are ignored (docs/security.md), however deeply nested.
  const nestedExtra = `${text.slice(0, -1)},"extra":${'['.repeat(300_000)}${']'.repeat(300_000)}}`;
  assert.equal(outcome(Buffer.from(nestedExtra), big), 'ok');
  // A payload nested to the core's limit (127 levels, docs/decided.md) is authenticated, so it
  // opens; its typed view is a mismatch, not a crash. One level deeper, or hugely deep, is
  // PAYLOAD_NOT_JSON (never a stack overflow).
  const nested = (depth) => `{"version":"1.0","a":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
  const deepest = nested(127);
  const webhook = big.decrypt(k.sealWebhook(META, deepest, SECRET).body(0));
  assert.equal(webhook.payloadText, deepest);
  assert.deepEqual(webhook.payload, JSON.parse(deepest));
  assert.throws(() => webhook.event(), k.PayloadSchemaMismatchError);
  for (const depth of [128, 100_000]) {
    assert.equal(outcome(k.sealWebhook(META, nested(depth), SECRET).body(0), big), 'PAYLOAD_NOT_JSON', `depth ${depth}`);
  }
});

test('a body over maxBodyBytes is refused as BODY_TOO_LARGE before it is parsed', () => {
  // Garbage that would be MALFORMED_ENVELOPE if it were parsed: the size check comes first.
  for (const form of [0, 1, 2, 3, 4, 5]) {
    assert.equal(outcome(asForm(Buffer.alloc(MAX + 1, 0x21), form)), 'BODY_TOO_LARGE', `form ${form}`);
    assert.equal(outcome(asForm(Buffer.alloc(MAX, 0x21), form)), 'MALFORMED_ENVELOPE', `form ${form}: at the limit it is parsed`);
  }
  // A genuine webhook padded with JSON whitespace: accepted at the limit, refused one byte over.
  const atLimit = Buffer.concat([VALID, Buffer.alloc(MAX - VALID.length, 0x20)]);
  assert.equal(outcome(atLimit), 'ok');
  assert.equal(outcome(Buffer.concat([atLimit, Buffer.from(' ')])), 'BODY_TOO_LARGE');
  // The limit counts UTF-8 bytes, not JavaScript characters.
  assert.equal(outcome('\u00e9'.repeat(MAX / 2)), 'MALFORMED_ENVELOPE');
  assert.equal(outcome('\u00e9'.repeat(MAX / 2 + 1)), 'BODY_TOO_LARGE');
  // The default limit (8 MiB): the 413 answer.
  const standard = new k.WebhookReceiver(new k.Keyring({ [KEY_ID]: SECRET }));
  assert.throws(() => standard.decrypt(Buffer.alloc(8 * 1024 * 1024 + 1, 0x7b)), (err) => {
    assert.ok(err instanceof k.BodyTooLargeError);
    assert.equal(err.code, 'BODY_TOO_LARGE');
    assert.equal(err.httpStatus, 413);
    return true;
  });
});

test('wrong JavaScript types are TypeErrors that explain raw bodies, never another error or a crash', () => {
  const parsed = JSON.parse(VALID.toString());
  for (const value of [undefined, null, 42, 0, Number.NaN, 1n, true, Symbol('body'), () => VALID, [1, 2, 3], Array.from(VALID), parsed, {},
    new Map(), new Set(), new Date(), /x/, Promise.resolve(VALID), new String(VALID.toString()), Object.create(null), new Error('x')]) {
    assert.throws(() => receiver.decrypt(value), (err) => {
      assert.equal(err.constructor, TypeError, `${typeof value}: ${err}`);
      assert.match(err.message, /raw request body/);
      assert.ok(!(err instanceof k.KompliantError));
      return true;
    });
  }
  // The receiver still works after all of them.
  assert.equal(outcome(VALID), 'ok');
});
