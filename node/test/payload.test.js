'use strict';
// The payload as the package hands it over: `webhook.payload` is exactly what JSON.parse makes
// of the decrypted text (built from the native tape: lib/payload.js) and `webhook.payloadText`
// is that text, whatever form the native side gives it to V8 in (Latin-1 or UTF-16:
// bindings/node/src/text.rs), on the benchmark's payloads and on tricky ones; refused
// payloads keep their code.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');

const k = require('..');

const KEY_ID = 'whk_20251121_01';
const SECRET = Buffer.from(Array.from({ length: 32 }, (_, i) => i)).toString('base64');
const META = {
  id: 'wh_payload_1',
  eventType: 'SUBJECT_RECORD_DATA_UPDATED',
  timestamp: '2025-11-21T10:00:00.000Z',
  accountId: 'sb_1',
  schemaVersion: '2025-11-21',
  keyId: KEY_ID,
};
const receiver = new k.WebhookReceiver(new k.Keyring({ [KEY_ID]: SECRET }), { maxBodyBytes: 8 * 1024 * 1024 });

/** Decrypts `text` (a string, or bytes) sealed as a payload. */
function open(text) {
  return receiver.decrypt(k.sealWebhook(META, text, SECRET).body(0));
}

/** The payload of `text` is JSON.parse's, its text is `text`, every view agrees. */
function assertExact(text, what) {
  const webhook = open(text);
  assert.deepStrictEqual(webhook.payload, JSON.parse(text), `${what}: payload`);
  assert.equal(webhook.payloadText, text, `${what}: payloadText`);
  assert.equal(webhook.payload, webhook.payload, `${what}: parsed once`);
  assert.deepStrictEqual(webhook.toJSON().payload, JSON.parse(text), `${what}: toJSON`);
  assert.ok(util.inspect(webhook).includes(`<${Buffer.byteLength(text)} bytes>`), `${what}: inspect`);
  // A fresh webhook read in the other order (text first) agrees too.
  const again = open(text);
  assert.equal(again.payloadText, text, `${what}: payloadText first`);
  assert.deepStrictEqual(again.payload, JSON.parse(text), `${what}: payload after payloadText`);
  return webhook;
}

// Payloads shaped like tests/bench/fixtures.py's: subject-record updates with names in
// Latin-1 and beyond (Nguyễn), escapes, integers, floats, booleans and nulls.
const FIRST = ['Ana', 'Björn', 'Chloé', 'Dmitri', 'Emeka', 'Fatima', 'Grace', 'Hiroshi', 'Ines', 'José'];
const LAST = ['Okafor', 'Müller', 'García', 'Nakamura', "O'Brien", 'Søren', 'Nguyễn', 'Smith', 'Kowalski'];
const CITIES = ['San Francisco', 'München', 'São Paulo', 'Zürich', 'Kraków', 'Austin', 'Toronto'];

function payloadOfAbout(bytes) {
  let seed = 20251121;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const entities = { business: [], persons: [], bank_accounts: [], sales_info: [] };
  const doc = {
    version: '1.0',
    subject_record_id: 'sr_00000000000000000001',
    user_context: { user_id: 'u_00000000000000000001', user_type: 'USER' },
    entities,
  };
  let size = JSON.stringify(doc).length;
  for (let n = 0; size < bytes; n++) {
    let entity;
    if (n % 3 === 0) {
      entity = {
        person_id: `p_${String(n).padStart(20, '0')}`,
        fields: ['first_name', 'last_name', 'address', 'ownership_percentage'],
        changes: {
          first_name: pick(FIRST),
          last_name: pick(LAST),
          address: { line1: `${Math.floor(rand() * 9999)} Market St`, line2: null, city: pick(CITIES), country: 'US' },
          ownership_percentage: Math.round(rand() * 10000) / 100,
          is_beneficial_owner: rand() < 0.5,
          notes: 'Reviewed by "compliance" team\nTab:\tend',
        },
      };
      entities.persons.push(entity);
    } else if (n % 3 === 1) {
      entity = {
        business_id: `b_${String(n).padStart(20, '0')}`,
        fields: ['legal_name', 'annual_revenue'],
        changes: { legal_name: `${pick(LAST)} Holdings ${n} LLC`, annual_revenue: Math.floor(rand() * 5e7), verified: rand() < 0.8 },
      };
      entities.business.push(entity);
    } else {
      entity = { bank_account_id: `ba_${n}`, fields: ['balance'], changes: { balance: Math.round(rand() * 1e8) / 100 - 1000 } };
      entities.bank_accounts.push(entity);
    }
    size += Buffer.byteLength(JSON.stringify(entity)) + 1;
  }
  return JSON.stringify(doc);
}

