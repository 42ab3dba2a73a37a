// Type definitions for kompliant-webhooks (Node). Everything is computed by the Rust core
// through a native module; this package adds the Error classes, the Webhook object and
// HTTP middleware (kompliant-webhooks/express, /fastify, /fetch). What the edge entry shares
// is declared once, with no Node type, in types/receive.d.ts; here are the Node-only parts.

/// <reference types="node" />

import type { JsonValue, SealWebhook, WebhookSecretInput } from './types/receive.js';

export * from './types/receive.js';

/**
 * Encrypts `payload` for `metadata.keyId` with `secret`, exactly as Kompliant does (see
 * `SealWebhook`); the envelope's bodies are Buffers.
 */
export declare const sealWebhook: SealWebhook<Buffer>;

/** Options of `addToKeyringFile`. */
export interface AddToKeyringFileOptions {
  /**
   * How long a retired key stays in the file, in milliseconds (default 7 days: Kompliant's
   * retry horizon); keys retired longer ago are removed by this write.
   */
  retentionSeconds?: number;
}

/**
 * Adds `keyId` to the keyring file at `path` (created if needed) as the key in use: the
 * store step of a rotation. Every other key not yet retired is marked retired now
 * (`{ "secret": …, "retired_at": "<RFC 3339 UTC>" }`: it stays, so redeliveries sealed with
 * it still decrypt), and keys retired longer than `options.retentionSeconds` ago are removed,
 * except keys that may still be ACTIVE (those this write retires and those the rotation before
 * retired).
 * Adding a key id the file holds with the same secret makes it the key in use again; a
 * different secret is refused. Atomic: written to a temporary file with mode 0600, flushed
 * and renamed over the old one, so a receiver (`Keyring.watch`) never reads a partial file.
 * Writers in every process take an OS file lock (`.<name>.lock` beside the file), so
 * concurrent additions all survive. Runs off the event loop.
 * Rejects with {InvalidKeyError} (a bad key id or secret, a different secret for a held key
 * id, an existing file that is not a valid keyring) or {IoError}; throws {RangeError} for a
 * negative or non-finite `retentionSeconds`.
 */
export declare function addToKeyringFile(
  path: string | URL,
  keyId: string,
  secret: WebhookSecretInput,
  options?: AddToKeyringFileOptions,
): Promise<void>;

// ---------------------------------------------------------------------------------------
// The API client
// ---------------------------------------------------------------------------------------

/** Credentials and options of a `KompliantClient`. */
export interface ClientOptions {
  /** The API key (`X-API-Key`; not a secret). */
  apiKey: string;
  /** The base64 secret key that signs requests. Never printed. */
  secretKey: string;
  /** The auth token (`X-API-Auth-Token`). Never printed. */
  authToken: string;
  /**
   * API base URL (default `https://api.kompliant.com`). Must be `https://`, except
   * `http://` to a loopback address (the local simulator).
   */
  baseUrl?: string;
  /** Timeout of one HTTP attempt, in milliseconds (default 30 000). */
  timeoutMs?: number;
  /** Timeout for connecting (TLS included), in milliseconds (default 10 000). */
  connectTimeoutMs?: number;
  /** Retries after the first attempt, when repeating the call is harmless (default 3). */
  maxRetries?: number;
  /** Base of the jittered exponential backoff, in milliseconds (default 250). */
  retryBaseMs?: number;
  /** Longest wait before a retry (also caps `Retry-After`), in milliseconds (default 10 000). */
  retryMaxDelayMs?: number;
  /** `User-Agent` (default `kompliant-webhooks-node/<version>`). */
  userAgent?: string;
}

/** A webhook key's status. */
export type KeyStatus = 'INACTIVE' | 'ACTIVE' | 'DELETED' | (string & {});

/**
 * A key just created by `webhook.key.create`: the only time Kompliant reveals its secret.
 * The secret stays in native memory until `secret` is read; `util.inspect`,
 * `JSON.stringify` and `String()` print `[REDACTED]`.
 */
