// The declarations kompliant-webhooks (Node) and kompliant-webhooks/edge share: the receive
// side, sealing, the duplicate guard, the Error classes and the route handlers' options. No
// Node type (no Buffer, no node: module, no `/// <reference types="node" />`), so an edge
// project compiles it with `"types": []` and no @types/node; node/test/types/tsconfig.edge.json
// checks that. Each entry re-exports it (`export *`) and adds its own: index.d.ts the Node-only
// API (KompliantClient, addToKeyringFile) and `sealWebhook` with Buffer bodies; edge/index.d.ts
// `sealWebhook` with Uint8Array bodies and `webhookHandler`.

// ---------------------------------------------------------------------------------------
// Keys and receiving
// ---------------------------------------------------------------------------------------

/** A webhook secret: standard base64 text (as `webhook.key.create` returns it) or the 32 raw bytes. */
export type WebhookSecretInput = string | Uint8Array;

/** A key rotated out, as a keyring file keeps it until the retention has passed. */
export interface KeyringFileEntry {
  /** The base64 secret. */
  secret: string;
  /** When it was rotated out, RFC 3339 UTC (`2025-11-21T14:30:22Z`). */
  retired_at: string;
}

/** What `Keyring.watch` reports: a reload of the keyring file. */
export interface KeyringReloadedEvent {
  readonly type: 'reloaded';
  /** The keyring file. */
  readonly path: string;
  /** The key ids now held, sorted. */
  readonly keyIds: readonly string[];
  /** A ready log line (key ids only, never a secret). */
  readonly message: string;
}

/**
 * What `Keyring.watch` reports: the file changed but cannot be loaded (half-written,
 * corrupt, no keys, deleted, a directory, a FIFO); the keyring keeps the keys it had.
 * Reported once per problem, again only after a good load.
 */
export interface KeyringProblemEvent {
  readonly type: 'problem';
  /** The keyring file. */
  readonly path: string;
  /** Why: an `InvalidKeyError` (code `INVALID_KEY`) or an `IoError` (code `IO_ERROR`). */
  readonly error: WebhookError;
  /** A ready log line (never quotes a secret). */
  readonly message: string;
}

/** An event of a watched keyring file. */
export type KeyringFileEvent = KeyringReloadedEvent | KeyringProblemEvent;

/** Options of `Keyring.watch`. */
export interface KeyringWatchOptions {
  /**
   * Check the file (a `stat`) at most once per this many milliseconds (default 1000). A
   * webhook naming a key id the keyring does not hold checks at once anyway. 0 checks on
   * every decrypt.
   */
  intervalMs?: number;
  /**
   * Told of each reload and each problem, on the main thread, shortly after the decrypt that
   * noticed the change (never inside it). Without it, problems are `process.emitWarning`
   * warnings with code `KOMPLIANT_KEYRING_FILE` and reloads go to `util.debuglog('kompliant')`
   * (`NODE_DEBUG=kompliant`). An exception it throws is reported as a warning with code
   * `KOMPLIANT_KEYRING_LISTENER` and changes nothing else.
   */
  onEvent?: (event: KeyringFileEvent) => void;
}

/**
 * The webhook keys a receiver accepts, `keyId → secret`. Receivers built on a keyring see
 * keys added later (that is how a running receiver picks up a rotated key; `Keyring.watch`
 * does it for a keyring file another process rotates). Secrets live in
 * native memory, are wiped when freed and are never printed: `util.inspect`,
 * `JSON.stringify` and `String()` show the key ids and `[REDACTED]`.
 */
