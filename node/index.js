'use strict';
// kompliant-webhooks: receive Kompliant's encrypted webhooks and manage webhook keys.
// Everything is computed by the Rust core (native module); this layer adds the Error
// classes, the Webhook object and argument checks. Types and docs: index.d.ts.

const errors = require('./lib/errors.js');
const { ERROR_CODES, PROFILES, HANDLER_FAILURE_STATUS, httpAnswer } = require('./lib/codes.js');
const { Keyring } = require('./lib/keyring.js');
const { WebhookReceiver } = require('./lib/receiver.js');
const { Webhook } = require('./lib/webhook.js');
const { sealWebhook, SealedEnvelope, generateWebhookSecret, addToKeyringFile } = require('./lib/seal.js');
const { KompliantClient, CreatedWebhookKey } = require('./lib/client.js');
const { MemoryGuard, CLAIMS, DEFAULT_CLAIM_LEASE_SECONDS, outcomeForClaim, outcomeAfterHandler, handlerSucceeded } = require('./lib/guard.js');

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
