'use strict';
// The package's Error classes. The native module cannot throw JS subclasses, so it throws an
// Error whose message is `KOMPLIANT_ERROR:` + JSON (code and fields, see
// bindings/node/src/error.rs); `fromNative` turns that into the right class here.

const binding = require('./native.js');

const PREFIX = 'KOMPLIANT_ERROR:';

/**
 * The code an error of `Class` carries when none is given: its own stable code for the
 * per-code subclasses (`new UnknownKeyError(msg).code === 'UNKNOWN_KEY'`), `INTERNAL` for the
 * base classes.
 */
function defaultCode(Class) {
  return Class?.defaultCode ?? 'INTERNAL';
}

/** Root of every error this package throws for a failed check or call; `code` is the stable code. */
class KompliantError extends Error {
  constructor(message, code, options) {
    super(message, options);
    /** The stable, cross-language code, e.g. `UNKNOWN_KEY` or `DAILY_KEY_LIMIT`. */
    this.code = code ?? defaultCode(new.target);
  }
}

/** A receive-path error: envelope, keyring, decryption, payload. */
class WebhookError extends KompliantError {
  constructor(message, code, fields, options) {
    super(message, code ?? defaultCode(new.target), options);
    fields ??= {};
    // The answer for this code is the core's (ErrorCode::http_status / public_message).
    const answer = fields.httpStatus != null && fields.publicMessage != null ? null : binding.httpAnswer(this.code);
    /** The HTTP status to answer the delivery with (503 for an unknown key: Kompliant retries). */
    this.httpStatus = fields.httpStatus ?? answer.status;
    /** A text safe to send back to the caller; it does not say which check failed. */
    this.publicMessage = fields.publicMessage ?? answer.publicMessage;
    /** The key id the error is about, when there is one (never a secret). */
    this.keyId = fields.keyId ?? null;
  }
}

/** A failed Kompliant API call. */
class ApiError extends KompliantError {
  constructor(message, code, fields, options) {
    super(message, code ?? defaultCode(new.target), options);
    fields ??= {};
    /** The server's `errors[0].sub_code` (e.g. `DAILY_KEY_LIMIT`), or null. */
    this.subCode = fields.subCode ?? null;
    /** The server's `errors[0].entity_type` (e.g. `Webhook Key`), or null. */
    this.entityType = fields.entityType ?? null;
    /** The HTTP status of the last answer, or null if none was received. */
    this.httpStatus = fields.httpStatus ?? null;
    /** The server's `meta.trace_id` (quote it to Kompliant support), or null. */
    this.traceId = fields.traceId ?? null;
    /** The server's `Retry-After` in seconds, or null. */
    this.retryAfter = fields.retryAfter ?? null;
    /** The server's own `errors[0].code` as sent, or null. */
    this.serverCode = fields.serverCode ?? null;
    /** The API method that failed, or null (configuration errors). */
    this.method = fields.method ?? null;
    /** How many HTTP attempts were made. */
    this.attempts = fields.attempts ?? 0;
  }
}

// One subclass per stable code, as in the Python package.
const WEBHOOK_CLASSES = {
  MALFORMED_ENVELOPE: class MalformedEnvelopeError extends WebhookError {},
  UNKNOWN_KEY: class UnknownKeyError extends WebhookError {},
  INVALID_KEY: class InvalidKeyError extends WebhookError {},
  DECRYPTION_FAILED: class DecryptionError extends WebhookError {},
  PAYLOAD_NOT_JSON: class PayloadNotJsonError extends WebhookError {},
  BODY_TOO_LARGE: class BodyTooLargeError extends WebhookError {},
  TIMESTAMP_OUT_OF_RANGE: class TimestampOutOfRangeError extends WebhookError {},
  PAYLOAD_SCHEMA_MISMATCH: class PayloadSchemaMismatchError extends WebhookError {},
  IO_ERROR: class IoError extends WebhookError {},
  INTERNAL: class InternalError extends WebhookError {},
};

