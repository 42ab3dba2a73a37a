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

/** A guard written in JavaScript, async like a store's would be, fenced by the claim's token. */
class MapGuard {
  constructor() {
    this.state = new Map();
    this.calls = [];
  }
  async claim(id, token, lease) {
    this.calls.push(`claim ${id} ${lease}`);
    const s = this.state.get(id);
    if (s === 'done') return 'ALREADY_COMPLETED';
    if (s !== undefined) return 'IN_PROGRESS';
    this.state.set(id, token);
    return 'ACQUIRED';
  }
  async renew(id, token) {
    this.calls.push(`renew ${id}`);
    return this.state.get(id) === token ? 'HELD' : 'LOST';
  }
  async complete(id, token) {
    this.calls.push(`complete ${id}`);
    const s = this.state.get(id);
    if (s !== undefined && s !== token) return 'LOST';
    this.state.set(id, 'done');
    return 'HELD';
  }
  async release(id, token) {
    this.calls.push(`release ${id}`);
    if (this.state.get(id) !== token) return 'LOST';
    this.state.delete(id);
    return 'HELD';
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const TOKEN = 'someoneElsesToken';

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
  assert.equal(g.claim('a', 't1'), 'ACQUIRED');
  assert.equal(g.claim('a', 't2'), 'IN_PROGRESS');
  assert.equal(g.release('a', 't1'), 'HELD');
  assert.equal(g.claim('a', 't2', 60), 'ACQUIRED');
  assert.equal(g.renew('a', 't2', 60), 'HELD');
  assert.equal(g.complete('a', 't2'), 'HELD');
  assert.equal(g.release('a', 't2'), 'LOST'); // never forgets a completed id
  assert.equal(g.claim('a', 't3'), 'ALREADY_COMPLETED');
  assert.equal(g.claim('b', 't1'), 'ACQUIRED');
  assert.equal(g.claim('c', 't1'), 'AT_CAPACITY');
  assert.equal(g.size, 2);
  assert.match(String(g), /maxEntries=2/);
  assert.throws(() => new k.MemoryGuard({ maxEntries: 0 }), RangeError);
  assert.throws(() => new k.MemoryGuard({ retentionSeconds: -1 }), RangeError);
  assert.throws(() => g.claim('d'), TypeError); // no token
  assert.throws(() => g.claim('d', 'not a token!'), k.InternalError);
  const lapsing = new k.MemoryGuard();
  assert.equal(lapsing.claim('wh_x', 't1', 0.05), 'ACQUIRED');
  assert.equal(lapsing.claim('wh_x', 't2', 0.05), 'IN_PROGRESS');
  await sleep(150);
  assert.equal(lapsing.claim('wh_x', 't2', 0.05), 'ACQUIRED'); // the first claimer died: lease over
});

test('MemoryGuard fences: a stale holder\'s renew, release and complete answer LOST and change nothing', async () => {
  const g = new k.MemoryGuard();
  assert.equal(g.claim('wh_f', 'stale', 0.05), 'ACQUIRED');
  await sleep(120); // the stale holder's lease lapses ...
  assert.equal(g.claim('wh_f', 'fresh', 60), 'ACQUIRED'); // ... and a redelivery claims the id
  assert.equal(g.renew('wh_f', 'stale', 60), 'LOST');
  assert.equal(g.release('wh_f', 'stale'), 'LOST');
  assert.equal(g.claim('wh_f', 'third', 60), 'IN_PROGRESS'); // the fresh claim still stands
  assert.equal(g.complete('wh_f', 'stale'), 'LOST');
  assert.equal(g.claim('wh_f', 'third', 60), 'IN_PROGRESS'); // not completed by the stale holder
  assert.equal(g.renew('wh_f', 'fresh', 60), 'HELD');
  assert.equal(g.complete('wh_f', 'fresh'), 'HELD');
  assert.equal(g.claim('wh_f', 'third', 60), 'ALREADY_COMPLETED');
  // A lapsed claim nobody took since may still be completed by its holder.
  assert.equal(g.claim('wh_g', 'slow', 0.05), 'ACQUIRED');
  await sleep(120);
  assert.equal(g.complete('wh_g', 'slow'), 'HELD');
});

