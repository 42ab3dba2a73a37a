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
