'use strict';
// The receive path as a Node user sees it: keyrings, decrypt() with every body type, the
// Webhook object and its typed views, options, sealing, errors and redaction.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');
const k = require('..');
const { tempDir } = require('./helpers.js');

const KEY_ID = 'whk_20251121_01';
const SECRET = Buffer.alloc(32, 7).toString('base64');
const META = {
  id: 'wh_2x8mKq9vNcR4tLpW7yJhBd',
  eventType: 'WORKFLOW_COMPLETED',
  timestamp: '2025-11-21T14:30:22.123Z',
  accountId: 'sb_8f3k2m9x',
  schemaVersion: '2025-11-21',
  keyId: KEY_ID,
};
const WORKFLOW = {
  version: '1.0',
  subject_record_id: 'sr_1',
  user_context: { user_id: 'u_1', user_type: 'API_KEY' },
  workflow_id: 'w_1',
  workflow_type: 'BUSINESS_APPLICATION',
  extra: { nested: [1, 'x'] },
};

function receiver(options) {
  return new k.WebhookReceiver(new k.Keyring({ [KEY_ID]: SECRET }), options);
}

function sealed(payload = WORKFLOW, meta = META, options) {
  return k.sealWebhook(meta, payload, SECRET, options);
}

test('decrypt accepts a Buffer, a Uint8Array, an ArrayBuffer, a DataView and a string', () => {
  const body = sealed().body(3);
  const r = receiver();
  const u8 = new Uint8Array(body);
  for (const b of [body, u8, u8.buffer, new DataView(u8.buffer), body.toString('utf8')]) {
    const w = r.decrypt(b);
    assert.equal(w.id, META.id);
    assert.equal(w.retryCount, 3);
  }
});

test('decrypt of a sub-view reads only the view', () => {
  const body = sealed().body(0);
  const padded = Buffer.concat([Buffer.from('xxxx'), body, Buffer.from('yyyy')]);
  const view = new Uint8Array(padded.buffer, padded.byteOffset + 4, body.length);
  assert.equal(receiver().decrypt(view).id, META.id);
});

test('an already-parsed body is refused with a message about raw bodies', () => {
  const parsed = JSON.parse(sealed().body(0).toString());
  assert.throws(() => receiver().decrypt(parsed), (err) => {
    assert.ok(err instanceof TypeError);
    assert.match(err.message, /raw request body/);
    assert.match(err.message, /express\.raw/);
    return true;
  });
  assert.throws(() => receiver().decrypt(undefined), TypeError);
  assert.throws(() => receiver().decrypt(42), TypeError);
});

test('a Webhook exposes verified metadata, the exact payload text, a plain object and typed views', () => {
  const w = receiver().decrypt(sealed().body(1));
  assert.deepEqual(w.metadata, META);
  assert.equal(w.payloadText, JSON.stringify(WORKFLOW));
  assert.deepEqual(w.payload, WORKFLOW);
  assert.equal(Object.getPrototypeOf(w.payload), Object.prototype);
  assert.equal(w.payload, w.payload, 'parsed once');
  assert.deepEqual(w.event(), {
    type: 'workflow',
    eventType: 'WORKFLOW_COMPLETED',
    version: '1.0',
    subjectRecordId: 'sr_1',
    userContext: { userId: 'u_1', userType: 'API_KEY' },
    workflowId: 'w_1',
    workflowType: 'BUSINESS_APPLICATION',
  });
  assert.ok(Object.isFrozen(w));
  assert.throws(() => new k.Webhook(), TypeError);
});

test('the payload text is byte-exact, unicode and odd spacing included', () => {
  const text = '{ "version":"1.0",  "name":"Zoë \\u00e9 😀", "n": 1.50 }';
  const w = receiver().decrypt(sealed(text).body(0));
  assert.equal(w.payloadText, text);
  assert.equal(w.payload.name, 'Zoë é 😀');
});

