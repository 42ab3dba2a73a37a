'use strict';
// PostgresGuard against a real PostgreSQL server (scripts/suites/node.sh starts a private one
// on loopback and sets KOMPLIANT_TEST_POSTGRES_URL; without it scripts/test fails before
// running these): the core's protocol (fenced claims, leases, retention cleanup, the table's
// DDL), the slow-handler scenario over HTTP, and the transactional mode, where the
// handler's own writes and the "processed" mark commit together or not at all.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const http = require('node:http');
const { randomUUID } = require('node:crypto');
const { Pool } = require('pg');
const express = require('express');
const Fastify = require('fastify');
const k = require('..');
const { PostgresGuard, DEFAULT_TABLE, DEFAULT_RETENTION_SECONDS } = require('kompliant-webhooks/postgres');
const { webhookHandler } = require('kompliant-webhooks/fetch');
const { webhookMiddleware } = require('kompliant-webhooks/express');
const { webhookPlugin } = require('kompliant-webhooks/fastify');
const { listen, slowScenario } = require('./helpers.js');

const URL_ = process.env.KOMPLIANT_TEST_POSTGRES_URL;
const skip = URL_ ? false : 'no PostgreSQL server: run through scripts/test node';

const KEY_ID = 'whk_20251121_01';
const SECRET = Buffer.alloc(32, 4).toString('base64');
const META = { id: 'wh_pg', eventType: 'WORKFLOW_CREATED', timestamp: '2025-11-21T14:30:22Z', accountId: 'sb_1', schemaVersion: '2025-11-21', keyId: KEY_ID };
const receiver = new k.WebhookReceiver(new k.Keyring({ [KEY_ID]: SECRET }));
const body = (id, retry = 0) => k.sealWebhook({ ...META, id }, { version: '1.0' }, SECRET).body(retry);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const newId = () => `wh_pg${randomUUID().replaceAll('-', '')}`;

/** A fresh pool and a guard over a table of its own (created), closed after `fn`. */
async function withGuard(options, fn) {
  const pool = new Pool({ connectionString: URL_, max: 10 });
  pool.on('error', () => {}); // a terminated idle client is dropped by the pool
  try {
    const table = `claims_${randomUUID().replaceAll('-', '')}`;
    const guard = new PostgresGuard(pool, { table, ...options });
    await guard.createTable();
    await fn(guard, pool, table);
  } finally {
    await pool.end();
  }
}

async function row(pool, table, id) {
  const { rows } = await pool.query(`SELECT state, token, expires_at > clock_timestamp() AS live FROM ${table} WHERE webhook_id = $1`, [id]);
  return rows[0] ?? null;
}

test('claim, renew, complete and release are fenced by the token: a stale holder changes nothing', { skip }, async () => {
  await withGuard({ retentionSeconds: 3600 }, async (guard, pool, table) => {
    assert.equal(guard.table, table);
    assert.equal(await guard.claim('wh_a', 't1', 60), 'ACQUIRED');
    assert.deepEqual(await row(pool, table, 'wh_a'), { state: 'in-progress', token: 't1', live: true });
    assert.equal(await guard.claim('wh_a', 't2', 60), 'IN_PROGRESS');
    assert.equal(await guard.renew('wh_a', 't1', 120), 'HELD');
    assert.equal(await guard.renew('wh_a', 't2', 120), 'LOST');
    assert.equal(await guard.complete('wh_a', 't2'), 'LOST');
    assert.equal(await guard.release('wh_a', 't2'), 'LOST');
    assert.deepEqual(await row(pool, table, 'wh_a'), { state: 'in-progress', token: 't1', live: true });
    assert.equal(await guard.release('wh_a', 't1'), 'HELD');
    assert.equal(await row(pool, table, 'wh_a'), null);

    // A lapsed lease is taken over; the stale holder's calls are then LOST and change nothing.
    assert.equal(await guard.claim('wh_b', 'old', 0.2), 'ACQUIRED');
    await sleep(300);
    assert.equal(await guard.claim('wh_b', 'new', 60), 'ACQUIRED');
    for (const method of ['renew', 'complete', 'release']) {
      assert.equal(await guard[method]('wh_b', 'old', 60), 'LOST', method);
    }
    assert.deepEqual(await row(pool, table, 'wh_b'), { state: 'in-progress', token: 'new', live: true });
    assert.equal(await guard.complete('wh_b', 'new'), 'HELD');
    assert.deepEqual(await row(pool, table, 'wh_b'), { state: 'done', token: null, live: true });
    assert.equal(await guard.claim('wh_b', 'again', 60), 'ALREADY_COMPLETED');
    assert.equal(await guard.release('wh_b', 'new'), 'LOST'); // a completed id is never released
    assert.equal(await guard.claim('wh_b', 'again', 60), 'ALREADY_COMPLETED');
  });
});