export declare class CreatedWebhookKey {
  private constructor();
  /** The key id, `whk_YYYYMMDD_NN`. */
  readonly keyId: string;
  /** The status (`INACTIVE` for a new key). */
  readonly status: KeyStatus;
  /** Creation time, as sent (ISO 8601). */
  readonly createdAt: string;
  /** The shared secret as base64. Store it before activating the key; never log it. */
  readonly secret: string;
  toJSON(): { keyId: string; status: KeyStatus; createdAt: string; secret: '[REDACTED]' };
  toString(): string;
}

/** The answer of `webhook.key.activate`. */
export interface ActivatedWebhookKey {
  /** The key now active. */
  keyId: string;
  /** `ACTIVE`. */
  status: KeyStatus;
  /** Activation time, as sent; also the previous key's `deletedAt`. */
  activatedAt: string;
  /**
   * The key this activation moved to DELETED. SIMULATOR EXTENSION: Kompliant does not
   * document it, so it may be null against the real service even when a key was replaced.
   */
  previousKeyId: string | null;
}

/** The answer of `webhook.key.get` (never the secret). */
export interface WebhookKeyInfo {
  keyId: string;
  status: KeyStatus;
  /** Creation time, as sent. */
  createdAt: string;
  /** Activation time, once activated. */
  activatedAt: string | null;
  /** Deletion time (the next key's activation time), once deleted. */
  deletedAt: string | null;
}

/** A webhook endpoint configuration. */
export interface WebhookConfig {
  /** The configuration id, `whc_…`. */
  configId: string;
  /** The endpoint URL Kompliant POSTs webhooks to. */
  url: string;
  /** Creation time, as sent. */
  createdAt: string;
  /** Last update time, once updated. */
  updatedAt: string | null;
}

/** The answer of `meta.checkVersion`. */
export interface ApiVersionInfo {
  /** The version used for the call (the pinned `2025-03-24`). */
  currentVersion: string;
  /** The newest version the server offers. */
  latestVersion: string;
}

/** The success envelope of `KompliantClient.call`. */
export interface ApiResponse<T = { [key: string]: JsonValue }> {
  /** The `data` member. */
  data: T;
  /** `meta.trace_id`, if present. */
  traceId: string | null;
  /** `meta.warnings` (empty when absent). */
  warnings: JsonValue[];
}

/**
 * Which failures of a `call` may be retried: `'safe'` (reads and idempotent writes: after
 * HTTP 429/500/502/503/504, timeouts and connection failures) or `'onlyIfNotSent'` (only
 * when the request provably never reached the server; right for creates and deletes).
 */
export type RetryPolicy = 'safe' | 'onlyIfNotSent';

/** A finished key rotation. */
export interface Rotation {
  /** The key created, stored and now ACTIVE. */
  newKeyId: string;
  /**
   * The key the activation moved to DELETED (a simulator extension; may be null against the
   * real service). Keep it in receivers' keyrings for the retry horizon: redeliveries use it.
   */
  previousKeyId: string | null;
  /** Activation time, as sent. */
  activatedAt: string;
}

/**
 * The store step of a rotation: put the secret where your receivers load keys from (a
 * secret manager, a keyring file with `addToKeyringFile`, …). The only place this package
 * hands a secret to your code. Throw or reject to abandon the rotation.
 */
export type StoreSecret = (keyId: string, secretBase64: string) => void | Promise<void>;

/**
 * A client of the Kompliant API. Every API method returns a Promise and runs on libuv's
 * thread pool (one pool thread per call in flight; `UV_THREADPOOL_SIZE`, default 4), never
 * blocking the event loop. Calls are signed (`KSig1-HMAC-SHA256`), pinned to API version
 * `2025-03-24`, and retried with jittered backoff when repeating them is harmless. Failures
 * reject with an `ApiError` subclass. The secret key and the auth token are never printed.
 */
