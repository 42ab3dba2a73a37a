// ESM entry points: `import` works for the package and its subpaths, and gives the very same
// classes as `require` (so instanceof works across both).

import test from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as esm from 'kompliant-webhooks';
import { Keyring, WebhookReceiver, UnknownKeyError, sealWebhook } from 'kompliant-webhooks';
import express, { webhookMiddleware } from 'kompliant-webhooks/express';
import fastify, { webhookPlugin } from 'kompliant-webhooks/fastify';
import fetchHandler, { webhookHandler } from 'kompliant-webhooks/fetch';
import RedisGuardDefault, { RedisGuard } from 'kompliant-webhooks/redis';

const require = createRequire(import.meta.url);

test('import and require give the same objects', () => {
  const cjs = require('kompliant-webhooks');
  assert.deepEqual(Object.keys(esm).sort(), Object.keys(cjs).sort());
  for (const name of Object.keys(cjs)) assert.equal(esm[name], cjs[name], name);
  assert.equal(webhookMiddleware, require('kompliant-webhooks/express').webhookMiddleware);
  assert.equal(express, webhookMiddleware);
  assert.equal(fastify, webhookPlugin);
  assert.equal(fetchHandler, webhookHandler);
  assert.equal(RedisGuard, require('kompliant-webhooks/redis').RedisGuard);
  assert.equal(RedisGuardDefault, RedisGuard);
});

test('an error thrown through the ESM entry is an instance of the CommonJS class', () => {
  const body = sealWebhook(
    { id: 'wh_1', eventType: 'E', timestamp: 't', accountId: 'a', schemaVersion: 's', keyId: 'whk_20251121_01' },
    '{}',
    Buffer.alloc(32, 1),
  ).body(0);
  assert.throws(() => new WebhookReceiver(new Keyring()).decrypt(body), (err) => {
    assert.ok(err instanceof UnknownKeyError);
    assert.ok(err instanceof require('kompliant-webhooks').WebhookError);
    return true;
  });
});