export declare class Keyring {
  /**
   * An empty keyring, or one holding `keys` (`{ "whk_20251121_01": "<base64 secret>" }`).
   * @throws {InvalidKeyError} for a bad key id or a secret that is not 32 bytes.
   */
  constructor(keys?: Record<string, WebhookSecretInput>);
  /**
   * Every `KOMPLIANT_WEBHOOK_SECRET_<YYYYMMDD>_<NN>` variable of `env` (default
   * `process.env`) as key `whk_<YYYYMMDD>_<NN>`.
   * @throws {InvalidKeyError} for a variable with the prefix but a malformed name or value
   *   (a typo never silently drops a key), and when there is no such variable at all (an
   *   empty keyring would refuse every webhook).
   */
  static fromEnv(env?: Record<string, string | undefined>): Keyring;
  /**
   * A keyring from JSON text, or an object, in the keyring file format (see `fromFile`):
   * `{"whk_…": "<base64 secret>", …}`, a retired key as `{ "secret": …, "retired_at": … }`.
   * @throws {InvalidKeyError} if it is not such an object, holds no key, or a key is invalid
   *   (messages never quote secrets).
   */
  static fromJson(json: string | Record<string, string | KeyringFileEntry>): Keyring;
  /**
   * A keyring from a keyring file, read once (a running receiver uses `Keyring.watch`). The
   * file is a JSON object `keyId → "<base64 secret>"` (a key in use) or
   * `keyId → { "secret": "<base64>", "retired_at": "<RFC 3339 UTC>" }` (rotated out, still
   * decrypting redeliveries), as `addToKeyringFile` writes it.
   * @throws {IoError} if the file is missing or cannot be read; {InvalidKeyError} if it is
   *   not a regular file (a directory, a FIFO: never opened), not UTF-8, holds no key, or as
   *   `fromJson`. In kompliant-webhooks/edge (no file system) it throws an {IoError} saying so.
   */
  static fromFile(path: string | URL): Keyring;
  /**
   * Loads the keyring file at `path` (see `fromFile`) and follows it: a key another process
   * adds (the store step of a rotation, `addToKeyringFile`), retires or removes is picked up
   * by a later decrypt without a restart, at most `options.intervalMs` (default 1000) after
   * the change, and at once by a webhook naming a key id the keyring does not hold. Checking
   * is a `stat`; the file is read only when it changed. A file that becomes invalid keeps the
   * last good keys and is reported once (see `KeyringWatchOptions.onEvent`). Keys added with
   * `add` are replaced at the file's next change.
   * @throws {IoError} / {InvalidKeyError} as `fromFile`: the file must load now.
   * @throws {RangeError} for a negative or non-finite `intervalMs`.
   * In kompliant-webhooks/edge (no file system) it throws an {IoError} saying so.
   */
  static watch(path: string | URL, options?: KeyringWatchOptions): Keyring;
  /** The file this keyring follows (made by `Keyring.watch`), or null. */
  readonly watchedPath: string | null;
  /**
   * Adds `keyId`. Returns this keyring. Adding a key id it holds with the same secret changes
   * nothing; with a different secret it is refused (key ids are unique per account only:
   * keep one keyring per account, or `remove` the key first to replace it).
   * @throws {InvalidKeyError} for a bad key id (1-40 of `A-Z a-z 0-9 _ - .`) or secret, or a
   *   different secret for a key id the keyring holds.
   */
  add(keyId: string, secret: WebhookSecretInput): this;
  /** Removes `keyId`; whether it was present. Keep retired keys for the retry horizon (days). */
  remove(keyId: string): boolean;
  /** Whether the keyring holds `keyId`. */
  has(keyId: string): boolean;
  /**
   * Retires `keyId` after a rotation: redeliveries of webhooks sealed before it still carry
   * its id, so it keeps decrypting for `keepForSeconds` (default 7 days, the retry horizon),
   * then the keyring drops it. Whether the key was present. Remove a compromised key instead.
   * @throws {RangeError} for a negative or non-finite duration.
   */
  retire(keyId: string, keepForSeconds?: number): boolean;
  /** The retired keys still held, sorted by key id. */
  retiredKeys(): Array<{ readonly keyId: string; readonly expiresAt: Date }>;
  /** The key ids held, sorted. */
  keyIds(): string[];
  /** Number of keys held. */
  readonly size: number;
  /** `{ keyIds, secrets: "[REDACTED]" }`. */
  toJSON(): { keyIds: string[]; secrets: '[REDACTED]' };
  toString(): string;
}

/** The names of the six authenticated envelope fields, as they appear in the envelope JSON. */
export type MetadataFieldName = 'id' | 'event_type' | 'timestamp' | 'account_id' | 'schema_version' | 'key_id';

/** Where the 16-byte GCM tag sits in `data`, after the 12-byte nonce (the core's names). */
export type TagPosition = 'after_ciphertext' | 'before_ciphertext';

/**
 * A wire profile of your own, for when Kompliant's real layout differs from the built-ins.
 * The values are the core's configuration names (`WireProfile::from_names`), the same in
 * every language. Values of the wrong type throw a `TypeError` (so do unknown property
 * names); values the core refuses (an unknown tag position or field, an empty separator)
 * an {InvalidConfigurationError}.
 */
export interface CustomProfile {
  /** The profile's name (shown by `WebhookReceiver.profile`). */
  name: string;
  /** Where the tag sits (default `after_ciphertext`: `nonce || ciphertext || tag`). */
  tagPosition?: TagPosition;
  /**
   * The additional authenticated data. Absent, `{}` or `{ separator }`: the six metadata
   * fields in documented order (`id|event_type|timestamp|account_id|schema_version|key_id`),
   * joined by `separator` (default `|`). `{ fields }`: those fields in that order. `'none'`
   * or `{ fields: [] }`: no AAD.
   */
  aad?: 'none' | { fields?: MetadataFieldName[]; separator?: string };
}

/** A built-in profile name: `kompliant-2025-11-21` (default) or `kompliant-2025-11-21-no-aad`. */
export type ProfileName = 'kompliant-2025-11-21' | 'kompliant-2025-11-21-no-aad';

