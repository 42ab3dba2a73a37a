// A typed usage of the whole kompliant-webhooks/edge surface: a fetch handler as a Worker,
// Deno, Bun or a Next.js route uses it, bytes as Uint8Array. Compiled twice by the node suite:
// with tsconfig.edge.json (`"types": []`, lib es2022 + dom: no @types/node, as in an edge
// project; the suite also fails if @types/node is loaded at all) and with tsconfig.json
// (beside the Node usage, as in a project using both entries).

import {
  ApiError,
  BadRequestError,
  BodyTooLargeError,
  CLAIMS,
  ConnectionFailedError,
  DEFAULT_CLAIM_LEASE_SECONDS,
  DailyKeyLimitError,
  DecryptionError,
  ERROR_CODES,
  EntityNotFoundError,
  ForbiddenError,
  HANDLER_FAILURE_STATUS,
  InternalError,
  InvalidConfigurationError,
  InvalidKeyError,
  InvalidResponseError,
  IoError,
  KeyDeletedError,
  Keyring,
  KompliantError,
  MalformedEnvelopeError,
  MaxWebhookUrlLimitError,
  MemoryGuard,
  PROFILES,
  PayloadNotJsonError,
  PayloadSchemaMismatchError,
  RateLimitedError,
  SealedEnvelope,
  ServerError,
  StoreFailedError,
  SystemRuleViolationError,
  TimeoutError,
  TimestampOutOfRangeError,
  UnauthorizedError,
  UnknownKeyError,
  UrlAlreadyExistsError,
  Webhook,
  WebhookError,
  WebhookReceiver,
  generateWebhookSecret,
  handlerSucceeded,
  httpAnswer,
  outcomeAfterHandler,
  outcomeForClaim,
  sealWebhook,
  webhookHandler,
  type Claim,
  type CustomProfile,
  type DecryptOptions,
  type ErrorCode,
  type Guard,
  type GuardTransaction,
  type Held,
  type HttpAnswer,
  type InTransaction,
  type JsonValue,
  type KeyringFileEvent,
  type ProfileName,
  type RawBody,
  type ReceiveOutcome,
  type ReceiverOptions,
  type SealOptions,
  type TransactionalGuard,
  type TransactionalRouteOptions,
  type WebhookEvent,
  type WebhookMetadata,
  type WebhookRouteOptions,
  type WebhookSecretInput,
} from 'kompliant-webhooks/edge';

// Keys: from a Worker's env (or Deno.env.toObject()), JSON from a secret store, by hand.
declare const env: Record<string, string | undefined>;
const secret: WebhookSecretInput = generateWebhookSecret();
const keyring = Keyring.fromEnv(env);
keyring.add('whk_20251121_01', secret).add('whk_20251121_02', new Uint8Array(32));
const fromJson = Keyring.fromJson({ whk_20251120_01: { secret: 'c2VjcmV0', retired_at: '2025-11-21T00:00:00Z' } });
keyring.retire('whk_20251121_02', 3600);
const retired: Date | undefined = keyring.retiredKeys()[0]?.expiresAt;
const held: boolean = keyring.has('whk_20251121_01') && keyring.remove('whk_20251121_02');
const ids: string[] = [...keyring.keyIds(), ...fromJson.keyIds()];
// Present (the same class as in Node), and they throw an IoError here: no file system.
const watch: (path: string | URL, options?: { intervalMs?: number; onEvent?: (event: KeyringFileEvent) => void }) => Keyring = Keyring.watch;

// Receivers: options and profiles as in Node.
const profile: ProfileName = PROFILES[0] ?? 'kompliant-2025-11-21';
const custom: CustomProfile = { name: 'mine', tagPosition: 'before_ciphertext', aad: { fields: ['id', 'key_id'] } };
const options: ReceiverOptions = { profile: custom, maxBodyBytes: 1 << 20, maxAgeSeconds: 86_400 };
const receiver = new WebhookReceiver(new Keyring({ whk_20251121_01: secret }), { profile });
const other = new WebhookReceiver(keyring, options);
// @ts-expect-error tag positions are the core's names
const camel: CustomProfile = { name: 'x', tagPosition: 'beforeCiphertext' };

// Sealing (tests): bodies are Uint8Arrays, not Buffers.
const metadata: WebhookMetadata = { id: 'wh_1', eventType: 'WORKFLOW_CREATED', timestamp: '2025-11-21T00:00:00Z', accountId: 'sb_1', schemaVersion: '2025-11-21', keyId: 'whk_20251121_01' };
const sealOptions: SealOptions = { profile, nonce: new Uint8Array(12) };
const envelope: SealedEnvelope<Uint8Array> = sealWebhook(metadata, { version: '1.0' }, secret, sealOptions);
const body: Uint8Array = envelope.body(0);
const data: string = envelope.data + envelope.metadata.id;

