'use strict';
// End to end against the local simulator, through the example receiver
// (examples/node-receiver, Express): create → store → activate a key with the Node client,
// register the receiver, trigger an event and see it decrypted; then rotate the key while a
// delivery sealed with the old key is still in flight, and check that no webhook is lost.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const k = require('..');
const { REPO, startSim, tempDir, eventually, firstLine, stopChild } = require('./helpers.js');

const EXAMPLE = path.join(REPO, 'examples', 'node-receiver');

/**
 * One line of the example receiver's output as an object: `webhook <id> key=… type=… retry=…
 * [duplicate] [workflow=…]`, `refused <CODE> <message>`, `keyring reloaded: <ids>` or
 * `keyring problem: <CODE> <message>`.
 */
function parseLine(line) {
  const [word, ...rest] = line.split(' ');
  if (word === 'webhook') {
    const fields = Object.fromEntries(rest.slice(1).map((f) => f.split('=')).map(([name, value]) => [name, value ?? true]));
    return {
      event: 'webhook',
      id: rest[0],
      keyId: fields.key,
      eventType: fields.type,
      retryCount: Number(fields.retry),
      duplicate: fields.duplicate === true,
      workflowId: fields.workflow,
    };
  }
  if (word === 'refused') return { event: 'refused', code: rest[0], message: rest.slice(1).join(' ') };
  if (line.startsWith('keyring reloaded: ')) return { event: 'keyring', keyIds: rest.slice(1) };
  if (line.startsWith('keyring problem: ')) return { event: 'keyring-problem', code: rest[1] };
  return { event: 'other', line };
}

/** Starts the example receiver; resolves to `{ url, lines, stop() }` (its lines, parsed). */
async function startReceiver(keysPath) {
  if (!fs.existsSync(path.join(EXAMPLE, 'node_modules', 'express'))) {
    throw new Error(`${EXAMPLE} has no node_modules: run npm install there (scripts/test node does)`);
  }
  // The keyring file is given as the rotation test gives it (KOMPLIANT_KEYRING_FILE).
  const child = spawn(process.execPath, ['server.js', '--port', '0'], {
    cwd: EXAMPLE,
    env: { ...process.env, KOMPLIANT_KEYRING_FILE: keysPath },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const { line, rl } = await firstLine(child, 'the example receiver');
  const m = /^listening on (http:\/\/\S+)$/.exec(line);
  assert.ok(m, `unexpected first line: ${line}`);
  const lines = [];
  rl.on('line', (l) => lines.push(parseLine(l)));
  return {
    url: m[1],
    lines,
    stop: () => stopChild(child),
  };
}

test('create → store → activate → trigger → receive, then a rotation with a delivery in flight', async (t) => {
  const sim = await startSim();
  t.after(() => sim.stop());
  const dir = tempDir();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const keys = path.join(dir, 'keys.json');
  const client = k.KompliantClient.fromEnv(sim.env);
  const account = sim.accountId;

  // Create, store where the receiver loads keys from, activate.
  const created = await client.createWebhookKey(account);
  await k.addToKeyringFile(keys, created.keyId, created.secret);
  assert.equal((await client.activateWebhookKey(created.keyId)).status, 'ACTIVE');

  const receiver = await startReceiver(keys);
  t.after(() => receiver.stop());
  await client.createWebhookConfig(account, `${receiver.url}/webhooks`);
  const received = (id) => receiver.lines.filter((l) => l.event === 'webhook' && l.id === id);

  // Trigger → receive.
  const first = (await client.call('sim.event.trigger', { event_type: 'WORKFLOW_CREATED' })).data;
  assert.equal(first.key_id, created.keyId);
  const [got] = await eventually(() => received(first.webhook_id).length > 0 && received(first.webhook_id), 10000, 'the first webhook');
  assert.equal(got.eventType, 'WORKFLOW_CREATED');
  assert.equal(got.keyId, created.keyId);
  assert.equal(got.duplicate, false);
  assert.match(got.workflowId, /^w_/);

  // An event sealed with the current key is held back (delivered twice, after the next event):
  // it is in flight across the whole rotation.
  await client.call('sim.faults.set', { reorder: 1, duplicate: 1 });
  const inFlight = (await client.call('sim.event.trigger', { event_type: 'SUBJECT_RECORD_DATA_UPDATED' })).data;
  assert.equal(inFlight.key_id, created.keyId);

  const rotation = await client.rotateWebhookKey(account, async (keyId, secret) => {
    await k.addToKeyringFile(keys, keyId, secret); // the receiver's Keyring.watch picks it up
  });
  assert.equal(rotation.previousKeyId, created.keyId);
  assert.notEqual(rotation.newKeyId, created.keyId);
  assert.equal(received(inFlight.webhook_id).length, 0, 'the held delivery had not arrived when the rotation finished');
  assert.equal((await client.getWebhookKey(created.keyId)).status, 'DELETED');

  const after = (await client.call('sim.event.trigger', { event_type: 'WORKFLOW_COMPLETED' })).data;
  assert.equal(after.key_id, rotation.newKeyId);

  // Nothing lost: every event the simulator recorded reached the receiver, decrypted.
  const events = (await client.call('sim.events.list', {}, { retry: 'safe' })).data.events;
  assert.deepEqual(events.map((e) => e.webhook_id).sort(), [first.webhook_id, inFlight.webhook_id, after.webhook_id].sort());
  await eventually(() => events.every((e) => received(e.webhook_id).length > 0) && received(inFlight.webhook_id).length === 2, 15000, 'every webhook');
  const [held, again] = received(inFlight.webhook_id);
  assert.equal(held.keyId, created.keyId, 'the in-flight delivery opened with the retired key');
  assert.equal(held.duplicate, false);
  assert.equal(again.duplicate, true, 'the duplicate delivery was recognised by id');
  assert.equal(received(after.webhook_id)[0].keyId, rotation.newKeyId);
  assert.deepEqual(receiver.lines.filter((l) => l.event === 'refused'), [], 'no delivery was refused');
  assert.ok(receiver.lines.some((l) => l.event === 'keyring' && l.keyIds.includes(rotation.newKeyId)), 'the receiver reloaded its keyring');
});
