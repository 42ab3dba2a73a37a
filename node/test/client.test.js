'use strict';
// KompliantClient against the local simulator (`kompliant sim`) and a few hand-made HTTP
// servers: every method, the Error classes with the server's fields, rotation with an async
// store step, redaction, and calls that never block the event loop.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');
const util = require('node:util');
const k = require('..');
const { startSim, listen, tempDir } = require('./helpers.js');

let sim;
let client;

test.before(async () => {
  sim = await startSim();
  client = k.KompliantClient.fromEnv(sim.env);
});
test.after(async () => {
  await sim?.stop();
});

function secretPatterns() {
  return [sim.env.KOMPLIANT_SECRET_KEY, sim.env.KOMPLIANT_AUTH_TOKEN].map((s) => s.slice(0, 16));
}

test('fromEnv reads the credentials and base URL; the client prints no secret', () => {
  assert.equal(client.baseUrl, sim.baseUrl);
  assert.equal(client.apiKey, sim.env.KOMPLIANT_API_KEY);
  assert.match(client.userAgent, /^kompliant-webhooks-node\/\d+\.\d+\.\d+/);
  for (const text of [util.inspect(client), util.inspect(client, { showHidden: true, depth: 10 }), JSON.stringify(client), String(client)]) {
    assert.match(text, /\[REDACTED\]/);
    for (const secret of secretPatterns()) assert.ok(!text.includes(secret), text);
  }
});

test('keys: create → get → activate → a second activation deletes the first → KEY_DELETED', async () => {
  const first = await client.createWebhookKey(sim.accountId);
  assert.ok(first instanceof k.CreatedWebhookKey);
  assert.match(first.keyId, /^whk_\d{8}_\d{2,}$/);
  assert.equal(first.status, 'INACTIVE');
  assert.equal(Buffer.from(first.secret, 'base64').length, 32);
  for (const text of [util.inspect(first), util.inspect(first, { showHidden: true }), JSON.stringify(first), String(first)]) {
    assert.ok(!text.includes(first.secret), text);
    assert.match(text, /\[REDACTED\]/);
    assert.ok(text.includes(first.keyId), text);
  }

  const info = await client.getWebhookKey(first.keyId);
  assert.deepEqual(info, { keyId: first.keyId, status: 'INACTIVE', createdAt: first.createdAt, activatedAt: null, deletedAt: null });

  const a1 = await client.activateWebhookKey(first.keyId);
  assert.equal(a1.status, 'ACTIVE');
  const second = await client.createWebhookKey(sim.accountId);
  const a2 = await client.activateWebhookKey(second.keyId);
  assert.equal(a2.previousKeyId, first.keyId);
  const gone = await client.getWebhookKey(first.keyId);
  assert.equal(gone.status, 'DELETED');
  assert.equal(gone.deletedAt, a2.activatedAt);

  await assert.rejects(client.activateWebhookKey(first.keyId), (err) => {
    assert.ok(err instanceof k.KeyDeletedError);
    assert.ok(err instanceof k.ApiError);
    assert.equal(err.code, 'KEY_DELETED');
    assert.equal(err.subCode, 'KEY_DELETED');
    assert.equal(err.serverCode, 'SYSTEM_RULE_VIOLATION');
    assert.equal(err.entityType, 'Webhook Key');
    assert.equal(err.httpStatus, 400);
    assert.match(err.traceId, /^trc_/);
    assert.equal(err.method, 'webhook.key.activate');
    return true;
  });
  await assert.rejects(client.getWebhookKey('whk_19990101_01'), (err) => {
    assert.ok(err instanceof k.EntityNotFoundError);
    assert.equal(err.httpStatus, 400);
    return true;
  });
  await assert.rejects(client.getWebhookKey(12), TypeError);
});