test('payloads of the benchmark sizes are exactly what JSON.parse makes of their text', () => {
  for (const [name, bytes] of [['1k', 1024], ['16k', 16 * 1024], ['256k', 256 * 1024], ['4m', 4 * 1024 * 1024]]) {
    const text = payloadOfAbout(bytes);
    assertExact(text, name);
    // The same, all ASCII and Latin-1 only (the other forms the text takes on its way).
    assertExact(text.replace(/[^\x00-\x7f]/g, '?'), `${name}, ASCII`);
    assertExact(text.replace(/[^\x00-\xff]/g, 'ÿ'), `${name}, Latin-1`);
  }
});

// The fixtures of tests/bench/fixtures.py: scripts/test node writes them before the tests
// (KOMPLIANT_BENCH_FIXTURES names the directory); missing ones fail the test.
const FIXTURES = process.env.KOMPLIANT_BENCH_FIXTURES || path.join(__dirname, '..', '..', 'target', 'bench', 'fixtures');

test('the benchmark fixtures decrypt to exactly JSON.parse of their plaintext', () => {
  const key = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'key.json'), 'utf8'));
  const r = new k.WebhookReceiver(new k.Keyring({ [key.key_id]: key.secret }));
  for (const size of ['1k', '16k', '256k', '4m']) {
    const text = fs.readFileSync(path.join(FIXTURES, `${size}.payload.json`), 'utf8');
    const body = fs.readFileSync(path.join(FIXTURES, `${size}.body.json`));
    for (const form of [body, body.toString('utf8')]) {
      const webhook = r.decrypt(form);
      assert.deepStrictEqual(webhook.payload, JSON.parse(text), size);
      assert.equal(webhook.payloadText, text, size);
    }
  }
});

test('tricky payloads: unicode, escapes, big numbers, duplicate keys', () => {
  const cases = {
    'Latin-1 only': '{"name":"Björn Müller","city":"Zürich","ÿ":"\u0080\u00a0"}',
    'beyond Latin-1': '{"name":"Nguyễn","cjk":"漢字","greek":"Ωμέγα","Ā":1}',
    'astral': '{"emoji":"😀👍🏽","math":"𝔘𝔫𝔦𝔠𝔬𝔡𝔢","key😀":"v"}',
    'line and paragraph separators raw': '{"a":"x\u2028y\u2029z","b":"ễ"}',
    'escapes': String.raw`{"q":"\"quoted\"","bs":"\\","sl":"\/","ctl":"\b\f\n\r\t","nul":"\u0000","e":"\u00e9","w":"ễ"}`,
    "the text's own \\u escapes beyond Latin-1, and raw ones": String.raw`{"esc":"\u1ec5\ud83d\ude00","raw":"ễ😀"}`,
    "own \\u escapes, no raw character beyond Latin-1": String.raw`{"esc":"\u1EC5","raw":"é"}`,
    'raw characters, then an own \\u escape': String.raw`{"raw":"ễ","esc":"\u1ec5"}`,
    'an escaped backslash before u1ec5': String.raw`{"a":"\\u1ec5","b":"\\\u1ec5","c":"ễ","d":"\\\\u00e9"}`,
    'escapes in keys': String.raw`{"\u1ec5":1,"ễ":2,"\\u1ec5":3}`,
    'dense text beyond Latin-1': JSON.stringify({ text: '漢字かな交じり文'.repeat(500), note: 'ễ' }),
    'big and odd numbers': '{"big":123456789012345678901234567890,"neg":-9007199254740993,"exp":1e400,"tiny":5e-324,"frac":0.1,"negzero":-0,"e":1E+2}',
    'duplicate keys (the last wins)': '{"a":1,"a":{"b":2},"a":[3],"ễ":1,"ễ":"two"}',
    'whitespace around and inside': ' \t\r\n{ "a" : [ 1 , { } , [ ] , "ễ" ] , "b" : null }\n ',
    'empty object': '{}',
    'deep nesting within the limit': `{"a":${'['.repeat(100)}"ễ"${']'.repeat(100)}}`,
  };
  for (const [what, text] of Object.entries(cases)) assertExact(text, what);
  // -0 stays -0, as JSON.parse has it; 1e400 is Infinity; big integers lose precision as in JSON.parse.
  const odd = open(cases['big and odd numbers']).payload;
  assert.ok(Object.is(odd.negzero, -0));
  assert.equal(odd.exp, Infinity);
  assert.equal(odd.big, 123456789012345678901234567890);
  assert.deepStrictEqual(open(cases['duplicate keys (the last wins)']).payload, { a: [3], ễ: 'two' });
});