/** How a receiver checks webhooks; every field is optional (the documented defaults). */
export interface ReceiverOptions {
  /** The wire profile (default `kompliant-2025-11-21`). */
  profile?: ProfileName | (string & {}) | CustomProfile;
  /** Largest body accepted, in bytes (default 8 MiB); larger bodies are refused unread. */
  maxBodyBytes?: number;
  /**
   * Refuse webhooks whose `timestamp` is older than this many seconds. Off by default:
   * Kompliant redelivers for days. Deduplicate by `webhook.id` instead.
   */
  maxAgeSeconds?: number;
  /** Refuse webhooks whose `timestamp` is further than this many seconds ahead. Off by default. */
  maxFutureSkewSeconds?: number;
}

/** Options of one `decrypt` call. */
export interface DecryptOptions {
  /** The receiver's clock for the opt-in time window (replaying a capture, tests). */
  now?: Date | number;
}

/** A raw request body, exactly as received. */
export type RawBody = Uint8Array | ArrayBuffer | ArrayBufferView | string;

/**
 * Verifies and decrypts webhook bodies with the keys of a `Keyring`. `decrypt` is
 * synchronous: it takes microseconds.
 */
export declare class WebhookReceiver {
  /**
   * A receiver over `keyring` (shared: keys added to it later are used at once).
   * @throws {InvalidConfigurationError} for a value the core refuses: an unknown profile
   *   name, tag position or AAD field, an empty separator, `maxBodyBytes` 0 (or not a whole
   *   number), a negative or non-finite number of seconds.
   * @throws {TypeError} for an option of the wrong type.
   */
  constructor(keyring: Keyring, options?: ReceiverOptions);
  /** The keyring (the same object that was passed in). */
  readonly keyring: Keyring;
  /** Largest body accepted, in bytes. */
  readonly maxBodyBytes: number;
  /** The wire profile's name. */
  readonly profile: string;
  /**
   * Verifies and decrypts one raw request body: pass the bytes received, unchanged (an
   * already-parsed object is refused with a `TypeError` explaining raw-body handling). A
   * body that was altered or truncated, decoded with a wrong charset, or rebuilt from a model
   * that dropped or changed fields fails verification. Checks run in a fixed order: size, envelope, key, tag, payload,
   * time window.
   * @throws {WebhookError} a subclass with the stable `code`, the `httpStatus` to answer
   *   with (503 for an unknown key, so Kompliant retries) and a `publicMessage`.
   */
  decrypt(body: RawBody, options?: DecryptOptions): Webhook;
  /**
   * The same checks, result and errors as `decrypt`, as a Promise (rejected with the same
   * WebhookError). In kompliant-webhooks/edge its AES-GCM runs on the runtime's WebCrypto
   * (native AES, much faster than the WebAssembly core's software AES); in Node it resolves
   * with `decrypt`'s result.
   */
  decryptAsync(body: RawBody, options?: DecryptOptions): Promise<Webhook>;
}

/** The six metadata fields of an envelope; verified by the GCM tag once returned by a receiver. */
export interface WebhookMetadata {
  /** Unique message id (`wh_…`): the deduplication key. */
  id: string;
  /** Event type, e.g. `WORKFLOW_CREATED`. */
  eventType: string;
  /** ISO 8601 UTC time of the event, exactly as sent. */
  timestamp: string;
  /** Account id (`lv_…` live, `sb_…` sandbox). */
  accountId: string;
  /** Envelope schema version (`YYYY-MM-DD`). */
  schemaVersion: string;
  /** Id of the key that encrypted `data` (`whk_YYYYMMDD_NN`). */
  keyId: string;
}

/** A JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Who caused an event. */
export interface UserContext {
  /** The acting user's id. */
  userId: string;
  /** `USER`, `API_KEY`, `SYSTEM`, or a newer value as sent. */
  userType: 'USER' | 'API_KEY' | 'SYSTEM' | (string & {});
}

/** A `WORKFLOW_*` event (`WORKFLOW_CREATED`, `WORKFLOW_STARTED`, `WORKFLOW_COMPLETED`, …). */
export interface WorkflowEvent {
  type: 'workflow';
  /** The event type, e.g. `WORKFLOW_COMPLETED`. */
  eventType: string;
  /** Payload version, `MAJOR.MINOR` (major 1). */
  version: string;
  /** The subject record (`sr_…`). */
  subjectRecordId: string;
  /** Who caused it. */
  userContext: UserContext;
  /** The workflow (`w_…`). */
  workflowId: string;
  /** The workflow type, e.g. `BUSINESS_APPLICATION`. */
  workflowType: string;
}

/** One changed entity of a `SUBJECT_RECORD_DATA_UPDATED` event. */
export interface EntityChange {
  /** The name of the id field, e.g. `person_id`. */
  idField: string;
  /** The entity's id. */
  id: string;
  /** Changed field paths, e.g. `address.city`. */
  fields: string[];
}