test('concurrent claims of one id acquire it once', { skip }, async () => {
  await withGuard({}, async (guard) => {
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => guard.claim('wh_race', `t${i}`, 60)));
    assert.equal(answers.filter((a) => a === 'ACQUIRED').length, 1);
    assert.equal(answers.filter((a) => a === 'IN_PROGRESS').length, 19);
  });
});

test("the guard's leaseSeconds replaces the adapter's, and bad durations are RangeErrors", { skip }, async () => {
  await withGuard({ leaseSeconds: 0.2 }, async (guard) => {
    assert.equal(guard.leaseSeconds, 0.2);
    assert.equal(await guard.claim('wh_l', 't1', 3600), 'ACQUIRED');
    await sleep(300);
    assert.equal(await guard.claim('wh_l', 't2', 3600), 'ACQUIRED');
  });
  const pool = new Pool({ connectionString: URL_ });
  try {
    assert.throws(() => new PostgresGuard(pool, { retentionSeconds: 0 }), RangeError);
    assert.throws(() => new PostgresGuard(pool, { leaseSeconds: -1 }), RangeError);
    assert.throws(() => new PostgresGuard({}, {}), TypeError);
    assert.equal(DEFAULT_RETENTION_SECONDS, 7 * 24 * 3600);
    assert.equal(new PostgresGuard(pool).table, DEFAULT_TABLE);
    await assert.rejects(new PostgresGuard(pool).cleanup({ batch: 0 }), RangeError);
  } finally {
    await pool.end();
  }
});

test('retention cleanup deletes ended leases and retentions in batches, and nothing live', { skip }, async () => {
  await withGuard({ retentionSeconds: 0.2 }, async (guard, pool, table) => {
    for (let i = 0; i < 5; i++) {
      assert.equal(await guard.claim(`wh_done${i}`, 't', 60), 'ACQUIRED');
      assert.equal(await guard.complete(`wh_done${i}`, 't'), 'HELD');
    }
    assert.equal(await guard.claim('wh_lapsed', 't', 0.1), 'ACQUIRED');
    assert.equal(await guard.claim('wh_live', 't', 60), 'ACQUIRED');
    await sleep(400);
    assert.equal(await guard.cleanup({ batch: 2 }), 6);
    const { rows } = await pool.query(`SELECT webhook_id FROM ${table}`);
    assert.deepEqual(rows.map((r) => r.webhook_id), ['wh_live']);
    assert.equal(await guard.cleanup(), 0);
    assert.equal(await guard.claim('wh_done0', 't2', 60), 'ACQUIRED'); // forgotten after retention
  });
});

test('createTable is idempotent, runs the documented DDL, and bad table names are refused', { skip }, async () => {
  await withGuard({}, async (guard, pool, table) => {
    await guard.createTable();
    await Promise.all([guard.createTable(), guard.createTable()].map((p) => p.catch((e) => e))); // may race, never break
    await guard.createTable();
    const { rows } = await pool.query('SELECT indexname FROM pg_indexes WHERE tablename = $1 ORDER BY indexname', [table]);
    assert.deepEqual(rows.map((r) => r.indexname), [`${table}_expires_at`, `${table}_pkey`]);
  });
  const pool = new Pool({ connectionString: URL_ });
  try {
    await pool.query('CREATE SCHEMA IF NOT EXISTS kompliant_test');
    const inSchema = new PostgresGuard(pool, { table: 'kompliant_test.claims' });
    await inSchema.createTable();
    assert.equal(await inSchema.claim(newId(), 't', 60), 'ACQUIRED');
    for (const bad of ['Claims', '1claims', 'a.b.c', 'claims; DROP TABLE x', 'claims"', '', 'x'.repeat(64)]) {
      assert.throws(() => new PostgresGuard(pool, { table: bad }), (e) => e instanceof k.InvalidConfigurationError && e.code === 'INVALID_CONFIGURATION', bad);
    }
    assert.throws(() => new PostgresGuard(pool, { table: 7 }), TypeError);
  } finally {
    await pool.end();
  }
  // docs/node.md shows the DDL createTable() runs for the default table.
  const docs = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'node.md'), 'utf8');
  const documented = /<!-- postgres-ddl -->\n```sql\n([\s\S]*?);\n```/.exec(docs);
  assert.ok(documented, 'docs/node.md has the DDL block after <!-- postgres-ddl -->');
  assert.equal(documented[1], new PostgresGuard({ query() {}, connect() {} }).createTableSql);
});