export declare class KompliantClient {
  /** @throws {InvalidConfigurationError} for unusable credentials or options (never quoting secrets). */
  constructor(options: ClientOptions);
  /**
   * A client from `KOMPLIANT_API_KEY`, `KOMPLIANT_SECRET_KEY`, `KOMPLIANT_AUTH_TOKEN` and
   * optionally `KOMPLIANT_BASE_URL` in `env` (default `process.env`).
   * @throws {InvalidConfigurationError} naming every missing variable (never a value).
   */
  static fromEnv(env?: Record<string, string | undefined>): KompliantClient;
  /** The base URL calls go to (without a trailing `/`). */
  readonly baseUrl: string;
  /** The API key (not a secret). */
  readonly apiKey: string;
  /** The `User-Agent` sent. */
  readonly userAgent: string;
  /**
   * `webhook.key.create`: a new INACTIVE key and its secret. At most 100 per account per
   * UTC day ({DailyKeyLimitError}). Not retried once sent (a repeat burns the quota). For
   * create → store → activate, use `rotateWebhookKey`.
   */
  createWebhookKey(accountId: string): Promise<CreatedWebhookKey>;
  /**
   * `webhook.key.activate`: Kompliant encrypts with this key from now on and moves the
   * previous ACTIVE key to DELETED. Re-activating the ACTIVE key changes nothing (safe to retry).
   * Rejects with {KeyDeletedError} for a DELETED key, {EntityNotFoundError}, …
   */
  activateWebhookKey(keyId: string): Promise<ActivatedWebhookKey>;
  /** `webhook.key.get`: status and times, never the secret. Rejects with {EntityNotFoundError}, … */
  getWebhookKey(keyId: string): Promise<WebhookKeyInfo>;
  /**
   * `webhook.config.create`: resolves to the configuration id (`whc_…`). Rejects with
   * {UrlAlreadyExistsError}, {MaxWebhookUrlLimitError} (20 per account), {BadRequestError}
   * (the URL must be `https://`), …
   */
  createWebhookConfig(accountId: string, url: string): Promise<string>;
  /** `webhook.config.get`. Rejects with {EntityNotFoundError} (HTTP 404), … */
  getWebhookConfig(accountId: string, configId: string): Promise<WebhookConfig>;
  /** `webhook.config.list`: the account's endpoints, deleted ones excluded. */
  listWebhookConfigs(accountId: string): Promise<WebhookConfig[]>;
  /** `webhook.config.update`: changes an endpoint's URL (safe to retry). */
  updateWebhookConfig(accountId: string, configId: string, url: string): Promise<void>;
  /** `webhook.config.delete`: soft and permanent. */
  deleteWebhookConfig(accountId: string, configId: string): Promise<void>;
  /** `meta.checkVersion`. */
  checkVersion(): Promise<ApiVersionInfo>;
  /**
   * Calls any API method with a JSON body, signed and retried like the typed methods: for
   * extension methods such as the local simulator's (`sim.event.trigger`,
   * `sim.faults.set`, …). `options.retry` defaults to `'onlyIfNotSent'`.
   */
  call<T = { [key: string]: JsonValue }>(method: string, body?: unknown, options?: { retry?: RetryPolicy }): Promise<ApiResponse<T>>;
  /**
   * Rotates the account's webhook key: `webhook.key.create` → `await store(keyId,
   * secretBase64)` → a local seal/decrypt probe → `webhook.key.activate`. A key whose
   * secret was not stored is never activated: if `store` throws or rejects, this rejects
   * with a {StoreFailedError} whose `cause` is your error, and the new key stays INACTIVE
   * (it counts against the daily quota). The StoreFailedError's message quotes your error's
   * message with the new secret (every base64 spelling) and the credentials masked; its
   * `cause` is your own error object, NOT masked (if it quotes the secret, so does
   * `util.inspect(err)`, which prints the cause). Deploy the key to every receiver in `store`, or
   * make receivers reload it (an unknown key is answered 503 and redelivered later).
   */
  rotateWebhookKey(accountId: string, store: StoreSecret): Promise<Rotation>;
  /** `{ baseUrl, apiKey, secretKey: "[REDACTED]", authToken: "[REDACTED]" }`. */
  toJSON(): { baseUrl: string; apiKey: string; secretKey: '[REDACTED]'; authToken: '[REDACTED]' };
  toString(): string;
}
