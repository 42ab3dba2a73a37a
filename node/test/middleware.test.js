'use strict';
// The Express, Fastify and fetch-style middlewares over real HTTP on loopback: each answers
// with the suggested status, hands the handler a Webhook, and keeps the raw body.

const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { Readable } = require('node:stream');
const express = require('express');
const express4 = require('express4');
const Fastify = require('fastify');
const k = require('..');
const { webhookMiddleware } = require('kompliant-webhooks/express');
const { webhookPlugin } = require('kompliant-webhooks/fastify');
const { webhookHandler } = require('kompliant-webhooks/fetch');
const { listen } = require('./helpers.js');

const KEY_ID = 'whk_20251121_01';
const SECRET = Buffer.alloc(32, 5).toString('base64');
const META = {
  id: 'wh_middleware000000000001',
  eventType: 'WORKFLOW_STARTED',
  timestamp: '2025-11-21T14:30:22Z',
  accountId: 'sb_1',
  schemaVersion: '2025-11-21',
  keyId: KEY_ID,
};
const PAYLOAD = { version: '1.0', subject_record_id: 'sr_1', user_context: { user_id: 'u', user_type: 'USER' }, workflow_id: 'w_9', workflow_type: 'X' };

const receiver = new k.WebhookReceiver(new k.Keyring({ [KEY_ID]: SECRET }));
const GOOD = k.sealWebhook(META, PAYLOAD, SECRET).body(2);
const UNKNOWN = k.sealWebhook({ ...META, keyId: 'whk_20251121_99' }, PAYLOAD, Buffer.alloc(32, 6)).body(0);
const TAMPERED = Buffer.from(GOOD.toString().replace('"sb_1"', '"sb_2"'));

async function post(url, body, headers = { 'content-type': 'application/json' }) {
  const res = await fetch(url, { method: 'POST', body, headers });
  return { status: res.status, text: await res.text() };
}

/** A handler recording what it saw; `behaviour` can make it throw or answer itself. */
function recorder(behaviour) {
  const seen = { webhooks: [], errors: [] };
  return {
    seen,
    options: {
      receiver,
      onWebhook: async (webhook, req, res) => {
        seen.webhooks.push(webhook);
        if (behaviour === 'throw') throw new Error('handler bug');
        if (behaviour === 'answer') return res.status ? res.status(202).send('accepted') : res.code(202).send('accepted');
        return undefined;
      },
      onError: (err) => seen.errors.push(err),
    },
  };
}

/** The delivery cases every middleware must answer the same way. */
async function commonCases(url, seen) {
  let r = await post(url, GOOD);
  assert.equal(r.status, 200);
  assert.equal(seen.webhooks.length, 1);
  const w = seen.webhooks[0];
  assert.ok(w instanceof k.Webhook);
  assert.equal(w.id, META.id);
  assert.equal(w.retryCount, 2);
  assert.equal(w.event().workflowId, 'w_9');

  r = await post(url, UNKNOWN);
  assert.equal(r.status, 503);
  assert.equal(r.text, 'webhook cannot be processed yet; retry later');
  assert.ok(seen.errors.at(-1) instanceof k.UnknownKeyError);

  r = await post(url, TAMPERED);
  assert.equal(r.status, 400);
  assert.equal(r.text, 'webhook rejected');
  assert.ok(seen.errors.at(-1) instanceof k.DecryptionError);

  r = await post(url, 'not json at all', { 'content-type': 'text/plain' });
  assert.equal(r.status, 400);
  assert.ok(seen.errors.at(-1) instanceof k.MalformedEnvelopeError);

  r = await post(url, GOOD, {}); // no content type: still the raw bytes
  assert.equal(r.status, 200);

  r = await post(url, Buffer.alloc(9 * 1024 * 1024, 0x20));
  assert.equal(r.status, 413);
  assert.ok(seen.errors.at(-1) instanceof k.BodyTooLargeError);
  assert.equal(seen.webhooks.length, 2, 'only the good deliveries reached the handler');
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

for (const [name, expressLib] of [
  ['Express 5', express],
  ['Express 4', express4],
]) {
  test(`${name}: deliveries get the suggested status and the handler a Webhook`, async () => {
    const { seen, options } = recorder();
    const app = expressLib();
    app.use('/webhooks', webhookMiddleware(options));
    app.use(expressLib.json()); // after the webhook route: allowed
    app.post('/api/echo', (req, res) => res.json(req.body));
    await withServer(http.createServer(app), async (url) => {
      await commonCases(`${url}/webhooks`, seen);
      const echo = await fetch(`${url}/api/echo`, { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } });
      assert.deepEqual(await echo.json(), { a: 1 }, 'other routes keep their JSON parser');
      const get = await fetch(`${url}/webhooks`);
      assert.equal(get.status, 405);
      assert.equal(get.headers.get('allow'), 'POST');
    });
  });

  test(`${name}: mounting after express.json() fails at start-up`, () => {
    const app = expressLib();
    app.use(expressLib.json());
    assert.throws(() => app.use('/webhooks', webhookMiddleware(recorder().options)), (err) => {
      assert.equal(err.code, 'ERR_KOMPLIANT_PARSED_BODY');
      assert.match(err.message, /express\.json\(\)/);
      assert.match(err.message, /raw request body/);
      return true;
    });
    const scoped = expressLib();
    scoped.use('/api', expressLib.json()); // another path: fine
    scoped.use('/webhooks', webhookMiddleware(recorder().options));
    const onPath = expressLib();
    onPath.use('/webhooks', expressLib.json());
    assert.throws(() => onPath.use('/webhooks', webhookMiddleware(recorder().options)), /mounted before/);
  });
}

