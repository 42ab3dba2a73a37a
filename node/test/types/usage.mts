// A typed usage of the whole public API (ESM). The suite runs `tsc --noEmit --strict` on it:
// it must compile, and the @ts-expect-error lines must be errors.

import express from 'express';
import Fastify from 'fastify';
import {
  ApiError,
  DailyKeyLimitError,
  ERROR_CODES,
  Keyring,
  KompliantClient,
  KompliantError,
  PROFILES,
  UnknownKeyError,
  WebhookError,
  WebhookReceiver,
  HANDLER_FAILURE_STATUS,
  InvalidConfigurationError,
  addToKeyringFile,
  httpAnswer,
  generateWebhookSecret,
  sealWebhook,
  type CustomProfile,
  type ErrorCode,
  type KeyringFileEvent,
  type HttpAnswer,
  type Rotation,
  type Webhook,
  type WebhookEvent,
} from 'kompliant-webhooks';
import { webhookMiddleware } from 'kompliant-webhooks/express';
import { webhookPlugin } from 'kompliant-webhooks/fastify';
import { webhookHandler } from 'kompliant-webhooks/fetch';
import { RedisGuard } from 'kompliant-webhooks/redis';
import { PostgresGuard, DEFAULT_TABLE, DEFAULT_RETENTION_SECONDS as PG_RETENTION } from 'kompliant-webhooks/postgres';
import { Pool as PgPool, type PoolClient } from 'pg';
import { createClient as createRedisClient } from 'redis';
import { Redis as IORedis } from 'ioredis';
import { CLAIMS, DEFAULT_CLAIM_LEASE_SECONDS, MemoryGuard, handlerSucceeded, outcomeForClaim } from 'kompliant-webhooks';
import type { Claim, Guard, Held, ReceiveOutcome, TransactionalGuard } from 'kompliant-webhooks';

// Keys and receiving.
const keyring: Keyring = Keyring.fromEnv();
keyring.add('whk_20251121_01', generateWebhookSecret()).add('whk_20251121_02', new Uint8Array(32));
const fromFile = Keyring.fromFile(new URL('file:///tmp/keys.json'));
const fromJson = Keyring.fromJson({ whk_20251121_01: 'c2VjcmV0', whk_20251120_01: { secret: 'c2VjcmV0', retired_at: '2025-11-21T00:00:00Z' } });
// A live keyring: follows the file another process rotates.
const watched: Keyring = Keyring.watch('keys.json', {
  intervalMs: 500,
  onEvent: (event: KeyringFileEvent) => {
    if (event.type === 'reloaded') console.log(event.keyIds.join(', '));
    else console.warn(event.error.code, event.error.httpStatus, event.message);
  },
});
export const watchedPath: string | null = watched.watchedPath;
// @ts-expect-error the interval is a number of milliseconds
Keyring.watch('keys.json', { interval: '1s' });
const ids: string[] = [...fromFile.keyIds(), ...fromJson.keyIds()];
const removed: boolean = keyring.remove(ids[0] ?? 'x');
const count: number = keyring.size + Number(removed) + Number(keyring.has('whk_20251121_01'));

const receiver = new WebhookReceiver(keyring, {
  profile: 'kompliant-2025-11-21',
  maxBodyBytes: 1 << 20,
  maxAgeSeconds: 86400 * 7,
});
const custom = new WebhookReceiver(keyring, {
  profile: { name: 'mine', tagPosition: 'before_ciphertext', aad: { fields: ['id', 'key_id'], separator: '|' } },
});
// The documented six fields with another separator; no AAD at all.
const semicolon: CustomProfile = { name: 'semi', aad: { separator: ';' } };
const noAad: CustomProfile = { name: 'none', aad: { fields: [] } };
// @ts-expect-error tag positions are the core's names
const camel: CustomProfile = { name: 'x', tagPosition: 'beforeCiphertext' };
// @ts-expect-error AAD fields are envelope field names
const body2: CustomProfile = { name: 'x', aad: { fields: ['body'] } };
console.log(semicolon, noAad, camel, body2);
const limit: number = receiver.maxBodyBytes + count;
const profileName: string = custom.profile;

function describe(event: WebhookEvent): string {
  switch (event.type) {
    case 'workflow':
      return `${event.workflowId} ${event.workflowType} by ${event.userContext.userType}`;
    case 'subjectRecordDataUpdated':
      return event.entities.persons.map((p) => `${p.idField}=${p.id}: ${p.fields.join(',')}`).join(';');
    case 'other':
      return event.eventType;
  }
}