/** A `SUBJECT_RECORD_DATA_UPDATED` event. */
export interface SubjectRecordDataUpdatedEvent {
  type: 'subjectRecordDataUpdated';
  eventType: 'SUBJECT_RECORD_DATA_UPDATED';
  /** Payload version, `MAJOR.MINOR` (major 1). */
  version: string;
  /** The subject record (`sr_…`). */
  subjectRecordId: string;
  /** Who caused it. */
  userContext: UserContext;
  /** What changed, by entity kind (a kind absent from the payload is empty). */
  entities: {
    business: EntityChange[];
    persons: EntityChange[];
    bankAccounts: EntityChange[];
    salesInfo: EntityChange[];
  };
}

/** Any other event type (e.g. `DOCUMENT_UPLOADED`): read `webhook.payload`. */
export interface OtherEvent {
  type: 'other';
  eventType: string;
}

/** A typed view of a webhook's payload, discriminated on `type`. */
export type WebhookEvent = WorkflowEvent | SubjectRecordDataUpdatedEvent | OtherEvent;

/**
 * A verified, decrypted webhook (made only by `WebhookReceiver.decrypt`, after the GCM tag
 * verified). Frozen. `util.inspect` shows the metadata and the payload's size, not its
 * content; `toJSON()` includes the payload.
 */
export declare class Webhook implements WebhookMetadata {
  private constructor();
  readonly id: string;
  readonly eventType: string;
  readonly timestamp: string;
  readonly accountId: string;
  readonly schemaVersion: string;
  readonly keyId: string;
  /**
   * Delivery attempt number, 0 on the first. NOT authenticated: anyone on the path can
   * change it. For logs and metrics only, never for decisions.
   */
  readonly retryCount: number;
  /** The six verified metadata fields. */
  readonly metadata: WebhookMetadata;
  /** The payload's exact decrypted text (a JSON object), byte for byte as sent. */
  readonly payloadText: string;
  /**
   * The payload as a plain object, equal to `JSON.parse(payloadText)` (built during `decrypt` from
   * what the core parsed; the same object on every access). Unknown fields pass through.
   */
  readonly payload: { [key: string]: JsonValue };
  /**
   * The payload as a typed view (`workflow`, `subjectRecordDataUpdated` or `other`).
   * @throws {PayloadSchemaMismatchError} if a known event's payload lacks a required field,
   *   has one of the wrong type, or has a major `version` other than 1.
   */
  event(): WebhookEvent;
  /** The metadata, retry count and parsed payload. */
  toJSON(): WebhookMetadata & { retryCount: number; payload: { [key: string]: JsonValue } };
}

// ---------------------------------------------------------------------------------------
// Sealing (tests and fixtures)
// ---------------------------------------------------------------------------------------

/** Options of `sealWebhook`. */
export interface SealOptions {
  /** The wire profile (default `kompliant-2025-11-21`). */
  profile?: ProfileName | (string & {}) | CustomProfile;
  /** A fixed 12-byte nonce, for reproducible fixtures only: never reuse a nonce with a key. */
  nonce?: Uint8Array;
}

/**
 * An encrypted webhook. The same sealed envelope is re-sent on every redelivery. `Bytes` is
 * the entry's byte type: `Buffer` from kompliant-webhooks, `Uint8Array` from
 * kompliant-webhooks/edge.
 */
export declare class SealedEnvelope<Bytes extends Uint8Array = Uint8Array> {
  private constructor();
  /** The metadata (in clear in the envelope, authenticated by the tag). */
  readonly metadata: WebhookMetadata;
  /** The base64 `data` field. */
  readonly data: string;
  /** The HTTP request body for delivery attempt `retryCount` (default 0, the first). */
  body(retryCount?: number): Bytes;
}

/**
 * The type of `sealWebhook`, over the entry's byte type (`Buffer` from kompliant-webhooks,
 * `Uint8Array` from kompliant-webhooks/edge).
 */
export interface SealWebhook<Bytes extends Uint8Array> {
  /**
   * Encrypts `payload` for `metadata.keyId` with `secret`, exactly as Kompliant does: for
   * tests, fixtures and local tools. An object payload is serialised with `JSON.stringify`;
   * a string or bytes are sealed as given (even if not JSON, to test refusals).
   * @throws {MalformedEnvelopeError} if a metadata field holds the AAD separator `|`;
   *   {InvalidKeyError} for a bad secret; {InvalidConfigurationError} for a profile the core
   *   refuses (as `WebhookReceiver`).
   */
  (
    metadata: WebhookMetadata,
    payload: string | Uint8Array | { [key: string]: unknown },
    secret: WebhookSecretInput,
    options?: SealOptions,
  ): SealedEnvelope<Bytes>;
}

/** A fresh random 32-byte webhook secret as base64 (for tests; real ones come from the API). */
export declare function generateWebhookSecret(): string;

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/** A stable error code: the cross-language contract (see docs/errors.md). */
export type ErrorCode =
  | WebhookErrorCode
  | 'BAD_REQUEST'
  | 'ENTITY_NOT_FOUND'
  | 'KEY_DELETED'
  | 'DAILY_KEY_LIMIT'
  | 'URL_ALREADY_EXISTS'
  | 'MAX_WEBHOOK_URL_LIMIT'
  | 'SYSTEM_RULE_VIOLATION'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'RATE_LIMITED'
  | 'SERVER_ERROR'
  | 'TIMEOUT'
  | 'CONNECTION_FAILED'
  | 'INVALID_RESPONSE'
  | 'INVALID_CONFIGURATION'
  | 'STORE_FAILED';

