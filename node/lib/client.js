'use strict';

const binding = require('./native.js');
const { native, nativeAsync, fromNative } = require('./errors.js');
const { INSPECT, REDACTED, checkString, checkFunction } = require('./internal.js');
const host = require('./host.js');

/** A key just created; its secret is revealed only here and stays in native memory until read. */
class CreatedWebhookKey {
  #native;

  constructor(nativeKey) {
    if (!(nativeKey instanceof binding.CreatedWebhookKey)) {
      throw new TypeError('CreatedWebhookKey objects come from KompliantClient.createWebhookKey()');
    }
    this.#native = nativeKey;
    /** The key id, `whk_YYYYMMDD_NN`. */
    this.keyId = nativeKey.keyId;
    /** The status (`INACTIVE` for a new key). */
    this.status = nativeKey.status;
    /** Creation time, as sent. */
    this.createdAt = nativeKey.createdAt;
    Object.freeze(this);
  }

  /** The shared secret as base64. Store it before activating the key; never log it. */
  get secret() {
    return this.#native.secretBase64();
  }

  toJSON() {
    return { keyId: this.keyId, status: this.status, createdAt: this.createdAt, secret: REDACTED };
  }

  toString() {
    return `CreatedWebhookKey(${this.keyId}) ${REDACTED}`;
  }

  [INSPECT](depth, options, inspect) {
    return `CreatedWebhookKey ${inspect(this.toJSON(), options)}`;
  }
}

function optional(value) {
  return value === undefined ? null : value;
}

function keyInfo(k) {
  return {
    keyId: k.keyId,
    status: k.status,
    createdAt: k.createdAt,
    activatedAt: optional(k.activatedAt),
    deletedAt: optional(k.deletedAt),
  };
}

function config(c) {
  return { configId: c.configId, url: c.url, createdAt: c.createdAt, updatedAt: optional(c.updatedAt) };
}

const OPTION_NAMES = [
  'apiKey',
  'secretKey',
  'authToken',
  'baseUrl',
  'timeoutMs',
  'connectTimeoutMs',
  'maxRetries',
  'retryBaseMs',
  'retryMaxDelayMs',
  'userAgent',
];

/**
 * A client of the Kompliant API. Every API method returns a Promise and runs on libuv's
 * thread pool, never blocking the event loop. Calls are signed (`KSig1-HMAC-SHA256`), pinned
 * to API version 2025-03-24, and retried with jittered backoff when repeating them is
 * harmless. Failures reject with an `ApiError` subclass. The secret key and the auth token
 * are never printed.
 */
class KompliantClient {
  #native;

  /**
   * A client with `apiKey`, `secretKey` (base64) and `authToken`, and optionally `baseUrl`
   * (e.g. the local simulator), `timeoutMs`, `connectTimeoutMs`, `maxRetries`, `retryBaseMs`,
   * `retryMaxDelayMs`, `userAgent`.
   */
  constructor(options) {
    if (options instanceof binding.KompliantClient) {
      this.#native = options;
      return;
    }
    if (typeof options !== 'object' || options === null) throw new TypeError('KompliantClient needs an options object');
    for (const name of ['apiKey', 'secretKey', 'authToken']) checkString(`options.${name}`, options[name]);
    const nativeOptions = {};
    for (const name of OPTION_NAMES) if (options[name] !== undefined && options[name] !== null) nativeOptions[name] = options[name];
    for (const name of ['baseUrl', 'userAgent']) if (name in nativeOptions) checkString(`options.${name}`, nativeOptions[name]);
    for (const name of ['timeoutMs', 'connectTimeoutMs', 'maxRetries', 'retryBaseMs', 'retryMaxDelayMs']) {
      if (name in nativeOptions && typeof nativeOptions[name] !== 'number') throw new TypeError(`options.${name} must be a number`);
    }
    const retries = nativeOptions.maxRetries;
    if ('maxRetries' in nativeOptions && !(Number.isInteger(retries) && retries >= 0 && retries <= 0xffffffff)) {
      throw new RangeError('options.maxRetries must be an integer from 0 to 4294967295');
    }
    this.#native = native(() => new binding.KompliantClient(nativeOptions));
  }

  /**
   * A client from `KOMPLIANT_API_KEY`, `KOMPLIANT_SECRET_KEY`, `KOMPLIANT_AUTH_TOKEN` and
   * optionally `KOMPLIANT_BASE_URL` in `env` (default `process.env`). An
   * `InvalidConfigurationError` names every missing variable (never a value).
   */
  static fromEnv(env = host.processEnv()) {
    if (typeof env !== 'object' || env === null) throw new TypeError('env must be an object');
    const vars = {};
    for (const [name, value] of Object.entries(env)) if (typeof value === 'string') vars[name] = value;
    return new KompliantClient(native(() => binding.KompliantClient.fromEnvVars(vars)));
  }

  /** The base URL calls go to. */
  get baseUrl() {
    return this.#native.baseUrl;
  }

  /** The API key (not a secret: it is sent in clear). */
  get apiKey() {
    return this.#native.apiKey;
  }

  /** The `User-Agent` sent. */
  get userAgent() {
    return this.#native.userAgent;
  }