test('endpoint configurations: create, get, list, update, delete, and their errors', async () => {
  const url = 'http://127.0.0.1:9/configs-test';
  const id = await client.createWebhookConfig(sim.accountId, url);
  assert.match(id, /^whc_/);
  const got = await client.getWebhookConfig(sim.accountId, id);
  assert.equal(got.url, url);
  assert.equal(got.updatedAt, null);
  assert.ok((await client.listWebhookConfigs(sim.accountId)).some((c) => c.configId === id));
  await assert.rejects(client.createWebhookConfig(sim.accountId, url), k.UrlAlreadyExistsError);
  await client.updateWebhookConfig(sim.accountId, id, `${url}/2`);
  const updated = await client.getWebhookConfig(sim.accountId, id);
  assert.equal(updated.url, `${url}/2`);
  assert.equal(typeof updated.updatedAt, 'string');
  await client.deleteWebhookConfig(sim.accountId, id);
  await assert.rejects(client.getWebhookConfig(sim.accountId, id), (err) => {
    assert.ok(err instanceof k.EntityNotFoundError);
    assert.equal(err.httpStatus, 404);
    return true;
  });
  await assert.rejects(client.createWebhookConfig(sim.accountId, 'http://example.com/x'), k.BadRequestError);
  await assert.rejects(client.listWebhookConfigs('sb_someone_else'), k.ForbiddenError);
});

test('checkVersion and call() for extension methods', async () => {
  assert.deepEqual(Object.keys(await client.checkVersion()).sort(), ['currentVersion', 'latestVersion']);
  assert.equal((await client.checkVersion()).currentVersion, '2025-03-24');
  const listed = await client.call('sim.events.list', {}, { retry: 'safe' });
  assert.ok(Array.isArray(listed.data.events));
  assert.match(listed.traceId, /^trc_/);
  assert.deepEqual(listed.warnings, []);
  await assert.rejects(client.call('sim.event.trigger', { event_type: 'not a type' }), k.BadRequestError);
  await assert.rejects(client.call('bad method!'), k.InvalidConfigurationError);
  await assert.rejects(client.call('sim.events.list', {}, { retry: 'always' }), RangeError);
  await assert.rejects(client.call('sim.events.list', 1n), TypeError);
});

test('rotateWebhookKey awaits an async store step, then activates', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'keys.json');
  const before = await client.createWebhookKey(sim.accountId);
  await client.activateWebhookKey(before.keyId);
  const stored = [];
  const rotation = await client.rotateWebhookKey(sim.accountId, async (keyId, secret) => {
    await new Promise((r) => setTimeout(r, 20));
    stored.push([keyId, (await client.getWebhookKey(keyId)).status]);
    assert.equal(Buffer.from(secret, 'base64').length, 32);
    await k.addToKeyringFile(file, keyId, secret);
  });
  assert.equal(stored.length, 1);
  assert.deepEqual(stored[0], [rotation.newKeyId, 'INACTIVE'], 'not activated before the store step finished');
  assert.equal(rotation.previousKeyId, before.keyId);
  assert.equal((await client.getWebhookKey(rotation.newKeyId)).status, 'ACTIVE');
  assert.deepEqual(k.Keyring.fromFile(file).keyIds(), [rotation.newKeyId]);
  fs.rmSync(dir, { recursive: true });
});

test('a store step that throws or rejects: StoreFailedError with the cause; the key is never activated', async () => {
  for (const store of [
    () => {
      throw new Error('vault unreachable');
    },
    () => Promise.reject(new Error('vault unreachable')),
    async () => {
      throw 'vault unreachable'; // eslint-disable-line no-throw-literal
    },
  ]) {
    let newKey;
    await assert.rejects(
      client.rotateWebhookKey(sim.accountId, (keyId, secret) => {
        newKey = keyId;
        return store(keyId, secret);
      }),
      (err) => {
        assert.ok(err instanceof k.StoreFailedError);
        assert.equal(err.code, 'STORE_FAILED');
        assert.match(err.message, /vault unreachable/);
        assert.ok(err.message.includes(newKey), 'names the new key');
        if (err.cause instanceof Error) assert.equal(err.cause.message, 'vault unreachable');
        else assert.equal(err.cause, 'vault unreachable');
        return true;
      },
    );
    assert.equal((await client.getWebhookKey(newKey)).status, 'INACTIVE');
  }
  await assert.rejects(client.rotateWebhookKey(sim.accountId, 'not a function'), TypeError);
});