/** The receive-path codes. */
export type WebhookErrorCode =
  | 'MALFORMED_ENVELOPE'
  | 'UNKNOWN_KEY'
  | 'INVALID_KEY'
  | 'DECRYPTION_FAILED'
  | 'PAYLOAD_NOT_JSON'
  | 'BODY_TOO_LARGE'
  | 'TIMESTAMP_OUT_OF_RANGE'
  | 'PAYLOAD_SCHEMA_MISMATCH'
  | 'IO_ERROR'
  | 'INTERNAL';

/** Every stable error code, in documentation order (from the core). */
export declare const ERROR_CODES: readonly ErrorCode[];

/** The built-in wire profile names; the first is the default. */
export declare const PROFILES: readonly ProfileName[];

/**
 * The HTTP status the adapters answer when your webhook handler throws or rejects, whatever
 * the error, a typed-view error included (the core's `decided::HANDLER_FAILURE_STATUS`: 500,
 * so Kompliant redelivers). Refused webhooks answer their error's own `httpStatus`.
 */
export declare const HANDLER_FAILURE_STATUS: number;

/** The HTTP answer for a webhook delivery ended by an error. */
export interface HttpAnswer {
  /** The HTTP status, e.g. 503 for `UNKNOWN_KEY`. */
  status: number;
  /** A text safe to send back to the caller: it never says which check failed. */
  publicMessage: string;
}

/**
 * The answer a webhook receiver sends when an error with this stable `code` ends a delivery
 * (the core's `ErrorCode::http_status` / `public_message`): what a `WebhookError` carries
 * as `httpStatus` / `publicMessage`. For adapters of your own.
 * @throws {RangeError} for a string that is not in `ERROR_CODES`.
 */
export declare function httpAnswer(code: ErrorCode): HttpAnswer;

/** A guard's answer to `claim` (the core's `Claim`). */
export type Claim = 'ACQUIRED' | 'ALREADY_COMPLETED' | 'IN_PROGRESS' | 'AT_CAPACITY';

/** Every claim, in the core's order. */
export declare const CLAIMS: readonly Claim[];

/** The core's default lease of a claim, in seconds (300). */
export declare const DEFAULT_CLAIM_LEASE_SECONDS: number;

/** What a holder's `renew`, `complete` or `release` found (the core's `Held`). */
export type Held = 'HELD' | 'LOST';

/**
 * A duplicate guard: makes each webhook's handler run once although Kompliant delivers at
 * least once. Claims are fenced: the adapter makes a fresh `token` for each delivery and every
 * call names it, so only the claim's holder can renew, complete or release it. Methods may
 * return values or Promises.
 * - `claim(webhookId, token, leaseSeconds)` must be ATOMIC: of concurrent claims of one id at
 *   most one answers `ACQUIRED` (the id is then held by `token`); the claim lapses after
 *   `leaseSeconds` unless renewed.
 * - `renew(webhookId, token, leaseSeconds)`: while `token` holds the claim, extend it to
 *   `leaseSeconds` from now and answer `HELD`; otherwise change nothing and answer `LOST`.
 * - `complete(webhookId, token)`: remember the id as processed for the retention window if
 *   `token` holds the claim or the lapsed claim is still free (`HELD`); otherwise `LOST`.
 * - `release(webhookId, token)`: forget `token`'s claim after a failure (`HELD`); never a
 *   completed id nor another holder's claim (`LOST`).
 * A guard without one of the four methods is refused by the adapters with a `TypeError`.
 */
export interface Guard {
  claim(webhookId: string, token: string, leaseSeconds: number): Claim | string | Promise<Claim | string>;
  renew(webhookId: string, token: string, leaseSeconds: number): Held | string | Promise<Held | string>;
  complete(webhookId: string, token: string): Held | string | Promise<Held | string>;
  release(webhookId: string, token: string): Held | string | Promise<Held | string>;
}

/**
 * The client of a transactional guard's transaction, as the handler sees it (`pg`'s
 * `PoolClient` fits; cast `db` to it for `pg`'s full types). Do not COMMIT or ROLLBACK it:
 * the adapter does.
 */
export interface TransactionClient {
  query(text: string, values?: unknown[]): Promise<{ rows: any[]; rowCount: number | null }>;
}

/**
 * The last argument of `onWebhook` when the adapter's guard is transactional (e.g.
 * `PostgresGuard#transactional()` from `kompliant-webhooks/postgres`): `db` is inside the
 * transaction in which the webhook is marked processed, so the handler's writes through it
 * and the mark commit together or not at all.
 */
export interface InTransaction {
  db: TransactionClient;
}