test("the issue's scenario over HTTP: a 1 s lease, a 3 s handler, a redelivery at 1.5 s gets 503 and the handler runs once", { skip }, async () => {
  await withGuard({}, async (guard, pool, table) => {
    const id = newId();
    const ran = await slowScenario(receiver, (retry) => body(id, retry), [guard, guard], true);
    assert.deepEqual(ran.statuses, [200, 503, 200]);
    assert.equal(ran.handled, 1);
    assert.deepEqual(ran.errors, []);
    assert.equal((await row(pool, table, id)).state, 'done');
  });
});

test('transactional mode over a pool of one client: a renewal waiting for the client does not deadlock the commit', { skip }, async () => {
  const pool = new Pool({ connectionString: URL_, max: 1 });
  let status;
  try {
    const table = `claims_${randomUUID().replaceAll('-', '')}`;
    const guard = new PostgresGuard(pool, { table, leaseSeconds: 0.6 }); // renewed every 200 ms
    await guard.createTable();
    await pool.query(`CREATE TABLE ${table}_effects (webhook_id text NOT NULL)`);
    const id = newId();
    const post = fetchPoster({ guard: guard.transactional(), onWebhook: async (webhook, request, { db }) => {
      await db.query(`INSERT INTO ${table}_effects VALUES ($1)`, [webhook.id]);
      await sleep(700); // renewals fire meanwhile and wait for the one client
    } });
    status = await Promise.race([post(id), sleep(10000).then(() => 'deadlock')]);
    assert.equal(status, 200);
    assert.equal((await row(pool, table, id)).state, 'done');
    assert.equal((await pool.query(`SELECT count(*)::int AS n FROM ${table}_effects`)).rows[0].n, 1);
  } finally {
    if (status !== 'deadlock') await pool.end(); // a deadlocked pool never ends
  }
});

test('a transaction that cannot be opened is answered 500 and its claim released, the handler not run', { skip }, async () => {
  await withGuard({}, async (guard, pool, table) => {
    const noConnections = { query: (...a) => pool.query(...a), connect: () => Promise.reject(new Error('too many clients')) };
    const broken = new PostgresGuard(noConnections, { table }).transactional();
    const id = newId();
    let runs = 0;
    const errors = [];
    const post = fetchPoster({ guard: broken, onError: (e) => errors.push(e), onWebhook: () => runs++ });
    assert.equal(await post(id), 500);
    assert.equal(runs, 0);
    assert.equal(await row(pool, table, id), null);
    assert.ok(errors.some((e) => e instanceof k.InternalError && /begin\(\) failed/.test(e.message)), String(errors));
  });
});

// The transactional mode. The handler writes to its own table through `db`, the transaction
// in which the webhook is marked processed.

/** A guard in transactional mode over a fresh table, plus the handler's own table. */
async function withTransactional(options, fn) {
  await withGuard(options, async (guard, pool, table) => {
    const effects = `effects_${randomUUID().replaceAll('-', '')}`;
    await pool.query(`CREATE TABLE ${effects} (webhook_id text NOT NULL)`);
    const effectsOf = async (id) => Number((await pool.query(`SELECT count(*) AS n FROM ${effects} WHERE webhook_id = $1`, [id])).rows[0].n);
    await fn({ guard, tx: guard.transactional(), pool, table, effects, effectsOf });
  });
}

/** The fetch adapter called directly: `post(id, retry)` resolves the status. */
function fetchPoster(options) {
  const handler = webhookHandler({ receiver, onError: () => {}, ...options });
  return async (id, retry = 0) => (await handler(new Request('http://localhost/webhooks', { method: 'POST', body: body(id, retry) }))).status;
}

test('transactional (a): each adapter hands the handler { db } last; its writes and the processed mark commit together', { skip }, async () => {
  await withTransactional({}, async ({ tx, pool, table, effects, effectsOf }) => {
    const seen = [];
    const onWebhook = (where) => async (webhook, ...args) => {
      const { db } = args.at(-1);
      seen.push([where, args.length]);
      await db.query(`INSERT INTO ${effects} VALUES ($1)`, [webhook.id]);
      // Inside the transaction: another connection sees neither the write nor the mark yet.
      assert.equal(await effectsOf(webhook.id), 0);
      assert.equal((await row(pool, table, webhook.id)).state, 'in-progress');
    };
    const post = async (url, id) => (await fetch(url, { method: 'POST', body: body(id) })).status;
    const ids = { express: newId(), fastify: newId(), fetch: newId() };

    const app = express();
    app.use('/webhooks', webhookMiddleware({ receiver, guard: tx, onWebhook: onWebhook('express') }));
    const server = http.createServer(app);
    const url = await listen(server);
    try {
      assert.equal(await post(`${url}/webhooks`, ids.express), 200);
      assert.equal(await post(`${url}/webhooks`, ids.express), 200); // a duplicate: not run again
    } finally {
      server.closeAllConnections?.();
      await new Promise((r) => server.close(r));
    }

    const f = Fastify();
    f.register(webhookPlugin, { path: '/webhooks', receiver, guard: tx, onWebhook: onWebhook('fastify') });
    await f.listen({ port: 0, host: '127.0.0.1' });
    try {
      assert.equal(await post(`http://127.0.0.1:${f.server.address().port}/webhooks`, ids.fastify), 200);
    } finally {
      await f.close();
    }

    assert.equal(await fetchPoster({ guard: tx, onWebhook: onWebhook('fetch') })(ids.fetch), 200);

    assert.deepEqual(seen, [['express', 3], ['fastify', 3], ['fetch', 2]]);
    for (const id of Object.values(ids)) {
      assert.equal(await effectsOf(id), 1);
      assert.equal((await row(pool, table, id)).state, 'done');
    }
    assert.equal(pool.totalCount, pool.idleCount, 'every client went back to the pool');
  });
});