const API_CLASSES = {
  BAD_REQUEST: class BadRequestError extends ApiError {},
  ENTITY_NOT_FOUND: class EntityNotFoundError extends ApiError {},
  KEY_DELETED: class KeyDeletedError extends ApiError {},
  DAILY_KEY_LIMIT: class DailyKeyLimitError extends ApiError {},
  URL_ALREADY_EXISTS: class UrlAlreadyExistsError extends ApiError {},
  MAX_WEBHOOK_URL_LIMIT: class MaxWebhookUrlLimitError extends ApiError {},
  SYSTEM_RULE_VIOLATION: class SystemRuleViolationError extends ApiError {},
  UNAUTHORIZED: class UnauthorizedError extends ApiError {},
  FORBIDDEN: class ForbiddenError extends ApiError {},
  RATE_LIMITED: class RateLimitedError extends ApiError {},
  SERVER_ERROR: class ServerError extends ApiError {},
  TIMEOUT: class TimeoutError extends ApiError {},
  CONNECTION_FAILED: class ConnectionFailedError extends ApiError {},
  INVALID_RESPONSE: class InvalidResponseError extends ApiError {},
  INVALID_CONFIGURATION: class InvalidConfigurationError extends ApiError {},
  STORE_FAILED: class StoreFailedError extends ApiError {},
};

/**
 * Codes both sides raise, with one class: INVALID_CONFIGURATION comes from client options and
 * from receiver and profile options alike.
 */
const SHARED_CLASSES = { INVALID_CONFIGURATION: API_CLASSES.INVALID_CONFIGURATION };

/**
 * The package error for an error thrown by the native module (any other value is returned
 * unchanged). `cause` is attached when given (e.g. the store callback's error).
 */
function fromNative(err, cause) {
  if (!(err instanceof Error) || typeof err.message !== 'string' || !err.message.startsWith(PREFIX)) {
    return err;
  }
  let f;
  try {
    f = JSON.parse(err.message.slice(PREFIX.length));
  } catch {
    return new KompliantError('internal error: undecodable native error', 'INTERNAL');
  }
  const options = cause === undefined ? undefined : { cause };
  switch (f.kind) {
    case 'type':
      return new TypeError(f.message, options);
    case 'range':
      return new RangeError(f.message, options);
    case 'webhook':
    case 'api': {
      // INTERNAL from the rotation probe is a plain ApiError with that code.
      const Base = f.kind === 'webhook' ? WebhookError : ApiError;
      const Class = (f.kind === 'webhook' ? WEBHOOK_CLASSES : API_CLASSES)[f.code] ?? SHARED_CLASSES[f.code] ?? Base;
      // A receive-side INVALID_CONFIGURATION is an ApiError: its httpStatus is "received", so null.
      const fields = Class.prototype instanceof Base || Class === Base ? f : {};
      return new Class(f.message, f.code, fields, options);
    }
    default:
      return new KompliantError(f.message, f.code ?? 'INTERNAL', options);
  }
}

/** Calls `fn`, rethrowing native errors as package errors. */
function native(fn) {
  try {
    return fn();
  } catch (err) {
    const translated = fromNative(err);
    // Start the stack trace at the caller of the package method, not inside this layer.
    if (translated !== err) Error.captureStackTrace(translated, native);
    throw translated;
  }
}

/** Awaits a native Promise, rejecting with package errors. */
async function nativeAsync(promise) {
  try {
    return await promise;
  } catch (err) {
    throw fromNative(err);
  }
}

for (const [code, Class] of [...Object.entries(WEBHOOK_CLASSES), ...Object.entries(API_CLASSES)]) {
  /** The code of errors of this class made without one. */
  Object.defineProperty(Class, 'defaultCode', { value: code, enumerable: true });
}

const classes = {};
for (const Class of [
  KompliantError,
  WebhookError,
  ApiError,
  ...Object.values(WEBHOOK_CLASSES),
  ...Object.values(API_CLASSES),
]) {
  classes[Class.name] = Class;
  // `err.name` is the class name, so stack traces and logs say which error it is.
  Object.defineProperty(Class.prototype, 'name', {
    value: Class.name,
    writable: true,
    configurable: true,
    enumerable: false,
  });
}

module.exports = {
  ...classes,
  WEBHOOK_CLASSES,
  API_CLASSES,
  fromNative,
  native,
  nativeAsync,
};