/** One open transaction of a `TransactionalGuard`, ended by `complete()` or `rollback()`. */
export interface GuardTransaction {
  /** The client inside the transaction, handed to the handler as `{ db }`. */
  readonly db: TransactionClient;
  /**
   * Records `webhookId` as processed IN the transaction, then commits if that answered
   * `HELD` and rolls back if `LOST`; rejects (nothing committed) if it or the commit failed.
   */
  complete(webhookId: string, token: string): Promise<Held | string>;
  /** Rolls the transaction back (a failed handler). */
  rollback(): Promise<void>;
}

/**
 * A guard with a transactional mode: the adapters open `begin()` after the claim, give the
 * handler `{ db }` as its last argument, and end the transaction with its `complete()` after
 * success (answering from the core's `finish_in_transaction`: `LOST` is 503) or `rollback()`
 * then the guard's `release()` after failure. Renewals use the guard's own `renew()`.
 */
export interface TransactionalGuard extends Guard {
  begin(): Promise<GuardTransaction>;
}

/** How one delivery ended and what to answer (the core's `ReceiveOutcome`). */
export interface ReceiveOutcome {
  /** `PROCESSED`, `HANDLER_FAILED`, `ALREADY_PROCESSED`, `IN_PROGRESS` or `AT_CAPACITY`. */
  readonly name: 'PROCESSED' | 'HANDLER_FAILED' | 'ALREADY_PROCESSED' | 'IN_PROGRESS' | 'AT_CAPACITY';
  /** The HTTP status to answer with. */
  readonly httpStatus: number;
  /** A short text safe to send back. */
  readonly publicMessage: string;
  /** A duplicate (processed or in progress). */
  readonly isDuplicate: boolean;
  /** Kompliant will deliver the webhook again (any answer but 200). */
  readonly willBeRedelivered: boolean;
}

/**
 * The core's in-process duplicate guard: ids in progress (for their lease) and processed (for
 * `retentionSeconds`, default 7 days), at most `maxEntries` (default 1,000,000; when full it
 * answers `AT_CAPACITY` and forgets nothing early). For one process; several processes need a
 * shared guard (`kompliant-webhooks/redis`).
 */
export declare class MemoryGuard implements Guard {
  /** @throws {RangeError} for a bad `maxEntries` or `retentionSeconds`. */
  constructor(options?: { maxEntries?: number; retentionSeconds?: number });
  /**
   * Claims `webhookId` under `token` for `leaseSeconds` (default 300).
   * @throws {InternalError} for a token that is not 1-64 letters, digits, `_` or `-`.
   */
  claim(webhookId: string, token: string, leaseSeconds?: number): Claim;
  /** Extends `token`'s claim to `leaseSeconds` (default 300) from now; `LOST` if not its own. */
  renew(webhookId: string, token: string, leaseSeconds?: number): Held;
  /** Records `webhookId` as processed; `LOST` (nothing changed) if another holder has it. */
  complete(webhookId: string, token: string): Held;
  /** Gives up `token`'s claim on `webhookId` (never a completed id nor another's claim). */
  release(webhookId: string, token: string): Held;
  /** Number of ids held. */
  readonly size: number;
  /** Largest number of ids held. */
  readonly maxEntries: number;
  /** How long a processed id is remembered, in seconds. */
  readonly retentionSeconds: number;
}

/**
 * The outcome of a delivery not processed because of `claim` (parsed by the core), or `null`
 * for `ACQUIRED`. For flows of your own.
 * @throws {InternalError} for a value that is not a claim.
 */
export declare function outcomeForClaim(claim: string): ReceiveOutcome | null;

/** The outcome of a claimed delivery once the handler ran. */
export declare function outcomeAfterHandler(succeeded: boolean): ReceiveOutcome;

/**
 * Whether a handler succeeded, the one rule of every adapter in every language (the core's
 * `ReceiveOutcome.handler_succeeded`): it failed when it threw or rejected (`raised`), or
 * answered with a response of status 400 or more (`status`; `null` when it answered nothing
 * of its own). A failed handler's claim is released so Kompliant's retry is processed.
 */
export declare function handlerSucceeded(raised: boolean, status?: number | null): boolean;

/**
 * Root of the errors this package throws for a failed check or call. `message` is for
 * operators (it names the failed check, never secrets or plaintext).
 */
export declare class KompliantError extends Error {
  /**
   * `code` defaults to the class's own (`new UnknownKeyError(msg).code === 'UNKNOWN_KEY'`;
   * `INTERNAL` for the base classes).
   */
  constructor(message: string, code?: ErrorCode, options?: ErrorOptions);
  /** The code of errors of this class made without one (the per-code classes only). */
  static readonly defaultCode: ErrorCode | undefined;
  /** The stable, cross-language code, e.g. `UNKNOWN_KEY` or `DAILY_KEY_LIMIT`. */
  readonly code: ErrorCode;
}

