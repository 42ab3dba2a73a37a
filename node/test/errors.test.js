'use strict';
// The Error classes: one per stable code of the core, the right base class, instanceof,
// names, and the fields of API errors as they come from the native module.

const test = require('node:test');
const assert = require('node:assert/strict');
const k = require('..');
const { fromNative, WEBHOOK_CLASSES, API_CLASSES } = require('../lib/errors.js');

test('every core error code has exactly one package class, and no class lacks a code', () => {
  const mapped = [...Object.keys(WEBHOOK_CLASSES), ...Object.keys(API_CLASSES)].sort();
  assert.deepEqual(mapped, [...k.ERROR_CODES].sort());
  assert.equal(k.ERROR_CODES.length, 26);
  for (const [code, Class] of Object.entries(WEBHOOK_CLASSES)) {
    assert.equal(k[Class.name], Class, `${Class.name} is exported`);
    assert.ok(Class.prototype instanceof k.WebhookError, code);
  }
  for (const [code, Class] of Object.entries(API_CLASSES)) {
    assert.equal(k[Class.name], Class, `${Class.name} is exported`);
    assert.ok(Class.prototype instanceof k.ApiError, code);
  }
  assert.ok(k.WebhookError.prototype instanceof k.KompliantError);
  assert.ok(k.ApiError.prototype instanceof k.KompliantError);
  assert.ok(k.KompliantError.prototype instanceof Error);
});

test('an API error from the native module keeps code, sub-code, entity, status, trace id and retry-after', () => {
  const fields = {
    kind: 'api',
    code: 'DAILY_KEY_LIMIT',
    message: 'webhook.key.create: DAILY_KEY_LIMIT: Maximum daily key creation limit reached (HTTP 400)',
    httpStatus: 400,
    serverCode: 'SYSTEM_RULE_VIOLATION',
    subCode: 'DAILY_KEY_LIMIT',
    entityType: 'Webhook Key',
    traceId: 'trc_1',
    retryAfter: 2,
    method: 'webhook.key.create',
    attempts: 1,
  };
  const err = fromNative(new Error(`KOMPLIANT_ERROR:${JSON.stringify(fields)}`));
  assert.ok(err instanceof k.DailyKeyLimitError);
  assert.ok(err instanceof k.ApiError);
  assert.equal(err.name, 'DailyKeyLimitError');
  assert.equal(err.message, fields.message);
  for (const f of ['code', 'httpStatus', 'serverCode', 'subCode', 'entityType', 'traceId', 'retryAfter', 'method', 'attempts']) {
    assert.equal(err[f], fields[f], f);
  }
  const bare = fromNative(new Error('KOMPLIANT_ERROR:{"kind":"api","code":"TIMEOUT","message":"m"}'));
  assert.ok(bare instanceof k.TimeoutError);
  assert.equal(bare.httpStatus, null);
  assert.equal(bare.traceId, null);
  assert.equal(bare.subCode, null);
});

test('INTERNAL from the rotation probe is an ApiError; a caught panic is a KompliantError', () => {
  const probe = fromNative(new Error('KOMPLIANT_ERROR:{"kind":"api","code":"INTERNAL","message":"m"}'));
  assert.ok(probe instanceof k.ApiError);
  assert.equal(probe.code, 'INTERNAL');
  const panic = fromNative(new Error('KOMPLIANT_ERROR:{"kind":"internal","code":"INTERNAL","message":"panicked"}'));
  assert.ok(panic instanceof k.KompliantError);
  assert.equal(panic.code, 'INTERNAL');
});

test('errors that are not from the native module pass through unchanged', () => {
  const plain = new Error('boom');
  assert.equal(fromNative(plain), plain);
  assert.equal(fromNative('text'), 'text');
});

test('a cause is attached when given', () => {
  const cause = new Error('disk full');
  const err = fromNative(new Error('KOMPLIANT_ERROR:{"kind":"api","code":"STORE_FAILED","message":"m"}'), cause);
  assert.ok(err instanceof k.StoreFailedError);
  assert.equal(err.cause, cause);
});

