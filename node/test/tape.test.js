'use strict';
// `Webhook.payload` is built from the native tape (lib/payload.js, bindings/js-shared/src/tape.rs),
// not by JSON.parse: it must be exactly what JSON.parse of the payload text gives, for every
// kind of value, key and shape, the first time a shape is met and once it is compiled.

const test = require('node:test');
const assert = require('node:assert/strict');
const k = require('..');

const KEY_ID = 'whk_20251121_01';
const SECRET = Buffer.alloc(32, 9).toString('base64');
const META = {
  id: 'wh_1',
  eventType: 'WORKFLOW_CREATED',
  timestamp: '2025-11-21T14:30:22.123Z',
  accountId: 'sb_1',
  schemaVersion: '2025-11-21',
  keyId: KEY_ID,
};

function receiver() {
  return new k.WebhookReceiver(new k.Keyring({ [KEY_ID]: SECRET }));
}

/** Own keys in order, with property descriptors: what deepStrictEqual does not fully check. */
function layout(value) {
  if (Array.isArray(value)) return value.map(layout);
  if (value === null || typeof value !== 'object') return Object.is(value, -0) ? '-0' : value;
  assert.equal(Object.getPrototypeOf(value), Object.prototype);
  return Reflect.ownKeys(value).map((key) => {
    const d = Object.getOwnPropertyDescriptor(value, key);
    assert.ok(d.writable && d.enumerable && d.configurable, `${String(key)} is a plain data property`);
    return [key, layout(d.value)];
  });
}

/** Decrypts `text` sealed as a payload three times with `r` (shapes unseen, seen, compiled). */
function check(r, text) {
  const body = k.sealWebhook(META, text, SECRET).body(0);
  const expected = JSON.parse(text);
  for (let i = 0; i < 3; i++) {
    const w = r.decrypt(body);
    assert.deepStrictEqual(w.payload, expected);
    assert.deepStrictEqual(layout(w.payload), layout(expected), text.slice(0, 200));
    assert.equal(w.payloadText, text);
    assert.equal(w.payload, w.payload, 'the same object on every access');
  }
}

test('payload objects are what JSON.parse makes: values, keys, order, repeated keys, __proto__', () => {
  const r = receiver();
  for (const text of [
    '{}',
    '{"a":1}',
    '{"a":[],"b":{},"c":[[]],"d":[{}],"e":null,"f":true,"g":false}',
    '{"n":[0,-0,1,-1,1.5,-2.25e-7,1E5,1e400,-1e400,123456789012345678901234567890,9007199254740993,0.1,5e-324,2147483648,-2147483649]}',
    '{"s":["","a","é","ÿ","Ā","ễ","😀","\\u0000\\n\\t\\"\\\\\\/","\\ud83d\\ude00","\\u00e9","x\\u1ec5y","' + 'long '.repeat(40) + '"]}',
    '{"a":1,"a":2}',
    '{"a":1,"b":2,"a":3}',
    '{"__proto__":{"polluted":true},"x":1}',
    '{"__proto__":1,"__proto__":2}',
    '{"constructor":1,"toString":2,"hasOwnProperty":3,"valueOf":4}',
    '{"2":"b","1":"a","x":"c","0":"z","-1":"m","01":"n","4294967295":"big","4294967294":"max"}',
    '{"é":1,"ễ":2,"😀":3,"":4,"\\u0000":5,"a\\"b":6,"a\\\\b":7,"\\u2028":8}',
    '{"a":{"b":{"c":{"d":[1,{"e":[{"f":null}]}]}}}}',
    ' \n\t{ "spaced" : [ 1 , 2 ] , "x" : { } } \r\n',
  ]) {
    check(r, text);
  }
});

test('repeated shapes, many shapes, wide keys and large objects come out the same', () => {
  const r = receiver();
  const people = [];
  for (let i = 0; i < 300; i++) {
    people.push({ id: `p_${i}`, first: i % 7 === 0 ? 'Nguyễn' : 'José', age: i, owner: i % 2 === 0, addr: { city: 'München', zip: String(i) } });
  }
  check(r, JSON.stringify({ version: '1.0', people }));
  // Shapes that differ by order, by one key, and maps keyed by ids (a new shape each time).
  const mixed = [];
  for (let i = 0; i < 200; i++) {
    mixed.push(i % 2 ? { a: i, b: i } : { b: i, a: i });
    mixed.push({ [`id_${i}`]: { v: i } });
    mixed.push({ ["ễ" + (i % 3)]: i, '😀': [i] });
  }
  check(r, JSON.stringify({ mixed }));
  // An object of more keys than a shape takes, and one of exactly that many.
  const wide = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, i]));
  const sixtyFour = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`k${i}`, [i]]));
  check(r, JSON.stringify({ wide, sixtyFour, again: [wide, sixtyFour] }));
});

test('large payloads (a tape longer than the receiver keeps) and a second receiver', () => {
  const r = receiver();
  const rows = Array.from({ length: 60000 }, (_, i) => ({ i, s: `row ${i} ễ`, f: i / 3 }));
  check(r, JSON.stringify({ rows }));
  check(r, '{"small":[1,2,3]}');
  check(receiver(), JSON.stringify({ rows: rows.slice(0, 5000) }));
});

test('a payload that is not a JSON object is still refused as PAYLOAD_NOT_JSON', () => {
  const r = receiver();
  for (const text of ['[1]', '{"a":1,}', '{"a":01}', '{"a":"\\ud800"}', '{"a":NaN}', `${'['.repeat(200)}`]) {
    assert.throws(() => r.decrypt(k.sealWebhook(META, text, SECRET).body(0)), k.PayloadNotJsonError, text);
  }
});
