// The receiver every runtime of the edge tests serves (Deno.serve, Bun.serve, a workerd
// Worker through miniflare): kompliant-webhooks/edge's webhookHandler on POST /webhook, with
// a MemoryGuard (a duplicate delivery is answered as the Node adapters answer it, without
// running the handler again), and routes the test drives:
//   POST /vectors          body: tests/vectors/webhooks.json → one result per case
//   POST /same-id-new-secret  a key id re-added with another secret (decryptAsync's key cache)
//   POST /burst            48 decryptAsync calls of 1 MiB in flight at once
//   POST /control/add-key  {keyId, secret}: a rotation while running
//   POST /control/fail     {eventType}: the handler throws on the first attempt of that type
//   GET  /control/received the webhooks the handler saw
//   GET  /control/info     what the entry exports (a smoke check)
import {
  Keyring,
  WebhookReceiver,
  MemoryGuard,
  WebhookError,
  KompliantError,
  UnknownKeyError,
  HANDLER_FAILURE_STATUS,
  ERROR_CODES,
  webhookHandler,
  sealWebhook,
  generateWebhookSecret,
} from 'kompliant-webhooks/edge';

function base64Bytes(text) {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function sameBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * One conformance vector, checked as node/test/vectors.test.js checks it, through `decrypt`
 * (the core's own AES-GCM, in WebAssembly) and `decryptAsync` (the runtime's WebCrypto):
 * null, or why either failed.
 */
async function checkVector(c, profile) {
  const payloads = [];
  const keep = (webhook) => {
    payloads.push(JSON.stringify(webhook.payload));
    return webhook;
  };
  const sync = await checkOutcome(c, profile, (receiver, body, options) => keep(receiver.decrypt(body, options)));
  const async_ = await checkOutcome(c, profile, async (receiver, body, options) => keep(await receiver.decryptAsync(body, options)));
  const failures = [sync, async_].map((f, i) => f && `${i ? 'decryptAsync' : 'decrypt'}: ${f}`);
  // decryptAsync's payload is JSON.parse of the checked text, decrypt's built from the core's tape: the same object.
  if (payloads.length === 2 && payloads[0] !== payloads[1]) failures.push(`payloads differ: ${payloads[0]} vs ${payloads[1]}`);
  return failures.filter(Boolean).join('; ') || null;
}

/** A vector's receiver, body and expectation, checked through one of the two decrypt calls. */
async function checkOutcome(c, profile, decrypt) {
  const o = c.options ?? {};
  let receiver;
  let got;
  try {
    receiver = new WebhookReceiver(Keyring.fromJson(c.keyring), {
      profile: o.aad === 'none' ? 'kompliant-2025-11-21-no-aad' : profile,
      maxBodyBytes: o.max_body_bytes,
      maxAgeSeconds: o.max_age_seconds,
      maxFutureSkewSeconds: o.max_future_skew_seconds,
    });
  } catch (err) {
    if (!(err instanceof KompliantError)) return `keyring/receiver failed with a non-package error: ${err}`;
    got = { error: err.code };
  }
  if (!got) {
    try {
      got = { webhook: await decrypt(receiver, base64Bytes(c.body_b64), o.now ? { now: new Date(o.now) } : undefined) };
    } catch (err) {
      if (!(err instanceof WebhookError)) return `decrypt failed with a non-WebhookError: ${err}`;
      got = { error: err.code };
    }
  }
  if (c.expect.error) return got.error === c.expect.error ? null : `expected ${c.expect.error}, got ${got.error ?? 'a webhook'}`;
  if (got.error) return `expected success, got ${got.error}`;
  const w = got.webhook;
  const m = c.expect.metadata;
  const want = { id: m.id, eventType: m.event_type, timestamp: m.timestamp, accountId: m.account_id, schemaVersion: m.schema_version, keyId: m.key_id };
  if (JSON.stringify(w.metadata) !== JSON.stringify(want)) return `metadata ${JSON.stringify(w.metadata)} != ${JSON.stringify(want)}`;
  if (w.retryCount !== c.expect.retry_count) return `retryCount ${w.retryCount} != ${c.expect.retry_count}`;
  if (!sameBytes(new TextEncoder().encode(w.payloadText), base64Bytes(c.expect.payload_b64))) return 'payload bytes differ';
  return null;
}

/**
 * A key id replaced by another secret while a receiver runs: decryptAsync (whose WebCrypto
 * keys are cached per key entry) must open webhooks of the new secret and refuse the old
 * one's, as decrypt does. The outcome of each call, by name.
 */
async function sameIdNewSecret() {
  const keyId = 'whk_20251121_07';
  const metadata = { id: 'wh_same_id', eventType: 'WORKFLOW_CREATED', timestamp: '2025-11-21T10:00:00Z', accountId: 'lv_1', schemaVersion: '2025-11-21', keyId };
  const [first, second] = [generateWebhookSecret(), generateWebhookSecret()];
  const keyring = new Keyring({ [keyId]: first });
  const receiver = new WebhookReceiver(keyring);
  const sealedFirst = sealWebhook(metadata, { n: 1 }, first).body();
  const sealedSecond = sealWebhook(metadata, { n: 2 }, second).body();
  const outcome = async (call) => {
    try {
      return (await call()).payload.n;
    } catch (err) {
      return err.code ?? String(err);
    }
  };
  const out = { firstAsync: await outcome(() => receiver.decryptAsync(sealedFirst)) };
  keyring.remove(keyId);
  keyring.add(keyId, second);
  out.secondAsync = await outcome(() => receiver.decryptAsync(sealedSecond));
  out.secondSync = await outcome(() => receiver.decrypt(sealedSecond));
  out.firstAsyncAfter = await outcome(() => receiver.decryptAsync(sealedFirst));
  out.firstSyncAfter = await outcome(() => receiver.decrypt(sealedFirst));
  return out;
}

/**
 * A burst of decryptAsync calls all in flight at once: 48 calls over 8 distinct bodies of
 * 1 MiB, whose data the core holds until WebCrypto answers (48 MiB), so the later calls grow
 * the WebAssembly memory while the earlier ones wait on WebCrypto, whose arguments are views
 * of that memory (src/webcrypto.mjs): how many calls gave their own webhook, and the first
 * that did not.
 */
async function burst() {
  const keyId = 'whk_20251121_08';
  const secret = generateWebhookSecret();
  const receiver = new WebhookReceiver(new Keyring({ [keyId]: secret }));
  const filler = 'x'.repeat(1024 * 1024);
  const metadata = (i) => ({ id: `wh_burst_${i}`, eventType: 'WORKFLOW_CREATED', timestamp: new Date().toISOString(), accountId: 'lv_1', schemaVersion: '2025-11-21', keyId });
  const bodies = Array.from({ length: 8 }, (_, i) => sealWebhook(metadata(i), { n: i, filler: filler.slice(i) }, secret).body());
  // The key imported first, so that each call reaches WebCrypto before the next one starts.
  await receiver.decryptAsync(sealWebhook(metadata('warm'), {}, secret).body());
  const outcomes = await Promise.all(
    Array.from({ length: 48 }, (_, call) => {
      const i = call % bodies.length;
      return receiver.decryptAsync(bodies[i]).then(
        (w) => (w.id === `wh_burst_${i}` && w.payload.n === i && w.payload.filler.length === filler.length - i ? null : `call ${call} got ${w.id}`),
        (err) => `call ${call}: ${err.code ?? err}`,
      );
    }),
  );
  const failures = outcomes.filter(Boolean);
  return { calls: outcomes.length, ownWebhook: outcomes.length - failures.length, firstFailure: failures[0] ?? null };
}

const json = (value, status = 200) => new Response(JSON.stringify(value), { status, headers: { 'content-type': 'application/json' } });

export function createApp() {
  const keyring = new Keyring();
  const receiver = new WebhookReceiver(keyring);
  const guard = new MemoryGuard();
  const received = [];
  const failing = new Set();
  const errors = [];
  const handle = webhookHandler({
    receiver,
    guard,
    onWebhook: async (webhook) => {
      received.push({ id: webhook.id, eventType: webhook.eventType, keyId: webhook.keyId, retryCount: webhook.retryCount, payload: webhook.payload });
      if (failing.has(webhook.eventType) && webhook.retryCount === 0) throw new Error(`handler failure asked for ${webhook.eventType}`);
    },
    onError: (err) => {
      errors.push({ name: err?.name, code: err?.code ?? null, message: String(err?.message ?? err) });
    },
  });

  return async function fetch(request) {
    const { pathname } = new URL(request.url);
    if (pathname === '/webhook') return handle(request);
    if (pathname === '/vectors') {
      const { cases, profile } = await request.json();
      return json(await Promise.all(cases.map(async (c) => ({ name: c.name, failure: await checkVector(c, profile) }))));
    }
    if (pathname === '/same-id-new-secret') return json(await sameIdNewSecret());
    if (pathname === '/burst') return json(await burst());
    if (pathname === '/control/add-key') {
      const { keyId, secret } = await request.json();
      keyring.add(keyId, secret);
      return json({ keyIds: keyring.keyIds() });
    }
    if (pathname === '/control/fail') {
      failing.add((await request.json()).eventType);
      return json({ ok: true });
    }
    if (pathname === '/control/received') return json({ received, errors });
    if (pathname === '/control/info') {
      const probe = new UnknownKeyError('probe');
      let fromFile = null;
      try {
        Keyring.fromFile('/keys.json');
      } catch (err) {
        fromFile = { name: err.name, code: err.code, message: err.message };
      }
      // Next.js's edge runtime names itself in the global EdgeRuntime (its Node runtime does not).
      const edgeRuntime = typeof EdgeRuntime === 'string' ? EdgeRuntime : null;
      return json({ fromFile, edgeRuntime, handlerFailureStatus: HANDLER_FAILURE_STATUS, errorCodes: ERROR_CODES.length, errorName: probe.name, errorStatus: probe.httpStatus });
    }
    return new Response('not found', { status: 404 });
  };
}
