'use strict';
// The duplicate guard: MemoryGuard (the core's), the core's claim parsing and answers, a guard
// written in JavaScript, key retirement, and the `guard` option of the Express, Fastify and
// fetch adapters over real HTTP on loopback.

const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const express = require('express');
const Fastify = require('fastify');
const k = require('..');
const { webhookMiddleware } = require('kompliant-webhooks/express');
const { webhookPlugin } = require('kompliant-webhooks/fastify');
const { webhookHandler } = require('kompliant-webhooks/fetch');
const { listen } = require('./helpers.js');

const KEY_ID = 'whk_20251121_01';
const SECRET = Buffer.alloc(32, 9).toString('base64');
const META = { id: 'wh_guard0000000000000001', eventType: 'WORKFLOW_CREATED', timestamp: '2025-11-21T14:30:22Z', accountId: 'sb_1', schemaVersion: '2025-11-21', keyId: KEY_ID };
const receiver = new k.WebhookReceiver(new k.Keyring({ [KEY_ID]: SECRET }));
const body = (id = META.id, retry = 0) => k.sealWebhook({ ...META, id }, { version: '1.0' }, SECRET).body(retry);

/** A guard written in JavaScript, async like a store's would be. */
class MapGuard {
  constructor() {
    this.state = new Map();
    this.calls = [];
  }
  async claim(id, lease) {
    this.calls.push(`claim ${id} ${lease}`);
    const s = this.state.get(id);
    if (s === 'done') return 'ALREADY_COMPLETED';
    if (s === 'busy') return 'IN_PROGRESS';
    this.state.set(id, 'busy');
    return 'ACQUIRED';
  }
  async complete(id) {
    this.calls.push(`complete ${id}`);
    this.state.set(id, 'done');
  }
  async release(id) {
    this.calls.push(`release ${id}`);
    if (this.state.get(id) === 'busy') this.state.delete(id);
  }
}

test('claims and outcomes are the core\'s', () => {
  assert.deepEqual(k.CLAIMS, ['ACQUIRED', 'ALREADY_COMPLETED', 'IN_PROGRESS', 'AT_CAPACITY']);
  assert.equal(k.outcomeForClaim('ACQUIRED'), null);
  const done = k.outcomeForClaim('ALREADY_COMPLETED');
  assert.deepEqual({ ...done }, { name: 'ALREADY_PROCESSED', httpStatus: 200, publicMessage: 'webhook already processed', isDuplicate: true, willBeRedelivered: false });
  assert.equal(k.outcomeForClaim('IN_PROGRESS').httpStatus, 503);
  assert.equal(k.outcomeForClaim('AT_CAPACITY').httpStatus, 503);
  assert.equal(k.outcomeAfterHandler(false).httpStatus, 500);
  assert.equal(k.outcomeAfterHandler(true).name, 'PROCESSED');
  assert.throws(() => k.outcomeForClaim('acquired'), k.InternalError);
  assert.throws(() => k.outcomeForClaim(undefined), k.InternalError);
  assert.equal(k.DEFAULT_CLAIM_LEASE_SECONDS, 300);
});

test('MemoryGuard claims once, completes, releases, and is bounded', async () => {
  const g = new k.MemoryGuard({ maxEntries: 2, retentionSeconds: 3600 });
  assert.equal(g.maxEntries, 2);
  assert.equal(g.retentionSeconds, 3600);
  assert.equal(g.claim('a'), 'ACQUIRED');
  assert.equal(g.claim('a'), 'IN_PROGRESS');
  g.release('a');
  assert.equal(g.claim('a', 60), 'ACQUIRED');
  g.complete('a');
  g.release('a'); // never forgets a completed id
  assert.equal(g.claim('a'), 'ALREADY_COMPLETED');
  assert.equal(g.claim('b'), 'ACQUIRED');
  assert.equal(g.claim('c'), 'AT_CAPACITY');
  assert.equal(g.size, 2);
  assert.match(String(g), /maxEntries=2/);
  assert.throws(() => new k.MemoryGuard({ maxEntries: 0 }), RangeError);
  assert.throws(() => new k.MemoryGuard({ retentionSeconds: -1 }), RangeError);
  const lapsing = new k.MemoryGuard();
  assert.equal(lapsing.claim('wh_x', 0.05), 'ACQUIRED');
  assert.equal(lapsing.claim('wh_x', 0.05), 'IN_PROGRESS');
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(lapsing.claim('wh_x', 0.05), 'ACQUIRED'); // the first claimer died: lease over
});

test('a retired key keeps decrypting until it expires', async () => {
  const keyring = new k.Keyring({ [KEY_ID]: SECRET });
  const r = new k.WebhookReceiver(keyring);
  const before = Date.now();
  assert.equal(keyring.retire(KEY_ID), true);
  const [retired] = keyring.retiredKeys();
  assert.equal(retired.keyId, KEY_ID);
  const days = (retired.expiresAt.getTime() - before) / 86400000;
  assert.ok(days > 6.99 && days < 7.01, String(days));
  assert.equal(r.decrypt(body()).id, META.id);
  assert.equal(keyring.retire('whk_20990101_01'), false);
  assert.throws(() => keyring.retire(KEY_ID, -1), RangeError);
  keyring.retire(KEY_ID, 0.05);
  await new Promise((res) => setTimeout(res, 150));
  assert.throws(() => r.decrypt(body()), k.UnknownKeyError);
  assert.deepEqual(keyring.retiredKeys(), []);
});