/**
 * A delivery whose first run fails (`failFirst(db, webhook)` inside the handler, after the
 * handler wrote its row): nothing is committed and the claim is released; the redelivery
 * runs the handler again and commits once; a third delivery is a duplicate.
 */
async function failsOnceThenProcessedOnce({ tx, pool, table, effects, effectsOf }, failFirst) {
  const id = newId();
  let runs = 0;
  const post = fetchPoster({ guard: tx, onWebhook: async (webhook, request, { db }) => {
    runs++;
    await db.query(`INSERT INTO ${effects} VALUES ($1)`, [webhook.id]);
    if (runs === 1) await failFirst(db, webhook);
  } });
  assert.equal(await post(id, 0), 500);
  assert.equal(await effectsOf(id), 0);
  assert.equal(await row(pool, table, id), null); // released on the pool: no wait for the lease
  assert.equal(await post(id, 1), 200);
  assert.equal(await post(id, 2), 200);
  assert.equal(runs, 2);
  assert.equal(await effectsOf(id), 1);
  assert.equal((await row(pool, table, id)).state, 'done');
  assert.equal(pool.totalCount, pool.idleCount, 'every client went back to the pool');
}

test('transactional (b): a handler that throws commits nothing, its claim is released, and the retry runs it', { skip }, async () => {
  await withTransactional({}, async (t) => {
    await failsOnceThenProcessedOnce(t, () => {
      throw new Error('handler bug');
    });
    const { tx, pool, table, effects, effectsOf } = t;
    // A Response of status >= 400 is a failure too (the core's rule): rolled back.
    const other = newId();
    const refusing = fetchPoster({ guard: tx, onWebhook: async (webhook, request, { db }) => {
      await db.query(`INSERT INTO ${effects} VALUES ($1)`, [webhook.id]);
      return new Response('no', { status: 422 });
    } });
    assert.equal(await refusing(other), 422);
    assert.equal(await effectsOf(other), 0);
    assert.equal(await row(pool, table, other), null);
  });
});

test('transactional (c): a claim lost before the commit rolls the handler back and answers 503', { skip }, async () => {
  await withTransactional({ leaseSeconds: 0.5 }, async ({ guard, tx, pool, table, effects, effectsOf }) => {
    const id = newId();
    const errors = [];
    const post = fetchPoster({ guard: tx, renew: false, onError: (e) => errors.push(e), onWebhook: async (webhook, request, { db }) => {
      await db.query(`INSERT INTO ${effects} VALUES ($1)`, [webhook.id]);
      await sleep(800); // the lease lapses…
      assert.equal(await guard.claim(webhook.id, 'anotherDelivery', 60), 'ACQUIRED'); // …and another delivery claims
    } });
    assert.equal(await post(id), 503);
    assert.equal(await effectsOf(id), 0);
    assert.deepEqual(await row(pool, table, id), { state: 'in-progress', token: 'anotherDelivery', live: true });
    assert.equal(errors.length, 1);
    assert.match(errors[0].message, /rolled back/);
    assert.equal(pool.totalCount, pool.idleCount);
  });
});

test("transactional (d): the handler's connection killed mid-handler commits nothing, and a redelivery processes it once", { skip }, async () => {
  await withTransactional({}, async (t) => {
    await failsOnceThenProcessedOnce(t, async (db, webhook) => {
      const pid = (await db.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      await t.pool.query('SELECT pg_terminate_backend($1)', [pid]);
      await sleep(100);
      await db.query(`INSERT INTO ${t.effects} VALUES ($1)`, [webhook.id]); // fails: the connection is gone
    });
  });
});

test('the ESM entry point has the CommonJS objects', async () => {
  const m = await import('kompliant-webhooks/postgres');
  assert.equal(m.PostgresGuard, PostgresGuard);
  assert.equal(m.default, PostgresGuard);
  assert.equal(m.DEFAULT_TABLE, 'kompliant_webhook_claims');
  assert.equal(typeof m.TransactionalPostgresGuard, 'function');
});