// Decrypting: synchronously, or on WebCrypto with decryptAsync (same result and errors).
const now: DecryptOptions = { now: Date.now() };
const raw: RawBody = body.buffer as ArrayBuffer;
export async function open(request: Request): Promise<Webhook> {
  const webhook: Webhook = await receiver.decryptAsync(new Uint8Array(await request.arrayBuffer()), now);
  const event: WebhookEvent = webhook.event();
  const amount: JsonValue | undefined = webhook.payload['amount'];
  console.log(event.type, amount, webhook.payloadText.length, webhook.retryCount, webhook.metadata.keyId, webhook.toJSON().payload);
  return webhook;
}
try {
  receiver.decrypt(raw);
  other.decrypt('{"id":"wh_1"}', { now: new Date() });
} catch (err) {
  if (err instanceof WebhookError) {
    const code: ErrorCode = err.code;
    console.log(code, err.httpStatus, err.publicMessage, err.keyId, HANDLER_FAILURE_STATUS, ERROR_CODES.length);
  }
}
// @ts-expect-error decryptAsync resolves with a Webhook, not with one synchronously
const notYet: Webhook = receiver.decryptAsync(body);
// @ts-expect-error a parsed body is not a raw body
void receiver.decryptAsync({ id: 'wh_1' });

// Errors: every class, with its stable code and the core's answer.
const answer: HttpAnswer = httpAnswer('UNKNOWN_KEY');
const errors: KompliantError[] = [
  new MalformedEnvelopeError('m'), new UnknownKeyError('u'), new InvalidKeyError('k'), new DecryptionError('d'),
  new PayloadNotJsonError('p'), new BodyTooLargeError('b'), new TimestampOutOfRangeError('t'),
  new PayloadSchemaMismatchError('s'), new IoError('i'), new InternalError('x'),
  new ApiError('a'), new BadRequestError('b'), new EntityNotFoundError('e'), new KeyDeletedError('k'),
  new DailyKeyLimitError('d'), new UrlAlreadyExistsError('u'), new MaxWebhookUrlLimitError('m'),
  new SystemRuleViolationError('s'), new UnauthorizedError('u'), new ForbiddenError('f'),
  new RateLimitedError('r'), new ServerError('s'), new TimeoutError('t'), new ConnectionFailedError('c'),
  new InvalidResponseError('i'), new InvalidConfigurationError('c'), new StoreFailedError('s'),
];

// Duplicate guards: the core's MemoryGuard, or your own (a KV store, a database).
const memory = new MemoryGuard({ maxEntries: 10_000, retentionSeconds: 86_400 });
const claim: Claim = memory.claim('wh_1', 'token', DEFAULT_CLAIM_LEASE_SECONDS);
const renewed: Held = memory.renew('wh_1', 'token');
const skipped: ReceiveOutcome | null = outcomeForClaim(CLAIMS[1] ?? claim);
const after: ReceiveOutcome = outcomeAfterHandler(handlerSucceeded(false, null));
const kv: Guard = {
  claim: async () => 'ACQUIRED',
  renew: async () => 'HELD',
  complete: async () => 'HELD',
  release: async () => 'LOST',
};
declare const begin: () => Promise<GuardTransaction>;
const transactional: TransactionalGuard = { ...kv, begin };

// The fetch handler: a Worker's fetch, Deno.serve, Bun.serve, a Next.js edge route.
const routeOptions: WebhookRouteOptions<[request: Request]> = {
  receiver: () => receiver,
  guard: memory,
  leaseSeconds: 60,
  renew: true,
  onWebhook: async (webhook: Webhook, request: Request) => {
    const event = webhook.event();
    if (event.type === 'workflow') return new Response(`${event.workflowId} ${request.method}`);
    return undefined;
  },
  onError: (error: unknown) => {
    if (error instanceof UnknownKeyError) console.warn(error.keyId);
  },
};
export const POST: (request: Request) => Promise<Response> = webhookHandler(routeOptions);
const inTransaction: TransactionalRouteOptions<[request: Request]> = {
  receiver,
  guard: transactional,
  onWebhook: async (webhook: Webhook, _request: Request, { db }: InTransaction) => db.query('INSERT INTO effects (id) VALUES ($1)', [webhook.id]),
};
export const IN_TRANSACTION = webhookHandler(inTransaction);
export default { fetch: POST };

// @ts-expect-error a handler with { db } needs a transactional guard
webhookHandler({ receiver, guard: kv, onWebhook: async (_webhook: Webhook, _request: Request, { db }: InTransaction) => db });

console.log(retired, held, ids, watch, camel, data, answer, errors, skipped, after, renewed, notYet);

// @ts-expect-error no API client in the edge entry
import type { KompliantClient } from 'kompliant-webhooks/edge';
// @ts-expect-error no keyring file writer in the edge entry
import { addToKeyringFile } from 'kompliant-webhooks/edge';