async function post(url, data) {
  const res = await fetch(url, { method: 'POST', body: data, headers: { 'content-type': 'application/json' } });
  return { status: res.status, text: await res.text() };
}

async function withServer(server, fn) {
  const url = await listen(server);
  try {
    await fn(url);
  } finally {
    server.closeAllConnections?.();
    await new Promise((r) => server.close(r));
  }
}

function fetchServer(handler) {
  return http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const response = await handler(new Request(`http://${req.headers.host}${req.url}`, { method: req.method, headers: req.headers, body: Buffer.concat(chunks) }));
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
}

const ADAPTERS = {
  async express(options, fn) {
    const app = express();
    app.use('/webhooks', webhookMiddleware(options));
    await withServer(http.createServer(app), (url) => fn(`${url}/webhooks`));
  },
  async fastify(options, fn) {
    const app = Fastify();
    app.register(webhookPlugin, { ...options, path: '/webhooks' });
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      await fn(`http://127.0.0.1:${app.server.address().port}/webhooks`);
    } finally {
      await app.close();
    }
  },
  async fetch(options, fn) {
    await withServer(fetchServer(webhookHandler(options)), (url) => fn(`${url}/webhooks`));
  },
};

for (const [name, serve] of Object.entries(ADAPTERS)) {
  for (const [kind, makeGuard] of [['MemoryGuard', () => new k.MemoryGuard()], ['a JS guard', () => new MapGuard()]]) {
    test(`${name} with ${kind}: duplicates skip the handler, a failure lets the retry through, in progress gets 503`, async () => {
      const guard = makeGuard();
      const handled = [];
      const errors = [];
      let fail = true;
      const options = {
        receiver,
        guard,
        leaseSeconds: 60,
        onWebhook: async (webhook) => {
          handled.push(webhook.id);
          if (fail) {
            fail = false;
            throw new Error('handler bug');
          }
        },
        onError: (err) => errors.push(err),
      };
      await serve(options, async (url) => {
        assert.equal((await post(url, body(META.id, 0))).status, 500); // released
        assert.equal((await post(url, body(META.id, 1))).status, 200); // the retry is processed
        const dup = await post(url, body(META.id, 2));
        assert.deepEqual(dup, { status: 200, text: 'webhook already processed' });
        assert.deepEqual(handled, [META.id, META.id]);
        assert.equal(errors.length, 1);

        assert.equal(await guard.claim('wh_busy', 60), 'ACQUIRED'); // another worker has it
        const busy = await post(url, body('wh_busy'));
        assert.deepEqual(busy, { status: 503, text: 'webhook is being processed; retry later' });
        assert.equal(handled.length, 2);
        await guard.release('wh_busy'); // that worker failed
        assert.equal((await post(url, body('wh_busy'))).status, 200);
        assert.deepEqual(handled, [META.id, META.id, 'wh_busy']);
      });
      if (guard instanceof MapGuard) assert.equal(guard.calls[0], `claim ${META.id} 60`);
    });
  }

  test(`${name}: a guard that fails or answers nonsense gets 500 and never runs the handler`, async () => {
    const handled = [];
    const errors = [];
    const broken = {
      claim: async () => {
        throw new Error('connect ECONNREFUSED redis://:hunter2@10.0.0.1');
      },
      complete() {},
      release() {},
    };
    await serve({ receiver, guard: broken, onWebhook: (w) => handled.push(w.id), onError: (e) => errors.push(e) }, async (url) => {
      assert.equal((await post(url, body())).status, 500);
    });
    assert.ok(errors[0] instanceof k.InternalError);
    assert.doesNotMatch(errors[0].message, /hunter2/);
    assert.match(errors[0].cause.message, /ECONNREFUSED/);
    await serve({ receiver, guard: { claim: () => 'yes', complete() {}, release() {} }, onWebhook: (w) => handled.push(w.id), onError: (e) => errors.push(e) }, async (url) => {
      assert.equal((await post(url, body())).status, 500);
    });
    assert.ok(errors[1] instanceof k.InternalError);
    assert.deepEqual(handled, []);
  });
}

test('a complete that fails is reported and the answer stands', async () => {
  const errors = [];
  const guard = new MapGuard();
  guard.complete = async () => {
    throw new TypeError('store down');
  };
  await ADAPTERS.fetch({ receiver, guard, onWebhook() {}, onError: (e) => errors.push(e) }, async (url) => {
    assert.equal((await post(url, body())).status, 200);
  });
  assert.ok(errors[0] instanceof k.InternalError);
  assert.match(errors[0].message, /complete\(\) failed \(TypeError\)/);
});

test('the guard option is checked at start-up', () => {
  assert.throws(() => webhookHandler({ receiver, onWebhook() {}, guard: {} }), TypeError);
  assert.throws(() => webhookHandler({ receiver, onWebhook() {}, guard: new k.MemoryGuard(), leaseSeconds: -1 }), RangeError);
});