test('subject-record updates list their entities; unknown types are `other`', () => {
  const update = {
    version: '1.1',
    subject_record_id: 'sr_2',
    user_context: { user_id: 'u_2', user_type: 'ROBOT' },
    entities: { persons: [{ person_id: 'p_1', fields: ['address.city'] }], business: [] },
  };
  const w = receiver().decrypt(sealed(update, { ...META, eventType: 'SUBJECT_RECORD_DATA_UPDATED' }).body(0));
  const e = w.event();
  assert.equal(e.type, 'subjectRecordDataUpdated');
  assert.equal(e.userContext.userType, 'ROBOT');
  assert.deepEqual(e.entities, {
    business: [],
    persons: [{ idField: 'person_id', id: 'p_1', fields: ['address.city'] }],
    bankAccounts: [],
    salesInfo: [],
  });
  const doc = receiver().decrypt(sealed({ version: '1.0', document_id: 'd' }, { ...META, eventType: 'DOCUMENT_UPLOADED' }).body(0));
  assert.deepEqual(doc.event(), { type: 'other', eventType: 'DOCUMENT_UPLOADED' });
  assert.equal(doc.payload.document_id, 'd');
});

test('a payload that does not fit its view throws PayloadSchemaMismatchError without echoing it', () => {
  const bad = { ...WORKFLOW, workflow_id: ['private-value'] };
  const w = receiver().decrypt(sealed(bad).body(0));
  assert.throws(() => w.event(), (err) => {
    assert.ok(err instanceof k.PayloadSchemaMismatchError);
    assert.ok(err instanceof k.WebhookError);
    assert.equal(err.code, 'PAYLOAD_SCHEMA_MISMATCH');
    assert.doesNotMatch(err.message, /private-value/);
    return true;
  });
});

test('refusals are WebhookError subclasses with code, suggested status and public message', () => {
  const body = sealed().body(0);
  const cases = [
    [() => new k.WebhookReceiver(new k.Keyring()).decrypt(body), k.UnknownKeyError, 'UNKNOWN_KEY', 503],
    [() => receiver().decrypt('{"id":1}'), k.MalformedEnvelopeError, 'MALFORMED_ENVELOPE', 400],
    [() => receiver({ maxBodyBytes: 10 }).decrypt(body), k.BodyTooLargeError, 'BODY_TOO_LARGE', 413],
    [
      () => new k.WebhookReceiver(new k.Keyring({ [KEY_ID]: Buffer.alloc(32, 8) })).decrypt(body),
      k.DecryptionError,
      'DECRYPTION_FAILED',
      400,
    ],
    [() => receiver().decrypt(sealed('not json').body(0)), k.PayloadNotJsonError, 'PAYLOAD_NOT_JSON', 400],
    [
      () => receiver({ maxAgeSeconds: 60 }).decrypt(body, { now: new Date('2025-11-21T15:30:22Z') }),
      k.TimestampOutOfRangeError,
      'TIMESTAMP_OUT_OF_RANGE',
      400,
    ],
  ];
  for (const [fn, Class, code, status] of cases) {
    assert.throws(fn, (err) => {
      assert.ok(err instanceof Class, `${code}: ${err}`);
      assert.ok(err instanceof k.WebhookError);
      assert.ok(err instanceof k.KompliantError);
      assert.ok(err instanceof Error);
      assert.equal(err.code, code);
      assert.equal(err.name, Class.name);
      assert.equal(err.httpStatus, status);
      assert.equal(typeof err.publicMessage, 'string');
      assert.doesNotMatch(err.publicMessage, /whk_|tag|key/i);
      assert.match(err.stack, /receiver\.test\.js/, 'the stack starts at the caller');
      return true;
    });
  }
});

test('unknown-key and decryption errors name the key id (never the secret)', () => {
  assert.throws(() => new k.WebhookReceiver(new k.Keyring()).decrypt(sealed().body(0)), (err) => {
    assert.equal(err.keyId, KEY_ID);
    assert.ok(!(err.message + util.inspect(err)).includes(SECRET.slice(0, 12)));
    return true;
  });
});

test('a bad secret given to Keyring.add names the key id, as in every language', () => {
  for (const bad of ['not base64!', Buffer.alloc(31)]) {
    assert.throws(() => new k.Keyring().add(KEY_ID, bad), (err) => {
      assert.ok(err instanceof k.InvalidKeyError);
      assert.equal(err.keyId, KEY_ID);
      return true;
    });
  }
});

