'use strict';
// The one place the Node tests spell a secret every way it could leak, and look for it.
//
// A webhook secret (or an API secret key) is 32 raw bytes, usually carried as base64. A leak
// can show any spelling of those bytes, so `forms(raw)` lists them all: the raw bytes decoded
// as latin-1, standard base64 with and without padding, URL-safe base64 with and without
// padding, hex in lower and upper case. A credential that is text (an auth token) is also
// looked for as the text itself (`textForms`).
//
// `leaks(text, secrets)` finds every form present in `text`, whole or as any 16-character
// piece (a truncated quote still leaks most of a key); `assertNoLeak` fails naming the
// rendering and the form. The distinctive secrets below make a chance miss impossible: each
// form is long, and the readable tag shows even in escaped spellings.

const assert = require('node:assert/strict');

/** Shortest piece of a form that counts as a leak. */
const WINDOW = 16;

/**
 * 32 bytes: a readable tag (a latin-1 or escaped leak is obvious) padded with high bytes (so
 * standard and URL-safe base64 differ, and the latin-1 form holds non-ASCII).
 */
function distinctive(tag) {
  const head = Buffer.from(tag, 'latin1');
  assert.ok(head.length <= 24);
  const filler = Buffer.from(Array.from({ length: 32 - head.length }, (_, i) => ((0xf0 + i) % 256) | 0x80));
  return Buffer.concat([head, filler]);
}

/** Webhook secrets, one per role, so a leak names its source. */
const WEBHOOK_SECRET_A = distinctive('KW-TEST-SECRET-A~>?');
const WEBHOOK_SECRET_B = distinctive('KW-TEST-SECRET-B~>?');
const WEBHOOK_SECRET_ENV = distinctive('KW-TEST-SECRET-ENV~>?');
const WEBHOOK_SECRET_FILE = distinctive('KW-TEST-SECRET-FILE~>?');
/** An API client's secret key (HMAC key) and auth token. */
const CLIENT_SECRET_KEY = distinctive('KW-TEST-HMAC-KEY~>?');
const CLIENT_AUTH_TOKEN = 'tok_KwTestAuthToken_9f8e7d6c5b4a39281706';

/** Standard, padded base64: how secrets are handed to the package. */
function b64(raw) {
  return Buffer.from(raw).toString('base64');
}

/** Every spelling of the secret bytes `raw` a leak could show. */
function forms(raw) {
  const buf = Buffer.from(raw);
  const standard = buf.toString('base64');
  const urlSafe = standard.replace(/\+/g, '-').replace(/\//g, '_');
  return {
    'latin-1': buf.toString('latin1'),
    base64: standard,
    'base64 unpadded': standard.replace(/=+$/, ''),
    'url-safe base64': urlSafe,
    'url-safe base64 unpadded': buf.toString('base64url'),
    hex: buf.toString('hex'),
    HEX: buf.toString('hex').toUpperCase(),
  };
}

/** A text credential: the text itself and every spelling of its UTF-8 bytes. */
function textForms(text) {
  const out = { text };
  for (const [name, value] of Object.entries(forms(Buffer.from(text, 'utf8')))) out[`utf-8 ${name}`] = value;
  return out;
}

/** `[label, form]` for each secret: a Buffer/Uint8Array is raw secret bytes, a string a text credential. */
function allForms(secrets) {
  const out = [];
  secrets.forEach((secret, index) => {
    const spelled = typeof secret === 'string' ? textForms(secret) : forms(secret);
    for (const [name, value] of Object.entries(spelled)) out.push([`secret #${index} as ${name}`, value]);
  });
  return out;
}

/** The forms of `secrets` found in `text`, whole or as a piece of WINDOW characters. */
function leaks(text, secrets) {
  const found = [];
  for (const [label, form] of allForms(secrets)) {
    const width = Math.min(WINDOW, form.length);
    for (let i = 0; i + width <= form.length; i++) {
      if (text.includes(form.slice(i, i + width))) {
        found.push(label);
        break;
      }
    }
  }
  return found;
}

/** Fails naming each rendering (`{ name: text }`) that shows any form of any of `secrets`. */
function assertNoLeak(renderings, secrets) {
  assert.ok(secrets.length > 0, 'nothing to look for');
  const bad = {};
  for (const [name, text] of Object.entries(renderings)) {
    const found = leaks(String(text), secrets);
    if (found.length > 0) bad[name] = found;
  }
  assert.deepEqual(bad, {}, `secret shown: ${JSON.stringify(bad)}`);
}

module.exports = {
  WINDOW,
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
};