export function handle(body: Buffer | string): number {
  try {
    const webhook: Webhook = receiver.decrypt(body, { now: new Date() });
    const id: string = webhook.id;
    const retries: number = webhook.retryCount;
    const amount = webhook.payload['amount'];
    console.log(id, retries, amount, webhook.payloadText.length, describe(webhook.event()), webhook.metadata.keyId);
    return 200;
  } catch (err) {
    if (err instanceof UnknownKeyError) console.log('deploy key', err.keyId);
    if (err instanceof WebhookError) {
      const code: ErrorCode = err.code;
      console.log(code, err.publicMessage);
      return err.httpStatus;
    }
    throw err;
  }
}

// The same decrypt as a Promise (WebCrypto on the edge; decrypt's result in Node).
export async function handleAsync(body: Buffer): Promise<string> {
  const webhook: Webhook = await receiver.decryptAsync(body, { now: Date.now() });
  return webhook.id;
}
// @ts-expect-error a parsed body is not a raw body
receiver.decrypt({ id: 'wh_1' });
// @ts-expect-error decryptAsync gives a Promise, not a Webhook
const notAwaited: Webhook = receiver.decryptAsync(Buffer.alloc(0));
console.log(notAwaited);
// @ts-expect-error Webhook objects come from decrypt()
new (await import('kompliant-webhooks')).Webhook();

const sealed = sealWebhook(
  { id: 'wh_1', eventType: 'WORKFLOW_CREATED', timestamp: 't', accountId: 'sb_1', schemaVersion: '2025-11-21', keyId: 'whk_20251121_01' },
  { version: '1.0' },
  generateWebhookSecret(),
  { profile: PROFILES[1] ?? 'kompliant-2025-11-21', nonce: new Uint8Array(12) },
);
const body: Buffer = sealed.body(3);
handle(body);

// The client.
const client = new KompliantClient({ apiKey: 'k', secretKey: 'c2VjcmV0', authToken: 't', baseUrl: 'http://127.0.0.1:8787', maxRetries: 1 });
export async function rotate(accountId: string): Promise<Rotation> {
  const created = await client.createWebhookKey(accountId);
  await addToKeyringFile('keys.json', created.keyId, created.secret, { retentionSeconds: 7 * 86_400 });
  const activated = await client.activateWebhookKey(created.keyId);
  const previous: string | null = activated.previousKeyId;
  const info = await client.getWebhookKey(created.keyId);
  const deletedAt: string | null = info.deletedAt;
  console.log(previous, deletedAt, (await client.checkVersion()).latestVersion);
  const configId: string = await client.createWebhookConfig(accountId, 'https://example.com/webhooks');
  for (const c of await client.listWebhookConfigs(accountId)) console.log(c.configId, c.url, c.updatedAt);
  await client.updateWebhookConfig(accountId, configId, 'https://example.com/v2');
  await client.deleteWebhookConfig(accountId, configId);
  const triggered = await client.call<{ webhook_id: string }>('sim.event.trigger', { event_type: 'WORKFLOW_CREATED' }, { retry: 'onlyIfNotSent' });
  console.log(triggered.data.webhook_id, triggered.traceId);
  try {
    return await client.rotateWebhookKey(accountId, async (keyId, secretBase64) => {
      await addToKeyringFile('keys.json', keyId, secretBase64);
    });
  } catch (err) {
    if (err instanceof DailyKeyLimitError) console.log('quota', err.subCode, err.entityType);
    if (err instanceof ApiError) console.log(err.code, err.httpStatus, err.traceId, err.retryAfter);
    if (err instanceof KompliantError) console.log(err.code);
    throw err;
  }
}
// @ts-expect-error the retry policy is one of two names
void client.call('x', {}, { retry: 'always' });
// @ts-expect-error the secret key is required
void new KompliantClient({ apiKey: 'k', authToken: 't' });
const codes: readonly ErrorCode[] = ERROR_CODES;

// Error classes with their default codes; the core's answers.
const unknownKey = new UnknownKeyError('key not held');
const answer: HttpAnswer = httpAnswer(unknownKey.code);
const handlerFailed: number = HANDLER_FAILURE_STATUS;
const config = new InvalidConfigurationError('bad option');
console.log(unknownKey.httpStatus, unknownKey.publicMessage, answer.status, answer.publicMessage, handlerFailed, config.code);
// @ts-expect-error httpAnswer takes a stable code
httpAnswer('NOT_A_CODE');

// Express: raw body, typed request and response.
const app = express();
app.use(
  '/webhooks',
  webhookMiddleware<express.Request, express.Response>({
    receiver: () => receiver,
    onWebhook: async (webhook, req, res) => {
      if (webhook.eventType === 'DOCUMENT_UPLOADED') res.status(202).send(req.ip);
    },
    onError: (error) => console.error(error),
  }),
);
app.use(express.json());