test('the time window is off by default and uses options.now when set', () => {
  const body = sealed().body(0);
  assert.equal(receiver().decrypt(body, { now: new Date('2035-01-01T00:00:00Z') }).id, META.id);
  const r = receiver({ maxAgeSeconds: 3600, maxFutureSkewSeconds: 60 });
  assert.equal(r.decrypt(body, { now: Date.parse('2025-11-21T15:30:22.123Z') }).id, META.id);
  assert.throws(() => r.decrypt(body, { now: Date.parse('2025-11-21T14:28:00Z') }), k.TimestampOutOfRangeError);
  assert.throws(() => r.decrypt(body, { now: 'yesterday' }), TypeError);
});

test('profiles: built-in names, a custom one, and bad options', () => {
  assert.deepEqual(k.PROFILES, ['kompliant-2025-11-21', 'kompliant-2025-11-21-no-aad']);
  assert.equal(receiver().profile, 'kompliant-2025-11-21');
  assert.equal(receiver().maxBodyBytes, 8 * 1024 * 1024);
  const noAad = sealed(WORKFLOW, META, { profile: 'kompliant-2025-11-21-no-aad' }).body(0);
  assert.throws(() => receiver().decrypt(noAad), k.DecryptionError);
  assert.equal(receiver({ profile: 'kompliant-2025-11-21-no-aad' }).decrypt(noAad).id, META.id);

  const custom = { name: 'tag-first', tagPosition: 'before_ciphertext', aad: { fields: ['id', 'key_id'], separator: '/' } };
  const body = sealed(WORKFLOW, META, { profile: custom }).body(0);
  assert.equal(receiver({ profile: custom }).profile, 'tag-first');
  assert.equal(receiver({ profile: custom }).decrypt(body).id, META.id);
  assert.throws(() => receiver().decrypt(body), k.DecryptionError);
  const noneCustom = { name: 'mine-no-aad', aad: 'none' };
  assert.equal(receiver({ profile: noneCustom }).decrypt(noAad).id, META.id);
  assert.equal(receiver({ profile: { name: 'empty-list', aad: { fields: [] } } }).decrypt(noAad).id, META.id);
  assert.equal(receiver({ profile: { name: 'x', tagPosition: 'after_ciphertext' } }).decrypt(sealed().body(0)).id, META.id);
});

test('custom profiles mean what the core means: absent AAD fields are the documented six', () => {
  // The default profile's AAD is the six fields joined by "|": a custom profile without
  // `aad`, with `aad: {}` or with only a separator must agree with it (or differ only in
  // the separator), never fall back to "no AAD".
  const standard = sealed().body(0);
  for (const profile of [{ name: 'a' }, { name: 'b', aad: {} }, { name: 'c', aad: { separator: '|' } }]) {
    assert.equal(receiver({ profile }).decrypt(standard).id, META.id, JSON.stringify(profile));
  }
  const semicolon = { name: 'semi', aad: { separator: ';' } };
  const semiBody = sealed(WORKFLOW, META, { profile: semicolon }).body(0);
  assert.equal(receiver({ profile: semicolon }).decrypt(semiBody).id, META.id);
  assert.throws(() => receiver().decrypt(semiBody), k.DecryptionError, 'the separator is authenticated');
  assert.throws(() => receiver({ profile: semicolon }).decrypt(standard), k.DecryptionError);
  const noAad = sealed(WORKFLOW, META, { profile: 'kompliant-2025-11-21-no-aad' }).body(0);
  for (const profile of [{ name: 'a' }, { name: 'b', aad: {} }]) {
    assert.throws(() => receiver({ profile }).decrypt(noAad), k.DecryptionError, 'absent fields are not "no AAD"');
  }
});