test('the handler failure rule is the core\'s: thrown, or a response status of 400 or more', () => {
  assert.equal(k.handlerSucceeded(false, null), true);
  assert.equal(k.handlerSucceeded(false, undefined), true);
  assert.equal(k.handlerSucceeded(false, 204), true);
  assert.equal(k.handlerSucceeded(false, 399), true);
  assert.equal(k.handlerSucceeded(false, 400), false);
  assert.equal(k.handlerSucceeded(false, 503), false);
  assert.equal(k.handlerSucceeded(true, 200), false);
  assert.equal(k.handlerSucceeded(true, null), false);
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

        assert.equal(await guard.claim('wh_busy', TOKEN, 60), 'ACQUIRED'); // another worker has it
        const busy = await post(url, body('wh_busy'));
        assert.deepEqual(busy, { status: 503, text: 'webhook is being processed; retry later' });
        assert.equal(handled.length, 2);
        assert.equal(await guard.release('wh_busy', TOKEN), 'HELD'); // that worker failed
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
      renew() {},
      complete() {},
      release() {},
    };
    await serve({ receiver, guard: broken, onWebhook: (w) => handled.push(w.id), onError: (e) => errors.push(e) }, async (url) => {
      assert.equal((await post(url, body())).status, 500);
    });
    assert.ok(errors[0] instanceof k.InternalError);
    assert.doesNotMatch(errors[0].message, /hunter2/);
    assert.match(errors[0].cause.message, /ECONNREFUSED/);
    await serve({ receiver, guard: { claim: () => 'yes', renew() {}, complete() {}, release() {} }, onWebhook: (w) => handled.push(w.id), onError: (e) => errors.push(e) }, async (url) => {
      assert.equal((await post(url, body())).status, 500);
    });
    assert.ok(errors[1] instanceof k.InternalError);
    assert.deepEqual(handled, []);
  });
}

/** Each adapter's way for a handler to answer by itself with `status`. */
const ANSWER_ITSELF = {
  express: (status, req, res) => {
    res.statusCode = status;
    res.end('answered by the handler');
  },
  fastify: (status, request, reply) => {
    reply.code(status).send('answered by the handler');
  },
  fetch: (status) => new Response('answered by the handler', { status }),
};

for (const [name, serve] of Object.entries(ADAPTERS)) {
  test(`${name}: a handler answering 400 or more itself has failed: the claim is released and the retry processed`, async () => {
    const guard = new k.MemoryGuard();
    const handled = [];
    let status = 500;
    const options = {
      receiver,
      guard,
      onWebhook: (webhook, ...context) => {
        handled.push(status);
        return ANSWER_ITSELF[name](status, ...context);
      },
    };
    await serve(options, async (url) => {
      assert.deepEqual(await post(url, body('wh_answers', 0)), { status: 500, text: 'answered by the handler' });
      status = 422;
      assert.equal((await post(url, body('wh_answers', 1))).status, 422); // released again
      status = 202;
      assert.deepEqual(await post(url, body('wh_answers', 2)), { status: 202, text: 'answered by the handler' });
      assert.deepEqual(await post(url, body('wh_answers', 3)), { status: 200, text: 'webhook already processed' });
    });
    assert.deepEqual(handled, [500, 422, 202]);
  });
}