test('every class has its default code; webhook errors take their answer from the core', () => {
  for (const [code, Class] of [...Object.entries(WEBHOOK_CLASSES), ...Object.entries(API_CLASSES)]) {
    const err = new Class('m');
    assert.equal(err.code, code, Class.name);
    assert.equal(Class.defaultCode, code);
    assert.equal(err.message, 'm');
    assert.equal(err.name, Class.name);
  }
  const unknown = new k.UnknownKeyError('key whk_1 not held');
  assert.equal(unknown.code, 'UNKNOWN_KEY');
  assert.equal(unknown.httpStatus, 503);
  assert.equal(unknown.publicMessage, 'webhook cannot be processed yet; retry later');
  assert.equal(unknown.keyId, null);
  assert.equal(new k.BodyTooLargeError('m').httpStatus, 413);
  assert.equal(new k.DecryptionError('m').publicMessage, 'webhook rejected');
  assert.equal(new k.InvalidKeyError('m').httpStatus, 500);
  // The answer an error class carries is the one the native receiver gives that code.
  const body = k.sealWebhook(
    { id: 'wh_1', eventType: 'E', timestamp: 't', accountId: 'a', schemaVersion: 's', keyId: 'whk_20251121_01' },
    '{}',
    Buffer.alloc(32, 1),
  ).body(0);
  assert.throws(() => new k.WebhookReceiver(new k.Keyring()).decrypt(body), (err) => {
    assert.equal(err.httpStatus, unknown.httpStatus);
    assert.equal(err.publicMessage, unknown.publicMessage);
    return true;
  });
  // Explicit values win; the base classes default to INTERNAL.
  const custom = new k.WebhookError('m', 'MALFORMED_ENVELOPE', { httpStatus: 418, publicMessage: 'p', keyId: 'whk_x' });
  assert.deepEqual([custom.code, custom.httpStatus, custom.publicMessage, custom.keyId], ['MALFORMED_ENVELOPE', 418, 'p', 'whk_x']);
  assert.equal(new k.WebhookError('m').code, 'INTERNAL');
  assert.equal(new k.WebhookError('m').httpStatus, 500);
  assert.equal(new k.KompliantError('m').code, 'INTERNAL');
  assert.equal(new k.ApiError('m').code, 'INTERNAL');
  const api = new k.DailyKeyLimitError('m', undefined, { subCode: 'DAILY_KEY_LIMIT' }, { cause: 'c' });
  assert.deepEqual([api.code, api.subCode, api.httpStatus, api.attempts, api.cause], ['DAILY_KEY_LIMIT', 'DAILY_KEY_LIMIT', null, 0, 'c']);
  class MyUnknownKey extends k.UnknownKeyError {}
  assert.equal(new MyUnknownKey('m').code, 'UNKNOWN_KEY');
});

test("httpAnswer and HANDLER_FAILURE_STATUS are the core's", () => {
  assert.equal(k.HANDLER_FAILURE_STATUS, 500);
  assert.deepEqual(k.httpAnswer('UNKNOWN_KEY'), { status: 503, publicMessage: 'webhook cannot be processed yet; retry later' });
  assert.deepEqual(k.httpAnswer('BODY_TOO_LARGE'), { status: 413, publicMessage: 'webhook body too large' });
  assert.deepEqual(k.httpAnswer('PAYLOAD_NOT_JSON'), { status: 400, publicMessage: 'webhook rejected' });
  assert.deepEqual(k.httpAnswer('INTERNAL'), { status: 500, publicMessage: 'webhook receiver error' });
  for (const code of k.ERROR_CODES) assert.equal(typeof k.httpAnswer(code).status, 'number', code);
  assert.throws(() => k.httpAnswer('NOPE'), RangeError);
  assert.throws(() => k.httpAnswer(5), TypeError);
});

test('INVALID_CONFIGURATION from the receive side is the one InvalidConfigurationError class', () => {
  const err = fromNative(
    new Error('KOMPLIANT_ERROR:{"kind":"webhook","code":"INVALID_CONFIGURATION","message":"m","httpStatus":500,"publicMessage":"p"}'),
  );
  assert.ok(err instanceof k.InvalidConfigurationError);
  assert.equal(err.code, 'INVALID_CONFIGURATION');
  assert.equal(err.httpStatus, null, 'no HTTP answer was received');
  const internal = fromNative(new Error('KOMPLIANT_ERROR:{"kind":"webhook","code":"INTERNAL","message":"m","httpStatus":500,"publicMessage":"p"}'));
  assert.ok(internal instanceof k.InternalError);
});