test('bad profile and receiver options: InvalidConfigurationError for values, TypeError for types', () => {
  const invalid = (options, pattern) =>
    assert.throws(() => receiver(options), (err) => {
      assert.ok(err instanceof k.InvalidConfigurationError, `${JSON.stringify(options)}: ${err}`);
      assert.ok(err instanceof k.KompliantError);
      assert.equal(err.code, 'INVALID_CONFIGURATION');
      assert.equal(err.name, 'InvalidConfigurationError');
      assert.match(err.message, pattern);
      assert.match(err.stack, /receiver\.test\.js/, 'the stack starts at the caller');
      return true;
    });
  invalid({ profile: 'nope' }, /unknown wire profile "nope".*kompliant-2025-11-21/);
  invalid({ profile: { name: 'x', tagPosition: 'middle' } }, /tag position "middle"/);
  invalid({ profile: { name: 'x', tagPosition: 'beforeCiphertext' } }, /after_ciphertext/);
  invalid({ profile: { name: 'x', aad: { fields: ['id', 'body'] } } }, /AAD field "body"/);
  invalid({ profile: { name: 'x', aad: { separator: '' } } }, /separator must not be empty/);
  invalid({ maxBodyBytes: 0 }, /max_body_bytes must be at least 1/);
  invalid({ maxBodyBytes: 1.5 }, /maxBodyBytes/);
  invalid({ maxBodyBytes: -1 }, /maxBodyBytes/);
  invalid({ maxAgeSeconds: -1 }, /maxAgeSeconds/);
  invalid({ maxFutureSkewSeconds: Number.NaN }, /maxFutureSkewSeconds/);
  assert.throws(() => sealed(WORKFLOW, META, { profile: { name: 'x', aad: { fields: ['nope'] } } }), k.InvalidConfigurationError);
  assert.throws(() => sealed(WORKFLOW, META, { profile: 'nope' }), k.InvalidConfigurationError);

  for (const options of [
    { profile: 5 },
    { profile: ['kompliant-2025-11-21'] },
    { profile: { tagPosition: 'after_ciphertext' } },
    { profile: { name: 'x', tagPosition: 1 } },
    { profile: { name: 'x', tagPosition: null } },
    { profile: { name: 'x', aad: 'all' } },
    { profile: { name: 'x', aad: null } },
    { profile: { name: 'x', aad: ['id'] } },
    { profile: { name: 'x', aad: { fields: 'id' } } },
    { profile: { name: 'x', aad: { fields: ['id', 3] } } },
    { profile: { name: 'x', aad: { separator: 0 } } },
    { profile: { name: 'x', aad: { field: ['id'] } } },
    { profile: { name: 'x', tag_position: 'before_ciphertext' } },
    { maxBodyBytes: '10' },
    { maxAgeSeconds: '60' },
  ]) {
    assert.throws(() => receiver(options), TypeError, JSON.stringify(options));
    if (options.profile !== undefined) assert.throws(() => sealed(WORKFLOW, META, options), TypeError, JSON.stringify(options));
  }
  assert.throws(() => new k.WebhookReceiver({}), TypeError);
});

test('a keyring shared with a receiver: keys added or removed later apply at once', () => {
  const ring = new k.Keyring();
  const r = new k.WebhookReceiver(ring);
  const body = sealed().body(0);
  assert.throws(() => r.decrypt(body), k.UnknownKeyError);
  assert.equal(ring.add(KEY_ID, SECRET), ring);
  assert.equal(r.decrypt(body).keyId, KEY_ID);
  assert.equal(r.keyring, ring);
  assert.ok(ring.has(KEY_ID));
  assert.equal(ring.size, 1);
  assert.equal(ring.remove(KEY_ID), true);
  assert.equal(ring.remove(KEY_ID), false);
  assert.throws(() => r.decrypt(body), k.UnknownKeyError);
});

test('keyrings from JSON, a file, and the environment; bad ones are InvalidKeyError / IoError', () => {
  const other = Buffer.alloc(32, 9).toString('base64');
  const json = JSON.stringify({ [KEY_ID]: SECRET, whk_20251121_100: other });
  assert.deepEqual(k.Keyring.fromJson(json).keyIds(), [KEY_ID, 'whk_20251121_100']);
  const dir = tempDir();
  const file = path.join(dir, 'keys.json');
  fs.writeFileSync(file, json);
  assert.equal(k.Keyring.fromFile(file).size, 2);
  assert.equal(k.Keyring.fromFile(new URL(`file://${file}`)).size, 2);
  assert.throws(() => k.Keyring.fromFile(path.join(dir, 'missing.json')), k.IoError);
  fs.rmSync(dir, { recursive: true });

  const env = { PATH: '/bin', KOMPLIANT_WEBHOOK_SECRET_20251121_01: `${SECRET}\n`, UNSET: undefined };
  assert.deepEqual(k.Keyring.fromEnv(env).keyIds(), [KEY_ID]);
  assert.throws(() => k.Keyring.fromEnv({ KOMPLIANT_WEBHOOK_SECRET_2025_1: SECRET }), k.InvalidKeyError);

  const docExample = Buffer.from('not-a-real-32-byte-secret').toString('base64');
  assert.throws(() => new k.Keyring({ [KEY_ID]: docExample }), (err) => {
    assert.ok(err instanceof k.InvalidKeyError);
    assert.match(err.message, /25 bytes/);
    assert.ok(!err.message.includes(docExample), err.message);
    return true;
  });
  assert.throws(() => k.Keyring.fromJson('[1]'), k.InvalidKeyError);
  assert.throws(() => new k.Keyring().add('bad id', SECRET), k.InvalidKeyError);
  assert.throws(() => new k.Keyring().add(KEY_ID, 12), TypeError);
});