test('a store error that quotes the secret: the StoreFailedError masks it; only `cause` (your own error) has it', async () => {
  const urlSafe = (b64) => b64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  for (const spelling of [(s) => s, urlSafe]) {
    let secret;
    let newKey;
    const thrown = [];
    await assert.rejects(
      client.rotateWebhookKey(sim.accountId, (keyId, secretBase64) => {
        secret = secretBase64;
        newKey = keyId;
        const err = new Error('vault refused ' + spelling(secretBase64));
        thrown.push(err);
        throw err;
      }),
      (err) => {
        assert.ok(err instanceof k.StoreFailedError);
        assert.ok(err.message.includes('vault refused'), err.message);
        assert.ok(err.message.includes(newKey), 'names the new key');
        for (const s of [secret, spelling(secret), secret.slice(0, 16)]) {
          assert.ok(!err.message.includes(s), err.message);
          assert.ok(!err.stack.includes(s), err.stack);
        }
        // The cause is the caller's own error, unmasked (documented); everything else is masked.
        assert.equal(err.cause, thrown[0]);
        assert.ok(err.cause.message.includes(spelling(secret)));
        const { cause } = err;
        delete err.cause;
        try {
          for (const text of [util.inspect(err), util.inspect(err, { showHidden: true, depth: 10 }), JSON.stringify(err), String(err)]) {
            assert.ok(!text.includes(secret.slice(0, 16)), text);
            assert.ok(!text.includes(spelling(secret).slice(0, 16)), text);
          }
        } finally {
          err.cause = cause;
        }
        return true;
      },
    );
    assert.equal((await client.getWebhookKey(newKey)).status, 'INACTIVE');
  }
  // The client's own credentials are masked too.
  await assert.rejects(
    client.rotateWebhookKey(sim.accountId, () => {
      throw new Error(`vault said ${sim.env.KOMPLIANT_AUTH_TOKEN} / ${sim.env.KOMPLIANT_SECRET_KEY}`);
    }),
    (err) => {
      assert.ok(err instanceof k.StoreFailedError);
      for (const s of secretPatterns()) assert.ok(!err.message.includes(s), err.message);
      return true;
    },
  );
});

test('bad credentials and options: Unauthorized, InvalidConfiguration (naming variables, never values)', async () => {
  const wrong = new k.KompliantClient({
    apiKey: sim.env.KOMPLIANT_API_KEY,
    secretKey: Buffer.alloc(32, 1).toString('base64'),
    authToken: sim.env.KOMPLIANT_AUTH_TOKEN,
    baseUrl: sim.baseUrl,
  });
  await assert.rejects(wrong.checkVersion(), (err) => {
    assert.ok(err instanceof k.UnauthorizedError);
    assert.equal(err.httpStatus, 401);
    return true;
  });
  assert.throws(
    () => new k.KompliantClient({ apiKey: 'k', secretKey: 's3cr3t-not-base64!', authToken: 't' }),
    (err) => err instanceof k.InvalidConfigurationError && !err.message.includes('s3cr3t'),
  );
  assert.throws(
    () => new k.KompliantClient({ apiKey: 'k', secretKey: 'c2VjcmV0', authToken: 't', baseUrl: 'http://example.com' }),
    k.InvalidConfigurationError,
  );
  assert.throws(() => k.KompliantClient.fromEnv({}), (err) => {
    assert.ok(err instanceof k.InvalidConfigurationError);
    assert.match(err.message, /KOMPLIANT_API_KEY/);
    assert.match(err.message, /KOMPLIANT_AUTH_TOKEN/);
    return true;
  });
  assert.throws(() => new k.KompliantClient({ apiKey: 'k', secretKey: 'c2VjcmV0' }), TypeError);
  assert.throws(() => new k.KompliantClient({ apiKey: 'k', secretKey: 'c2VjcmV0', authToken: 't', timeoutMs: -5 }), RangeError);
});