/** A receive-path error (envelope, keyring, decryption, payload). */
export declare class WebhookError extends KompliantError {
  /**
   * `code` defaults to the class's own; `httpStatus` and `publicMessage` default to the
   * core's answer for the code (see `httpAnswer`).
   */
  constructor(
    message: string,
    code?: WebhookErrorCode,
    fields?: { httpStatus?: number; publicMessage?: string; keyId?: string | null },
    options?: ErrorOptions,
  );
  readonly code: WebhookErrorCode;
  /** The HTTP status to answer the delivery with: 503 unknown key (retry later), 413, 400, or 500. */
  readonly httpStatus: number;
  /** A text safe to send back to the caller: it does not say which check failed. */
  readonly publicMessage: string;
  /** The key id the error is about (unknown key, failed decryption, invalid key), or null. */
  readonly keyId: string | null;
}

/** `MALFORMED_ENVELOPE` (400): not a well-formed envelope. */
export declare class MalformedEnvelopeError extends WebhookError {}
/** `UNKNOWN_KEY` (503): the envelope's key id is not in the keyring (deploy the new key). */
export declare class UnknownKeyError extends WebhookError {}
/** `INVALID_KEY` (500): a secret or key id given to a keyring is unusable. */
export declare class InvalidKeyError extends WebhookError {}
/** `DECRYPTION_FAILED` (400): the GCM tag did not verify (tampered, or wrong secret). */
export declare class DecryptionError extends WebhookError {}
/** `PAYLOAD_NOT_JSON` (400): the authenticated plaintext is not a JSON object. */
export declare class PayloadNotJsonError extends WebhookError {}
/** `BODY_TOO_LARGE` (413): the body exceeds `maxBodyBytes`. */
export declare class BodyTooLargeError extends WebhookError {}
/** `TIMESTAMP_OUT_OF_RANGE` (400): outside the opt-in time window. */
export declare class TimestampOutOfRangeError extends WebhookError {}
/** `PAYLOAD_SCHEMA_MISMATCH` (400): the payload does not fit its typed view (`webhook.event()`). */
export declare class PayloadSchemaMismatchError extends WebhookError {}
/** `IO_ERROR` (500): a file could not be read or written. */
export declare class IoError extends WebhookError {}
/** `INTERNAL` (500): an internal failure, never caused by input. */
export declare class InternalError extends WebhookError {}

/** A failed Kompliant API call. */
export declare class ApiError extends KompliantError {
  /** `code` defaults to the class's own; every field to null (`attempts` to 0). */
  constructor(
    message: string,
    code?: ErrorCode,
    fields?: {
      subCode?: string | null;
      entityType?: string | null;
      httpStatus?: number | null;
      traceId?: string | null;
      retryAfter?: number | null;
      serverCode?: string | null;
      method?: string | null;
      attempts?: number;
    },
    options?: ErrorOptions,
  );
  /** The server's `errors[0].sub_code` (e.g. `DAILY_KEY_LIMIT`), or null. */
  readonly subCode: string | null;
  /** The server's `errors[0].entity_type` (e.g. `Webhook Key`), or null. */
  readonly entityType: string | null;
  /** The HTTP status of the last answer, or null if none was received. */
  readonly httpStatus: number | null;
  /** The server's `meta.trace_id` (quote it to Kompliant support), or null. */
  readonly traceId: string | null;
  /** The server's `Retry-After`, in seconds, or null. */
  readonly retryAfter: number | null;
  /** The server's own `errors[0].code` as sent (e.g. `SYSTEM_RULE_VIOLATION`), or null. */
  readonly serverCode: string | null;
  /** The API method that failed, or null (configuration errors). */
  readonly method: string | null;
  /** How many HTTP attempts were made (0 if nothing was sent). */
  readonly attempts: number;
}

/** `BAD_REQUEST`: refused as malformed (HTTP 400, 413, 415). */
export declare class BadRequestError extends ApiError {}
/** `ENTITY_NOT_FOUND`: no such key or endpoint for these credentials. */
export declare class EntityNotFoundError extends ApiError {}
/** `KEY_DELETED`: the key is DELETED and can never be activated again. */
export declare class KeyDeletedError extends ApiError {}
/** `DAILY_KEY_LIMIT`: 100 keys were created for this account today (UTC). */
export declare class DailyKeyLimitError extends ApiError {}
/** `URL_ALREADY_EXISTS`: the account already has an endpoint with this URL. */
export declare class UrlAlreadyExistsError extends ApiError {}
/** `MAX_WEBHOOK_URL_LIMIT`: the account already has 20 endpoints. */
export declare class MaxWebhookUrlLimitError extends ApiError {}
/** `SYSTEM_RULE_VIOLATION`: another rule violation; see `subCode`. */
export declare class SystemRuleViolationError extends ApiError {}
/** `UNAUTHORIZED`: HTTP 401, credentials or signature refused. */
export declare class UnauthorizedError extends ApiError {}
/** `FORBIDDEN`: HTTP 403. */
export declare class ForbiddenError extends ApiError {}
/** `RATE_LIMITED`: HTTP 429; see `retryAfter`. */
export declare class RateLimitedError extends ApiError {}
/** `SERVER_ERROR`: HTTP 5xx. */
export declare class ServerError extends ApiError {}
/** `TIMEOUT`: no complete answer within the timeout. */
export declare class TimeoutError extends ApiError {}
/** `CONNECTION_FAILED`: the server could not be reached, or the connection broke. */
export declare class ConnectionFailedError extends ApiError {}
/** `INVALID_RESPONSE`: the answer is not a Kompliant envelope of the documented shape. */
export declare class InvalidResponseError extends ApiError {}
/**
 * `INVALID_CONFIGURATION`: missing or unusable credentials or options: the client's, and
 * also a receiver's or a wire profile's (its API fields are then null).
 */
