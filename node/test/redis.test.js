'use strict';
// RedisGuard against a real redis-server (scripts/suites/node.sh starts a private one on
// loopback and sets KOMPLIANT_TEST_REDIS_URL), with both supported clients.

const test = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const { randomUUID } = require('node:crypto');
const { createClient } = require('redis');
const IORedis = require('ioredis');
const k = require('..');
const { RedisGuard } = require('kompliant-webhooks/redis');
const { webhookHandler } = require('kompliant-webhooks/fetch');

const URL_ = process.env.KOMPLIANT_TEST_REDIS_URL;
const skip = URL_ ? false : 'no redis-server: run through scripts/test node';

const KEY_ID = 'whk_20251121_01';
const SECRET = Buffer.alloc(32, 3).toString('base64');
const META = { id: 'wh_redis000000000000001', eventType: 'WORKFLOW_CREATED', timestamp: '2025-11-21T14:30:22Z', accountId: 'sb_1', schemaVersion: '2025-11-21', keyId: KEY_ID };
const receiver = new k.WebhookReceiver(new k.Keyring({ [KEY_ID]: SECRET }));
const body = (id = META.id, retry = 0) => k.sealWebhook({ ...META, id }, { version: '1.0' }, SECRET).body(retry);

const CLIENTS = {
  'node-redis': {
    async open() {
      return createClient({ url: URL_ }).connect();
    },
    close: (c) => c.quit(),
    pttl: (c, key) => c.pTTL(key),
  },
  ioredis: {
    async open() {
      return new IORedis(URL_, { lazyConnect: false, maxRetriesPerRequest: 1 });
    },
    close: (c) => c.quit(),
    pttl: (c, key) => c.pttl(key),
  },
};

/** A handler over the fetch adapter, called directly with a Request. */
function handlerFor(guard, handled, fail) {
  const handler = webhookHandler({
    receiver,
    guard,
    onWebhook: (w) => {
      handled.push(w.id);
      if (fail.length && fail.shift()) throw new Error('handler bug');
    },
    onError: () => {},
  });
  return async (data) => (await handler(new Request('http://localhost/webhooks', { method: 'POST', body: data }))).status;
}

for (const [name, c] of Object.entries(CLIENTS)) {
  test(`${name}: claim, complete and release in Redis`, { skip }, async () => {
    const client = await c.open();
    try {
      const prefix = `test:${randomUUID()}:`;
      const guard = new RedisGuard(client, { prefix, retentionSeconds: 3600 });
      assert.equal(await guard.claim('wh_a', 60), 'ACQUIRED');
      const lease = Number(await c.pttl(client, `${prefix}wh_a`));
      assert.ok(lease > 59000 && lease <= 60000, String(lease));
      assert.equal(await guard.claim('wh_a', 60), 'IN_PROGRESS');
      await guard.release('wh_a');
      assert.equal(await guard.claim('wh_a', 60), 'ACQUIRED');
      await guard.complete('wh_a');
      const kept = Number(await c.pttl(client, `${prefix}wh_a`));
      assert.ok(kept > 3590000 && kept <= 3600000, String(kept));
      await guard.release('wh_a'); // never releases a completed id
      assert.equal(await guard.claim('wh_a', 60), 'ALREADY_COMPLETED');

      assert.equal(await guard.claim('wh_lapse', 0.1), 'ACQUIRED');
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(await guard.claim('wh_lapse', 60), 'ACQUIRED'); // the lease ended

      const fixed = new RedisGuard(client, { prefix, leaseSeconds: 30 });
      assert.equal(await fixed.claim('wh_b', 600), 'ACQUIRED');
      const fixedLease = Number(await c.pttl(client, `${prefix}wh_b`));
      assert.ok(fixedLease > 29000 && fixedLease <= 30000, String(fixedLease));

      const results = await Promise.all(Array.from({ length: 16 }, () => guard.claim('wh_race', 60)));
      assert.deepEqual(results.sort(), ['ACQUIRED', ...Array(15).fill('IN_PROGRESS')]);
      assert.match(String(guard), new RegExp(prefix));
    } finally {
      await c.close(client);
    }
  });

  test(`${name}: two receivers sharing one Redis process each webhook once`, { skip }, async () => {
    const [one, two] = [await c.open(), await c.open()];
    try {
      const prefix = `test:${randomUUID()}:`;
      const handled = [];
      const fail = [true];
      const a = handlerFor(new RedisGuard(one, { prefix }), handled, fail);
      const b = handlerFor(new RedisGuard(two, { prefix }), handled, fail);
      assert.equal(await a(body(META.id, 0)), 500); // released
      assert.equal(await b(body(META.id, 1)), 200);
      assert.equal(await a(body(META.id, 2)), 200);
      assert.equal(await b(body(META.id, 3)), 200);
      assert.deepEqual(handled, [META.id, META.id]);
      await new RedisGuard(one, { prefix }).claim('wh_busy', 60);
      assert.equal(await b(body('wh_busy')), 503);
      assert.equal(handled.length, 2);
    } finally {
      await c.close(one);
      await c.close(two);
    }
  });
}

test('Redis unreachable: 500, the handler never runs', { skip }, async () => {
  const port = await new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
  const client = new IORedis({ host: '127.0.0.1', port, password: 'hunter2', lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  client.on('error', () => {});
  const handled = [];
  const errors = [];
  const handler = webhookHandler({ receiver, guard: new RedisGuard(client), onWebhook: (w) => handled.push(w.id), onError: (e) => errors.push(e) });
  const res = await handler(new Request('http://localhost/webhooks', { method: 'POST', body: body() }));
  assert.equal(res.status, 500);
  assert.deepEqual(handled, []);
  assert.ok(errors[0] instanceof k.InternalError);
  assert.doesNotMatch(errors[0].message, /hunter2/);
  client.disconnect();
});

test('RedisGuard refuses what is not a client', () => {
  assert.throws(() => new RedisGuard({}), TypeError);
  assert.throws(() => new RedisGuard(null), TypeError);
  assert.throws(() => new RedisGuard({ call() {} }, { retentionSeconds: 0 }), RangeError);
});