function options(baseUrl, extra = {}) {
  return { apiKey: 'ak', secretKey: 'c2VjcmV0', authToken: 'tok', baseUrl, maxRetries: 0, ...extra };
}

test('HTTP failures map to typed errors with retryAfter, status and trace id', async () => {
  const server = http.createServer((req, res) => {
    if (req.url === '/meta.checkVersion') {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' });
      res.end('{"meta":{"status":"ERROR","trace_id":"trc_limit"},"errors":[{"code":"RATE_LIMITED","message":"slow down"}]}');
    } else {
      res.writeHead(503, { 'content-type': 'text/html' });
      res.end('<html>down</html>');
    }
  });
  const url = await listen(server);
  try {
    const c = new k.KompliantClient(options(url));
    await assert.rejects(c.checkVersion(), (err) => {
      assert.ok(err instanceof k.RateLimitedError);
      assert.equal(err.httpStatus, 429);
      assert.equal(err.retryAfter, 7);
      assert.equal(err.traceId, 'trc_limit');
      assert.equal(err.attempts, 1);
      return true;
    });
    await assert.rejects(c.getWebhookKey('whk_20251121_01'), (err) => {
      assert.ok(err instanceof k.ServerError);
      assert.equal(err.httpStatus, 503);
      assert.equal(err.traceId, null);
      return true;
    });
  } finally {
    await new Promise((r) => server.close(r));
  }
  const closed = await new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
  await assert.rejects(new k.KompliantClient(options(`http://127.0.0.1:${closed}`)).checkVersion(), k.ConnectionFailedError);
});

test('API calls run off the event loop: timers keep firing while calls wait on a silent server', async () => {
  const sockets = new Set();
  const silent = net.createServer((socket) => sockets.add(socket)); // accepts, never answers
  await new Promise((r) => silent.listen(0, '127.0.0.1', r));
  const c = new k.KompliantClient(options(`http://127.0.0.1:${silent.address().port}`, { timeoutMs: 600 }));
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  const started = Date.now();
  try {
    const calls = [c.checkVersion(), c.getWebhookKey('whk_20251121_01'), c.listWebhookConfigs('sb_1')];
    assert.ok(Date.now() - started < 100, 'starting three calls returned at once');
    const results = await Promise.allSettled(calls);
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      assert.ok(r.reason instanceof k.TimeoutError, String(r.reason));
    }
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 1800, `the three calls ran in parallel (${elapsed} ms)`);
    // 10 ms timers: a blocked loop would show ~0 ticks; a loaded machine still shows most.
    assert.ok(ticks >= Math.max(15, Math.floor(elapsed / 30)), `the event loop kept running (${ticks} ticks in ${elapsed} ms)`);
  } finally {
    clearInterval(timer);
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  }
});

test('the 101st key creation of a day is DailyKeyLimitError', async () => {
  const own = await startSim();
  try {
    const c = k.KompliantClient.fromEnv(own.env);
    const created = [];
    for (let i = 0; i < 100; i++) created.push((await c.createWebhookKey(own.accountId)).keyId);
    assert.match(created[99], /_100$/);
    await assert.rejects(c.createWebhookKey(own.accountId), (err) => {
      assert.ok(err instanceof k.DailyKeyLimitError);
      assert.equal(err.subCode, 'DAILY_KEY_LIMIT');
      assert.equal(err.entityType, 'Webhook Key');
      assert.equal(err.httpStatus, 400);
      assert.match(err.message, /Maximum daily key creation limit reached/);
      return true;
    });
  } finally {
    await own.stop();
  }
});