test('the typed view reads the exact text (positions in its errors are those of the text)', () => {
  const text = '{"version":"1.0","ễ":"ễễễ","subject_record_id":5,"user_context":{"user_id":"u","user_type":"USER"},"entities":{}}';
  const message = (t) => {
    try {
      open(t).event();
    } catch (err) {
      assert.ok(err instanceof k.PayloadSchemaMismatchError, err.name);
      return err.message;
    }
    assert.fail('no PayloadSchemaMismatchError');
  };
  // The same bytes before the error, all ASCII: the same line and column.
  assert.match(message(text), /line 1 column \d+/);
  assert.equal(message(text), message(text.replaceAll('ễ', 'xxx')));
  const webhook = open(text);
  assert.deepStrictEqual(webhook.payload, JSON.parse(text));
  assert.equal(webhook.payloadText, text);
});

test('metadata and retry count come back exactly, whatever characters the fields hold', () => {
  const odd = {
    ...META,
    id: 'wh_\u0000\u0001\u0002_ễ_😀',
    eventType: '\u0003WORKFLOW_CREATED\u0000',
    accountId: 'sb_Björn',
    schemaVersion: '',
    timestamp: '2025-11-21T10:00:00.000Z\u0004',
  };
  for (const retryCount of [0, 7, 94, 2 ** 40]) {
    const webhook = receiver.decrypt(k.sealWebhook(odd, '{"a":"ễ"}', SECRET).body(retryCount));
    assert.deepStrictEqual(webhook.metadata, odd);
    assert.equal(webhook.retryCount, retryCount);
    assert.equal(webhook.payloadText, '{"a":"ễ"}');
    assert.ok(Object.isFrozen(webhook));
    assert.deepStrictEqual(Object.keys(webhook), ['id', 'eventType', 'timestamp', 'accountId', 'schemaVersion', 'keyId', 'retryCount']);
  }
});

test('refused payloads keep their error code, class and answer', () => {
  const refused = {
    'not JSON': '{',
    'an array': '[1,2]',
    'a string': '"ễ"',
    'trailing comma': '{"a":1,}',
    'NaN': '{"a":NaN}',
    'a comment': '{"a":1 /* no */}',
    'a lone surrogate escape': String.raw`{"a":"\ud800"}`,
    'a lone low surrogate escape': String.raw`{"a":"\udc00 ễ"}`,
    'a raw control character': '{"a":"x\u0001y"}',
    'too deep': `{"a":${'['.repeat(127)}${']'.repeat(127)}}`,
    'trailing data': '{"a":1}{"b":2}',
  };
  for (const [what, text] of Object.entries(refused)) {
    assert.throws(() => open(text), (err) => {
      assert.ok(err instanceof k.PayloadNotJsonError, `${what}: ${err.name}`);
      assert.equal(err.code, 'PAYLOAD_NOT_JSON', what);
      assert.equal(err.httpStatus, 400, what);
      assert.equal(err.publicMessage, k.httpAnswer('PAYLOAD_NOT_JSON').publicMessage, what);
      return true;
    });
  }
  // Not UTF-8: the bytes of a Latin-1 "é", and a UTF-8 encoded surrogate.
  for (const bytes of [Buffer.from('{"a":"\xe9"}', 'latin1'), Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d])]) {
    assert.throws(() => open(bytes), k.PayloadNotJsonError);
  }
});