test('Express: a body parsed by a router-level express.json() is refused loudly at request time', async () => {
  const { seen, options } = recorder();
  const errors = [];
  const app = express();
  const router = express.Router();
  router.use(express.json());
  router.use(webhookMiddleware(options)); // no mount event: the start-up check cannot see this
  app.use('/webhooks', router);
  app.use((err, req, res, next) => {
    errors.push(err);
    res.status(500).send('misconfigured');
  });
  await withServer(http.createServer(app), async (url) => {
    const r = await post(`${url}/webhooks`, GOOD);
    assert.equal(r.status, 500);
    assert.equal(errors.length, 1);
    assert.equal(errors[0].code, 'ERR_KOMPLIANT_PARSED_BODY');
    assert.equal(seen.webhooks.length, 0);
  });
});

test('Express: express.raw() before the middleware is fine (the Buffer is used)', async () => {
  const { seen, options } = recorder();
  const app = express();
  app.use('/webhooks', express.raw({ type: '*/*' }), webhookMiddleware(options));
  await withServer(http.createServer(app), async (url) => {
    assert.equal((await post(`${url}/webhooks`, GOOD)).status, 200);
    assert.equal(seen.webhooks[0].id, META.id);
  });
});

test('Express: a handler that throws gives 500 (Kompliant retries); one that answers keeps its answer', async () => {
  for (const [behaviour, status] of [
    ['throw', 500],
    ['answer', 202],
  ]) {
    const { seen, options } = recorder(behaviour);
    const app = express();
    app.use('/webhooks', webhookMiddleware(options));
    await withServer(http.createServer(app), async (url) => {
      assert.equal((await post(`${url}/webhooks`, GOOD)).status, status);
      if (behaviour === 'throw') assert.match(seen.errors[0].message, /handler bug/);
    });
  }
});

test('Express: the receiver can be a function, e.g. swapped after a keyring reload', async () => {
  let current = new k.WebhookReceiver(new k.Keyring());
  const app = express();
  app.use('/webhooks', webhookMiddleware({ receiver: () => current, onWebhook: () => {}, onError: () => {} }));
  await withServer(http.createServer(app), async (url) => {
    assert.equal((await post(`${url}/webhooks`, GOOD)).status, 503);
    current = receiver;
    assert.equal((await post(`${url}/webhooks`, GOOD)).status, 200);
  });
});