export declare class InvalidConfigurationError extends ApiError {}
/**
 * `STORE_FAILED`: a rotation's store step failed; the new key was not activated. The message
 * quotes the store's error with the new secret and the client's credentials masked; `cause`
 * is the store's own error, unmasked: it is yours, log it with the care your store needs.
 */
export declare class StoreFailedError extends ApiError {}

// ---------------------------------------------------------------------------------------
// Route handlers' options (kompliant-webhooks/express, /fastify, /fetch and the edge entry)
// ---------------------------------------------------------------------------------------

/** Options shared by the Express middleware, the Fastify plugin and the fetch handler. */
export interface WebhookRouteOptions<Context extends unknown[]> {
  /**
   * The receiver, or a function returning the one to use for this request (e.g. rebuilt
   * when the keyring file changes): called once per request, and that receiver gives both
   * the body limit and the decryption. If it throws, `onError` sees the error and the
   * answer is the core's `INTERNAL` one (500 `webhook receiver error`).
   */
  receiver: WebhookReceiver | (() => WebhookReceiver);
  /**
   * Your handler, called once per verified delivery (deduplicate by `webhook.id`: delivery is
   * at least once). 200 is answered after it resolves; if it throws or rejects, whatever the
   * error (a typed-view `PayloadSchemaMismatchError` included), `HANDLER_FAILURE_STATUS`
   * (500, the core's) so Kompliant redelivers later.
   */
  onWebhook: (webhook: Webhook, ...context: Context) => unknown;
  /**
   * Sees every refused delivery (a `WebhookError` with `code` and an operator message) and
   * every handler failure. Default: one line on stderr.
   */
  onError?: (error: unknown, ...context: Context) => unknown;
  /**
   * A duplicate guard (`MemoryGuard`, `RedisGuard` from `kompliant-webhooks/redis`, or your
   * own `Guard`): each webhook id is claimed, with a fresh token, before `onWebhook` runs. A
   * duplicate of a processed webhook is answered 200 and one still in progress 503, without
   * calling `onWebhook`. While it runs the claim is renewed (a third of the lease, see
   * `renew`). Then the id is completed if the handler succeeded and released if it failed,
   * so Kompliant's retry is processed. The rule of a failure is the core's, as in every
   * language: the handler threw or rejected, or it answered with a response of status 400 or
   * more, which is, per adapter: Express, a response the handler sent itself
   * (`res.statusCode` once `res.headersSent`); Fastify, a reply it sent itself
   * (`reply.statusCode` once `reply.sent`); fetch, a `Response` it returned (that Response is
   * sent). A failed claim is answered 500 (`INTERNAL`); a claim found lost (another delivery
   * took it after its lease lapsed: the webhook may run twice) goes to `onError` as an
   * `InternalError` with the core's message. A `TransactionalGuard`
   * (`PostgresGuard#transactional()` from `kompliant-webhooks/postgres`) also opens a
   * transaction after the claim and hands it to `onWebhook` as its last argument, `{ db }`;
   * the webhook is marked processed in that transaction, committed only if the claim still
   * holds (else rolled back and answered 503); a failed handler's is rolled back.
   */
  guard?: Guard;
  /**
   * How long a claim lasts, in seconds (default 300; a `RedisGuard` with its own
   * `leaseSeconds` uses that one). Renewed while `onWebhook` runs: a short lease lets a
   * redelivery after a crash run sooner.
   */
  leaseSeconds?: number;
  /**
   * Renew the claim every third of the lease while `onWebhook` runs (default `true`). With
   * `false`, `leaseSeconds` must be longer than `onWebhook` can run, or a redelivery may run
   * the webhook again.
   */
  renew?: boolean;
}

/**
 * The options with a transactional guard (`PostgresGuard#transactional()`): `onWebhook` gets
 * `{ db }`, the client in the transaction in which the webhook is marked processed, as its
 * last argument.
 */
export type TransactionalRouteOptions<Context extends unknown[]> = Omit<WebhookRouteOptions<Context>, 'guard' | 'onWebhook'> & {
  guard: TransactionalGuard;
  onWebhook: (webhook: Webhook, ...context: [...Context, transaction: InTransaction]) => unknown;
};
