'use strict';
// kompliant-webhooks: receive Kompliant's encrypted webhooks and manage webhook keys.
// Everything is computed by the Rust core (native module); this layer adds the Error
// classes, the Webhook object and argument checks. Types and docs: index.d.ts.

const binding = require('./lib/native.js');
const errors = require('./lib/errors.js');
const { Keyring } = require('./lib/keyring.js');
const { WebhookReceiver } = require('./lib/receiver.js');
const { Webhook } = require('./lib/webhook.js');
const { sealWebhook, SealedEnvelope, generateWebhookSecret, addToKeyringFile } = require('./lib/seal.js');
const { KompliantClient, CreatedWebhookKey } = require('./lib/client.js');
const { MemoryGuard, CLAIMS, DEFAULT_CLAIM_LEASE_SECONDS, outcomeForClaim, outcomeAfterHandler, handlerSucceeded } = require('./lib/guard.js');

/** Every stable error code, in documentation order (from the core). */
const ERROR_CODES = Object.freeze(binding.errorCodes());

/** The built-in wire profile names; the first is the default. */
const PROFILES = Object.freeze(binding.profileNames());

/**
 * The HTTP status an adapter answers when the user's webhook handler throws or rejects,
 * whatever the error (the core's `decided::HANDLER_FAILURE_STATUS`: 500, so Kompliant
 * redelivers). Refused webhooks answer their error's own `httpStatus`.
 */
const HANDLER_FAILURE_STATUS = binding.HANDLER_FAILURE_STATUS;

/**
 * The answer a webhook receiver sends when an error with this stable `code` ends a delivery,
 * `{ status, publicMessage }` (the core's `ErrorCode::http_status` / `public_message`): what
 * `WebhookError`s carry as `httpStatus` / `publicMessage`. For adapters of your own. A
 * `RangeError` for a string that is not in `ERROR_CODES`.
 */
function httpAnswer(code) {
  if (typeof code !== 'string') throw new TypeError('code must be a string (one of ERROR_CODES)');
  const { status, publicMessage } = errors.native(() => binding.httpAnswer(code));
  return { status, publicMessage };
}

module.exports = {
  Keyring,
  WebhookReceiver,
  Webhook,
  sealWebhook,
  SealedEnvelope,
  generateWebhookSecret,
  addToKeyringFile,
  KompliantClient,
  CreatedWebhookKey,
  ERROR_CODES,
  PROFILES,
  HANDLER_FAILURE_STATUS,
  httpAnswer,
  MemoryGuard,
  CLAIMS,
  DEFAULT_CLAIM_LEASE_SECONDS,
  outcomeForClaim,
  outcomeAfterHandler,
  handlerSucceeded,
  KompliantError: errors.KompliantError,
  WebhookError: errors.WebhookError,
  ApiError: errors.ApiError,
  MalformedEnvelopeError: errors.MalformedEnvelopeError,
  UnknownKeyError: errors.UnknownKeyError,
  InvalidKeyError: errors.InvalidKeyError,
  DecryptionError: errors.DecryptionError,
  PayloadNotJsonError: errors.PayloadNotJsonError,
  BodyTooLargeError: errors.BodyTooLargeError,
  TimestampOutOfRangeError: errors.TimestampOutOfRangeError,
  PayloadSchemaMismatchError: errors.PayloadSchemaMismatchError,
  IoError: errors.IoError,
  InternalError: errors.InternalError,
  BadRequestError: errors.BadRequestError,
  EntityNotFoundError: errors.EntityNotFoundError,
  KeyDeletedError: errors.KeyDeletedError,
  DailyKeyLimitError: errors.DailyKeyLimitError,
  UrlAlreadyExistsError: errors.UrlAlreadyExistsError,
  MaxWebhookUrlLimitError: errors.MaxWebhookUrlLimitError,
  SystemRuleViolationError: errors.SystemRuleViolationError,
  UnauthorizedError: errors.UnauthorizedError,
  ForbiddenError: errors.ForbiddenError,
  RateLimitedError: errors.RateLimitedError,
  ServerError: errors.ServerError,
  TimeoutError: errors.TimeoutError,
  ConnectionFailedError: errors.ConnectionFailedError,
  InvalidResponseError: errors.InvalidResponseError,
  InvalidConfigurationError: errors.InvalidConfigurationError,
  StoreFailedError: errors.StoreFailedError,
};