// Fastify.
const fastify = Fastify();
await fastify.register(webhookPlugin, {
  path: '/webhooks',
  receiver,
  onWebhook: async (webhook, request, reply) => {
    request.log.info(webhook.id);
    if (webhook.retryCount > 10) await reply.code(202).send();
  },
});

// Fetch-style (e.g. a Next.js route handler).
export const POST: (request: Request) => Promise<Response> = webhookHandler({
  receiver,
  onWebhook: (webhook) => new Response(webhook.id),
});

console.log(ids, limit, profileName, codes.length);

// Duplicate guards: the core's MemoryGuard, a guard of your own, RedisGuard over either client.
const memory: Guard = new MemoryGuard({ maxEntries: 10_000, retentionSeconds: 7 * 24 * 3600 });
const own: Guard = {
  async claim(webhookId: string, token: string, leaseSeconds: number): Promise<Claim> {
    return webhookId.length + token.length > leaseSeconds ? 'ACQUIRED' : 'IN_PROGRESS';
  },
  renew: async (): Promise<Held> => 'HELD',
  complete: async () => 'HELD',
  release: () => 'LOST',
};
const held: Held = memory instanceof MemoryGuard ? memory.renew('wh_1', 'token', 60) : 'LOST';
const failed: boolean = !handlerSucceeded(false, 500);
const skipped: ReceiveOutcome | null = outcomeForClaim(CLAIMS[1] ?? 'ACQUIRED');
keyring.retire('whk_20251121_01', 3600);
const retiredAt: Date | undefined = keyring.retiredKeys()[0]?.expiresAt;
const nodeRedis = new RedisGuard(createRedisClient({ url: 'redis://127.0.0.1:6379' }), { prefix: 'kw:', leaseSeconds: 60 });
const ioRedis = new RedisGuard(new IORedis(), { retentionSeconds: 3600 });
export const GUARDED: (request: Request) => Promise<Response> = webhookHandler({
  receiver,
  guard: nodeRedis,
  leaseSeconds: 120,
  renew: true,
  onWebhook: () => undefined,
});
// @ts-expect-error a guard needs renew(): claims are renewed while the handler runs
const unfenced: Guard = { claim: () => 'ACQUIRED', complete: () => 'HELD', release: () => 'HELD' };
const fixedLease: number | null = nodeRedis.leaseSeconds;
const renewed: Promise<Held> = ioRedis.renew('wh_1', 'token', 60);
console.log(memory, own, skipped?.httpStatus, retiredAt, ioRedis.prefix, DEFAULT_CLAIM_LEASE_SECONDS, held, failed, fixedLease, renewed, unfenced);

// PostgresGuard over a pg.Pool, and its transactional mode: the handler's last argument.
const pgPool = new PgPool({ connectionString: 'postgresql://localhost/app' });
const postgres = new PostgresGuard(pgPool, { table: 'app.webhook_claims', retentionSeconds: 3600, leaseSeconds: 60 });
const pgDeleted: Promise<number> = postgres.cleanup({ batch: 500 });
const pgTable: string = postgres.table + DEFAULT_TABLE + String(PG_RETENTION);
export const IN_TRANSACTION: (request: Request) => Promise<Response> = webhookHandler({
  receiver,
  guard: postgres.transactional(),
  onWebhook: async (webhook, request, { db }) => {
    await (db as PoolClient).query('INSERT INTO effects (webhook_id, url) VALUES ($1, $2)', [webhook.id, request.url]);
  },
});
export const EXPRESS_IN_TRANSACTION = webhookMiddleware({
  receiver,
  guard: postgres.transactional(),
  onWebhook: async (webhook, req, res, { db }) => {
    const { rowCount } = await db.query('INSERT INTO effects (webhook_id) VALUES ($1)', [webhook.id]);
    res.setHeader('x-rows', String(rowCount));
    console.log(req.url);
  },
});
await fastify.register(webhookPlugin, {
  path: '/in-transaction',
  receiver,
  guard: postgres.transactional(),
  onWebhook: async (webhook, request, reply, transaction) => {
    await transaction!.db.query('INSERT INTO effects (webhook_id) VALUES ($1)', [webhook.id]);
    console.log(request.url, reply.statusCode);
  },
});
// @ts-expect-error a handler with { db } needs a transactional guard
export const NOT_TRANSACTIONAL = webhookHandler({ receiver, guard: postgres, onWebhook: async (webhook, request, { db }) => db });
const transactionalGuard: TransactionalGuard = postgres.transactional();
console.log(pgDeleted, pgTable, transactionalGuard, postgres.createTable());