/** Serves one adapter with `options`; resolves to the URL to POST to. */
const ADAPTERS = {
  async express(options, fn) {
    const app = express();
    app.use('/webhooks', webhookMiddleware(options));
    await withServer(http.createServer(app), (url) => fn(`${url}/webhooks`));
  },
  async 'express with express.raw()'(options, fn) {
    const app = express();
    app.use('/webhooks', express.raw({ type: '*/*', limit: '16mb' }), webhookMiddleware(options));
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
  test(`${name}: a receiver function is called once per request`, async () => {
    let calls = 0;
    const options = {
      receiver: () => {
        calls += 1;
        return receiver;
      },
      onWebhook: () => {},
      onError: () => {},
    };
    await serve(options, async (url) => {
      for (const [body, status] of [
        [GOOD, 200],
        [UNKNOWN, 503],
        [Buffer.alloc(9 * 1024 * 1024, 0x20), 413],
      ]) {
        calls = 0;
        assert.equal((await post(url, body)).status, status);
        assert.equal(calls, 1, `${status}: one call to options.receiver()`);
      }
    });
  });

  test(`${name}: a handler failure answers the core's HANDLER_FAILURE_STATUS, whatever the error`, async () => {
    const errors = [];
    const failures = [
      () => {
        throw new Error('handler bug');
      },
      () => Promise.reject(new k.UnknownKeyError('a WebhookError from the handler is still a handler failure')),
      (webhook) => {
        // A typed view that does not fit: the handler's failure, not a refused delivery.
        webhook.event();
      },
      () => {
        throw 'a string'; // eslint-disable-line no-throw-literal
      },
    ];
    let failure;
    const options = { receiver, onWebhook: (webhook) => failure(webhook), onError: (e) => errors.push(e) };
    const misfit = k.sealWebhook(META, { version: '1.0', workflow_id: 5 }, SECRET).body(0);
    await serve(options, async (url) => {
      for (const f of failures) {
        failure = f;
        const r = await post(url, f === failures[2] ? misfit : GOOD);
        assert.equal(r.status, k.HANDLER_FAILURE_STATUS);
        assert.equal(r.text, k.httpAnswer('INTERNAL').publicMessage);
      }
    });
    assert.equal(k.HANDLER_FAILURE_STATUS, 500);
    assert.equal(errors.length, failures.length);
    assert.ok(errors[2] instanceof k.PayloadSchemaMismatchError);
  });

  test(`${name}: a receiver function that throws: onError sees it, the answer is the core's INTERNAL one`, async () => {
    const errors = [];
    const broken = new Error('keyring file unreadable');
    const options = {
      receiver: () => {
        throw broken;
      },
      onWebhook: () => assert.fail('not called'),
      onError: (e) => errors.push(e),
    };
    await serve(options, async (url) => {
      const r = await post(url, GOOD);
      assert.equal(r.status, k.httpAnswer('INTERNAL').status);
      assert.equal(r.text, k.httpAnswer('INTERNAL').publicMessage);
    });
    assert.deepEqual(errors, [broken]);
  });
}

test('middleware options are checked when the middleware is made', () => {
  assert.throws(() => webhookMiddleware({ onWebhook() {} }), /options\.receiver/);
  assert.throws(() => webhookMiddleware({ receiver }), /onWebhook/);
  assert.throws(() => webhookHandler({ receiver: {}, onWebhook() {} }), TypeError);
});

test('Fastify: the plugin keeps the raw body in its own scope and answers with the suggested status', async () => {
  const { seen, options } = recorder();
  const app = Fastify();
  app.register(webhookPlugin, { ...options, path: '/webhooks' });
  app.post('/api/echo', async (request) => request.body); // the root scope keeps its JSON parser
  await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const url = `http://127.0.0.1:${app.server.address().port}`;
    await commonCases(`${url}/webhooks`, seen);
    const echo = await fetch(`${url}/api/echo`, { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } });
    assert.deepEqual(await echo.json(), { a: 1 });
  } finally {
    await app.close();
  }
});

test('Fastify: prefix, handler failure and a handler that replies itself', async () => {
  for (const [behaviour, status] of [
    ['throw', 500],
    ['answer', 202],
  ]) {
    const { options } = recorder(behaviour);
    const app = Fastify();
    app.register(webhookPlugin, { ...options, prefix: '/kompliant', path: '/hooks' });
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const r = await post(`http://127.0.0.1:${app.server.address().port}/kompliant/hooks`, GOOD);
      assert.equal(r.status, status);
    } finally {
      await app.close();
    }
  }
  const bad = Fastify();
  bad.register(webhookPlugin, { onWebhook() {} });
  await assert.rejects(bad.ready(), /options\.receiver/);
});

/** Serves a fetch-style handler over node:http (as Next.js and similar runtimes would). */
function fetchServer(handler) {
  return http.createServer(async (req, res) => {
    const request = new Request(`http://${req.headers.host}${req.url}`, {
      method: req.method,
      headers: req.headers,
      body: req.method === 'GET' || req.method === 'HEAD' ? undefined : Readable.toWeb(req),
      duplex: 'half',
    });
    const response = await handler(request);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
}

test('fetch handler: Request in, Response out, with the suggested status', async () => {
  const { seen, options } = recorder();
  await withServer(fetchServer(webhookHandler(options)), async (url) => {
    await commonCases(`${url}/api/webhooks`, seen);
    assert.equal((await fetch(`${url}/api/webhooks`)).status, 405);
  });
});

test('fetch handler: the handler may return its own Response; a read body is refused', async () => {
  const handler = webhookHandler({ receiver, onWebhook: () => new Response('queued', { status: 202 }), onError: () => {} });
  await withServer(fetchServer(handler), async (url) => {
    const r = await post(`${url}/hook`, GOOD);
    assert.equal(r.status, 202);
    assert.equal(r.text, 'queued');
  });
  const errors = [];
  const strict = webhookHandler({ receiver, onWebhook: () => {}, onError: (e) => errors.push(e) });
  const used = new Request('http://x/hook', { method: 'POST', body: GOOD });
  await used.text();
  assert.equal((await strict(used)).status, 500);
  assert.equal(errors[0].code, 'ERR_KOMPLIANT_PARSED_BODY');
});
