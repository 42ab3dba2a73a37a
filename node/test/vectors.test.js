'use strict';
// Every cross-language conformance vector of tests/vectors/webhooks.json (see its README):
// build the keyring, build the receiver with the case's options, open the exact body bytes,
// and compare metadata, retry count and payload bytes, or the error's stable code.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { Keyring, WebhookReceiver, KompliantError, WebhookError } = require('..');
const { VECTORS } = require('./helpers.js');

const { cases, profile } = JSON.parse(fs.readFileSync(VECTORS, 'utf8'));

/** Runs one case; returns `{ error: code }` or the opened webhook's fields. */
function run(c) {
  return open(c, (receiver, body, options) => receiver.decrypt(body, options));
}

/** Case `c` through `decrypt(receiver, body, options)`: `{ error: code }` (keyring, options or body refused), or `{ webhook }` (what the call returned). */
function open(c, decrypt) {
  const o = c.options ?? {};
  let receiver;
  try {
    const keyring = Keyring.fromJson(c.keyring);
    receiver = new WebhookReceiver(keyring, {
      profile: o.aad === 'none' ? 'kompliant-2025-11-21-no-aad' : profile,
      maxBodyBytes: o.max_body_bytes,
      maxAgeSeconds: o.max_age_seconds,
      maxFutureSkewSeconds: o.max_future_skew_seconds,
    });
  } catch (err) {
    assert.ok(err instanceof KompliantError, `keyring/receiver failed with a non-package error: ${err}`);
    return { error: err.code };
  }
  const body = Buffer.from(c.body_b64, 'base64');
  try {
    const w = decrypt(receiver, body, o.now ? { now: new Date(o.now) } : undefined);
    return { webhook: w };
  } catch (err) {
    assert.ok(err instanceof WebhookError, `decrypt failed with a non-WebhookError: ${err}`);
    return { error: err.code };
  }
}

test('the vector file has every case', () => {
  assert.equal(profile, 'kompliant-2025-11-21');
  assert.ok(cases.length >= 152, `only ${cases.length} cases`);
});

test('decryptAsync resolves with what decrypt returns, or rejects with its error, for every vector', async () => {
  for (const c of cases) {
    const sync = run(c);
    const promised = open(c, (receiver, body, options) => receiver.decryptAsync(body, options));
    if (promised.error !== undefined) {
      assert.equal(promised.error, sync.error, c.name); // the receiver itself was refused
      continue;
    }
    assert.ok(promised.webhook instanceof Promise, c.name);
    let got;
    try {
      got = { webhook: await promised.webhook };
    } catch (err) {
      assert.ok(err instanceof WebhookError, `${c.name}: decryptAsync rejected with a non-WebhookError: ${err}`);
      got = { error: err.code };
    }
    assert.equal(got.error, sync.error, c.name);
    if (sync.webhook) {
      assert.deepEqual(got.webhook.metadata, sync.webhook.metadata, c.name);
      assert.equal(got.webhook.payloadText, sync.webhook.payloadText, c.name);
      assert.deepEqual(got.webhook.payload, sync.webhook.payload, c.name);
    }
  }
});

for (const c of cases) {
  test(`vector: ${c.name}`, () => {
    const got = run(c);
    if (c.expect.error) {
      assert.equal(got.error, c.expect.error, c.description);
      return;
    }
    assert.equal(got.error, undefined, `expected success, got ${got.error}: ${c.description}`);
    const w = got.webhook;
    const m = c.expect.metadata;
    assert.deepEqual(w.metadata, {
      id: m.id,
      eventType: m.event_type,
      timestamp: m.timestamp,
      accountId: m.account_id,
      schemaVersion: m.schema_version,
      keyId: m.key_id,
    });
    assert.equal(w.retryCount, c.expect.retry_count);
    assert.ok(Buffer.from(w.payloadText, 'utf8').equals(Buffer.from(c.expect.payload_b64, 'base64')), 'payload bytes differ');
  });
}