test('the claim is renewed while a slow handler runs: a redelivery meanwhile gets 503 and the handler runs once', async () => {
  const guard = new k.MemoryGuard();
  const handled = [];
  const errors = [];
  await ADAPTERS.fetch({ receiver, guard, leaseSeconds: 0.3, onWebhook: async (w) => handled.push(w.id) && sleep(800), onError: (e) => errors.push(e) }, async (url) => {
    const first = post(url, body('wh_slow', 0));
    await sleep(450); // past the lease: only a renewal keeps the claim
    assert.equal((await post(url, body('wh_slow', 1))).status, 503);
    assert.equal((await first).status, 200);
    assert.deepEqual(await post(url, body('wh_slow', 2)), { status: 200, text: 'webhook already processed' });
  });
  assert.deepEqual(handled, ['wh_slow']);
  assert.deepEqual(errors, []);
});

test('without renewal a slow handler loses its claim: the redelivery runs too, and the loss is reported with the core\'s message', async () => {
  const guard = new k.MemoryGuard();
  const handled = [];
  const errors = [];
  await ADAPTERS.fetch({ receiver, guard, leaseSeconds: 0.1, renew: false, onWebhook: async (w) => handled.push(w.id) && sleep(300), onError: (e) => errors.push(e) }, async (url) => {
    const first = post(url, body('wh_lost', 0));
    await sleep(180);
    const second = post(url, body('wh_lost', 1));
    assert.deepEqual([(await first).status, (await second).status], [200, 200]);
  });
  assert.deepEqual(handled, ['wh_lost', 'wh_lost']);
  assert.equal(errors.length, 1);
  assert.ok(errors[0] instanceof k.InternalError);
  assert.match(errors[0].message, /claim on webhook wh_lost was lost.*processed twice/);
});

test('a renew that fails is reported and the handler carries on; a LOST renewal stops renewing', async () => {
  const errors = [];
  const guard = new MapGuard();
  guard.renew = async () => {
    throw new TypeError('store down');
  };
  let handled = 0;
  await ADAPTERS.fetch({ receiver, guard, leaseSeconds: 0.06, onWebhook: async () => { handled++; await sleep(100); }, onError: (e) => errors.push(e) }, async (url) => {
    assert.equal((await post(url, body('wh_renew'))).status, 200);
  });
  assert.equal(handled, 1);
  assert.ok(errors.length >= 1);
  assert.ok(errors.every((e) => e instanceof k.InternalError && /renew\(\) failed \(TypeError\)/.test(e.message)), String(errors));
  assert.equal(guard.state.get('wh_renew'), 'done');

  const lost = new MapGuard();
  let renewals = 0;
  lost.renew = async () => {
    renewals++;
    return 'LOST';
  };
  const lostErrors = [];
  await ADAPTERS.fetch({ receiver, guard: lost, leaseSeconds: 0.03, onWebhook: () => sleep(150), onError: (e) => lostErrors.push(e) }, async (url) => {
    assert.equal((await post(url, body('wh_renew_lost'))).status, 200);
  });
  assert.equal(renewals, 1);
  assert.match(lostErrors[0].message, /was lost/);
});

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

test('the guard option is checked at start-up', async () => {
  assert.throws(() => webhookHandler({ receiver, onWebhook() {}, guard: {} }), TypeError);
  // A guard of the earlier, unfenced shape (no renew) is refused, saying what a guard needs.
  const unfenced = { claim() {}, complete() {}, release() {} };
  const refused = { name: 'TypeError', message: /options\.guard has no renew\(\) method; a guard needs claim\(webhookId, token, leaseSeconds\), renew\(webhookId, token, leaseSeconds\)/ };
  assert.throws(() => webhookHandler({ receiver, onWebhook() {}, guard: unfenced }), refused);
  assert.throws(() => webhookMiddleware({ receiver, onWebhook() {}, guard: unfenced }), refused);
  const app = Fastify();
  app.register(webhookPlugin, { receiver, onWebhook() {}, guard: unfenced });
  await assert.rejects(app.ready(), refused);
  await app.close();
  assert.throws(() => webhookHandler({ receiver, onWebhook() {}, guard: new k.MemoryGuard(), leaseSeconds: -1 }), RangeError);
});