  #call(start) {
    // Argument errors thrown while starting a call become rejections, like every other failure.
    return nativeAsync(Promise.resolve().then(start));
  }

  /**
   * `webhook.key.create`: a new INACTIVE key and its secret (revealed only now). At most 100
   * per account per UTC day (`DailyKeyLimitError`). Not retried once sent: a repeat would
   * burn the quota. For create → store → activate use `rotateWebhookKey`.
   */
  async createWebhookKey(accountId) {
    const accountIdArg = checkString('accountId', accountId);
    return new CreatedWebhookKey(await this.#call(() => this.#native.createWebhookKey(accountIdArg)));
  }

  /**
   * `webhook.key.activate`: Kompliant encrypts with this key from now on and moves the
   * previous ACTIVE key to DELETED. Safe to retry. `previousKeyId` is a simulator extension
   * (null against the real service).
   */
  async activateWebhookKey(keyId) {
    checkString('keyId', keyId);
    const k = await this.#call(() => this.#native.activateWebhookKey(keyId));
    return { keyId: k.keyId, status: k.status, activatedAt: k.activatedAt, previousKeyId: optional(k.previousKeyId) };
  }

  /** `webhook.key.get`: a key's status and times (never its secret). */
  async getWebhookKey(keyId) {
    checkString('keyId', keyId);
    return keyInfo(await this.#call(() => this.#native.getWebhookKey(keyId)));
  }

  /** `webhook.config.create`: adds an endpoint; resolves to its configuration id (`whc_…`). */
  async createWebhookConfig(accountId, url) {
    checkString('accountId', accountId);
    checkString('url', url);
    return this.#call(() => this.#native.createWebhookConfig(accountId, url));
  }

  /** `webhook.config.get`. */
  async getWebhookConfig(accountId, configId) {
    checkString('accountId', accountId);
    checkString('configId', configId);
    return config(await this.#call(() => this.#native.getWebhookConfig(accountId, configId)));
  }

  /** `webhook.config.list`: the account's endpoints (deleted ones excluded). */
  async listWebhookConfigs(accountId) {
    checkString('accountId', accountId);
    return (await this.#call(() => this.#native.listWebhookConfigs(accountId))).map(config);
  }

  /** `webhook.config.update`: changes an endpoint's URL. */
  async updateWebhookConfig(accountId, configId, url) {
    checkString('accountId', accountId);
    checkString('configId', configId);
    checkString('url', url);
    await this.#call(() => this.#native.updateWebhookConfig(accountId, configId, url));
  }

  /** `webhook.config.delete` (soft and permanent). */
  async deleteWebhookConfig(accountId, configId) {
    checkString('accountId', accountId);
    checkString('configId', configId);
    await this.#call(() => this.#native.deleteWebhookConfig(accountId, configId));
  }

  /** `meta.checkVersion`: the API version in use and the latest one. */
  async checkVersion() {
    const v = await this.#call(() => this.#native.checkVersion());
    return { currentVersion: v.currentVersion, latestVersion: v.latestVersion };
  }

  /**
   * Calls any API method with a JSON body, signed and retried like the typed methods; for
   * extension methods such as the local simulator's (`sim.event.trigger`). `options.retry`
   * is `'onlyIfNotSent'` (default: retried only if the request provably never left, right
   * for anything that creates or deletes) or `'safe'` (also after 429/5xx/timeouts, for
   * reads and idempotent writes). Resolves to `{ data, traceId, warnings }`.
   */
  async call(method, body = {}, options = {}) {
    checkString('method', method);
    const retry = options?.retry ?? 'onlyIfNotSent';
    const text = JSON.stringify(body);
    if (typeof text !== 'string') throw new TypeError('body must be JSON-serialisable');
    const r = await this.#call(() => this.#native.call(method, text, retry));
    return { data: JSON.parse(r.dataJson), traceId: optional(r.traceId), warnings: JSON.parse(r.warningsJson) };
  }

  /**
   * Rotates the account's webhook key: `webhook.key.create`; then `await store(keyId,
   * secretBase64)`, where you put the secret where your receivers load keys from (the only
   * place this package hands a secret to your code); then a local seal/decrypt probe; then
   * `webhook.key.activate`. A key whose secret was not stored is never activated: if `store`
   * throws or rejects, this rejects with a `StoreFailedError` and the new key stays
   * INACTIVE: its message quotes your error's message with the core masking the new secret
   * and the credentials; its `cause` is your own error, unmasked. Resolves to `{ newKeyId,
   * previousKeyId, activatedAt }`.
   */
  async rotateWebhookKey(accountId, store) {
    checkString('accountId', accountId);
    checkFunction('store', store);
    const pending = await this.#call(() => this.#native.startRotation(accountId));
    try {
      await store(pending.keyId, pending.secretBase64());
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      let failure;
      try {
        pending.storeFailed(detail); // always throws STORE_FAILED, naming the new key, secret masked
      } catch (nativeErr) {
        failure = fromNative(nativeErr, err);
      }
      throw failure;
    }
    const r = await this.#call(() => pending.finish());
    return { newKeyId: r.newKeyId, previousKeyId: optional(r.previousKeyId), activatedAt: r.activatedAt };
  }

  toJSON() {
    return { baseUrl: this.baseUrl, apiKey: this.apiKey, secretKey: REDACTED, authToken: REDACTED };
  }

  toString() {
    return `KompliantClient(${this.baseUrl}, api key ${this.apiKey}) ${REDACTED}`;
  }

  [INSPECT](depth, options, inspect) {
    return `KompliantClient ${inspect(this.toJSON(), options)}`;
  }
}

module.exports = { KompliantClient, CreatedWebhookKey };