test('keyrings print key ids and [REDACTED], never secrets', () => {
  const raw = Buffer.alloc(32, 0x41);
  const ring = new k.Keyring({ [KEY_ID]: SECRET, whk_20251121_02: raw });
  for (const text of [util.inspect(ring), util.inspect(ring, { showHidden: true, depth: 10 }), JSON.stringify(ring), String(ring), `${ring}`]) {
    assert.match(text, /whk_20251121_01/);
    assert.match(text, /\[REDACTED\]/);
    assert.ok(!text.includes(SECRET.slice(0, 16)), text);
    assert.ok(!text.includes(raw.toString('base64').slice(0, 16)), text);
  }
  const r = new k.WebhookReceiver(ring);
  assert.ok(!util.inspect(r, { showHidden: true, depth: 10 }).includes(SECRET.slice(0, 16)));
});

test('webhooks log their metadata but not the payload; toJSON carries the payload', () => {
  const w = receiver().decrypt(sealed({ ...WORKFLOW, ssn: '123-45-6789' }).body(0));
  const shown = util.inspect(w);
  assert.match(shown, /wh_2x8mKq9vNcR4tLpW7yJhBd/);
  assert.match(shown, /bytes>/);
  assert.doesNotMatch(shown, /123-45-6789/);
  assert.equal(JSON.parse(JSON.stringify(w)).payload.ssn, '123-45-6789');
});

test('sealing: same envelope on every retry, fixed nonce reproducible, bad input refused', () => {
  const env = sealed();
  assert.deepEqual(env.metadata, META);
  const first = JSON.parse(env.body(0));
  const later = JSON.parse(env.body(5));
  assert.equal(first.data, later.data);
  assert.equal(later.retry_count, 5);
  assert.equal(first.data, env.data);
  const nonce = Buffer.alloc(12, 1);
  assert.equal(sealed(WORKFLOW, META, { nonce }).data, sealed(WORKFLOW, META, { nonce }).data);
  assert.notEqual(sealed().data, sealed().data);
  assert.throws(() => sealed(WORKFLOW, META, { nonce: Buffer.alloc(11) }), RangeError);
  assert.throws(() => sealed(WORKFLOW, { ...META, id: 'a|b' }), k.MalformedEnvelopeError);
  assert.throws(() => sealed(WORKFLOW, { ...META, id: 5 }), TypeError);
  assert.throws(() => env.body(-1), RangeError);
  assert.throws(() => k.sealWebhook(META, WORKFLOW, 'c2hvcnQ='), k.InvalidKeyError);
  const s = k.generateWebhookSecret();
  assert.equal(Buffer.from(s, 'base64').length, 32);
  assert.notEqual(s, k.generateWebhookSecret());
});

test('addToKeyringFile writes atomically with mode 0600 and keeps existing keys', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'keys.json');
  await k.addToKeyringFile(file, KEY_ID, SECRET);
  await k.addToKeyringFile(file, 'whk_20251121_02', Buffer.alloc(32, 3));
  assert.deepEqual(k.Keyring.fromFile(file).keyIds(), [KEY_ID, 'whk_20251121_02']);
  if (process.platform !== 'win32') assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  await assert.rejects(k.addToKeyringFile(file, 'bad id', SECRET), k.InvalidKeyError);
  await assert.rejects(k.addToKeyringFile('/nonexistent-dir/keys.json', KEY_ID, SECRET), k.IoError);
  await assert.rejects(k.addToKeyringFile(file, KEY_ID, 5), TypeError);
  fs.rmSync(dir, { recursive: true });
});
